"""Hugging Face Accelerate on 2 CPU processes, started by ``torch.distributed.run``.

``Accelerator.prepare`` wraps a scheduler so that each ``scheduler.step()`` after a real
optimizer step steps the wrapped scheduler once *per process* (a schedule written for one
process then ends on time on a sharded loader). lrkit's Scheduler counts optimizer updates, so
it is built with ``skip_unstepped=True``: the repeated calls between two optimizer steps count
once, and the rates follow the optimizer steps, once each. The plain Scheduler is run too, to
record the behaviour the option corrects.
"""

from __future__ import annotations

import warnings

import torch
from _common import digits, mlp, out_dir, write
from accelerate import Accelerator
from torch.utils.data import DataLoader

import lrkit
from lrkit.torch import Scheduler

EPOCHS, ACCUM = 2, 2


def run(acc: Accelerator, skip_unstepped: bool) -> dict:
    data = digits()
    loader = DataLoader(data, batch_size=32, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    model = mlp(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    updates = [0]
    opt.register_step_post_hook(lambda *a: updates.__setitem__(0, updates[0] + 1))
    model, popt, ploader = acc.prepare(model, opt, loader)
    # the budget of the prepared (sharded) loader: per-rank batches, world size 2
    budget = lrkit.Budget.from_loader(ploader, epochs=EPOCHS, grad_accum=ACCUM,
                                      flush_at_epoch_end=True)
    schedule = lrkit.OneCycle(0.2, budget.resolved_total_steps())
    sched = acc.prepare(Scheduler(opt, schedule, skip_unstepped=skip_unstepped))
    rates = []
    for _ in range(EPOCHS):
        for x, y in ploader:
            with acc.accumulate(model):
                loss = torch.nn.functional.cross_entropy(model(x), y)
                acc.backward(loss)
                if acc.sync_gradients:
                    rates.append(opt.param_groups[0]["lr"])
                popt.step()
                sched.step()
                popt.zero_grad()
    applied = [schedule(n) for n in range(updates[0])]
    return {"rates": rates, "expected": applied, "updates": updates[0],
            "scheduler_step": sched.scheduler.last_epoch,
            "budget_total": budget.resolved_total_steps(), "world_size": budget.world_size,
            "num_processes": acc.num_processes}


def main() -> None:
    torch.set_num_threads(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        acc = Accelerator(cpu=True, gradient_accumulation_steps=ACCUM)
        write(out_dir(), "accelerate", {"skip": run(acc, True), "plain": run(acc, False)})
    acc.wait_for_everyone()


if __name__ == "__main__":
    main()
