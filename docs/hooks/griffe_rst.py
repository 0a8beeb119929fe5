"""Griffe extension: lrkit's docstrings are written with reStructuredText math
(``.. math::`` blocks, :math:`x` roles, :class:`X` references); this turns them into the
Markdown that mkdocstrings renders (``$$ ... $$`` blocks and ``\\( ... \\)`` for
``pymdownx.arithmatex``, code spans for references)."""

from __future__ import annotations

import re
from typing import Any

import griffe

from lrkit._rst import blocks

_ROLE_MATH = re.compile(r":math:`([^`]*)`")
_ROLE_REF = re.compile(r":(?:class|func|meth|data|attr|mod|obj|exc):`~?([^`]*)`")


def rst_to_markdown(text: str) -> str:
    """Convert the reStructuredText constructs lrkit's docstrings use."""
    out: list[str] = []
    for kind, pad, body in blocks(text):
        if kind == "text":
            out.extend(body)
            continue
        math = "\n".join(body)
        if "&" in math and not math.lstrip().startswith("\\begin"):
            math = "\\begin{aligned}\n" + math + "\n\\end{aligned}"
        out.extend(["", f"{pad}$$", *(pad + b for b in math.splitlines()), f"{pad}$$", ""])
    text = "\n".join(out)
    text = _ROLE_MATH.sub(lambda mm: "\\(" + mm.group(1) + "\\)", text)
    text = _ROLE_REF.sub(lambda mm: "`" + mm.group(1) + "`", text)
    return text


class RstMath(griffe.Extension):
    """Rewrite every docstring once, after loading."""

    def on_object(self, *, obj: Any, **kwargs: Any) -> None:
        doc = getattr(obj, "docstring", None)
        if doc is not None and doc.value and (".. math::" in doc.value or ":math:`" in doc.value
                                              or re.search(_ROLE_REF, doc.value)):
            doc.value = rst_to_markdown(doc.value)
