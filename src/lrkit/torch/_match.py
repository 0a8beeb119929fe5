"""PyTorch adapter of the rule grammar (:mod:`lrkit.rules`): parameters as leaves, module types
as class patterns.

A *pattern* selects parameter (or state-dict) names:

* a glob string (``"encoder.*"``, ``"*.bias"``, ``"blocks.[0-3]"``). It matches a name when it
  matches the whole name or any dotted prefix of it, so ``"fc"`` selects ``fc.weight`` and
  ``fc.bias`` (but not ``fc2.weight``) and ``"encoder.layers.0"`` selects the whole block;
* a regular expression: a compiled ``re.Pattern`` or a string starting with ``"re:"``; it matches
  when ``re.search`` finds it in the name;
* a module type (``torch.nn.LayerNorm``) or a tuple of types: a parameter matches when the module
  that owns it is an instance of the type; or ``"class:<name>"`` on the module's class names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from lrkit import rules
from lrkit.rules import Leaf, Matcher, Pattern, describe, prefixes

__all__ = ["Pattern", "ParamInfo", "TORCH", "compile_pattern", "as_patterns", "describe",
           "collect_params", "prefixes", "matches", "NORMS", "EMBEDDINGS"]

#: Names joined by ``"."``; class patterns must be ``nn.Module`` subclasses.
TORCH = rules.Convention(".", nn.Module, "nn.Module")

#: Modules whose parameters get no weight decay by default (normalisation layers).
NORMS: tuple[type, ...] = tuple(
    t for t in (
        nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm,
        getattr(nn, "RMSNorm", None), nn.modules.instancenorm._InstanceNorm,
    ) if t is not None
)
#: Embedding modules (no weight decay by default, layer id 0).
EMBEDDINGS: tuple[type, ...] = (nn.Embedding, nn.EmbeddingBag)


def compile_pattern(pattern: Any, argname: str = "pattern", owner: str = "") -> Matcher:
    """A predicate ``(name, module_or_None) -> bool`` for one pattern; bad patterns raise."""
    return rules.compile_pattern(pattern, TORCH, argname, owner)


def as_patterns(value: Any, argname: str, owner: str = "") -> list[Any]:
    """Normalise ``None`` / one pattern / an iterable of patterns to a list."""
    return rules.as_patterns(value, argname, owner, TORCH)


class ParamInfo(Leaf):
    """One distinct parameter of a model (a :class:`lrkit.rules.Leaf`): its first name, its
    aliases (tied weights), the module owning it and its attribute name on that module."""

    @property
    def param(self) -> nn.Parameter:
        return self.value  # type: ignore[no-any-return]

    @property
    def module(self) -> nn.Module:
        return self.owner  # type: ignore[no-any-return]

    @property
    def module_name(self) -> str:
        return self.name.rpartition(".")[0]

    @property
    def local_name(self) -> str:
        return self.local

    @property
    def alias_modules(self) -> list[nn.Module]:
        return [m for _, m in self.aliases]


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
        module = modules[module_name]
        if id(p) in seen:
            seen[id(p)].aliases.append((name, module))
            continue
        info = ParamInfo(name, ".", tuple(p.shape), module, local,
                         is_norm=isinstance(module, NORMS), is_embedding=isinstance(module, EMBEDDINGS),
                         trainable=p.requires_grad, value=p)
        seen[id(p)] = info
        out.append(info)
    return out


def matches(predicate: Callable[..., bool], info: Leaf) -> bool:
    """A parameter matches when any of its names (tied weights have several) matches."""
    if isinstance(predicate, Matcher):
        return predicate.leaf(info)
    if predicate(info.name, info.owner):
        return True
    return any(predicate(alias, mod) for alias, mod in info.aliases)


