"""Per-step overhead of ``lrkit.torch.Scheduler.step()`` against torch's own schedulers.

For 1 and 100 param groups sharing one schedule, times ``sched.step()`` alone (the optimizer is
not stepped inside the timed loop) for torch's ``MultiStepLR``, ``CosineAnnealingLR``,
``SequentialLR(LinearLR, CosineAnnealingLR)`` and ``OneCycleLR`` (which also cycles momentum)
and for the equivalent lrkit plans, all in the same process. Prints the median time per step
over repeats and the ratio lrkit / torch (targets: <= 1/3 at 1 group, <= 1/10 at 100 groups),
then the overhead as a fraction of a small real training step (an MLP on a digits batch).

Run: ``.venv/bin/python benchmarks/bench_torch_step.py [--steps 2000] [--repeats 7]``
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import lrkit
import torch
from lrkit.torch import Scheduler

TOTAL = 10_000_000  # long horizons: the timed steps stay inside the schedules


def make_opt(groups: int) -> torch.optim.Optimizer:
    ps = [{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(groups)]
    opt = torch.optim.SGD(ps, lr=0.1, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt.step()  # so torch's "scheduler before optimizer" check stays quiet
    return opt


def torch_factories() -> dict:
    lr = torch.optim.lr_scheduler
    return {
        "multistep": lambda o: lr.MultiStepLR(o, milestones=[TOTAL // 2, TOTAL * 3 // 4], gamma=0.1),
        "cosine": lambda o: lr.CosineAnnealingLR(o, T_max=TOTAL),
        "warmup+cosine": lambda o: lr.SequentialLR(
            o, [lr.LinearLR(o, start_factor=0.01, total_iters=1000), lr.CosineAnnealingLR(o, TOTAL)],
            milestones=[1000]),
        "onecycle": lambda o: lr.OneCycleLR(o, max_lr=0.1, total_steps=TOTAL),
    }


def lrkit_factories() -> dict:
    return {
        "multistep": lambda o: Scheduler(o, lrkit.MultiStep(0.1, [TOTAL // 2, TOTAL * 3 // 4], 0.1)),
        "cosine": lambda o: Scheduler(o, lrkit.Cosine(0.1, TOTAL)),
        "warmup+cosine": lambda o: Scheduler(o, lrkit.warmup(lrkit.Cosine(0.1, TOTAL), 1000,
                                                             start=0.001)),
        "onecycle": lambda o: Scheduler(o, lrkit.OneCycle(0.1, TOTAL)),  # lr and momentum
    }


def time_steps(factory, groups: int, steps: int, repeats: int) -> float:
    """Median seconds per ``sched.step()``."""
    per_step = []
    for _ in range(repeats):
        opt = make_opt(groups)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = factory(opt)
        step = sched.step
        for _ in range(50):  # warm up
            step()
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        per_step.append((time.perf_counter() - t0) / steps)
    return statistics.median(per_step)


def train_step_time(repeats: int) -> float:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x[:64] / 16.0, dtype=torch.float32)
    y = torch.tensor(y[:64])
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def one():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(20):
        one()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(200):
            one()
        times.append((time.perf_counter() - t0) / 200)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")  # torch warns about stepping without optimizer updates
    tf, lf = torch_factories(), lrkit_factories()
    print(f"torch {torch.__version__}; median of {args.repeats} x {args.steps} steps; µs/step")
    print(f"{'schedule':<15}{'groups':>7}{'torch':>10}{'lrkit':>10}{'ratio':>8}  target")
    ours_1 = {}
    for groups in (1, 100):
        target = 1 / 3 if groups == 1 else 1 / 10
        steps = args.steps if groups == 1 else max(args.steps // 10, 100)
        for name in tf:
            t = time_steps(tf[name], groups, steps, args.repeats)
            o = time_steps(lf[name], groups, steps, args.repeats)
            if groups == 1:
                ours_1[name] = o
            ok = "ok" if o / t <= target else "MISSED"
            print(f"{name:<15}{groups:>7}{t * 1e6:>10.2f}{o * 1e6:>10.2f}{o / t:>8.3f}  "
                  f"<= {target:.3f} {ok}")
    train = train_step_time(args.repeats)
    print(f"\nsmall training step (MLP 64-128-10, batch 64, SGD): {train * 1e6:.1f} µs")
    for name, o in ours_1.items():
        print(f"  lrkit {name:<14} overhead: {o / train * 100:.2f}% of a step")


if __name__ == "__main__":
    main()
