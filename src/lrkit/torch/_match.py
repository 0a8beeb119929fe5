"""Name and module-type matching shared by parameter groups, freezing and partial restore.

A *pattern* selects parameter (or state-dict) names:

* a glob string (``"encoder.*"``, ``"*.bias"``, ``"blocks.[0-3]"``). It matches a name when it
  matches the whole name or any dotted prefix of it, so ``"fc"`` selects ``fc.weight`` and
  ``fc.bias`` (but not ``fc2.weight``) and ``"encoder.layers.0"`` selects the whole block;
* a regular expression: a compiled ``re.Pattern`` or a string starting with ``"re:"``; it matches
  when ``re.search`` finds it in the name;
* a module type (``torch.nn.LayerNorm``) or a tuple of types: a parameter matches when the module
  that owns it is an instance of the type.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Union

import torch
from torch import nn

Pattern = Union[str, "re.Pattern[str]", type, tuple]

__all__ = ["Pattern", "ParamInfo", "compile_pattern", "as_patterns", "describe", "collect_params",
           "prefixes", "matches"]


def prefixes(name: str) -> Iterator[str]:
    """``"a.b.c"`` -> ``"a"``, ``"a.b"``, ``"a.b.c"``."""
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        yield ".".join(parts[:i])


def describe(pattern: Any) -> str:
    """A short printable form of a pattern (used in group names and error messages)."""
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


def compile_pattern(pattern: Any, argname: str = "pattern", owner: str = "") -> Callable[[str, Any], bool]:
    """A predicate ``(name, module_or_None) -> bool`` for one pattern; bad patterns raise."""
    where = f"{owner}: " if owner else ""
    if _is_type_pattern(pattern):
        types = pattern if isinstance(pattern, tuple) else (pattern,)
        for t in types:
            if not issubclass(t, nn.Module):
                raise TypeError(f"{where}{argname} must name nn.Module subclasses, got {t.__name__}")
        return lambda name, module: module is not None and isinstance(module, types)
    if isinstance(pattern, re.Pattern):
        rx = pattern
        return lambda name, module: rx.search(name) is not None
    if isinstance(pattern, str):
        if not pattern:
            raise ValueError(f"{where}{argname} must be a non-empty pattern, got ''")
        if pattern.startswith("re:"):
            try:
                rx = re.compile(pattern[3:])
            except re.error as exc:
                raise ValueError(f"{where}{argname} is not a valid regular expression: {pattern!r} ({exc})"
                                 ) from None
            return lambda name, module: rx.search(name) is not None
        glob = pattern

        def match(name: str, module: Any) -> bool:
            return any(fnmatch.fnmatchcase(p, glob) for p in prefixes(name))

        return match
    raise TypeError(
        f"{where}{argname} must be a glob string, 're:<regex>', a compiled regex or an nn.Module type, "
        f"got {pattern!r} ({type(pattern).__name__})"
    )


def as_patterns(value: Any, argname: str, owner: str = "") -> list[Any]:
    """Normalise ``None`` / one pattern / an iterable of patterns to a list."""
    if value is None:
        return []
    if isinstance(value, (str, re.Pattern, type)) or _is_type_pattern(value):
        return [value]
    if isinstance(value, Iterable):
        out = list(value)
        for i, p in enumerate(out):
            compile_pattern(p, f"{argname}[{i}]", owner)
        return out
    compile_pattern(value, argname, owner)  # raises with a helpful message
    return [value]  # pragma: no cover


@dataclass
class ParamInfo:
    """One distinct parameter of a model: its first name, its aliases (tied weights), the module
    owning it and the parameter's attribute name on that module."""

    name: str
    param: torch.nn.Parameter
    module: nn.Module
    module_name: str
    local_name: str
    aliases: list[str] = field(default_factory=list)
    alias_modules: list[nn.Module] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]


def collect_params(model: nn.Module, owner: str = "") -> list[ParamInfo]:
    """Every distinct parameter of ``model`` once, in registration order, with its aliases."""
    if not isinstance(model, nn.Module):
        where = f"{owner}: " if owner else ""
        raise TypeError(f"{where}model must be a torch.nn.Module, got {type(model).__name__}")
    modules = dict(model.named_modules(remove_duplicate=False))
    seen: dict[int, ParamInfo] = {}
    out: list[ParamInfo] = []
    for name, p in model.named_parameters(remove_duplicate=False):
        module_name, _, local = name.rpartition(".")
        if id(p) in seen:
            seen[id(p)].aliases.append(name)
            seen[id(p)].alias_modules.append(modules[module_name])
            continue
        info = ParamInfo(name, p, modules[module_name], module_name, local)
        seen[id(p)] = info
        out.append(info)
    return out


def matches(predicate: Callable[[str, Any], bool], info: ParamInfo) -> bool:
    """A parameter matches when any of its names (tied weights have several) matches."""
    if predicate(info.name, info.module):
        return True
    return any(predicate(alias, mod) for alias, mod in zip(info.aliases, info.alias_modules, strict=True))
