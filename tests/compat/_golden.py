"""What the torch, transformers and timm parity tests share: the golden files, the generator
script that wrote them (it also holds the live reference runners), and the comparisons."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

import lrkit

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
RTOL = 1e-12  # these peers compute in Python floats (float64)


def generator(alias: str) -> ModuleType:
    """The committed script that ran the real libraries, loaded as a module."""
    spec = importlib.util.spec_from_file_location(f"_gen_torch_hf_timm_{alias}",
                                                  GOLDEN / "generate_torch_hf_timm.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def cases(filename: str) -> list[dict[str, Any]]:
    return json.loads((GOLDEN / filename).read_text())["cases"]


def far_points(all_cases: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str, float]]:
    """(case, step, value) for every step recorded far past the end (not the ones that raise)."""
    return [(c, t, v) for c in all_cases for t, v in c.get("far", {}).items() if t != "raises"]


def assert_rel(ours: Any, ref: Any, rtol: float = RTOL, atol: float = 0.0) -> None:
    np.testing.assert_allclose(np.asarray(ours, dtype=np.float64), np.asarray(ref), rtol=rtol, atol=atol)


def assert_far(case: dict[str, Any], t: str, value: float) -> None:
    """The value far past the end, on the scalar and the vectorised path."""
    s = lrkit.from_config(case["config"])
    # (atol: torch's repeated products reach subnormals where the closed form underflows to 0)
    assert_rel(s(int(t)), value, atol=1e-300)
    assert_rel(s(np.array([0, int(t)]))[1], value, atol=1e-300)
