"""The ResNet recipe (reference 001), distributed: a small residual network on scikit-learn's
digits, trained by 2 processes with DDP, and the same run in one process with the same global
batch. The recipe: base rate scaled with the global batch (``0.1 * B / 256``), 5 warmup epochs,
the rate divided by 10 at boundary epochs.

    python examples/resnet_ddp_digits.py            # 1 process, then 2 (torchrun), and compare
    python -m torch.distributed.run --standalone --nproc_per_node=2 \\
        examples/resnet_ddp_digits.py --out rates.json   # the DDP run alone

The step count comes from the real loader (``lrkit.Budget.from_loader``: per-rank batches,
world size from ``torch.distributed``), so the 2-process run makes as many optimizer updates as
the 1-process run and applies the same rate at each.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.distributed as dist
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

import lrkit
from lrkit.torch import Scheduler
from lrkit.torch.distributed import per_rank_batch, reduce_metric

GLOBAL_BATCH = 128
BOUNDARY_EPOCHS = (15, 22, 27)
DECAY_RATES = (1.0, 0.1, 0.01, 0.001)
EPOCHS = 30
WARMUP_EPOCHS = 5


class Block(torch.nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv1 = torch.nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(c)
        self.conv2 = torch.nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(x + self.bn2(self.conv2(y)))


def resnet(seed: int = 0, c: int = 16) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, c, 3, padding=1, bias=False), torch.nn.BatchNorm2d(c), torch.nn.ReLU(),
        Block(c), Block(c), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
        torch.nn.Linear(c, 10))


def data() -> tuple[TensorDataset, TensorDataset]:
    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)
    y = torch.tensor(y)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
    return TensorDataset(xtr, ytr), TensorDataset(xte, yte)


def train(epochs: int = EPOCHS) -> dict:
    """One run: DDP when a process group is up (started by torchrun), else one process."""
    world = dist.get_world_size() if dist.is_initialized() else 1
    train_set, test_set = data()
    sampler = DistributedSampler(train_set, shuffle=True, seed=0) if world > 1 else None
    loader = DataLoader(train_set, batch_size=per_rank_batch(GLOBAL_BATCH), sampler=sampler,
                        shuffle=sampler is None, generator=torch.Generator().manual_seed(0))
    budget = lrkit.Budget.from_loader(loader, epochs=epochs)
    spe = budget.resolved_steps_per_epoch()
    # reference 001's recipe: learning_rate_with_decay(batch_size, batch_denom=256, ...)
    schedule = lrkit.resnet_step_decay(
        batch_size=GLOBAL_BATCH, batch_denom=256, num_images=spe * GLOBAL_BATCH,
        boundary_epochs=BOUNDARY_EPOCHS, decay_rates=DECAY_RATES, base_lr=0.1,
        warmup_epochs=WARMUP_EPOCHS)
    model = resnet(0)
    net = DDP(model) if world > 1 else model
    opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9, weight_decay=1e-4)
    sched = Scheduler(opt, schedule)
    rates = []
    for epoch in range(epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        net.train()
        for x, y in loader:
            rates.append(opt.param_groups[0]["lr"])
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x), y).backward()
            opt.step()
            sched.step()
    net.eval()
    with torch.no_grad():
        x, y = test_set.tensors
        acc = reduce_metric((model(x).argmax(1) == y).double().mean())  # same on every rank
    return {"world_size": world, "steps": len(rates), "steps_per_epoch": spe,
            "total": budget.resolved_total_steps(), "rates": rates, "accuracy": acc}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", help="write the run's rates and accuracy to this JSON file")
    p.add_argument("--epochs", type=int, default=EPOCHS)
    args = p.parse_args()
    torch.set_num_threads(1)
    if "RANK" in os.environ:  # started by torchrun: the DDP run
        dist.init_process_group("gloo")
        try:
            result = train(args.epochs)
            if dist.get_rank() == 0 and args.out:
                Path(args.out).write_text(json.dumps(result), encoding="utf-8")
        finally:
            dist.destroy_process_group()
        return
    t0 = time.perf_counter()
    single = train(args.epochs)
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ddp.json"
        env = dict(os.environ, OMP_NUM_THREADS="1")
        subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                        "--nproc_per_node=2", __file__, "--out", str(out), "--epochs",
                        str(args.epochs)], check=True, env=env)
        ddp = json.loads(out.read_text(encoding="utf-8"))
    t2 = time.perf_counter()
    same = single["rates"] == ddp["rates"]
    print(f"1 process : {single['steps']} updates ({single['steps_per_epoch']} per epoch), "
          f"test accuracy {single['accuracy']:.3f}  [{t1 - t0:.0f} s]")
    print(f"2 processes: {ddp['steps']} updates ({ddp['steps_per_epoch']} per epoch), "
          f"test accuracy {ddp['accuracy']:.3f}  [{t2 - t1:.0f} s]")
    print(f"peak rate {max(single['rates']):.4g} (= 0.1 * {GLOBAL_BATCH} / 256); "
          f"rates identical at every step: {same}")
    if not same:
        raise SystemExit("the 2-process rates differ from the 1-process rates")


if __name__ == "__main__":
    main()
