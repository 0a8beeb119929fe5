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

import torch

import lrkit
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


def _chunk(step, steps: int) -> float:
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t0) / steps


def time_pair(torch_factory, lrkit_factory, groups: int, steps: int, repeats: int
              ) -> tuple[float, float]:
    """Median seconds per ``sched.step()`` for torch and lrkit.

    One scheduler of each kind runs on through all repeats; the repeats alternate between the
    two so that both see the same machine load (the CI machine is shared), and the median
    discards chunks hit by preemption. ``steps`` is a multiple of lrkit's lookahead block and
    the runs start at a block boundary, so every timed chunk pays its share of block
    evaluations.
    """
    from lrkit.torch._table import BLOCK

    ts, ls = torch_factory(make_opt(groups)), lrkit_factory(make_opt(groups))
    for _ in range(BLOCK):  # warm up to a block boundary
        ts.step()
        ls.step()
    theirs, ours = [], []
    for _ in range(repeats):
        theirs.append(_chunk(ts.step, steps))
        ours.append(_chunk(ls.step, steps))
    return statistics.median(theirs), statistics.median(ours)


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
    ap.add_argument("--steps", type=int, default=2048, help="a multiple of 512")
    ap.add_argument("--repeats", type=int, default=21)
    args = ap.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")  # torch warns about stepping without optimizer updates
    tf, lf = torch_factories(), lrkit_factories()
    print(f"torch {torch.__version__}; median over {args.repeats} interleaved chunks of "
          f"{args.steps} steps (1 group) / {max(args.steps // 4, 512)} steps (100 groups); µs/step")
    print(f"{'schedule':<15}{'groups':>7}{'torch':>10}{'lrkit':>10}{'ratio':>8}  target")
    ours_1 = {}
    time_pair(tf["cosine"], lf["cosine"], 100, 512, 3)  # discarded: warms the interpreter up
    for groups in (1, 100):
        target = 1 / 3 if groups == 1 else 1 / 10
        steps = args.steps if groups == 1 else max(args.steps // 4, 512)
        for name in tf:
            t, o = time_pair(tf[name], lf[name], groups, steps, args.repeats)
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
