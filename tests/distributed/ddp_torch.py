"""Plain PyTorch DDP on 2 CPU processes (gloo): run by tests/distributed/test_ddp.py under
``python -m torch.distributed.run --standalone --nproc_per_node=2 ddp_torch.py OUT``.

Each scenario writes one JSON per rank; the test compares them.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from _common import digits, mlp, out_dir, rank, write
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler

import lrkit
from lrkit.plateau import OnPlateau
from lrkit.torch import BatchSizeSampler, Scheduler, find_lr
from lrkit.torch.distributed import (
    check_same,
    load_checkpoint,
    per_rank_batch,
    reduce_metric,
    save_checkpoint,
)

F = torch.nn.functional


def scenario_rates(out) -> None:
    """DDP + DistributedSampler + gradient accumulation: the budget from the loader is the
    number of optimizer steps that happen, and every rank applies the same rate at each."""
    data = digits()
    sampler = DistributedSampler(data, shuffle=True, seed=0)
    loader = DataLoader(data, batch_size=16, sampler=sampler)
    accum = 3
    budget = lrkit.Budget.from_loader(loader, epochs=2, grad_accum=accum)
    total = budget.resolved_total_steps()
    schedule = lrkit.OneCycle(0.2, total)
    model = DDP(mlp(0))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = Scheduler(opt, schedule)
    rates, steps = [], 0
    for epoch in range(2):
        sampler.set_epoch(epoch)
        for i, (x, y) in enumerate(loader):
            last = (i + 1) % accum == 0
            if last:
                loss = F.cross_entropy(model(x), y) / accum
                loss.backward()
                rates.append(opt.param_groups[0]["lr"])
                opt.step()
                sched.step()
                opt.zero_grad()
                steps += 1
            else:
                with model.no_sync():
                    (F.cross_entropy(model(x), y) / accum).backward()
    check_same(rates, "learning rates")  # raises on every rank if they differ
    write(out, "rates", {"rates": rates, "steps": steps, "total": total,
                         "world_size": budget.world_size, "global_batch": budget.global_batch,
                         "samples_per_epoch": budget.steps("1797 samples"),
                         "expected": [schedule(n) for n in range(steps)]})


def scenario_plateau(out) -> None:
    """Each rank sees a different validation metric; the plateau part decides on the reduced
    metric, so every rank takes the same decision."""
    r = rank()
    local = ([1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4] if r == 0
             else [1.0, 1.3, 1.6, 1.9, 2.2, 2.5, 2.8, 3.1])
    payload = {"local": local}
    for op in ("mean", "max", "min"):
        opt = torch.optim.SGD(mlp(0).parameters(), lr=0.1)
        sched = Scheduler(opt, OnPlateau(lrkit.Constant(0.1), factor=0.5, patience=1))
        rates, seen = [], []
        for m in local:
            value = reduce_metric(torch.tensor(m), op)
            seen.append(value)
            sched.step(value)
            rates.append(opt.param_groups[0]["lr"])
        # the scheduler reduces by itself (metric_reduce=op): each rank passes its own metric
        opt2 = torch.optim.SGD(mlp(0).parameters(), lr=0.1)
        auto = Scheduler(opt2, OnPlateau(lrkit.Constant(0.1), factor=0.5, patience=1), metric_reduce=op)
        auto_rates = []
        for m in local:
            auto.step(m)
            auto_rates.append(opt2.param_groups[0]["lr"])
        payload[op] = {"rates": rates, "seen": seen, "auto_rates": auto_rates}
    # metric_reduce=None: each rank decides on its own metric (no collective)
    opt3 = torch.optim.SGD(mlp(0).parameters(), lr=0.1)
    own = Scheduler(opt3, OnPlateau(lrkit.Constant(0.1), factor=0.5, patience=1), metric_reduce=None)
    payload["own_rates"] = []
    for m in local:
        own.step(m)
        payload["own_rates"].append(opt3.param_groups[0]["lr"])
    # a metric that is not a number on one rank: every rank raises, none waits
    try:
        reduce_metric(None if r == 1 else 0.5)
        payload["bad_metric"] = "no error"
    except TypeError as exc:
        payload["bad_metric"] = str(exc)
    # a global batch that does not divide by the world size: the same error on every rank
    try:
        per_rank_batch(33)
        payload["bad_batch"] = "no error"
    except ValueError as exc:
        payload["bad_batch"] = str(exc)
    payload["per_rank_batch"] = per_rank_batch(64)
    write(out, "plateau", payload)


def _build(seed: int, data):
    model = mlp(seed)
    ddp = DDP(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    growth, rate = lrkit.batch_schedule(lrkit.warmup(lrkit.MultiStep(0.1, [20, 40], 0.25), 5),
                                        batch_size=32, max_batch_size=256, multiple_of=2)
    sampler = BatchSizeSampler(data, growth, seed=1)
    sched = Scheduler(opt, rate)
    return model, ddp, opt, sched, sampler


def _train(ddp, opt, sched, sampler, data, steps: int, rates: list[float]) -> None:
    loader = DataLoader(data, batch_sampler=sampler)
    done = 0
    while done < steps:
        for x, y in loader:
            rates.append(opt.param_groups[0]["lr"])
            opt.zero_grad()
            F.cross_entropy(ddp(x), y).backward()
            opt.step()
            sched.step()
            done += 1
            if done == steps:
                return


def scenario_resume(out) -> None:
    """A checkpoint saved on rank 0 mid-epoch and loaded on every rank resumes bit for bit."""
    data = digits()
    total, cut = 60, 23
    model, ddp, opt, sched, sampler = _build(0, data)
    straight: list[float] = []
    _train(ddp, opt, sched, sampler, data, total, straight)
    reference = [p.detach().clone() for p in model.parameters()]

    model, ddp, opt, sched, sampler = _build(0, data)
    first: list[float] = []
    _train(ddp, opt, sched, sampler, data, cut, first)
    path = out / "ckpt.pt"
    save_checkpoint({"model": model.state_dict(), "optimizer": opt.state_dict(),
                     "scheduler": sched.state_dict(), "sampler": sampler.state_dict()}, path)
    del model, ddp, opt, sched, sampler
    # a fresh process state: other initial weights, a new optimizer, scheduler and sampler
    model, ddp, opt, sched, sampler = _build(12345, data)
    state = load_checkpoint(path)
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    sched.load_state_dict(state["scheduler"])
    sampler.load_state_dict(state["sampler"])
    second: list[float] = []
    _train(ddp, opt, sched, sampler, data, total - cut, second)
    same = all(torch.equal(a, b) for a, b in zip(reference, model.parameters()))
    write(out, "resume", {"straight": straight, "resumed": first + second, "weights_equal": same,
                          "sampler_epoch": sampler.epoch,
                          "checksum": float(sum(p.detach().double().sum() for p in model.parameters()))})


def scenario_find_lr(out) -> None:
    """The range test under DDP: the loss is averaged across ranks, every rank gets the same
    suggestion, and every rank's model and optimizer are restored."""
    data = digits()
    sampler = DistributedSampler(data, shuffle=True, seed=0)
    loader = DataLoader(data, batch_size=32, sampler=sampler)
    model = mlp(0)
    ddp = DDP(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    # one real step first, so the optimizer has state (momentum buffers) to restore
    x, y = next(iter(loader))
    F.cross_entropy(ddp(x), y).backward()
    opt.step()
    before = [p.detach().clone() for p in model.parameters()]
    opt_before = {k: v["momentum_buffer"].clone() for k, v in opt.state_dict()["state"].items()}
    result = find_lr(ddp, opt, loader, F.cross_entropy, start=1e-4, end=10.0, num_steps=60,
                     progress=False)
    restored = all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    opt_after = opt.state_dict()["state"]
    opt_restored = all(torch.equal(opt_before[k], opt_after[k]["momentum_buffer"])
                       for k in opt_before) and opt.param_groups[0]["lr"] == 0.1
    suggestion = result.suggestion
    write(out, "find_lr", {"losses": [float(v) for v in result.losses],
                           "suggestion": None if suggestion is None else float(suggestion),
                           "restored": restored, "opt_restored": opt_restored})


def main() -> None:
    dist.init_process_group("gloo")
    torch.set_num_threads(1)
    out = out_dir()
    try:
        for scenario in (scenario_rates, scenario_plateau, scenario_resume, scenario_find_lr):
            scenario(out)
            dist.barrier()
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
