"""lrkit's Scheduler under Lightning's ``strategy="ddp"`` and under Hugging Face Accelerate, on 2
CPU processes started by ``torch.distributed.run``."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from tests.distributed.launch import results, torchrun  # noqa: E402


def test_lightning_ddp_steps_the_schedule_once_per_optimizer_step(tmp_path):
    pytest.importorskip("lightning.pytorch")
    torchrun("ddp_lightning.py", tmp_path)
    r0, r1 = results(tmp_path, "lightning")
    assert r0["rates"] == r1["rates"]  # every rank, every update, bit for bit
    assert r0["rates"] == r0["expected"]  # s(n) at optimizer update n
    assert r0["world_size"] == 2 and r0["batches_per_rank"] == 15  # ceil(ceil(1797/2)/64)
    # Lightning also steps on the incomplete accumulation at each epoch's end: 2 * ceil(15/2);
    # Budget.from_loader(..., flush_at_epoch_end=True) counted exactly that
    assert r0["global_step"] == r0["scheduler_step"] == r0["budget_total"] == 16
    assert len(r0["rates"]) == 16


def test_accelerate_prepared_scheduler_follows_optimizer_steps_once_each(tmp_path):
    pytest.importorskip("accelerate")
    torchrun("ddp_accelerate.py", tmp_path)
    r0, r1 = results(tmp_path, "accelerate")
    for r in (r0, r1):
        skip, plain = r["skip"], r["plain"]
        assert skip["num_processes"] == 2 and skip["world_size"] == 2
        # skip_unstepped=True: one count per optimizer update, whatever Accelerate repeats
        assert skip["scheduler_step"] == skip["updates"] == skip["budget_total"]
        assert skip["rates"] == skip["expected"]
        # the behaviour it corrects: the prepared scheduler steps once per process
        assert plain["scheduler_step"] == 2 * plain["updates"]
        assert plain["rates"] != plain["expected"]
    assert r0["skip"]["rates"] == r1["skip"]["rates"]
