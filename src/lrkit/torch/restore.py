"""Partial restore of a checkpoint, with a report and no half-loaded models.

The transfer-learning recipe — restore every pre-trained weight except the new layers, then
train only those — is one call::

    report = load_partial(model, "pretrained.pt", exclude=["fc"], freeze_restored=True)
    print(report)

Key handling, in order: a wrapped checkpoint (``{"state_dict": ...}``, ``{"model": ...}``,
``{"model_state_dict": ...}``) is unwrapped; wrapper prefixes (DDP's ``module.``,
``torch.compile``'s ``_orig_mod.``) are removed from the checkpoint when the model's own keys do
not carry them (and added when the model is the wrapped one); ``rename`` maps checkpoint keys to
model keys; ``exclude`` patterns skip model keys.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from lrkit import _check
from lrkit.torch._match import as_patterns, collect_params, compile_pattern
from lrkit.torch.freezing import freeze_params

__all__ = ["RestoreReport", "load_partial"]

_WRAPPERS = ("module.", "_orig_mod.")
_NESTED = ("state_dict", "model_state_dict", "model")


@dataclass
class RestoreReport:
    """What :func:`load_partial` did, key by key (model key names)."""

    restored: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)
    frozen: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """Nothing missing, unexpected or shape-mismatched."""
        return not (self.missing or self.unexpected or self.mismatched)

    def __str__(self) -> str:
        verb = "would restore" if self.dry_run else "restored"
        lines = [f"load_partial: {verb} {len(self.restored)} tensors, skipped {len(self.skipped)} by rule, "
                 f"{len(self.missing)} missing, {len(self.unexpected)} unexpected, "
                 f"{len(self.mismatched)} shape-mismatched"]
        for title, items in (("skipped by rule", self.skipped), ("missing (kept as is)", self.missing),
                             ("unexpected (ignored)", self.unexpected)):
            if items:
                lines.append(f"  {title}: {', '.join(items)}")
        for k, (src, dst) in self.mismatched.items():
            lines.append(f"  shape mismatch (kept as is): {k}: checkpoint {list(src)} vs model {list(dst)}")
        if self.frozen:
            lines.append(f"  frozen after restore: {len(self.frozen)} parameters")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _read(source: Any, map_location: Any, notes: list[str]) -> Mapping[str, Any]:
    if isinstance(source, (str, os.PathLike)):
        obj = torch.load(source, map_location=map_location, weights_only=True)
    elif isinstance(source, nn.Module):
        obj = source.state_dict()
    elif isinstance(source, Mapping):
        obj = source
    else:
        raise TypeError("load_partial: state_dict_or_path must be a mapping of tensors, a path or a module, "
                        f"got {type(source).__name__}")
    if not isinstance(obj, Mapping):
        raise TypeError("load_partial: the checkpoint must hold a mapping of tensors, "
                        f"got {type(obj).__name__}")
    if obj and not any(isinstance(v, torch.Tensor) for v in obj.values()):
        for key in _NESTED:
            if isinstance(obj.get(key), Mapping):
                notes.append(f"used checkpoint[{key!r}]")
                obj = obj[key]
                break
    bad = [k for k, v in obj.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise TypeError(f"load_partial: the state dict must map names to tensors; offending keys: {bad[:10]}")
    return obj


def _strip_wrappers(keys: list[str], model_keys: set[str], notes: list[str]) -> dict[str, str]:
    """Checkpoint key -> key with wrapper prefixes removed or added to fit the model."""
    mapping = {k: k for k in keys}
    for prefix in _WRAPPERS:
        ck = list(mapping.values())
        if ck and all(k.startswith(prefix) for k in ck) and not any(k.startswith(prefix) for k in model_keys):
            mapping = {src: dst[len(prefix):] for src, dst in mapping.items()}
            notes.append(f"removed the {prefix!r} prefix from checkpoint keys")
        elif model_keys and all(k.startswith(prefix) for k in model_keys) and ck and not any(
                k.startswith(prefix) for k in ck):
            mapping = {src: prefix + dst for src, dst in mapping.items()}
            notes.append(f"added the {prefix!r} prefix to checkpoint keys")
    return mapping


def _renamer(rename: Any) -> Callable[[str], str | None]:
    if rename is None:
        return lambda k: k
    if callable(rename) and not isinstance(rename, Mapping):
        def call(k: str) -> str | None:
            out = rename(k)
            if out is not None and not isinstance(out, str):
                raise TypeError(f"load_partial: rename({k!r}) must return a str or None, got {out!r}")
            return out
        return call
    if isinstance(rename, Mapping):
        pairs = sorted(rename.items(), key=lambda kv: -len(kv[0]))
        for old, new in pairs:
            if not isinstance(old, str) or not isinstance(new, str):
                raise TypeError("load_partial: rename must map str prefixes to str prefixes, "
                                f"got {old!r}: {new!r}")

        def by_prefix(k: str) -> str:
            for old, new in pairs:
                if k == old or k.startswith(old if old.endswith(".") else old + ".") or old == "":
                    return new + k[len(old):]
            return k
        return by_prefix
    raise TypeError("load_partial: rename must be a mapping old prefix -> new prefix or a callable, "
                    f"got {rename!r}")


def load_partial(model: nn.Module, state_dict_or_path: Any, *, exclude: Any = None, rename: Any = None,
                 strict: bool = False, freeze_restored: bool = False, bn: str = "eval",
                 dry_run: bool = False, map_location: Any = "cpu") -> RestoreReport:
    """Load the matching part of a checkpoint into ``model`` and report every key.

    A model key :math:`k` is *restored* when the (renamed) checkpoint has :math:`k` with the
    same shape and no ``exclude`` pattern matches :math:`k`; *skipped* when a pattern matches;
    *missing* when the checkpoint lacks it; *shape-mismatched* when both have it with different
    shapes (the model keeps its value). Checkpoint keys the model lacks are *unexpected*.

    Args:
        model: the module to load into.
        state_dict_or_path: a state dict, a path for ``torch.load(weights_only=True)``, or a
            module whose state dict to copy.
        exclude: patterns (globs matching names or dotted prefixes, ``"re:"`` regexes) of model
            keys not to restore — e.g. the new head.
        rename: ``{old prefix: new prefix}`` or a callable ``key -> new key | None`` (``None``
            drops the key), applied to checkpoint keys after wrapper prefixes are fixed.
        strict: raise ``ValueError`` (model untouched) if anything is missing, unexpected or
            mismatched.
        freeze_restored: after loading, freeze the restored parameters so only the rest trains
            (the article's ``variables_to_restore`` / ``variables_to_train`` split), exactly as
            :func:`lrkit.torch.freeze` does.
        bn: with ``freeze_restored``, ``"eval"`` also freezes the running statistics of
            BatchNorm layers whose parameters were all restored; ``"train"`` lets them update.
        dry_run: compute the report without touching the model.
        map_location: passed to ``torch.load``.

    The load is atomic: on any error the model's tensors and ``requires_grad`` flags are
    unchanged.
    """
    owner = "load_partial"
    if not isinstance(model, nn.Module):
        raise TypeError(f"{owner}: model must be a torch.nn.Module, got {type(model).__name__}")
    for name, value in (("strict", strict), ("freeze_restored", freeze_restored), ("dry_run", dry_run)):
        _check.boolean(name, value, owner)
    _check.choice("bn", bn, ("eval", "train"), owner)
    preds = [compile_pattern(p, "exclude", owner) for p in as_patterns(exclude, "exclude", owner)]
    rn = _renamer(rename)
    report = RestoreReport(dry_run=dry_run)
    source = _read(state_dict_or_path, map_location, report.notes)
    target = model.state_dict(keep_vars=True)
    model_keys = set(target)
    fixed = _strip_wrappers(list(source), model_keys, report.notes)
    incoming: dict[str, torch.Tensor] = {}
    for src, key in fixed.items():
        new = rn(key)
        if new is None:
            report.skipped.append(src)
            continue
        if new != src:
            report.renamed[src] = new
        if new in incoming:
            raise ValueError(f"{owner}: two checkpoint keys map to {new!r} after renaming")
        incoming[new] = source[src]
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
    report.unexpected = [k for k in incoming if k not in model_keys and k not in excluded]
    report.skipped += [k for k in incoming if k not in model_keys and k in excluded]
    report.restored = list(to_load)
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
        with torch.no_grad():
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
