"""One Keras optimizer, per-variable rates: :class:`GroupedOptimizer`.

It wraps any Keras optimizer (SGD, Adam, AdamW, ...) and gives each variable its own rate and
weight-decay multipliers. For a variable with multipliers :math:`(m, d)` the update is exactly
the wrapped optimizer's update at rate :math:`m\\,\\eta_t` and weight decay :math:`d\\,\\lambda`:

.. math:: \\theta \\leftarrow \\theta - m\\eta_t\\, d\\lambda\\, \\theta, \\qquad
          \\theta \\leftarrow \\theta - u(g;\\, m\\eta_t)

with :math:`\\eta_t` the wrapped optimizer's rate (a float or a schedule of its iterations),
:math:`\\lambda` its ``weight_decay`` and :math:`u` its own update rule. A multiplier on the
*rate* is not a multiplier on the *gradient*: Adam's step is invariant to a gradient scale
(:math:`m g / \\sqrt{m^2 g^2} = g/|g|`), not to a rate scale.

Variables sharing multipliers are updated together through the wrapped optimizer's own
(backend-specific, fused where it has one) update, so the arithmetic is that of the plain
optimizer at the scaled rate, bit for bit when :math:`m\\eta_t` is exact in float32. Works
compiled on the TensorFlow, JAX (``jit``) and PyTorch backends; the multipliers are part of the
optimizer's config, so ``model.save``/``keras.models.load_model`` restore them (no
``custom_objects``: importing :mod:`lrkit.keras` registers the class, and Keras imports it when
it reads the saved config).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras

__all__ = ["GroupedOptimizer"]

OWNER = "GroupedOptimizer"


def _no_rate() -> float:
    return 0.0


def _check_multipliers(multipliers: Any) -> dict[str, tuple[float, float]]:
    if not isinstance(multipliers, Mapping):
        raise TypeError(f"{OWNER}: multipliers must be a mapping variable path -> (lr_mult, decay_mult), "
                        f"got {type(multipliers).__name__}")
    out = {}
    for path, pair in multipliers.items():
        if not isinstance(path, str):
            raise TypeError(f"{OWNER}: multipliers keys must be variable paths (str), got {path!r}")
        try:
            m, d = (float(x) for x in pair)
        except (TypeError, ValueError):
            raise TypeError(f"{OWNER}: multipliers[{path!r}] must be (lr_mult, decay_mult), got "
                            f"{pair!r}") from None
        if not (m >= 0 and d >= 0):
            raise ValueError(f"{OWNER}: multipliers[{path!r}] must be >= 0, got {pair!r}")
        out[path] = (m, d)
    return out


@keras.saving.register_keras_serializable(package="lrkit")
class GroupedOptimizer(keras.optimizers.Optimizer):
    """A Keras optimizer applying per-variable rate and weight-decay multipliers.

    Build it with :meth:`lrkit.keras.Groups.wrap` (from rules or layer decay) or directly with
    ``multipliers={variable.path: (lr_mult, decay_mult)}``; variables not listed get
    ``default=(1.0, 1.0)``. ``learning_rate``, ``iterations`` and ``variables`` are the wrapped
    optimizer's (so callbacks, schedules and checkpoints see the usual optimizer). ``groups``
    maps a variable path to its group name for :meth:`table`.

    Not supported (rejected at construction): a wrapped optimizer using
    ``gradient_accumulation_steps`` or ``use_ema``.
    """

    def __init__(self, optimizer: keras.optimizers.Optimizer,
                 multipliers: Mapping[str, Any] | None = None, *, default: Any = (1.0, 1.0),
                 groups: Mapping[str, str] | None = None, name: str | None = None, **kwargs: Any) -> None:
        if isinstance(optimizer, dict):
            optimizer = keras.optimizers.deserialize(optimizer)
        if not isinstance(optimizer, keras.optimizers.Optimizer) or isinstance(optimizer, GroupedOptimizer):
            raise TypeError(f"{OWNER}: optimizer must be a Keras optimizer (not already grouped), got "
                            f"{type(optimizer).__name__}")
        if optimizer.gradient_accumulation_steps or optimizer.use_ema:
            raise ValueError(f"{OWNER}: optimizer must not use gradient_accumulation_steps or use_ema "
                             f"(got {optimizer.gradient_accumulation_steps!r}, {optimizer.use_ema!r})")
        for key in ("learning_rate", "weight_decay"):  # a saved config carries the base ones
            kwargs.pop(key, None)
        super().__init__(learning_rate=_no_rate, name=name or f"grouped_{optimizer.name}", **kwargs)
        mult = _check_multipliers(multipliers or {})
        dflt = _check_multipliers({"default": default})["default"]
        object.__setattr__(self, "inner", optimizer)
        object.__setattr__(self, "multipliers", mult)
        object.__setattr__(self, "default", dflt)
        object.__setattr__(self, "groups", dict(groups or {}))
        object.__setattr__(self, "_plan", [])

    # -- the wrapped optimizer's state --------------------------------------------------
    @property
    def variables(self) -> list[Any]:
        return self.inner.variables

    @property
    def iterations(self) -> Any:
        return self.inner.iterations

    @property
    def learning_rate(self) -> Any:
        return self.inner.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self.inner.learning_rate = value

    def set_weights(self, weights: Any) -> None:
        self.inner.set_weights(weights)

    def save_own_variables(self, store: Any) -> None:
        self.inner.save_own_variables(store)

    def load_own_variables(self, store: Any) -> None:
        self.inner.load_own_variables(store)

    def finalize_variable_values(self, var_list: Any) -> None:
        self.inner.finalize_variable_values(var_list)

    def multiplier(self, variable: Any) -> tuple[float, float]:
        """``(lr_mult, decay_mult)`` of a variable (by its path)."""
        return self.multipliers.get(variable.path, self.default)

    def build(self, var_list: list[Any]) -> None:
        var_list = list(var_list)
        if not self.inner.built:
            with keras.name_scope(self.inner.name, caller=self.inner):
                self.inner.build(var_list)
        object.__setattr__(self, "_trainable_variables", var_list[:])
        self._trainable_variables_indices = {self._var_key(v): i for i, v in enumerate(var_list)}
        self.built = True

    # -- the update ---------------------------------------------------------------------
    def _split(self, grads: list[Any], variables: list[Any]) -> list[tuple[float, float, list, list]]:
        plan: dict[tuple[float, float], tuple[list, list]] = {}
        for g, v in zip(grads, variables):
            gs, vs = plan.setdefault(self.multiplier(v), ([], []))
            gs.append(g)
            vs.append(v)
        return [(m, d, gs, vs) for (m, d), (gs, vs) in plan.items() if m > 0 or d > 0]

    def apply(self, grads: Any, trainable_variables: Any = None) -> Any:
        inner = self.inner
        grads = list(grads)
        if len(grads) == 0:
            return None
        if trainable_variables is None:
            if not self.built:
                raise ValueError(f"{OWNER}: build the optimizer (optimizer.build(variables)) or pass "
                                 "trainable_variables")
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if not self.built:
                self.build(trainable_variables)
        with keras.name_scope(inner.name, caller=inner):
            grads, variables = inner._filter_empty_gradients(grads, trainable_variables)
            grads, variables = inner._overwrite_variables_directly_with_gradients(grads, variables)
            grads, variables = list(grads), list(variables)
            if grads:
                scale = inner.loss_scale_factor
                if scale is not None:
                    grads = [g if g is None else g / scale for g in grads]
                grads = inner._clip_gradients(grads)
                self._update(grads, variables)
                for v in variables:
                    if v.constraint is not None:
                        v.assign(v.constraint(v))
        inner._iterations.assign_add(1)
        return inner._iterations

    def _update(self, grads: list[Any], variables: list[Any]) -> None:
        """Each group through the wrapped optimizer's own weight decay and update, with its
        rate and weight decay temporarily scaled (at trace time: nothing is retraced)."""
        inner = self.inner
        rate = inner._get_current_learning_rate()
        saved_rate, saved_wd = inner._learning_rate, inner.weight_decay
        try:
            for m, d, gs, vs in self._split(grads, variables):
                scaled = rate if m == 1.0 else rate * m
                inner.__dict__["_learning_rate"] = scaled  # a tensor: read as is, not tracked
                inner.weight_decay = None if (saved_wd is None or d == 0) else saved_wd * d
                inner._apply_weight_decay(vs)
                inner._backend_update_step(gs, vs, scaled)
        finally:
            inner.__dict__["_learning_rate"] = saved_rate
            inner.weight_decay = saved_wd

    # -- reading --------------------------------------------------------------------------
    def table(self) -> str:
        """Variable path, group, rate and weight-decay multipliers, one line each."""
        rows = [(p, self.groups.get(p, ""), f"{m:.6g}", f"{d:.6g}") for p, (m, d) in self.multipliers.items()]
        head = ("variable", "group", "lr_mult", "decay_mult")
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(head)]
        fmt = "  ".join(f"{{:<{w}}}" if i < 2 else f"{{:>{w}}}" for i, w in enumerate(widths))
        return "\n".join([fmt.format(*head), fmt.format(*("-" * w for w in widths))]
                         + [fmt.format(*r) for r in rows])

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "optimizer": keras.optimizers.serialize(self.inner),
                "multipliers": {p: list(v) for p, v in self.multipliers.items()},
                "default": list(self.default), "groups": dict(self.groups)}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> GroupedOptimizer:
        config = dict(config)
        inner = keras.optimizers.deserialize(config.pop("optimizer"), custom_objects=custom_objects)
        return cls(inner, **config)
