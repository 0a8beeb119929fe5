"""Patterns: what a user writes to select leaves, compiled into a predicate.

A pattern is one of

* a **glob** string (``"encoder.*"``, ``"*.bias"``, ``"blocks.[0-3]"``): it matches a name when
  it matches the whole name or any prefix of it cut at the separator, so ``"fc"`` selects
  ``fc.weight`` and ``fc.bias`` but not ``fc2.weight``, and ``"encoder/block_0"`` (separator
  ``"/"``) selects the whole block. ``*`` also crosses separators (``fnmatch`` semantics);
* a **regular expression**: a compiled ``re.Pattern`` or a string ``"re:<regex>"``; it matches
  when ``re.search`` finds it anywhere in the name;
* a **class**: a type (``torch.nn.LayerNorm``, ``keras.layers.LayerNormalization``) or a tuple
  of types, matching when the leaf's owner (module / layer) is an instance; or a string
  ``"class:<glob>"`` (``"class:LayerNorm*"``) matching when the ``__name__`` of any class in the
  owner's class chain matches the glob — the form a JSON/YAML config can carry, and the one a
  framework without owner objects (a Flax Linen parameter dict) can still serve through
  :attr:`Leaf.classes <lrkit.rules.Leaf.classes>`.

A :class:`Convention` carries what differs between frameworks: the separator of names and the
base class a class pattern must derive from.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Union

__all__ = ["Pattern", "Convention", "DOTS", "SLASHES", "Matcher", "compile_pattern", "as_patterns",
           "describe", "prefixes", "class_names"]

#: What a pattern may be (see the module docstring).
Pattern = Union[str, "re.Pattern[str]", type, tuple]

_CLASS = "class:"
_REGEX = "re:"


@dataclass(frozen=True)
class Convention:
    """How a framework names leaves and which classes a class pattern may name.

    Args:
        sep: the separator of name components (``"."`` for PyTorch, ``"/"`` for Keras and JAX).
        class_base: the base class(es) a type pattern must derive from (``torch.nn.Module``,
            ``keras.layers.Layer``); ``None`` accepts any class.
        class_label: how error messages call that base (``"nn.Module"``); default its name.
    """

    sep: str = "."
    class_base: type | tuple[type, ...] | None = None
    class_label: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.sep, str) or len(self.sep) != 1:
            raise ValueError(f"Convention: sep must be one character, got {self.sep!r}")

    @property
    def label(self) -> str:
        if self.class_label is not None:
            return self.class_label
        if self.class_base is None:
            return "class"
        bases = self.class_base if isinstance(self.class_base, tuple) else (self.class_base,)
        return "/".join(b.__name__ for b in bases)


#: PyTorch-style names (``"encoder.layers.0.weight"``), any class accepted.
DOTS = Convention(".")
#: Keras / JAX-style names (``"encoder/block_0/dense/kernel"``), any class accepted.
SLASHES = Convention("/")


def prefixes(name: str, sep: str = ".") -> Iterator[str]:
    """``"a.b.c"`` -> ``"a"``, ``"a.b"``, ``"a.b.c"`` (cut at ``sep``)."""
    parts = name.split(sep)
    for i in range(1, len(parts) + 1):
        yield sep.join(parts[:i])


def class_names(obj: Any) -> tuple[str, ...]:
    """The ``__name__`` of every class in ``type(obj)``'s chain (``()`` for ``None``)."""
    if obj is None:
        return ()
    return tuple(c.__name__ for c in type(obj).__mro__)


def describe(pattern: Any) -> str:
    """A short printable form of a pattern (used in group names and error messages)."""
    if isinstance(pattern, Matcher):
        return pattern.text
    if isinstance(pattern, re.Pattern):
        return f"re:{pattern.pattern}"
    if isinstance(pattern, type):
        return pattern.__name__
    if isinstance(pattern, tuple):
        return "|".join(describe(p) for p in pattern)
    return str(pattern)


def _is_type_pattern(pattern: Any) -> bool:
    if isinstance(pattern, type):
        return True
    return isinstance(pattern, tuple) and len(pattern) > 0 and all(isinstance(p, type) for p in pattern)


class Matcher:
    """A compiled pattern: ``matcher(name, owner=None, classes=None) -> bool``.

    ``owner`` is the object owning the leaf (module / layer) for class patterns; ``classes``
    (class names) replaces ``class_names(owner)`` where there is no owner object.
    :meth:`leaf` tests a :class:`~lrkit.rules.Leaf` by its name and every alias.
    """

    __slots__ = ("text", "kind", "_test")

    def __init__(self, text: str, kind: str, test: Any) -> None:
        self.text = text
        self.kind = kind  # "glob", "regex", "type" or "class"
        self._test = test

    def __call__(self, name: str, owner: Any = None, classes: Iterable[str] | None = None) -> bool:
        return bool(self._test(name, owner, classes))

    def leaf(self, leaf: Any) -> bool:
        """True when the leaf's name, or any of its aliases (tied weights), matches."""
        if self._test(leaf.name, leaf.owner, leaf.classes):
            return True
        return any(self._test(alias, owner, None) for alias, owner in leaf.aliases)

    def __repr__(self) -> str:
        return f"Matcher({self.text!r})"


def compile_pattern(pattern: Any, convention: Convention = DOTS, argname: str = "pattern",
                    owner: str = "") -> Matcher:
    """Compile one pattern into a :class:`Matcher`; a bad pattern raises ``TypeError`` or
    ``ValueError`` naming ``argname`` (prefixed by ``owner``, the calling function)."""
    where = f"{owner}: " if owner else ""
    if isinstance(pattern, Matcher):
        return pattern
    if _is_type_pattern(pattern):
        types = pattern if isinstance(pattern, tuple) else (pattern,)
        base = convention.class_base
        if base is not None:
            for t in types:
                if not issubclass(t, base):
                    raise TypeError(f"{where}{argname} must name {convention.label} subclasses, "
                                    f"got {t.__name__}")
        return Matcher(describe(pattern), "type",
                       lambda name, obj, classes: obj is not None and isinstance(obj, types))
    if isinstance(pattern, re.Pattern):
        rx = pattern
        return Matcher(describe(pattern), "regex", lambda name, obj, classes: rx.search(name) is not None)
    if isinstance(pattern, str):
        if not pattern:
            raise ValueError(f"{where}{argname} must be a non-empty pattern, got ''")
        if pattern.startswith(_REGEX):
            try:
                rx = re.compile(pattern[len(_REGEX):])
            except re.error as exc:
                raise ValueError(f"{where}{argname} is not a valid regular expression: {pattern!r} ({exc})"
                                 ) from None
            return Matcher(pattern, "regex", lambda name, obj, classes: rx.search(name) is not None)
        if pattern.startswith(_CLASS):
            cls_glob = pattern[len(_CLASS):]
            if not cls_glob:
                raise ValueError(f"{where}{argname} must name a class after 'class:', got {pattern!r}")

            def match_class(name: str, obj: Any, classes: Iterable[str] | None) -> bool:
                names = class_names(obj) if classes is None else classes
                return any(fnmatch.fnmatchcase(c, cls_glob) for c in names)

            return Matcher(pattern, "class", match_class)
        sep = convention.sep
        rx_glob = re.compile(fnmatch.translate(pattern))

        def match_glob(name: str, obj: Any, classes: Any) -> bool:
            if rx_glob.match(name) is not None:
                return True
            cut = name.find(sep)
            while cut >= 0:
                if rx_glob.match(name, 0, cut) is not None:
                    return True
                cut = name.find(sep, cut + 1)
            return False

        return Matcher(pattern, "glob", match_glob)
    kind = f"an {convention.label} type" if convention.class_base is not None else "a class"
    raise TypeError(
        f"{where}{argname} must be a glob string, 're:<regex>', 'class:<name>', a compiled regex or "
        f"{kind}, got {pattern!r} ({type(pattern).__name__})"
    )


def as_patterns(value: Any, argname: str, owner: str = "", convention: Convention = DOTS) -> list[Any]:
    """Normalise ``None`` / one pattern / an iterable of patterns to a list, each checked."""
    if value is None:
        return []
    if isinstance(value, (str, re.Pattern, type, Matcher)) or _is_type_pattern(value):
        compile_pattern(value, convention, argname, owner)
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, (bytes, dict)):
        out = list(value)
        for i, p in enumerate(out):
            compile_pattern(p, convention, f"{argname}[{i}]", owner)
        return out
    compile_pattern(value, convention, argname, owner)  # raises with a helpful message
    return [value]  # pragma: no cover
