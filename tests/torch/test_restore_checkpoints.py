"""load_partial on real wrapped models and real training checkpoints: AveragedModel, torch.compile,
DistributedDataParallel (gloo, one process), checkpoint dicts as people save them, and dtype casts."""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")
import torch.distributed as dist  # noqa: E402
from torch import nn  # noqa: E402
from torch.optim.swa_utils import AveragedModel  # noqa: E402

from lrkit.torch import load_partial  # noqa: E402

from ._transfer_models import SmallCNN  # noqa: E402


def _clone(m: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in m.state_dict().items()}


def _same(model: nn.Module, state: dict) -> bool:
    own = model.state_dict()
    return set(own) == set(state) and all(torch.equal(own[k], state[k]) for k in own)


def _trained(seed: int = 0) -> SmallCNN:
    """A SmallCNN with non-default BatchNorm statistics (so restored buffers are checked too)."""
    torch.manual_seed(seed)
    m = SmallCNN(5)
    m.train()
    m(torch.randn(16, 1, 8, 8))
    return m


@pytest.fixture(scope="module")
def ddp_group(tmp_path_factory):
    """A real one-process gloo group (FileStore) so DistributedDataParallel can be built."""
    if dist.is_initialized():
        yield
        return
    store = dist.FileStore(str(tmp_path_factory.mktemp("pg") / "store"), 1)
    dist.init_process_group("gloo", store=store, rank=0, world_size=1)
    try:
        yield
    finally:
        dist.destroy_process_group()


# ----------------------------------------------------------------------------- wrapper prefixes
def test_averaged_model_state_dict_restores_into_the_plain_model():
    src = _trained(0)
    swa = AveragedModel(src)
    swa.update_parameters(_trained(1))  # the average now differs from src
    ckpt = swa.state_dict()
    assert "n_averaged" in ckpt and all(k == "n_averaged" or k.startswith("module.") for k in ckpt)
    dst = SmallCNN(5)
    report = load_partial(dst, ckpt, strict=True)
    assert report.ok and _same(dst, swa.module.state_dict())
    assert report.prefix_removed == "module." and report.prefix_added == ""
    assert report.skipped == ["n_averaged"]
    assert any("n_averaged" in n and "AveragedModel" in n for n in report.notes)
    # and back: a plain checkpoint into an AveragedModel (its counter is missing, kept as is)
    swa2 = AveragedModel(SmallCNN(5))
    report = load_partial(swa2, src.state_dict())
    assert report.missing == ["n_averaged"] and report.prefix_added == "module."
    assert _same(swa2.module, src.state_dict())


def test_compiled_model_keys_both_ways():
    src = _trained(0)
    compiled = torch.compile(src)  # wrapping is cheap: nothing is compiled before a forward
    assert all(k.startswith("_orig_mod.") for k in compiled.state_dict())
    dst = SmallCNN(5)
    report = load_partial(dst, compiled.state_dict(), strict=True)
    assert report.ok and _same(dst, src.state_dict()) and report.prefix_removed == "_orig_mod."
    target = torch.compile(SmallCNN(5))
    report = load_partial(target, src.state_dict(), strict=True)
    assert report.ok and report.prefix_added == "_orig_mod." and _same(target._orig_mod, src.state_dict())


def test_compiled_submodule_inside_the_keys():
    src = _trained(0)
    model = SmallCNN(5)
    model.features = torch.compile(model.features)  # keys features._orig_mod.0.weight, ...
    report = load_partial(model, src.state_dict(), strict=True)
    assert report.ok and report.restored[0] == "features._orig_mod.0.weight"
    assert torch.equal(model.features._orig_mod[0].weight, src.features[0].weight)
    assert not any("compiled submodule" in n for n in report.notes)  # nothing to ignore in the ckpt
    back = SmallCNN(5)
    report = load_partial(back, model.state_dict(), strict=True)
    assert report.ok and _same(back, src.state_dict())
    assert any("_orig_mod." in n and "compiled submodule" in n for n in report.notes)


def test_compile_of_ddp_and_averaged_ddp(ddp_group):
    src = _trained(0)
    ddp = nn.parallel.DistributedDataParallel(src)
    both = torch.compile(ddp)
    keys = list(both.state_dict())
    assert keys[0].startswith("_orig_mod.module.")
    dst = SmallCNN(5)
    report = load_partial(dst, both.state_dict(), strict=True)
    assert report.ok and _same(dst, src.state_dict())
    assert report.prefix_removed == "_orig_mod.module."
    # AveragedModel(DDP(m)): module.module.* plus the counter
    swa = AveragedModel(ddp)
    dst = SmallCNN(5)
    report = load_partial(dst, swa.state_dict(), strict=True)
    assert report.ok and _same(dst, src.state_dict()) and report.prefix_removed == "module.module."
    # and into the wrapped model, the other nesting order: DDP(compile(m)) from compile(DDP(m))
    target = nn.parallel.DistributedDataParallel(torch.compile(SmallCNN(5)))
    report = load_partial(target, both.state_dict(), strict=True)
    assert report.ok and _same(target.module._orig_mod, src.state_dict())
    assert report.prefix_removed == "_orig_mod.module." and report.prefix_added == "module._orig_mod."


def test_a_model_whose_own_child_is_called_module_is_not_confused():
    class Holder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.module = nn.Linear(3, 3)   # a real child named "module"
            self.scale = nn.Parameter(torch.tensor(2.0))

    src, dst = Holder(), Holder()
    with torch.no_grad():
        src.scale.fill_(5.0)
    wrapped = AveragedModel(src).state_dict()  # module.module.weight, module.scale, n_averaged
    report = load_partial(dst, wrapped, strict=True)
    assert report.ok and _same(dst, src.state_dict()) and report.prefix_removed == "module."


# ----------------------------------------------------------------------------- checkpoint dicts
def _optimizer_state(model: nn.Module) -> dict:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.randn(4, 1, 8, 8)).sum().backward()
    opt.step()
    return opt.state_dict()


CHECKPOINTS = {
    # torch's "saving and loading a general checkpoint" tutorial
    "tutorial": lambda sd, other, opt: ({"epoch": 3, "model_state_dict": sd, "optimizer_state_dict": opt,
                                          "loss": torch.tensor(0.25)}, ("model_state_dict",)),
    # the example: a step counter as a tensor next to the weights
    "model+step": lambda sd, other, opt: ({"model": sd, "step": torch.tensor(100)}, ("model",)),
    # Lightning
    "lightning": lambda sd, other, opt: ({"state_dict": sd, "optimizer_states": [opt], "global_step": 7,
                                           "epoch": 1}, ("state_dict",)),
    # timm's train.py: weights and EMA weights; the plain ones are the conventional choice
    "timm": lambda sd, other, opt: ({"state_dict": sd, "state_dict_ema": other, "optimizer": opt,
                                      "epoch": 4, "arch": "small_cnn"}, ("state_dict",)),
    # torchvision's references: model, model_ema (an AveragedModel), optimizer, lr_scheduler
    "torchvision": lambda sd, other, opt: ({"model": sd, "model_ema": {"n_averaged": torch.tensor(3),
                                            **{"module." + k: v for k, v in other.items()}},
                                            "optimizer": opt, "lr_scheduler": {"last_epoch": 3},
                                            "epoch": 3}, ("model",)),
    # DeepSpeed's mp_rank_00_model_states.pt
    "deepspeed": lambda sd, other, opt: ({"module": sd, "optimizer": None, "global_steps": 10},
                                         ("module",)),
    # an EMA-only export
    "ema": lambda sd, other, opt: ({"ema": sd, "updates": 12}, ("ema",)),
    # a checkpoint nested once more
    "nested": lambda sd, other, opt: ({"model": {"state_dict": sd, "version": 2}, "epoch": 1},
                                      ("model", "state_dict")),
}


@pytest.mark.parametrize("kind", list(CHECKPOINTS))
def test_training_checkpoints_are_unwrapped(kind, tmp_path):
    src, other = _trained(0), _trained(1)
    ckpt, key = CHECKPOINTS[kind](src.state_dict(), other.state_dict(), _optimizer_state(_trained(2)))
    path = tmp_path / "ckpt.pt"
    torch.save(ckpt, path)
    for source in (ckpt, path):
        dst = SmallCNN(5)
        report = load_partial(dst, source, strict=True)
        assert report.ok and _same(dst, src.state_dict()), kind
        assert report.checkpoint_key == key
        assert "used checkpoint" + "".join(f"[{k!r}]" for k in key) in report.notes


def test_the_other_candidate_is_named_and_can_be_chosen():
    src, ema = _trained(0), _trained(1)
    ckpt = {"state_dict": src.state_dict(), "state_dict_ema": ema.state_dict(), "epoch": 2}
    report = load_partial(SmallCNN(5), ckpt)
    assert any("'state_dict_ema'" in n and "checkpoint_key" in n for n in report.notes)
    dst = SmallCNN(5)
    report = load_partial(dst, ckpt, checkpoint_key="state_dict_ema")
    assert report.ok and _same(dst, ema.state_dict()) and report.checkpoint_key == ("state_dict_ema",)


def test_ambiguous_checkpoint_names_the_candidates_and_touches_nothing():
    dst = SmallCNN(5)
    before = _clone(dst)
    ckpt = {"student": _trained(0).state_dict(), "teacher": _trained(1).state_dict(), "epoch": 9}
    with pytest.raises(ValueError, match=r"several state dicts: 'student', 'teacher'.*checkpoint_key="):
        load_partial(dst, ckpt)
    assert _same(dst, before)
    report = load_partial(dst, ckpt, checkpoint_key=["teacher"])
    assert report.ok and _same(dst, _trained(1).state_dict())
    with pytest.raises(ValueError, match=r"checkpoint_key='ema': checkpoint has no key 'ema'; it has "
                                         r"\['epoch', 'student', 'teacher'\]"):
        load_partial(dst, ckpt, checkpoint_key="ema")
    with pytest.raises(TypeError, match="checkpoint_key must be a str or a list of str"):
        load_partial(dst, ckpt, checkpoint_key=3)
    with pytest.raises(TypeError, match=r"checkpoint_key='epoch': checkpoint\['epoch'\] must be a mapping"):
        load_partial(dst, ckpt, checkpoint_key="epoch")


# ----------------------------------------------------------------------------- dtype casts
def test_every_cast_is_reported():
    src = _trained(0)
    ckpt = {k: (v.double() if v.is_floating_point() else v) for k, v in src.state_dict().items()}
    dst = SmallCNN(5)
    report = load_partial(dst, ckpt, strict=True)
    floats = [k for k, v in src.state_dict().items() if v.is_floating_point()]
    assert report.casts == {k: (torch.float64, torch.float32) for k in floats}
    assert report.lossy_casts == {}
    assert "cast: fc.weight: checkpoint float64 -> model float32" in str(report)
    assert _same(dst, {k: v.to(dst.state_dict()[k].dtype) for k, v in ckpt.items()})


@pytest.mark.parametrize("key, value, words", [
    ("features.1.num_batches_tracked", lambda v: v.float() + 0.5, "float32 -> int64"),
    ("features.1.running_mean", lambda v: torch.complex(v, torch.ones_like(v)), "complex64 -> float32"),
])
def test_lossy_casts_are_refused_unless_allowed(key, value, words):
    src = _trained(0)
    ckpt = _clone(src)
    ckpt[key] = value(ckpt[key])
    dst = SmallCNN(5)
    before = _clone(dst)
    lossy = rf"refusing lossy dtype casts.*{key} \({words}\).*allow_lossy_casts=True"
    with pytest.raises(ValueError, match=lossy):
        load_partial(dst, ckpt)
    with pytest.raises(ValueError, match="refusing lossy"):
        load_partial(dst, ckpt, dry_run=True)
    assert _same(dst, before)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the cast was asked for: torch's complex warning is not shown
        report = load_partial(dst, ckpt, allow_lossy_casts=True)
    assert list(report.casts) == [key] and list(report.lossy_casts) == [key]
    assert "cast (lossy): " + key in str(report)
    assert torch.equal(dst.state_dict()[key], ckpt[key].to(before[key].dtype))
    with pytest.raises(TypeError, match="allow_lossy_casts must be True or False"):
        load_partial(dst, ckpt, allow_lossy_casts="yes")
