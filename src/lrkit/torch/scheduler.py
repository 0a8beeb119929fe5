"""``lrkit.torch.Scheduler``: drive any hyperparameter of any param group from lrkit schedules.

The scheduler is a real :class:`torch.optim.lr_scheduler.LRScheduler`, so it goes wherever a
torch scheduler goes (plain loops, Lightning, the Hugging Face ``Trainer``). Unlike torch's
chainable schedulers it never computes a value from the previous one: at step :math:`n` a group
:math:`g` gets, for every scheduled hyperparameter :math:`K`,

.. math:: K_g(n) = r_{K,g}(n) \\cdot \\sigma_{K,g}

with :math:`r_{K,g}` the plan's rule for :math:`K` (the group's own rule when the plan names the
group, else the default) and :math:`\\sigma_{K,g}` = ``group.get(K + "_scale", 1.0)``. The only
state is the step counter :math:`n` (plus the small state of plateau controllers), so resuming,
jumping (:meth:`Scheduler.set_step`) and changing the peak rate after a resume are exact.
"""

from __future__ import annotations

import math
import warnings
import weakref
from collections.abc import Mapping
from typing import Any

import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from lrkit import _check
from lrkit.plateau import OnPlateau, metric_value
from lrkit.schedule import Schedule
from lrkit.torch import _device
from lrkit.torch._plan import (
    BELOW_ONE,
    OWNER,
    Rule,
    Target,
    base_schedule,
    check_relative,
    check_rule_values,
    describe_keys,
    group_name,
    is_relative,
    parse_plan,
    schedule_peak,
)
from lrkit.torch._table import BLOCK, Table

__all__ = ["Scheduler"]

_STATE_VERSION = 1
_INF = math.inf


class _Slot:
    """All groups of one target that share one rule, split by how their value is stored."""

    __slots__ = ("rule", "fn", "table", "label", "key", "index", "scale_key", "entries", "floats",
                 "scaled", "below_one")

    def __init__(self, rule: Rule, target: Target, table: Table | None,
                 scale_key: str | None = "") -> None:
        self.rule = rule
        self.table = table  # lookahead for pure schedules (None for plateau parts)
        self.fn = table if table is not None else rule  # fn(n): the rule's value at int step n
        self.label = target.label
        self.key = target.key
        self.index = target.index
        # None: the group's rate already holds its multiplier (a relative rule), nothing applied
        self.scale_key = target.scale_key if scale_key == "" else scale_key
        self.entries: list[tuple[dict[str, Any], int]] = []
        self.floats: list[dict[str, Any]] = []  # a plain number under key, no multiplier key
        self.scaled: list[dict[str, Any]] = []  # a plain number under key, and a multiplier
        self.below_one = target.label in BELOW_ONE

    def add(self, group: dict[str, Any], kind: int) -> None:
        if kind != _device.FLOAT:
            self.entries.append((group, kind))
        elif self.scale_key in group:
            self.scaled.append(group)
        else:
            self.floats.append(group)


class Scheduler(LRScheduler):
    """Apply a plan of lrkit schedules to a ``torch.optim`` optimizer, step by step.

    .. math:: K_g(n) = r_{K,g}(n)\\, \\sigma_{K,g}

    Legend: :math:`n` the number of optimizer updates so far (0 at construction), :math:`K` a
    hyperparameter key of the param groups (``lr``, ``momentum``, ``weight_decay``, either
    element of ``betas``, or any other numeric key), :math:`r_{K,g}` the plan's rule for
    :math:`K` (the group's own when ``groups`` names the group), :math:`\\sigma_{K,g}` the
    group's multiplier ``group[K + "_scale"]`` (default 1; ``beta1_scale`` / ``beta2_scale``
    for the elements of ``betas``).

    Args:
        optimizer: the optimizer to drive. Its groups' values are set for step ``step`` at
            construction (after every check has passed).
        plan: a :class:`~lrkit.Schedule` or :class:`~lrkit.plateau.OnPlateau` (for ``lr``),
            or a dict ``{"lr": ..., "momentum": ..., "betas": (beta1 rule, beta2 rule),
            "weight_decay": ..., "<any numeric key>": ...}``; numbers mean constants.
        groups: per-group plans by the group's ``"name"``: ``{"head": {"lr": other}}``. A name
            that no group has yet is allowed (groups added later pick it up).
        decoupled_weight_decay: Loshchilov & Hutter's decoupled decay :math:`\\lambda`: the
            per-step shrink of the weights is :math:`\\lambda\\,\\eta_n` with
            :math:`\\eta_n = r_{lr,g}(n) / \\max_t r_{lr,g}(t)` the schedule's multiplier,
            independent of the peak rate and of ``lr_scale`` (times ``weight_decay_scale``).
            A number :math:`\\lambda`, or a Schedule giving the shrink per step directly. The
            group's ``weight_decay`` is set to :math:`\\lambda\\eta_n\\sigma_{wd}/lr_g(n)`,
            which is exact for optimizers that shrink by ``lr * weight_decay`` (AdamW,
            ``Adam(decoupled_weight_decay=True)``, SGD without momentum).
        cycle_momentum: when the ``lr`` rule is a :class:`~lrkit.OneCycle` or
            :class:`~lrkit.Cyclic` and the plan schedules neither ``momentum`` nor ``betas``,
            drive its momentum curve too (``betas[0]`` if the optimizer has betas, else
            ``momentum``; torch's ``cycle_momentum``).
        skip_unstepped: count a :meth:`step` only if ``optimizer.step()`` ran since the last
            one (a step skipped by AMP's ``GradScaler``, or a micro-batch of gradient
            accumulation, is then not counted).
        metric_required: raise when :meth:`step` gets no metric while a plateau part is
            watching (default: a metric is taken when given, e.g. once per epoch).
        device_side: evaluate the schedules from a step *tensor* with torch ops and
            ``copy_`` the results into tensor-valued hyperparameters, so ``opt.step();
            sched.step()`` can be captured by ``torch.compile`` / CUDA graphs without a host
            sync or a recompile. Every scheduled value must then be a tensor.
        step: the step to start at (e.g. ``step=sched_old.last_epoch`` to continue).
        metric_reduce: under ``torch.distributed``, how a metric given to :meth:`step` /
            :meth:`observe` is reduced across ranks before a plateau part sees it (``"mean"``,
            ``"sum"``, ``"max"``, ``"min"``), so every rank takes the same decision; ``None``
            uses each rank's own value. Every rank must then pass its metric at the same step
            (it is a collective). Without a process group nothing is reduced.

    Raises:
        TypeError / ValueError: on a bad plan, a key the groups lack (listing the keys they
            have), a schedule that is negative or non-finite within its horizon, an
            optimizer with no groups — always before the optimizer is modified.
    """

    def __init__(self, optimizer: Optimizer, plan: Any, *, groups: Mapping[str, Any] | None = None,
                 decoupled_weight_decay: float | Schedule | None = None,
                 cycle_momentum: bool = True, skip_unstepped: bool = False,
                 metric_required: bool = False, device_side: bool = False, step: int = 0,
                 metric_reduce: str | None = "mean") -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{OWNER}: optimizer must be a torch.optim.Optimizer, got "
                            f"{type(optimizer).__name__}")
        if metric_reduce is not None:
            from lrkit.torch.distributed import REDUCTIONS

            _check.choice("metric_reduce", metric_reduce, REDUCTIONS, OWNER)
        if not optimizer.param_groups:
            raise ValueError(f"{OWNER}: optimizer must have at least one param group, got none")
        for name, flag in (("cycle_momentum", cycle_momentum), ("skip_unstepped", skip_unstepped),
                           ("metric_required", metric_required), ("device_side", device_side)):
            _check.boolean(name, flag, OWNER)
        step = _check.integer("step", step, OWNER, minimum=0)
        targets = parse_plan(plan, groups, cycle_momentum, optimizer.defaults)
        check_relative(targets)

        self._decoupled: float | Schedule | None = None
        self._peaks: dict[int, float] = {}
        if decoupled_weight_decay is not None:
            self._decoupled = self._check_decoupled(decoupled_weight_decay, targets)

        rules = _unique(r for t in targets for r in [t.default, *t.overrides.values()]
                        if r is not None)
        rule_peaks: dict[int, float] = {}
        for t in targets:
            for r in [t.default, *t.overrides.values()]:
                if r is not None:
                    rule_peaks[id(r)] = check_rule_values(t.label, r)
        _warn_far_above(optimizer, targets, rule_peaks)
        if self._decoupled is not None:
            for r in _unique(r for t in targets if t.label == "lr"
                             for r in [t.default, *t.overrides.values()] if r is not None):
                peak = schedule_peak(r)
                if peak <= 0:
                    raise ValueError(f"{OWNER}: decoupled_weight_decay needs an lr schedule with a "
                                     f"positive peak, got peak {peak!r} for {r!r}")
                self._peaks[id(r)] = peak
        self._plateaus: list[OnPlateau] = [r for r in rules if isinstance(r, OnPlateau)]
        if device_side:
            if self._plateaus:
                raise ValueError(f"{OWNER}: device_side=True cannot drive a plateau part (its metric "
                                 f"lives on the host); use device_side=False")
            if self._decoupled is not None or skip_unstepped:
                raise ValueError(f"{OWNER}: device_side=True does not support "
                                 f"decoupled_weight_decay or skip_unstepped")

        self.optimizer = optimizer
        self._targets = targets
        self._skip_unstepped = skip_unstepped
        self._metric_required = metric_required
        self._device = device_side
        self._metric_reduce = metric_reduce
        self._step = step
        self._plain = not (device_side or skip_unstepped or metric_required)
        self._opt_stepped = False
        self._slots: list[_Slot] = []
        self._simple = False
        self._wd_entries: list[tuple[dict[str, Any], int, Rule, str | None]] = []
        self._groups: Any = None
        self._ngroups = -1
        self._t: Any = None
        self._tables = {(id(r), t.label in BELOW_ONE): Table(r, t.label in BELOW_ONE)
                        for t in targets for r in [t.default, *t.overrides.values()]
                        if isinstance(r, Schedule)}
        self._bound: dict[tuple[int, float], Schedule] = {}  # relative rule at a group's rate
        self._default_lr = _default_rate(optimizer)
        self._warn_after, self._horizon_rule = _first_horizon(rules)

        self._resolve()  # raises on unknown keys / bad groups, touches nothing
        if device_side:
            self._t = _device.step_tensor(step, optimizer.param_groups,
                                          [(s.key, s.index) for s in self._slots])
            self._apply_device(self._t)
        else:
            self._apply(step)
        self.base_lrs = [_host(g["lr"]) for g in optimizer.param_groups]
        if skip_unstepped:
            ref = weakref.ref(self)

            def _mark(opt: Optimizer, args: Any, kwargs: Any) -> None:
                me = ref()
                if me is not None:
                    me._opt_stepped = True

            self._hook = optimizer.register_step_post_hook(_mark)

    # -- construction helpers ----------------------------------------------------------------
    @staticmethod
    def _check_decoupled(value: Any, targets: list[Target]) -> float | Schedule:
        if any(t.label == "weight_decay" for t in targets):
            raise ValueError(f"{OWNER}: give either plan['weight_decay'] or decoupled_weight_decay, "
                             f"not both")
        if not any(t.label == "lr" for t in targets):
            raise ValueError(f"{OWNER}: decoupled_weight_decay follows the lr schedule's multiplier; "
                             f"the plan must schedule 'lr'")
        if isinstance(value, Schedule):
            check_rule_values("decoupled_weight_decay", value)
            return value
        return _check.non_negative("decoupled_weight_decay", value, OWNER)

    def _group_rate(self, g: dict[str, Any], i: int) -> tuple[float, bool]:
        """The initial rate a relative rule scales for group ``g``, and whether the group's
        ``lr_scale`` must still be applied (a group whose rate is the optimizer's default and
        whose multiplier is only in ``lr_scale``, as timm's layer-decay groups; lrkit's groups
        carry ``lr`` = base x ``lr_scale`` already)."""
        rate = _host(g.get("initial_lr", g["lr"]))
        if not (math.isfinite(rate) and rate >= 0):
            raise ValueError(f"{OWNER}: param group {i} ({group_name(g, i)!r}) has initial lr "
                             f"{rate!r}; a relative schedule needs a finite rate >= 0")
        scale = g.get("lr_scale", 1.0)
        return rate, scale != 1.0 and rate == self._default_lr

    def _bind(self, rule: Rule, rate: float) -> Schedule:
        """``rule.for_rate(rate)``, checked and tabled once per (rule, rate)."""
        key = (id(rule), rate)
        bound = self._bound.get(key)
        if bound is None:
            bound = rule.for_rate(rate)  # type: ignore[union-attr]
            # the rule's own curve was checked in full; the runtime checks every block anyway
            check_rule_values("lr", bound, limit=BLOCK)
            self._tables[(id(bound), False)] = Table(bound)
            self._bound[key] = bound
        return bound

    def _past_horizon(self, n: int) -> None:
        """Warn once that training went past the horizon of a schedule of the plan."""
        if n > self._warn_after:
            warnings.warn(f"{OWNER}: step {n} is past the horizon of {self._horizon_rule!r} "
                          f"({int(self._warn_after)} steps); the rate from here on is the "
                          f"schedule's value past its end. Check the step count (epochs x steps "
                          f"per epoch / grad_accum / world size) or lengthen the schedule "
                          f"(warned once)", UserWarning, stacklevel=3)
            self._warn_after = _INF

    def _resolve(self) -> None:
        """Match the plan to the current param groups (cached until the groups change)."""
        groups = self.optimizer.param_groups
        if not groups:
            raise ValueError(f"{OWNER}: optimizer must have at least one param group, got none")
        slots: list[_Slot] = []
        relative_unscaled: set[tuple[int, bool]] = set()
        for t in self._targets:
            by_rule: dict[tuple[int, bool], _Slot] = {}
            for i, g in enumerate(groups):
                rule = t.rule_for(g.get("name"))
                if rule is None:
                    continue
                if t.key not in g:
                    raise ValueError(
                        f"{OWNER}: plan key {t.label!r} is not a hyperparameter of param group {i} "
                        f"({group_name(g, i)!r}); the groups have: {describe_keys(groups)}")
                kind = _device.classify(g[t.key], t.index)
                if kind is None:
                    raise TypeError(f"{OWNER}: param group {i} ({group_name(g, i)!r}) has "
                                    f"{t.key}={g[t.key]!r}, which is not a number or a one-element "
                                    f"tensor{' pair' if t.index is not None else ''}")
                if self._device and kind in (_device.FLOAT, _device.TUPLE_FLOAT):
                    raise ValueError(
                        f"{OWNER}: device_side=True needs tensor values, but param group {i} "
                        f"({group_name(g, i)!r}) has a Python number for {t.label!r}; build the "
                        f"optimizer with e.g. lr=torch.tensor({_host(_elem(g[t.key], t.index))!r})")
                _check.non_negative(f"param group {i} {t.scale_key}", g.get(t.scale_key, 1.0),
                                    OWNER)
                if is_relative(rule):
                    rate, scaled = self._group_rate(g, i)
                    rule = self._bind(rule, rate)
                    key = (id(rule), scaled)
                    if not scaled:
                        relative_unscaled.add(key)
                else:
                    key = (id(rule), True)
                slot = by_rule.get(key)
                if slot is None:
                    table = self._tables.get((id(rule), t.label in BELOW_ONE))
                    slot = by_rule[key] = _Slot(rule, t, table,
                                                None if key in relative_unscaled else "")
                slot.add(g, kind)
            slots.extend(by_rule.values())
        wd_entries: list[tuple[dict[str, Any], int, Rule, str | None]] = []
        if self._decoupled is not None:
            lr_target = next(t for t in self._targets if t.label == "lr")
            for i, g in enumerate(groups):
                rule = lr_target.rule_for(g.get("name"))
                if rule is None:
                    continue
                if "weight_decay" not in g:
                    raise ValueError(f"{OWNER}: decoupled_weight_decay needs 'weight_decay' in param "
                                     f"group {i}; the groups have: {describe_keys(groups)}")
                if g.get("decoupled_weight_decay") is False:
                    raise ValueError(
                        f"{OWNER}: decoupled_weight_decay needs an optimizer that shrinks weights "
                        f"by lr * weight_decay (AdamW or Adam(decoupled_weight_decay=True)); param "
                        f"group {i} ({group_name(g, i)!r}) uses L2 weight decay")
                kind = _device.classify(g["weight_decay"], None)
                if kind is None:
                    raise TypeError(f"{OWNER}: param group {i} weight_decay must be a number or a "
                                    f"one-element tensor, got {g['weight_decay']!r}")
                _check.non_negative(f"param group {i} weight_decay_scale",
                                    g.get("weight_decay_scale", 1.0), OWNER)
                scale_key: str | None = "lr_scale"
                if is_relative(rule):
                    rate, scaled = self._group_rate(g, i)
                    rule = self._bind(rule, rate)
                    scale_key = "lr_scale" if scaled else None
                    if id(rule) not in self._peaks:
                        self._peaks[id(rule)] = schedule_peak(rule)
                wd_entries.append((g, kind, rule, scale_key))
        for g in groups:  # the rate a relative rule scales, kept like torch's schedulers keep it
            if "initial_lr" not in g and any(is_relative(t.rule_for(g.get("name")))
                                             for t in self._targets if t.label == "lr"):
                lr = g["lr"]
                g["initial_lr"] = lr.clone() if isinstance(lr, torch.Tensor) else lr
        self._slots = slots
        self._wd_entries = wd_entries
        self._simple = not wd_entries and all(s.table is not None and not s.entries for s in slots)
        self._groups = groups
        self._ngroups = len(groups)

    # -- evaluation and writing ---------------------------------------------------------------
    def _bad_value(self, slot: _Slot, v: float, n: int) -> None:
        rng = "in [0, 1)" if slot.below_one else "finite and >= 0"
        raise ValueError(f"{OWNER}: the schedule for {slot.label!r} must be {rng}, got {v!r} at "
                         f"step {n}; the optimizer was not modified")

    def _apply(self, n: int) -> None:
        """Evaluate every rule at step ``n``, check all values, then write them (the hot path)."""
        groups = self.optimizer.param_groups
        if groups is not self._groups or len(groups) != self._ngroups:
            self._resolve()
        slots = self._slots
        values = []
        for slot in slots:
            tab = slot.table
            if tab is not None and tab.valid:
                i = n - tab.lo
                if 0 <= i < BLOCK:  # inside a checked block: no per-step check needed
                    values.append(tab.values[i])
                    continue
            v = slot.fn(n)
            if not 0.0 <= v < _INF or (slot.below_one and v >= 1.0):
                self._bad_value(slot, v, n)
            values.append(v)
        wd = self._decoupled_values(n) if self._wd_entries else None
        for slot, v in zip(slots, values):
            key, skey = slot.key, slot.scale_key
            for g in slot.floats:
                g[key] = v
            for g in slot.scaled:
                g[key] = v * g[skey]
            if slot.entries:
                write, index = _device.write_host, slot.index
                for g, kind in slot.entries:
                    write(g, key, index, kind, v * g.get(skey, 1.0))
        if wd is not None:
            for (g, kind, _, _), w in zip(self._wd_entries, wd):
                _device.write_host(g, "weight_decay", None, kind, w)

    def _decoupled_values(self, n: int) -> list[float]:
        lam = self._decoupled
        out = []
        for g, _, rule, scale_key in self._wd_entries:
            tab = self._tables.get((id(rule), False))
            r = tab(n) if tab is not None else rule(n)
            lr = r * g.get(scale_key, 1.0) if scale_key is not None else r
            shrink = lam(n) if isinstance(lam, Schedule) else lam * r / self._peaks[id(rule)]
            out.append(shrink * g.get("weight_decay_scale", 1.0) / lr if lr > 0 else 0.0)
        return out

    def _apply_device(self, t: Any) -> None:
        groups = self.optimizer.param_groups
        if groups is not self._groups or len(groups) != self._ngroups:
            self._resolve()
        for slot in self._slots:
            v = slot.rule(t)
            key, index, skey = slot.key, slot.index, slot.scale_key
            for g, kind in slot.entries:
                scale = g.get(skey, 1.0)
                _device.write_device(g, key, index, kind, v * scale if scale != 1.0 else v)

    # -- the LRScheduler interface --------------------------------------------------------------
    def step(self, metric: Any = None, epoch: Any = None) -> None:  # type: ignore[override]
        """Advance one optimizer update and set every scheduled value for the new step.

        ``metric`` (a number or one-element tensor) feeds the plan's plateau parts first, so a
        reduction applies to the very next update (torch's ``ReduceLROnPlateau.step(metric)``
        order; Lightning passes its ``monitor`` value here). With ``skip_unstepped=True`` the
        call is not counted unless ``optimizer.step()`` ran since the previous one.
        """
        if metric is None and epoch is None and self._plain:  # the hot path
            n = self._step + 1
            if n > self._warn_after:
                self._past_horizon(n)
            groups = self.optimizer.param_groups
            if self._simple and groups is self._groups and len(groups) == self._ngroups:
                # every rule is a pure schedule and every value a number: read the checked
                # lookahead blocks, and take the general path at a block's end
                slots = self._slots
                values = []
                for slot in slots:
                    tab = slot.table
                    i = n - tab.lo
                    if tab.valid and 0 <= i < BLOCK:
                        values.append(tab.values[i])
                if len(values) == len(slots):
                    for slot, v in zip(slots, values):
                        key = slot.key
                        for g in slot.floats:
                            g[key] = v
                        if slot.scaled:
                            skey = slot.scale_key
                            for g in slot.scaled:
                                g[key] = v * g[skey]
                    self._step = n
                    return
            self._apply(n)
            self._step = n
            return
        if epoch is not None:
            raise TypeError(f"{OWNER}: step(epoch=...) is not supported (steps count optimizer "
                            f"updates); use set_step(n) to jump")
        if self._device:
            if metric is not None:
                raise ValueError(f"{OWNER}: device_side=True takes no metric")
            self._t.add_(1.0)
            self._apply_device(self._t)
            return
        if self._skip_unstepped:
            if not self._opt_stepped:
                if metric is not None:
                    self.observe(metric)
                return
            self._opt_stepped = False
        n = self._step + 1
        if n > self._warn_after:
            self._past_horizon(n)
        if metric is not None:
            self._feed(n, metric)  # observes, then sets the values of step n
        elif self._metric_required and any(p.watching(n) for p in self._plateaus):
            raise ValueError(f"{OWNER}: a plateau part is watching at step {n} and "
                             f"metric_required=True, but step() got no metric")
        else:
            self._apply(n)
        self._step = n

    def _feed(self, n: int, metric: Any) -> None:
        if not self._plateaus:
            raise ValueError(f"{OWNER}: step() got a metric ({metric!r}) but the plan has no "
                             f"plateau part (lrkit.plateau.OnPlateau) to use it")
        value = self._reduced(metric)
        saved = [p.state_dict() for p in self._plateaus]
        try:
            for p in self._plateaus:
                p.observe(n, value)
            self._apply(n)
        except Exception:
            for p, s in zip(self._plateaus, saved):
                p.load_state_dict(s)
            raise

    def _reduced(self, metric: Any) -> float:
        """The metric as a float, reduced across ranks first under ``torch.distributed`` (before
        any check, so a bad metric on one rank raises on every rank instead of hanging them)."""
        from lrkit.torch.distributed import is_distributed, reduce_metric

        if self._metric_reduce is not None and is_distributed():
            return reduce_metric(metric, self._metric_reduce, owner=OWNER)
        return metric_value(metric, OWNER)

    def observe(self, metric: Any) -> None:
        """Feed ``metric`` to the plateau parts without advancing the step (e.g. a validation
        loss once per epoch); a reduction is applied to the groups at once."""
        if self._device:
            raise ValueError(f"{OWNER}: device_side=True takes no metric")
        self._feed(self._step, metric)

    def set_step(self, step: int) -> None:
        """Jump to optimizer update ``step`` and set every scheduled value for it."""
        step = _check.integer("step", step, OWNER, minimum=0)
        if step > self._warn_after:
            self._past_horizon(step)
        if self._device:
            self._apply_device(torch.full_like(self._t, float(step)))
            self._t.fill_(float(step))
            return
        self._apply(step)
        self._step = step

    def sync(self) -> None:
        """Re-read the param groups and set the values of the current step now (e.g. right after
        ``optimizer.add_param_group``; :meth:`step` does this by itself)."""
        self._ngroups = -1
        if self._device:
            self._apply_device(self._t)
        else:
            self._apply(self._step)

    def get_lr(self) -> list[float | torch.Tensor]:
        """The groups' ``lr`` at the current step (what :meth:`step` has set)."""
        return self.get_last_lr()

    def _get_closed_form_lr(self) -> list[float | torch.Tensor]:
        return self.get_last_lr()

    def get_last_lr(self) -> list[float | torch.Tensor]:
        """The groups' current ``lr`` values (tensors are copies)."""
        return [g["lr"].clone() if isinstance(g["lr"], torch.Tensor) else g["lr"]
                for g in self.optimizer.param_groups]

    @property
    def _last_lr(self) -> list[float | torch.Tensor]:  # type: ignore[override]
        return self.get_last_lr()

    @property
    def last_epoch(self) -> int:  # type: ignore[override]
        """The step counter :math:`n` (optimizer updates so far), torch's name for it."""
        if self._device:
            return int(self._t.item())
        return self._step

    @last_epoch.setter
    def last_epoch(self, value: int) -> None:
        self.set_step(value)

    @property
    def plateaus(self) -> list[OnPlateau]:
        """The plan's plateau parts (their controllers hold the metric state)."""
        return list(self._plateaus)

    def values(self) -> dict[str, float]:
        """Current values for logging: ``{"lr/<group name>": ..., "momentum/<group name>": ...}``
        (``beta1/...`` for the elements of ``betas``); unnamed groups are ``group<i>``."""
        out: dict[str, float] = {}
        groups = self.optimizer.param_groups
        labels = [(t.label, t.key, t.index) for t in self._targets]
        if self._decoupled is not None:
            labels.append(("weight_decay", "weight_decay", None))
        for label, key, index in labels:
            for i, g in enumerate(groups):
                if key in g:
                    out[f"{label}/{group_name(g, i)}"] = _host(_elem(g[key], index))
        return out

    def state_dict(self) -> dict[str, Any]:
        """The step counter and the plateau parts' states — never a hyperparameter."""
        return {"version": _STATE_VERSION, "step": self.last_epoch,
                "plateaus": [p.state_dict() for p in self._plateaus]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` and set the groups' values for the restored step, using
        *this* scheduler's plan (so a resumed run may change its peak rate). Order relative to
        ``optimizer.load_state_dict`` does not matter: the values are written again here, and
        on every :meth:`step`."""
        if not isinstance(state_dict, Mapping) or "step" not in state_dict:
            raise ValueError(f"{OWNER}: state_dict must be a dict from Scheduler.state_dict() with a "
                             f"'step', got {state_dict!r}")
        step = _check.integer("state_dict['step']", state_dict["step"], OWNER, minimum=0)
        plateaus = state_dict.get("plateaus", [])
        if len(plateaus) != len(self._plateaus):
            raise ValueError(f"{OWNER}: state_dict has {len(plateaus)} plateau states but the plan "
                             f"has {len(self._plateaus)} plateau parts")
        saved = [p.state_dict() for p in self._plateaus]
        try:
            for p, s in zip(self._plateaus, plateaus):
                p.load_state_dict(s)
            self._ngroups = -1
            self.set_step(step)
        except Exception:
            for p, s in zip(self._plateaus, saved):
                p.load_state_dict(s)
            raise

    def __repr__(self) -> str:
        plan = {t.label: t.default for t in self._targets}
        return f"Scheduler(step={self.last_epoch}, plan={plan!r})"


def _default_rate(optimizer: Optimizer) -> float | None:
    lr = optimizer.defaults.get("lr")
    try:
        return None if lr is None else _host(lr)
    except (TypeError, ValueError):
        return None


def _first_horizon(rules: list[Rule]) -> tuple[float, Schedule | None]:
    """The shortest finite horizon of the plan's schedules (and that schedule)."""
    best: tuple[float, Schedule | None] = (_INF, None)
    for r in rules:
        s = base_schedule(r)
        h = s.horizon
        if h is not None and math.isfinite(h) and math.floor(h) < best[0]:
            best = (float(math.floor(h)), s)
    return best


def _warn_far_above(optimizer: Optimizer, targets: list[Target],
                    peaks: dict[int, float]) -> None:
    """One ``UserWarning`` when an absolute ``lr`` schedule peaks more than 10x above a param
    group's own rate (the porting trap: a multiplier written as a rate)."""
    lr_target = next((t for t in targets if t.label == "lr"), None)
    if lr_target is None:
        return
    far = []
    for i, g in enumerate(optimizer.param_groups):
        rule = lr_target.rule_for(g.get("name"))
        if rule is None or is_relative(rule) or "lr" not in g:
            continue
        try:
            own = _host(g.get("initial_lr", g["lr"]))
            scale = float(g.get("lr_scale", 1.0))
        except (TypeError, ValueError):
            continue
        peak = peaks.get(id(rule), 0.0) * scale
        if own > 0 and peak > 10.0 * own:
            far.append(f"group {i} ({group_name(g, i)!r}): peak {peak:.4g} vs lr {own:.4g}")
    if far:
        warnings.warn(
            f"{OWNER}: the lr schedule is absolute (its values replace each group's rate) and "
            f"peaks more than 10x above the optimizer's own rate: {'; '.join(far)}. If it was "
            f"ported from a library that multiplies the optimizer's rate (torch LambdaLR, Hugging "
            f"Face, timm, DeepSpeed), build it with the optimizer, e.g. get_scheduler(name, "
            f"optimizer, ...), or without lr= (relative); if the peak is meant, construct the "
            f"optimizer with that rate.", UserWarning, stacklevel=3)


def _unique(items: Any) -> list[Any]:
    seen: set[int] = set()
    out = []
    for x in items:
        if id(x) not in seen:
            seen.add(id(x))
            out.append(x)
    return out


def _elem(value: Any, index: int | None) -> Any:
    return value if index is None else value[index]


def _host(value: Any) -> float:
    return float(value.item()) if isinstance(value, torch.Tensor) else float(value)
