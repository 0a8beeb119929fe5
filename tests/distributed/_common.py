"""Shared by the scripts the 2-process tests start (run under torch.distributed.run)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import torch


def digits(n: int | None = None) -> torch.utils.data.TensorDataset:
    """scikit-learn's digits (shipped with the package), scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    if n is not None:
        x, y = x[:n], y[:n]
    return torch.utils.data.TensorDataset(torch.tensor(x / 16.0, dtype=torch.float32),
                                          torch.tensor(y, dtype=torch.long))


def mlp(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def write(out: str | Path, name: str, payload: dict[str, Any]) -> None:
    """Each rank writes its own ``<name>-<rank>.json``."""
    path = Path(out) / f"{name}-{rank()}.json"
    path.write_text(json.dumps(payload), encoding="utf-8")


def out_dir() -> Path:
    if len(sys.argv) < 2:
        raise SystemExit(f"usage: {sys.argv[0]} OUT_DIR")
    return Path(sys.argv[1])
