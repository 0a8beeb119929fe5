"""Command-line polish (issue 16): check --ignore/--fail-on, plain-text explain/list, explain by
a peer's function name, and ``lrkit find`` on a user's model given as module:function."""

from __future__ import annotations

import json
import re
import textwrap

import pytest

from lrkit.cli import main, peer_aliases, plain_math

WARMUP_TOO_LONG = ["warmup", 'schedule={"type": "cosine", "start": 0.1, "steps": 900}', "steps=2000",
                   "--total", "1000"]
LATEX = re.compile(r"\\[A-Za-z]+|\\[,;{}]")


def test_check_ignore_and_fail_on(capsys):
    assert main(["check", *WARMUP_TOO_LONG]) == 2
    assert main(["check", *WARMUP_TOO_LONG, "--ignore", "warmup-too-long"]) == 1
    out = capsys.readouterr().out
    assert out.count("[warmup-too-long]") == 1   # once, in the first report only
    assert main(["check", *WARMUP_TOO_LONG, "--ignore", "warmup-too-long,length-mismatch"]) == 0
    # warnings only: exit 1 by default, 0 with --fail-on error
    short = ["warmup", 'schedule={"type": "cosine", "start": 0.1, "steps": 900}', "steps=200",
             "--total", "2000"]
    assert main(["check", *short]) == 1
    assert main(["check", *short, "--fail-on", "error"]) == 0
    assert main(["check", *WARMUP_TOO_LONG, "--fail-on", "error"]) == 2
    assert main(["check", *short, "--fail-on", "never"]) == 2   # a usage error, one line
    assert "--fail-on must be one of warning, error" in capsys.readouterr().err


def test_lrkits_own_warmup_default_is_clean(capsys):
    assert main(["check", "warmup", 'schedule={"type": "cosine", "start": 0.1, "steps": 900}',
                 "steps=100"]) == 0
    assert "no problems found" in capsys.readouterr().out


@pytest.mark.parametrize(("tex", "text"), [
    (r"v_k + \tfrac12 (v_{k-1} - v_k)(1 + \cos \pi u)", "v_k + 1/2 (v_(k-1) - v_k)(1 + cos π u)"),
    (r"\frac{t - W}{\max(1, N - W)}", "(t - W)/max(1, N - W)"),
    (r"\begin{cases} t / W & t < W \\ 1 & t \ge W \end{cases}", "{t / W if t < W; 1 if t ≥ W}"),
    (r"a_{\min} = a_0 / \text{div\_factor}", "a_min = a_0 / div_factor"),
    (r"\eta_t = \eta_0\, \gamma^{\lfloor t / d \rfloor}", "η_t = η_0 γ^(⌊ t / d ⌋)"),
])
def test_plain_math(tex, text):
    assert plain_math(tex) == text


def test_list_prints_whole_sentences_without_latex(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) >= 95
    assert not [ln for ln in lines if LATEX.search(ln)]
    assert not [ln for ln in lines if ln.rstrip().endswith(":")]


def test_explain_prints_plain_text_for_every_name(capsys):
    from lrkit import names

    bad = []
    for n in names(include_dialects=True):
        assert main(["explain", n]) == 0
        out = capsys.readouterr().out
        if LATEX.search(out):
            bad.append((n, LATEX.search(out).group(0)))
    assert not bad


@pytest.mark.parametrize(("peer", "name"), [
    ("get_cosine_schedule_with_warmup", "hf.cosine"),
    ("get_linear_schedule_with_warmup", "hf.linear"),
    ("CosineAnnealingLR", "torch.CosineAnnealingLR"),
    ("warmup_cosine_decay_schedule", "optax.warmup_cosine_decay_schedule"),
])
def test_explain_finds_a_dialect_by_its_peers_name(capsys, peer, name):
    assert main(["explain", peer]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{peer} is {name}\n") and f"\n{name}  (" in out
    assert name in peer_aliases()[peer]


def test_explain_unknown_name_is_one_line(capsys):
    assert main(["explain", "get_nothing_at_all"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_find_runs_the_range_test_on_a_users_model(tmp_path, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    (tmp_path / "train_lrkit_find.py").write_text(textwrap.dedent("""
        import torch

        def make():
            torch.manual_seed(0)
            x = torch.randn(256, 8)
            y = (x[:, 0] > 0).long()
            data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32)
            model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            return {"model": model, "optimizer": opt, "data": data,
                    "loss_fn": torch.nn.functional.cross_entropy}
    """))
    png, js = tmp_path / "finder.png", tmp_path / "finder.json"
    code = main(["find", f"{tmp_path / 'train_lrkit_find.py'}:make", "-o", str(png), "--json", str(js),
                 "--num-steps", "60", "--no-progress"])
    out = capsys.readouterr().out
    result = json.loads(js.read_text())
    assert png.stat().st_size > 1000 and len(result["lrs"]) >= 10
    assert code == (0 if result["suggestion"] is not None else 1)
    assert ("suggested one-cycle peak" in out) == (code == 0) and "valley" in out
    assert main(["find", f"{tmp_path / 'train_lrkit_find.py'}:nothing"]) == 2
    assert main(["find", "no_such_module_xyz:make"]) == 2


def test_plot_legend_outside_with_a_key_and_a_wrapped_title():
    pytest.importorskip("matplotlib")
    import lrkit
    from lrkit.plot import plot

    title = "tf1.exponential_decay learning_rate=0.5 decay_steps=10 decay_rate=0.9 staircase=true"
    fig = plot([lrkit.Cosine(0.1, 800), lrkit.OneCycle(0.1, 900, three_phase=True)], 1000,
               labels=["cosine", "one-cycle"], title=title)
    ax = fig.axes[0]
    assert ax.get_title().replace("\n", " ") == title            # wrapped, not cut
    legend = ax.get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts == ["cosine", "one-cycle", "phase boundary", "designed end"]
    fig.canvas.draw() if hasattr(fig.canvas, "draw") else None
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1   # outside
    # one schedule without phases: no legend at all
    assert plot(lrkit.Constant(0.1), 100).axes[0].get_legend() is None


def test_cli_plot_title_is_never_cut(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import lrkit.plot

    seen = {}
    real = lrkit.plot.plot

    def spy(*a, **k):
        seen["title"] = k.get("title")
        return real(*a, **k)

    monkeypatch.setattr(lrkit.plot, "plot", spy)
    assert main(["plot", "tf1.exponential_decay", "learning_rate=0.5", "decay_steps=10", "decay_rate=0.9",
                 "staircase=true", "--steps", "200", "-o", str(tmp_path / "p.png")]) == 0
    assert seen["title"].endswith("staircase=true")
