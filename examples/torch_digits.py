"""PyTorch, plain loop: range test -> suggested peak -> warmup + cosine -> training, on digits.

The whole lrkit workflow in one plain training loop, on scikit-learn's digits (no downloads):

1. ``lrkit.torch.find_lr`` runs the range test and restores the model and optimizer afterwards;
2. its suggestion is the peak of a warmup + cosine schedule, counted in optimizer updates
   (``lrkit.Budget.from_loader``);
3. ``lrkit.torch.Scheduler`` applies it, one ``step()`` per update, to the groups of
   ``lrkit.torch.param_groups`` (no weight decay on biases).

Run:  python examples/torch_digits.py [--epochs 8]   (a few seconds on a CPU)
"""

from __future__ import annotations

import argparse

import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import lrkit
import lrkit.torch
from lrkit.torch import Scheduler, param_groups


def data(seed: int = 0) -> tuple[DataLoader, tuple[torch.Tensor, torch.Tensor]]:
    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(x), generator=g)
    train, test = order[:1400], order[1400:]
    loader = DataLoader(TensorDataset(x[train], y[train]), batch_size=64, shuffle=True, generator=g)
    return loader, (x[test], y[test])


def model() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def main(epochs: int = 8, seed: int = 0, verbose: bool = True) -> dict:
    torch.manual_seed(seed)
    loader, (x_test, y_test) = data(seed)
    net = model()
    loss_fn = nn.functional.cross_entropy
    groups = param_groups(net, lr=1e-3, weight_decay=1e-4)   # no weight decay on the biases
    opt = torch.optim.AdamW(groups)

    result = lrkit.torch.find_lr(net, opt, loader, loss_fn, num_steps=100, progress=False)
    peak = result.suggestion if result.suggestion is not None else 1e-3   # result.reason says why
    budget = lrkit.Budget.from_loader(loader, epochs=epochs)
    total = budget.resolved_total_steps()
    schedule = lrkit.warmup(lrkit.Cosine(peak, total - total // 10), total // 10)
    sched = Scheduler(opt, schedule)

    rates = []
    for _ in range(epochs):
        for x, y in loader:
            rates.append([g["lr"] for g in opt.param_groups])
            opt.zero_grad()
            loss_fn(net(x), y).backward()
            opt.step()
            sched.step()
    with torch.no_grad():
        accuracy = float((net(x_test).argmax(1) == y_test).float().mean())
    if verbose:
        print(f"range test: peak {peak:.3g} ({result.reason or 'lrkit rule'}); {total} updates")
        print(f"test accuracy {accuracy:.3f}")
    return {"accuracy": accuracy, "schedule": schedule, "rates": rates, "groups": opt.param_groups,
            "peak": peak, "total": total}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=8)
    main(p.parse_args().epochs)
