"""The `lrkit` command: the real command in a subprocess (figures read back as pixels, tables
compared with the schedules evaluated here), plus in-process runs of `lrkit.cli.main` for the
many error paths."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import lrkit
from lrkit.cli import main, parse_spec, parse_value

ENV = {**os.environ, "MPLBACKEND": "Agg", "COLUMNS": "100"}


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "lrkit", *map(str, args)], capture_output=True,
                          text=True, env=ENV, cwd=cwd, timeout=120)


def _pixels(path):
    import matplotlib.image as mpimg

    return np.asarray(mpimg.imread(str(path)))


# -- subprocess: the real command ---------------------------------------------------------------
def test_plot_inline_spec_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "cos.png"
    r = run("plot", "cosine", "start=0.1", "steps=1000", "--log", "-o", out)
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 10_000
    img = _pixels(out)
    assert img.shape[:2] == (420, 950)   # wider: the legend (here the key of the dashed end) sits outside
    assert float(img[..., :3].std()) > 0.05


def test_compare_overlays_the_reference_figure(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "exp.svg"
    r = run("compare", "exponential", "start=0.5", "rate=0.9", "decay_steps=10",
            "exponential start=0.5 rate=0.9 decay_steps=10 staircase=true", "--steps", "200", "-o", out)
    assert r.returncode == 0, r.stderr
    svg = out.read_text()
    assert "staircase=false" in svg and "staircase=true" in svg  # the legend says what differs


def test_plot_text_in_the_terminal():
    r = run("plot", "step", "start=0.4", "factor=0.5", "step_size=50", "--steps", "200", "--text")
    assert r.returncode == 0, r.stderr
    rows = [ln.split("|", 1)[1] for ln in r.stdout.splitlines() if "|" in ln]
    assert len(rows) == 16
    width = len(rows[0])
    top = [c for c, ch in enumerate(rows[0]) if ch == "*"]
    # 0.4 for the first 50 of 200 steps: the top row is the first quarter of the columns
    assert top[0] == 0 and 0.2 * width <= len(top) <= 0.3 * width and top[-1] < 0.3 * width
    # the last columns sit at 0.05 = 1/8 of the range: two rows above the bottom one
    assert rows[13][-1] == "*" and rows[15][-1] == " "
    assert "199" in r.stdout


def test_show_csv_matches_the_schedule():
    r = run("show", "one_cycle", "peak=1", "total_steps=100", "--at", "0,25:100:25,99.5", "--csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    s = lrkit.OneCycle(1.0, 100)
    assert [float(x["step"]) for x in rows] == [0, 25, 50, 75, 100, 99.5]
    for x in rows:
        t = float(x["step"])
        assert float(x["lr"]) == s(t)  # full precision, exactly the library's value
        assert float(x["momentum"]) == s.momentum(t)


def test_config_files_json_yaml_toml(tmp_path):
    cfg = {"type": "warmup", "steps": "1 epochs", "start": 0.001,
           "schedule": {"type": "cosine", "start": 0.1, "steps": "9 epochs"}}
    (tmp_path / "s.json").write_text(json.dumps({"schedule": cfg, "budget": {"steps_per_epoch": 100}}))
    (tmp_path / "s.yaml").write_text("type: multistep\nstart: 0.1\nmilestones: [30, 60]\nfactor: 0.1\n")
    (tmp_path / "s.toml").write_text('type = "exponential"\nstart = 0.5\nrate = 0.9\ndecay_steps = 10\n')
    r = run("show", "s.json", "--at", "0,50,100,1000", "--csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    want = lrkit.warmup(lrkit.Cosine(0.1, 900), 100, start=0.001)
    got = [float(row["lr"]) for row in csv.DictReader(io.StringIO(r.stdout))]
    assert got == [want(t) for t in (0, 50, 100, 1000)]
    r = run("show", "s.yaml", "--at", "29,30,60", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert [ln.split()[1] for ln in r.stdout.splitlines()[1:]] == ["0.1", "0.01", "0.001"]
    r = run("check", "s.toml", "--total", "200", cwd=tmp_path)
    assert r.returncode == 0 and "info: [length-mismatch] the schedule has no fixed length" in r.stdout


def test_check_exit_codes(tmp_path):
    ok = run("check", "warmup", 'schedule={"type": "cosine", "start": 0.1, "steps": 900}', "steps=100",
             "start=0.001", "--total", "1000", "--optimizer", "sgd")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "no problems found" in ok.stdout
    warn = run("check", "cosine", "start=0.1", "steps=1000", "--total", "1200")
    assert warn.returncode == 1 and "warning: [length-mismatch]" in warn.stdout
    err = run("check", "warmup", 'schedule={"type": "cosine", "start": 0.1, "steps": 900}',
              "steps=2000", "--total", "1000")
    assert err.returncode == 2 and "error: [warmup-too-long]" in err.stdout
    budget = run("check", "cosine", "start=0.1", "steps=10 epochs", "--budget",
                 "steps_per_epoch=50,epochs=10", "--optimizer", "adamw")
    assert budget.returncode == 1 and "run: 500 steps" in budget.stdout
    assert "[peak-too-high]" in budget.stdout
    as_json = run("check", "cosine", "start=0.1", "steps=1000", "--total", "1200", "--json")
    report = json.loads(as_json.stdout)
    assert as_json.returncode == report["exit_code"] == 1
    assert report["total"] == 1200 and report["peak"] == 0.1 and report["horizon"] == 1000
    assert [f["code"] for f in report["findings"]] == ["length-mismatch", "zero-region"]


def test_list_and_explain():
    r = run("list")
    assert r.returncode == 0, r.stderr
    listed = [ln.split()[0] for ln in r.stdout.splitlines()]
    assert listed == lrkit.names()  # every name, one line each, nothing hard-coded
    assert all(len(ln.split(None, 1)) == 2 for ln in r.stdout.splitlines())  # each with a summary
    r = run("explain", "exponential")
    assert r.returncode == 0
    assert "s(t) = a r^p" in r.stdout  # the formula from the docstring, as plain text
    assert "decay_steps" in r.stdout and "staircase" in r.stdout and "default False" in r.stdout
    assert "required" in r.stdout


def test_user_mistakes_give_one_line_and_exit_2():
    for args, fragment in [
        (("plot", "cosin", "start=0.1", "steps=10", "--text"), "did you mean 'cosine'"),
        (("plto",), "did you mean 'plot'"),
        (("show", "cosine", "start=0.1", "steps=0"), "steps must be > 0, got 0"),
    ]:
        r = run(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stdout == ""
        assert len(r.stderr.strip().splitlines()) == 1 and fragment in r.stderr
        assert "Traceback" not in r.stderr


# -- in-process: error paths and parsing ----------------------------------------------------------
def _err(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 2, (argv, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    return err


@pytest.mark.parametrize("argv, fragment", [
    (("plot", "cosine", "start=0.1"), "cosine needs steps"),
    (("plot", "cosine", "start=0.1", "stps=3"), "no parameter 'stps' (did you mean 'steps'?)"),
    (("plot", "cosine", "start=0.1", "steps"), "expected key=value, got 'steps'"),
    (("plot", "cosine", "start=x", "steps=10", "--text"), "start must be a number"),
    (("plot", "nothere.yaml"), "nothere.yaml: no such config file"),
    (("plot", "cosine", "start=0.1", "steps=10 epochs", "--text"), "pass a budget"),
    (("plot", "cosine", "start=0.1", "steps=10", "--budget", "epoch=3"),
     "--budget: unknown key 'epoch' (did you mean 'epochs'?)"),
    (("plot", "cosine", "start=0.1", "steps=10", "--budget", "epochs=-3"), "epochs must be > 0"),
    (("demo", "--schedule", "cosin"), "--schedule must be one of warmup_cosine, one_cycle, got 'cosin'"),
    (("plot", "cosine", "start=0.1", "steps=10", "--steps", "1"), "--steps must be a whole number"),
    (("plot", "cosine", "start=0.1", "steps=10", "-o", "x.jpg"), "path must end in .png, .svg or .pdf"),
    (("compare", "cosine", "start=0.1", "steps=10"), "compare needs at least two schedules"),
    (("show", "cosine", "start=0.1", "steps=10", "--at", "5:1"), "end >= start"),
    (("explain", "expnential"), "did you mean 'exponential'"),
    (("check", "cosine", "start=0.1", "steps=10", "--optimizer", "adamm"), "did you mean 'adam'"),
    (("check", "cosine", "start=0.1", "steps=10", "--total", "1"), "total must be a whole number"),
    (("plot", "--nope", "cosine"), "unrecognized arguments"),
])
def test_errors_in_process(capsys, argv, fragment):
    assert fragment in _err(capsys, *argv)


def test_bad_config_file_syntax(tmp_path, capsys):
    p = tmp_path / "bad.json"
    p.write_text("{not json")
    assert "bad.json: cannot read the config" in _err(capsys, "plot", str(p))
    q = tmp_path / "list.yaml"
    q.write_text("- 1\n- 2\n")
    assert "must hold a mapping" in _err(capsys, "plot", str(q))


def test_options_after_key_values_and_defaults(capsys):
    assert main(["show", "linear", "start=1", "--at", "0,5", "end=0", "steps=10"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split() == ["0", "1"] and out[2].split() == ["5", "0.5"]
    assert main(["show", "linear", "start=1", "end=0", "steps=10"]) == 0  # default points
    steps = [ln.split()[0] for ln in capsys.readouterr().out.splitlines()[1:]]
    assert steps == [str(k) for k in range(11)]


def test_explain_an_undocumented_dialect_factory_uses_its_public_function(capsys):
    if "tf1.polynomial_decay" not in lrkit.names():
        pytest.skip("tf1 dialect not registered yet")
    assert main(["explain", "tf1.polynomial_decay"]) == 0
    out = capsys.readouterr().out
    assert "(no documentation)" not in out and "formula:" in out
    assert "end_learning_rate" in out and "global_step" not in out.split("parameters:")[1]


def test_dialect_names_come_from_the_registry(capsys):
    if "tf1.exponential_decay" not in lrkit.names():
        pytest.skip("tf1 dialect not registered yet")
    assert main(["show", "tf1.exponential_decay", "learning_rate=0.5", "decay_steps=10",
                 "decay_rate=0.9", "staircase=true", "--at", "0,9,10,25", "--csv"]) == 0
    got = [float(r["lr"]) for r in csv.DictReader(io.StringIO(capsys.readouterr().out))]
    want = lrkit.Exponential(0.5, 0.9, 10, staircase=True)
    np.testing.assert_allclose(got, [want(t) for t in (0, 9, 10, 25)], rtol=1e-12)


def test_torch_one_cycle_dialect_when_registered(capsys):
    if "torch.OneCycleLR" not in lrkit.names():
        pytest.skip("torch dialect not registered yet")
    code = main(["show", "torch.OneCycleLR", "max_lr=1", "total_steps=100", "--at", "0,30,99", "--csv"])
    out, err = capsys.readouterr()
    assert code == 0, err
    got = [float(r["lr"]) for r in csv.DictReader(io.StringIO(out))]
    want = lrkit.OneCycle(1.0, 100)
    np.testing.assert_allclose(got, [want(t) for t in (0, 30, 99)], rtol=1e-9)


@pytest.mark.parametrize("text, value", [
    ("0.1", 0.1), ("1e-3", 1e-3), ("100", 100), ("true", True), ("False", False), ("none", None),
    ("[1, 2]", [1, 2]), ("100,200", [100, 200]), ("at", "at"), ("5 epochs", "5 epochs"), ("10%", "10%"),
    ('{"type": "cosine", "start": 1}', {"type": "cosine", "start": 1}), ("(1, 2)", [1, 2]),
    ("__import__('os')", "__import__('os')"),  # never evaluated
])
def test_parse_value(text, value):
    assert parse_value(text) == value


def test_parse_spec():
    assert parse_spec(["cosine", "start=0.1", "steps=1e3"]) == {"type": "cosine", "start": 0.1,
                                                                  "steps": 1000.0}
    with pytest.raises(Exception, match="given twice"):
        parse_spec(["cosine", "start=1", "start=2"])


def test_a_quoted_inline_spec_keeps_lists_with_blanks_whole(capsys):
    # a list written with blanks inside a quoted spec was split at the blanks ("expected
    # key=value, got '200]'"): brackets and quotes now hold a value together
    from lrkit.cli import _split_inline

    assert _split_inline("piecewise boundaries=[100, 200] values=[0.1, 0.01, 0.001] x='a b'") == [
        "piecewise", "boundaries=[100, 200]", "values=[0.1, 0.01, 0.001]", "x=a b"]
    assert main(["show", "piecewise boundaries=[100, 200] values=[0.1, 0.01, 0.001]",
                 "--at", "0,150,250", "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert [float(r[1]) for r in rows[1:]] == [0.1, 0.01, 0.001]
    assert main(["compare", "piecewise boundaries=[100, 200] values=[0.1, 0.01, 0.001]",
                 "cosine start=0.1 steps=300", "--text"]) == 0
    assert main(["show", "piecewise boundaries=[100, 200 values=[0.1]"]) == 2
    assert "unbalanced bracket" in capsys.readouterr().err
