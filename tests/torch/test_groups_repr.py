"""repr(ParamGroups) is a short summary, not every weight tensor (issue 16)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from lrkit.torch import layer_decay, param_groups  # noqa: E402


def test_repr_is_a_short_summary():
    torch.manual_seed(0)
    model = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(16, 2, 32, batch_first=True), 12)
    groups = layer_decay(model, 0.75, lr=1e-3, weight_decay=0.05)
    text = repr(groups)
    assert "tensor(" not in text and "Parameter" not in text
    assert len(text) < 400 and "\n" not in text
    tensors = sum(len(g["params"]) for g in groups)
    assert text.startswith(f"ParamGroups({len(groups)} groups, {tensors} tensors")
    assert "layer_1 (4, lr x0.0422, wd x1)" in text and f"... {len(groups) - 6} more" in text


def test_repr_counts_frozen_parameters():
    groups = param_groups(torch.nn.Linear(3, 2), {"bias": "freeze"})
    assert repr(groups) == "ParamGroups(1 groups, 1 tensors, 1 frozen: default (1, lr x1, wd x1))"
