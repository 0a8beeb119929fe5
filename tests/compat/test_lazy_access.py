"""``lrkit.compat`` and every dialect module are reachable as attributes after ``import lrkit``
alone, imported on first use (``import lrkit`` stays light)."""

from __future__ import annotations

import subprocess
import sys

import pytest

DIALECTS = ["tf1", "keras", "optax", "torch", "transformers", "timm", "deepspeed"]


def run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_import_lrkit_imports_no_dialect_until_one_is_used():
    code = ("import sys, lrkit\n"
            "print(sorted(m for m in sys.modules if m.startswith('lrkit.compat')))\n"
            "print(lrkit.compat.torch.StepLR(lr=0.1, step_size=10, gamma=0.5)(25))\n"
            "print(sorted(m for m in sys.modules if m.startswith('lrkit.compat')))\n"
            "print([m for m in ('torch', 'jax', 'keras', 'tensorflow', 'optax') if m in sys.modules])")
    before, value, after, heavy = run(code).splitlines()
    assert before == "[]"
    assert float(value) == pytest.approx(0.025)
    assert "'lrkit.compat.torch'" in after and "'lrkit.compat.keras'" not in after
    assert heavy == "[]"


@pytest.mark.parametrize("name", DIALECTS)
def test_every_dialect_is_an_attribute(name):
    import importlib

    import lrkit

    assert getattr(lrkit.compat, name) is importlib.import_module(f"lrkit.compat.{name}")
    assert name in dir(lrkit.compat)


def test_unknown_attributes_still_raise():
    import lrkit

    with pytest.raises(AttributeError, match="nope"):
        lrkit.compat.nope  # noqa: B018
    with pytest.raises(AttributeError, match="nope"):
        lrkit.nope  # noqa: B018
