"""Sweep schedules for an MLP on scikit-learn's digits: a range test seeds the peak, Optuna
searches lrkit's default space, the study lives in SQLite (kill it and run it again: it
continues), and the report lands in ./tune-digits/.

Run: ``.venv/bin/python examples/tune_digits.py [--trials 20] [--storage sqlite:///tune-digits.db]``
(the same sweep from the command line: ``lrkit sweep examples/tune_digits.py:objective
--budget steps_per_epoch=22,epochs=6 --optimizer sgd --direction maximize``).
"""

from __future__ import annotations

import argparse

import torch
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset

import lrkit
import lrkit.torch
from lrkit import Budget
from lrkit.tune import default_space, optimize

torch.set_num_threads(1)
BATCH, EPOCHS = 64, 6
_d = load_digits()
X = torch.tensor(_d.data / 16.0, dtype=torch.float32)
Y = torch.tensor(_d.target)
XTR, YTR, XVA, YVA = X[:1400], Y[:1400], X[1400:], Y[1400:]
PER_EPOCH = -(-1400 // BATCH)
BUDGET = Budget(steps_per_epoch=PER_EPOCH, epochs=EPOCHS)


def make():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    return model, torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9, nesterov=True)


def loader(seed: int = 0) -> DataLoader:
    return DataLoader(TensorDataset(XTR, YTR), batch_size=BATCH, shuffle=True,
                      generator=torch.Generator().manual_seed(seed))


def accuracy(model) -> float:
    with torch.no_grad():
        return float((model(XVA).argmax(1) == YVA).float().mean())


def objective(schedule, report) -> float:
    """Train with ``schedule`` (it counts optimizer steps); report the accuracy each epoch."""
    model, opt = make()
    step = 0
    for epoch in range(EPOCHS):
        for xb, yb in loader(epoch):
            for group in opt.param_groups:
                group["lr"] = schedule(step)
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
        report(step, accuracy(model))  # the pruner may stop the trial here
    return accuracy(model)


def main() -> None:
    p = argparse.ArgumentParser(description="schedule sweep on digits")
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--storage", default="sqlite:///tune-digits.db")
    p.add_argument("--out", default="tune-digits")
    args = p.parse_args()

    model, opt = make()
    finder = lrkit.torch.find_lr(model, opt, loader(), torch.nn.functional.cross_entropy,
                                 start=1e-5, end=10.0, num_steps=100, progress=False)
    print(f"range test: {finder!r}")
    space = default_space("sgd", finder=finder)
    print(f"space: {space}")

    def show(rec) -> None:
        value = "" if rec.value is None else f"{rec.value:.4f}"
        print(f"  trial {rec.number:3d} {rec.state:9s} {rec.family or '':10s} peak "
              f"{rec.peak or 0:.3g} {value} {rec.error or ''}")

    result = optimize(objective, space, budget=BUDGET, n_trials=args.trials, direction="maximize",
                      storage=args.storage, study_name="digits", callbacks=[show])
    print(result)
    print("best knobs:", result.best_values)
    print("best config:", result.best_config)
    print(lrkit.doctor.check(result.best_schedule(), budget=BUDGET, optimizer="sgd").format())
    for what, path in result.save(args.out).items():
        print(f"{what}: {path}")


if __name__ == "__main__":
    main()
