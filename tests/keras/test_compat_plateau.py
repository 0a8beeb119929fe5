"""lrkit.compat.keras.ReduceLROnPlateau against the real Keras callback (golden file written by
tests/golden/generate_keras_plateau.py), and its argument checks. Does not import Keras."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lrkit.compat.keras import ReduceLROnPlateau

GOLDEN = json.loads((Path(__file__).resolve().parents[1] / "golden" / "keras_plateau.json").read_text())


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: f"{c['path']}-{c['monitor']}-{c['kwargs']}")
def test_same_rate_as_keras_after_every_epoch(case):
    ctl = ReduceLROnPlateau(lr=case["lr"], monitor=case["monitor"], **case["kwargs"])
    got = [ctl.step(m) for m in case["metrics"]]
    assert got == case["rates"]  # exactly: both are the float32 rate Keras stores


def test_the_golden_cases_reduce_floor_and_cool_down():
    # the file exercises what it claims: reductions, the min_lr floor held, both modes
    assert any(len(set(c["rates"])) > 3 for c in GOLDEN["cases"])
    assert any(c["kwargs"].get("min_lr") and c["rates"][-1] == pytest.approx(c["kwargs"]["min_lr"])
               for c in GOLDEN["cases"])
    assert {c["kwargs"].get("mode", "auto") for c in GOLDEN["cases"]} == {"auto", "min", "max"}


def test_auto_mode_state_and_bad_input():
    assert ReduceLROnPlateau(monitor="val_accuracy").mode == "max"
    assert ReduceLROnPlateau(monitor="loss").mode == "min"
    with pytest.raises(ValueError, match="mode='auto' cannot tell.*val_perplexity"):
        ReduceLROnPlateau(monitor="val_perplexity")
    with pytest.raises(ValueError, match="factor must be < 1.0"):
        ReduceLROnPlateau(factor=1.0)
    with pytest.raises(ValueError, match="mode must be"):
        ReduceLROnPlateau(mode="up")
    with pytest.raises(TypeError, match="metric must be a number"):
        ReduceLROnPlateau().step("high")
    a = ReduceLROnPlateau(lr=0.1, factor=0.5, patience=1)
    for m in (1.0, 1.0, 1.0):
        a.step(m)
    b = ReduceLROnPlateau(lr=0.1, factor=0.5, patience=1)
    b.load_state_dict(a.state_dict())
    assert [a.step(1.0) for _ in range(3)] == [b.step(1.0) for _ in range(3)]
