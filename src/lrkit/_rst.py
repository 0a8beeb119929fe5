"""The reStructuredText that lrkit's docstrings use, read once for the CLI and the docs build."""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["blocks"]

_MATH = re.compile(r"^(\s*)\.\. math::\s*(.*)$")


def blocks(text: str) -> Iterator[tuple[str, str, list[str]]]:
    """Yield ``("text", indent, [line])`` for ordinary lines and ``("math", indent, lines)`` for
    each ``.. math::`` block (its formula lines, stripped, blank lines dropped)."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _MATH.match(lines[i])
        if not m:
            yield "text", "", [lines[i]]
            i += 1
            continue
        indent = len(m.group(1))
        body = [m.group(2).strip()] if m.group(2).strip() else []
        i += 1
        while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
            if lines[i].strip():
                body.append(lines[i].strip())
            i += 1
        yield "math", " " * indent, body
