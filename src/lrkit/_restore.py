"""What every framework's ``load_partial`` shares: the report and the ``rename`` argument.

The PyTorch, Keras and JAX restores differ in how they read a checkpoint and write a weight;
what they tell the user is the same. :class:`RestoreReport` lists, name by name in the
target's own naming (``.``-joined module paths, ``/``-joined variable or key paths), what was
restored, skipped by an ``exclude`` rule, missing from the checkpoint, unexpected in it, or left
as is for a shape mismatch; each framework subclasses it for its own extras (PyTorch's dtype
casts and unwrapped prefixes, JAX's dtype mismatches) and its words ("tensors", "variables",
"leaves").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = ["RestoreReport", "renamer"]


@dataclass
class RestoreReport:
    """What a ``load_partial`` did, name by name (the target's names).

    ``ok`` is true when nothing is missing, unexpected or mismatched; ``str(report)`` is the
    summary line followed by one line per kind of problem.
    """

    restored: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)
    frozen: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False

    #: what one restored name is ("tensors", "variables", "leaves")
    UNIT: ClassVar[str] = "variables"
    #: how the report names the source and the target in a mismatch line
    SOURCE: ClassVar[str] = "checkpoint"
    TARGET: ClassVar[str] = "model"
    #: what one frozen name is
    FROZEN_UNIT: ClassVar[str] = "variables"

    @property
    def ok(self) -> bool:
        """Nothing missing, unexpected or shape-mismatched."""
        return not (self.missing or self.unexpected or self.mismatched)

    def _counts(self) -> list[str]:
        """Extra counts for the summary line (subclasses)."""
        return []

    def _details(self) -> list[str]:
        """Extra detail lines after the shape mismatches (subclasses)."""
        return []

    def __str__(self) -> str:
        verb = "would restore" if self.dry_run else "restored"
        counts = [f"skipped {len(self.skipped)} by rule", f"{len(self.missing)} missing",
                  f"{len(self.unexpected)} unexpected", f"{len(self.mismatched)} shape-mismatched",
                  *self._counts()]
        lines = [f"load_partial: {verb} {len(self.restored)} {self.UNIT}, " + ", ".join(counts)]
        for title, items in (("skipped by rule", self.skipped), ("missing (kept as is)", self.missing),
                             ("unexpected (ignored)", self.unexpected)):
            if items:
                lines.append(f"  {title}: {', '.join(items)}")
        for k, (src, dst) in self.mismatched.items():
            lines.append(f"  shape mismatch (kept as is): {k}: {self.SOURCE} {list(src)} vs "
                         f"{self.TARGET} {list(dst)}")
        lines += self._details()
        if self.frozen:
            lines.append(f"  frozen after restore: {len(self.frozen)} {self.FROZEN_UNIT}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def renamer(rename: Any, *, owner: str, sep: str) -> Callable[[str], str | None]:
    """The ``rename`` argument of ``load_partial`` as a function of a checkpoint name.

    ``None`` keeps names; a callable ``name -> new name | None`` (``None`` drops the entry) is
    checked to return strings; a mapping ``old prefix -> new prefix`` replaces the longest prefix
    that matches a whole ``sep``-separated head of the name (``""`` matches every name, so
    ``{"": "backbone."}`` prefixes all).
    """
    if rename is None:
        return lambda k: k
    if callable(rename) and not isinstance(rename, Mapping):
        def call(k: str) -> str | None:
            out = rename(k)
            if out is not None and not isinstance(out, str):
                raise TypeError(f"{owner}: rename({k!r}) must return a str or None, got {out!r}")
            return out
        return call
    if isinstance(rename, Mapping):
        pairs = sorted(rename.items(), key=lambda kv: -len(kv[0]))
        for old, new in pairs:
            if not isinstance(old, str) or not isinstance(new, str):
                raise TypeError(f"{owner}: rename must map str prefixes to str prefixes, "
                                f"got {old!r}: {new!r}")

        def by_prefix(k: str) -> str:
            for old, new in pairs:
                if old == "" or k == old or k.startswith(old if old.endswith(sep) else old + sep):
                    return new + k[len(old):]
            return k
        return by_prefix
    raise TypeError(f"{owner}: rename must be a mapping old prefix -> new prefix or a callable, "
                    f"got {rename!r}")
