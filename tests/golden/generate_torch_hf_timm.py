"""Golden values for lrkit.compat.torch / .transformers / .timm, produced by the real libraries.

Run from the repository root (needs torch, transformers and timm; timm is loaded without
torchvision, see ``timm_module``)::

    .venv/bin/python tests/golden/generate_torch_hf_timm.py

Each case is an lrkit config (``{"type": "torch.OneCycleLR", "max_lr": 1.0, ...}``) that this
script turns into the peer's own scheduler on a one-parameter SGD optimizer; the rate (and
momentum) is recorded at every step ``t = 0 .. n`` (past the end of the schedule), after ``t``
calls of ``step()`` (torch, transformers) or of ``step(t)`` / ``step_update(t)`` (timm), and at a
few steps far past the end (``far``: 1 000 and 20 000 calls of ``step()``; timm's ``t`` = 10 000
and 1 000 000).
Files written next to this script: ``torch_schedulers.json``, ``hf_schedulers.json``,
``timm_schedulers.json``. The tests import the case lists and runners from here for their live
comparisons.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import sys
import types
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# -- cases ------------------------------------------------------------------------------------
# (name, lrkit config, number of steps recorded after step 0)
TORCH_CASES: list[tuple[str, dict[str, Any], int]] = [
    ("step", {"type": "torch.StepLR", "lr": 0.1, "step_size": 7, "gamma": 0.5}, 60),
    ("step_size1", {"type": "torch.StepLR", "lr": 0.3, "step_size": 1, "gamma": 0.9}, 40),
    ("multistep", {"type": "torch.MultiStepLR", "lr": 0.1, "milestones": [3, 10, 10, 25],
                   "gamma": 0.3}, 40),
    ("multistep_zero", {"type": "torch.MultiStepLR", "lr": 0.05, "milestones": [0, 6],
                        "gamma": 0.5}, 12),
    ("constant", {"type": "torch.ConstantLR", "lr": 0.1, "factor": 0.3, "total_iters": 4}, 12),
    ("constant_default", {"type": "torch.ConstantLR", "lr": 0.02}, 10),
    ("linear", {"type": "torch.LinearLR", "lr": 0.1, "start_factor": 0.25, "end_factor": 1.0,
                "total_iters": 8}, 20),
    ("linear_down0", {"type": "torch.LinearLR", "lr": 0.1, "start_factor": 1.0,
                      "end_factor": 0.0, "total_iters": 10}, 20),
    ("exponential", {"type": "torch.ExponentialLR", "lr": 0.1, "gamma": 0.97}, 300),
    ("polynomial", {"type": "torch.PolynomialLR", "lr": 0.1, "total_iters": 20, "power": 0.9},
     40),
    ("polynomial_sq", {"type": "torch.PolynomialLR", "lr": 1.0, "total_iters": 9, "power": 2.0},
     15),
    ("cosine", {"type": "torch.CosineAnnealingLR", "lr": 0.1, "T_max": 10}, 55),
    ("cosine_eta", {"type": "torch.CosineAnnealingLR", "lr": 0.1, "T_max": 100,
                    "eta_min": 0.001}, 450),
    ("cosine_long", {"type": "torch.CosineAnnealingLR", "lr": 0.5, "T_max": 1000}, 2600),
    ("cosine_T1", {"type": "torch.CosineAnnealingLR", "lr": 0.1, "T_max": 1}, 8),
    ("warm_restarts", {"type": "torch.CosineAnnealingWarmRestarts", "lr": 0.1, "T_0": 5,
                       "T_mult": 2, "eta_min": 0.001}, 200),
    ("warm_restarts_m1", {"type": "torch.CosineAnnealingWarmRestarts", "lr": 0.1, "T_0": 7},
     40),
    ("warm_restarts_m3", {"type": "torch.CosineAnnealingWarmRestarts", "lr": 0.2, "T_0": 1,
                          "T_mult": 3}, 130),
    ("onecycle", {"type": "torch.OneCycleLR", "max_lr": 1.0, "total_steps": 100}, 100),
    ("onecycle_three_linear", {"type": "torch.OneCycleLR", "max_lr": 0.5, "total_steps": 50,
                               "three_phase": True, "anneal_strategy": "linear",
                               "base_momentum": 0.8, "max_momentum": 0.9}, 50),
    ("onecycle_epochs", {"type": "torch.OneCycleLR", "max_lr": 0.1, "epochs": 3,
                         "steps_per_epoch": 7, "pct_start": 0.25, "div_factor": 10.0,
                         "final_div_factor": 100.0}, 21),
    ("cyclic", {"type": "torch.CyclicLR", "base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5},
     60),
    ("cyclic_tri2", {"type": "torch.CyclicLR", "base_lr": 0.001, "max_lr": 0.1,
                     "step_size_up": 4, "step_size_down": 7, "mode": "triangular2"}, 60),
    ("cyclic_exp", {"type": "torch.CyclicLR", "base_lr": 0.01, "max_lr": 0.1,
                    "step_size_up": 3, "mode": "exp_range", "gamma": 0.99,
                    "base_momentum": 0.7, "max_momentum": 0.95}, 60),
    ("sequential", {"type": "torch.SequentialLR", "milestones": [5, 25], "schedulers": [
        {"type": "torch.LinearLR", "lr": 0.1, "start_factor": 0.1, "total_iters": 5},
        {"type": "torch.CosineAnnealingLR", "lr": 0.1, "T_max": 20, "eta_min": 0.001},
        {"type": "torch.ExponentialLR", "lr": 0.1, "gamma": 0.9}]}, 45),
    ("sequential_restart", {"type": "torch.SequentialLR", "milestones": [6], "schedulers": [
        {"type": "torch.StepLR", "lr": 0.1, "step_size": 2, "gamma": 0.5},
        {"type": "torch.StepLR", "lr": 0.1, "step_size": 3, "gamma": 0.1}]}, 15),
    ("chained", {"type": "torch.ChainedScheduler", "schedulers": [
        {"type": "torch.ConstantLR", "lr": 0.1, "factor": 0.5, "total_iters": 4},
        {"type": "torch.ExponentialLR", "lr": 0.1, "gamma": 0.9},
        {"type": "torch.LinearLR", "lr": 0.1, "start_factor": 0.2, "total_iters": 6}]}, 30),
    ("chained_after_overwrite", {"type": "torch.ChainedScheduler", "schedulers": [
        {"type": "torch.ExponentialLR", "lr": 0.1, "gamma": 0.8},
        {"type": "torch.CosineAnnealingWarmRestarts", "lr": 0.1, "T_0": 6},
        {"type": "torch.StepLR", "lr": 0.1, "step_size": 4, "gamma": 0.5},
        {"type": "torch.MultiStepLR", "lr": 0.1, "milestones": [0, 5]}]}, 20),
]

HF_CASES: list[tuple[str, dict[str, Any], int]] = [
    ("linear", {"type": "hf.linear", "lr": 0.1, "num_warmup_steps": 5,
                "num_training_steps": 50}, 70),
    ("linear_nowarm", {"type": "hf.linear", "lr": 3e-4, "num_warmup_steps": 0,
                       "num_training_steps": 20}, 30),
    ("cosine", {"type": "hf.cosine", "lr": 0.1, "num_warmup_steps": 5,
                "num_training_steps": 50}, 120),
    ("cosine_cycles", {"type": "hf.cosine", "lr": 2e-5, "num_warmup_steps": 3,
                       "num_training_steps": 30, "num_cycles": 1.5}, 60),
    ("cosine_restarts", {"type": "hf.cosine_with_restarts", "lr": 0.1, "num_warmup_steps": 4,
                         "num_training_steps": 40, "num_cycles": 3}, 60),
    ("polynomial", {"type": "hf.polynomial", "lr": 0.1, "num_warmup_steps": 4,
                    "num_training_steps": 40, "lr_end": 1e-4, "power": 2.0}, 60),
    ("polynomial_default", {"type": "hf.polynomial", "lr": 1e-3, "num_warmup_steps": 0,
                            "num_training_steps": 25}, 35),
    ("constant", {"type": "hf.constant", "lr": 0.07}, 5),
    ("constant_with_warmup", {"type": "hf.constant_with_warmup", "lr": 0.1,
                              "num_warmup_steps": 7}, 20),
    ("inverse_sqrt", {"type": "hf.inverse_sqrt", "lr": 0.1, "num_warmup_steps": 7}, 60),
    ("inverse_sqrt_timescale", {"type": "hf.inverse_sqrt", "lr": 0.1, "num_warmup_steps": 0,
                                "timescale": 13}, 60),
    ("cosine_min_lr", {"type": "hf.cosine_with_min_lr", "lr": 0.1, "num_warmup_steps": 5,
                       "num_training_steps": 50, "min_lr": 1e-3}, 80),
    ("cosine_min_lr_rate", {"type": "hf.cosine_with_min_lr", "lr": 0.1, "num_warmup_steps": 5,
                            "num_training_steps": 50, "min_lr_rate": 0.1, "num_cycles": 1.0},
     80),
    ("cosine_warmup_min_lr", {"type": "hf.cosine_warmup_with_min_lr", "lr": 0.1,
                              "num_warmup_steps": 5, "num_training_steps": 50,
                              "min_lr_rate": 0.1}, 70),
    ("cosine_warmup_min_lr_rate", {"type": "hf.cosine_warmup_with_min_lr", "lr": 0.1,
                                   "num_warmup_steps": 5, "num_training_steps": 50,
                                   "min_lr": 1e-3, "warmup_lr_rate": 0.2}, 70),
    ("wsd", {"type": "hf.warmup_stable_decay", "lr": 0.1, "num_warmup_steps": 5,
             "num_training_steps": 50, "num_decay_steps": 10, "min_lr_ratio": 0.1}, 60),
    ("wsd_sqrt", {"type": "hf.warmup_stable_decay", "lr": 0.1, "num_warmup_steps": 6,
                  "num_decay_steps": 9, "num_stable_steps": 11, "warmup_type": "1-sqrt",
                  "decay_type": "1-sqrt"}, 40),
    ("wsd_cos_lin", {"type": "hf.warmup_stable_decay", "lr": 0.1, "num_warmup_steps": 6,
                     "num_training_steps": 40, "num_decay_steps": 9, "warmup_type": "cosine",
                     "decay_type": "linear"}, 50),
]

TIMM_CASES: list[tuple[str, dict[str, Any], int]] = [
    ("cosine", {"type": "timm.cosine", "lr": 0.1, "t_initial": 20}, 30),
    ("cosine_warmup", {"type": "timm.cosine", "lr": 0.1, "t_initial": 30, "lr_min": 1e-4,
                       "warmup_t": 5, "warmup_lr_init": 1e-5}, 40),
    ("cosine_prefix_cycles", {"type": "timm.cosine", "lr": 0.1, "t_initial": 10, "lr_min": 1e-3,
                              "cycle_decay": 0.5, "cycle_limit": 3, "warmup_t": 3,
                              "warmup_prefix": True, "k_decay": 1.5}, 45),
    ("cosine_mul", {"type": "timm.cosine", "lr": 0.1, "t_initial": 4, "cycle_mul": 2.0,
                    "cycle_limit": 4, "cycle_decay": 0.8}, 70),
    ("cosine_mul15", {"type": "timm.cosine", "lr": 0.1, "t_initial": 6, "cycle_mul": 1.5,
                      "cycle_limit": 5, "t_in_epochs": False}, 90),
    ("cosine_mul3_logmiss", {"type": "timm.cosine", "lr": 0.1, "t_initial": 1, "cycle_mul": 3.0,
                             "cycle_limit": 10, "lr_min": 0.001}, 130),
    ("cosine_noise", {"type": "timm.cosine", "lr": 0.1, "t_initial": 30, "noise_range_t": 10,
                      "noise_pct": 0.3, "noise_std": 0.5, "noise_seed": 7}, 40),
    ("cosine_noise_range", {"type": "timm.cosine", "lr": 0.1, "t_initial": 30,
                            "noise_range_t": [5, 20]}, 40),
    ("tanh", {"type": "timm.tanh", "lr": 0.1, "t_initial": 20}, 30),
    ("tanh_warmup", {"type": "timm.tanh", "lr": 0.1, "t_initial": 20, "warmup_t": 4,
                     "warmup_lr_init": 1e-4, "lr_min": 1e-4, "lb": -5.0, "ub": 4.0}, 30),
    ("tanh_prefix_cycles", {"type": "timm.tanh", "lr": 0.1, "t_initial": 8, "warmup_t": 3,
                            "warmup_prefix": True, "cycle_limit": 3, "cycle_mul": 2.0,
                            "cycle_decay": 0.5}, 70),
    ("step", {"type": "timm.step", "lr": 0.1, "decay_t": 5, "decay_rate": 0.5}, 30),
    ("step_warmup", {"type": "timm.step", "lr": 0.1, "decay_t": 4, "decay_rate": 0.7,
                     "warmup_t": 3, "warmup_lr_init": 0.01}, 30),
    ("step_warmup_noprefix", {"type": "timm.step", "lr": 0.1, "decay_t": 4.5, "decay_rate": 0.7,
                              "warmup_t": 3, "warmup_prefix": False}, 30),
    ("multistep", {"type": "timm.multistep", "lr": 0.1, "decay_t": [5, 10, 10, 20],
                   "decay_rate": 0.5}, 30),
    ("multistep_warmup", {"type": "timm.multistep", "lr": 0.1, "decay_t": [4, 9],
                          "decay_rate": 0.1, "warmup_t": 3, "warmup_lr_init": 1e-3}, 20),
    ("poly", {"type": "timm.poly", "lr": 0.1, "t_initial": 20}, 30),
    ("poly_cycles", {"type": "timm.poly", "lr": 0.1, "t_initial": 10, "power": 2.0,
                     "lr_min": 1e-3, "cycle_limit": 3, "cycle_decay": 0.7, "warmup_t": 4,
                     "warmup_lr_init": 1e-4, "k_decay": 0.8}, 45),
    ("wsd", {"type": "timm.wsd", "lr": 0.1, "t_initial": 30, "decay_t": 10}, 40),
    ("wsd_rsqrt", {"type": "timm.wsd", "lr": 0.1, "t_initial": 30, "decay_t": 8, "warmup_t": 5,
                   "warmup_lr_init": 1e-3, "stable_fn": "rsqrt", "decay_fn": "linear",
                   "lr_min": 1e-4}, 45),
    ("wsd_power_exp", {"type": "timm.wsd", "lr": 0.1, "t_initial": 20, "decay_t": 12,
                       "stable_fn": "power", "stable_timescale": 4.0, "stable_power": 0.3,
                       "decay_fn": "exp", "decay_ratio": 0.05}, 30),
    ("wsd_cos_pow", {"type": "timm.wsd", "lr": 0.1, "t_initial": 20, "decay_t": 20,
                     "decay_fn": "power", "decay_power": 2.0, "warmup_t": 2}, 30),
    ("wsd_cosine", {"type": "timm.wsd", "lr": 0.1, "t_initial": 20, "decay_t": 7,
                    "decay_fn": "cosine", "lr_min": 0.01}, 30),
]


# -- torch ------------------------------------------------------------------------------------
def _optimizer(lr: float) -> Any:
    import torch

    p = torch.nn.Parameter(torch.zeros(1))
    return torch.optim.SGD([p], lr=lr, momentum=0.9)


def torch_scheduler(cfg: dict[str, Any], opt: Any) -> Any:
    """The torch scheduler an lrkit ``torch.*`` config describes, on ``opt``."""
    from torch.optim import lr_scheduler as L

    cfg = copy.deepcopy(cfg)
    name = cfg.pop("type").split(".", 1)[1]
    cfg.pop("lr", None)
    if name in ("SequentialLR", "ChainedScheduler"):
        subs = [torch_scheduler(c, opt) for c in cfg.pop("schedulers")]
        if name == "SequentialLR":
            return L.SequentialLR(opt, subs, **cfg)
        return L.ChainedScheduler(subs)
    return getattr(L, name)(opt, **cfg)


def _base_lr(cfg: dict[str, Any]) -> float:
    if cfg.get("lr") is not None:
        return cfg["lr"]
    if "schedulers" in cfg:
        return _base_lr(cfg["schedulers"][0])
    return 1.0  # OneCycleLR/CyclicLR overwrite the optimizer's rate


def run_torch(cfg: dict[str, Any], n: int, far: tuple[int, ...] = ()) -> dict[str, Any]:
    """Rate and momentum of the single param group after ``t = 0..n`` calls of ``step()``, and
    the rate after each of the ``far`` numbers of calls (``OneCycleLR`` raises past its end, so
    it gets none)."""
    if _has_type(cfg, "torch.OneCycleLR"):
        far = ()
    opt = _optimizer(_base_lr(cfg))
    far_values: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = torch_scheduler(cfg, opt)
        lr, mom = [opt.param_groups[0]["lr"]], [opt.param_groups[0]["momentum"]]
        for k in range(1, max((n, *far)) + 1):
            opt.step()
            try:
                sched.step()
            except (OverflowError, ValueError) as exc:  # CyclicLR triangular2: 2.0 ** cycle
                if k <= n:
                    raise
                far_values["raises"] = f"{type(exc).__name__} at step {k}"
                break
            if k <= n:
                lr.append(opt.param_groups[0]["lr"])
                mom.append(opt.param_groups[0]["momentum"])
            if k in far:
                far_values[str(k)] = float(opt.param_groups[0]["lr"])
    return {"lr": [float(v) for v in lr], "momentum": [float(v) for v in mom], "far": far_values}


def _has_type(cfg: dict[str, Any], name: str) -> bool:
    return cfg.get("type") == name or any(_has_type(c, name) for c in cfg.get("schedulers", ()))


# -- transformers -------------------------------------------------------------------------------
def run_hf(cfg: dict[str, Any], n: int, far: tuple[int, ...] = ()) -> dict[str, Any]:
    """Rate after ``t = 0..n`` steps of ``transformers.get_scheduler(...)`` (and after each of
    the ``far`` numbers of steps)."""
    import transformers

    cfg = copy.deepcopy(cfg)
    name = cfg.pop("type").split(".", 1)[1]
    opt = _optimizer(cfg.pop("lr", 1.0))
    warm = cfg.pop("num_warmup_steps", None)
    total = cfg.pop("num_training_steps", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = transformers.get_scheduler(name, opt, num_warmup_steps=warm,
                                           num_training_steps=total,
                                           scheduler_specific_kwargs=cfg)
        lr = [opt.param_groups[0]["lr"]]
        far_values: dict[str, float] = {}
        for k in range(1, max((n, *far)) + 1):
            opt.step()
            sched.step()
            if k <= n:
                lr.append(opt.param_groups[0]["lr"])
            if k in far:
                far_values[str(k)] = float(opt.param_groups[0]["lr"])
    return {"lr": [float(v) for v in lr], "far": far_values}


# -- timm -------------------------------------------------------------------------------------
def timm_module(name: str) -> Any:
    """``timm.scheduler.<name>`` without importing ``timm/__init__`` (which needs torchvision).

    When torchvision is missing, stand-in package objects for ``timm`` and ``timm.scheduler``
    point at the installed sources so that only the scheduler files are executed.
    """
    full = f"timm.scheduler.{name}"
    if full in sys.modules:
        return sys.modules[full]
    if "timm" in sys.modules:
        return importlib.import_module(full)
    spec = importlib.util.find_spec("timm")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("timm is not installed")
    if importlib.util.find_spec("torchvision") is None:
        root = Path(list(spec.submodule_search_locations)[0])
        for pkg, path in (("timm", root), ("timm.scheduler", root / "scheduler")):
            mod = types.ModuleType(pkg)
            mod.__path__ = [str(path)]  # type: ignore[attr-defined]
            sys.modules[pkg] = mod
    return importlib.import_module(full)


_TIMM_CLASSES = {
    "cosine": ("cosine_lr", "CosineLRScheduler"),
    "tanh": ("tanh_lr", "TanhLRScheduler"),
    "step": ("step_lr", "StepLRScheduler"),
    "multistep": ("multistep_lr", "MultiStepLRScheduler"),
    "poly": ("poly_lr", "PolyLRScheduler"),
    "wsd": ("wsd_lr", "WSDLRScheduler"),
}


def timm_version() -> str:
    from importlib.metadata import version

    return version("timm")


def run_timm(cfg: dict[str, Any], n: int, far: tuple[int, ...] = ()) -> dict[str, Any]:
    """Rate timm sets for ``t = 0..n`` and for each ``t`` in ``far`` (``step(t)``, or
    ``step_update(t)`` when not ``t_in_epochs``)."""
    cfg = copy.deepcopy(cfg)
    module, cls = _TIMM_CLASSES[cfg.pop("type").split(".", 1)[1]]
    opt = _optimizer(cfg.pop("lr"))
    sched = getattr(timm_module(module), cls)(opt, **cfg)
    values = {}
    for t in (*range(n + 1), *far):
        if cfg.get("t_in_epochs", True):
            sched.step(t)
        else:
            sched.step_update(t)
        values[t] = float(opt.param_groups[0]["lr"])
    return {"lr": [values[t] for t in range(n + 1)], "far": {str(t): values[t] for t in far}}


# -- writing ------------------------------------------------------------------------------------
def _write(path: Path, library: str, version: str, cases: list[tuple[str, dict, int]],
           run: Any, far: tuple[int, ...]) -> None:
    out = {"library": library, "version": version, "generator": Path(__file__).name, "cases": []}
    for name, cfg, n in cases:
        out["cases"].append({"name": name, "config": cfg, "n": n, **run(cfg, n, far)})
    path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path.name}: {len(cases)} cases")


def main() -> None:
    import torch
    import transformers

    _write(HERE / "torch_schedulers.json", "torch", torch.__version__, TORCH_CASES, run_torch,
           (1_000, 20_000))
    _write(HERE / "hf_schedulers.json", "transformers", transformers.__version__, HF_CASES, run_hf,
           (1_000, 20_000))
    _write(HERE / "timm_schedulers.json", "timm", timm_version(), TIMM_CASES, run_timm,
           (10_000, 1_000_000))


if __name__ == "__main__":
    main()
