"""lrkit under real DDP: 2 CPU processes, gloo, started by ``torch.distributed.run``.

One launch of ``ddp_torch.py`` runs every plain-PyTorch scenario (the process start and the
process group are the expensive part); each test below reads what the ranks wrote.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")
if not torch.distributed.is_available():  # pragma: no cover
    pytest.skip("torch.distributed is not available", allow_module_level=True)

from lrkit import Plateau  # noqa: E402
from tests.distributed.launch import results, torchrun  # noqa: E402


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp_torch")
    torchrun("ddp_torch.py", out)
    return out


def test_every_rank_applies_the_schedule_and_the_budget_counts_the_real_steps(run):
    r0, r1 = results(run, "rates")
    assert r0["rates"] == r1["rates"]  # bit for bit, gathered from both ranks
    assert r0["rates"] == r0["expected"]  # the schedule's value at every optimizer step
    # Budget.from_loader(DistributedSampler loader, epochs=2, grad_accum=3) == the steps taken
    assert r0["steps"] == r0["total"] == r1["steps"]
    assert r0["world_size"] == 2 and r0["global_batch"] == 16 * 3 * 2
    assert r0["samples_per_epoch"] == 1797 // 96


def test_plateau_decides_on_the_metric_reduced_across_ranks(run):
    r0, r1 = results(run, "plateau")
    for op, reduce in (("mean", lambda a, b: (a + b) / 2), ("max", max), ("min", min)):
        assert r0[op] == r1[op]  # the same metric and the same decisions on every rank
        metric = [reduce(a, b) for a, b in zip(r0["local"], r1["local"])]
        assert r0[op]["seen"] == pytest.approx(metric, rel=1e-6)
        ctrl = Plateau(0.1, factor=0.5, patience=1)
        assert r0[op]["rates"] == pytest.approx([ctrl.step(m) for m in r0[op]["seen"]], rel=1e-12)
        assert r0[op]["auto_rates"] == r0[op]["rates"]  # Scheduler(metric_reduce=op) does it itself
    # the ranks' own metrics would disagree: rank 0 improves, rank 1 does not
    assert r0["mean"]["rates"][-1] < 0.1 and r0["min"]["rates"] == [0.1] * 8
    # metric_reduce=None: each rank follows its own metric, so the ranks disagree
    for r in (r0, r1):
        ctrl = Plateau(0.1, factor=0.5, patience=1)
        assert r["own_rates"] == pytest.approx([ctrl.step(m) for m in r["local"]], rel=1e-12)
    assert r0["own_rates"] == [0.1] * 8 and r1["own_rates"][-1] < 0.1


def test_bad_input_fails_on_every_rank_at_once(run):
    r0, r1 = results(run, "plateau")
    for r in (r0, r1):
        assert "rank(s) [1] of 2" in r["bad_metric"] and "must be a number" in r["bad_metric"]
        assert "global_batch must be divisible by the world size 2, got 33" in r["bad_batch"]
        assert r["per_rank_batch"] == 32


def test_rank0_checkpoint_resumes_bit_for_bit(run):
    for r in results(run, "resume"):
        assert r["resumed"] == r["straight"]  # every rate, every step
        assert r["weights_equal"]  # torch.equal on every parameter
    r0, r1 = results(run, "resume")
    assert r0["checksum"] == r1["checksum"]
    assert len(set(r0["straight"])) > 3  # warmup, growth, decay: the rates do change


def test_find_lr_under_ddp_averages_the_loss_and_restores_every_rank(run):
    r0, r1 = results(run, "find_lr")
    assert r0["losses"] == r1["losses"]
    assert r0["suggestion"] is not None and r0["suggestion"] == r1["suggestion"]
    for r in (r0, r1):
        assert r["restored"] and r["opt_restored"]
