"""Freezing, unfreezing and gradual unfreezing (ULMFiT, fastai's ``fine_tune``).

A frozen parameter does not move at all. PyTorch's optimizers skip a parameter only when its
``.grad`` is ``None``; a parameter whose gradient was *zeroed* (``zero_grad(set_to_none=False)``,
or a stale gradient left from before ``requires_grad_(False)``) still takes a step: SGD's
momentum buffer keeps pushing it, :math:`p \\leftarrow p - \\eta(\\mu b + 0 + \\lambda p)`, and
AdamW's decoupled decay shrinks it, :math:`p \\leftarrow p(1 - \\eta\\lambda)`. :func:`freeze`
therefore sets ``requires_grad=False`` *and* drops the gradient, so the optimizer skips the
parameter and creates no state for it. BatchNorm layers whose parameters are all frozen can be
kept in eval mode (running statistics frozen too, the Keras behaviour), even across
``model.train()`` calls, or left training (``bn="train"``, fastai's ``train_bn``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from lrkit import _check
from lrkit.torch._match import ParamInfo, as_patterns, collect_params, compile_pattern, describe, matches
from lrkit.torch.groups import is_no_decay
from lrkit.units import Budget

__all__ = ["freeze", "unfreeze", "GradualUnfreeze", "is_frozen_bn", "freeze_params"]

_BN = nn.modules.batchnorm._BatchNorm


def _keep_eval(module: nn.Module, args: Any) -> None:
    """Forward pre-hook: a frozen BatchNorm runs in eval mode whatever ``model.train()`` said."""
    if module.training:
        module.eval()


def is_frozen_bn(module: nn.Module) -> bool:
    """True when ``module`` is a BatchNorm held in eval mode by :func:`freeze`."""
    return any(h is _keep_eval for h in module._forward_pre_hooks.values())


def _hold_eval(module: nn.Module) -> None:
    if not is_frozen_bn(module):
        module.register_forward_pre_hook(_keep_eval)
    module.eval()


def _release(module: nn.Module, training: bool) -> None:
    for key, hook in list(module._forward_pre_hooks.items()):
        if hook is _keep_eval:
            del module._forward_pre_hooks[key]
    module.train(training)


def _select(model: nn.Module, patterns: Any, owner: str) -> tuple[list[ParamInfo], list[Any]]:
    params = collect_params(model, owner)
    pats = as_patterns(patterns, "patterns", owner)
    if not pats:
        return params, []
    preds = [compile_pattern(p, "patterns", owner) for p in pats]
    chosen = [info for info in params if any(matches(p, info) for p in preds)]
    unmatched = [describe(p) for p, pred in zip(pats, preds, strict=True)
                 if not any(matches(pred, info) for info in params)
                 and not any(pred(n, m) for n, m in model.named_modules() if n)]
    if unmatched:
        raise ValueError(f"{owner}: patterns matching no parameter or module: {', '.join(unmatched)}")
    return chosen, preds


def _bn_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(n, m) for n, m in model.named_modules() if isinstance(m, _BN)]


def freeze(model: nn.Module, patterns: Any = None, *, bn: str = "eval") -> list[str]:
    """Freeze the parameters matching ``patterns`` (all when ``None``): ``requires_grad=False``
    and ``grad=None``, so no optimizer moves them or grows state for them.

    Args:
        model: the module.
        patterns: glob / ``"re:"`` regex / module type patterns (see :mod:`lrkit.torch._match`);
            a pattern matching nothing is an error.
        bn: ``"eval"`` holds every BatchNorm whose parameters are all frozen (or, for
            ``affine=False`` layers, whose name matches) in eval mode, its running statistics
            frozen too, until :func:`unfreeze`; ``"train"`` leaves BatchNorm modes alone.

    Returns:
        The names of the parameters frozen by this call.
    """
    owner = "freeze"
    _check.choice("bn", bn, ("eval", "train"), owner)
    chosen, preds = _select(model, patterns, owner)
    return freeze_params(model, chosen, bn,
                         lambda name, module: not preds or any(p(name, module) for p in preds))


def freeze_params(model: nn.Module, chosen: list[ParamInfo], bn: str,
                  paramless: Any = lambda name, module: False) -> list[str]:
    """Freeze exactly ``chosen``; with ``bn="eval"`` hold every BatchNorm whose parameters are
    all frozen (and each parameter-free one for which ``paramless(name, module)``) in eval mode."""
    changed = [info.name for info in chosen if info.param.requires_grad]
    for info in chosen:
        info.param.requires_grad_(False)
        info.param.grad = None
    if bn == "eval":
        for name, module in _bn_modules(model):
            own = list(module.parameters(recurse=False))
            if own:
                hold = all(not p.requires_grad for p in own)
            else:
                hold = paramless(name, module)
            if hold:
                _hold_eval(module)
    return changed


def unfreeze(model: nn.Module, patterns: Any = None) -> list[str]:
    """Make the parameters matching ``patterns`` (all when ``None``) trainable again and release
    BatchNorm layers that :func:`freeze` held in eval mode once they have a trainable parameter
    (or, without parameters, when their name matches). Returns the names unfrozen by this call."""
    owner = "unfreeze"
    chosen, preds = _select(model, patterns, owner)
    changed = [info.name for info in chosen if not info.param.requires_grad]
    for info in chosen:
        info.param.requires_grad_(True)
    for name, module in _bn_modules(model):
        if not is_frozen_bn(module):
            continue
        own = list(module.parameters(recurse=False))
        release = any(p.requires_grad for p in own) if own else (
            not preds or any(pred(name, module) for pred in preds))
        if release:
            _release(module, model.training)
    return changed


class GradualUnfreeze:
    """A plan that unfreezes parts of a model at given steps — head first, then deeper blocks
    (ULMFiT's gradual unfreezing, fastai's ``fine_tune(freeze_epochs=...)``).

    It is a pure function of the step: :meth:`apply` at step :math:`t` makes the parameters of
    every stage :math:`k` with :math:`t_k \\le t` trainable and those of later stages frozen,

    .. math:: \\text{trainable}(p, t) = [\\, t \\ge t_{k(p)} \\,],

    where :math:`k(p)` is the first stage whose patterns match :math:`p`. Parameters in no stage
    are left alone. Resuming is calling :meth:`apply` with the resumed step (before
    ``optimizer.load_state_dict`` when the optimizer grows), so a run resumed before or after an
    unfreeze continues exactly.

    Two ways to meet the optimizer:

    * build the optimizer over *all* parameters (e.g. ``layer_decay(model, ...)`` before the
      plan freezes anything). Frozen parameters have no gradient, so the optimizer skips them
      and keeps no state for them; nothing is added later. This is the simplest form.
    * build it over the trainable parameters only and pass it to :meth:`apply`: newly trainable
      parameters are added with ``optimizer.add_param_group`` — one group per stage (split into
      decayed / no-decay), or, when ``groups`` (the :class:`~lrkit.torch.groups.ParamGroups` of
      the whole model) is given, one per template group, with its name, ``lr_scale`` and
      ``weight_decay_scale``. The new group's ``lr`` is the current base rate times its scale
      (the base read from an existing group as ``lr / lr_scale``), so it enters at the
      schedule's current value instead of restarting it; an lrkit driver keeps it scheduled.

    Args:
        model: the module.
        stages: ``[(at, patterns), ...]`` in non-decreasing order of ``at``; ``at`` is a step
            count or a duration such as ``"2 epochs"`` (resolved with ``budget``).
        budget: a :class:`lrkit.Budget` for durations with units.
        bn: BatchNorm handling while frozen (see :func:`freeze`).
        groups: template groups for :meth:`apply`'s ``add_param_group`` path.
    """

    def __init__(self, model: nn.Module, stages: Sequence[tuple[Any, Any]], *, budget: Budget | None = None,
                 bn: str = "eval", groups: Sequence[dict] | None = None) -> None:
        owner = "GradualUnfreeze"
        _check.choice("bn", bn, ("eval", "train"), owner)
        if isinstance(stages, (str, bytes)) or not isinstance(stages, Sequence) or not stages:
            raise TypeError(f"{owner}: stages must be a non-empty list of (at, patterns), got {stages!r}")
        params = collect_params(model, owner)
        at_steps: list[int] = []
        preds_per_stage: list[list[Any]] = []
        for i, stage in enumerate(stages):
            if not isinstance(stage, (tuple, list)) or len(stage) != 2:
                raise TypeError(f"{owner}: stages[{i}] must be a pair (at, patterns), got {stage!r}")
            at, pats = stage
            if isinstance(at, (int, float)) and not isinstance(at, bool):
                step = _check.integer(f"stages[{i}].at", at, owner, minimum=0)
            else:
                step = (budget or Budget()).steps(at, f"{owner}: stages[{i}].at")
            if at_steps and step < at_steps[-1]:
                raise ValueError(f"{owner}: stages must be in non-decreasing order of at; stages[{i}] at "
                                 f"step {step} comes after step {at_steps[-1]}")
            plist = as_patterns(pats, f"stages[{i}].patterns", owner)
            if not plist:
                raise ValueError(f"{owner}: stages[{i}] needs at least one pattern, got {pats!r}")
            at_steps.append(step)
            preds_per_stage.append([compile_pattern(p, f"stages[{i}].patterns", owner) for p in plist])
        stage_of: dict[int, int] = {}
        members: list[list[ParamInfo]] = [[] for _ in stages]
        for info in params:
            k = next((k for k, ps in enumerate(preds_per_stage) if any(matches(p, info) for p in ps)), None)
            if k is not None:
                stage_of[id(info.param)] = k
                members[k].append(info)
        empty = [str(k) for k, m in enumerate(members) if not m]
        if empty:
            raise ValueError(f"{owner}: stages {', '.join(empty)} match no parameter (earlier stages take "
                             "precedence for parameters matched twice)")
        self.model = model
        self.at_steps = tuple(at_steps)
        self.bn = bn
        self._members = members
        self._managed = {id(i.param) for m in members for i in m}
        self._template_list = list(groups) if groups is not None else None
        self._templates: dict[int, dict] = {}
        if groups is not None:
            for g in groups:
                for p in g["params"]:
                    self._templates[id(p)] = g

    @property
    def stages(self) -> list[list[str]]:
        """Parameter names per stage."""
        return [[info.name for info in m] for m in self._members]

    def stage_at(self, step: int) -> int:
        """How many stages have started at ``step``."""
        return sum(1 for s in self.at_steps if s <= step)

    def trainable_at(self, step: int) -> list[str]:
        """Names of the plan's parameters that are trainable at ``step``."""
        return [n for names in self.stages[: self.stage_at(step)] for n in names]

    def initial_groups(self) -> list[dict]:
        """The template ``groups`` restricted to the parameters trainable at step 0 (new dicts):
        build the optimizer of the ``add_param_group`` path from these, in a fresh run and when
        resuming alike, so that :meth:`apply` recreates the same group layout."""
        if self._template_list is None:
            raise ValueError("GradualUnfreeze.initial_groups: the plan was built without groups=")
        late = {id(i.param) for k, m in enumerate(self._members) if self.at_steps[k] > 0 for i in m}
        out = []
        for g in self._template_list:
            keep = [j for j, p in enumerate(g["params"]) if id(p) not in late]
            if not keep:
                continue
            new = type(g)((k, v) for k, v in g.items() if k not in ("params", "names", "param_names"))
            new["params"] = [g["params"][j] for j in keep]
            for key in ("names", "param_names"):
                if key in g:
                    new[key] = [g[key][j] for j in keep]
            out.append(new)
        return out

    def apply(self, step: int, optimizer: torch.optim.Optimizer | None = None, scheduler: Any = None
              ) -> list[str]:
        """Set ``requires_grad`` of the plan's parameters for ``step``; with ``optimizer``, add
        the newly trainable parameters it lacks, then let ``scheduler`` (an lrkit
        :class:`~lrkit.torch.Scheduler`) set their values for the current step at once.
        Returns the names whose trainable state changed."""
        step = _check.integer("step", step, "GradualUnfreeze.apply", minimum=0)
        k_now = self.stage_at(step)
        changed: list[str] = []
        for k, infos in enumerate(self._members):
            want = k < k_now
            for info in infos:
                if info.param.requires_grad != want:
                    changed.append(info.name)
                info.param.requires_grad_(want)
                if not want:
                    info.param.grad = None
        self._sync_bn()
        if optimizer is not None:
            present = {id(p) for g in optimizer.param_groups for p in g["params"]}
            added = False
            for k in range(k_now):
                missing = [i for i in self._members[k] if id(i.param) not in present]
                if missing:
                    self._add(optimizer, k, missing)
                    added = True
            if added and scheduler is not None:
                scheduler.sync()
        return changed

    def _sync_bn(self) -> None:
        if self.bn != "eval":
            return
        for _, module in self.model.named_modules():
            if not isinstance(module, _BN):
                continue
            own = list(module.parameters(recurse=False))
            if not own:
                continue
            if not any(id(p) in self._managed for p in own):
                continue
            if all(not p.requires_grad for p in own):
                _hold_eval(module)
            elif is_frozen_bn(module):
                _release(module, self.model.training)

    def _add(self, optimizer: torch.optim.Optimizer, k: int, infos: list[ParamInfo]) -> None:
        groups = optimizer.param_groups
        ref = next((g for g in groups if g.get("lr_scale", 1.0) > 0), groups[0])
        base_lr = ref["lr"] / ref.get("lr_scale", 1.0) if ref.get("lr_scale", 1.0) > 0 else ref["lr"]
        wd_ref = next((g for g in optimizer.param_groups
                       if g.get("weight_decay_scale", 1.0) > 0 and "weight_decay" in g), None)
        base_wd = (wd_ref["weight_decay"] / wd_ref.get("weight_decay_scale", 1.0) if wd_ref is not None
                   else optimizer.defaults.get("weight_decay"))
        names_in_use = {g.get("name") for g in optimizer.param_groups}
        buckets: dict[str, dict] = {}
        for info in infos:
            tpl = self._templates.get(id(info.param))
            if tpl is not None:
                name = tpl.get("name", f"unfreeze_{k}")
                lr_scale = tpl.get("lr_scale", 1.0)
                wd_scale = tpl.get("weight_decay_scale", 1.0)
                extra = {key: tpl[key] for key in ("layer_id",) if key in tpl}
            else:
                nd = is_no_decay(info)
                name = f"unfreeze_{k}" + (".no_decay" if nd else "")
                lr_scale, wd_scale, extra = 1.0, 0.0 if nd else 1.0, {}
            if name in names_in_use:
                name = f"{name}@stage{k}"
            b = buckets.get(name)
            if b is None:
                b = {key: v for key, v in ref.items() if key not in (
                    "params", "names", "param_names", "name", "lr", "weight_decay", "lr_scale",
                    "weight_decay_scale", "layer_id", "initial_lr")}
                b.update({"params": [], "name": name, "lr_scale": lr_scale, "weight_decay_scale": wd_scale,
                          "lr": base_lr * lr_scale, **extra})
                for key in ("names", "param_names"):  # torch needs param_names on all groups or none
                    if key in ref:
                        b[key] = []
                if "initial_lr" in ref:
                    b["initial_lr"] = ref["initial_lr"] / ref.get("lr_scale", 1.0) * lr_scale
                if base_wd is not None and "weight_decay" in ref:
                    b["weight_decay"] = base_wd * wd_scale
                buckets[name] = b
            b["params"].append(info.param)
            for key in ("names", "param_names"):
                if key in b:
                    b[key].append(info.name)
        for b in buckets.values():
            optimizer.add_param_group(b)
