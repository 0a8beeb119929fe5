"""Don't decay the rate, increase the batch size: does it hold on a small task?

Smith, Kindermans, Ying & Le (2018) replace each drop of the learning rate by a matching growth
of the batch, for the same number of epochs: the final accuracy should match, with fewer
optimizer updates. This benchmark trains, for 5 seeds each,

* **rate decay**: batch 32, SGD (momentum 0.9), rate 0.1 halved at epochs 10, 20, 30 (40 epochs);
* **batch growth**: ``lrkit.batch_schedule(rate, batch_size=32, max_batch_size=256)``: the batch
  doubles at those epochs (32 -> 64 -> 128 -> 256), the rate stays at 0.1;
* **growth, capped**: the same with ``max_batch_size=128``: the batch doubles twice, then the
  rate carries the last halving;

on two tasks shipped with scikit-learn: ``digits`` (1437 training images, an MLP) and a
generated 10-class problem with label noise (``make_classification``, 4800 training samples,
an MLP). The batch changes at epoch boundaries through ``lrkit.torch.BatchSizeSampler(...,
unit="epoch")``; the rate is set per epoch with ``Scheduler.set_step(epoch)``. It prints the
final held-out accuracy (mean +/- standard deviation over the seeds, and the spread min..max),
the number of optimizer updates, and the CPU time per run. Nothing is asserted: it reports what
it measures.

Run: ``.venv/bin/python benchmarks/bench_batch_size.py [--seeds 5] [--out results/batch_size.md]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from sklearn.datasets import load_digits, make_classification
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

import lrkit
from lrkit.torch import BatchSizeSampler, Scheduler

EPOCHS = 40
BATCH = 32
RATE = lrkit.MultiStep(0.1, [10, 20, 30], 0.5)  # on the epoch axis


def tasks() -> dict[str, tuple[TensorDataset, TensorDataset, int]]:
    out = {}
    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    out["digits"] = (x, y)
    x, y = make_classification(n_samples=6_000, n_features=40, n_informative=20, n_redundant=5,
                               n_classes=10, n_clusters_per_class=2, flip_y=0.05, class_sep=1.0,
                               random_state=0)
    out["generated"] = ((x - x.mean(0)) / x.std(0), y)
    sets = {}
    for name, (x, y) in out.items():
        xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
        sets[name] = (TensorDataset(torch.tensor(xtr, dtype=torch.float32), torch.tensor(ytr)),
                      TensorDataset(torch.tensor(xte, dtype=torch.float32), torch.tensor(yte)),
                      x.shape[1])
    return sets


def variants() -> dict[str, tuple[lrkit.Schedule | int, lrkit.Schedule]]:
    grow, grow_rate = lrkit.batch_schedule(RATE, batch_size=BATCH, max_batch_size=256)
    capped, capped_rate = lrkit.batch_schedule(RATE, batch_size=BATCH, max_batch_size=128)
    return {"rate decay (batch 32)": (BATCH, RATE),
            "batch growth 32->256": (grow, grow_rate),
            "growth capped at 128": (capped, capped_rate)}


def run(train: TensorDataset, test: TensorDataset, features: int, batch, rate, seed: int
        ) -> tuple[float, int, float]:
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(features, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    sched = Scheduler(opt, rate)
    sampler = BatchSizeSampler(train, batch, unit="epoch", seed=seed)
    loader = DataLoader(train, batch_sampler=sampler)
    updates = 0
    t0 = time.process_time()
    for epoch in range(EPOCHS):
        sched.set_step(epoch)  # the rate of this epoch (the schedules are on the epoch axis)
        for x, y in loader:
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            updates += 1
    cpu = time.process_time() - t0
    with torch.no_grad():
        x, y = test.tensors
        acc = float((model(x).argmax(1) == y).double().mean())
    return acc, updates, cpu


def main() -> None:
    p = argparse.ArgumentParser(description="rate decay against batch growth")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--out", type=Path, default=None, help="also write the table (Markdown)")
    args = p.parse_args()
    torch.set_num_threads(1)
    lines = [f"Final held-out accuracy over {args.seeds} seeds (mean +/- std, [min, max]), "
             f"optimizer updates and CPU seconds per run; {EPOCHS} epochs, SGD momentum 0.9.", ""]
    for task, (train, test, features) in tasks().items():
        lines += [f"**{task}** ({len(train)} training / {len(test)} held-out samples)", "",
                  "| run | accuracy | spread | updates | vs rate decay | CPU s |",
                  "|---|---|---|---|---|---|"]
        base_updates = None
        for name, (batch, rate) in variants().items():
            rows = [run(train, test, features, batch, rate, seed) for seed in range(args.seeds)]
            accs = [r[0] for r in rows]
            updates = rows[0][1]
            base_updates = base_updates or updates
            sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
            lines.append(f"| {name} | {100 * statistics.mean(accs):.2f}% +/- {100 * sd:.2f} | "
                         f"[{100 * min(accs):.2f}, {100 * max(accs):.2f}] | {updates} | "
                         f"{updates / base_updates:.2f}x | "
                         f"{statistics.mean(r[2] for r in rows):.1f} |")
            print(lines[-1], flush=True)
        lines.append("")
    text = "\n".join(lines)
    print()
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
