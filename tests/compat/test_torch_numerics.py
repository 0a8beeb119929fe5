"""compat.torch numerics at extreme arguments: CosineAnnealingLR with a huge T_max,
MultiplicativeLR far out (bounded memory, torch's exact products)."""

from __future__ import annotations

import random
import tracemalloc
import warnings

import numpy as np
import pytest

import lrkit
from lrkit.compat import torch as C


# -- CosineAnnealingLR: huge T_max ---------------------------------------------------------------
@pytest.mark.parametrize("T_max", [10**8, 3 * 10**8, 10**9, 10**12])
def test_cosine_annealing_huge_t_max_is_finite_and_right(T_max):
    lr, eta = 0.1, 0.01
    s = C.CosineAnnealingLR(lr=lr, T_max=T_max, eta_min=eta)
    mid = eta + (lr - eta) / 2
    steps = [0, 1, T_max // 2, T_max, 3 * T_max // 2, 2 * T_max]
    want = [lr, lr, mid, eta, mid, lr]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero / invalid-value warnings either
        got_scalar = [s(t) for t in steps]
        got_array = s(np.array(steps, dtype=np.float64))
    np.testing.assert_allclose(got_scalar, want, rtol=1e-9)
    np.testing.assert_allclose(got_array, want, rtol=1e-9)
    assert np.isfinite(s(np.linspace(0, 50 * T_max, 10_001))).all()


def test_cosine_annealing_huge_t_max_on_torch_and_jax():
    torch = pytest.importorskip("torch")
    s = C.CosineAnnealingLR(lr=0.1, T_max=10**9)
    t = torch.tensor([0.0, 5e8, 1e9, 1.5e9, 2e9], dtype=torch.float64)
    np.testing.assert_allclose(s(t).numpy(), [0.1, 0.05, 0.0, 0.05, 0.1], rtol=1e-9, atol=1e-15)
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    with jax.enable_x64(True):  # scoped: a global switch would leak into every later JAX test
        out = jax.jit(s)(jnp.asarray([0.0, 5e8, 1.5e9, 2e9]))
    np.testing.assert_allclose(np.asarray(out), [0.1, 0.05, 0.05, 0.1], rtol=1e-9)


def test_cosine_annealing_far_restart_where_the_torch_ratio_rounds_to_zero():
    # far out, 1 + cos(pi s / T) at torch's restart step s rounds to 0: the value stays finite
    s = C.CosineAnnealingLR(lr=0.1, T_max=10**7)
    steps = np.array([1e15 + k for k in range(0, 40_000_000, 997)], dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = s(steps)
    assert np.isfinite(v).all() and (v >= 0).all()


# -- MultiplicativeLR: bounded memory, exact --------------------------------------------------------
def test_multiplicative_memory_is_bounded_far_out():
    s = C.MultiplicativeLR(0.1, lambda e: 0.9999999)
    tracemalloc.start()
    try:
        s(300_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the former memo list kept every value (~32 bytes a step: ~10 MB here)
    assert peak < 1_000_000, peak


def test_multiplicative_random_access_equals_the_sequential_product():
    def f(e):
        return 0.9 if e % 3 else 1.01

    ref = [0.1]
    for k in range(1, 200_001):
        ref.append(ref[-1] * f(k))
    s = C.MultiplicativeLR(0.1, f)
    rng = random.Random(0)
    ks = [200_000, 0, 1, 64, 65, 131_071, 131_072, 7] + [rng.randrange(200_001) for _ in range(50)]
    assert [s(k) for k in ks] == [ref[k] for k in ks]  # bit for bit
    assert np.array_equal(s.curve(5000), ref[:5000])


def test_multiplicative_equals_torch_bit_for_bit():
    torch = pytest.importorskip("torch")

    def f(e):
        return 0.999 if e % 7 else 1.003

    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch.optim.lr_scheduler.MultiplicativeLR(opt, f)
    ref = [opt.param_groups[0]["lr"]]
    for _ in range(1000):
        opt.step()
        sched.step()
        ref.append(opt.param_groups[0]["lr"])
    s = C.MultiplicativeLR(0.1, f)
    assert [s(k) for k in (1000, 17, 640, 0)] == [ref[1000], ref[17], ref[640], ref[0]]
    assert s.curve(1001).tolist() == ref
    # and after a SequentialLR milestone (torch continues from the rate reached)
    opt = torch.optim.SGD([p], lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        L = torch.optim.lr_scheduler
        sched = L.SequentialLR(opt, [L.StepLR(opt, 3, 0.5), L.MultiplicativeLR(opt, f)], [7])
    ref = [opt.param_groups[0]["lr"]]
    for _ in range(600):
        opt.step()
        sched.step()
        ref.append(opt.param_groups[0]["lr"])
    seq = C.SequentialLR([C.StepLR(0.1, 3, 0.5), C.MultiplicativeLR(0.1, f)], [7])
    np.testing.assert_allclose(seq.curve(601), ref, rtol=1e-13)
    assert [seq(k) for k in (600, 9, 300)] == [ref[600], ref[9], ref[300]]


def test_multiplicative_constant_factor_is_closed_form_and_a_config():
    s = C.MultiplicativeLR(0.1, 0.95)
    assert s(2**31) == 0.0 and s(10) == pytest.approx(0.1 * 0.95**10, rel=1e-15)
    assert lrkit.from_config(s.to_config()) == s
    with pytest.raises(ValueError, match="lr_lambda must be >= 0"):
        C.MultiplicativeLR(0.1, -0.5)
