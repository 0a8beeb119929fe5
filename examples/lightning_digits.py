"""Lightning: an lrkit schedule from ``configure_optimizers``, stepped per update, on digits.

``configure_optimizers`` counts the run's optimizer updates from the trainer
(``estimated_stepping_batches``: epochs, batches, gradient accumulation and devices), builds a
one-cycle schedule over exactly that many updates and returns ``lrkit.torch.Scheduler`` with
``interval="step"``. Lightning steps it once per optimizer update; momentum follows the
one-cycle's inverse curve.

Run:  python examples/lightning_digits.py [--epochs 4]   (no downloads)
"""

from __future__ import annotations

import argparse

import lightning as L
import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import lrkit
from lrkit.torch import Scheduler


class Digits(L.LightningModule):
    def __init__(self, peak: float = 0.2) -> None:
        super().__init__()
        self.peak = peak
        self.net = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
        self.rates: list[tuple[float, float]] = []
        self.schedule: lrkit.OneCycle | None = None

    def training_step(self, batch, batch_idx):
        x, y = batch
        group = self.optimizers().optimizer.param_groups[0]
        self.rates.append((group["lr"], group["momentum"]))   # the rate this update uses
        return nn.functional.cross_entropy(self.net(x), y)

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=self.peak, momentum=0.9)
        self.schedule = lrkit.OneCycle(self.peak, int(self.trainer.estimated_stepping_batches))
        sched = Scheduler(opt, {"lr": self.schedule, "momentum": self.schedule.momentum})
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def main(epochs: int = 4, accumulate: int = 1, verbose: bool = True) -> dict:
    L.seed_everything(0, verbose=False)
    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    loader = DataLoader(TensorDataset(x[:1400], y[:1400]), batch_size=64, shuffle=True)
    module = Digits()
    trainer = L.Trainer(max_epochs=epochs, accelerator="cpu", devices=1, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                        accumulate_grad_batches=accumulate)
    trainer.fit(module, loader)
    with torch.no_grad():
        accuracy = float((module.net(x[1400:]).argmax(1) == y[1400:]).float().mean())
    if verbose:
        print(f"{len(module.rates)} batches, {module.schedule.total_steps:g} updates; "
              f"test accuracy {accuracy:.3f}")
    return {"accuracy": accuracy, "rates": module.rates, "schedule": module.schedule,
            "updates": trainer.global_step}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=4)
    main(p.parse_args().epochs)
