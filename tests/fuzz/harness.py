"""Fuzzing every registered schedule name with bad values and odd steps.

``BASE`` holds one valid keyword set per registered name (written by hand, not derived from lrkit).
:func:`probe` builds a schedule from a keyword set and evaluates it at odd steps, and classifies
what happened:

* ``ok``      -- built, and every value at every odd step is finite and >= 0;
* ``clean``   -- construction raised ``ValueError``/``TypeError`` (the message is checked to name
  the argument by the tests, not here);
* ``crash``   -- construction or evaluation raised anything else (``ZeroDivisionError``,
  ``OverflowError``, ``KeyError`` ...), or evaluation at a valid step raised at all;
* ``nonsense``-- built, but a value is NaN, negative, or infinite where the schedule does not grow;
* ``overflow``-- a *growing* schedule (a rate, gamma or peak factor above 1, no cap) whose exact
  value has passed the float range: ``+inf`` is then the correctly rounded value (IEEE), and
  drivers refuse to apply it (documented in docs/schedules.md);
* ``hang``    -- construction or one evaluation took longer than :data:`LIMIT` seconds.
"""

from __future__ import annotations

import math
import signal
from collections.abc import Iterator
from typing import Any

import numpy as np

import lrkit

LIMIT = 2.0

_C = {"type": "constant", "value": 0.1}
_COS = {"type": "cosine", "start": 0.1, "steps": 100}

BASE: dict[str, dict[str, Any]] = {
    "batch_growth": {"rate": _COS, "batch_size": 32, "max_batch_size": 256, "multiple_of": 8},
    "clip": {"schedule": _COS, "minimum": 0.01, "maximum": 0.05},
    "constant": {"value": 0.1},
    "cosine": {"start": 0.1, "steps": 100, "end": 0.001, "exponent": 1.0, "k": 1.0},
    "cosine_restarts": {"start": 0.1, "period": 10, "period_mult": 2.0, "peak_decay": 0.9, "end": 0.0},
    "cyclic": {"base": 0.01, "peak": 0.1, "step_size_up": 10, "step_size_down": 20, "mode": "exp_range",
               "gamma": 0.99},
    "deepspeed.LRRangeTest": {"lr_range_test_min_lr": 0.001, "lr_range_test_step_size": 20,
                              "lr_range_test_step_rate": 1.0, "lr_range_test_staircase": False},
    "deepspeed.OneCycle": {"cycle_min_lr": 0.01, "cycle_max_lr": 0.1, "decay_lr_rate": 0.01,
                           "cycle_first_step_size": 20, "decay_step_size": 10},
    "deepspeed.WarmupCosineLR": {"total_num_steps": 100, "warmup_min_ratio": 0.0, "warmup_num_steps": 10,
                                 "cos_min_ratio": 0.0001, "warmup_type": "log", "lr": 0.1},
    "deepspeed.WarmupDecayLR": {"warmup_min_lr": 0.0, "warmup_max_lr": 0.1, "warmup_num_steps": 10,
                                "total_num_steps": 100, "warmup_type": "linear"},
    "deepspeed.WarmupLR": {"warmup_min_lr": 0.0, "warmup_max_lr": 0.1, "warmup_num_steps": 10},
    "exponential": {"start": 0.1, "rate": 0.9, "decay_steps": 10, "staircase": False, "delay": 0.0},
    "geometric_step": {"start": 0.1, "total": 100, "factor": 0.5},
    "hf.constant": {"lr": 0.1},
    "hf.constant_with_warmup": {"num_warmup_steps": 10, "lr": 0.1},
    "hf.cosine": {"num_warmup_steps": 10, "num_training_steps": 100, "lr": 0.1, "num_cycles": 0.5},
    "hf.cosine_warmup_with_min_lr": {"num_warmup_steps": 10, "num_training_steps": 100, "lr": 0.1,
                                     "min_lr_rate": 0.1},
    "hf.cosine_with_min_lr": {"num_warmup_steps": 10, "num_training_steps": 100, "lr": 0.1, "min_lr": 0.001},
    "hf.cosine_with_restarts": {"num_warmup_steps": 10, "num_training_steps": 100, "lr": 0.1,
                                "num_cycles": 3},
    "hf.inverse_sqrt": {"num_warmup_steps": 10, "timescale": 20, "lr": 0.1},
    "hf.linear": {"num_warmup_steps": 10, "num_training_steps": 100, "lr": 0.1},
    "hf.polynomial": {"num_warmup_steps": 10, "num_training_steps": 100, "lr": 0.1, "lr_end": 1e-7,
                      "power": 2.0},
    "hf.warmup_stable_decay": {"num_warmup_steps": 10, "num_decay_steps": 20, "num_training_steps": 100,
                               "lr": 0.1},
    "inverse_sqrt": {"start": 0.1, "timescale": 100},
    "inverse_time": {"start": 0.1, "rate": 0.5, "decay_steps": 10, "staircase": False},
    "keras.CosineDecay": {"initial_learning_rate": 0.1, "decay_steps": 100, "alpha": 0.01,
                          "warmup_target": 0.2, "warmup_steps": 10},
    "keras.CosineDecayRestarts": {"initial_learning_rate": 0.1, "first_decay_steps": 10, "t_mul": 2.0,
                                  "m_mul": 0.9, "alpha": 0.01},
    "keras.ExponentialDecay": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9},
    "keras.InverseTimeDecay": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    "keras.LegacySGDDecay": {"learning_rate": 0.1, "decay": 0.01},
    "keras.PiecewiseConstantDecay": {"boundaries": [10, 20], "values": [0.1, 0.01, 0.001]},
    "keras.PolynomialDecay": {"initial_learning_rate": 0.1, "decay_steps": 100, "end_learning_rate": 0.001,
                              "power": 2.0, "cycle": True},
    "linear": {"start": 0.1, "end": 0.01, "steps": 100},
    "linear_cosine": {"start": 0.1, "steps": 100, "num_periods": 0.5, "alpha": 0.0, "beta": 0.001},
    "momentum_of": {"source": {"type": "one_cycle", "peak": 0.1, "total_steps": 100}},
    "multistep": {"start": 0.1, "milestones": [10, 20], "factor": 0.1},
    "natural_exp": {"start": 0.1, "rate": 0.5, "decay_steps": 10, "staircase": False},
    "noisy_linear_cosine": {"start": 0.1, "steps": 100, "seed": 3},
    "one_cycle": {"peak": 0.1, "total_steps": 100, "pct_start": 0.3, "three_phase": True},
    "on_plateau": {"schedule": _COS, "factor": 0.5, "patience": 2, "start": 5, "stop": 80,
                   "then": {"type": "linear", "start": 1.0, "end": 0.0, "steps": 20}},
    "optax.constant_schedule": {"value": 0.1},
    "optax.cosine_decay_schedule": {"init_value": 0.1, "decay_steps": 100, "alpha": 0.01, "exponent": 1.0},
    "optax.cosine_onecycle_schedule": {"transition_steps": 100, "peak_value": 0.1},
    "optax.exponential_decay": {"init_value": 0.1, "transition_steps": 10, "decay_rate": 0.9,
                                "transition_begin": 5, "end_value": 0.01},
    "optax.join_schedules": {"schedules": [_C, _COS], "boundaries": [10]},
    "optax.linear_onecycle_schedule": {"transition_steps": 100, "peak_value": 0.1},
    "optax.linear_schedule": {"init_value": 0.1, "end_value": 0.01, "transition_steps": 100,
                              "transition_begin": 5},
    "optax.piecewise_constant_schedule": {"init_value": 0.1, "boundaries_and_scales": {"10": 0.5, "20": 0.5}},
    "optax.piecewise_interpolate_schedule": {"interpolate_type": "cosine", "init_value": 0.1,
                                             "boundaries_and_scales": {"10": 0.5, "20": 0.5}},
    "optax.polynomial_schedule": {"init_value": 0.1, "end_value": 0.001, "power": 2.0,
                                  "transition_steps": 100},
    "optax.sgdr_schedule": {"cosine_kwargs": [{"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 5,
                                               "decay_steps": 50}]},
    "optax.warmup_constant_schedule": {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 10},
    "optax.warmup_cosine_decay_schedule": {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 10,
                                           "decay_steps": 100, "end_value": 0.001},
    "optax.warmup_exponential_decay_schedule": {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 10,
                                                "transition_steps": 10, "decay_rate": 0.9},
    "piecewise": {"values": [0.1, 0.01, 0.001], "boundaries": [10, 20]},
    "polynomial": {"start": 0.1, "steps": 100, "end": 0.001, "power": 2.0, "cycle": False},
    "product": {"schedules": [_C, _COS]},
    "restarts": {"schedule": _COS, "period": 100, "period_mult": 2.0, "peak_decay": 0.5},
    "scale": {"schedule": _COS, "factor": 0.5},
    "scale_lr": {"base_lr": 0.1, "batch_size": 1024, "reference_batch": 256, "rule": "sqrt", "warmup": 10},
    "sequence": {"phases": [_C, _COS], "boundaries": [10]},
    "step": {"start": 0.1, "factor": 0.5, "step_size": 10},
    "tanh": {"start": 0.1, "steps": 100, "end": 0.0},
    "tf1.SGDRDecay": {"initial_learning_rate": 0.1, "first_decay_steps": 10, "t_mul": 2.0, "m_mul": 0.9},
    "tf1.cosine_decay": {"learning_rate": 0.1, "decay_steps": 100, "alpha": 0.01},
    "tf1.cosine_decay_restarts": {"learning_rate": 0.1, "first_decay_steps": 10, "t_mul": 2.0, "m_mul": 0.9},
    "tf1.exponential_decay": {"learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9, "staircase": True},
    "tf1.inverse_time_decay": {"learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    "tf1.linear_cosine_decay": {"learning_rate": 0.1, "decay_steps": 100},
    "tf1.natural_exp_decay": {"learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    "tf1.noisy_linear_cosine_decay": {"learning_rate": 0.1, "decay_steps": 100, "seed": 1},
    "tf1.piecewise_constant": {"boundaries": [10, 20], "values": [0.1, 0.01, 0.001]},
    "tf1.polynomial_decay": {"learning_rate": 0.1, "decay_steps": 100, "end_learning_rate": 0.001,
                             "cycle": True},
    "time_based": {"start": 0.1, "decay": 0.01},
    "timm.cosine": {"lr": 0.1, "t_initial": 100, "lr_min": 0.001, "warmup_t": 5, "warmup_lr_init": 0.001},
    "timm.multistep": {"lr": 0.1, "decay_t": [10, 20], "decay_rate": 0.5, "warmup_t": 3},
    "timm.poly": {"lr": 0.1, "t_initial": 100, "power": 0.5, "warmup_t": 5},
    "timm.step": {"lr": 0.1, "decay_t": 10, "decay_rate": 0.5},
    "timm.tanh": {"lr": 0.1, "t_initial": 100},
    "timm.wsd": {"lr": 0.1, "t_initial": 100, "decay_t": 20},
    "torch.ChainedScheduler": {"schedulers": [{"type": "torch.StepLR", "lr": 0.1, "step_size": 10},
                                              {"type": "torch.ExponentialLR", "lr": 0.1, "gamma": 0.99}]},
    "torch.ConstantLR": {"lr": 0.1, "factor": 0.5, "total_iters": 5},
    "torch.CosineAnnealingLR": {"lr": 0.1, "T_max": 100, "eta_min": 0.001},
    "torch.CosineAnnealingWarmRestarts": {"lr": 0.1, "T_0": 10, "T_mult": 2, "eta_min": 0.001},
    "torch.CyclicLR": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 10, "mode": "exp_range",
                       "gamma": 0.99},
    "torch.ExponentialLR": {"lr": 0.1, "gamma": 0.99},
    "torch.LinearLR": {"lr": 0.1, "start_factor": 0.1, "end_factor": 1.0, "total_iters": 10},
    "torch.MultiStepLR": {"lr": 0.1, "milestones": [10, 20], "gamma": 0.1},
    "torch.OneCycleLR": {"max_lr": 0.1, "total_steps": 100},
    "torch.PolynomialLR": {"lr": 0.1, "total_iters": 50, "power": 2.0},
    "torch.SequentialLR": {"schedulers": [{"type": "torch.ConstantLR", "lr": 0.1, "factor": 0.5,
                                           "total_iters": 5},
                                          {"type": "torch.ExponentialLR", "lr": 0.1, "gamma": 0.9}],
                           "milestones": [5]},
    "torch.StepLR": {"lr": 0.1, "step_size": 10, "gamma": 0.5},
    "warmup": {"schedule": _COS, "steps": 10, "start": 0.0, "shape": "cosine"},
    "wsd": {"peak": 0.1, "total": 100, "decay_steps": 20, "warmup_steps": 10},
}
# Callables cannot be written in a config; these names take one and are fuzzed with a lambda.
CALLABLE_ONLY = {"torch.LambdaLR", "torch.MultiplicativeLR"}

# Odd steps: integers and floats around the int32/float32/float64 limits, far past every horizon.
STEPS: tuple[float, ...] = (0, 1, 0.5, 99.5, 2**24 + 1, 2**31 - 1, 2**31, 10**9, 2**53 + 2, 1e18, 1e300)

# Bad or extreme values tried in every argument slot.
BAD_VALUES: tuple[Any, ...] = (
    0, -1, -0.0, 0.5, 1, 2, 800, 1e-300, 1e300, 2**31, 10**9, 2**1100, float("nan"), float("inf"),
    -float("inf"), True, "x", "3e-4", None, [], [1, 2], {}, [float("nan")],
)


def registered() -> list[str]:
    return [n for n in lrkit.names() if n not in CALLABLE_ONLY]


class Hang(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise Hang


def _timed(fn: Any) -> Any:
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, LIMIT)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _bad(values: Any) -> bool:
    arr = np.asarray(values, dtype=np.float64)
    return bool((~np.isfinite(arr)).any() or (arr < 0).any())


# Arguments that make a schedule grow without bound when above 1 (no cap given).
GROWTH_ARGS = {"rate", "factor", "gamma", "peak_decay", "m_mul", "decay_rate", "lr_range_test_step_rate",
               "lr_range_test_min_lr"}


def grows(key: str, value: Any) -> bool:
    """Whether ``key=value`` makes the schedule grow without bound (``+inf`` is then expected)."""
    return key in GROWTH_ARGS and isinstance(value, (int, float)) and value > 1


def probe(name: str, kwargs: dict[str, Any], growth: bool = False) -> tuple[str, str]:
    """``(outcome, detail)`` for building ``name(**kwargs)`` and evaluating it at :data:`STEPS`;
    ``growth`` says that the schedule grows without bound, so ``+inf`` far out is expected."""
    cfg = {"type": name, **kwargs}
    try:
        sched = _timed(lambda: lrkit.from_config(cfg))
    except Hang:
        return "hang", "construction"
    except (ValueError, TypeError) as exc:
        return "clean", str(exc)
    except Exception as exc:  # noqa: BLE001 - this is what we count
        return "crash", f"construction: {type(exc).__name__}: {exc}"
    seen: list[float] = []
    for step in sorted(STEPS):
        try:
            value = _timed(lambda s=step: sched(s))
        except Hang:
            return "hang", f"step {step}"
        except Exception as exc:  # noqa: BLE001
            return "crash", f"step {step}: {type(exc).__name__}: {exc}"
        if not isinstance(value, float) or math.isnan(value) or value < 0:
            return "nonsense", f"step {step}: {value!r}"
        if value == math.inf:
            return ("overflow" if growth else "nonsense"), f"step {step}: inf after {seen}"
        seen.append(value)
    try:
        arr = _timed(lambda: sched(np.asarray(STEPS, dtype=np.float64)))
    except Hang:
        return "hang", "array"
    except Exception as exc:  # noqa: BLE001
        return "crash", f"array: {type(exc).__name__}: {exc}"
    if _bad(arr):
        return "nonsense", f"array: {np.asarray(arr).tolist()}"
    if not np.allclose(np.asarray(arr), [sched(s) for s in STEPS], rtol=1e-12, atol=0.0):
        return "nonsense", "the array path differs from the scalar path"
    return "ok", ""


def mutations(name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every argument of ``BASE[name]`` replaced by every value of :data:`BAD_VALUES`."""
    base = BASE[name]
    for key in base:
        for bad in BAD_VALUES:
            yield key, {**base, key: bad}
