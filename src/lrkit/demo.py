"""``lrkit demo``: the whole learning-rate workflow, end to end, on data shipped with
scikit-learn (the 8x8 handwritten digits, no download).

1. **Range test** — :func:`lrkit.torch.find_lr` raises the rate step by step on the real model
   and optimizer, records the loss, and restores both bitwise afterwards.
2. **Suggested rate** — the finder's suggestion :math:`\\hat\\eta` becomes the peak.
3. **Schedule** — a linear warmup (from :math:`\\hat\\eta/25`) over the first epoch into a
   cosine decay to zero (or a one-cycle schedule), checked by the schedule doctor.
4. **Per-layer rates** — :func:`lrkit.torch.layer_decay`: block :math:`\\ell` of :math:`L`
   learns at :math:`\\eta(t)\\,\\gamma^{L-\\ell}`, the head at :math:`\\eta(t)`; biases get no
   weight decay.
5. **Training** — :class:`lrkit.torch.Scheduler` drives the optimizer step by step (with a
   progress bar); the rate each group really used is recorded from the optimizer.
6. **Accuracy** on the held-out 20%.

It writes ``finder.png``, ``schedule.png``, ``training.png``, ``summary.txt`` and
``summary.json`` to the output directory.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["DemoResult", "run", "run_cli"]

SCHEDULES = ("warmup_cosine", "one_cycle")


@dataclasses.dataclass
class DemoResult:
    """What the demo did and measured (also written to ``summary.json``)."""

    out: str
    accuracy: float
    suggested_lr: float | None
    peak_lr: float
    finder_note: str
    schedule: dict[str, Any]
    groups: dict[str, float]
    epochs: int
    steps: int
    seconds: float
    files: list[str]
    doctor: list[str]
    history: dict[str, list[float]] = dataclasses.field(repr=False, default_factory=dict)

    @property
    def schedule_name(self) -> str:
        kind = self.schedule.get("type")
        if kind == "warmup":
            return f"linear warmup ({self.schedule['steps']:g} steps) + cosine"
        return "one-cycle" if kind == "one_cycle" else str(kind)

    def summary(self) -> str:
        lines = [
            "lrkit demo: scikit-learn digits (1797 8x8 images, 10 classes), small CNN, AdamW",
            f"range test: {self.finder_note}",
            f"peak rate: {self.peak_lr:.3g}"
            + (" (the finder's suggestion)" if self.suggested_lr is not None else ""),
            f"schedule: {self.schedule_name} over {self.steps} steps ({self.epochs} epochs); "
            f"lrkit check: {'; '.join(self.doctor) if self.doctor else 'no problems'}",
            "per-layer rate multipliers (layer decay 0.7; biases without weight decay): "
            + ", ".join(f"{k} x{v:.3g}" for k, v in self.groups.items() if not k.endswith(".no_decay")),
            f"test accuracy: {self.accuracy:.2%} (held-out 20%, {self.seconds:.1f} s)",
            "files: " + ", ".join(self.files),
        ]
        return "\n".join(lines)


def _data(seed: int) -> tuple[Any, Any, Any, Any]:
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, random_state=seed, stratify=y)
    mean, std = x_tr.mean(), x_tr.std()

    def tensor(a: np.ndarray) -> Any:
        return torch.from_numpy(((a - mean) / std).reshape(-1, 1, 8, 8))

    return (tensor(x_tr), torch.from_numpy(y_tr).long(), tensor(x_te), torch.from_numpy(y_te).long())


def _model() -> Any:
    from torch import nn

    class DigitsNet(nn.Module):
        """Three numbered blocks and a head: layer decay finds the ids by itself."""

        def __init__(self) -> None:
            super().__init__()
            self.blocks = nn.Sequential(
                nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU()),
                nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)),
                nn.Sequential(nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU()),
            )
            self.head = nn.Linear(64, 10)

        def forward(self, x: Any) -> Any:
            return self.head(self.blocks(x))

    return DigitsNet()


def _accuracy(model: Any, x: Any, y: Any) -> float:
    import torch

    was = model.training
    model.eval()
    with torch.no_grad():
        acc = float((model(x).argmax(1) == y).float().mean())
    model.train(was)
    return acc


def _progress(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is part of the demo extra
        return None
    return tqdm(total=total, desc="training", unit="step", file=sys.stderr, leave=True, disable=None)


def run(out: str | Path = "lrkit-demo", *, quick: bool = False, seed: int = 0,
        schedule: str = "warmup_cosine", progress: bool = True) -> DemoResult:
    """Run the demo and write its figures and summary to ``out``; returns what it measured.

    ``quick`` trains 8 epochs with a 60-step range test instead of 20 epochs and 100 steps.
    ``schedule`` is ``"warmup_cosine"`` or ``"one_cycle"``.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out must be a directory, got the file {str(out_dir)!r}")

    import torch

    threads = torch.get_num_threads()
    # a network this small runs fastest on one thread (and several spin against each other
    # on a busy machine); the caller's setting is restored at the end
    torch.set_num_threads(1)
    try:
        return _run(out_dir, quick, seed, schedule, progress)
    finally:
        torch.set_num_threads(threads)


def _run(out_dir: Path, quick: bool, seed: int, schedule: str, progress: bool) -> DemoResult:
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    import lrkit
    from lrkit.doctor import check
    from lrkit.torch import Scheduler, layer_decay

    t0 = time.perf_counter()
    torch.manual_seed(seed)
    np.random.seed(seed)
    x_tr, y_tr, x_te, y_te = _data(seed)
    gen = torch.Generator().manual_seed(seed)
    loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=64, shuffle=True, generator=gen)
    model = _model()
    loss_fn = torch.nn.CrossEntropyLoss()

    # per-layer rates: groups carry lr_scale = decay ** (top - layer id); the base lr (1.0 here)
    # is only a placeholder, the scheduler sets every group's rate from the schedule
    groups = layer_decay(model, 0.7, lr=1.0, weight_decay=0.05)
    scales = {g["name"]: float(g["lr_scale"]) for g in groups}
    members: dict[str, list[str]] = {}
    for param, info in groups.as_dict().items():
        members.setdefault(info["group"], []).append(param)
    where = {n: _module_of(ps) for n, ps in members.items() if not n.endswith(".no_decay")}
    opt = torch.optim.AdamW(groups, lr=1.0, weight_decay=0.05)

    # 1-2. range test on the real model and optimizer (restored afterwards), suggested rate
    finder_steps = 60 if quick else 100
    result = None
    suggested: float | None = None
    try:
        from lrkit.torch import find_lr
    except (ImportError, AttributeError) as exc:  # pragma: no cover - finder not installed
        note = f"not run (lrkit.torch.find_lr unavailable: {exc}); peak fixed at 3e-3"
    else:
        result = find_lr(model, opt, loader, loss_fn, start=1e-5, end=1.0, num_steps=finder_steps,
                         progress=progress and sys.stderr.isatty())
        suggested = result.suggestion
        note = (f"{len(result.lrs)} steps from 1e-5 to 1 ({result.stop_reason}); suggestion "
                + (f"{suggested:.3g}" if suggested is not None else f"none: {result.reason}"))
    peak = suggested if suggested is not None else 3e-3

    # 3. the schedule, checked by the doctor before training
    epochs = 8 if quick else 20
    steps_per_epoch = len(loader)
    total = epochs * steps_per_epoch
    if schedule == "one_cycle":
        sched: lrkit.Schedule = lrkit.OneCycle(peak=peak, total_steps=total)
    else:
        sched = lrkit.warmup(lrkit.Cosine(start=peak, steps=total - steps_per_epoch),
                             steps=steps_per_epoch, start=peak / 25)
    report = check(sched, total, optimizer="adamw")
    doctor = [str(f) for f in report.findings if f.severity != "info"]

    # 5. training, driven step by step by lrkit's scheduler
    driver = Scheduler(opt, sched)
    names = [g["name"] for g in opt.param_groups]
    history: dict[str, list[float]] = {"loss": [], "epoch_accuracy": []}
    history.update({f"lr:{n}": [] for n in names})
    bar = _progress(total, progress)
    model.train()
    for _epoch in range(epochs):
        for xb, yb in loader:
            for n, g in zip(names, opt.param_groups):
                history[f"lr:{n}"].append(float(g["lr"]))
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            driver.step()
            history["loss"].append(loss.item())
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{history['loss'][-1]:.3f}", lr=f"{history[f'lr:{names[-1]}'][-1]:.2e}")
        history["epoch_accuracy"].append(_accuracy(model, x_te, y_te))
    if bar is not None:
        bar.close()
    accuracy = history["epoch_accuracy"][-1]
    seconds = time.perf_counter() - t0

    # figures and summary
    out_dir.mkdir(parents=True, exist_ok=True)
    files = _figures(out_dir, result, sched, scales, where, history, total, steps_per_epoch)
    res = DemoResult(out=str(out_dir), accuracy=accuracy, suggested_lr=suggested, peak_lr=peak,
                     finder_note=note, schedule=sched.to_config(), groups=scales, epochs=epochs,
                     steps=total, seconds=seconds, files=files + ["summary.txt", "summary.json"],
                     doctor=doctor, history=history)
    (out_dir / "summary.txt").write_text(res.summary() + "\n", encoding="utf-8")
    payload = {k: v for k, v in dataclasses.asdict(res).items() if k != "history"}
    payload["epoch_accuracy"] = history["epoch_accuracy"]
    if result is not None:
        payload["finder"] = {"suggestions": result.suggestions(), "stop_reason": result.stop_reason}
    (out_dir / "summary.json").write_text(json.dumps(payload, indent=2, default=float) + "\n",
                                          encoding="utf-8")
    return res


def _module_of(param_names: list[str]) -> str:
    """``["blocks.0.0.weight", ...]`` -> ``"blocks.0"`` (the part of the name the group shares,
    up to two levels)."""
    parts = [n.split(".")[:-1] for n in param_names]
    common: list[str] = []
    for level in zip(*parts):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return ".".join(common[:2]) or "model"


def _figures(out: Path, result: Any, sched: Any, scales: dict[str, float], where: dict[str, str],
             history: dict[str, list[float]], total: int, steps_per_epoch: int) -> list[str]:
    from matplotlib.figure import Figure

    from lrkit import plot as lp

    files = []
    if result is not None:
        fig = Figure(figsize=(7, 4.2), layout="constrained")
        ax = fig.add_subplot()
        result.plot(ax=ax)
        ax.set_title("LR range test (model and optimizer restored afterwards)")
        fig.savefig(out / "finder.png")
        files.append("finder.png")

    shown = [n for n in scales if n in where]  # a no-decay twin has the same rate as its group
    fig = lp.plot([sched * scales[n] for n in shown], total,
                  labels=[f"{n}: {where[n]} (x{scales[n]:.3g})" for n in shown],
                  steps_per_epoch=steps_per_epoch,
                  title="the schedule per parameter group (layer decay)")
    fig.savefig(out / "schedule.png")
    files.append("schedule.png")

    fig = Figure(figsize=(7.5, 8), layout="constrained")
    ax_lr, ax_loss, ax_acc = fig.subplots(3, 1)
    steps = np.arange(len(history["loss"]))
    for name in shown:
        ax_lr.plot(steps, history[f"lr:{name}"], label=f"{name}: {where[name]}")
    ax_lr.set_ylabel("learning rate (applied)")
    ax_lr.legend(fontsize="small")
    loss = np.asarray(history["loss"])
    ax_loss.plot(steps, loss, color="0.7", lw=0.8, label="batch loss")
    k = max(steps_per_epoch, 1)
    if len(loss) >= k:
        smooth = np.convolve(loss, np.ones(k) / k, mode="valid")
        ax_loss.plot(steps[k - 1:], smooth, color="C0", label="mean over an epoch")
    ax_loss.set_yscale("log")
    ax_loss.set_ylabel("training loss")
    ax_loss.legend(fontsize="small")
    for ax in (ax_lr, ax_loss):
        ax.set_xlabel("optimizer step")
        ax.grid(True, alpha=0.3)
    acc = history["epoch_accuracy"]
    ax_acc.plot(np.arange(1, len(acc) + 1), acc, marker="o")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("test accuracy")
    ax_acc.set_ylim(min(0.8, min(acc) - 0.02) if acc else 0.8, 1.0)
    ax_acc.grid(True, alpha=0.3)
    fig.savefig(out / "training.png")
    files.append("training.png")
    return files


def run_cli(out: str = "lrkit-demo", quick: bool = False, seed: int = 0,
            schedule: str = "warmup_cosine") -> int:
    """``lrkit demo``: run, print the summary, return the exit code."""
    res = run(out, quick=quick, seed=seed, schedule=schedule, progress=True)
    print(res.summary())
    print(f"wrote {', '.join(res.files)} to {res.out}/")
    return 0 if math.isfinite(res.accuracy) else 1
