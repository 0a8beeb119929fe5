"""Schedule sweeps (issue 17): does searching lrkit's schedule space beat a generic search, and
does a range test help? And how biased are truncated rungs?

Task: an MLP (64-64-10, SGD with momentum 0.9, batch 64) on scikit-learn's digits, 1200 training
and 597 held-out images, 4 epochs (72 optimizer steps); the metric is held-out accuracy. With a
fixed budget of trials per sweep (``--trials``, default 16) and 5 sweep seeds, it compares

* **(a) generic**: a fixed cosine (no warmup), peak log-uniform over ``1e-6 .. 1`` -- what a tuner
  that knows nothing about schedules searches;
* **(b) lrkit**: ``lrkit.tune.default_space("sgd")`` (cosine, WSD, one-cycle; warmup 0-10 %);
* **(c) lrkit + range test**: the same space seeded with ``finder=`` a range test
  (``lrkit.torch.find_lr`` on the same model, 100 steps, counted in the table);

all with Optuna's TPE, no pruning. It prints the best accuracy (mean +/- standard deviation over
the seeds, min..max) and the trials each sweep needed to get within 0.5 points of the best
accuracy any sweep found.

**Fair rungs.** 32 points of a cosine + WSD space (peaks 0.02..0.6, the region where ranking
is hard) are trained to the end; at a rung at 30 % (then 50 %) of the run it records the
accuracy of the truncated run (what a pruner compares) and, for WSD, the accuracy of a short
decay branched from the stable phase (``lrkit.tune.rung_decay``). It prints
the rank correlation (Spearman) between rung and final accuracy, and how many of the 6 best
final points a median pruner at the rung would have kept.

Nothing is asserted: it reports what it measures. Run:
``.venv/bin/python benchmarks/bench_tune.py [--trials 16] [--seeds 5]``.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import numpy as np
import torch
from sklearn.datasets import load_digits

import lrkit
import lrkit.torch
from lrkit import Budget
from lrkit.tune import Space, default_space, optimize, rung_decay

torch.set_num_threads(1)
BATCH, EPOCHS = 64, 4
_d = load_digits()
X = torch.tensor(_d.data / 16.0, dtype=torch.float32)
Y = torch.tensor(_d.target)
XTR, YTR, XTE, YTE = X[:1200], Y[:1200], X[1200:], Y[1200:]
PER_EPOCH = 1200 // BATCH
TOTAL = PER_EPOCH * EPOCHS
BUDGET = Budget(steps_per_epoch=PER_EPOCH, epochs=EPOCHS)


def make(seed: int = 0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    return model, torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)


def batches(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(EPOCHS):
        perm = torch.randperm(1200, generator=g)
        out += [perm[k * BATCH:(k + 1) * BATCH] for k in range(PER_EPOCH)]
    return out


ORDER = batches()


def step(model, opt, lr: float, idx) -> None:
    for group in opt.param_groups:
        group["lr"] = lr
    loss = torch.nn.functional.cross_entropy(model(XTR[idx]), YTR[idx])
    opt.zero_grad()
    loss.backward()
    opt.step()


def accuracy(model) -> float:
    with torch.no_grad():
        return 100.0 * float((model(XTE).argmax(1) == YTE).float().mean())


def objective(schedule, report) -> float:
    model, opt = make()
    for t in range(TOTAL):
        step(model, opt, schedule(t), ORDER[t])
    acc = accuracy(model)
    return acc if np.isfinite(acc) else 0.0


def range_test():
    from torch.utils.data import DataLoader, TensorDataset

    model, opt = make()
    loader = DataLoader(TensorDataset(XTR, YTR), batch_size=BATCH, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    return lrkit.torch.find_lr(model, opt, loader, torch.nn.functional.cross_entropy, start=1e-5,
                               end=10.0, num_steps=100, progress=False)


def sweep_arms(trials: int, seeds: int) -> None:
    finder = range_test()
    print(f"range test: suggestion {finder.suggestion:.3g} (100 steps = "
          f"{100 / TOTAL:.1f} training runs of {TOTAL} steps)\n")
    arms = {
        "(a) generic: cosine, peak 1e-6..1": Space.from_config(
            {"families": ["cosine"], "peak": [1e-6, 1.0], "warmup": 0.0}),
        "(b) lrkit default_space('sgd')": default_space("sgd"),
        "(c) lrkit + range test": default_space("sgd", finder=finder),
    }
    curves: dict[str, list[list[float]]] = {}
    times: dict[str, float] = {}
    for name, space in arms.items():
        curves[name] = []
        t0 = time.process_time()
        for seed in range(seeds):
            res = optimize(objective, space, budget=BUDGET, n_trials=trials, direction="maximize",
                           pruner="none", seed=seed)
            values = [t.value if t.value is not None else 0.0 for t in res.trials]
            curves[name].append(list(np.maximum.accumulate(values)))
        times[name] = (time.process_time() - t0) / seeds
    best = max(c[-1] for runs in curves.values() for c in runs)
    print(f"| search ({trials} trials, {seeds} seeds) | best accuracy % mean +/- sd | min..max | "
          f"trials to within 0.5 pt of {best:.2f} | CPU s per sweep |")
    print("| --- | --- | --- | --- | --- |")
    for name, runs in curves.items():
        finals = [r[-1] for r in runs]
        reach = [next((i + 1 for i, v in enumerate(r) if v >= best - 0.5), None) for r in runs]
        got = [n for n in reach if n is not None]
        reach_txt = (f"{statistics.mean(got):.1f} ({len(got)}/{len(runs)} sweeps reach it)" if got
                     else f"never (0/{len(runs)})")
        sd = statistics.stdev(finals) if len(finals) > 1 else 0.0
        print(f"| {name} | {statistics.mean(finals):.2f} +/- {sd:.2f} | {min(finals):.2f}..{max(finals):.2f} "
              f"| {reach_txt} | {times[name]:.1f} |")


def spearman(a, b) -> float:
    ra = np.argsort(np.argsort(a))
    rb = np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def fair_rungs(n: int = 32, fraction: float = 0.3) -> None:
    # peaks in the good region only: telling good from bad is easy, ranking the good ones is not
    space = Space.from_config({"families": ["cosine", "wsd"], "peak": [0.02, 0.6], "warmup": [0.0, 0.1],
                               "decay": [0.1, 0.3]})
    rung = int(fraction * TOTAL)
    rows = []
    for point in space.random(n, seed=7):
        schedule = point.schedule(BUDGET)
        model, opt = make()
        naive = fair = None
        for t in range(TOTAL):
            if t == rung:
                naive = accuracy(model)
                fair = naive
                if point.family == "wsd" and schedule.warmup_steps <= rung <= schedule.decay_start:
                    branch = rung_decay(schedule, rung)
                    m2, o2 = copy.deepcopy((model, opt))  # one copy: o2 steps m2's parameters
                    for u in range(rung, int(branch.total)):
                        step(m2, o2, branch(u), ORDER[u])
                    fair = accuracy(m2)
            step(model, opt, schedule(t), ORDER[t])
        rows.append((point.family, naive, fair, accuracy(model)))
    final = np.array([r[3] for r in rows])
    top = set(np.argsort(-final)[:6])
    print(f"\nrung at step {rung} of {TOTAL} ({fraction:.0%}), {n} points (cosine and WSD, peak "
          "0.02..0.6):")
    print("| rung metric | Spearman(rung, final) | top-6 final points kept by a median prune |")
    print("| --- | --- | --- |")
    for label, col in (("truncated run (what pruners compare)", 1), ("WSD: short decay branch "
                                                                      "(rung_decay)", 2)):
        at = np.array([r[col] for r in rows])
        kept = set(np.flatnonzero(at >= np.median(at)))
        print(f"| {label} | {spearman(at, final):.2f} | {len(top & kept)}/6 |")
    for fam in ("cosine", "wsd"):
        sel = [r for r in rows if r[0] == fam]
        print(f"{fam}: {len(sel)} points, mean final {np.mean([r[3] for r in sel]):.2f}, mean rung "
              f"(truncated) {np.mean([r[1] for r in sel]):.2f}, (fair) {np.mean([r[2] for r in sel]):.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=16)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--skip-sweeps", action="store_true")
    args = p.parse_args()
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if not args.skip_sweeps:
        sweep_arms(args.trials, args.seeds)
    for fraction in (0.3, 0.5):
        fair_rungs(fraction=fraction)


if __name__ == "__main__":
    main()
