"""lrkit.plot: matplotlib figures (written and read back as pixels) and the text plot."""

from __future__ import annotations

import numpy as np
import pytest

import lrkit
from lrkit import plot as lp

mpl = pytest.importorskip("matplotlib")


def _pixels(path):
    import matplotlib.image as mpimg

    return np.asarray(mpimg.imread(str(path)))


def test_png_written_and_not_blank(tmp_path):
    s = lrkit.warmup(lrkit.Cosine(0.1, 1000), 100)
    out = lp.save(lp.plot(s, steps_per_epoch=100, title="warmup + cosine"), tmp_path / "s.png")
    img = _pixels(out)
    assert img.shape[0] >= 300 and img.shape[1] >= 600
    assert float(img[..., :3].std()) > 0.05  # not a blank canvas


def test_curve_pixels_follow_the_schedule(tmp_path):
    # a decreasing staircase: the line's colour must be higher up on the left than on the right
    s = lrkit.StepDecay(1.0, 0.5, 50)
    fig = lp.plot(s, 200, marks=False)
    ax = fig.axes[0]
    (line,) = ax.get_lines()
    x, y = line.get_data()
    np.testing.assert_array_equal(x, np.arange(200.0))
    np.testing.assert_allclose(y, 0.5 ** np.floor(np.arange(200) / 50), rtol=0, atol=0)
    assert ax.get_xlabel() == "optimizer step" and ax.get_ylabel() == "learning rate"


def test_phase_boundaries_and_end_are_marked():
    s = lrkit.warmup(lrkit.Cosine(0.1, 900), 100)  # boundary at 100, end at 1000
    ax = lp.plot(s).axes[0]
    vertical = sorted(float(ln.get_xdata()[0]) for ln in ax.get_lines()[1:])
    assert vertical == [100.0, 1000.0]
    assert ax.get_xlim()[1] == lp.default_steps(s) - 1 > 1000  # shows past the end


def test_compare_has_a_legend_and_log_axis(tmp_path):
    a = lrkit.Exponential(0.5, 0.9, 10)
    b = lrkit.Exponential(0.5, 0.9, 10, staircase=True)
    fig = lp.plot([a, b], 200, labels=["smooth", "staircase"], log=True)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["smooth", "staircase"]
    for ext in ("svg", "pdf"):
        p = lp.save(fig, tmp_path / f"cmp.{ext}")
        assert (tmp_path / f"cmp.{ext}").stat().st_size > 2000, p


def test_large_step_counts_are_subsampled_but_keep_jumps():
    s = lrkit.MultiStep(1.0, [300_000, 700_000], 0.1)
    t = lp.sample_steps(1_000_000, s.phase_boundaries())
    assert len(t) <= lp.MAX_POINTS + 6
    assert {299_999.0, 300_000.0, 699_999.0, 700_000.0} <= set(t.tolist())


def test_text_plot_shape_and_content():
    s = lrkit.StepDecay(0.4, 0.5, 50)
    txt = lp.text_plot(s, 200, width=40, height=8)
    lines = txt.splitlines()
    grid = [ln.split("|", 1)[1] for ln in lines[:8]]
    assert all(len(r) == 40 for r in grid)
    # left column is at the top, right columns lower: step decay drawn as a falling staircase
    top_row = grid[0]
    assert top_row[0] == "*" and top_row[-1] == " "
    col_height = [sum(r[c] == "*" for r in grid) for c in (0, 39)]
    assert col_height[0] >= 1 and col_height[1] >= 1
    first_row = [next(i for i, r in enumerate(grid) if r[c] == "*") for c in (0, 15, 39)]
    assert first_row == sorted(first_row) and first_row[0] < first_row[-1]
    assert lines[0].strip().startswith("0.4")
    assert "199" in lines[-2]


def test_text_plot_several_schedules_and_log():
    a = lrkit.Exponential(0.5, 0.9, 10)
    b = lrkit.Cosine(0.5, 200)
    txt = lp.text_plot([a, b], 200, labels=["exp", "cos"], log=True, width=30, height=6)
    assert "* exp" in txt and "o cos" in txt and "(log scale)" in txt
    assert "o" in txt.splitlines()[0] or "*" in txt.splitlines()[0]


@pytest.mark.parametrize("bad, match", [
    (dict(steps=1), "steps must be an integer >= 2"),
    (dict(labels=["only one"]), "labels must be a list of 2"),
])
def test_bad_arguments_name_the_argument(bad, match):
    a, b = lrkit.Constant(0.1), lrkit.Constant(0.2)
    with pytest.raises(ValueError, match=match):
        lp.text_plot([a, b], **{"steps": 10, **bad})
    with pytest.raises(ValueError, match=match):
        lp.plot([a, b], **{"steps": 10, **bad})


def test_bad_schedule_and_path():
    with pytest.raises(TypeError, match=r"schedules\[1\] must be an lrkit Schedule"):
        lp.plot([lrkit.Constant(0.1), "cosine"])
    fig = lp.plot(lrkit.Constant(0.1), 10)
    with pytest.raises(ValueError, match="path must end in .png, .svg or .pdf"):
        lp.save(fig, "out.jpg")
