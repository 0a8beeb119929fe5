"""lrkit.torch.Scheduler inside a real Hugging Face Trainer (CPU, digits, a few steps)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")
sklearn_datasets = pytest.importorskip("sklearn.datasets")

from lrkit import Cosine, Linear, warmup  # noqa: E402
from lrkit.torch import Scheduler  # noqa: E402

STEPS, ACCUM, SAVE = 12, 2, 6


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(),
                                       torch.nn.Linear(32, 10))

    def forward(self, x, labels=None):
        logits = self.net(x)
        loss = torch.nn.functional.cross_entropy(logits, labels)
        return {"loss": loss, "logits": logits}


def dataset() -> list[dict]:
    x, y = sklearn_datasets.load_digits(return_X_y=True)
    x = torch.tensor(x[:512] / 16.0, dtype=torch.float32)
    return [{"x": x[i], "labels": int(y[i])} for i in range(len(x))]


PLAN = {"lr": warmup(Cosine(0.05, STEPS - 4, end=1e-4), 4), "momentum": Linear(0.95, 0.85, STEPS)}


def train(tmp_path: Path, resume: str | None = None):
    torch.manual_seed(0)
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9)
    sched = Scheduler(opt, PLAN)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"), max_steps=STEPS, per_device_train_batch_size=16,
        gradient_accumulation_steps=ACCUM, logging_steps=1, save_strategy="steps",
        save_steps=SAVE, report_to=[], use_cpu=True, disable_tqdm=True, seed=0,
        dataloader_num_workers=0)
    trainer = transformers.Trainer(model=model, args=args, train_dataset=dataset(),
                                   optimizers=(opt, sched))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.train(resume_from_checkpoint=resume)
    logged = {h["step"]: h["learning_rate"] for h in trainer.state.log_history
              if "learning_rate" in h}
    return logged, sched, opt, model


def test_trainer_steps_per_update_and_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    logged, sched, opt, model = train(tmp_path)
    assert sched.last_epoch == STEPS  # one scheduler step per optimizer update (not per batch)
    assert sorted(logged) == list(range(1, STEPS + 1))
    # the Trainer logs, at step k, the rate update k used: the plan's value at step k - 1
    for k, lr in logged.items():
        assert lr == pytest.approx(PLAN["lr"](k - 1), rel=1e-12)
    assert opt.param_groups[0]["momentum"] == PLAN["momentum"](STEPS)
    final = [p.detach().clone() for p in model.parameters()]

    ckpt = tmp_path / "out" / f"checkpoint-{SAVE}"
    assert ckpt.is_dir()
    logged2, sched2, _, model2 = train(tmp_path / "again", resume=str(ckpt))
    assert sched2.last_epoch == STEPS
    assert {k: v for k, v in logged2.items() if k > SAVE} == {k: v for k, v in logged.items()
                                                              if k > SAVE}
    for a, b in zip(final, model2.parameters()):
        torch.testing.assert_close(a, b.detach(), rtol=1e-6, atol=1e-7)
