"""Transfer learning on scikit-learn's digits with lrkit's per-layer tools.

Pre-train a small network on the digits 0-4, replace its head, and fine-tune on the digits 5-9
from a handful of labelled examples per class, comparing

* ``scratch``  — the same network trained from random weights (no transfer);
* ``plain``    — the classic recipe: restore the body, one Adam rate for every layer;
* ``probe``    — restore the body frozen and train the new head only (the article's recipe,
  ``load_partial(..., exclude=["head"], freeze_restored=True)``);
* ``decay``    — restore the body, layer-wise rate decay, warmup + cosine driven by
  ``lrkit.torch.Scheduler`` (one optimizer, one backward pass);
* ``lrkit``    — the same plus gradual unfreezing (head first, then deeper blocks).

Each method's peak rate is picked from ``--lrs`` on a validation split; the test accuracy of
that choice is printed.

Run:  python examples/transfer_digits.py [--model cnn|transformer|both] [--seeds 5]
(about 30 s on two CPU cores; no downloads).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

import lrkit
from lrkit.torch import GradualUnfreeze, Scheduler, layer_decay, load_partial

torch.set_num_threads(1)


def digits(classes: range, seed: int, per_class: int | None) -> tuple[torch.Tensor, ...]:
    d = load_digits()
    x = torch.tensor(d.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(d.target)
    keep = (y >= classes.start) & (y < classes.stop)
    x, y = x[keep], y[keep] - classes.start
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(y))
    test, val, pool = perm[: len(y) // 3], perm[len(y) // 3: len(y) // 2], perm[len(y) // 2:]
    if per_class is not None:
        pool = np.concatenate([pool[y[pool].numpy() == c][:per_class] for c in range(len(classes))])
    return x[pool], y[pool], x[val], y[val], x[test], y[test]


class CNN(nn.Module):
    def __init__(self, n_classes: int = 5) -> None:
        super().__init__()
        self.blocks = nn.Sequential(
            nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU()),
            nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2)),
            nn.Sequential(nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten()),
        )
        self.head = nn.Linear(64, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(x))


class Transformer(nn.Module):
    """Each of the 8 pixel rows is a token."""

    def __init__(self, n_classes: int = 5, d: int = 32, layers: int = 3) -> None:
        super().__init__()
        self.embed = nn.Linear(8, d)
        self.pos_embed = nn.Parameter(torch.randn(1, 8, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, 4, 2 * d, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.encoder(self.embed(x.reshape(x.shape[0], 8, 8)) + self.pos_embed)
        return self.head(self.norm(h.mean(dim=1)))


MODELS = {"cnn": CNN, "transformer": Transformer}
# unfreeze plan, head first: (epoch, patterns)
STAGES = {
    "cnn": [(0, "head"), (3, "blocks.2"), (6, "blocks.1"), (9, "blocks.0")],
    "transformer": [(0, ["head", "norm"]), (3, "encoder.layers.2"), (6, "encoder.layers.1"),
                    (9, ["encoder.layers.0", "embed", "pos_embed"])],
}


def run_epochs(model: nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, epochs: int,
               seed: int, batch: int = 16, each_step=None) -> None:
    g = torch.Generator().manual_seed(seed)
    loss_fn = nn.CrossEntropyLoss()
    step = 0
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(y), generator=g).split(batch):
            if each_step is not None:
                each_step(step, "before")
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
            if each_step is not None:
                each_step(step, "after")
            step += 1


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    return float((model(x).argmax(1) == y).float().mean())


def pretrain(kind: str, seed: int = 0) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    x, y, _, _, xt, yt = digits(range(0, 5), seed, None)
    model = MODELS[kind]()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    run_epochs(model, opt, x, y, 15, seed, batch=32)
    print(f"  pre-trained {kind} on digits 0-4: test accuracy {accuracy(model, xt, yt):.3f}")
    return model.state_dict()


def fine_tune(kind: str, method: str, weights: dict, seed: int, per_class: int, epochs: int,
              lr: float) -> tuple[float, float]:
    """Validation and test accuracy of one fine-tuning run."""
    torch.manual_seed(1000 + seed)
    x, y, xv, yv, xt, yt = digits(range(5, 10), seed, per_class)
    model = MODELS[kind]()  # a fresh head for the 5 new classes
    if method == "scratch":
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
        run_epochs(model, opt, x, y, epochs, seed)
        return accuracy(model, xv, yv), accuracy(model, xt, yt)
    report = load_partial(model, weights, exclude="head", freeze_restored=(method == "probe"))
    assert report.skipped == ["head.weight", "head.bias"] and not report.missing
    if method in ("plain", "probe"):
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=1e-4)
        run_epochs(model, opt, x, y, epochs, seed)
        return accuracy(model, xv, yv), accuracy(model, xt, yt)
    # lrkit: layer decay + warmup/cosine (+ gradual unfreezing), one optimizer, one backward pass
    steps_per_epoch = -(-len(y) // 16)
    total = epochs * steps_per_epoch
    groups = layer_decay(model, 0.6, lr=lr, weight_decay=1e-4)
    stages = STAGES[kind] if method == "lrkit" else [(0, "*")]  # "decay": everything trains at once
    plan = GradualUnfreeze(model, stages, budget=lrkit.Budget(steps_per_epoch=steps_per_epoch),
                           groups=groups)
    plan.apply(0)
    opt = torch.optim.AdamW(plan.initial_groups())
    sched = Scheduler(opt, {"lr": lrkit.warmup(lrkit.Cosine(lr, total - steps_per_epoch), steps_per_epoch)})

    def each_step(step: int, when: str) -> None:
        if when == "before":
            plan.apply(step, opt, sched)
        else:
            sched.step()

    run_epochs(model, opt, x, y, epochs, seed, each_step=each_step)
    return accuracy(model, xv, yv), accuracy(model, xt, yt)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=["cnn", "transformer", "both"], default="both")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--per-class", type=int, default=10, help="labelled fine-tuning examples per class")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--lrs", type=float, nargs="+", default=[3e-3, 1e-2],
                    help="peak rates tried per method; the best on a validation split is reported")
    args = ap.parse_args()
    t0 = time.perf_counter()
    kinds = ["cnn", "transformer"] if args.model == "both" else [args.model]
    for kind in kinds:
        print(f"{kind}:")
        weights = pretrain(kind)
        print(f"  fine-tune on digits 5-9 from {args.per_class} examples per class, {args.epochs} epochs; "
              f"rate chosen per method on validation; test accuracy over {args.seeds} seeds:")
        for method in ("scratch", "probe", "plain", "decay", "lrkit"):
            best = None
            for lr in args.lrs:
                runs = [fine_tune(kind, method, weights, s, args.per_class, args.epochs, lr)
                        for s in range(args.seeds)]
                val = statistics.mean(v for v, _ in runs)
                if best is None or val > best[0]:
                    best = (val, lr, [t for _, t in runs])
            val, lr, accs = best
            print(f"    {method:8s} lr={lr:<7g} val {val:.3f}  test {statistics.mean(accs):.3f} "
                  f"(min {min(accs):.3f}, max {max(accs):.3f})")
    print(f"total time {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
