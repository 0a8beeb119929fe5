"""Per-leaf rates from rules on pytree paths, as ONE optax transformation.

The rule grammar is the one of :mod:`lrkit.rules` (shared with the PyTorch and Keras sides):
a leaf's name is its key path joined with ``/`` (``"params/Dense_0/kernel"`` in a Flax Linen
tree, ``"layers/0/linear/kernel"`` in a Flax NNX state, ``"encoder/w"`` in a plain dict), and
numbered blocks (``layers_3``, ``blocks_3``, ``Block_3``, ``layers/3``) get automatic layer ids.
:func:`param_labels` and :func:`layer_decay` return a :class:`LeafGroups`; its
:meth:`~LeafGroups.optimizer` builds one ``optax.multi_transform`` with one labelled optimizer
per group. For a leaf with rate multiplier :math:`m` and weight-decay multiplier :math:`d`

.. math:: u_t = \\mathrm{make}(\\eta = m\\, s(t),\\ \\lambda = d\\, w(t))(g_t)

exactly -- the base optimizer's own update at rate :math:`m\\, s(t)` (Adam included: the
multiplier scales the step, not the gradient, which Adam would normalise away). Frozen leaves
get ``optax.set_to_zero()``. Legend: :math:`s` = ``schedule``, :math:`w` = ``weight_decay``.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lrkit import rules as _rules
from lrkit.jax._paths import path_name, strip_value
from lrkit.schedule import Schedule

__all__ = ["LeafGroups", "param_labels", "layer_decay", "FROZEN_LABEL"]

#: the label of frozen leaves in the optimizer (``optax.set_to_zero``)
FROZEN_LABEL = "(frozen)"
_SUFFIX = re.compile(r"^(.*?)_\d+$")
_LN = re.compile(r"^ln(_.*|\d+)?$", re.IGNORECASE)


def _nnx_owners(model: Any) -> tuple[Any, dict[tuple[Any, ...], Any]]:
    """An NNX module's parameter state and ``path -> module`` for class patterns."""
    from flax import nnx

    owners = {tuple(p): node for p, node in nnx.iter_graph(model) if isinstance(node, nnx.Module)}
    return nnx.state(model, nnx.Param), owners


def _is_nnx_module(obj: Any) -> bool:
    if "flax" not in sys.modules:
        return False
    from flax import nnx

    return isinstance(obj, nnx.Module)


def _definition_order(obj: Any, prefix: tuple[str, ...] = ()) -> Any:
    """Leaf paths in the order the model defines them: dicts in insertion order (a Flax Linen
    tree lists modules as they were created), NNX modules in attribute order. ``jax``'s own
    flattening sorts dict keys, which would put ``head`` before ``layers``."""
    if _is_nnx_module(obj):
        for k, v in vars(obj).items():
            if not k.startswith("_"):
                yield from _definition_order(v, (*prefix, str(k)))
    elif isinstance(obj, Mapping):
        for k, v in obj.items():
            yield from _definition_order(v, (*prefix, str(k)))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _definition_order(v, (*prefix, str(i)))
    else:
        yield "/".join(prefix)


def _leaves(params: Any, owner: str) -> tuple[Any, list[_rules.Leaf]]:
    owners: dict[tuple[Any, ...], Any] = {}
    order = {name: i for i, name in enumerate(_definition_order(params))}
    if _is_nnx_module(params):
        params, owners = _nnx_owners(params)
    flat = jax.tree_util.tree_flatten_with_path(params)[0]
    if not flat:
        raise ValueError(f"{owner}: params must be a pytree with at least one array leaf, got "
                         f"{type(params).__name__} with none")
    out: list[_rules.Leaf] = []
    seen: set[str] = set()
    for path, value in flat:
        path = strip_value(path)
        name = path_name(path)
        if not name:
            raise ValueError(f"{owner}: params must be a container of arrays (a dict, a Flax "
                             f"state), got a bare {type(value).__name__}")
        if name in seen:
            raise ValueError(f"{owner}: two leaves of params are both named {name!r}")
        seen.add(name)
        parts = name.split("/")
        parent = parts[-2] if len(parts) > 1 else ""
        obj = owners.get(tuple(getattr(k, "key", getattr(k, "name", None)) for k in path[:-1]))
        if obj is not None:
            classes = _rules.class_names(obj)
        else:  # a Linen tree: "Dense_0" owns its kernel; the class name is the stem
            m = _SUFFIX.match(parent)
            classes = (m.group(1),) if m else ((parent,) if parent else ())
        low = [c.lower() for c in classes] + [parent.lower()]
        out.append(_rules.Leaf(
            name, sep="/", shape=tuple(np.shape(value)), owner=obj, local=parts[-1],
            is_norm=any("norm" in c for c in low) or bool(_LN.match(parent)),
            is_embedding=parts[-1] == "embedding" or any("embed" in c for c in low),
            value=value, classes=tuple(classes)))
    out.sort(key=lambda leaf: order.get(leaf.name, len(order)))  # stable: unknown ones last
    return params, out


class LeafGroups:
    """Groups of pytree leaves with their multipliers (the result of :func:`param_labels` /
    :func:`layer_decay`).

    Attributes:
        assignment: the shared :class:`lrkit.rules.Assignment` (rows, groups, frozen).
        names: every leaf's name, in flattening order.
    """

    def __init__(self, assignment: _rules.Assignment, names: list[str]) -> None:
        self.assignment = assignment
        self.names = names
        self._label = {r.name: r.group for r in assignment.rows}
        self._label.update({n: FROZEN_LABEL for n in assignment.frozen})

    # -- reading ---------------------------------------------------------------------------
    def table(self) -> str:
        """The printed table: leaf, [layer,] group, rate and weight-decay multipliers."""
        return self.assignment.table()

    def as_dict(self) -> dict[str, tuple[float, float]]:
        """``{path: (lr_mult, decay_mult)}`` for every leaf; frozen leaves ``(0.0, 0.0)``."""
        return self.assignment.multipliers()

    @property
    def groups(self) -> list[_rules.Group]:
        return self.assignment.groups

    @property
    def frozen(self) -> list[str]:
        return self.assignment.frozen

    def label_of(self, name: str) -> str:
        """The optimizer label of leaf ``name`` (its group; :data:`FROZEN_LABEL` if frozen)."""
        try:
            return self._label[name]
        except KeyError:
            raise KeyError(f"LeafGroups: unknown leaf {name!r}; leaves are "
                           f"{_rules.short_list(self.names)}") from None

    def labels(self, params: Any) -> Any:
        """A pytree like ``params`` holding each leaf's label (what ``optax.multi_transform``
        takes). ``params`` must have the leaves the groups were built from."""
        names = [path_name(p) for p, _ in jax.tree_util.tree_flatten_with_path(params)[0]]
        unknown = [n for n in names if n not in self._label]
        missing = sorted(set(self.names) - set(names))
        if unknown or missing:
            raise ValueError(f"LeafGroups: params does not match the groups' tree: unknown leaves "
                             f"{_rules.short_list(unknown) or 'none'}; missing leaves "
                             f"{_rules.short_list(missing) or 'none'}")
        return jax.tree_util.tree_map_with_path(lambda p, _: self._label[path_name(p)], params)

    # -- the optimizer ---------------------------------------------------------------------
    def optimizer(self, make: Callable[..., optax.GradientTransformation],
                  schedule: Schedule | float, *, weight_decay: Schedule | float | None = None,
                  fuse: bool = True, **kwargs: Any) -> optax.GradientTransformationExtraArgs:
        r"""ONE optax transformation: every group runs ``make`` at ``lr_mult`` × ``schedule`` and
        ``decay_mult`` × ``weight_decay`` (see the module docstring); frozen leaves get
        ``optax.set_to_zero()``.

        Args:
            make: an optax optimizer factory taking ``learning_rate`` (``optax.adamw``, ...).
            schedule: the base rate, an lrkit schedule or a number.
            weight_decay: the base weight decay (a schedule or a number); ``None`` uses
                ``make``'s default. Needs ``make`` to take ``weight_decay``.
            fuse: ``True`` (default): one ``make`` per weight-decay multiplier (usually two:
                decay and no decay) followed by the per-leaf rate multipliers,
                :math:`u = m\, \mathrm{make}(s(t), d\, w(t))(g)` -- equal to ``make`` at rate
                :math:`m\, s(t)` for every optimizer whose rate scales its update (every optax
                alias ends with ``scale_by_learning_rate``), and as fast as a plain optimizer.
                ``False``: one ``make`` per group at rate :math:`m\, s(t)` (exact for any
                optimizer; slower with many groups).
            **kwargs: other arguments of ``make`` (numbers or schedules), the same for every
                group; and the options of :func:`lrkit.jax.scheduled`.

        The current values are logged per leaf by :meth:`leaf_values` (and by
        :func:`lrkit.jax.hyperparams`: ``"<group>/learning_rate"`` with ``fuse=False``,
        ``"decay_x<d>/learning_rate"`` before the leaf multiplier with ``fuse=True``).
        """
        from lrkit.jax.hyper import scheduled
        from lrkit.plateau import OnPlateau, Plateau
        from lrkit.schedules import Constant, MomentumOf

        owner = "LeafGroups.optimizer"
        from lrkit import _check

        _check.boolean("fuse", fuse, owner)
        if not callable(make):
            raise TypeError(f"{owner}: make must be an optax optimizer factory such as "
                            f"optax.adamw, got {make!r}")
        if isinstance(schedule, (OnPlateau, Plateau)):
            raise TypeError(f"{owner}: schedule must be an lrkit Schedule or a number; for plateau "
                            "control chain lrkit.compat.optax.reduce_on_plateau after this optimizer "
                            "(one scale for every group)")
        from lrkit._relative import require_absolute

        require_absolute(schedule, argument="schedule", owner=owner)
        require_absolute(weight_decay, argument="weight_decay", owner=owner)
        base = _as_schedule("schedule", schedule, owner, Constant)
        sig = inspect.signature(make).parameters
        if weight_decay is not None and "weight_decay" not in sig:
            raise TypeError(f"{owner}: weight_decay was given but "
                            f"{getattr(make, '__name__', make)} takes no weight_decay argument")
        wd: Schedule | None = None
        if "weight_decay" in sig:
            if weight_decay is None:
                default = sig["weight_decay"].default
                weight_decay = 0.0 if default is inspect.Parameter.empty else default
            wd = _as_schedule("weight_decay", weight_decay, owner, Constant)
        if (kwargs.get("cycle_momentum", True) and hasattr(base, "_momentum_eval")
                and not ({"b1", "momentum"} & set(kwargs))):
            key = "b1" if "b1" in sig else ("momentum" if "momentum" in sig else None)
            if key is not None:
                kwargs[key] = MomentumOf(base)
        transforms: dict[str, optax.GradientTransformation] = {}
        if not fuse:
            self._mode = "groups"
            for g in self.assignment.groups:
                args = dict(kwargs)
                args["learning_rate"] = base if g.lr_scale == 1.0 else base * g.lr_scale
                if wd is not None:
                    args["weight_decay"] = wd if g.weight_decay_scale == 1.0 else wd * g.weight_decay_scale
                transforms[g.name] = scheduled(make, **args)
            if self.assignment.frozen:
                transforms[FROZEN_LABEL] = optax.set_to_zero()
            return optax.multi_transform(transforms, self.labels)
        # fused: one optimizer per weight-decay multiplier, then the rate multipliers per leaf
        self._mode = "fused"
        for d in sorted({g.weight_decay_scale for g in self.assignment.groups}):
            args = dict(kwargs)
            args["learning_rate"] = base
            if wd is not None:
                args["weight_decay"] = wd if d == 1.0 else wd * d
            transforms[_decay_label(d)] = scheduled(make, **args)
        if self.assignment.frozen:
            transforms[FROZEN_LABEL] = optax.set_to_zero()
        inner = optax.multi_transform(transforms, self._decay_labels)
        lr_scale = {r.name: r.lr_scale for r in self.assignment.rows}
        if all(v == 1.0 for v in lr_scale.values()):
            return inner

        def scale(updates: Any, state: Any, params: Any = None, **extra: Any) -> tuple[Any, Any]:
            def one(path: Any, u: Any) -> Any:
                m = lr_scale.get(path_name(path), 1.0)
                return u if m == 1.0 else u * jnp.asarray(m, u.dtype)
            return jax.tree_util.tree_map_with_path(one, updates), state

        rates = optax.GradientTransformationExtraArgs(lambda params: optax.EmptyState(), scale)
        return optax.chain(inner, rates)

    def _decay_labels(self, params: Any) -> Any:
        labels = self.labels(params)
        d = {r.name: _decay_label(r.weight_decay_scale) for r in self.assignment.rows}
        return jax.tree_util.tree_map_with_path(
            lambda p, lab: lab if lab == FROZEN_LABEL else d[path_name(p)], labels)

    def leaf_values(self, opt_state: Any, key: str = "learning_rate") -> dict[str, Any]:
        """``{leaf: value}`` of hyperparameter ``key`` used by the last update, read from the
        state of :meth:`optimizer` (frozen leaves: 0); the rate includes the leaf's multiplier."""
        from lrkit.jax.hyper import hyperparams

        hp = hyperparams(opt_state)
        fused = getattr(self, "_mode", "fused") == "fused"
        rows = {r.name: r for r in self.assignment.rows}
        out: dict[str, Any] = {}
        for name in self.names:
            label = self._label[name]
            if label == FROZEN_LABEL:
                out[name] = 0.0
            elif fused:
                v = hp[f"{_decay_label(rows[name].weight_decay_scale)}/{key}"]
                out[name] = v * rows[name].lr_scale if key == "learning_rate" else v
            else:
                out[name] = hp[f"{label}/{key}"]
        return out

    def __repr__(self) -> str:
        a = self.assignment
        return f"LeafGroups({len(a.rows)} leaves in {len(a.groups)} groups, {len(a.frozen)} frozen)"


def _decay_label(d: float) -> str:
    return f"decay_x{d:g}"


def _as_schedule(name: str, value: Any, owner: str, constant: Any) -> Schedule:
    if isinstance(value, Schedule):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        from lrkit import _check

        return constant(_check.non_negative(name, value, owner))
    raise TypeError(f"{owner}: {name} must be an lrkit Schedule or a number, got {value!r} "
                    f"({type(value).__name__})")


def param_labels(params: Any, rules: Any = None, *, no_decay: Any = "auto",
                 strict: bool = False) -> LeafGroups:
    """Groups of ``params``' leaves from ``rules`` (first match wins; see :mod:`lrkit.rules`).

    ``params`` is any pytree of arrays (a dict, a Flax Linen ``{"params": ...}`` tree, a Flax
    NNX ``State``) or a Flax NNX module (then class patterns such as ``nnx.LayerNorm`` or
    ``"class:LayerNorm"`` see the owning modules; for a Linen tree ``"class:Dense"`` reads the
    ``Dense_0`` names). ``rules`` is a list of :class:`lrkit.rules.Rule` / dicts or a mapping
    ``{pattern: lr_mult | "freeze" | {options}}``. ``no_decay="auto"`` gives biases, leaves with
    at most one dimension, norms and embeddings a weight-decay multiplier of 0. With
    ``strict=True`` a rule matching no leaf, a leaf matched by several rules or a leaf matched
    by none is a ``ValueError`` listing them all.
    """
    owner = "lrkit.jax.param_labels"
    _, leaves = _leaves(params, owner)
    a = _rules.assign(leaves, rules, convention=_rules.SLASHES, no_decay=no_decay, strict=strict,
                      owner=owner, stacklevel=3)
    return LeafGroups(a, [leaf.name for leaf in leaves])


def layer_decay(params: Any, decay: float = 0.75, *, layer_ids: Any = None, top: int | None = None,
                rules: Any = None, no_decay: Any = "auto", strict: bool = False) -> LeafGroups:
    """Layer-wise rate decay over a pytree: leaf multiplier :math:`m_r \\gamma^{L - \\ell}`.

    .. math:: \\eta_\\ell(t) = s(t)\\, m_r\\, \\gamma^{L - \\ell}

    with :math:`\\gamma` = ``decay``, :math:`\\ell` the leaf's layer id, :math:`L` = ``top``
    (default: the largest id) and :math:`m_r` an optional rule multiplier. Layer ids are
    automatic for a numbered stack (``layers_3``, ``blocks_3``, ``Block_3``, ``layers/3``):
    embeddings and what comes before the stack get 0, block :math:`k` gets :math:`k + 1`, what
    follows gets the top id; ``layer_ids`` (``{pattern: id}`` or ``name -> id | None``)
    overrides them. Other arguments as in :func:`param_labels`.
    """
    owner = "lrkit.jax.layer_decay"
    _, leaves = _leaves(params, owner)
    g = _rules.check_decay(decay, owner)
    a = _rules.assign(leaves, rules, convention=_rules.SLASHES, no_decay=no_decay, strict=strict,
                      decay=g, layer_ids=layer_ids, top=top, owner=owner, stacklevel=3)
    return LeafGroups(a, [leaf.name for leaf in leaves])
