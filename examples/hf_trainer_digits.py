"""Hugging Face ``Trainer`` with an lrkit schedule, on digits.

The ``Trainer`` builds its scheduler from ``TrainingArguments.lr_scheduler_type``; it accepts one
built outside through its own ``optimizers=(optimizer, scheduler)`` argument. This example reads
the schedule's name, warmup and length from the ``TrainingArguments`` (so the arguments still
describe the run), builds it with ``lrkit.compat.transformers.get_scheduler`` -- transformers'
own curve -- and hands ``lrkit.torch.Scheduler`` to the ``Trainer``, which steps it once per
optimizer update. A callback records the rate of every update.

Run:  python examples/hf_trainer_digits.py [--steps 200]   (no downloads)
"""

from __future__ import annotations

import argparse
import tempfile

import torch
from sklearn.datasets import load_digits
from torch import nn
from transformers import Trainer, TrainerCallback, TrainingArguments

from lrkit.compat import transformers as hf
from lrkit.torch import Scheduler


class Classifier(nn.Module):
    """A small MLP speaking the ``Trainer``'s protocol: keyword inputs, a dict with the loss."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, pixels, labels=None):
        logits = self.net(pixels)
        loss = None if labels is None else nn.functional.cross_entropy(logits, labels)
        return {"loss": loss, "logits": logits}


class Rates(TrainerCallback):
    def __init__(self) -> None:
        self.rates: list[float] = []

    def on_step_begin(self, args, state, control, optimizer=None, **kwargs):
        self.rates.append(optimizer.param_groups[0]["lr"])   # the rate this update uses


def main(steps: int = 200, verbose: bool = True) -> dict:
    torch.manual_seed(0)
    x, y = load_digits(return_X_y=True)
    train = [{"pixels": torch.tensor(a / 16.0, dtype=torch.float32), "labels": int(b)}
             for a, b in zip(x[:1400], y[:1400])]
    model = Classifier()
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(output_dir=out, learning_rate=3e-3, lr_scheduler_type="cosine",
                                 warmup_steps=steps // 10, max_steps=steps, per_device_train_batch_size=32,
                                 report_to=[], save_strategy="no", logging_strategy="no", use_cpu=True,
                                 disable_tqdm=True, seed=0)
        opt = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, weight_decay=args.weight_decay)
        schedule = hf.get_scheduler(args.lr_scheduler_type, opt, num_warmup_steps=args.warmup_steps,
                                    num_training_steps=args.max_steps)
        rates = Rates()
        trainer = Trainer(model=model, args=args, train_dataset=train,
                          optimizers=(opt, Scheduler(opt, schedule)), callbacks=[rates])
        trainer.train()
    with torch.no_grad():
        logits = model(torch.tensor(x[1400:] / 16.0, dtype=torch.float32))["logits"]
    accuracy = float((logits.argmax(1) == torch.tensor(y[1400:])).float().mean())
    if verbose:
        print(f"{len(rates.rates)} updates, peak rate {max(rates.rates):.3g}; test accuracy {accuracy:.3f}")
    return {"accuracy": accuracy, "rates": rates.rates, "schedule": schedule,
            "scheduler": trainer.lr_scheduler}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=200)
    main(p.parse_args().steps)
