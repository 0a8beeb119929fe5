"""MkDocs hook: the documentation's figures are drawn by the build, from lrkit itself.

A page asks for a figure with a marker on its own line::

    <!-- figure: exponential-staircase -->

and the build replaces it with the ``lrkit`` command that draws it and the image, rendered
here with the very parsing the command uses (:func:`lrkit.cli.load_spec`) and
:func:`lrkit.plot.plot`. The PNGs are added to the site as generated files (``figures/*.png``);
nothing is pasted into ``docs/``. An unknown figure name is a warning, so ``mkdocs build
--strict`` fails on it.
"""

from __future__ import annotations

import io
import logging
import re
import shlex
from typing import Any

log = logging.getLogger("mkdocs.hooks.figures")

_MARKER = re.compile(r"^<!-- figure: ([a-z0-9_.-]+) -->$", re.M)


def _cos(start: float, steps: int) -> str:
    return f'{{"type": "cosine", "start": {start}, "steps": {steps}}}'


# name -> {"specs": [tokens, ...] (one: `lrkit plot`, several: `lrkit compare`), options}
FIGURES: dict[str, dict[str, Any]] = {
    # -- the reference articles' figures --------------------------------------------------------
    "exponential-staircase": {
        "specs": [["exponential", "start=0.5", "rate=0.9", "decay_steps=10"],
                  ["exponential", "start=0.5", "rate=0.9", "decay_steps=10", "staircase=true"]],
        "steps": "200"},
    "polynomial-cycle": {
        "specs": [["polynomial", "start=0.5", "steps=10", "end=0.0001"],
                  ["polynomial", "start=0.5", "steps=10", "end=0.0001", "cycle=true"]],
        "steps": "200"},
    "step-decay-factors": {
        "specs": [["step", "start=0.1", "factor=0.5", "step_size=10 epochs"],
                  ["step", "start=0.1", "factor=0.25", "step_size=10 epochs"]],
        "budget": "steps_per_epoch=100", "steps": "10000"},
    "time-based": {
        "specs": [["time_based", "start=0.1", "decay=0.001"], ["time_based", "start=0.1", "decay=0.01"],
                  ["time_based", "start=0.1", "decay=0.1"]],
        "steps": "1000"},
    "warmup-shapes": {
        "specs": [["warmup", f"schedule={_cos(0.1, 900)}", "steps=100", "start=0.001", f"shape={s}"]
                  for s in ("linear", "cosine", "exponential")],
        "steps": "1000"},
    "exponential-staircase-log": {
        "specs": [["exponential", "start=0.1", "rate=0.96", "decay_steps=100", "staircase=true"]],
        "steps": "5000", "log": True},
    # -- one figure per schedule type (the catalogue) -----------------------------------------
    "constant": {"specs": [["constant", "value=0.1"]], "steps": "100"},
    "linear": {"specs": [["linear", "start=0.1", "end=0.001", "steps=1000"]]},
    "polynomial": {"specs": [["polynomial", "start=0.1", "steps=1000", "end=0.0001", "power=2"]]},
    "exponential": {"specs": [["exponential", "start=0.1", "rate=0.96", "decay_steps=100",
                               "staircase=true"]], "steps": "2000"},
    "natural_exp": {"specs": [["natural_exp", "start=0.1", "rate=0.5", "decay_steps=100"]],
                    "steps": "1000"},
    "inverse_time": {"specs": [["inverse_time", "start=0.1", "rate=0.5", "decay_steps=100"]],
                     "steps": "1000"},
    "time_based": {"specs": [["time_based", "start=0.01", "decay=0.001"]], "steps": "5000"},
    "step": {"specs": [["step", "start=0.1", "factor=0.5", "step_size=100"]], "steps": "1000"},
    "geometric_step": {"specs": [["geometric_step", "start=0.1", "total=1000"]]},
    "inverse_sqrt": {"specs": [["inverse_sqrt", "start=0.01", "timescale=100"]], "steps": "2000"},
    "piecewise": {"specs": [["piecewise", "values=[0.1, 0.01, 0.001]", "boundaries=[300, 600]"]],
                  "steps": "1000"},
    "multistep": {"specs": [["multistep", "start=0.1", "milestones=300,600,800", "factor=0.1"]],
                  "steps": "1000"},
    "cosine": {"specs": [["cosine", "start=0.1", "steps=1000"],
                         ["cosine", "start=0.1", "steps=1000", "alpha=0.1"],
                         ["cosine", "start=0.1", "steps=1000", "k=2"]]},
    "cosine_restarts": {"specs": [["cosine_restarts", "start=0.1", "period=200", "period_mult=2",
                                   "peak_decay=0.8"]], "steps": "1400"},
    "linear_cosine": {"specs": [["linear_cosine", "start=0.1", "steps=1000", "num_periods=2"]]},
    "noisy_linear_cosine": {"specs": [["noisy_linear_cosine", "start=0.1", "steps=1000",
                                       "num_periods=2", "seed=1"]]},
    "tanh": {"specs": [["tanh", "start=0.1", "steps=1000"]]},
    "cyclic": {"specs": [["cyclic", "base=0.001", "peak=0.01", "step_size_up=100"],
                         ["cyclic", "base=0.001", "peak=0.01", "step_size_up=100", "mode=triangular2"]],
               "steps": "800"},
    "one_cycle": {"specs": [["one_cycle", "peak=0.1", "total_steps=1000"],
                            ["one_cycle", "peak=0.1", "total_steps=1000", "three_phase=true"]]},
    "momentum_of": {"specs": [["momentum_of", 'source={"type": "one_cycle", "peak": 0.1, '
                               '"total_steps": 1000}']]},
    "wsd": {"specs": [["wsd", "peak=0.01", "total=1000", "decay_steps=200", "warmup_steps=50"],
                      ["wsd", "peak=0.01", "total=1000", "decay_steps=200", "warmup_steps=50",
                       "decay_shape=1-sqrt"]]},
    "warmup": {"specs": [["warmup", f"schedule={_cos(0.1, 900)}", "steps=100"]]},
    "sequence": {"specs": [["sequence",
                            'phases=[{"type": "linear", "start": 0.001, "end": 0.1, "steps": 100}, '
                            '{"type": "constant", "value": 0.1}, ' + _cos(0.1, 400) + "]",
                            "boundaries=[100, 500]"]], "steps": "1000"},
    "restarts": {"specs": [["restarts", 'schedule={"type": "linear", "start": 0.1, "end": 0, "steps": 200}',
                            "period=200", "peak_decay=0.7"]], "steps": "1000"},
    "scale": {"specs": [["scale", f"schedule={_cos(1.0, 1000)}", "factor=0.1"]]},
    "product": {"specs": [["product", "schedules=[" + _cos(0.1, 1000) + ', {"type": "cyclic", '
                           '"base": 0.5, "peak": 1.0, "step_size_up": 50}]']], "steps": "1000"},
    "clip": {"specs": [["clip", 'schedule={"type": "exponential", "start": 0.1, "rate": 0.5, '
                        '"decay_steps": 100}', "minimum=0.001"]], "steps": "1000"},
}


# figures of Python-only helpers (recipes): name -> (code shown, builder returning (schedules, labels, steps,
# steps_per_epoch))
_RESNET_CODE = """import lrkit
from lrkit.plot import plot

sched = lrkit.resnet_step_decay(batch_size=256, batch_denom=256, num_images=1_281_167,
                                boundary_epochs=[30, 60, 80, 90],
                                decay_rates=[1, 0.1, 0.01, 0.001, 1e-4], warmup_epochs=5)
fig = plot(sched, 100 * 5005, steps_per_epoch=5005, log=True)"""


def _resnet() -> tuple[list[Any], list[str] | None, int, int, bool]:
    import lrkit

    sched = lrkit.resnet_step_decay(batch_size=256, batch_denom=256, num_images=1_281_167,
                                    boundary_epochs=[30, 60, 80, 90],
                                    decay_rates=[1, 0.1, 0.01, 0.001, 1e-4], warmup_epochs=5)
    return [sched], None, 100 * 5005, 5005, True


PYTHON_FIGURES: dict[str, tuple[str, Any]] = {"resnet-recipe": (_RESNET_CODE, _resnet)}


def _render_python(name: str) -> bytes:
    from lrkit import plot as lp

    schedules, labels, steps, spe, log_y = PYTHON_FIGURES[name][1]()
    fig = lp.plot(schedules, steps, labels=labels, steps_per_epoch=spe, log=log_y)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def argv(name: str) -> list[str]:
    """The ``lrkit`` arguments that draw figure ``name`` (without ``-o``)."""
    fig = FIGURES[name]
    specs = fig["specs"]
    out = ["plot" if len(specs) == 1 else "compare"]
    for tokens in specs:
        out.extend(tokens)
    if "steps" in fig:
        out += ["--steps", fig["steps"]]
    if "budget" in fig:
        out += ["--budget", fig["budget"]]
    if fig.get("log"):
        out.append("--log")
    return out


def command(name: str) -> str:
    """The shell command that draws figure ``name``."""
    return shlex.join(["lrkit", *argv(name), "-o", f"{name}.png"])


def render(name: str) -> bytes:
    """Run the real command (:func:`lrkit.cli.main`) and return the PNG it wrote."""
    import contextlib
    import tempfile
    from pathlib import Path

    from lrkit.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{name}.png"
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main([*argv(name), "-o", str(out)])
        if code != 0 or not out.is_file():
            log.warning("figure %r: `%s` failed (exit %s): %s", name, command(name), code,
                        stderr.getvalue().strip())
            return b""
        return out.read_bytes()


_DEMO: dict[str, Any] = {}
_DEMO_MARKER = "<!-- demo-figures -->"
_DEMO_FIGURES = ("finder.png", "schedule.png", "training.png")


def _run_demo(config: Any, files: Any) -> None:
    """Run ``lrkit demo --quick`` once per build and add its figures as ``figures/demo/*``."""
    import tempfile
    from pathlib import Path

    from mkdocs.structure.files import File

    try:
        from lrkit.demo import run
    except ImportError as exc:  # the demo's extras are not installed
        log.info("demo figures skipped: %s", exc)
        _DEMO["summary"] = None
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(tmp, quick=True, progress=False)
        for name in _DEMO_FIGURES:
            files.append(File.generated(config, f"figures/demo/{name}",
                                        content=(Path(tmp) / name).read_bytes()))
        _DEMO["summary"] = (Path(tmp) / "summary.txt").read_text(encoding="utf-8")


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    for name in FIGURES:
        files.append(File.generated(config, f"figures/{name}.png", content=render(name)))
    for name in PYTHON_FIGURES:
        files.append(File.generated(config, f"figures/{name}.png", content=_render_python(name)))
    docs = config["docs_dir"]
    needs_demo = False
    for f in files.documentation_pages():
        path = f.abs_src_path
        if path and path.startswith(docs):
            with open(path, encoding="utf-8") as fh:
                if _DEMO_MARKER in fh.read():
                    needs_demo = True
                    break
    if needs_demo:
        _run_demo(config, files)
    import lrkit

    missing = [n for n in lrkit.names(include_dialects=False) if n not in FIGURES]
    if missing:
        log.info("schedule types without a catalogue figure: %s", ", ".join(missing))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    depth = page.file.src_uri.count("/")
    prefix = "../" * depth

    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in PYTHON_FIGURES:
            return f"```python\n{PYTHON_FIGURES[name][0]}\n```\n\n![{name}]({prefix}figures/{name}.png)\n"
        if name not in FIGURES:
            log.warning("%s: unknown figure %r (known: %s)", page.file.src_uri, name, ", ".join(FIGURES))
            return m.group(0)
        return f"```bash\n{command(name)}\n```\n\n![{name}]({prefix}figures/{name}.png)\n"

    markdown = _MARKER.sub(repl, markdown)
    if _DEMO_MARKER in markdown:
        summary = _DEMO.get("summary")
        if summary is None:
            block = "*(The demo's figures appear here when the docs are built with `lrkit[demo]`.)*\n"
        else:
            block = ("```text\n$ lrkit demo --quick\n" + summary.strip() + "\n```\n\n"
                     + "\n\n".join(f"![demo {n}]({prefix}figures/demo/{n})" for n in _DEMO_FIGURES) + "\n")
        markdown = markdown.replace(_DEMO_MARKER, block)
    return markdown
