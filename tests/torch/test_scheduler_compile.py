"""Device-side mode: ``opt.step(); sched.step()`` inside ``torch.compile``, no recompiles, eager
values."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch._dynamo.utils import counters  # noqa: E402

from lrkit import Cosine, OneCycle, warmup  # noqa: E402
from lrkit.torch import Scheduler  # noqa: E402

STEPS = 200


def _run(make_opt, plan, compiled: bool):
    torch.manual_seed(0)
    model = torch.nn.Linear(8, 4)
    x = torch.randn(32, 8)
    opt = make_opt(model)
    sched = Scheduler(opt, plan, device_side=compiled)
    tensors = [opt.param_groups[0]["lr"], opt.param_groups[0]["betas"][0]]

    def update():
        opt.step()
        sched.step()

    fn = torch.compile(update) if compiled else update
    record, graphs_after_first = [], None
    torch._dynamo.reset()
    counters.clear()
    for i in range(STEPS):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        fn()
        g = opt.param_groups[0]
        assert g["lr"] is tensors[0] and g["betas"][0] is tensors[1]  # updated in place
        record.append((float(g["lr"]), float(g["betas"][0]), float(g["betas"][1])))
        if i == 0:
            graphs_after_first = counters["stats"]["unique_graphs"]
    graphs = counters["stats"]["unique_graphs"]
    return record, model.weight.detach().clone(), graphs_after_first, graphs, sched


def _adamw(model):
    return torch.optim.AdamW(model.parameters(), lr=torch.tensor(0.01),
                             betas=(torch.tensor(0.9), torch.tensor(0.999)), weight_decay=0.01)


def _adam(model):
    return torch.optim.Adam(model.parameters(), lr=torch.tensor(0.01),
                            betas=(torch.tensor(0.9), torch.tensor(0.99)))


@pytest.mark.parametrize(
    "make_opt, plan",
    [
        (_adamw, {"lr": warmup(Cosine(3e-3, STEPS - 20, end=1e-5), 20)}),
        (_adam, OneCycle(1e-2, STEPS)),  # lr and beta1 (one-cycle's momentum curve)
    ],
    ids=["warmup_cosine", "one_cycle_betas"],
)
def test_compiled_update_has_no_recompiles_and_eager_values(make_opt, plan) -> None:
    eager, w_eager, _, _, _ = _run(make_opt, plan, compiled=False)
    comp, w_comp, first, total, sched = _run(make_opt, plan, compiled=True)
    assert first is not None and first > 0
    assert total == first  # zero recompiles after the first compiled step
    assert sched.last_epoch == STEPS
    assert comp == eager  # float32 values identical to the eager (host-evaluated) run
    assert len({r[0] for r in comp}) > 100  # the rate really moved, inside the graph
    torch.testing.assert_close(w_comp, w_eager, rtol=1e-5, atol=1e-6)


def test_device_side_needs_tensor_values_and_no_plateau() -> None:
    p = [torch.nn.Parameter(torch.zeros(2))]
    opt = torch.optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="tensor"):
        Scheduler(opt, Cosine(0.1, 10), device_side=True)
    assert opt.param_groups[0]["lr"] == 0.1
    from lrkit import Constant
    from lrkit.plateau import OnPlateau

    opt_t = torch.optim.SGD(p, lr=torch.tensor(0.1))
    with pytest.raises(ValueError, match="plateau"):
        Scheduler(opt_t, OnPlateau(Constant(0.1)), device_side=True)
    s = Scheduler(opt_t, Cosine(0.1, 10), device_side=True)
    s.set_step(5)
    assert s.last_epoch == 5
    assert float(opt_t.param_groups[0]["lr"]) == pytest.approx(Cosine(0.1, 10)(5), rel=1e-6)
    assert s.state_dict()["step"] == 5
