"""Quality of LR-finder suggestions against a measured ground truth (issue 5 protocol).

Tasks (real data shipped with scikit-learn, 70/30 stratified split, batch 64, 30 epochs):

* ``digits_mlp``  -- digits (8x8, /16), MLP 64-128-10
* ``digits_cnn``  -- digits as 1x8x8 images, conv16-pool-conv32-pool-fc10
* ``cancer_mlp``  -- breast_cancer (standardised on the train split), MLP 30-32-2

each with SGD (momentum 0.9) and with Adam.  Ground truth: 13 log-spaced rates from 1e-4 to 3,
3 seeds each, trained once with a one-cycle schedule at that peak (``lrkit.OneCycle``, torch's
defaults, learning rate only) and once at that constant rate.  The *best band* of a task and
schedule is the set of grid rates whose mean test accuracy is within 1 point of the best mean.

Then every finder rule runs with 5 seeds per task (the range test itself is seeded), the model is
trained at the rule's suggestion with the same seed, and per rule we report: the share of
suggestions inside the best band (a suggestion is in band when it lies between the smallest and
the largest band rate, the band widened by half a grid step on each side), mean and worst accuracy
gap to the best grid mean, runs more than 10 points below the best, the spread of the suggestion
across seeds (max/min; median and worst over tasks), and the cost of the test relative to the
grid and to one training run (in optimizer steps).

Peers measured in the same run:

* torch-lr-finder 0.2.2 (installed): its own ``LRFinder.range_test`` (exp, 1e-7..10, 100 iters)
  and the steepest-gradient suggestion of its ``plot(suggest_lr=True)``;
* Lightning 2.6's ``_LRFinder.suggestion()`` (steepest gradient of the smoothed loss against the
  rate), called live on a curve recorded by lrkit's loop with Lightning's defaults (1e-8..1,
  100 steps, EMA 0.98 debiased, stop at 4x the best) -- a full ``Trainer.tune`` run is not used;
* fastai's ``minimum``, ``steep`` and ``valley`` rules.  fastai is NOT installed here (it needs
  torchvision, which this environment must not install); the rules are re-implemented from their
  documented definitions and applied to a fastai-style curve (1e-7..10 over 100 steps, loss
  smoothed with beta 0.98 and debiased, stop at 4x the best, trimmed ``[num_it//10 : -5]``).

Held-out tasks (``--suite heldout``), never used to choose any constant of lrkit's rule, same
protocol (13 rates x 3 seeds per schedule, 5 finder seeds):

* ``wine_mlp``      -- wine (standardised on the train split), MLP 13-32-3
* ``digits_logreg`` -- digits (8x8, /16), a linear softmax model 64-10
* ``synth_mlp``     -- ``make_classification`` (3000 samples, 20 features, 4 classes, seed 0,
  standardised), MLP 20-64-64-4

each with SGD (momentum 0.9) and with Adam.  Their table goes to ``finder_quality_heldout.*``.

The probe option (``lrkit.torch.find_lr(..., rule="probe")``) runs through the real glue (a fresh
model, a shuffled DataLoader, one call per target) with 25-step probes (the library default, row
``lrkit:probe``) and 100-step probes (``lrkit:probe k=100``), next to lrkit's default rule read off
the same range test (``...: its own lrkit rate``, the paired baseline); both lengths were fixed on
the issue tasks before any held-out run. ``finder_probe_choices*.md`` records which candidate the
probes chose and whether an in-band candidate existed.

Ground truth and training results are cached in ``benchmarks/results/finder_ground_truth.json``
(keyed by task, schedule, rate and seed), so a re-run only trains what is missing.

Usage::

    python benchmarks/bench_finder_quality.py --phase truth      # the grid only
    python benchmarks/bench_finder_quality.py                    # everything, then the table
    python benchmarks/bench_finder_quality.py --quick            # 1 task/optimizer pair per model,
                                                                 # 7 rates x 2 seeds, 3 finder seeds
    python benchmarks/bench_finder_quality.py --suite heldout    # the held-out tasks
    python benchmarks/bench_finder_quality.py --suite both       # both tables in one run
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import lrkit  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
CACHE = RESULTS / "finder_ground_truth.json"
BATCH = 64
EPOCHS = 30
MODELS = ("digits_mlp", "digits_cnn", "cancer_mlp")
HELDOUT_MODELS = ("wine_mlp", "digits_logreg", "synth_mlp")
OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("one_cycle", "constant")


# ----------------------------------------------------------------------------- data & models
_DATA: dict[str, tuple[torch.Tensor, ...]] = {}


def data(model: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    key = model.split("_", 1)[0]
    if key not in _DATA:
        from sklearn.datasets import load_breast_cancer, load_digits, load_wine, make_classification
        from sklearn.model_selection import train_test_split

        if key == "digits":
            x, y = load_digits(return_X_y=True)
            x = x / 16.0
        elif key == "cancer":
            x, y = load_breast_cancer(return_X_y=True)
        elif key == "wine":
            x, y = load_wine(return_X_y=True)
        else:
            x, y = make_classification(n_samples=3000, n_features=20, n_informative=8, n_redundant=4,
                                       n_classes=4, n_clusters_per_class=2, flip_y=0.02, random_state=0)
        xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
        if key != "digits":
            mu, sd = xtr.mean(0), xtr.std(0) + 1e-12
            xtr, xte = (xtr - mu) / sd, (xte - mu) / sd
        _DATA[key] = (torch.tensor(xtr, dtype=torch.float32), torch.tensor(ytr),
                      torch.tensor(xte, dtype=torch.float32), torch.tensor(yte))
    xtr, ytr, xte, yte = _DATA[key]
    if model == "digits_cnn":
        xtr, xte = xtr.view(-1, 1, 8, 8), xte.view(-1, 1, 8, 8)
    return xtr, ytr, xte, yte


def build(model: str, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    if model == "digits_mlp":
        return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    if model == "cancer_mlp":
        return nn.Sequential(nn.Linear(30, 32), nn.ReLU(), nn.Linear(32, 2))
    if model == "wine_mlp":
        return nn.Sequential(nn.Linear(13, 32), nn.ReLU(), nn.Linear(32, 3))
    if model == "digits_logreg":
        return nn.Sequential(nn.Linear(64, 10))
    if model == "synth_mlp":
        return nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 4))
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10),
    )


def make_opt(name: str, params: Any, lr: float) -> torch.optim.Optimizer:
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    return torch.optim.Adam(params, lr=lr)


def steps_per_epoch(model: str) -> int:
    return math.ceil(len(data(model)[0]) / BATCH)


def batches(model: str, seed: int) -> Any:
    """An endless, seeded stream of shuffled training batches."""
    xtr, ytr, _, _ = data(model)
    g = torch.Generator().manual_seed(10_000 + seed)
    while True:
        perm = torch.randperm(len(xtr), generator=g)
        for i in range(0, len(xtr), BATCH):
            idx = perm[i:i + BATCH]
            yield xtr[idx], ytr[idx]


def train(model_name: str, opt_name: str, schedule: str, lr: float, seed: int) -> float:
    """Test accuracy (%) after 30 epochs at ``lr`` (one-cycle peak or constant rate)."""
    xtr, ytr, xte, yte = data(model_name)
    model = build(model_name, seed)
    opt = make_opt(opt_name, model.parameters(), lr)
    total = EPOCHS * steps_per_epoch(model_name)
    sched = lrkit.OneCycle(peak=lr, total_steps=total) if schedule == "one_cycle" else lrkit.Constant(lr)
    rates = sched.curve(total)
    loss_fn = nn.CrossEntropyLoss()
    stream = batches(model_name, seed)
    for step in range(total):
        xb, yb = next(stream)
        for group in opt.param_groups:
            group["lr"] = float(rates[step])
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        if not torch.isfinite(loss):
            break  # diverged: the model is broken, evaluate it as it is
        loss.backward()
        opt.step()
    with torch.no_grad():
        logits = torch.nan_to_num(model(xte), nan=0.0, posinf=0.0, neginf=0.0)
        return float((logits.argmax(1) == yte).float().mean()) * 100.0


# ----------------------------------------------------------------------------- cache
def load_cache() -> dict[str, float]:
    if CACHE.exists():
        return json.loads(CACHE.read_text())
    return {}


def save_cache(cache: dict[str, float]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    tmp = CACHE.with_suffix(".tmp")
    tmp.write_text(json.dumps(cache, indent=0, sort_keys=True))
    os.replace(tmp, CACHE)


def key(task: str, schedule: str, lr: float, seed: int) -> str:
    return f"{task}|{schedule}|{lr:.6g}|{seed}"


def cached_train(cache: dict[str, float], task: str, schedule: str, lr: float, seed: int) -> float:
    k = key(task, schedule, lr, seed)
    if k not in cache:
        model_name, opt_name = task.rsplit("_", 1)
        cache[k] = train(model_name, opt_name, schedule, lr, seed)
    return cache[k]


def grid(quick: bool) -> np.ndarray:
    return np.logspace(-4, math.log10(3.0), 7 if quick else 13)


def tasks(quick: bool, suite: str = "issue") -> list[str]:
    if suite == "heldout":
        if quick:
            return ["wine_mlp_sgd", "digits_logreg_adam", "synth_mlp_sgd"]
        return [f"{m}_{o}" for m in HELDOUT_MODELS for o in OPTIMIZERS]
    if quick:
        return ["digits_mlp_adam", "digits_cnn_sgd", "cancer_mlp_sgd"]
    return [f"{m}_{o}" for m in MODELS for o in OPTIMIZERS]


def ground_truth(cache: dict[str, float], quick: bool,
                 suite: str = "issue") -> dict[tuple[str, str], dict[str, Any]]:
    """Per (task, schedule): grid means, best mean, and the best band [lo, hi]."""
    seeds = range(2 if quick else 3)
    lrs = grid(quick)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for task in tasks(quick, suite):
        for schedule in SCHEDULES:
            t0 = time.perf_counter()
            means = []
            for lr in lrs:
                means.append(statistics.fmean(cached_train(cache, task, schedule, float(lr), s)
                                              for s in seeds))
            save_cache(cache)
            best = max(means)
            band = [float(lr) for lr, m in zip(lrs, means) if m >= best - 1.0]
            half = (math.log(lrs[1]) - math.log(lrs[0])) / 2
            out[(task, schedule)] = {
                "means": means, "best": best, "band": (min(band), max(band)),
                "band_loose": (min(band) * math.exp(-half), max(band) * math.exp(half)),
            }
            print(f"  truth {task:18s} {schedule:9s} best {best:5.1f}% band "
                  f"[{min(band):.2g}, {max(band):.2g}]  ({time.perf_counter() - t0:.0f}s)", flush=True)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a small subset (minutes, not an hour)")
    ap.add_argument("--phase", choices=("truth", "all", "families", "curves", "score", "train", "candidates",
                                        "fresh", "fresh2", "fresh3", "issue5", "ceiling", "cost"),
                    default="all",
                    help="families: score rule families on the recorded curves (no training); "
                    "curves/score/train/candidates/fresh/fresh2/fresh3/issue5/ceiling/cost: the broad "
                    "suite's "
                    "phases "
                    "(see finder_broad.py)")
    ap.add_argument("--suite", choices=("issue", "heldout", "both", "broad"), default="issue",
                    help="the six issue-5 tasks, the held-out tasks never used for tuning, both, or "
                    "the broad 24-task suite of issue 15 (finder_broad.py)")
    ap.add_argument("--no-wall-clock", action="store_true", help="skip the wall-clock comparison")
    ap.add_argument("--probe-steps", default="25,100", help="comma-separated probe lengths to evaluate "
                    "as rows 'lrkit:probe k=..' (the library's default, 25, is the row 'lrkit:probe'); "
                    "both fixed on the issue tasks before the held-out run")
    ap.add_argument("--tag", default="", help="suffix of the result files (for exploratory runs)")
    args = ap.parse_args(argv)
    from lrkit.finder.probe import STEPS

    PROBE_STEPS[:] = [int(k) for k in args.probe_steps.split(",") if k] or [STEPS]
    TAG[0] = args.tag
    torch.set_num_threads(1)
    if args.suite == "broad":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import finder_broad

        finder_broad.main(args.phase)
        return
    cache = load_cache()
    if args.phase == "families":
        rule_families(cache)
        return
    suites = ("issue", "heldout") if args.suite == "both" else (args.suite,)
    for suite in suites:
        print(f"suite {suite}:", flush=True)
        truth = ground_truth(cache, args.quick, suite)
        if args.phase == "all":
            run_finders(cache, truth, args.quick, suite)
    if args.phase == "all" and "issue" in suites and not args.no_wall_clock:
        wall_clock(repeats=3 if args.quick else 7)


def wall_clock(repeats: int) -> None:
    """Seconds for one range test (lrkit.torch.find_lr with its snapshot and restore, and
    torch-lr-finder's range_test + reset) against one 30-epoch training run, digits CNN + SGD."""
    import contextlib
    import io

    from torch_lr_finder import LRFinder

    import lrkit.torch

    xtr, ytr, _, _ = data("digits_cnn")
    probe_names = {t: f"find_lr rule=probe {t}" for t in SCHEDULES}
    times: dict[str, list[float]] = {"lrkit.torch.find_lr": [], "find_lr target=constant (settled)": [],
                                     **{n: [] for n in probe_names.values()},
                                     "torch-lr-finder": [], "one training run": []}
    for k in range(repeats):
        model, opt, _ = fresh("digits_cnn_sgd", k)
        g = torch.Generator().manual_seed(k)
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xtr, ytr), batch_size=BATCH,
                                             shuffle=True, generator=g)
        t0 = time.perf_counter()
        lrkit.torch.find_lr(model, opt, loader, nn.CrossEntropyLoss(), progress=False)
        times["lrkit.torch.find_lr"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        lrkit.torch.find_lr(model, opt, loader, nn.CrossEntropyLoss(), progress=False, target="constant")
        times["find_lr target=constant (settled)"].append(time.perf_counter() - t0)
        for target, name in probe_names.items():
            t0 = time.perf_counter()
            lrkit.torch.find_lr(model, opt, loader, nn.CrossEntropyLoss(), progress=False, rule="probe",
                                target=target, settle=False)
            times[name].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            finder = LRFinder(model, opt, nn.CrossEntropyLoss())
            finder.range_test(loader, end_lr=10, num_iter=100)
            finder.reset()
        times["torch-lr-finder"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        train("digits_cnn", "sgd", "one_cycle", 0.05, k)
        times["one training run"].append(time.perf_counter() - t0)
    base = statistics.median(times["one training run"])
    print(f"\nwall clock, digits CNN + SGD, median of {repeats}:")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"  {name:30s} {med:7.3f} s   {med / base:5.2f} x one training run")
    ref = statistics.median(times["torch-lr-finder"])
    print(f"  lrkit / torch-lr-finder: {statistics.median(times['lrkit.torch.find_lr']) / ref:.2f}")


FINDER_SEEDS = 5
TAG = [""]
CURVES = RESULTS / "finder_curves.json"


def fresh(task: str, seed: int) -> tuple[nn.Module, torch.optim.Optimizer, Any]:
    model_name, opt_name = task.rsplit("_", 1)
    model = build(model_name, seed)
    return model, make_opt(opt_name, model.parameters(), 1e-7), batches(model_name, 1000 + seed)


def step_fn_for(model: nn.Module, opt: torch.optim.Optimizer, stream: Any) -> Callable[[float], float]:
    loss_fn = nn.CrossEntropyLoss()

    def step(lr: float) -> float:
        xb, yb = next(stream)
        for group in opt.param_groups:
            group["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return float(loss.detach())

    return step


def lrkit_curve(task: str, seed: int, **kw: Any) -> lrkit.finder.FinderResult:
    from lrkit.finder import find_lr

    model, opt, stream = fresh(task, seed)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    opt_init = opt.state_dict()

    def reset() -> None:
        model.load_state_dict(init)
        opt.load_state_dict(opt_init)

    return find_lr(step_fn_for(model, opt, stream), reset=reset, **kw)


def torch_lr_finder_suggestion(task: str, seed: int) -> float | None:
    import contextlib
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from torch_lr_finder import LRFinder

    model_name, _ = task.rsplit("_", 1)
    model, opt, _ = fresh(task, seed)
    xtr, ytr, _, _ = data(model_name)
    g = torch.Generator().manual_seed(1000 + seed)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xtr, ytr), batch_size=BATCH,
                                         shuffle=True, generator=g)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        finder = LRFinder(model, opt, nn.CrossEntropyLoss())
        finder.range_test(loader, end_lr=10, num_iter=100)
        try:
            _, lr = finder.plot(suggest_lr=True)
        except Exception:  # too few points: torch-lr-finder raises or suggests nothing
            lr = None
        plt.close("all")
    return None if lr is None else float(lr)


def lightning_suggestion(curve: dict[str, Any]) -> float | None:
    """Lightning's own ``_LRFinder.suggestion()`` (steepest gradient against the rate, skipping
    10 points at the start and 1 at the end), run live on a curve recorded with its settings."""
    import logging

    from lightning.pytorch.tuner.lr_finder import _LRFinder

    logging.getLogger("lightning.pytorch.tuner.lr_finder").setLevel(logging.CRITICAL)
    finder = _LRFinder(mode="exponential", lr_min=1e-8, lr_max=1.0, num_training=100)
    finder.results = {"lr": list(curve["lrs"]),
                      "loss": [math.nan if v is None else v for v in curve["smoothed"]]}
    lr = finder.suggestion()
    return None if lr is None else float(lr)


# fastai's rules, re-implemented from their documented definitions (fastai is not installed)
def fastai_trim(r: lrkit.finder.FinderResult) -> tuple[np.ndarray, np.ndarray]:
    n_it = 100
    lrs, losses = r.lrs, r.smoothed
    return lrs[n_it // 10:-5], losses[n_it // 10:-5]


def fastai_minimum(lrs: np.ndarray, losses: np.ndarray) -> float:
    return float(lrs[int(np.nanargmin(losses))]) / 10


def fastai_steep(lrs: np.ndarray, losses: np.ndarray) -> float:
    grads = (losses[1:] - losses[:-1]) / (np.log(lrs[1:]) - np.log(lrs[:-1]))
    return float(lrs[int(np.nanargmin(grads))])


def fastai_valley(lrs: np.ndarray, losses: np.ndarray) -> float:
    n = len(losses)
    max_start = max_end = 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    return float(lrs[max_start + int(sections) + int(sections / 2)])


def drop_relative_edge(w: Any) -> float:
    """The breakdown edge of :func:`candidate_edge` (before the divisor and the cap)."""
    from lrkit.finder._smooth import centered, half_width

    lrs, z = w.usable_lrs, centered(w.usable_losses, half_width(w.usable_lrs))
    low = np.minimum.accumulate(z)
    drop = np.maximum.accumulate(z) - low
    rises = []
    for rise in (0.2, 0.5):
        thr = low + rise * np.maximum(low, drop)
        over = np.nonzero(z > thr)[0]
        if not len(over):
            rises.append(float(lrs[-1]))
            continue
        i = int(over[0])
        a, b = z[i - 1] - thr[i - 1], z[i] - thr[i]
        u = a / (a - b) if a != b else 1.0
        rises.append(float(np.exp(np.log(lrs[i - 1]) + u * (np.log(lrs[i]) - np.log(lrs[i - 1])))))
    return float(np.exp(np.mean(np.log(rises))))


def candidate_edge(r: lrkit.finder.FinderResult, target: str) -> float:
    r"""A candidate that was evaluated and REJECTED for lrkit's rule (kept here as evidence):
    the same edge, divisors and cap, but a rise measured against the larger of the running
    minimum and the drop so far, :math:`z_i > m_i + r\max(m_i, M_i - m_i)` with
    :math:`r \in \{0.2, 0.5\}`, :math:`m_i`/:math:`M_i` the running min/max of the centred loss.
    It lifts the in-sample constant-rate share (the six issue tasks) but loses on the held-out
    tasks (see docs/finder.md)."""
    from lrkit.finder import NoSuggestion
    from lrkit.finder.rules import EDGE_DIVISOR, window

    if r.runs:
        vals = []
        for run in r.runs:
            try:
                vals.append(candidate_edge(run, target))
            except NoSuggestion:
                pass
        if 2 * len(vals) <= len(r.runs) and len(vals) < len(r.runs):
            raise NoSuggestion("too few runs")
        return float(np.exp(np.median(np.log(vals))))
    w = window(r.lrs, r.losses, r.smoothed, r.usable)
    eta_e = drop_relative_edge(w)
    eta = min(eta_e / EDGE_DIVISOR[target], float(w.lrs[w.argmin - 1]))
    if eta < w.lrs[0]:
        raise NoSuggestion("below the first rate")
    return eta


def collect_suggestions(task: str, seed: int, curves: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Per rule: {"one_cycle": lr, "constant": lr} for one task and seed (cached in ``curves``)."""
    from lrkit.finder import FinderResult, NoSuggestion

    k = f"{task}|{seed}"
    if k not in curves:
        curves[k] = {
            "lrkit": lrkit_curve(task, seed).to_dict(),
            "lrkit_x3": lrkit_curve(task, seed, repeats=3).to_dict(),
            "fastai": lrkit_curve(task, seed, spike=1e12).to_dict(),
            "torch_lr_finder": torch_lr_finder_suggestion(task, seed),
        }
    c = curves[k]
    if "lrkit_settled" not in c:  # what find_lr(target="constant") runs: the test + the settled sweep
        c["lrkit_settled"] = lrkit_curve(task, seed, target="constant").to_dict()
        c["lrkit_x3_settled"] = lrkit_curve(task, seed, target="constant", repeats=3).to_dict()
    if "lightning" not in c:  # Lightning's defaults: 1e-8..1, EMA 0.98 debiased, stop at 4x best
        c["lightning"] = lrkit_curve(task, seed, start=1e-8, end=1.0, spike=1e12).to_dict()
    ours = FinderResult.from_dict(c["lrkit"])
    ours3 = FinderResult.from_dict(c["lrkit_x3"])
    fa = FinderResult.from_dict(c["fastai"])
    out: dict[str, dict[str, float | None]] = {}

    def both(name: str, fn: Callable[[str], float]) -> None:
        res = {}
        for sched in SCHEDULES:
            try:
                res[sched] = fn(sched)
            except (NoSuggestion, ValueError, IndexError):
                res[sched] = None
        out[name] = res

    settled = FinderResult.from_dict(c["lrkit_settled"])
    settled3 = FinderResult.from_dict(c["lrkit_x3_settled"])
    # lrkit's default: the test alone for a one-cycle peak, the test + settled sweep for a constant
    # rate (find_lr(target="constant")), each costing what it ran
    both("lrkit:lrkit", lambda sc: (settled if sc == "constant" else ours).suggest("lrkit", target=sc))
    both("lrkit:lrkit repeats=3",
         lambda sc: (settled3 if sc == "constant" else ours3).suggest("lrkit", target=sc))
    for name, r in (("lrkit:lrkit", settled), ("lrkit:lrkit repeats=3", settled3)):
        STEPS_USED[(name, "constant", task, seed)] = sum(
            len(x.lrs) + (x.settled.steps_run if x.settled else 0) for x in (r.runs or (r,)))
    both("lrkit:lrkit, no settled sweep", lambda sc: ours.suggest("lrkit", target=sc))
    for rule in ("minimum", "steepest", "valley"):
        both(f"lrkit:{rule}", lambda sc, rule=rule: ours.suggest(rule, target=sc))
    both("rejected: drop-relative edge", lambda sc: candidate_edge(ours, sc))
    lrs, losses = fastai_trim(fa)
    both("fastai minimum*", lambda sc: fastai_minimum(lrs, losses))
    both("fastai steep*", lambda sc: fastai_steep(lrs, losses))
    both("fastai valley*", lambda sc: fastai_valley(lrs, losses))
    both("torch-lr-finder", lambda sc: c["torch_lr_finder"])
    light = lightning_suggestion(c["lightning"])
    both("lightning", lambda sc: light)
    for k in PROBE_STEPS:
        name = probe_row(k)
        for sched in SCHEDULES:
            pk = f"probe{k}|{sched}"
            if pk not in c:
                c[pk] = probe_via_glue(task, seed, sched, k)
        both(name, lambda sc, k=k: c[f"probe{k}|{sc}"]["probe"])
        both(f"{name}: its own lrkit rate", lambda sc, k=k: c[f"probe{k}|{sc}"]["lrkit"])
        for sched in SCHEDULES:
            steps = c[f"probe{k}|{sched}"]["steps"]
            STEPS_USED[(name, sched, task, seed)] = steps  # the paired baseline needs the range test only
    return out


# ----------------------------------------------------------------------------- the probe rule
PROBE_STEPS: list[int] = []  # probe lengths evaluated (set by --probe-steps)
STEPS_USED: dict[tuple[str, str, str, int], int] = {}  # (rule, schedule, task, seed) -> optimizer steps


def probe_row(k: int) -> str:
    from lrkit.finder.probe import STEPS

    return "lrkit:probe" if k == STEPS else f"lrkit:probe k={k}"


def probe_via_glue(task: str, seed: int, target: str, probe_steps: int) -> dict[str, Any]:
    """``lrkit.torch.find_lr(..., rule="probe")`` on a fresh model with a shuffled DataLoader
    (seeded): the probe's choice, lrkit's own rule on the same range test (a paired baseline),
    and the optimizer steps the whole test took (range test + probes)."""
    import lrkit.torch
    from lrkit.finder import NoSuggestion

    model_name, _ = task.rsplit("_", 1)
    model, opt, _ = fresh(task, seed)
    xtr, ytr, _, _ = data(model_name)
    g = torch.Generator().manual_seed(1000 + seed)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xtr, ytr), batch_size=BATCH,
                                         shuffle=True, generator=g)
    # settle=False: the probes were recorded (and are cached) around the plain test's rate, before
    # the settled sweep existed; they are kept as the evidence for the probe option
    r = lrkit.torch.find_lr(model, opt, loader, nn.CrossEntropyLoss(), rule="probe", target=target,
                            probe_steps=probe_steps, progress=False, settle=False)
    # the range test counted at its full length, as in the other rows; the probes as run
    out: dict[str, Any] = {"steps": 100 + (r.probe.steps_run if r.probe is not None else 0)}
    for rule in ("probe", "lrkit"):
        try:
            out[rule] = r.suggest(rule)
        except NoSuggestion:
            out[rule] = None
    out["detail"] = None if r.probe is None else r.probe.to_dict()
    return out


def in_band(lr: float, band: tuple[float, float]) -> bool:
    return band[0] * (1 - 1e-9) <= lr <= band[1] * (1 + 1e-9)


def run_finders(cache: dict[str, float], truth: dict[tuple[str, str], dict[str, Any]],
                quick: bool, suite: str = "issue") -> None:
    curves = json.loads(CURVES.read_text()) if CURVES.exists() else {}
    seeds = range(3 if quick else FINDER_SEEDS)
    rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    spreads: dict[tuple[str, str], list[float]] = {}
    for task in tasks(quick, suite):
        t0 = time.perf_counter()
        per_seed = [collect_suggestions(task, s, curves) for s in seeds]
        CURVES.write_text(json.dumps(curves))
        for sched in SCHEDULES:
            gt = truth[(task, sched)]
            for rule in per_seed[0]:
                vals = []
                for s, sug in zip(seeds, per_seed):
                    lr = sug[rule][sched]
                    acc = cached_train(cache, task, sched, lr, s) if lr is not None else math.nan
                    vals.append(lr)
                    nominal = 300 if rule == "lrkit:lrkit repeats=3" else 100
                    rows.setdefault((rule, sched), []).append({
                        "task": task, "seed": s, "lr": lr, "acc": acc,
                        "steps": STEPS_USED.get((rule, sched, task, s), nominal),
                        "run_steps": EPOCHS * steps_per_epoch(task.rsplit("_", 1)[0]), "gap": gt["best"] - acc
                        if lr is not None else math.inf,
                        "in_band": lr is not None and in_band(lr, gt["band"]),
                        "in_loose": lr is not None and in_band(lr, gt["band_loose"]),
                    })
                ok = [v for v in vals if v is not None]
                spreads.setdefault((rule, sched), []).append(max(ok) / min(ok) if ok else math.inf)
        save_cache(cache)
        print(f"  finders {task:18s} ({time.perf_counter() - t0:.0f}s)", flush=True)
    report(rows, spreads, quick, suite)
    probe_choices(curves, truth, quick, suite)


def probe_choices(curves: dict[str, Any], truth: dict[tuple[str, str], dict[str, Any]], quick: bool,
                  suite: str) -> None:
    """Which candidate the probes chose (1 = smallest ... 4 = largest), and how many of the
    candidates lay in the best band: does probing pick the in-band candidate when there is one?"""
    seeds = range(3 if quick else FINDER_SEEDS)
    md = ["| probe length | schedule | chosen candidate: 1 / 2 / 3 / 4 (smallest → largest) | runs with a "
          "candidate in band | ... and the chosen one in band | an in-band candidate had the best score |",
          "|" + "---|" * 6]
    for k in PROBE_STEPS:
        for sched in SCHEDULES:
            counts = [0, 0, 0, 0]
            some = chosen_in = best_in = 0
            for task in tasks(quick, suite):
                band = truth[(task, sched)]["band"]
                for seed in seeds:
                    d = curves[f"{task}|{seed}"][f"probe{k}|{sched}"]["detail"]
                    if d is None:
                        continue
                    cands = d["candidates"]
                    counts[cands.index(d["chosen"])] += 1
                    ins = [in_band(c, band) for c in cands]
                    some += any(ins)
                    chosen_in += in_band(d["chosen"], band)
                    scores = [math.inf if v is None else v for v in d["scores"]]
                    best_in += ins[int(np.argmin(scores))]
            chosen = " / ".join(map(str, counts))
            md.append(f"| {k} | {sched} | {chosen} | {some} | {chosen_in} | {best_in} |")
    text = "\n".join(md) + "\n"
    print(text)
    stem = ("finder_probe_choices" + ("_heldout" if suite == "heldout" else "") + ("_quick" if quick else "")
            + TAG[0])
    (RESULTS / f"{stem}.md").write_text(text)


def report(rows: dict[tuple[str, str], list[dict[str, Any]]],
           spreads: dict[tuple[str, str], list[float]], quick: bool, suite: str = "issue") -> None:
    steps_grid = 0
    for task in tasks(quick, suite):
        model_name, _ = task.rsplit("_", 1)
        runs = len(SCHEDULES) * len(grid(quick)) * (2 if quick else 3)
        steps_grid += runs * EPOCHS * steps_per_epoch(model_name)
    one_run = statistics.fmean(EPOCHS * steps_per_epoch(t.rsplit("_", 1)[0]) for t in tasks(quick, suite))
    grid_per_task = steps_grid / len(tasks(quick, suite))
    print()
    print(f"{'rule':24s} {'sched':9s} {'in band':>8s} {'+-1/2':>6s} {'mean gap':>8s} {'worst':>6s} "
          f"{'>10pt':>5s} {'spread med':>10s} {'spread max':>10s} {'cost/grid':>9s} {'cost/run':>8s} "
          f"{'worst task':>10s}")
    table = []
    for (rule, sched), rs in rows.items():
        n = len(rs)
        gaps = [r["gap"] for r in rs]
        sp = spreads[(rule, sched)]
        steps = statistics.fmean(r["steps"] for r in rs)
        worst_run = max(r["steps"] / r["run_steps"] for r in rs)
        line = dict(rule=rule, schedule=sched, n=n,
                    in_band=100.0 * sum(r["in_band"] for r in rs) / n,
                    in_loose=100.0 * sum(r["in_loose"] for r in rs) / n,
                    mean_gap=statistics.fmean(gaps), worst_gap=max(gaps),
                    bad=sum(g > 10 for g in gaps), spread_median=statistics.median(sp),
                    spread_max=max(sp), cost_grid=steps / grid_per_task, cost_run=steps / one_run,
                    steps=steps, cost_run_worst_task=worst_run)
        table.append(line)
        print(f"{rule:24s} {sched:9s} {line['in_band']:7.0f}% {line['in_loose']:5.0f}% "
              f"{line['mean_gap']:8.2f} {line['worst_gap']:6.1f} {line['bad']:5d} "
              f"{line['spread_median']:10.1f} {line['spread_max']:10.1f} {line['cost_grid']:9.4f} "
              f"{line['cost_run']:8.2f} {worst_run:10.2f}")
    md = ["| rule | schedule | in band | ±½ step | mean gap | worst gap | runs >10 pt | spread median "
          "| spread worst | cost / grid | cost / run | cost / run, worst task |", "|" + "---|" * 12]
    for t in table:
        md.append(f"| {t['rule']} | {t['schedule']} | {t['in_band']:.0f}% | {t['in_loose']:.0f}% | "
                  f"{t['mean_gap']:.2f} | {t['worst_gap']:.1f} | {t['bad']} | {t['spread_median']:.1f}x | "
                  f"{t['spread_max']:.1f}x | {t['cost_grid']:.4f} | {t['cost_run']:.2f} | "
                  f"{t['cost_run_worst_task']:.2f} |")
    stem = ("finder_quality" + ("_heldout" if suite == "heldout" else "") + ("_quick" if quick else "")
            + TAG[0])
    (RESULTS / f"{stem}.md").write_text("\n".join(md) + "\n")
    out = RESULTS / f"{stem}.json"
    out.write_text(json.dumps({"table": table, "runs": {f"{k[0]}|{k[1]}": v for k, v in rows.items()}},
                              indent=1))
    print(f"\nwritten {out}")


# ----------------------------------------------------------------------------- rule families
def curve_features(r: lrkit.finder.FinderResult, opt: str) -> dict[str, Any]:
    """What the candidate rules of :func:`rule_families` read off one recorded range test."""
    from lrkit.finder._smooth import centered, half_width
    from lrkit.finder.rules import EDGE_RISES, rise_point, steepest, window

    w = window(r.lrs, r.losses, r.smoothed, r.usable)
    lrs = w.usable_lrs
    z = centered(w.usable_losses, half_width(lrs))
    edge = float(np.exp(np.mean([np.log(rise_point(lrs, w.usable_losses, f)) for f in EDGE_RISES])))
    half = float(lrs[int(np.nonzero(z <= z[0] - 0.5 * (z[0] - z.min()))[0][0])])
    return {"edge": edge, "drop_edge": drop_relative_edge(w), "minimum": float(w.lrs[w.argmin]),
            "cap": float(w.lrs[w.argmin - 1]),
            "steepest": steepest(w, "one_cycle"), "loss_ratio": max(float(z.min() / z[0]), 1e-3),
            "width": edge / half, "opt": opt}


def rule_families(cache: dict[str, float]) -> None:
    """Score families of candidate rules ("a curve feature times a constant") by their in-band
    share on the recorded curves: fitted on the six issue tasks, by leave-one-task-out on them, on
    the held-out tasks at the six-task constants, and fitted on all twelve (an upper bound).
    Needs only the ground truth and the curves (recorded here if missing); nothing is trained
    except missing ground-truth runs. Writes ``finder_rule_families.md``."""
    import itertools

    from lrkit.finder import FinderResult

    curves = json.loads(CURVES.read_text()) if CURVES.exists() else {}
    issue, held = tasks(False, "issue"), tasks(False, "heldout")
    bands = {}
    for suite in ("issue", "heldout"):
        bands.update({k: v["band"] for k, v in ground_truth(cache, False, suite).items()})
    feats: dict[tuple[str, int], dict[str, Any]] = {}
    for task in issue + held:
        for seed in range(FINDER_SEEDS):
            collect_suggestions(task, seed, curves)
            r = FinderResult.from_dict(curves[f"{task}|{seed}"]["lrkit"])
            feats[(task, seed)] = curve_features(r, task.rsplit("_", 1)[1])
    CURVES.write_text(json.dumps(curves))

    def score(rule: Callable[[dict[str, Any]], float], sched: str, ts: list[str]) -> int:
        n = 0
        for t in ts:
            lo, hi = bands[(t, sched)]
            for seed in range(FINDER_SEEDS):
                f = feats[(t, seed)]
                n += in_band(min(rule(f), f["cap"]), (lo, hi))
        return n

    def fit(fam: Callable[..., Any], grid: list[tuple[float, ...]], sched: str,
            ts: list[str]) -> tuple[int, tuple[float, ...]]:
        scores = [(score(fam(*p), sched, ts), p) for p in grid]
        best = max(s for s, _ in scores)
        tied = [p for s, p in scores if s == best]
        return best, tied[len(tied) // 2]  # the middle of the tied constants

    ds = [2.0, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40]
    gs = [-1.0, -0.5, -0.25, 0, 0.25, 0.5, 1]
    one = [(d,) for d in ds]
    fams: dict[str, tuple[Callable[..., Any], list[tuple[float, ...]]]] = {
        "edge / d (shipped)": (lambda d: lambda f: f["edge"] / d, one),
        "edge / d per optimizer (SGD, Adam)": (
            lambda a, b: lambda f: f["edge"] / (a if f["opt"] == "sgd" else b),
            list(itertools.product(ds, ds))),
        "drop-relative edge / d": (lambda d: lambda f: f["drop_edge"] / d, one),
        "minimum / d": (lambda d: lambda f: f["minimum"] / d, one),
        "steepest / d": (lambda d: lambda f: f["steepest"] / d, one),
        "sqrt(steepest * edge) / d": (lambda d: lambda f: math.sqrt(f["steepest"] * f["edge"]) / d, one),
        "edge / d * (loss_min/loss_0)^g": (
            lambda d, g: lambda f: f["edge"] / d * f["loss_ratio"] ** g, list(itertools.product(ds, gs))),
        "edge / d * (edge/half-drop rate)^g": (
            lambda d, g: lambda f: f["edge"] / d * f["width"] ** g, list(itertools.product(ds, gs))),
    }
    md = ["| rule family | schedule | best on the 6 issue tasks (constants) | leave-one-task-out | "
          "held-out at the 6-task constants | best fit on all 12 tasks |", "|" + "---|" * 6]
    for name, (fam, grid) in fams.items():
        for sched in SCHEDULES:
            b6, p6 = fit(fam, grid, sched, issue)
            loto = sum(score(fam(*fit(fam, grid, sched, [u for u in issue if u != t])[1]), sched, [t])
                       for t in issue)
            held_n = score(fam(*p6), sched, held)
            b12, p12 = fit(fam, grid, sched, issue + held)
            c = lambda p: ", ".join(f"{x:g}" for x in p)  # noqa: E731
            n6, nh, n12 = (len(ts) * FINDER_SEEDS for ts in (issue, held, issue + held))
            md.append(f"| {name} | {sched} | {100 * b6 / n6:.0f}% ({c(p6)}) | {100 * loto / n6:.0f}% | "
                      f"{100 * held_n / nh:.0f}% | {100 * b12 / n12:.0f}% ({c(p12)}) |")
    text = "\n".join(md) + "\n"
    print(text)
    (RESULTS / "finder_rule_families.md").write_text(text)


if __name__ == "__main__":
    main()
