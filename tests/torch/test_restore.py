"""load_partial: the report, prefixes, renames, atomicity and the restore-then-train-the-rest recipe."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from lrkit.torch import load_partial  # noqa: E402

from ._transfer_models import SmallCNN, TinyTransformer  # noqa: E402


def _equal_state(a: nn.Module, b: dict) -> bool:
    sa = a.state_dict()
    return set(sa) == set(b) and all(torch.equal(sa[k], b[k]) for k in sa)


def _clone(m: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in m.state_dict().items()}


def test_report_restored_skipped_missing_unexpected_mismatched():
    torch.manual_seed(0)
    src = SmallCNN(n_classes=5)
    dst = SmallCNN(n_classes=3)                       # a new head: fc has another shape
    ckpt = _clone(src)
    ckpt["extra.weight"] = torch.zeros(2)             # something the model does not have
    del ckpt["features.4.running_var"]                # something the model misses
    before = _clone(dst)
    report = load_partial(dst, ckpt, exclude=["features.0"])
    assert report.skipped == ["features.0.weight", "features.0.bias"]
    assert report.missing == ["features.4.running_var"]
    assert report.unexpected == ["extra.weight"]
    assert report.mismatched == {"fc.weight": ((5, 128), (3, 128)), "fc.bias": ((5,), (3,))}
    assert "features.3.weight" in report.restored and "features.1.num_batches_tracked" in report.restored
    assert not report.ok
    state = dst.state_dict()
    for k in report.restored:
        assert torch.equal(state[k], ckpt[k]), k
    for k in report.skipped + report.missing + list(report.mismatched):
        assert torch.equal(state[k], before[k]), k
    text = str(report)
    assert "shape mismatch (kept as is): fc.weight: checkpoint [5, 128] vs model [3, 128]" in text
    assert "unexpected (ignored): extra.weight" in text


def test_strict_raises_and_leaves_the_model_untouched():
    src, dst = SmallCNN(5), SmallCNN(3)
    before = _clone(dst)
    with pytest.raises(ValueError, match=r"(?s)load_partial \(strict\).*would restore.*fc.weight"):
        load_partial(dst, src.state_dict(), strict=True)
    assert _equal_state(dst, before)
    report = load_partial(dst, src.state_dict(), exclude="fc", strict=True)
    assert report.ok and report.skipped == ["fc.weight", "fc.bias"]


def test_ddp_prefix_and_wrapped_checkpoint_from_a_path(tmp_path):
    src, dst = TinyTransformer(), TinyTransformer()
    wrapped = {"epoch": 3, "state_dict": {"module." + k: v for k, v in src.state_dict().items()}}
    path = tmp_path / "ckpt.pt"
    torch.save(wrapped, path)
    report = load_partial(dst, path)
    assert report.ok and _equal_state(dst, src.state_dict())
    assert "used checkpoint['state_dict']" in report.notes
    assert "removed the 'module.' prefix from checkpoint keys" in report.notes
    # and the other way round: a wrapped model, a plain checkpoint
    holder = nn.Module()
    holder.module = TinyTransformer()
    report = load_partial(holder, src.state_dict())
    assert report.ok and "added the 'module.' prefix to checkpoint keys" in report.notes
    assert torch.equal(holder.module.head.weight, src.head.weight)


def test_rename_prefixes_and_callable():
    class Backbone(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = nn.Linear(4, 4)
            self.head = nn.Linear(4, 2)

    old = nn.Module()
    old.body = nn.Linear(4, 4)
    old.classifier = nn.Linear(4, 7)
    dst = Backbone()
    report = load_partial(dst, old.state_dict(), rename={"body": "encoder"}, exclude="classifier")
    assert report.restored == ["encoder.weight", "encoder.bias"]
    assert report.renamed == {"body.weight": "encoder.weight", "body.bias": "encoder.bias"}
    assert report.missing == ["head.weight", "head.bias"] and report.unexpected == []
    assert torch.equal(dst.encoder.weight, old.body.weight)
    dst = Backbone()
    def rename(k: str) -> str | None:
        return None if k.startswith("classifier") else k.replace("body", "encoder")

    report = load_partial(dst, old.state_dict(), rename=rename)
    assert report.restored == ["encoder.weight", "encoder.bias"]
    assert report.skipped == ["classifier.weight", "classifier.bias"]


def test_atomic_when_the_model_rejects_a_tensor():
    dst = SmallCNN()
    before = _clone(dst)
    ckpt = {k: v.clone() + 1 for k, v in SmallCNN().state_dict().items()}
    # right shape, but a tensor with no data: torch copies the other tensors, then fails
    ckpt["features.3.bias"] = torch.zeros(32, device="meta")
    with pytest.raises(RuntimeError, match="features.3.bias"):
        load_partial(dst, ckpt, freeze_restored=True)
    assert _equal_state(dst, before)
    assert all(p.requires_grad for p in dst.parameters())


def test_dry_run_and_bad_arguments():
    dst = SmallCNN()
    before = _clone(dst)
    report = load_partial(dst, SmallCNN().state_dict(), dry_run=True)
    assert report.dry_run and len(report.restored) == len(before) and _equal_state(dst, before)
    assert str(report).startswith("load_partial: would restore")
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        load_partial({}, {})
    with pytest.raises(TypeError, match="state_dict_or_path must be a mapping of tensors, a path or a modul"):
        load_partial(dst, 42)
    with pytest.raises(TypeError, match="must map names to tensors"):
        load_partial(dst, {"fc.weight": [1, 2]})
    with pytest.raises(TypeError, match="strict must be True or False"):
        load_partial(dst, {}, strict="yes")
    with pytest.raises(TypeError, match=r"exclude\[0\] must be a glob string"):
        load_partial(dst, {}, exclude=[3])


def test_article_recipe_restore_all_but_the_new_layers_and_train_only_those():
    """The article's slim recipe (variables_to_restore / variables_to_train) in one call."""
    torch.manual_seed(0)
    pretrained = SmallCNN(5)
    model = SmallCNN(5)
    fine_tune_layers = ["fc"]
    report = load_partial(model, pretrained, exclude=fine_tune_layers, freeze_restored=True)
    assert report.skipped == ["fc.weight", "fc.bias"]
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["fc.weight", "fc.bias"]
    assert set(report.frozen) == {n for n, _ in model.named_parameters()} - {"fc.weight", "fc.bias"}
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    body = {k: v.clone() for k, v in model.features.state_dict().items()}
    model.eval()
    nn.functional.cross_entropy(model(torch.randn(8, 1, 8, 8)), torch.randint(0, 5, (8,))).backward()
    opt.step()
    assert all(torch.equal(model.features.state_dict()[k], v) for k, v in body.items())
