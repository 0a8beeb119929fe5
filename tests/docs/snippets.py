"""Extract the Python blocks of README.md and docs/**/*.md and run them as a reader would.

The blocks of one page share one namespace and run in order. A block may be preceded (blank
lines allowed) by a directive comment::

    <!-- snippet: setup=torch_model,loader -->      run these stand-ins (tests/docs/standins.py) first
    <!-- snippet: skip-reason <why> -->             do not run; the test reports the reason as a skip

and a page may carry ``<!-- snippet-page: env KEY=VALUE ... -->`` (anywhere) to set environment
variables; a page that uses Keras, or sets an environment variable, runs in its own process
(Keras picks its backend once per process, from ``KERAS_BACKEND``, default ``jax`` here).

Blocks that are not runnable Python are fenced as ``text``, never as ``python``.

Run one page by hand::

    python -m tests.docs.snippets docs/torch.md
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<ticks>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")
DIRECTIVE = re.compile(r"^<!--\s*snippet:\s*(?P<body>.*?)\s*-->\s*$")
PAGE_DIRECTIVE = re.compile(r"<!--\s*snippet-page:\s*(?P<body>.*?)\s*-->")
KERAS = re.compile(r"^\s*(import keras\b|from keras\b|import lrkit\.keras\b|from lrkit\.keras\b"
                   r"|import [\w, ]*\bkeras\b)", re.M)
PYTHON_INFOS = {"python", "py", "python3", "pycon"}


@dataclass
class Block:
    page: str            # path relative to the repository root
    line: int            # line of the opening fence (1-based)
    code: str
    setup: list[str] = field(default_factory=list)
    skip: str | None = None

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


@dataclass
class Page:
    path: str
    blocks: list[Block]
    env: dict[str, str]

    @property
    def needs_process(self) -> bool:
        from tests.docs.standins import PROCESS

        return bool(self.env) or any(KERAS.search(b.code) or PROCESS & set(b.setup) for b in self.blocks)


def pages() -> list[Path]:
    """README.md and every Markdown page under docs/ (found, never listed by hand)."""
    docs = ROOT / "docs"
    found = [p for p in sorted(docs.rglob("*.md")) if "hooks" not in p.relative_to(docs).parts]
    return [ROOT / "README.md", *found]


def _directive(lines: list[str], fence_index: int) -> tuple[list[str], str | None]:
    i = fence_index - 1
    while i >= 0 and not lines[i].strip():
        i -= 1
    if i < 0:
        return [], None
    m = DIRECTIVE.match(lines[i].strip())
    if not m:
        return [], None
    body = m.group("body")
    setup: list[str] = []
    skip = None
    if body.startswith("skip-reason"):
        skip = body[len("skip-reason"):].strip(" :") or "no reason given"
        if skip == "no reason given":
            raise ValueError(f"line {i + 1}: a skip-reason directive must give its reason")
        return [], skip
    for part in body.split():
        key, _, value = part.partition("=")
        if key != "setup" or not value:
            raise ValueError(f"line {i + 1}: unknown snippet directive {part!r} "
                             "(use setup=NAME[,NAME] or skip-reason <why>)")
        setup += [v for v in value.split(",") if v]
    return setup, None


def _closes(line: str, ticks: str) -> bool:
    bare = line.strip()
    return bare.startswith(ticks) and bare.strip(ticks[0]) == ""


def parse(path: Path) -> Page:
    text = path.read_text(encoding="utf-8")
    rel = path.relative_to(ROOT).as_posix()
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        ticks, info = m.group("ticks"), m.group("info").lower()
        j = i + 1
        while j < len(lines) and not _closes(lines[j], ticks):
            j += 1
        if info in PYTHON_INFOS:
            indent = len(m.group("indent"))
            code = "\n".join(ln[indent:] if ln[:indent].strip() == "" else ln for ln in lines[i + 1:j])
            setup, skip = _directive(lines, i)
            blocks.append(Block(rel, i + 1, code + "\n", setup, skip))
        i = j + 1
    env: dict[str, str] = {}
    for m in PAGE_DIRECTIVE.finditer(text):
        words = m.group("body").split()
        if not words or words[0] != "env":
            raise ValueError(f"{rel}: unknown snippet-page directive {m.group(0)!r}")
        env.update(w.split("=", 1) for w in words[1:])
    return Page(rel, blocks, env)


# ---------------------------------------------------------------------------------------------
# running


def one_thread() -> None:
    """Tiny models train fastest on one thread (and do not fight the other tests for cores)."""
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def run_block(block: Block, ns: dict) -> None:
    from tests.docs import standins

    for name in block.setup:
        fn = getattr(standins, name, None)
        if fn is None or name.startswith("_"):
            raise LookupError(f"{block.id}: no stand-in named {name!r} in tests/docs/standins.py")
        fn(ns)
    one_thread()
    code = compile(block.code, f"{block.page}, block at line {block.line}", "exec")
    exec(code, ns)  # noqa: S102 - the documentation's own code


def new_namespace(page: str) -> dict:
    return {"__name__": "__snippet__", "__file__": str(ROOT / page)}


def run_page_here(page: Page) -> list[str | None]:
    """Run every block of a page in this process; one traceback (or None) per block."""
    results: list[str | None] = []
    ns = new_namespace(page.path)
    for block in page.blocks:
        if block.skip:
            results.append(None)
            continue
        try:
            run_block(block, ns)
            results.append(None)
        except BaseException:  # noqa: BLE001 - reported per block
            results.append(traceback.format_exc(limit=-6))
    return results


def run_page_in_process(page: Page, timeout: float = 600) -> list[str | None]:
    """Run a page in a fresh interpreter (a fresh Keras backend), in a scratch directory."""
    env = dict(os.environ, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT),
               OMP_NUM_THREADS="1")
    env.setdefault("KERAS_BACKEND", "jax")  # the lightest: Keras on torch imports jax as well
    env.update(page.env)
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([sys.executable, "-m", "tests.docs.snippets", "--json", str(ROOT / page.path)],
                              cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("SNIPPET-RESULTS ")]
    if proc.returncode != 0 or not lines:
        msg = (f"the page's process failed (exit {proc.returncode}):\n"
               f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
        return [msg] * len(page.blocks)
    return json.loads(lines[-1][len("SNIPPET-RESULTS "):])


def main(argv: list[str]) -> int:
    as_json = "--json" in argv
    paths = [a for a in argv if a != "--json"]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    bad = 0
    for p in paths:
        page = parse(Path(p).resolve())
        if as_json:
            results = run_page_here(page)
        else:  # by hand: in a scratch directory, in a fresh process when the page needs one
            results = run_page_in_process(page)
        if as_json:
            print("SNIPPET-RESULTS " + json.dumps(results), flush=True)
            continue
        for block, err in zip(page.blocks, results):
            status = "skip: " + block.skip if block.skip else ("ok" if err is None else "FAIL")
            print(f"{block.id:50s} {status}")
            if err:
                bad += 1
                print("    " + err.replace("\n", "\n    "))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
