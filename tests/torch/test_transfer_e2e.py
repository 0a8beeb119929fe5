"""End to end on real data: pre-train on digits 0-4, replace the head, fine-tune on digits 5-9."""

from __future__ import annotations

import functools

import pytest

torch = pytest.importorskip("torch")

import lrkit  # noqa: E402
from lrkit.torch import GradualUnfreeze, Scheduler, layer_decay, load_partial  # noqa: E402

from ._transfer_models import SmallCNN, TinyTransformer, accuracy, split, train  # noqa: E402

MODELS = {"cnn": SmallCNN, "transformer": TinyTransformer}
HEAD = {"cnn": "fc", "transformer": "head"}
STAGES = {
    "cnn": [(0, "fc"), (10, "features.3"), (20, ["features.0", "features.1", "features.4"])],
    "transformer": [(0, ["head", "norm"]), (10, "encoder.layers.1"),
                    (20, ["encoder.layers.0", "embed", "pos_embed"])],
}


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models: one thread is fastest, and the machine is shared."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@functools.lru_cache(maxsize=2)
def pretrained(kind: str) -> tuple[dict, float]:
    torch.manual_seed(0)
    x, y, xt, yt = split(range(0, 5))
    m = MODELS[kind]()
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3)
    train(m, opt, x, y, epochs=10)
    return {k: v.clone() for k, v in m.state_dict().items()}, accuracy(m, xt, yt)


@pytest.mark.parametrize("kind", ["cnn", "transformer"])
def test_pretrain_then_fine_tune_with_layer_decay_warmup_cosine_and_gradual_unfreezing(kind):
    weights, acc0 = pretrained(kind)
    assert acc0 > 0.9
    torch.manual_seed(1)
    x, y, xt, yt = split(range(5, 10), seed=1)
    m = MODELS[kind]()
    report = load_partial(m, weights, exclude=HEAD[kind])
    assert report.skipped == [f"{HEAD[kind]}.weight", f"{HEAD[kind]}.bias"]
    assert not report.missing and not report.unexpected and not report.mismatched
    groups = layer_decay(m, 0.5, lr=5e-3, weight_decay=1e-4)
    plan = GradualUnfreeze(m, STAGES[kind], groups=groups)
    plan.apply(0)
    opt = torch.optim.AdamW(plan.initial_groups())
    epochs, batch = 8, 64
    total = epochs * -(-len(y) // batch)
    sched = Scheduler(opt, {"lr": lrkit.warmup(lrkit.Cosine(5e-3, total - 5), 5)})
    late = STAGES[kind][2][1]
    late_names = [n for n in plan.stages[2]]
    start = {n: p.detach().clone() for n, p in m.named_parameters() if n in late_names}
    seen: dict[int, int] = {}

    def on_step(step: int) -> None:
        if step > 0:
            sched.step()
        plan.apply(step, opt, sched)
        seen[step] = len(opt.param_groups)
        if step == 20:  # the last stage has not moved before its unfreeze
            now = dict(m.named_parameters())
            assert all(torch.equal(now[n], v) for n, v in start.items()), late

    steps = train(m, opt, x, y, epochs=epochs, batch=batch, on_step=on_step)
    assert steps == total
    assert seen[9] < seen[10] < seen[20] == seen[total - 1]
    acc = accuracy(m, xt, yt)
    assert acc > 0.85, acc
    assert all(not torch.equal(dict(m.named_parameters())[n], v) for n, v in start.items())


def test_article_recipe_train_only_the_new_head_on_top_of_the_frozen_body():
    weights, _ = pretrained("cnn")
    torch.manual_seed(2)
    x, y, xt, yt = split(range(5, 10), seed=2)
    m = SmallCNN()
    report = load_partial(m, weights, exclude=["fc"], freeze_restored=True)
    assert [n for n, p in m.named_parameters() if p.requires_grad] == ["fc.weight", "fc.bias"]
    body = {k: v.clone() for k, v in m.features.state_dict().items()}
    opt = torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=1e-2)
    train(m, opt, x, y, epochs=5)
    assert all(torch.equal(m.features.state_dict()[k], v) for k, v in body.items())  # stats included
    assert len(report.frozen) == len(list(m.features.parameters()))
    assert accuracy(m, xt, yt) > 0.5  # the frozen 0-4 features carry over to 5-9 (chance: 0.2)
