"""layer_decay: automatic layer ids, explicit mappings, the table, and true rate multipliers."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from lrkit.torch import layer_decay, param_groups  # noqa: E402

from ._transfer_models import SmallCNN, TinyTransformer  # noqa: E402


def test_transformer_encoder_ids_embeddings_bottom_blocks_then_head():
    m = TinyTransformer(layers=3)
    groups = layer_decay(m, 0.5, lr=1e-3, weight_decay=0.05)
    info = groups.as_dict()
    assert info["embed.weight"]["layer_id"] == 0 and info["pos_embed"]["layer_id"] == 0
    for k in range(3):
        assert info[f"encoder.layers.{k}.linear1.weight"]["layer_id"] == k + 1
    assert info["norm.weight"]["layer_id"] == 4 and info["head.weight"]["layer_id"] == 4
    for name, row in info.items():
        assert row["lr_scale"] == 0.5 ** (4 - row["layer_id"]), name
    lr_of = {n: g["lr"] for g in groups for n in g["names"]}
    assert lr_of["encoder.layers.0.self_attn.in_proj_weight"] == pytest.approx(1e-3 * 0.5 ** 3, rel=1e-15)
    # ordered bottom to top, every group named after its layer
    assert [g["layer_id"] for g in groups] == sorted(g["layer_id"] for g in groups)
    assert all(g["name"].startswith(f"layer_{g['layer_id']}") for g in groups)
    wd_of = {n: g["weight_decay"] for g in groups for n in g["names"]}
    assert wd_of["head.weight"] == 0.05 and wd_of["head.bias"] == 0.0


def test_sequential_stack_and_top_level_head():
    m = SmallCNN()
    info = layer_decay(m, 0.8, lr=0.1).as_dict()
    # the numbered stack is `features`; its parameterised children 0, 1, 3, 4 become layers 1..4
    assert [info[f"features.{i}.weight"]["layer_id"] for i in (0, 1, 3, 4)] == [1, 2, 3, 4]
    assert info["fc.weight"]["layer_id"] == 5 and info["fc.weight"]["lr_scale"] == 1.0
    assert info["features.0.weight"]["lr_scale"] == pytest.approx(0.8 ** 4, rel=1e-15)
    # a bare nn.Sequential is itself the stack, numbered from 0
    seq = nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    info = layer_decay(seq, 0.5, lr=1.0).as_dict()
    assert [info[k]["layer_id"] for k in ("0.weight", "1.weight", "3.weight")] == [0, 1, 2]


def test_hugging_face_electra_naming_and_the_electra_top_convention():
    transformers = pytest.importorskip("transformers")
    cfg = transformers.ElectraConfig(vocab_size=40, embedding_size=8, hidden_size=16, num_hidden_layers=3,
                                     num_attention_heads=2, intermediate_size=32, max_position_embeddings=16)
    torch.manual_seed(0)
    m = transformers.ElectraForSequenceClassification(cfg)
    info = layer_decay(m, 0.9, lr=1e-4).as_dict()
    assert info["electra.embeddings.word_embeddings.weight"]["layer_id"] == 0
    assert info["electra.embeddings_project.weight"]["layer_id"] == 0
    assert info["electra.encoder.layer.2.output.dense.weight"]["layer_id"] == 3
    assert info["classifier.out_proj.weight"]["layer_id"] == 4
    assert info["electra.encoder.layer.2.output.dense.weight"]["lr_scale"] == pytest.approx(0.9, rel=1e-15)
    # The original ELECTRA code puts the task head at depth n_layers + 2 (so the last encoder layer
    # gets decay**2, not decay**1). The explicit mapping and `top` reproduce that convention.
    info = layer_decay(m, 0.9, lr=1e-4, layer_ids={"classifier": 5}, top=5).as_dict()
    assert info["classifier.dense.weight"]["lr_scale"] == 1.0
    assert info["electra.encoder.layer.2.output.dense.weight"]["lr_scale"] == pytest.approx(0.81, rel=1e-15)
    assert info["electra.embeddings.word_embeddings.weight"]["lr_scale"] == pytest.approx(0.9 ** 5, rel=1e-15)


class Custom(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Linear(4, 4)
        self.mid = nn.Linear(4, 4)
        self.top = nn.Linear(4, 2)


def test_explicit_mapping_callable_and_missing_ids():
    m = Custom()
    with pytest.raises(ValueError, match=r"no layer id for stem.weight, stem.bias, mid.weight"):
        layer_decay(m, 0.5, lr=1.0)
    info = layer_decay(m, 0.5, lr=1.0, layer_ids={"stem": 0, "mid": 1, "top": 2}).as_dict()
    assert [info[f"{k}.weight"]["lr_scale"] for k in ("stem", "mid", "top")] == [0.25, 0.5, 1.0]
    info = layer_decay(m, 0.5, lr=1.0, layer_ids=lambda n: {"stem": 0, "mid": 2, "top": 2}[n.split(".")[0]]
                       ).as_dict()
    assert info["stem.weight"]["lr_scale"] == 0.25 and info["mid.bias"]["lr_scale"] == 1.0
    with pytest.raises(ValueError, match=r"decay must be in \(0, 1\], got 1.5"):
        layer_decay(m, 1.5, lr=1.0, layer_ids={"*": 0})
    with pytest.raises(ValueError, match="top must be >= the largest layer id 2, got 1"):
        layer_decay(m, 0.5, lr=1.0, layer_ids={"stem": 0, "mid": 1, "top": 2}, top=1)
    with pytest.raises(ValueError, match="must be >= 0"):
        layer_decay(m, 0.5, lr=1.0, layer_ids={"*": -1})


def test_table_lists_every_parameter_with_its_id_and_scale():
    m = TinyTransformer(layers=2)
    groups = layer_decay(m, 0.5, lr=1.0)
    text = groups.table()
    lines = text.splitlines()
    assert lines[0].split() == ["parameter", "layer", "group", "lr_scale", "wd_scale"]
    assert len(lines) == 2 + len(list(m.parameters()))
    row = next(line for line in lines if line.startswith("encoder.layers.0.linear2.weight"))
    assert row.split()[1:] == ["1", "layer_1", "0.25", "1"]


def test_rules_compose_with_layer_decay():
    m = TinyTransformer(layers=2)
    info = layer_decay(m, 0.5, lr=1.0, rules={"head": 10.0}).as_dict()
    assert info["head.weight"]["lr_scale"] == 10.0 and info["head.weight"]["group"] == "layer_3.head"
    assert info["norm.weight"]["lr_scale"] == 1.0


def _two_scalars():
    x0 = nn.Parameter(torch.tensor(1.0))
    x1 = nn.Parameter(torch.tensor(1.0))
    return x0, x1


def _run(opt_cls, mode, steps=5, lr=0.1, alpha=0.1):
    """The article's toy problem: loss = x0^2 + x1^2, x1 given an 'lr multiplier' alpha either by
    scaling its gradient (the custom_gradient trick) or by a true per-group rate multiplier."""
    x0, x1 = _two_scalars()
    if mode == "grad_scale":
        x1.register_hook(lambda g: g * alpha)
        opt = opt_cls([x0, x1], lr=lr)
    else:
        holder = nn.Module()
        holder.x0, holder.x1 = x0, x1
        opt = opt_cls(param_groups(holder, {"x1": alpha}, lr=lr, no_decay=None))
    for _ in range(steps):
        opt.zero_grad()
        (x0 ** 2 + x1 ** 2).backward()
        opt.step()
    return 1.0 - x0.item(), 1.0 - x1.item()  # distance travelled


def test_gradient_scaling_is_not_a_rate_multiplier_for_adam_but_groups_are():
    # SGD: scaling the gradient by alpha scales the step by alpha -- same as a rate multiplier
    d0, d1 = _run(torch.optim.SGD, "grad_scale", steps=1)
    assert d1 == pytest.approx(0.1 * d0, rel=1e-6)
    g0, g1 = _run(torch.optim.SGD, "groups", steps=1)
    assert (g0, g1) == pytest.approx((d0, d1), rel=1e-6)
    # Adam normalises the gradient: the scaled-gradient parameter moves exactly like the other one
    a0, a1 = _run(torch.optim.Adam, "grad_scale", steps=1)
    assert a1 == pytest.approx(a0, rel=1e-5)
    # ...while the group multiplier really makes it move alpha times as far
    b0, b1 = _run(torch.optim.Adam, "groups", steps=1)
    assert b0 == pytest.approx(a0, rel=1e-6) and b1 == pytest.approx(0.1 * b0, rel=1e-5)
    # and it stays so over several steps
    a0, a1 = _run(torch.optim.Adam, "grad_scale", steps=5)
    b0, b1 = _run(torch.optim.Adam, "groups", steps=5)
    assert a1 / a0 > 0.95 and b1 / b0 < 0.11


class ResNetLike(nn.Module):
    """Sibling stacks layer1..layer3 (torchvision's ResNet shape): no single stack to number."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3)
        self.layer1 = nn.Sequential(nn.Conv2d(8, 8, 3), nn.Conv2d(8, 8, 3))
        self.layer2 = nn.Sequential(nn.Conv2d(8, 8, 3), nn.Conv2d(8, 8, 3))
        self.layer3 = nn.Sequential(nn.Conv2d(8, 8, 3), nn.Conv2d(8, 8, 3))
        self.fc = nn.Linear(8, 2)


def test_sibling_stacks_are_ambiguous_and_need_an_explicit_mapping():
    m = ResNetLike()
    with pytest.raises(ValueError, match=r"several numbered stacks \(layer1, layer2, layer3\)"):
        layer_decay(m, 0.5, lr=1.0)
    ids = {"conv1": 0, "layer1": 1, "layer2": 2, "layer3": 3, "fc": 4}
    info = layer_decay(m, 0.5, lr=1.0, layer_ids=ids).as_dict()
    assert [info[f"{k}.weight" if k in ("conv1", "fc") else f"{k}.0.weight"]["lr_scale"] for k in ids] == [
        0.0625, 0.125, 0.25, 0.5, 1.0]


def test_hugging_face_gpt2_stack_and_tied_head():
    transformers = pytest.importorskip("transformers")
    cfg = transformers.GPT2Config(vocab_size=50, n_positions=16, n_embd=16, n_layer=3, n_head=2)
    m = transformers.GPT2LMHeadModel(cfg)
    assert m.lm_head.weight is m.transformer.wte.weight
    groups = layer_decay(m, 0.5, lr=1.0, weight_decay=0.1)
    info = groups.as_dict()
    assert info["transformer.wte.weight"]["layer_id"] == 0 and info["transformer.wpe.weight"]["layer_id"] == 0
    assert info["transformer.h.1.mlp.c_fc.weight"]["layer_id"] == 2
    assert info["transformer.ln_f.weight"]["layer_id"] == 4
    assert "lm_head.weight" not in info  # the tied output projection is the embedding: listed once
    assert sum(len(g["params"]) for g in groups) == len(list(m.parameters()))
    torch.optim.AdamW(groups)
