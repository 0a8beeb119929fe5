"""Plateau control inside jax.jit: the same decisions as lrkit.plateau and torch's ReduceLROnPlateau."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

import lrkit  # noqa: E402
from lrkit.jax import PlateauSchedule, hyperparams, scheduled  # noqa: E402
from lrkit.plateau import OnPlateau, Plateau  # noqa: E402


def _metrics(n: int = 60, seed: int = 0) -> list[float]:
    """A noisy decreasing curve with long flat stretches, rounded to float32 (so the in-jit
    comparisons see the very numbers the Python controllers see)."""
    rng = np.random.default_rng(seed)
    third = n // 3
    base = np.concatenate([np.linspace(2.0, 1.0, third), np.full(third, 1.0),
                           np.linspace(1.0, 0.9, n - 2 * third)])
    noise = rng.choice([0.0, 0.0, 0.02, -0.01], size=n)
    return [float(v) for v in (base + noise).astype(np.float32)]


def _run_jit(tx, metrics):
    """Rates used by update t when the metric of update t is given to it (and counting traces)."""
    params = {"w": jnp.ones(2)}
    state = tx.init(params)
    traces = []

    @jax.jit
    def step(state, m):
        traces.append(1)
        _, state = tx.update(params, state, params, value=m)
        return state

    rates = []
    for m in metrics:
        state = step(state, jnp.float32(m))
        rates.append(float(hyperparams(state)["learning_rate"]))
    assert len(traces) == 1
    return rates, state


OPTIONS = [
    dict(),
    dict(patience=2, factor=0.5),
    dict(patience=0, factor=0.5, cooldown=2),
    dict(patience=1, factor=0.3, min_lr=0.02, threshold=0.01),
    dict(patience=2, threshold_mode="abs", threshold=0.005),
    dict(patience=1, mode="max", factor=0.5),
    dict(patience=1, mode="max", threshold_mode="abs", threshold=0.01, cooldown=1),
    dict(patience=0, factor=0.5, eps=0.02),
]


@pytest.mark.parametrize("opts", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_same_decisions_as_plateau_and_torch_reduce_on_plateau(opts):
    torch = pytest.importorskip("torch")
    metrics = _metrics()
    if opts.get("mode") == "max":
        metrics = [float(np.float32(-m)) for m in metrics]
    rates, state = _run_jit(scheduled(optax.sgd, learning_rate=Plateau(0.1, **opts)), metrics)

    ctl = Plateau(0.1, **opts)
    topt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **opts)
    lr_plateau, lr_torch = 0.1, 0.1
    for t, m in enumerate(metrics):
        # update t used the rate set after metric t-1
        assert rates[t] == pytest.approx(lr_plateau, rel=1e-6), t
        assert rates[t] == pytest.approx(lr_torch, rel=1e-6), t
        lr_plateau = ctl.step(m)
        tsched.step(m)
        lr_torch = topt.param_groups[0]["lr"]
    ps = state.hyperparams_states["learning_rate"]
    assert int(ps.num_reductions) == ctl.num_reductions > 0
    assert int(ps.last_epoch) == ctl.last_epoch == len(metrics)
    assert int(ps.num_bad_epochs) == ctl.num_bad_epochs
    assert int(ps.cooldown_counter) == ctl.cooldown_counter
    assert float(ps.best) == ctl.best


def test_on_plateau_with_schedule_window_and_cooldown_curve_matches_python_controller():
    rule = OnPlateau(lrkit.warmup(lrkit.Cosine(0.1, 80), 5), patience=1, factor=0.5, start=5,
                     stop=50, then=lrkit.Linear(1.0, 0.0, 20), min_lr=0.004)
    metrics = _metrics(70, seed=3)
    rates, _ = _run_jit(scheduled(optax.adam, learning_rate=rule), metrics)
    ref = OnPlateau(rule.schedule, patience=1, factor=0.5, start=5, stop=50,
                    then=lrkit.Linear(1.0, 0.0, 20), min_lr=0.004)
    for t, m in enumerate(metrics):
        assert rates[t] == pytest.approx(ref(t), rel=2e-5, abs=1e-9), t
        ref.observe(t + 1, m)
    assert ref.scale < 0.2


def test_accumulation_and_observe_flag():
    metrics = _metrics(60, seed=1)
    k = 4
    tx = scheduled(optax.sgd, learning_rate=Plateau(1.0, patience=1, factor=0.5), accumulation_size=k)
    rates, _ = _run_jit(tx, metrics)
    ctl = Plateau(1.0, patience=1, factor=0.5)
    lr = 1.0
    for t in range(len(metrics)):
        assert rates[t] == pytest.approx(lr, rel=1e-6)
        if (t + 1) % k == 0:
            lr = ctl.step(float(np.mean(np.asarray(metrics[t + 1 - k:t + 1], np.float32))))
    assert ctl.num_reductions > 0

    # observe=False skips the value: only every third metric counts
    tx = scheduled(optax.sgd, learning_rate=Plateau(1.0, patience=1, factor=0.5))
    params = {"w": jnp.ones(1)}
    state = tx.init(params)
    step = jax.jit(lambda s, m, f: tx.update(params, s, params, value=m, observe=f)[1])
    ctl = Plateau(1.0, patience=1, factor=0.5)
    for t, m in enumerate(metrics):
        state = step(state, m, t % 3 == 2)
        if t % 3 == 2:
            ctl.step(m)
        assert float(state.hyperparams_states["learning_rate"].scale) == pytest.approx(ctl.scale, rel=1e-6)
    # no value at all: the counter advances, nothing is observed
    _, state2 = tx.update(params, state, params)
    assert int(state2.hyperparams_states["learning_rate"].count) == len(metrics) + 1
    assert int(state2.hyperparams_states["learning_rate"].last_epoch) == len(metrics) // 3


def test_trains_a_real_model_and_bad_input():
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    x = jnp.asarray((x - x.mean(0)) / x.std(0), jnp.float32)
    y = jnp.asarray(y, jnp.float32)
    tx = scheduled(optax.sgd, learning_rate=OnPlateau(lrkit.Constant(1.0), patience=2, factor=0.5,
                                                      threshold=0.05))
    params = {"w": jnp.zeros(x.shape[1]), "b": jnp.zeros(())}
    state = tx.init(params)

    @jax.jit
    def train(params, state):
        def loss(p):
            return jnp.mean(optax.sigmoid_binary_cross_entropy(x @ p["w"] + p["b"], y))
        value, g = jax.value_and_grad(loss)(params)
        u, state = tx.update(g, state, params, value=value)
        return optax.apply_updates(params, u), state, value

    for _ in range(60):
        params, state, value = train(params, state)
    assert float(value) < 0.1
    assert float(hyperparams(state)["learning_rate"]) < 1.0  # the loss flattened: cut at least once

    with pytest.raises(TypeError, match="rule must be an lrkit.plateau.OnPlateau or Plateau"):
        PlateauSchedule(lrkit.Constant(1.0))
    with pytest.raises(ValueError, match="accumulation_size must be >= 1, got 0"):
        scheduled(optax.sgd, learning_rate=Plateau(1.0), accumulation_size=0)
    s = PlateauSchedule(Plateau(1.0))
    with pytest.raises(TypeError, match="value must be a scalar metric"):
        s.update(s.init(), value=jnp.ones(3))
