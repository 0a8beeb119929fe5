"""``lrkit sweep``: the command line runs a sweep, resumes it from its storage, writes the report,
and gives one-line errors for bad input."""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path

import pytest

import lrkit
from lrkit.cli import main

pytest.importorskip("optuna")

ROOT = Path(__file__).resolve().parents[2]

TRAIN = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from tests.tune._tasks import lsq_objective

def objective(schedule, report):
    return lsq_objective(schedule, report)
"""

SPACE = """
families: [cosine, wsd]
peak: [1e-4, 3e-1]      # YAML 1.2: 1e-4 is a number
warmup: [0, .1]
budget: {total_steps: 80}
"""


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text(textwrap.dedent(TRAIN))
    (tmp_path / "space.yaml").write_text(SPACE)
    return tmp_path


def test_sweep_writes_the_report_and_resumes_from_its_storage(files, capsys):
    args = ["sweep", "train.py:objective", "--space", "space.yaml", "--trials", "2",
            "--storage", "sqlite:///sweep.db", "--out", "rep", "--no-progress", "--pruner", "none"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "best value:" in out
    best = lrkit.load(files / "rep" / "best.yaml")
    report = lrkit.doctor.check(best, total=80)
    assert not report.errors
    with open(files / "rep" / "trials.csv") as fh:
        assert len(list(csv.DictReader(fh))) == 2
    assert (files / "rep" / "sweep.png").stat().st_size > 1000
    # the same command with more trials continues the study
    args[args.index("2")] = "3"
    assert main(args) == 0
    with open(files / "rep" / "trials.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["number"] for r in rows] == ["0", "1", "2"]


@pytest.mark.parametrize("argv, text", [
    (["sweep", "train.py:nope", "--space", "space.yaml"], "train.py has no 'nope' (its functions: "),
    (["sweep", "missing.py:objective", "--space", "space.yaml"], "file not found: 'missing.py'"),
    (["sweep", "train.py", "--space", "space.yaml"], "objective must look like train.py:objective"),
    (["sweep", "train.py:objective", "--space", "bad.yaml"], "unknown family 'cosin'"),
    (["sweep", "train.py:objective"], "the run's length is unknown"),
    (["sweep", "train.py:objective", "--space", "space.yaml", "--storage", "sqlite:////no/dir/x.db"],
     "storage 'sqlite:////no/dir/x.db' cannot be opened"),
    (["sweep", "train.py:objective", "--space", "space.yaml", "--budget", "total_steps=0"],
     "total_steps must be >= 1, got 0"),
])
def test_bad_input_is_one_line_and_exit_code_2(files, capsys, argv, text):
    (files / "bad.yaml").write_text("families: [cosin]\npeak: [1e-3, 1]\n")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert text in err and err.count("\n") == 1, err


def test_sweep_seeded_by_a_saved_range_test(files, capsys):
    import json

    from ._tasks import lsq_step_fn

    result = lrkit.find_lr(lsq_step_fn(), start=1e-5, end=10.0, num_steps=80)
    (files / "finder.json").write_text(json.dumps(result.to_dict()))
    r = result.suggest(target="one_cycle")
    assert main(["sweep", "train.py:objective", "--budget", "total_steps=80", "--optimizer", "sgd",
                 "--finder", "finder.json", "--band", "2", "--trials", "3", "--out", "rep",
                 "--no-progress"]) == 0
    with open(files / "rep" / "trials.csv") as fh:
        peaks = [float(row["peak"]) for row in csv.DictReader(fh)]
    assert len(peaks) == 3 and all(r / 2 <= p <= r * 2 for p in peaks), (r, peaks)
    (files / "bad.json").write_text("{}")
    assert main(["sweep", "train.py:objective", "--budget", "total_steps=80", "--finder", "bad.json"]) == 2
    assert "--finder: cannot read a range test's result from 'bad.json'" in capsys.readouterr().err
