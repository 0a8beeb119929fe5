"""lrkit.torch.BatchSizeSampler: sizes from a schedule, full coverage, resume, per-rank shares."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader, DistributedSampler, SequentialSampler, TensorDataset  # noqa: E402

import lrkit  # noqa: E402
from lrkit.torch import BatchSizeSampler  # noqa: E402

DATA = TensorDataset(torch.arange(1000))


def _ramp():
    return lrkit.batch_schedule(lrkit.MultiStep(0.1, [4, 8], 0.5), batch_size=64,
                                max_batch_size=256, multiple_of=4)[0]


def test_sizes_follow_the_schedule_and_every_sample_is_drawn_once_per_epoch():
    s = BatchSizeSampler(DATA, _ramp(), seed=3)
    loader = DataLoader(DATA, batch_sampler=s)
    seen_steps = 0
    for epoch in range(3):
        assert len(loader) == len(s.batch_sizes())
        batches = [b[0].tolist() for b in loader]
        idx = [i for b in batches for i in b]
        assert sorted(idx) == list(range(1000))  # each sample exactly once
        for j, b in enumerate(batches):
            step = seen_steps + j
            want = 64 if step < 4 else 128 if step < 8 else 256
            assert len(b) == want or (j == len(batches) - 1 and len(b) < want)
        seen_steps += len(batches)
        assert s.step == seen_steps and s.epoch == epoch + 1
    # epochs differ in order (seed + epoch), but are reproducible
    again = BatchSizeSampler(DATA, _ramp(), seed=3)
    assert list(again) == list(BatchSizeSampler(DATA, _ramp(), seed=3))


def test_epoch_unit_and_drop_last():
    sched = lrkit.Piecewise((100.0, 300.0), (0.5,))
    s = BatchSizeSampler(DATA, sched, unit="epoch", drop_last=True, shuffle=False)
    e0, e1 = list(s), list(s)
    assert [len(b) for b in e0] == [100] * 10
    assert [len(b) for b in e1] == [300] * 3  # 100 samples dropped in epoch 1
    assert s.batch_sizes(0) == [100] * 10


def test_resume_from_state_dict_continues_exactly():
    full = BatchSizeSampler(DATA, _ramp(), seed=1)
    reference = list(full) + list(full)
    s = BatchSizeSampler(DATA, _ramp(), seed=1)
    it = iter(s)
    head = [next(it) for _ in range(5)]
    state = s.state_dict()
    assert state["epoch"] == 0 and state["batches_done"] == 5
    resumed = BatchSizeSampler(DATA, _ramp(), seed=1)
    resumed.load_state_dict(state)
    rest = list(resumed) + list(resumed)
    assert head + rest == reference
    with pytest.raises(ValueError, match="batches_done"):
        resumed.load_state_dict({"epoch": 0, "batches_done": 10_000})


def test_ranks_share_every_global_batch():
    world = 4
    ranks = [BatchSizeSampler(DATA, _ramp(), num_replicas=world, rank=r, seed=7) for r in range(world)]
    single = list(BatchSizeSampler(DATA, _ramp(), seed=7))
    per_rank = [list(r) for r in ranks]
    assert all(len(p) == len(single) for p in per_rank)  # no rank waits for a batch
    for j, glob in enumerate(single):
        parts = [per_rank[r][j] for r in range(world)]
        assert [i for p in parts for i in p] == glob
        if j < len(single) - 1:
            assert len({len(p) for p in parts}) == 1


def test_a_sampler_order_is_used_as_is():
    s = BatchSizeSampler(SequentialSampler(DATA), 300)
    assert [b[0] for b in s] == [0, 300, 600, 900]


def test_bad_input_is_refused_before_training():
    with pytest.raises(ValueError, match=r"multiple of the world size \(3\), got 64 at step 0"):
        BatchSizeSampler(DATA, _ramp(), num_replicas=3, rank=0)
    with pytest.raises(ValueError, match="positive whole batch size, got 0.5 at step 0"):
        BatchSizeSampler(DATA, lrkit.Constant(0.5))
    with pytest.raises(TypeError, match="DistributedSampler"):
        BatchSizeSampler(DistributedSampler(DATA, num_replicas=2, rank=0), 8)
    with pytest.raises(ValueError, match="rank must be < num_replicas"):
        BatchSizeSampler(DATA, 8, num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="unit must be one of"):
        BatchSizeSampler(DATA, 8, unit="sample")
    # the first epoch is checked at construction; a later one when it starts (the check is
    # deterministic, so every rank raises at the same batch and none waits)
    with pytest.raises(ValueError, match="got 9 at step 4"):
        BatchSizeSampler(DATA, lrkit.Piecewise((8.0, 9.0), (3.0,)), num_replicas=2, rank=1)
    s = BatchSizeSampler(DATA, lrkit.Piecewise((8.0, 9.0), (0.5,)), unit="epoch", num_replicas=2,
                         rank=1)
    assert len(list(s)) == 125
    with pytest.raises(ValueError, match="got 9 at epoch 1"):
        next(iter(s))


def test_budget_from_a_loader_with_a_batch_size_schedule():
    s = BatchSizeSampler(DATA, 100, num_replicas=2, rank=0)
    loader = DataLoader(DATA, batch_sampler=s)
    b = lrkit.Budget.from_loader(loader, epochs=3)
    assert b.world_size == 2 and b.resolved_total_steps() == 30
    assert np.isclose(b.steps("50%"), 15)
