"""docs/api.md documents every public name, and no private helper.

The public names are the ``__all__`` of ``lrkit``, ``lrkit.torch``, ``lrkit.keras``, ``lrkit.jax``,
``lrkit.plateau``, ``lrkit.rules``, ``lrkit.tune``, ``lrkit.finder`` and every ``lrkit.compat.<x>``
(read from the modules, so a name added later is required at once). A name counts as documented
when a ``::: path`` entry of docs/api.md (or one of its ``members:``) resolves to the same object,
or -- for the schedule classes, documented with their figures in the catalogue -- when api.md
links to their entry on a page that has it. The modules are imported in a subprocess (Keras
reads its backend once per process).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
MODULES = ["lrkit", "lrkit.torch", "lrkit.keras", "lrkit.jax", "lrkit.plateau", "lrkit.rules",
           "lrkit.tune", "lrkit.finder", "lrkit.compat"]
ENTRY = re.compile(r"^::: *(?P<path>[\w.]+)[ \t]*\n(?P<opts>(?:[ \t]+.*\n|\n(?=[ \t]))*)", re.M)
MEMBERS = re.compile(r"members:\s*\[(?P<names>[^\]]*)\]", re.S)
LINK = re.compile(r"\]\((?P<page>[\w./-]+\.md)#(?P<anchor>[\w.]+)\)")


def entries(text: str) -> list[str]:
    """The dotted paths a page documents: each ``::: path`` and each of its listed members."""
    out = []
    for m in ENTRY.finditer(text):
        path = m.group("path")
        members = MEMBERS.search(m.group("opts"))
        if members:
            out += [f"{path}.{n.strip()}" for n in members.group("names").split(",") if n.strip()]
        else:
            out.append(path)
    return out


def catalogue_links(text: str) -> list[str]:
    """Paths api.md links to on another page, kept only where that page has the ``:::`` entry."""
    out = []
    for m in LINK.finditer(text):
        page = DOCS / m.group("page")
        if page.is_file() and m.group("anchor") in entries(page.read_text(encoding="utf-8")):
            out.append(m.group("anchor"))
    return out


INTROSPECT = r"""
import importlib, inspect, json, sys
modules, paths = json.loads(sys.argv[1])

def key(obj, where):
    if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismodule(obj):
        name = getattr(obj, "__qualname__", getattr(obj, "__name__", ""))
        return getattr(obj, "__module__", "") + ":" + name
    return "value:" + where

def resolve(path):
    parts = path.split(".")
    obj, owner = importlib.import_module(parts[0]), parts[0]
    for name in parts[1:]:
        owner = owner + "." + name
        obj = getattr(obj, name) if hasattr(obj, name) else importlib.import_module(owner)
    return key(obj, owner)

public = {}
for m in modules:
    mod = importlib.import_module(m)
    subs = [m] if m != "lrkit.compat" else [m + "." + s for s in mod.__all__]
    for sub in subs:
        smod = importlib.import_module(sub)
        for name in smod.__all__:
            public[sub + "." + name] = key(getattr(smod, name), sub + "." + name)
documented = {}
for p in paths:
    try:
        documented[p] = resolve(p)
    except Exception as e:
        documented[p] = "ERROR " + type(e).__name__ + ": " + str(e)
print("API-JSON " + json.dumps({"public": public, "documented": documented}))
"""


@pytest.fixture(scope="module")
def api():
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    paths = entries(text) + catalogue_links(text)
    env = dict(os.environ, KERAS_BACKEND="jax", PYTHONPATH=str(ROOT / "src"), OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", INTROSPECT, json.dumps([MODULES, paths])],
                          capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("API-JSON ")]
    assert proc.returncode == 0 and line, proc.stderr[-4000:]
    data = json.loads(line[-1][len("API-JSON "):])
    return data["public"], data["documented"]


def test_entry_parser_reads_paths_and_members():
    text = "::: a.b\n\n::: a.c\n    options:\n      members: [x, y,\n                z]\n\n::: a.d\n"
    assert entries(text) == ["a.b", "a.c.x", "a.c.y", "a.c.z", "a.d"]


def test_every_documented_path_resolves(api):
    _, documented = api
    broken = {p: k for p, k in documented.items() if k.startswith("ERROR")}
    assert not broken, f"docs/api.md entries that do not resolve: {broken}"


def test_every_public_name_is_documented(api):
    public, documented = api
    found = set(documented.values())
    by_path = {p.replace("value:", "") for p in found if p.startswith("value:")}
    missing = sorted(name for name, k in public.items()
                     if k not in found and not (k.startswith("value:") and k[6:] in by_path))
    assert not missing, ("public names missing from docs/api.md (add a ::: entry or a member): "
                         + ", ".join(missing))
    assert len(public) >= 200


def test_no_private_helper_is_documented(api):
    public, documented = api
    allowed = set(public.values())
    private = []
    for path, k in documented.items():
        if path.rsplit(".", 1)[-1].startswith("_"):
            private.append(path)
        elif "_" in "".join(seg[:1] for seg in path.split(".")) and k not in allowed:
            private.append(path)  # reached through a private module and exported by no public one
    assert not private, f"docs/api.md documents private helpers: {private}"
