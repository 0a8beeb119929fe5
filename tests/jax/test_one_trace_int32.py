"""One trace over a full run for every lrkit schedule; int32 step counters near and past 2**31."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

import lrkit  # noqa: E402
from lrkit.jax import hyperparams, scheduled  # noqa: E402
from lrkit.plateau import OnPlateau  # noqa: E402
from tests.catalogue import CASES  # noqa: E402

INT32_MAX = 2**31 - 1


def test_every_catalogue_schedule_traces_once_over_a_run():
    schedules = [c[1] for c in CASES]
    traces = []

    @jax.jit
    def values(count):
        traces.append(1)
        return jnp.stack([jnp.asarray(s(count), jnp.float32) for s in schedules])

    count = jnp.zeros((), jnp.int32)
    for _ in range(25):
        v = values(count)
        count = optax.safe_increment(count)
    assert len(traces) == 1
    assert np.all(np.isfinite(np.asarray(v)))
    # every schedule, the deterministic-noise ones included (their hash is exact in float32:
    # float32 JAX once drew other, non-normal noise than float64 NumPy)
    want = np.array([float(s(24)) for s in schedules])
    np.testing.assert_allclose(np.asarray(v), want, rtol=5e-5, atol=1e-7)


def test_noise_in_float32_is_the_float64_noise():
    from scipy import stats

    s = lrkit.NoisyLinearCosine(0.1, 100_000, seed=7)
    t = np.arange(0, 100_000, 7)
    z64 = s.noise(t.astype(np.float64))
    z32 = np.asarray(jax.jit(s.noise)(jnp.asarray(t, jnp.float32)))
    np.testing.assert_allclose(z32, z64, atol=5e-4)
    assert stats.kstest(z32, "norm").pvalue > 1e-3


def _set_count(state, n):
    n = jnp.asarray(n, jnp.int32)
    hs = {k: v._replace(count=n) for k, v in state.hyperparams_states.items()}
    return state._replace(count=n, hyperparams_states=hs)


@pytest.mark.parametrize("rule", [
    lrkit.warmup(lrkit.Cosine(0.1, 10_000, end=1e-3), 100),
    lrkit.Cyclic(0.01, 0.1, 1000.0),
    OnPlateau(lrkit.Exponential(0.1, 0.5, 1_000_000), patience=1),
], ids=["warmup_cosine", "cyclic", "plateau"])
def test_int32_counter_saturates_never_wraps(rule):
    tx = scheduled(optax.sgd, learning_rate=rule)
    p = {"w": jnp.ones(2)}
    state = _set_count(tx.init(p), INT32_MAX - 3)
    traces = []

    @jax.jit
    def step(state):
        traces.append(1)
        _, state = tx.update(p, state, p, value=jnp.float32(1.0))
        return state

    rates = []
    for _ in range(6):  # three updates reach 2**31 - 1, three more would pass it
        state = step(state)
        rates.append(float(hyperparams(state)["learning_rate"]))
    assert len(traces) == 1
    assert int(state.count) == INT32_MAX
    assert all(int(v.count) == INT32_MAX for v in state.hyperparams_states.values())
    base = rule.schedule if isinstance(rule, OnPlateau) else rule
    lo, hi = float(base(1e12)) * 0.5, 0.1 * (1 + 1e-6)
    assert all(np.isfinite(rates)) and all(r >= 0 for r in rates)
    if not isinstance(rule, lrkit.Cyclic):
        # far past every horizon: the final value, held (a wrapped counter would restart it)
        np.testing.assert_allclose(rates, float(base(INT32_MAX)), rtol=1e-5)
    else:
        assert all(0.01 * (1 - 1e-6) <= r <= hi for r in rates)
    assert lo <= hi
