"""lrkit.compat.torch where the golden files do not reach: each chainable scheduler's one-step
factor (it matters only after an overwriting scheduler in a ``ChainedScheduler``), the
constant ``MultiplicativeLR``, the optimizer as first argument (relative schedules and
``for_rate``), phase boundaries, the error messages (dialect name, argument, rule, value) and
the configs. Expected rates come from the real torch schedulers driving a real
``torch.optim.SGD``; messages and boundaries are written by hand from the documented rules."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import lrkit
from lrkit.compat import torch as C

torch = pytest.importorskip("torch")
L = torch.optim.lr_scheduler


def _sgd(*lrs, **defaults):
    """A real SGD: one param group per rate in ``lrs`` (the defaults' rate is the first)."""
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=defaults.pop("lr", lrs[0]), momentum=0.9, **defaults)


def _torch_rates(build, n, *lrs):
    """Every param group's rate after 0..n calls of the real scheduler's step()."""
    opt = _sgd(*lrs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = build(opt)
        out = [[g["lr"] for g in opt.param_groups]]
        for _ in range(n):
            opt.step()
            sched.step()
            out.append([g["lr"] for g in opt.param_groups])
    return np.array(out)


def _close(ours, ref, rtol=1e-12):
    np.testing.assert_allclose(np.asarray(ours, dtype=np.float64), np.asarray(ref), rtol=rtol, atol=1e-300)


def _all_paths(s, n):
    """The values at 0..n on the Python-number, NumPy and torch-tensor paths."""
    scalar = [s(t) for t in range(n + 1)]
    array = s.curve(n + 1)
    tensor = s(torch.arange(n + 1, dtype=torch.float64))
    assert isinstance(tensor, torch.Tensor) and tensor.dtype == torch.float64
    return scalar, array, tensor.numpy()


def _lam(e):
    return 1.0 / (1.0 + 0.3 * e)


# -- ChainedScheduler: the factor of one step after an overwriting scheduler --------------------
# (ours, torch builder): each chainable scheduler after LambdaLR / CyclicLR / warm restarts
AFTER = {
    "constant": (lambda: C.ConstantLR(0.1, factor=0.4, total_iters=3),
                 lambda o: L.ConstantLR(o, factor=0.4, total_iters=3)),
    "constant_default": (lambda: C.ConstantLR(0.1), lambda o: L.ConstantLR(o)),
    "linear_up": (lambda: C.LinearLR(0.1, start_factor=0.25, end_factor=0.9, total_iters=4),
                  lambda o: L.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=4)),
    "linear_down": (lambda: C.LinearLR(0.1, start_factor=1.0, end_factor=0.1, total_iters=5),
                    lambda o: L.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=5)),
    "linear_default": (lambda: C.LinearLR(0.1), lambda o: L.LinearLR(o)),
    "polynomial": (lambda: C.PolynomialLR(0.1, total_iters=5, power=1.5),
                   lambda o: L.PolynomialLR(o, total_iters=5, power=1.5)),
    "polynomial_default": (lambda: C.PolynomialLR(0.1), lambda o: L.PolynomialLR(o)),
    "exponential": (lambda: C.ExponentialLR(0.1, gamma=0.7), lambda o: L.ExponentialLR(o, gamma=0.7)),
    "step": (lambda: C.StepLR(0.1, step_size=3, gamma=0.5), lambda o: L.StepLR(o, 3, gamma=0.5)),
    "step_size1": (lambda: C.StepLR(0.1, step_size=1, gamma=0.5), lambda o: L.StepLR(o, 1, gamma=0.5)),
    "multistep": (lambda: C.MultiStepLR(0.1, milestones=[2, 5, 5], gamma=0.5),
                  lambda o: L.MultiStepLR(o, [2, 5, 5], gamma=0.5)),
    "multiplicative_constant": (lambda: C.MultiplicativeLR(0.1, 0.8),
                                lambda o: L.MultiplicativeLR(o, lambda e: 0.8)),
    "multiplicative_fn": (lambda: C.MultiplicativeLR(0.1, lambda e: 0.9 if e % 2 else 0.6),
                          lambda o: L.MultiplicativeLR(o, lambda e: 0.9 if e % 2 else 0.6)),
}
FIRST = {
    "lambda": (lambda: C.LambdaLR(0.1, _lam), lambda o: L.LambdaLR(o, _lam)),
    "warm_restarts": (lambda: C.CosineAnnealingWarmRestarts(0.1, T_0=4, eta_min=0.01),
                      lambda o: L.CosineAnnealingWarmRestarts(o, T_0=4, eta_min=0.01)),
}


@pytest.mark.parametrize("first", FIRST)
@pytest.mark.parametrize("after", AFTER)
def test_chained_after_an_overwriting_scheduler_matches_torch(first, after):
    ours_first, torch_first = FIRST[first]
    ours_after, torch_after = AFTER[after]
    ours = C.ChainedScheduler([ours_first(), ours_after()])
    n = 12
    ref = _torch_rates(lambda o: L.ChainedScheduler([torch_first(o), torch_after(o)]), n, 0.1)[:, 0]
    for got in _all_paths(ours, n):
        _close(got, ref)


def test_chained_two_factors_after_lambda_match_torch():
    ours = C.ChainedScheduler([C.LambdaLR(0.1, _lam), C.LinearLR(0.1, 0.5, 1.0, 3),
                               C.PolynomialLR(0.1, 4, 2.0), C.ConstantLR(0.1, 0.5, 2)])
    ref = _torch_rates(lambda o: L.ChainedScheduler([L.LambdaLR(o, _lam), L.LinearLR(o, 0.5, 1.0, 3),
                                                      L.PolynomialLR(o, 4, 2.0),
                                                      L.ConstantLR(o, 0.5, 2)]), 10, 0.1)[:, 0]
    for got in _all_paths(ours, 10):
        _close(got, ref)


def test_chained_without_overwriting_multiplies_the_multipliers():
    ours = C.ChainedScheduler([C.ExponentialLR(0.1, 0.9), C.ConstantLR(0.1, 0.5, 3),
                               C.MultiplicativeLR(0.1, 0.95)])
    ref = _torch_rates(lambda o: L.ChainedScheduler([L.ExponentialLR(o, 0.9), L.ConstantLR(o, 0.5, 3),
                                                      L.MultiplicativeLR(o, lambda e: 0.95)]), 8, 0.1)[:, 0]
    for got in _all_paths(ours, 8):
        _close(got, ref)


# -- MultiplicativeLR --------------------------------------------------------------------------
@pytest.mark.parametrize("c", [0.8, 1.0, 1.1])
def test_constant_multiplicative_matches_torch(c):
    ours = C.MultiplicativeLR(0.2, c)
    ref = _torch_rates(lambda o: L.MultiplicativeLR(o, lambda e: c), 10, 0.2)[:, 0]
    for got in _all_paths(ours, 10):
        _close(got, ref)
    assert ours(0) == 0.2  # torch's first step (at construction) does not multiply
    assert ours.constant and ours.running(1.0, 0) is None
    assert ours.lr_lambda == c and type(ours.lr_lambda) is float
    cfg = ours.to_config()
    assert cfg == {"type": "torch.MultiplicativeLR", "lr": 0.2, "lr_lambda": c}
    assert lrkit.from_config(cfg) == ours


def test_multiplicative_function_running_product_and_no_config():
    def f(e):
        return 1.0 + e / 10

    s = C.MultiplicativeLR(0.5, f)
    assert not s.constant
    prod = s.running(2.0, 3)
    assert prod(0) == 2.0
    assert prod(2) == 2.0 * f(3) * f(4)
    msg = ("MultiplicativeLR wraps a Python function (lr_lambda), which cannot be written to a config; "
           "write the curve with lrkit schedules instead (e.g. lrkit.Exponential, lrkit.Piecewise) "
           "or keep it in code")
    with pytest.raises(TypeError, match=f"^{re.escape(msg)}$"):
        s.to_config()


def test_lambda_lr_cannot_go_into_a_config_and_names_itself():
    msg = ("LambdaLR wraps a Python function (lr_lambda), which cannot be written to a config; "
           "write the curve with lrkit schedules instead (e.g. lrkit.Exponential, lrkit.Piecewise) "
           "or keep it in code")
    with pytest.raises(TypeError, match=f"^{re.escape(msg)}$"):
        C.LambdaLR(0.1, _lam).to_config()


def test_cyclic_scale_fn_cannot_go_into_a_config():
    msg = ("CyclicLR: a schedule with a Python scale_fn cannot be written to a config; use "
           "mode='triangular2' or 'exp_range', or keep it in code")
    with pytest.raises(TypeError, match=f"^{re.escape(msg)}$"):
        C.CyclicLR(0.01, 0.1, scale_fn=lambda x: 1.0).to_config()
    cfg = C.CyclicLR(0.01, 0.1, step_size_up=3, mode="triangular2").to_config()
    assert cfg["type"] == "torch.CyclicLR" and cfg["mode"] == "triangular2"


# -- phase boundaries ----------------------------------------------------------------------------
def test_phase_boundaries():
    assert C.MultiStepLR(0.1, milestones=[10, 3, 10]).phase_boundaries() == (3.0, 10.0)
    assert C.MultiStepLR(0.1, milestones=[]).phase_boundaries() == ()
    # torch: the phases end at pct * T - 1 (and 2 pct T - 2 with three_phase) and T - 1
    assert C.OneCycleLR(1.0, total_steps=100).phase_boundaries() == (29.0,)
    assert C.OneCycleLR(1.0, total_steps=100, three_phase=True).phase_boundaries() == (29.0, 58.0)
    seq = C.SequentialLR([C.StepLR(0.1, 2), C.ExponentialLR(0.1, 0.9), C.StepLR(0.1, 3)], [4, 9])
    assert seq.phase_boundaries() == (4.0, 9.0)
    assert all(type(b) is float for b in seq.phase_boundaries())


# -- bad arguments: the dialect's class, the argument, the rule and the value ----------------
def _f(e):
    return 1.0


BAD = [
    # (build, exception, the whole message)
    (lambda: C.StepLR(-0.1, 3), ValueError, "StepLR: lr must be >= 0, got -0.1"),
    (lambda: C.StepLR(0.1, 3, relative="yes"), TypeError,
     "StepLR: relative must be True or False, got 'yes'"),
    (lambda: C.StepLR(0.1, 0), ValueError, "StepLR: step_size must be >= 1, got 0"),
    (lambda: C.StepLR(0.1, 2.5), TypeError, "StepLR: step_size must be an integer, got 2.5 (float)"),
    (lambda: C.StepLR(0.1, 3, gamma=-0.5), ValueError, "StepLR: gamma must be >= 0, got -0.5"),
    (lambda: C.MultiStepLR(0.1, 5), TypeError, "MultiStepLR: milestones must be a list of integers, got 5"),
    (lambda: C.MultiStepLR(0.1, "12"), TypeError,
     "MultiStepLR: milestones must be a list of integers, got '12'"),
    (lambda: C.MultiStepLR(0.1, b"12"), TypeError,
     "MultiStepLR: milestones must be a list of integers, got b'12'"),
    (lambda: C.MultiStepLR(0.1, [3, -1]), ValueError, "MultiStepLR: milestones[1] must be >= 0, got -1"),
    (lambda: C.MultiStepLR(0.1, [2, 1.5]), TypeError,
     "MultiStepLR: milestones[1] must be an integer, got 1.5 (float)"),
    (lambda: C.MultiStepLR(0.1, [2], gamma=-1), ValueError, "MultiStepLR: gamma must be >= 0, got -1"),
    (lambda: C.MultiStepLR(-1, [2]), ValueError, "MultiStepLR: lr must be >= 0, got -1"),
    (lambda: C.ConstantLR(0.1, factor=1.5), ValueError, "ConstantLR: factor must be in [0, 1], got 1.5"),
    (lambda: C.ConstantLR(0.1, factor=0.0), ValueError,
     "ConstantLR: factor must be > 0 (torch divides by it at step total_iters), got factor=0.0"),
    (lambda: C.ConstantLR(0.1, total_iters=0), ValueError, "ConstantLR: total_iters must be >= 1, got 0"),
    (lambda: C.ConstantLR(-1), ValueError, "ConstantLR: lr must be >= 0, got -1"),
    (lambda: C.LinearLR(0.1, start_factor=0), ValueError, "LinearLR: start_factor must be in (0, 1], got 0"),
    (lambda: C.LinearLR(0.1, start_factor=1.5), ValueError,
     "LinearLR: start_factor must be in (0, 1], got 1.5"),
    (lambda: C.LinearLR(0.1, end_factor=1.2), ValueError, "LinearLR: end_factor must be in [0, 1], got 1.2"),
    (lambda: C.LinearLR(0.1, total_iters=0), ValueError, "LinearLR: total_iters must be >= 1, got 0"),
    (lambda: C.LinearLR(-1), ValueError, "LinearLR: lr must be >= 0, got -1"),
    (lambda: C.ExponentialLR(0.1, -0.1), ValueError, "ExponentialLR: gamma must be >= 0, got -0.1"),
    (lambda: C.ExponentialLR(-1, 0.5), ValueError, "ExponentialLR: lr must be >= 0, got -1"),
    (lambda: C.PolynomialLR(0.1, total_iters=0), ValueError, "PolynomialLR: total_iters must be >= 1, got 0"),
    (lambda: C.PolynomialLR(0.1, power=-1), ValueError, "PolynomialLR: power must be >= 0, got -1"),
    (lambda: C.PolynomialLR(-1), ValueError, "PolynomialLR: lr must be >= 0, got -1"),
    (lambda: C.CosineAnnealingLR(0.1, 0), ValueError, "CosineAnnealingLR: T_max must be >= 1, got 0"),
    (lambda: C.CosineAnnealingLR(0.1, 5, eta_min=-1), ValueError,
     "CosineAnnealingLR: eta_min must be >= 0, got -1"),
    (lambda: C.CosineAnnealingLR(-1, 5), ValueError, "CosineAnnealingLR: lr must be >= 0, got -1"),
    (lambda: C.CosineAnnealingWarmRestarts(0.1, 0), ValueError,
     "CosineAnnealingWarmRestarts: T_0 must be >= 1, got 0"),
    (lambda: C.CosineAnnealingWarmRestarts(0.1, 5, T_mult=0), ValueError,
     "CosineAnnealingWarmRestarts: T_mult must be >= 1, got 0"),
    (lambda: C.CosineAnnealingWarmRestarts(0.1, 5, T_mult=1.5), TypeError,
     "CosineAnnealingWarmRestarts: T_mult must be an integer, got 1.5 (float)"),
    (lambda: C.CosineAnnealingWarmRestarts(0.1, 5, eta_min=-1), ValueError,
     "CosineAnnealingWarmRestarts: eta_min must be >= 0, got -1"),
    (lambda: C.CosineAnnealingWarmRestarts(-1, 5), ValueError,
     "CosineAnnealingWarmRestarts: lr must be >= 0, got -1"),
    (lambda: C.LambdaLR(0.1, 0.5), TypeError,
     "LambdaLR: lr_lambda must be a function of the step (int -> float), got 0.5 (float)"),
    (lambda: C.LambdaLR(-1, _f), ValueError, "LambdaLR: lr must be >= 0, got -1"),
    (lambda: C.MultiplicativeLR(0.1, -0.5), ValueError, "MultiplicativeLR: lr_lambda must be >= 0, got -0.5"),
    (lambda: C.MultiplicativeLR(0.1, True), TypeError,
     "MultiplicativeLR: lr_lambda must be a function of the step (int -> float), got True (bool)"),
    (lambda: C.MultiplicativeLR(0.1, "x"), TypeError,
     "MultiplicativeLR: lr_lambda must be a function of the step (int -> float), got 'x' (str)"),
    (lambda: C.MultiplicativeLR(-1, 0.5), ValueError, "MultiplicativeLR: lr must be >= 0, got -1"),
    # OneCycleLR
    (lambda: C.OneCycleLR(-1, total_steps=10), ValueError, "OneCycleLR: max_lr must be >= 0, got -1"),
    (lambda: C.OneCycleLR(1.0, total_steps=0), ValueError, "OneCycleLR: total_steps must be >= 1, got 0"),
    (lambda: C.OneCycleLR(1.0, epochs=0, steps_per_epoch=5), ValueError,
     "OneCycleLR: epochs must be >= 1, got 0"),
    (lambda: C.OneCycleLR(1.0, epochs=2, steps_per_epoch=0), ValueError,
     "OneCycleLR: steps_per_epoch must be >= 1, got 0"),
    (lambda: C.OneCycleLR(1.0), ValueError, "OneCycleLR: give total_steps, or epochs and steps_per_epoch "
     "(got total_steps=None, epochs=None, steps_per_epoch=None)"),
    (lambda: C.OneCycleLR(1.0, epochs=3), ValueError, "OneCycleLR: give total_steps, or epochs and "
     "steps_per_epoch (got total_steps=None, epochs=3, steps_per_epoch=None)"),
    (lambda: C.OneCycleLR(1.0, steps_per_epoch=4), ValueError, "OneCycleLR: give total_steps, or epochs and "
     "steps_per_epoch (got total_steps=None, epochs=None, steps_per_epoch=4)"),
    (lambda: C.OneCycleLR(1.0, total_steps=10, pct_start=1.5), ValueError,
     "OneCycleLR: pct_start must be in [0, 1], got 1.5"),
    (lambda: C.OneCycleLR(1.0, total_steps=10, anneal_strategy="cosine"), ValueError,
     "OneCycleLR: anneal_strategy must be one of 'cos', 'linear', got 'cosine'"),
    (lambda: C.OneCycleLR(1.0, total_steps=10, cycle_momentum=1), TypeError,
     "OneCycleLR: cycle_momentum must be True or False, got 1"),
    (lambda: C.OneCycleLR(1.0, total_steps=10, three_phase="no"), TypeError,
     "OneCycleLR: three_phase must be True or False, got 'no'"),
    (lambda: C.OneCycleLR(1.0, total_steps=10, base_momentum=-0.1), ValueError,
     "OneCycleLR: base_momentum must be >= 0, got -0.1"),
    (lambda: C.OneCycleLR(1.0, total_steps=10, max_momentum=-0.2), ValueError,
     "OneCycleLR: max_momentum must be >= 0, got -0.2"),
    (lambda: C.OneCycleLR(1.0, total_steps=10, div_factor=0), ValueError,
     "OneCycleLR: div_factor must be > 0, got 0"),
    (lambda: C.OneCycleLR(1.0, total_steps=10, final_div_factor=0), ValueError,
     "OneCycleLR: final_div_factor must be > 0, got 0"),
    (lambda: C.OneCycleLR(1.0, total_steps=10, lr=-1), ValueError, "OneCycleLR: lr must be >= 0, got -1"),
    (lambda: C.OneCycleLR(1.0, total_steps=10, pct_start=0.1), ValueError,
     "OneCycleLR: phase 1 would be empty (it ends at step 0, not after step 0; torch divides by zero "
     "there): raise total_steps or change pct_start (got total=10, pct_start=0.1)"),
    (lambda: C.OneCycleLR(1.0, total_steps=10, pct_start=1.0), ValueError,
     "OneCycleLR: phase 2 would be empty (it ends at step 9, not after step 9; torch divides by zero "
     "there): raise total_steps or change pct_start (got total=10, pct_start=1.0)"),
    (lambda: C.OneCycleLR(1.0, epochs=2, steps_per_epoch=5, pct_start=0.55, three_phase=True), ValueError,
     "OneCycleLR: phase 3 would be empty (it ends at step 9, not after step 9; torch divides by zero "
     "there): raise total_steps or change pct_start (got total=10, pct_start=0.55)"),
    # CyclicLR
    (lambda: C.CyclicLR(-1, 1.0), ValueError, "CyclicLR: base_lr must be >= 0, got -1"),
    (lambda: C.CyclicLR(0.1, -1), ValueError, "CyclicLR: max_lr must be >= 0, got -1"),
    (lambda: C.CyclicLR(0.1, 1.0, step_size_up=0), ValueError, "CyclicLR: step_size_up must be > 0, got 0"),
    (lambda: C.CyclicLR(0.1, 1.0, step_size_down=-1), ValueError,
     "CyclicLR: step_size_down must be >= 0, got -1"),
    (lambda: C.CyclicLR(0.1, 1.0, mode="triangle"), ValueError,
     "CyclicLR: mode must be one of 'triangular', 'triangular2', 'exp_range', got 'triangle'"),
    (lambda: C.CyclicLR(0.1, 1.0, scale_fn=3), TypeError,
     "CyclicLR: scale_fn must be a function of the step (int -> float), got 3 (int)"),
    (lambda: C.CyclicLR(0.1, 1.0, scale_fn=_f, scale_mode="epoch"), ValueError,
     "CyclicLR: scale_mode must be one of 'cycle', 'iterations', got 'epoch'"),
    (lambda: C.CyclicLR(0.1, 1.0, gamma=-1), ValueError, "CyclicLR: gamma must be >= 0, got -1"),
    (lambda: C.CyclicLR(1.0, 0.1, mode="exp_range", gamma=1.1), ValueError,
     "CyclicLR: gamma must be <= 1 in exp_range mode when max_lr < base_lr (the rate would fall below 0), "
     "got gamma=1.1"),
    (lambda: C.CyclicLR(0.1, 1.0, cycle_momentum=0), TypeError,
     "CyclicLR: cycle_momentum must be True or False, got 0"),
    (lambda: C.CyclicLR(0.1, 1.0, base_momentum=-0.1), ValueError,
     "CyclicLR: base_momentum must be >= 0, got -0.1"),
    (lambda: C.CyclicLR(0.1, 1.0, max_momentum=-0.2), ValueError,
     "CyclicLR: max_momentum must be >= 0, got -0.2"),
    (lambda: C.CyclicLR(0.1, 1.0, lr=-1), ValueError, "CyclicLR: lr must be >= 0, got -1"),
    # combinations
    (lambda: C.SequentialLR([], []), ValueError, "SequentialLR: schedulers must be a non-empty list of "
     "schedules, got []"),
    (lambda: C.SequentialLR((), []), ValueError, "SequentialLR: schedulers must be a non-empty list of "
     "schedules, got ()"),
    (lambda: C.SequentialLR([C.StepLR(0.1, 2), 0.5], [3]), TypeError, "SequentialLR: schedulers[1] must be "
     "an lrkit Schedule (e.g. lrkit.compat.torch.LinearLR(lr=...)), got 0.5"),
    (lambda: C.SequentialLR([C.StepLR(None, 2), C.StepLR(0.1, 3)], [3]), ValueError,
     "SequentialLR: schedulers must all take the optimizer's rate (built with the optimizer, "
     "relative=True) or all give lr=; schedulers[0] is relative and schedulers[1] is not"),
    (lambda: C.SequentialLR([C.StepLR(0.1, 2), C.ExponentialLR(0.1, 0.5), C.StepLR(None, 3)], [3, 5]),
     ValueError, "SequentialLR: schedulers must all take the optimizer's rate (built with the optimizer, "
     "relative=True) or all give lr=; schedulers[2] is relative and schedulers[0] is not"),
    (lambda: C.SequentialLR([C.StepLR(0.1, 2), C.StepLR(0.1, 3)], 3), TypeError,
     "SequentialLR: milestones must be a list of integers, got 3"),
    (lambda: C.SequentialLR([C.StepLR(0.1, 2), C.StepLR(0.1, 3)], "3"), TypeError,
     "SequentialLR: milestones must be a list of integers, got '3'"),
    (lambda: C.SequentialLR([C.StepLR(0.1, 2), C.StepLR(0.1, 3)], [3, 4]), ValueError,
     "SequentialLR: milestones must have one element fewer than schedulers, got 2 schedulers and "
     "2 milestones"),
    (lambda: C.SequentialLR([C.StepLR(0.1, 2), C.StepLR(0.1, 3)], [-1]), ValueError,
     "SequentialLR: milestones[0] must be >= 0, got -1"),
    (lambda: C.SequentialLR([C.StepLR(0.1, 2), C.StepLR(0.1, 3)], [2.5]), TypeError,
     "SequentialLR: milestones[0] must be an integer, got 2.5 (float)"),
    (lambda: C.SequentialLR([C.StepLR(0.1, 2), C.StepLR(0.1, 3), C.StepLR(0.1, 3)], [5, 3]), ValueError,
     "SequentialLR: milestones must be non-decreasing, got [5.0, 3.0]"),
    (lambda: C.ChainedScheduler([]), ValueError, "ChainedScheduler: schedulers must be a non-empty list of "
     "schedules, got []"),
    (lambda: C.ChainedScheduler([C.StepLR(0.1, 2), "s"]), TypeError, "ChainedScheduler: schedulers[1] must "
     "be an lrkit Schedule (e.g. lrkit.compat.torch.LinearLR(lr=...)), got 's'"),
    (lambda: C.ChainedScheduler([C.StepLR(0.1, 2), C.CosineAnnealingLR(0.1, 5)]), ValueError,
     "ChainedScheduler: schedulers[1] (CosineAnnealingLR) cannot be chained in closed form; allowed: "
     "StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR, MultiplicativeLR, LambdaLR, "
     "OneCycleLR, CyclicLR, CosineAnnealingWarmRestarts"),
    (lambda: C.ChainedScheduler([C.StepLR(0.1, 2), C.SequentialLR([C.StepLR(0.1, 2)], [])]), ValueError,
     "ChainedScheduler: schedulers[1] (SequentialLR) cannot be chained in closed form; allowed: "
     "StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR, MultiplicativeLR, LambdaLR, "
     "OneCycleLR, CyclicLR, CosineAnnealingWarmRestarts"),
    (lambda: C.ChainedScheduler([C.StepLR(0.2, 2), C.LambdaLR(0.5, _f), C.ExponentialLR(0.1, 0.5)]),
     ValueError, "ChainedScheduler: every scheduler must use the same lr (they share one optimizer in "
     "torch), got [0.1, 0.2]"),
    (lambda: C.ChainedScheduler([C.StepLR(None, 2), C.StepLR(0.1, 2)]), ValueError,
     "ChainedScheduler: schedulers must all take the optimizer's rate (built with the optimizer, "
     "relative=True) or all give lr=; schedulers[0] is relative and schedulers[1] is not"),
    # ReduceLROnPlateau
    (lambda: C.ReduceLROnPlateau(factor=1.0), ValueError, "ReduceLROnPlateau: factor must be < 1.0, got 1.0"),
    (lambda: C.ReduceLROnPlateau(factor=2), ValueError, "ReduceLROnPlateau: factor must be < 1.0, got 2"),
    (lambda: C.ReduceLROnPlateau(factor="x"), TypeError,
     "ReduceLROnPlateau: factor must be a number, got 'x' (str) — a duration with a unit is converted by "
     "Budget(...).steps(value), or pass budget= to lrkit.from_config / lrkit.load"),
    (lambda: C.ReduceLROnPlateau(factor=math.nan), ValueError,
     "ReduceLROnPlateau: factor must be a finite number, got nan"),
]


@pytest.mark.parametrize("build, exc, msg", BAD, ids=[m.split(",")[0][:60] for _, _, m in BAD])
def test_bad_arguments_name_the_class_the_argument_and_the_value(build, exc, msg):
    with pytest.raises(exc, match=f"^{re.escape(msg)}$"):
        build()


# -- accepted at the edges, as torch accepts them ------------------------------------------------
@pytest.mark.parametrize("ours, theirs", [
    # phase 1 ends at step 1 (pct_start * total - 1): short but not empty
    (lambda: C.OneCycleLR(1.0, total_steps=20, pct_start=0.1),
     lambda o: L.OneCycleLR(o, 1.0, total_steps=20, pct_start=0.1)),
    (lambda: C.OneCycleLR(1.0, epochs=4, steps_per_epoch=5, pct_start=0.1, three_phase=True),
     lambda o: L.OneCycleLR(o, 1.0, epochs=4, steps_per_epoch=5, pct_start=0.1, three_phase=True)),
    # exp_range: gamma = 1 is allowed below base_lr, gamma > 1 above it, and in the other modes
    (lambda: C.CyclicLR(0.5, 0.1, step_size_up=3, mode="exp_range", gamma=1.0),
     lambda o: L.CyclicLR(o, 0.5, 0.1, step_size_up=3, mode="exp_range", gamma=1.0)),
    (lambda: C.CyclicLR(0.1, 0.5, step_size_up=3, mode="exp_range", gamma=1.01),
     lambda o: L.CyclicLR(o, 0.1, 0.5, step_size_up=3, mode="exp_range", gamma=1.01)),
    (lambda: C.CyclicLR(0.5, 0.1, step_size_up=3, mode="triangular", gamma=1.5),
     lambda o: L.CyclicLR(o, 0.5, 0.1, step_size_up=3, mode="triangular", gamma=1.5)),
    # with scale_fn the mode is not used (torch does not check it)
    (lambda: C.CyclicLR(0.1, 0.5, step_size_up=3, mode="bogus", scale_fn=_lam),
     lambda o: L.CyclicLR(o, 0.1, 0.5, step_size_up=3, mode="bogus", scale_fn=_lam)),
    (lambda: C.CyclicLR(0.5, 0.1, step_size_up=3, mode="exp_range", gamma=1.5, scale_fn=_lam,
                        scale_mode="iterations"),
     lambda o: L.CyclicLR(o, 0.5, 0.1, step_size_up=3, mode="exp_range", gamma=1.5, scale_fn=_lam,
                          scale_mode="iterations")),
    (lambda: C.CyclicLR(0.1, 0.1, step_size_up=3, mode="exp_range", gamma=1.1),
     lambda o: L.CyclicLR(o, 0.1, 0.1, step_size_up=3, mode="exp_range", gamma=1.1)),
    (lambda: C.CyclicLR(0.1, 0.5, step_size_up=3, step_size_down=0),
     lambda o: L.CyclicLR(o, 0.1, 0.5, step_size_up=3, step_size_down=0)),
    (lambda: C.MultiStepLR(0.1, [0, 4, 4], gamma=0.5), lambda o: L.MultiStepLR(o, [0, 4, 4], gamma=0.5)),
    # OneCycleLR has no lr and CyclicLR another one: only the chainable schedulers' lr must agree
    (lambda: C.ChainedScheduler([C.OneCycleLR(1.0, total_steps=30), C.StepLR(0.1, 4, 0.5)]),
     lambda o: L.ChainedScheduler([L.OneCycleLR(o, 1.0, total_steps=30), L.StepLR(o, 4, 0.5)])),
    (lambda: C.ChainedScheduler([C.CyclicLR(0.01, 0.2, 3, lr=0.3), C.ExponentialLR(0.1, 0.9)]),
     lambda o: L.ChainedScheduler([L.CyclicLR(o, 0.01, 0.2, 3), L.ExponentialLR(o, 0.9)])),
    # an overwriting scheduler in the middle: the ones before it do not count
    (lambda: C.ChainedScheduler([C.ConstantLR(0.1, 0.5, 4), C.LambdaLR(0.1, _lam), C.LinearLR(0.1, 0.5)]),
     lambda o: L.ChainedScheduler([L.ConstantLR(o, 0.5, 4), L.LambdaLR(o, _lam), L.LinearLR(o, 0.5)])),
    # equal milestones; a MultiplicativeLR after a milestone continues from the rate reached
    (lambda: C.SequentialLR([C.StepLR(0.1, 2, 0.5), C.ExponentialLR(0.1, 0.9), C.StepLR(0.1, 3, 0.5)],
                            [4, 4]),
     lambda o: L.SequentialLR(o, [L.StepLR(o, 2, 0.5), L.ExponentialLR(o, 0.9), L.StepLR(o, 3, 0.5)],
                              [4, 4])),
    (lambda: C.SequentialLR([C.ExponentialLR(0.1, 0.9), C.MultiplicativeLR(0.1, 0.8),
                             C.MultiplicativeLR(0.1, _lam)], [3, 7]),
     lambda o: L.SequentialLR(o, [L.ExponentialLR(o, 0.9), L.MultiplicativeLR(o, lambda e: 0.8),
                                  L.MultiplicativeLR(o, _lam)], [3, 7])),
    (lambda: C.SequentialLR([C.ExponentialLR(0.1, 0.9), C.MultiplicativeLR(0.1, _lam),
                             C.MultiplicativeLR(0.1, 0.7)], [2, 6]),
     lambda o: L.SequentialLR(o, [L.ExponentialLR(o, 0.9), L.MultiplicativeLR(o, _lam),
                                  L.MultiplicativeLR(o, lambda e: 0.7)], [2, 6])),
    (lambda: C.SequentialLR([C.MultiplicativeLR(0.1, 0.8), C.ExponentialLR(0.1, 0.9)], [1]),
     lambda o: L.SequentialLR(o, [L.MultiplicativeLR(o, lambda e: 0.8), L.ExponentialLR(o, 0.9)], [1])),
    (lambda: C.SequentialLR([C.ExponentialLR(0.1, 0.9), C.MultiplicativeLR(0.1, 0.8)], [1]),
     lambda o: L.SequentialLR(o, [L.ExponentialLR(o, 0.9), L.MultiplicativeLR(o, lambda e: 0.8)], [1])),
    (lambda: C.SequentialLR([C.ExponentialLR(0.1, 0.9), C.MultiplicativeLR(0.1, _lam)], [1]),
     lambda o: L.SequentialLR(o, [L.ExponentialLR(o, 0.9), L.MultiplicativeLR(o, _lam)], [1])),
    (lambda: C.SequentialLR([C.ExponentialLR(0.1, 0.9), C.ExponentialLR(0.1, 0.5),
                             C.MultiplicativeLR(0.1, 0.8)], [0, 4]),
     lambda o: L.SequentialLR(o, [L.ExponentialLR(o, 0.9), L.ExponentialLR(o, 0.5),
                                  L.MultiplicativeLR(o, lambda e: 0.8)], [0, 4])),
    (lambda: C.SequentialLR([C.ExponentialLR(0.1, 0.9), C.MultiplicativeLR(0.1, 0.8),
                             C.ExponentialLR(0.1, 0.5)], [0, 4]),
     lambda o: L.SequentialLR(o, [L.ExponentialLR(o, 0.9), L.MultiplicativeLR(o, lambda e: 0.8),
                                  L.ExponentialLR(o, 0.5)], [0, 4])),
    (lambda: C.MultiplicativeLR(0.1, _lam), lambda o: L.MultiplicativeLR(o, _lam)),
])
def test_accepted_where_torch_accepts_and_equal_to_torch(ours, theirs):
    s = ours()
    ref = _torch_rates(theirs, 16, 0.1)[:, 0]
    for got in _all_paths(s, 16):
        _close(got, ref)


@pytest.mark.parametrize("ours, theirs", [
    (lambda: C.StepLR(0.0, 2, 0.5), lambda o: L.StepLR(o, 2, 0.5)),
    (lambda: C.ExponentialLR(0.0, 2.0), lambda o: L.ExponentialLR(o, 2.0)),
])
def test_zero_rate_is_exactly_zero_on_every_path(ours, theirs):
    s = ours()
    ref = _torch_rates(theirs, 16, 0.0)[:, 0]
    for got in _all_paths(s, 16):
        _close(got, ref)
    far = s(np.array([0.0, 1e4]))  # 0 * 2.0 ** 1e4 would be 0 * inf = nan
    assert far.tolist() == [0.0, 0.0]


def test_sequential_first_milestone_at_zero_skips_the_first_scheduler():
    # torch at milestone 0 restarts the second scheduler at its step 0, from the base rate
    s = C.SequentialLR([C.ExponentialLR(0.1, 0.5), C.MultiplicativeLR(0.1, 0.8)], [0])
    assert [s(t) for t in range(4)] == pytest.approx([0.1, 0.08, 0.064, 0.0512], rel=1e-14)
    fn = C.SequentialLR([C.ExponentialLR(0.1, 0.5), C.MultiplicativeLR(0.1, lambda e: 0.8)], [0])
    assert [fn(t) for t in range(4)] == pytest.approx([0.1, 0.08, 0.064, 0.0512], rel=1e-14)


def test_fields_are_normalised():
    s = C.StepLR(1, 3.0, gamma=np.float32(0.5))
    assert (type(s.lr), type(s.step_size), type(s.gamma)) == (float, int, float)
    assert s.step_size == 3 and s.gamma == 0.5
    m = C.MultiStepLR(0.1, [9, 2.0, 5], gamma=1)
    assert m.milestones == (2, 5, 9) and all(type(x) is int for x in m.milestones)
    assert type(m.gamma) is float
    c = C.ConstantLR(0.1, factor=1, total_iters=4.0)
    assert type(c.factor) is float and type(c.total_iters) is int and c.horizon == 4.0
    li = C.LinearLR(0.1, start_factor=1, end_factor=0, total_iters=6.0)
    assert (type(li.start_factor), type(li.end_factor), type(li.total_iters)) == (float, float, int)
    assert li.horizon == 6.0 and type(li.horizon) is float
    assert type(C.ExponentialLR(0.1, 1).gamma) is float
    p = C.PolynomialLR(0.1, total_iters=7.0, power=2)
    assert type(p.total_iters) is int and type(p.power) is float and p.horizon == 7.0
    cos = C.CosineAnnealingLR(0.1, 10.0, eta_min=0)
    assert type(cos.T_max) is int and type(cos.eta_min) is float and cos.horizon == 10.0
    w = C.CosineAnnealingWarmRestarts(0.1, 5.0, T_mult=2.0, eta_min=0)
    assert (type(w.T_0), type(w.T_mult), type(w.eta_min)) == (int, int, float)
    o = C.OneCycleLR(1, total_steps=20.0, pct_start=np.float32(0.5), div_factor=5, final_div_factor=10,
                     base_momentum=1, max_momentum=1, lr=1)
    assert type(o.total_steps) is int and o.horizon == 20.0 and o.total == 20
    assert all(type(getattr(o, k)) is float for k in ("max_lr", "pct_start", "div_factor", "final_div_factor",
                                                     "base_momentum", "max_momentum", "lr"))
    e = C.OneCycleLR(1.0, epochs=3.0, steps_per_epoch=7.0)
    assert (type(e.epochs), type(e.steps_per_epoch), e.total, e.horizon) == (int, int, 21, 21.0)
    y = C.CyclicLR(0, 1, step_size_up=3, step_size_down=2, gamma=1, base_momentum=1, max_momentum=1, lr=1)
    assert all(type(getattr(y, k)) is float for k in ("base_lr", "max_lr", "step_size_up", "step_size_down",
                                                     "gamma", "base_momentum", "max_momentum", "lr"))
    assert C.CyclicLR(0.1, 1.0).lr is None and C.OneCycleLR(1.0, total_steps=10).lr is None
    mu = C.MultiplicativeLR(1, 1)
    assert type(mu.lr_lambda) is float and type(mu.lr) is float


def test_horizons():
    assert C.SequentialLR([C.StepLR(0.1, 2), C.LinearLR(0.1, total_iters=4)], [3]).horizon == 7.0
    assert C.SequentialLR([C.LinearLR(0.1, total_iters=4)], []).horizon == 4.0
    assert C.SequentialLR([C.LinearLR(0.1, total_iters=4), C.StepLR(0.1, 2)], [3]).horizon is None


# -- the optimizer in place of lr: relative schedules --------------------------------------------
def test_built_from_the_optimizer_each_group_follows_its_own_rate():
    opt = _sgd(0.1, 0.03)
    s = C.StepLR(opt, step_size=3, gamma=0.5)
    assert s.relative is True and s.lr == 0.1
    assert s == C.StepLR(0.1, 3, 0.5, relative=True) == C.StepLR(optimizer=opt, step_size=3, gamma=0.5)
    assert s.to_config() == {"type": "torch.StepLR", "lr": 0.1, "step_size": 3, "gamma": 0.5,
                             "relative": True}
    assert lrkit.from_config(s.to_config()) == s
    assert "relative" not in C.StepLR(0.1, 3, 0.5).to_config()
    assert C.StepLR(0.1, 3, 0.5).relative is False
    a = s.for_rate(0.03)
    assert a == C.StepLR(0.03, 3, 0.5) and a.relative is False and type(a.lr) is float
    assert type(s.for_rate(1).lr) is float
    ref = _torch_rates(lambda o: L.StepLR(o, 3, 0.5), 10, 0.1, 0.03)
    _close(s.curve(11), ref[:, 0])
    _close(a.curve(11), ref[:, 1])


def test_no_rate_at_all_is_relative_to_one():
    s = C.ExponentialLR(None, 0.5)
    assert s.relative is True and s.lr == 1.0 and s(2) == 0.25
    assert C.LambdaLR(None, _lam).relative is True


def test_relative_combinations_and_for_rate():
    opt = _sgd(0.1, 0.4)
    seq = C.SequentialLR([C.LinearLR(opt, 0.5, total_iters=3), C.ExponentialLR(opt, 0.9)], [3])
    assert seq.relative is True
    a = seq.for_rate(0.4)
    assert a.relative is False
    assert a == C.SequentialLR([C.LinearLR(0.4, 0.5, total_iters=3), C.ExponentialLR(0.4, 0.9)], [3])
    ref = _torch_rates(lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.5, total_iters=3),
                                                    L.ExponentialLR(o, 0.9)], [3]), 8, 0.1, 0.4)
    _close(seq.curve(9), ref[:, 0])
    _close(a.curve(9), ref[:, 1])
    chain = C.ChainedScheduler([C.LambdaLR(opt, _lam), C.StepLR(opt, 2, 0.5)])
    assert chain.relative is True
    ref = _torch_rates(lambda o: L.ChainedScheduler([L.LambdaLR(o, _lam), L.StepLR(o, 2, 0.5)]), 8, 0.1, 0.4)
    _close(chain.for_rate(0.4).curve(9), ref[:, 1])
    # a native lrkit schedule inside keeps its own (absolute) values
    mixed = C.SequentialLR([C.LinearLR(opt, 0.5, total_iters=3), lrkit.Constant(0.05)], [3])
    assert mixed.relative is True
    m4 = mixed.for_rate(0.4)
    assert m4.schedulers[1] == lrkit.Constant(0.05)
    assert m4.schedulers[0] == C.LinearLR(0.4, 0.5, total_iters=3)
    assert m4(5) == 0.05 and m4(0) == pytest.approx(0.2, rel=1e-15)
    native = C.SequentialLR([lrkit.Constant(0.1), lrkit.Constant(0.2)], [3])
    assert native.relative is False
    absolute = C.SequentialLR([C.StepLR(0.1, 2), C.StepLR(0.1, 3)], [3])
    assert absolute.relative is False and absolute.for_rate(0.7) == absolute


def test_driven_per_group_like_torch():
    from lrkit.torch import Scheduler

    theirs = _torch_rates(lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.2, total_iters=4),
                                                       L.StepLR(o, 3, 0.5)], [4]), 12, 0.1, 0.02)
    opt = _sgd(0.1, 0.02)
    sched = Scheduler(opt, C.SequentialLR([C.LinearLR(opt, 0.2, total_iters=4), C.StepLR(opt, 3, 0.5)], [4]))
    ours = [[g["lr"] for g in opt.param_groups]]
    for _ in range(12):
        opt.step()
        sched.step()
        ours.append([g["lr"] for g in opt.param_groups])
    _close(ours, theirs)


def test_optimizer_rate_sources():
    from lrkit.compat._rate import optimizer_rate

    opt = _sgd(0.1, 0.03, lr=0.2)
    assert optimizer_rate(opt, "X") == 0.2  # defaults first
    del opt.defaults["lr"]
    assert optimizer_rate(opt, "X") == 0.1  # then the first group's rate
    opt.param_groups[0]["initial_lr"] = 0.05  # (set by a torch scheduler: preferred to lr)
    assert optimizer_rate(opt, "X") == 0.05
    del opt.param_groups[0]["lr"]
    assert optimizer_rate(opt, "X") == 0.05
    del opt.param_groups[0]["initial_lr"]
    with pytest.raises(ValueError, match=re.escape(
            "X: the optimizer has no learning rate (no 'lr' in its defaults or param groups)")):
        optimizer_rate(opt, "X")
    opt.param_groups.clear()
    with pytest.raises(ValueError, match="^StepLR: the optimizer has no learning rate"):
        C.StepLR(opt, 3)


@pytest.mark.parametrize("lr", [0.0, 0.05, 2.5, torch.tensor(0.05), torch.tensor(0.25, dtype=torch.float64)])
def test_optimizer_rate_zero_tensor_or_large(lr):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    s = C.ExponentialLR(opt, 0.5)
    want = float(lr)
    assert s.lr == want and type(s.lr) is float and s.relative is True


@pytest.mark.parametrize("lr, shown", [(math.nan, "nan"), (math.inf, "inf"), (-0.5, "-0.5")])
def test_optimizer_rate_must_be_finite_and_non_negative(lr, shown):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    opt.defaults["lr"] = lr
    with pytest.raises(ValueError, match=re.escape(f"StepLR: the optimizer's lr must be finite and >= 0, "
                                                   f"got {shown}")):
        C.StepLR(opt, 3)


def test_is_optimizer_and_rate_kwargs():
    from lrkit.compat._rate import is_optimizer, rate_kwargs

    opt = _sgd(0.3)
    assert is_optimizer(opt) is True
    for other in (None, 0.1, 3, "lr", object(), C.StepLR(0.1, 2), {"param_groups": [], "defaults": {}}):
        assert not is_optimizer(other)
    assert rate_kwargs(None, 0.1, "f") == {"lr": 0.1}
    assert rate_kwargs(None, None, "f") == {"lr": None}
    assert rate_kwargs(opt, None, "f") == {"lr": 0.3, "relative": True}
    msg = "f: optimizer must be a torch.optim.Optimizer, got 0.5 (float)"
    with pytest.raises(TypeError, match=f"^{re.escape(msg)}$"):
        rate_kwargs(0.5, None, "f")
    msg = "f: give the optimizer or lr=, not both (with the optimizer the rate is each param group's own)"
    with pytest.raises(TypeError, match=f"^{re.escape(msg)}$"):
        rate_kwargs(opt, 0.1, "f")
    del opt.defaults["lr"]
    opt.param_groups.clear()
    with pytest.raises(ValueError, match="^g: the optimizer has no learning rate"):
        rate_kwargs(opt, None, "g")


# -- ReduceLROnPlateau -----------------------------------------------------------------------------
def test_reduce_on_plateau_defaults_are_torchs():
    p = C.ReduceLROnPlateau()
    assert p.lr == 1.0
    assert (p.mode, p.factor, p.patience, p.threshold, p.threshold_mode, p.cooldown, p.min_lr, p.eps) == \
        ("min", 0.1, 10, 1e-4, "rel", 0, 0.0, 1e-8)


def test_reduce_on_plateau_passes_every_argument_like_torch():
    kw = dict(mode="max", factor=0.5, patience=1, threshold=0.1, threshold_mode="abs", cooldown=1,
              min_lr=0.02, eps=0.01)
    ours = C.ReduceLROnPlateau(0.4, **kw)
    opt = _sgd(0.4)
    theirs = L.ReduceLROnPlateau(opt, **kw)
    for m in [1.0, 1.05, 1.08, 1.09, 1.2, 1.25, 1.26, 1.27, 1.28, 1.29, 1.3, 1.31, 1.32, 1.33]:
        theirs.step(m)
        assert ours.step(m) == opt.param_groups[0]["lr"]
    rel = C.ReduceLROnPlateau(1.0, threshold=0.1, patience=0)
    opt = _sgd(1.0)
    theirs = L.ReduceLROnPlateau(opt, threshold=0.1, patience=0)
    for m in [1.0, 0.95, 0.85, 0.8, 0.7]:
        theirs.step(m)
        assert rel.step(m) == opt.param_groups[0]["lr"]


# -- lrkit.compat: dialects on first access ------------------------------------------------------
def test_compat_getattr_and_dir():
    import lrkit.compat as compat

    assert compat.__getattr__("torch") is C
    with pytest.raises(AttributeError, match=re.escape("module 'lrkit.compat' has no attribute 'nope'")):
        compat.__getattr__("nope")
    names = dir(compat)
    assert names == sorted(names)
    assert {"DIALECTS", "importlib", "__getattr__", "torch", "keras", "deepspeed"} <= set(names)


def test_sequential_never_calls_the_first_function_before_step_0():
    # with a first milestone at 0 torch never evaluates the first scheduler past its step 0
    s = C.SequentialLR([C.LambdaLR(0.1, math.sqrt), C.StepLR(0.1, 2, 0.5)], [0])
    assert [s(t) for t in range(5)] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025], rel=1e-15)


def test_combinations_store_tuples():
    a, b = C.StepLR(0.1, 2), C.ExponentialLR(0.1, 0.5)
    seq = C.SequentialLR([a, b], [3.0])
    assert seq.schedulers == (a, b) and seq.milestones == (3,) and type(seq.milestones[0]) is int
    chain = C.ChainedScheduler([a, b])
    assert chain.schedulers == (a, b) and type(chain.schedulers) is tuple
    assert lrkit.from_config(chain.to_config()) == chain


def test_one_schedule_is_not_a_list_of_schedules():
    for make in (C.SequentialLR, C.ChainedScheduler):
        with pytest.raises(ValueError, match=re.escape(
                f"{make.__name__}: schedulers must be a non-empty list of schedules, got StepLR(lr=0.1, ")):
            make(C.StepLR(0.1, 2), *([[]] if make is C.SequentialLR else []))


def test_scale_fn_must_return_a_number():
    s = C.CyclicLR(0.01, 0.1, step_size_up=2, scale_fn=lambda x: "x")
    with pytest.raises(TypeError, match=re.escape("scale_fn must return a number, got 'x' (str)")):
        s(3)
    with pytest.raises(TypeError, match=re.escape("scale_fn must return a number, got 'x' (str)")):
        s.curve(4)


def test_takes_optimizer_on_a_new_class():
    from dataclasses import dataclass, field

    from lrkit.compat._rate import takes_optimizer

    @takes_optimizer()
    @dataclass
    class Demo:
        lr: float | None
        n: int = 1
        relative: bool = False

    @takes_optimizer("kw")
    @dataclass
    class Kw:
        n: int
        lr: float | None = field(default=None, kw_only=True)
        relative: bool = field(default=False, kw_only=True)

    @takes_optimizer("drop")
    @dataclass
    class Drop:
        n: int

    opt = _sgd(0.3)
    assert Demo(opt, 5) == Demo(0.3, 5, True) == Demo(optimizer=opt, n=5)
    assert Demo(0.1, 2) == Demo(0.1, 2, False)
    assert Kw(opt, 4) == Kw(4, lr=0.3, relative=True)
    assert Drop(opt, 7) == Drop(7) == Drop(optimizer=opt, n=7)
    with pytest.raises(TypeError, match=re.escape("Demo: give the optimizer or lr=, not both")):
        Demo(opt, lr=0.1)
    with pytest.raises(TypeError, match=re.escape("Demo: optimizer must be a torch.optim.Optimizer, got 0.5 "
                                                  "(float)")):
        Demo(optimizer=0.5)


def test_is_optimizer_needs_both_param_groups_and_defaults():
    import types

    from lrkit.compat._rate import is_optimizer, optimizer_rate

    assert not is_optimizer(types.SimpleNamespace(param_groups=[{"lr": 0.1}]))
    assert not is_optimizer(types.SimpleNamespace(defaults={"lr": 0.1}))
    assert is_optimizer(types.SimpleNamespace(param_groups=[{"lr": 0.1}], defaults={}))
    # (anything with a rate in its defaults has a rate, param groups or not)
    assert optimizer_rate(types.SimpleNamespace(defaults={"lr": 0.3}), "X") == 0.3


def test_optimizer_rate_as_a_one_element_array():
    # torch accepts any number-like lr; a one-element array or tensor is read with .item()
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=np.array([0.05]))
    s = C.StepLR(opt, 3)
    assert s.lr == 0.05 and type(s.lr) is float
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=torch.tensor([0.25]))
    assert C.StepLR(opt, 3).lr == 0.25


@pytest.mark.parametrize("kw, last", [
    ({"min_lr": 0.02}, 0.02),  # clamped at min_lr
    ({"min_lr": 0.02, "eps": 0.01}, 0.025),  # 0.025 -> 0.02 changes less than eps: not applied
])
def test_reduce_on_plateau_min_lr_and_eps_like_torch(kw, last):
    ours = C.ReduceLROnPlateau(0.4, factor=0.5, patience=0, **kw)
    opt = _sgd(0.4)
    theirs = L.ReduceLROnPlateau(opt, factor=0.5, patience=0, **kw)
    for _ in range(12):
        theirs.step(1.0)
        assert ours.step(1.0) == opt.param_groups[0]["lr"]
    assert opt.param_groups[0]["lr"] == pytest.approx(last, rel=1e-12)


# -- user functions: element by element, as the same kind of value ---------------------------------
def test_lambda_on_every_kind_of_step_keeps_kind_dtype_and_shape():
    s = C.LambdaLR(0.5, lambda e: 1.0 / (1 + e))
    want = np.array([[0.5, 0.25], [0.5 / 3, 0.125]])
    out = s(np.array([[0, 1], [2, 3]]))
    assert isinstance(out, np.ndarray) and out.shape == (2, 2)
    np.testing.assert_allclose(out, want, rtol=1e-15)
    t32 = s(torch.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=torch.float32))
    assert t32.dtype == torch.float32 and t32.shape == (2, 2) and t32.device.type == "cpu"
    np.testing.assert_allclose(t32.numpy(), want, rtol=1e-7)
    assert s(3) == 0.125 and type(s(3)) is float
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    with jax.enable_x64(True):
        j32 = s(jnp.asarray([[0.0, 1.0], [2.0, 3.0]], dtype=jnp.float32))
        assert j32.dtype == jnp.float32 and j32.shape == (2, 2)
        np.testing.assert_allclose(np.asarray(j32), want, rtol=1e-7)
        with pytest.raises(TypeError, match=re.escape(
                "lr_lambda is a Python function: it cannot be evaluated inside jax.jit; evaluate the "
                "schedule on concrete steps")):
            jax.jit(s)(jnp.arange(3.0))


@pytest.mark.parametrize("bad, shown", [("x", "'x' (str)"), ([0.5], "[0.5] (list)")])
def test_a_function_must_return_a_number(bad, shown):
    msg = f"lr_lambda must return a number, got {shown}"
    def f(e):
        return bad if e % 2 else 0.9

    for s in (C.LambdaLR(0.1, f), C.MultiplicativeLR(0.1, f)):
        with pytest.raises(TypeError, match=f"^{re.escape(msg)}$"):
            s(3)
        with pytest.raises(TypeError, match=f"^{re.escape(msg)}$"):
            s.curve(4)


def test_multiplicative_function_returning_tensors_or_arrays():
    # torch multiplies the rate by whatever the function returns; a number-like value is read
    s = C.MultiplicativeLR(0.1, lambda e: np.float32(0.5))
    assert s(3) == 0.1 * 0.5**3
    s = C.MultiplicativeLR(0.1, lambda e: np.array(0.5))
    assert s(2) == 0.1 * 0.25


def test_multiplicative_first_query_at_step_1():
    for k in (1, 2, 64, 65):
        s = C.MultiplicativeLR(0.1, _lam)
        want = 0.1
        for j in range(1, k + 1):
            want *= _lam(j)
        assert s(k) == want


def test_lambda_output_stays_on_the_steps_device_whatever_the_default_device():
    # (as after torch.set_default_device("cuda") with steps on the CPU; "meta" stands in for cuda)
    s = C.LambdaLR(0.5, lambda e: 1.0 / (1 + e))
    t = torch.arange(4.0, dtype=torch.float64)
    with torch.device("meta"):
        out = s(t)
    assert out.device == t.device
    np.testing.assert_allclose(out.numpy(), [0.5, 0.25, 0.5 / 3, 0.125], rtol=1e-15)


# -- CosineAnnealingLR far out ---------------------------------------------------------------------
def _mid_steps(T, first_t, count):
    """Steps 2kT + T/2 from about first_t on: the exact cosine is at its middle there."""
    k = np.arange(int(first_t // (2 * T)), int(first_t // (2 * T)) + count, dtype=np.float64)
    return 2.0 * k * T + T / 2


def test_cosine_annealing_huge_t_max_is_the_exact_cosine_however_far():
    # T_max = 1e9: cos(pi / T) rounds to 1, torch's recursion has no value to round like: lrkit
    # gives the exact periodic cosine at every step, even where torch's restart ratio does not
    # round to 0
    lr, eta, T = 0.1, 0.01, 10**9
    t = _mid_steps(T, 3e16, 2000)
    np.testing.assert_allclose(C.CosineAnnealingLR(lr, T, eta_min=eta)(t), (lr + eta) / 2, rtol=1e-6)


def test_cosine_annealing_far_out_where_the_torch_ratio_rounds_to_zero_is_exact():
    # torch restarts additively at s = (2j + 1) T + 1 (j the cycle pair before t); where
    # 1 + cos(pi s / T) rounds to 0 the ratio lift / a(s) is taken at its exact value (lr - eta) / 2
    lr, eta, T = 0.1, 0.01, 10**7
    t = _mid_steps(T, 8e15, 4000)
    j = np.floor((t - T - 1.0) / (2.0 * T))
    zero = 1.0 + np.cos(np.pi * ((2.0 * j + 1.0) * T + 1.0) / T) == 0
    assert zero.sum() >= 20
    v = C.CosineAnnealingLR(lr, T, eta_min=eta)(t)
    np.testing.assert_allclose(v[zero], (lr + eta) / 2, rtol=1e-6)


def test_cosine_annealing_far_out_stays_within_a_hair_of_its_range():
    lr, eta, T = 0.1, 0.01, 10**7
    slack = 1e-9 * (lr - eta)
    s = C.CosineAnnealingLR(lr, T, eta_min=eta)
    for first in (2e15, 4e15):
        v = s(_mid_steps(T, first, 4000))
        assert v.max() <= lr + slack and v.min() >= eta - slack


def test_lambda_on_a_step_tensor_that_requires_grad():
    s = C.LambdaLR(0.5, lambda e: 1.0 / (1 + e))
    t = torch.arange(4.0, dtype=torch.float64, requires_grad=True)
    out = s(t)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    np.testing.assert_allclose(out.detach().numpy(), [0.5, 0.25, 0.5 / 3, 0.125], rtol=1e-15)
