"""Every family: closed-form oracle at key steps, the four evaluation paths agree, config
round-trip (dict, JSON, YAML, TOML)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import lrkit
from tests.catalogue import CASES, IDS

REL = 1e-12


def _close(a: float, b: float, rel: float = REL) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)


# cases without an oracle here have their own tests (noise, restarts, momentum, recipe)
WITH_ORACLE = [c for c in CASES if c[2] is not None]


@pytest.mark.parametrize("name,sched,oracle,steps", WITH_ORACLE, ids=[c[0] for c in WITH_ORACLE])
def test_oracle_at_key_steps(name, sched, oracle, steps):
    for t in steps:
        got = sched(t)
        want = oracle(t)
        assert isinstance(got, float)
        assert _close(got, want), f"{name} at t={t}: got {got!r}, want {want!r}"
        # ints and floats are the same step
        if float(t).is_integer():
            assert sched(int(t)) == got


@pytest.mark.parametrize("name,sched,oracle,steps", CASES, ids=IDS)
def test_scalar_equals_numpy(name, sched, oracle, steps):
    grid = np.unique(np.concatenate([np.arange(0, 400, dtype=np.float64), np.asarray(steps)]))
    vec = sched(grid)
    assert isinstance(vec, np.ndarray) and vec.dtype == np.float64 and vec.shape == grid.shape
    scal = np.array([sched(float(t)) for t in grid])
    np.testing.assert_allclose(vec, scal, rtol=REL, atol=0)
    # integer arrays, 0-d arrays and numpy scalars
    whole = grid[grid == np.floor(grid)]
    np.testing.assert_allclose(sched(whole.astype(np.int64)), sched(whole), rtol=REL, atol=0)
    assert _close(float(sched(np.float64(grid[3]))), scal[3])
    assert np.all(np.isfinite(vec)) and np.all(vec >= 0)


@pytest.mark.parametrize("name,sched,oracle,steps", CASES, ids=IDS)
def test_torch_path(name, sched, oracle, steps):
    torch = pytest.importorskip("torch")
    grid = np.unique(np.concatenate([np.arange(0, 300, dtype=np.float64), np.asarray(steps)]))
    t64 = torch.tensor(grid, dtype=torch.float64)
    out = sched(t64)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64 and out.device == t64.device
    np.testing.assert_allclose(out.numpy(), sched(grid), rtol=REL, atol=0)
    # integer step tensors are promoted to float64; a 0-d tensor stays a tensor
    whole = grid[grid == np.floor(grid)]
    out_int = sched(torch.tensor(whole, dtype=torch.int64))
    np.testing.assert_allclose(out_int.numpy(), sched(whole), rtol=REL, atol=0)
    zero_d = sched(torch.tensor(7))
    assert isinstance(zero_d, torch.Tensor) and zero_d.ndim == 0
    assert _close(float(zero_d), sched(7))


@pytest.mark.parametrize("name,sched,oracle,steps", CASES, ids=IDS)
def test_jax_path_plain_and_jit(name, sched, oracle, steps):
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    grid = np.unique(np.concatenate([np.arange(0, 200, dtype=np.float64), np.asarray(steps)]))
    with jax.enable_x64(True):
        t = jnp.asarray(grid)
        plain = np.asarray(sched(t))
        jitted = np.asarray(jax.jit(sched)(t))
        scalar_jit = float(jax.jit(sched)(jnp.asarray(17)))
    want = sched(grid)
    # XLA may contract a*b+c into one fused multiply-add: where a formula cancels (a linear
    # anneal ending near 0) that moves the last bits, so allow 1e-15 of the schedule's scale too
    atol = 1e-15 * float(np.max(want))
    np.testing.assert_allclose(plain, want, rtol=REL, atol=atol)
    np.testing.assert_allclose(jitted, want, rtol=REL, atol=atol)
    assert _close(scalar_jit, sched(17))


@pytest.mark.parametrize("name,sched,oracle,steps", CASES, ids=IDS)
def test_config_round_trip(name, sched, oracle, steps):
    cfg = sched.to_config()
    text = json.dumps(cfg)  # plain JSON-safe data
    back = lrkit.from_config(json.loads(text))
    assert back == sched
    assert type(back) is type(sched)
    grid = np.asarray(steps)
    np.testing.assert_array_equal(back(grid), sched(grid))


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".toml"])
def test_files_round_trip(tmp_path, suffix):
    for name, sched, _, _ in CASES:
        path = tmp_path / f"{name}{suffix}"
        lrkit.dump(sched, path)
        assert lrkit.load(path) == sched, name


def test_noise_is_deterministic_and_normal():
    s = lrkit.NoisyLinearCosine(0.1, 10_000, seed=7)
    t = np.arange(10_000)
    a, b = s(t), s(t)
    np.testing.assert_array_equal(a, b)
    # resuming at step 5000 reproduces the same noise
    np.testing.assert_array_equal(s(t[5000:]), a[5000:])
    z = s.noise(np.arange(200_000))
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    # lag-1 autocorrelation near zero: consecutive steps are not correlated
    assert abs(np.corrcoef(z[:-1], z[1:])[0, 1]) < 0.01
    # a different seed gives different noise
    other = lrkit.NoisyLinearCosine(0.1, 10_000, seed=8)
    assert not np.array_equal(other(t), a)
    assert np.all(a >= 0)


def test_restarts_oracle():
    s = lrkit.Restarts(lrkit.Linear(1.0, 0.0, 10), 10, period_mult=2.0, peak_decay=0.5)

    def oracle(t):
        i, start, length = 0, 0.0, 10.0
        while t >= start + length:
            start += length
            length *= 2
            i += 1
        return 0.5**i * max(1.0 - (t - start) * 10.0 / length / 10.0, 0.0)

    for t in range(0, 400):
        assert _close(s(t), oracle(t)), t


@pytest.mark.parametrize("mult", [1.0, 2.0, 3.0])
def test_sgdr_exact_at_every_restart(mult):
    # integer periods and multipliers put every restart on an exact integer step: the peak must
    # be hit there on every path, however large the cycle index (floating log() misses some)
    s = lrkit.CosineRestarts(1.0, 7, period_mult=mult)
    start, length = 0.0, 7.0
    for _ in range(25):
        start += length
        length *= mult
        if start > 1e12:
            break
        # the first step of every cycle is the peak, the step before is near the floor
        assert s(start) == pytest.approx(1.0, rel=1e-12)
        assert s(np.array([start]))[0] == pytest.approx(1.0, rel=1e-12)
        if length > 2:
            assert s(start - 1e-9 * max(start, 1.0)) < 0.01


def test_momentum_curves_mirror_lr():
    oc = lrkit.OneCycle(0.1, 100, base_momentum=0.85, max_momentum=0.95)
    m = oc.momentum
    assert m(0) == pytest.approx(0.95) and m(99) == pytest.approx(0.95)
    peak_step = 29
    assert oc(peak_step) == pytest.approx(0.1) and m(peak_step) == pytest.approx(0.85)
    cyc = lrkit.Cyclic(0.001, 0.1, 10, base_momentum=0.8, max_momentum=0.9)
    assert cyc.momentum(0) == pytest.approx(0.9) and cyc.momentum(10) == pytest.approx(0.8)
    assert lrkit.from_config(m.to_config()) == m


def test_warmup_hands_over_without_jump():
    for inner in (lrkit.Cosine(0.1, 1000), lrkit.Exponential(0.1, 0.5, 100), lrkit.OneCycle(0.1, 500)):
        for prefix in (True, False):
            for shape in ("linear", "cosine", "exponential"):
                w = lrkit.warmup(inner, 100, start=1e-4, shape=shape, prefix=prefix)
                before, at = w(99.999), w(100)
                assert abs(at - before) <= 1e-3 * at, (inner, prefix, shape)
                assert at == pytest.approx(inner(0 if prefix else 100), rel=1e-12)


@pytest.mark.parametrize("name,sched,oracle,steps", CASES, ids=IDS)
def test_tensorflow_path_eager_and_graph(name, sched, oracle, steps):
    tf = pytest.importorskip("tensorflow")
    grid = np.unique(np.concatenate([np.arange(0, 150, dtype=np.float64), np.asarray(steps)]))
    t = tf.constant(grid, dtype=tf.float64)
    eager = sched(t)
    assert tf.is_tensor(eager) and eager.dtype == tf.float64
    graph = tf.function(sched)(t)
    want = sched(grid)
    atol = 1e-15 * float(np.max(want))
    np.testing.assert_allclose(eager.numpy(), want, rtol=REL, atol=atol)
    np.testing.assert_allclose(graph.numpy(), want, rtol=REL, atol=atol)
    # an int64 step counter (Keras' optimizer.iterations) is promoted to float64
    assert _close(float(sched(tf.constant(17, dtype=tf.int64))), sched(17))


def test_torch_where_of_two_numbers_keeps_float64():
    torch = pytest.importorskip("torch")
    from lrkit._ops import backend_for

    ops = backend_for(torch.zeros(1))
    out = ops.where(torch.tensor([True, False]), 0.1, 1.0 / 3.0)
    assert out.dtype == torch.float64 and float(out[1]) == 1.0 / 3.0


def test_sequence_reports_nested_phase_boundaries():
    recipe = lrkit.resnet_step_decay(256, 256, 2560, [30, 60], [1, 0.1, 0.01], warmup_epochs=5)
    assert recipe.phase_boundaries() == (50.0, 300.0, 600.0)
    rel = lrkit.sequence([lrkit.Constant(1.0), lrkit.Piecewise((1.0, 0.5), (10,))], [100])
    assert rel.phase_boundaries() == (100.0, 110.0)
    # an inner boundary beyond its phase's window is not shown
    cut = lrkit.sequence([lrkit.Piecewise((1.0, 0.5), (150,)), lrkit.Constant(0.1)], [100])
    assert cut.phase_boundaries() == (100.0,)


def test_wsd_without_a_stable_stage_has_one_boundary_not_a_repeated_one():
    # the warmup ends where the decay starts (5 + 5 = 10): one phase change at 5, not (5, 5)
    wsd = lrkit.WarmupStableDecay
    assert wsd(1.0, total=10, decay_steps=5, warmup_steps=5).phase_boundaries() == (5.0,)
    assert wsd(1.0, total=12, decay_steps=5, warmup_steps=5).phase_boundaries() == (5.0, 7.0)
    assert wsd(1.0, total=12, decay_steps=5).phase_boundaries() == (7.0,)
    assert wsd(1.0, total=12, decay_steps=5, warmup_steps=0.5).phase_boundaries() == (0.5, 7.0)

