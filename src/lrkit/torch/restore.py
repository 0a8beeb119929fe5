"""Partial restore of a checkpoint, with a report and no half-loaded models.

The transfer-learning recipe — restore every pre-trained weight except the new layers, then
train only those — is one call::

    report = load_partial(model, "pretrained.pt", exclude=["fc"], freeze_restored=True)
    print(report)

Key handling, in order:

1. **The state dict is found** inside a training checkpoint: a mapping whose values are not all
   tensors (``{"model": sd, "optimizer": ..., "step": tensor}``) is searched for the entries
   that hold a state dict (a mapping of names to tensors, possibly nested again). One such
   entry is used; with several, the one with a conventional name (``state_dict``,
   ``model_state_dict``, ``model``, ``module``, ``net``, ``network``) wins when it is the only
   conventional one, otherwise the call fails and names the candidates (choose with
   ``checkpoint_key=``). The key used is in :attr:`RestoreReport.checkpoint_key`.
2. **Wrapper prefixes are matched**, in any nesting order: the leading run of wrapper names
   (DDP/DataParallel/``AveragedModel``/EMA's ``module.``, ``torch.compile``'s ``_orig_mod.``)
   shared by every checkpoint key is removed and the model's own run is added, and
   ``_orig_mod.`` inside a key (a compiled submodule) is ignored on both sides. So
   ``torch.compile(DDP(m))`` keys (``_orig_mod.module.*``), ``AveragedModel(DDP(m))`` keys
   (``module.module.*``) and a model wrapped the other way round all fit. ``AveragedModel``'s
   ``n_averaged`` counter is skipped (with a note) when the model has none.
3. ``rename`` maps the prefix-free checkpoint keys to model keys; ``exclude`` patterns skip
   model keys.
4. **Dtypes**: every tensor whose dtype differs from the model's is listed in
   :attr:`RestoreReport.casts`. A cast that ``torch.can_cast`` refuses (complex to real, float
   to integer or bool, integer to bool: it loses the imaginary part, the fraction or the
   magnitude) is an error unless ``allow_lossy_casts=True``; narrowing within a kind
   (``float64`` to ``float32``) and widening casts are made and reported.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import nn

from lrkit import _check, _restore
from lrkit.torch._match import as_patterns, collect_params, compile_pattern
from lrkit.torch.freezing import freeze_params

__all__ = ["RestoreReport", "load_partial"]

OWNER = "load_partial"
#: names wrappers put in front of (or inside) state-dict keys: DDP / DataParallel /
#: AveragedModel / EMA copies (``module``) and torch.compile (``_orig_mod``)
_WRAPPER_TOKENS = ("module", "_orig_mod")
#: wrapper-owned tensors that belong to no model: AveragedModel's averaging counter
_BOOKKEEPING = ("n_averaged",)
#: conventional names of the entry holding the weights in a training checkpoint (PyTorch's
#: tutorial, Lightning, timm, torchvision's references, DeepSpeed, ...)
_PRIMARY = ("state_dict", "model_state_dict", "model", "module", "net", "network")
_SEARCH_DEPTH = 3


@dataclass
class RestoreReport(_restore.RestoreReport):
    """What :func:`load_partial` did, key by key (model key names).

    ``checkpoint_key`` is the path of the entry of a training checkpoint that held the state
    dict (``()`` when the source was a state dict); ``prefix_removed`` / ``prefix_added`` the
    wrapper prefixes taken off the checkpoint keys / put on to fit the model; ``casts`` maps
    each restored key whose dtype changed to ``(checkpoint dtype, model dtype)``.
    """

    casts: dict[str, tuple[torch.dtype, torch.dtype]] = field(default_factory=dict)
    checkpoint_key: tuple[str, ...] = ()
    prefix_removed: str = ""
    prefix_added: str = ""

    UNIT: ClassVar[str] = "tensors"
    FROZEN_UNIT: ClassVar[str] = "parameters"

    @property
    def lossy_casts(self) -> dict[str, tuple[torch.dtype, torch.dtype]]:
        """The casts ``torch.can_cast`` refuses (complex to real, float to integer, ...)."""
        return {k: c for k, c in self.casts.items() if not torch.can_cast(*c)}

    def _counts(self) -> list[str]:
        return [f"{len(self.casts)} cast"] if self.casts else []

    def _details(self) -> list[str]:
        return [f"  cast{'' if torch.can_cast(src, dst) else ' (lossy)'}: {k}: checkpoint "
                f"{_dtype(src)} -> model {_dtype(dst)}" for k, (src, dst) in self.casts.items()]


def _dtype(d: torch.dtype) -> str:
    return str(d).removeprefix("torch.")


# ----------------------------------------------------------------------------- the state dict
def _is_state_dict(obj: Any) -> bool:
    return isinstance(obj, Mapping) and all(isinstance(v, torch.Tensor) for v in obj.values())


def _holds_state_dict(obj: Any, depth: int) -> bool:
    """A non-empty state dict, or a mapping holding one (at most ``depth`` levels down)."""
    if not isinstance(obj, Mapping) or not obj or "param_groups" in obj:  # an optimizer's state
        return False
    if _is_state_dict(obj):
        return all(isinstance(k, str) for k in obj)
    return depth > 0 and any(isinstance(k, str) and _holds_state_dict(v, depth - 1) for k, v in obj.items())


def _where(path: Sequence[str]) -> str:
    return "checkpoint" + "".join(f"[{k!r}]" for k in path)


def _unwrap(obj: Mapping[str, Any], key: Any, report: RestoreReport) -> Mapping[str, Any]:
    """The state dict inside a training checkpoint (see the module docstring)."""
    path: list[str] = []
    if key is not None:
        keys = [key] if isinstance(key, str) else key
        if not isinstance(keys, (list, tuple)) or not keys or not all(isinstance(k, str) for k in keys):
            raise TypeError(f"{OWNER}: checkpoint_key must be a str or a list of str (a path into "
                            f"nested dicts), got {key!r}")
        for k in keys:
            if not isinstance(obj, Mapping) or k not in obj:
                have = sorted(map(str, obj)) if isinstance(obj, Mapping) else type(obj).__name__
                raise ValueError(f"{OWNER}: checkpoint_key={key!r}: {_where(path)} has no key {k!r}; "
                                 f"it has {have}")
            obj = obj[k]
            path.append(k)
        if not isinstance(obj, Mapping):
            raise TypeError(f"{OWNER}: checkpoint_key={key!r}: {_where(path)} must be a mapping of "
                            f"tensors, got {type(obj).__name__}")
    else:
        while not _is_state_dict(obj):
            found = [k for k, v in obj.items() if isinstance(k, str) and _holds_state_dict(v, _SEARCH_DEPTH)]
            if not found:
                break
            primary = [k for k in found if k in _PRIMARY]
            if len(found) == 1 or len(primary) == 1:
                pick = found[0] if len(found) == 1 else primary[0]
            else:
                raise ValueError(f"{OWNER}: {_where(path)} holds several state dicts: "
                                 f"{', '.join(map(repr, found))}; choose one with checkpoint_key=")
            others = [k for k in found if k != pick]
            obj = obj[pick]
            path.append(pick)
            if others:
                report.notes.append(f"{_where(path[:-1])} also holds {', '.join(map(repr, others))} "
                                    f"(not used; choose with checkpoint_key=)")
    if path:
        report.checkpoint_key = tuple(path)
        report.notes.append(f"used {_where(path)}")
    return obj


def _read(source: Any, map_location: Any, key: Any, report: RestoreReport) -> Mapping[str, Any]:
    if isinstance(source, (str, os.PathLike)):
        obj = torch.load(source, map_location=map_location, weights_only=True)
    elif isinstance(source, nn.Module):
        obj = source.state_dict()
    elif isinstance(source, Mapping):
        obj = source
    else:
        raise TypeError(f"{OWNER}: state_dict_or_path must be a mapping of tensors, a path or a module, "
                        f"got {type(source).__name__}")
    if not isinstance(obj, Mapping):
        raise TypeError(f"{OWNER}: the checkpoint must hold a mapping of tensors, "
                        f"got {type(obj).__name__}")
    obj = _unwrap(obj, key, report)
    bad = [k for k, v in obj.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise TypeError(f"{OWNER}: the state dict must map names to tensors; offending keys: {bad[:10]}")
    return obj


# ----------------------------------------------------------------------------- wrapper prefixes
def _is_bookkeeping(key: str) -> bool:
    *head, last = key.split(".")
    return last in _BOOKKEEPING and all(t in _WRAPPER_TOKENS for t in head)


def _chain(keys: list[str]) -> tuple[str, ...]:
    """The leading wrapper names every key starts with, outermost first (``AveragedModel``'s
    counter aside): ``["_orig_mod.module.fc.weight", ...]`` -> ``("_orig_mod", "module")``."""
    split = [k.split(".") for k in keys if not _is_bookkeeping(k)] or [k.split(".") for k in keys]
    chain: list[str] = []
    while split and all(len(s) > len(chain) + 1 for s in split):
        token = split[0][len(chain)]
        if token not in _WRAPPER_TOKENS or any(s[len(chain)] != token for s in split):
            break
        chain.append(token)
    return tuple(chain)


def _core(key: str, chain: tuple[str, ...]) -> str:
    """``key`` without the leading ``chain`` and without ``_orig_mod`` anywhere."""
    tokens = key.split(".")
    if _is_bookkeeping(key):
        tokens = tokens[-1:]
    elif tuple(tokens[:len(chain)]) == chain:
        tokens = tokens[len(chain):]
    return ".".join(t for t in tokens if t != "_orig_mod")


def _prefix(tokens: tuple[str, ...]) -> str:
    return "".join(t + "." for t in tokens)


class _KeyMap:
    """Checkpoint keys to model keys through their wrapper-free *core* names."""

    def __init__(self, ckpt_keys: list[str], model_keys: list[str], report: RestoreReport) -> None:
        self.ckpt_chain = _chain(ckpt_keys)
        self.model_chain = _chain(model_keys)
        self.by_core: dict[str, str] = {}
        for k in model_keys:
            core = _core(k, self.model_chain)
            if core in self.by_core:
                raise ValueError(f"{OWNER}: model keys {self.by_core[core]!r} and {k!r} differ only "
                                 "by wrapper names (module., _orig_mod.); load into the inner model")
            self.by_core[core] = k
        self.model_keys = set(model_keys)
        # the part of the chains that differs (a shared innermost run is the model's own name)
        n = 0
        while (n < min(len(self.ckpt_chain), len(self.model_chain))
               and self.ckpt_chain[-1 - n] == self.model_chain[-1 - n]):
            n += 1
        removed = self.ckpt_chain[:len(self.ckpt_chain) - n]
        added = self.model_chain[:len(self.model_chain) - n]
        report.prefix_removed, report.prefix_added = _prefix(removed), _prefix(added)
        if removed:
            report.notes.append(f"removed the {_prefix(removed)!r} prefix from checkpoint keys")
        if added:
            report.notes.append(f"added the {_prefix(added)!r} prefix to checkpoint keys")
        inner = sum(1 for k in ckpt_keys if "_orig_mod" in _core_tokens(k, self.ckpt_chain))
        if inner:
            report.notes.append(f"ignored '_orig_mod.' (a compiled submodule) inside {inner} checkpoint keys")

    def core(self, ckpt_key: str) -> str:
        return _core(ckpt_key, self.ckpt_chain)

    def model_key(self, core: str) -> str:
        """The model key for a (renamed) core name; a name the model lacks keeps the model's
        wrapper prefix so that it reads like a model key."""
        if core in self.by_core:
            return self.by_core[core]
        return core if core in self.model_keys else _prefix(self.model_chain) + core


def _core_tokens(key: str, chain: tuple[str, ...]) -> list[str]:
    tokens = key.split(".")
    return tokens[len(chain):] if tuple(tokens[:len(chain)]) == chain else tokens


# ----------------------------------------------------------------------------- public API
def load_partial(model: nn.Module, state_dict_or_path: Any, *, exclude: Any = None, rename: Any = None,
                 strict: bool = False, freeze_restored: bool = False, bn: str = "eval",
                 dry_run: bool = False, map_location: Any = "cpu", checkpoint_key: Any = None,
                 allow_lossy_casts: bool = False) -> RestoreReport:
    """Load the matching part of a checkpoint into ``model`` and report every key.

    A model key :math:`k` is *restored* when the (renamed) checkpoint has :math:`k` with the
    same shape and no ``exclude`` pattern matches :math:`k`; *skipped* when a pattern matches;
    *missing* when the checkpoint lacks it; *shape-mismatched* when both have it with different
    shapes (the model keeps its value). Checkpoint keys the model lacks are *unexpected*. A
    restored tensor whose dtype differs is cast to the model's dtype and listed in ``casts``.

    Args:
        model: the module to load into.
        state_dict_or_path: a state dict, a training checkpoint holding one (``{"model": sd,
            "optimizer": ..., "step": ...}``), a path for ``torch.load(weights_only=True)`` to
            either, or a module whose state dict to copy.
        exclude: patterns (globs matching names or dotted prefixes, ``"re:"`` regexes) of model
            keys not to restore — e.g. the new head.
        rename: ``{old prefix: new prefix}`` or a callable ``key -> new key | None`` (``None``
            drops the key), applied to checkpoint keys after wrapper prefixes are removed.
        strict: raise ``ValueError`` (model untouched) if anything is missing, unexpected or
            mismatched.
        freeze_restored: after loading, freeze the restored parameters so only the rest trains
            (the article's ``variables_to_restore`` / ``variables_to_train`` split), exactly as
            :func:`lrkit.torch.freeze` does.
        bn: with ``freeze_restored``, ``"eval"`` also freezes the running statistics of
            BatchNorm layers whose parameters were all restored; ``"train"`` lets them update.
        dry_run: compute the report without touching the model.
        map_location: passed to ``torch.load``.
        checkpoint_key: the entry of a training checkpoint that holds the state dict (a key,
            or a list of keys into nested dicts); by default it is found (see the module notes)
            and an ambiguous checkpoint is an error naming the candidates.
        allow_lossy_casts: cast even where ``torch.can_cast`` refuses (complex to real, float
            to integer or bool, integer to bool). By default such a cast raises ``ValueError``
            naming every key, and the model is untouched.

    The load is atomic: on any error the model's tensors and ``requires_grad`` flags are
    unchanged.
    """
    owner = OWNER
    if not isinstance(model, nn.Module):
        raise TypeError(f"{owner}: model must be a torch.nn.Module, got {type(model).__name__}")
    for name, value in (("strict", strict), ("freeze_restored", freeze_restored), ("dry_run", dry_run),
                        ("allow_lossy_casts", allow_lossy_casts)):
        _check.boolean(name, value, owner)
    _check.choice("bn", bn, ("eval", "train"), owner)
    preds = [compile_pattern(p, "exclude", owner) for p in as_patterns(exclude, "exclude", owner)]
    rn = _restore.renamer(rename, owner=OWNER, sep=".")
    report = RestoreReport(dry_run=dry_run)
    source = _read(state_dict_or_path, map_location, checkpoint_key, report)
    target = model.state_dict(keep_vars=True)
    model_keys = set(target)
    keymap = _KeyMap(list(source), list(target), report)
    incoming: dict[str, torch.Tensor] = {}
    origin: dict[str, str] = {}
    for src in source:
        core = keymap.core(src)
        new = rn(core)
        if new is None:
            report.skipped.append(src)
            continue
        key = keymap.model_key(new)
        if new != core:
            report.renamed[src] = key
        if key in incoming:
            raise ValueError(f"{owner}: checkpoint keys {origin[key]!r} and {src!r} both map to {key!r}")
        if key not in model_keys and _is_bookkeeping(src) and rename is None:
            report.skipped.append(src)
            report.notes.append(f"{src!r} is AveragedModel's averaging counter, not a model tensor")
            continue
        incoming[key] = source[src]
        origin[key] = src
    modules = dict(model.named_modules())
    excluded = {k for k in model_keys | set(incoming)
                if any(p(k, modules.get(k.rpartition(".")[0])) for p in preds)}
    to_load: dict[str, torch.Tensor] = {}
    for key in target:
        if key in excluded:
            report.skipped.append(key)
        elif key not in incoming:
            report.missing.append(key)
        elif tuple(incoming[key].shape) != tuple(target[key].shape):
            report.mismatched[key] = (tuple(incoming[key].shape), tuple(target[key].shape))
        else:
            to_load[key] = incoming[key]
            if incoming[key].dtype != target[key].dtype:
                report.casts[key] = (incoming[key].dtype, target[key].dtype)
    report.unexpected = [k for k in incoming if k not in model_keys and k not in excluded]
    report.skipped += [k for k in incoming if k not in model_keys and k in excluded]
    report.restored = list(to_load)
    lossy = report.lossy_casts
    if lossy and not allow_lossy_casts:
        listing = ", ".join(f"{k} ({_dtype(a)} -> {_dtype(b)})" for k, (a, b) in lossy.items())
        raise ValueError(f"{owner}: refusing lossy dtype casts (the model is untouched): {listing}; "
                         "pass allow_lossy_casts=True to cast anyway, or exclude= these keys")
    if strict and not report.ok:
        report.dry_run = True  # nothing is loaded
        raise ValueError(f"{owner} (strict): the checkpoint does not fit the model\n{report}")
    params = dict(model.named_parameters(remove_duplicate=False))
    if freeze_restored:
        report.frozen = [k for k in to_load if k in params]
    if dry_run:
        return report
    backup = {k: target[k].detach().clone() for k in to_load}
    flags = {k: p.requires_grad for k, p in params.items()}
    try:
        with torch.no_grad(), warnings.catch_warnings():
            if lossy:  # allowed: torch's "discards the imaginary part" warning says nothing new
                warnings.filterwarnings("ignore", "Casting complex values to real", UserWarning)
            result = model.load_state_dict(to_load, strict=False)
        if result.unexpected_keys:
            raise RuntimeError(f"{owner}: the model rejected keys {result.unexpected_keys}")
        if report.frozen:
            frozen = set(report.frozen)
            freeze_params(model, [i for i in collect_params(model, owner) if set(i.names) & frozen], bn)
    except BaseException:
        with torch.no_grad():
            for k, v in backup.items():
                target[k].copy_(v)
        for k, flag in flags.items():
            params[k].requires_grad_(flag)
        raise
    return report
