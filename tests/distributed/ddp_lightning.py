"""Lightning ``strategy="ddp"`` on 2 CPU processes, started by ``torch.distributed.run`` (Lightning
sees the torchrun environment and uses the two processes it was given).

lrkit's Scheduler is returned from ``configure_optimizers`` with ``interval="step"``; its
length comes from ``Budget.from_loader`` on the real (distributed) loader with Lightning's
gradient accumulation, which also steps on the incomplete accumulation at an epoch's end.
"""

from __future__ import annotations

import os
import warnings

import lightning.pytorch as L
import torch
import torch.distributed as dist
from _common import digits, mlp, out_dir, write
from torch.utils.data import DataLoader, DistributedSampler

import lrkit
from lrkit.torch import Scheduler

EPOCHS, ACCUM = 2, 2


class Net(L.LightningModule):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__()
        self.loader = loader
        self.net = mlp(0)
        self.rates: list[float] = []
        self.budget: lrkit.Budget | None = None
        self.schedule: lrkit.Schedule | None = None

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.cross_entropy(self.net(x), y)

    def on_before_optimizer_step(self, optimizer) -> None:
        self.rates.append(optimizer.param_groups[0]["lr"])  # the rate this update uses

    def configure_optimizers(self):
        # the process group is up here: the world size is read from it and from the sampler
        self.budget = lrkit.Budget.from_loader(self.loader, epochs=EPOCHS, grad_accum=ACCUM,
                                               flush_at_epoch_end=True)
        self.schedule = lrkit.warmup(lrkit.Cosine(0.2, self.budget.steps("90%")),
                                     self.budget.steps("10%"))
        opt = torch.optim.SGD(self.net.parameters(), lr=0.1, momentum=0.9)
        sched = Scheduler(opt, self.schedule)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def main() -> None:
    torch.set_num_threads(1)
    data = digits()
    # our own DistributedSampler (Lightning would insert the same one); the process group is
    # not initialised yet, so its rank and size come from torchrun's environment
    sampler = DistributedSampler(data, num_replicas=int(os.environ["WORLD_SIZE"]),
                                 rank=int(os.environ["RANK"]), shuffle=True, seed=0)
    loader = DataLoader(data, batch_size=64, sampler=sampler)
    model = Net(loader)
    trainer = L.Trainer(accelerator="cpu", devices=2, strategy="ddp", max_epochs=EPOCHS,
                        accumulate_grad_batches=ACCUM, use_distributed_sampler=False,
                        logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(model, loader)
    sched = trainer.lr_scheduler_configs[0].scheduler
    assert dist.is_initialized() and dist.get_world_size() == 2
    write(out_dir(), "lightning", {
        "rates": model.rates, "expected": [model.schedule(n) for n in range(len(model.rates))],
        "global_step": trainer.global_step, "scheduler_step": sched.last_epoch,
        "budget_total": model.budget.resolved_total_steps(),
        "world_size": model.budget.world_size, "batches_per_rank": len(loader)})


if __name__ == "__main__":
    main()
