"""``lrkit check`` reports a budget that contradicts itself or the schedule."""

from __future__ import annotations

import subprocess
import sys

import lrkit
from lrkit import Budget
from lrkit.doctor import check


def test_budget_whose_numbers_disagree_is_an_error():
    s = lrkit.Cosine(0.1, 1000)
    r = check(s, budget=Budget(total_steps=1000, epochs=10, steps_per_epoch=90))
    assert "budget-inconsistent" in r.codes and r.exit_code == 2
    assert "total_steps=1000, but epochs=10 x 90 steps per epoch = 900" in r.format()
    # steps_per_epoch against the data set, per-device batch, world size and accumulation
    r = check(s, budget=Budget(total_steps=1000, steps_per_epoch=100, dataset_size=50_000,
                               batch_size=64, world_size=4, grad_accum=2))
    assert "budget-inconsistent" in r.codes
    assert "make 98 optimizer steps per epoch" in r.format()  # ceil(50000/256) // 2
    ok = Budget(total_steps=980, epochs=10, dataset_size=50_000, batch_size=64, world_size=4,
                grad_accum=2)
    assert "budget-inconsistent" not in check(lrkit.Cosine(0.1, 980), budget=ok).codes


def test_a_decay_after_the_end_of_the_run_is_reported():
    s = lrkit.MultiStep(0.1, [300, 600, 900])
    r = check(s, budget=Budget(steps_per_epoch=10, epochs=80))
    assert "change-after-end" in r.codes
    assert "900" in next(f.message for f in r.findings if f.code == "change-after-end")
    assert "change-after-end" not in check(s, budget=Budget(steps_per_epoch=10, epochs=100)).codes


def test_the_cli_reports_it():
    proc = subprocess.run(
        [sys.executable, "-m", "lrkit", "check", "cosine", "start=0.1", "steps=1000", "--budget",
         "total_steps=1000,epochs=10,steps_per_epoch=90"], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "error: [budget-inconsistent]" in proc.stdout
