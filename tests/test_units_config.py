"""Durations and budgets; configs from dicts and files; helpful errors."""

from __future__ import annotations

import json

import pytest

import lrkit
from lrkit import Budget


def test_budget_conversions():
    b = Budget(dataset_size=50_000, batch_size=128, epochs=90)
    assert b.resolved_steps_per_epoch() == 391  # ceil(50000 / 128)
    assert b.resolved_total_steps() == 391 * 90
    assert b.steps("5 epochs") == 5 * 391
    assert b.steps({"epochs": 5}) == 5 * 391
    assert b.steps("10%") == int(0.1 * 391 * 90)
    assert b.steps({"fraction": 0.25}) == int(0.25 * 391 * 90)
    assert b.steps(1000) == 1000
    assert b.steps("1000 steps") == 1000
    assert b.steps("12800 samples") == 100
    # gradient accumulation and world size shrink steps per epoch and steps per sample
    d = Budget(dataset_size=50_000, batch_size=32, grad_accum=4, world_size=2, seq_len=512)
    assert d.global_batch == 256
    assert d.resolved_steps_per_epoch() == 782 // 4  # ceil(50000/64) batches per rank, / accum
    assert d.steps("2560 samples") == 10
    assert d.steps("1.31072e6 tokens") == 10  # 1310720 / (256 * 512)
    assert Budget(dataset_size=100, batch_size=30, drop_last=True).resolved_steps_per_epoch() == 3
    assert Budget(dataset_size=100, batch_size=30).resolved_steps_per_epoch() == 4


@pytest.mark.parametrize(
    "budget,duration,missing",
    [
        (Budget(), "5 epochs", "steps_per_epoch"),
        (Budget(batch_size=32), "5 epochs", "dataset_size"),
        (Budget(), "100 samples", "batch_size"),
        (Budget(batch_size=8), "1e6 tokens", "seq_len"),
        (Budget(steps_per_epoch=10), "10%", "total_steps"),
    ],
)
def test_missing_budget_says_what_is_missing(budget, duration, missing):
    with pytest.raises(ValueError, match=missing):
        budget.steps(duration, name="warmup")


@pytest.mark.parametrize("bad", ["five epochs", "5 fortnights", {"epochs": 1, "steps": 2}, True, [5]])
def test_bad_durations(bad):
    with pytest.raises((ValueError, TypeError), match="warmup"):
        Budget(steps_per_epoch=10, total_steps=100).steps(bad, name="warmup")


def test_budget_validation():
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        Budget(batch_size=0)
    with pytest.raises(TypeError, match="grad_accum"):
        Budget(grad_accum=1.5)


def test_config_with_units_and_budget():
    cfg = {"type": "warmup", "steps": "5 epochs",
           "schedule": {"type": "cosine", "start": 0.1, "steps": "85 epochs"}}
    s = lrkit.from_config(cfg, budget={"steps_per_epoch": 100})
    assert s == lrkit.warmup(lrkit.Cosine(0.1, 8500), 500)
    with pytest.raises(ValueError, match=r"config.steps='5 epochs' has a unit: pass a budget"):
        lrkit.from_config(cfg)
    multi = {"type": "multistep", "start": 0.1, "milestones": ["30 epochs", "60 epochs", 9000], "factor": 0.1}
    assert lrkit.from_config(multi, budget=Budget(steps_per_epoch=100)).milestones == (3000, 6000, 9000)


def test_unknown_type_lists_closest_names():
    with pytest.raises(ValueError, match="unknown schedule type 'cosin'.*'cosine'"):
        lrkit.from_config({"type": "cosin", "start": 0.1, "steps": 10})


def test_unknown_parameter_suggests_the_right_one():
    with pytest.raises(ValueError, match=r"no parameter 'stpes' \(did you mean 'steps'\?\)"):
        lrkit.from_config({"type": "cosine", "start": 0.1, "stpes": 10})


def test_nested_errors_say_where():
    cfg = {"type": "sequence", "boundaries": [10],
           "phases": [{"type": "linear", "start": 0, "end": 1, "steps": 10},
                      {"type": "cosine", "start": 1.0, "steps": 0}]}
    with pytest.raises(ValueError, match=r"config.phases\[1\] \(cosine\).*steps must be > 0, got 0"):
        lrkit.from_config(cfg)


def test_missing_type_and_bad_shapes():
    with pytest.raises(ValueError, match="no 'type' key"):
        lrkit.from_config({"start": 0.1})
    with pytest.raises(TypeError, match="mapping"):
        lrkit.from_config([1, 2])


def test_load_files_with_budget_section(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text(
        "budget:\n  dataset_size: 1281167\n  batch_size: 256\n  epochs: 90\n"
        "schedule:\n  type: warmup\n  steps: 5 epochs\n  schedule:\n    type: multistep\n"
        "    start: 0.1\n    milestones: [30 epochs, 60 epochs, 80 epochs]\n    factor: 0.1\n",
        encoding="utf-8")
    s = lrkit.load(path)
    spe = 5005  # ceil(1281167 / 256)
    assert s.steps == 5 * spe
    assert s.schedule.milestones == (30 * spe, 60 * spe, 80 * spe)


def test_yaml_loading_is_safe(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("type: !!python/object/apply:os.system ['echo hacked']\n", encoding="utf-8")
    yaml = pytest.importorskip("yaml")
    # a parser error, or lrkit's ConfigFileError (a ValueError naming the file and line)
    with pytest.raises((yaml.YAMLError, ValueError), match="python/object"):
        lrkit.load(path)


def test_toml_and_json_files(tmp_path):
    (tmp_path / "a.toml").write_text('type = "step"\nstart = 0.1\nfactor = 0.5\nstep_size = 10\n')
    assert lrkit.load(tmp_path / "a.toml") == lrkit.StepDecay(0.1, 0.5, 10)
    (tmp_path / "b.json").write_text(json.dumps({"type": "constant", "value": 0.01}))
    assert lrkit.load(tmp_path / "b.json")(123) == 0.01
    with pytest.raises(ValueError, match=r"\.json, \.yaml"):
        (tmp_path / "c.ini").write_text("x")
        lrkit.load(tmp_path / "c.ini")
    with pytest.raises(FileNotFoundError, match="not found"):
        lrkit.load(tmp_path / "missing.json")


def test_immutable():
    s = lrkit.Cosine(0.1, 100)
    with pytest.raises(AttributeError):
        s.start = 0.2  # type: ignore[misc]
    assert hash(s) == hash(lrkit.Cosine(0.1, 100))


def test_names_include_every_family():
    names = lrkit.names(include_dialects=False)
    for n in ("constant", "linear", "polynomial", "exponential", "natural_exp", "inverse_time",
              "time_based", "step", "piecewise", "multistep", "cosine", "cosine_restarts",
              "linear_cosine", "noisy_linear_cosine", "inverse_sqrt", "cyclic", "one_cycle", "wsd",
              "tanh", "geometric_step", "warmup", "sequence", "restarts", "scale", "product", "clip"):
        assert n in names


@pytest.mark.parametrize("bad", ["1e400 epochs", "1e400", "1e400 samples", 1e400, 10**400,
                                 float("nan"), "1e300 epochs", {"epochs": 1e300}, "1e20"])
def test_non_finite_or_huge_durations_name_the_argument(bad):
    # issue 11: "1e400 epochs" escaped as a raw OverflowError
    b = Budget(steps_per_epoch=10, total_steps=100, batch_size=8)
    with pytest.raises(ValueError, match=r"^warmup.*(finite|at most 2\*\*53)"):
        b.steps(bad, name="warmup")


def test_budget_from_a_distributed_loader_counts_the_real_optimizer_steps():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

    data = TensorDataset(torch.arange(1001.0))
    for drop in (False, True):
        sampler = DistributedSampler(data, num_replicas=3, rank=1, shuffle=False, drop_last=drop)
        loader = DataLoader(data, batch_size=16, sampler=sampler, drop_last=drop)
        b = Budget.from_loader(loader, epochs=2, grad_accum=4)
        assert b.world_size == 3 and b.batch_size == 16 and b.global_batch == 16 * 4 * 3
        steps = 0
        for _ in range(2):  # the loop a user writes: one update every 4 micro-batches
            for i, _batch in enumerate(loader):
                if (i + 1) % 4 == 0:
                    steps += 1
        assert b.resolved_total_steps() == steps
        assert b.steps("1 epochs") == steps // 2
    # loops that also step on an incomplete accumulation at an epoch's end (Lightning, Accelerate)
    flush = Budget.from_loader(loader, epochs=2, grad_accum=4, flush_at_epoch_end=True)
    assert flush.resolved_steps_per_epoch() == -(-len(loader) // 4)
    with pytest.raises(ValueError, match="world size is ambiguous"):
        Budget.from_loader(loader, world_size=2)
    with pytest.raises(TypeError, match="loader must have a length"):
        Budget.from_loader(iter([1, 2]))
