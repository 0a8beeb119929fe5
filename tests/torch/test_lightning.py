"""lrkit.torch.Scheduler inside a real Lightning Trainer (CPU, digits, a few steps)."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
L = pytest.importorskip("lightning.pytorch")
sklearn_datasets = pytest.importorskip("sklearn.datasets")

from lightning.pytorch.callbacks import LearningRateMonitor  # noqa: E402
from lightning.pytorch.loggers import CSVLogger  # noqa: E402

from lrkit import Constant, Cosine, OneCycle, warmup  # noqa: E402
from lrkit.plateau import OnPlateau  # noqa: E402
from lrkit.torch import Scheduler  # noqa: E402

STEPS = 24


def loader():
    x, y = sklearn_datasets.load_digits(return_X_y=True)
    ds = torch.utils.data.TensorDataset(torch.tensor(x[:512] / 16.0, dtype=torch.float32),
                                        torch.tensor(y[:512]))
    return torch.utils.data.DataLoader(ds, batch_size=64, shuffle=False)


class Net(L.LightningModule):
    def __init__(self, make_scheduler, flat_metric: bool = False) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(),
                                       torch.nn.Linear(32, 10))
        self.make_scheduler = make_scheduler
        self.flat_metric = flat_metric

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self.net(x), y)
        self.log("train_loss", loss, on_step=True)
        if self.flat_metric:  # a metric that never improves: the plateau rule fires
            self.log("flat", 1.0, on_step=True)
        return loss

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.net.parameters(), lr=0.1, momentum=0.9)
        return {"optimizer": opt, "lr_scheduler": self.make_scheduler(opt)}


def fit(tmp_path: Path, model: Net, name: str) -> list[dict[str, str]]:
    torch.manual_seed(0)
    trainer = L.Trainer(max_steps=STEPS, accelerator="cpu", devices=1, logger=CSVLogger(
        tmp_path, name=name), callbacks=[LearningRateMonitor("step", log_momentum=True)],
        log_every_n_steps=1, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Lightning's advice about dataloader workers
        trainer.fit(model, loader())
    files = list((tmp_path / name).rglob("metrics.csv"))
    with open(files[0]) as fh:
        return list(csv.DictReader(fh))


def column(rows: list[dict[str, str]], key: str) -> list[float]:
    return [float(r[key]) for r in rows if r.get(key)]


def test_step_interval_and_learning_rate_monitor(tmp_path: Path) -> None:
    sched = OneCycle(0.2, STEPS)

    def make(opt):
        return {"scheduler": Scheduler(opt, sched), "interval": "step", "name": "lrkit"}

    rows = fit(tmp_path, Net(make), "onecycle")
    lrs = column(rows, "lrkit")
    moms = column(rows, "lrkit-momentum")
    assert len(lrs) == STEPS  # the monitor logs before each step's update
    assert lrs == pytest.approx(list(sched.curve(STEPS)), rel=1e-12)
    assert moms == pytest.approx(list(sched.momentum.curve(STEPS)), rel=1e-12)


def test_monitor_drives_a_plateau_part_like_torch_reduce_lr_on_plateau(tmp_path: Path) -> None:
    kw = dict(factor=0.5, patience=2, cooldown=1)

    def ours(opt):
        return {"scheduler": Scheduler(opt, OnPlateau(Constant(0.1), **kw)), "interval": "step",
                "monitor": "flat", "reduce_on_plateau": True, "name": "lr"}

    def theirs(opt):
        return {"scheduler": torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw),
                "interval": "step", "monitor": "flat", "name": "lr"}

    got = column(fit(tmp_path, Net(ours, flat_metric=True), "ours"), "lr")
    want = column(fit(tmp_path, Net(theirs, flat_metric=True), "theirs"), "lr")
    assert len(got) == STEPS and min(got) < 0.1 / 4  # several cuts happened
    assert got == pytest.approx(want, rel=1e-14)


def test_warmup_cosine_with_plateau_cuts_through_lightning(tmp_path: Path) -> None:
    base = warmup(Cosine(0.1, STEPS), 4)

    def make(opt):
        return {"scheduler": Scheduler(opt, OnPlateau(base, factor=0.5, patience=3, start=4)),
                "interval": "step", "monitor": "flat", "reduce_on_plateau": True, "name": "lr"}

    lrs = column(fit(tmp_path, Net(make, flat_metric=True), "wc"), "lr")
    assert lrs[:5] == pytest.approx(list(base.curve(5)), rel=1e-12)  # untouched warmup
    assert lrs[-1] < base(STEPS - 1)
