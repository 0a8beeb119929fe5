"""The JAX digits example's per-leaf rates equal PyTorch's per-parameter rates for the same config."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("flax")
torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "jax_digits.py"


def _example():
    spec = importlib.util.spec_from_file_location("_jax_digits", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


class Block(torch.nn.Module):
    def __init__(self, width):
        super().__init__()
        self.linear = torch.nn.Linear(width, width)
        self.norm = torch.nn.LayerNorm(width)


class Net(torch.nn.Module):
    """The example's layout in PyTorch (same names, same order)."""

    def __init__(self, width, layers):
        super().__init__()
        self.embed = torch.nn.Linear(8, width)
        self.layers = torch.nn.ModuleList([Block(width) for _ in range(layers)])
        self.head = torch.nn.Linear(width, 10)


def _jax_name(torch_name: str) -> str:
    parts = torch_name.split(".")
    if parts[-1] == "weight":
        parts[-1] = "scale" if "norm" in parts else "kernel"
    return "/".join(parts)


def test_per_leaf_rates_equal_torch_per_parameter_rates():
    from lrkit.torch import Scheduler, layer_decay

    ex = _example()
    config = dict(ex.CONFIG, steps=30, warmup=5)
    acc, log, groups = ex.train(config)
    assert len(log) == 30

    model = Net(config["width"], config["layers"])
    pg = layer_decay(model, config["decay"], rules=config["rules"], lr=config["peak"],
                     weight_decay=config["weight_decay"])
    opt = torch.optim.AdamW(pg, lr=config["peak"])
    sched = Scheduler(opt, ex.schedule(config))
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert {_jax_name(n) for n in frozen} == set(groups.frozen) == {"embed/kernel", "embed/bias"}
    for t in range(30):
        for g in opt.param_groups:
            for name in g["names"]:
                assert log[t][_jax_name(name)] == pytest.approx(g["lr"], rel=2e-5), (t, name)
                assert groups.as_dict()[_jax_name(name)][1] == pytest.approx(
                    g["weight_decay"] / config["weight_decay"] if config["weight_decay"] else 0.0)
        for n in frozen:
            assert log[t][_jax_name(n)] == 0.0
        opt.step()
        sched.step()
    assert any(r > 0 for r in log[-1].values())
