"""Keras callbacks: plateau control of an lrkit schedule, and gradual unfreezing, inside one
``model.fit``.

**Plateau control.**
:class:`PlateauCallback` feeds a monitored metric, at the end of every epoch, to the plateau
part (:class:`lrkit.plateau.OnPlateau`) of the optimizer's
:class:`~lrkit.keras.LearningRateSchedule`. The decision is taken on the host by the plateau
controller itself (:meth:`lrkit.plateau.OnPlateau.observe`: the rule is written once, in
:mod:`lrkit.plateau`), and its whole state is written to two optimizer variables:

* ``plateau_state`` (``int32[10]``): the controller's state exactly -- ``best``, ``scale`` and
  ``lr`` as the two 32-bit halves of their float64 bits, the counters as integers;
* ``plateau_scale`` (``float32``): the multiplier :math:`c` the compiled step reads.

Being optimizer variables, they are inputs of the compiled train step on every backend (the JAX
step receives the optimizer variables as arguments), so a reduction applies from the next step
without a retrace, and they are saved with the optimizer by ``model.save``,
``model.save_weights`` and ``keras.callbacks.ModelCheckpoint`` / ``BackupAndRestore``.

**Gradual unfreezing.** :class:`GradualUnfreeze` unfreezes groups of variables (head first,
then deeper blocks) at given epochs or steps. What Keras 3 requires when ``trainable`` changes
after the train function exists: the TensorFlow step is a ``tf.function`` and the JAX step a
``jax.jit`` function, both traced with the trainable/non-trainable split of that moment (JAX
even passes the two lists as separate arguments), so a new train function is made
(``model.make_train_function(force=True)``: one retrace per stage; on the PyTorch backend the
eager step reads ``model.trainable_weights`` each time and nothing is retraced); on JAX the
fit loop's state is synced back to the variables first and re-read after. ``model.compile`` is
*not* called (it would reset the optimizer and the metrics). The optimizer, built by ``fit``
over the variables trainable at the start, is built again over the trainable variables at each
stage, keeping every state value it holds (the JAX step pairs the optimizer's variable list
one to one with the trainable values, so the optimizer must know exactly the variables that
train). A frozen variable is not in the optimizer: no step, momentum or weight decay touches it
until its stage.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from lrkit import _check
from lrkit.keras.freezing import _select, unfreeze
from lrkit.keras.schedule import LearningRateSchedule
from lrkit.plateau import OnPlateau, metric_value

__all__ = ["PlateauCallback", "GradualUnfreeze"]

OWNER = "lrkit.keras.PlateauCallback"
_COUNTERS = ("num_bad_epochs", "cooldown_counter", "last_epoch", "num_reductions")
_FLOATS = ("best", "scale", "lr")
_SIZE = len(_COUNTERS) + 2 * len(_FLOATS)


class PlateauVariables:
    """The optimizer variables holding a plateau part's state (see the module docstring)."""

    def __init__(self, state: Any, scale: Any) -> None:
        self.state = state
        self.scale = scale

    def read(self) -> dict[str, Any]:
        """The controller state (:meth:`lrkit.plateau.Plateau.state_dict` keys), exactly."""
        raw = np.asarray(keras.ops.convert_to_numpy(self.state.value), dtype=np.int32)
        out: dict[str, Any] = {k: int(raw[i]) for i, k in enumerate(_COUNTERS)}
        halves = raw[len(_COUNTERS):].copy().view(np.float64)
        for k, v in zip(_FLOATS, halves):
            out[k] = float(v)
        return out

    def write(self, state: dict[str, Any]) -> None:
        """Store a controller state (the keys of :meth:`read`) in the two variables."""
        raw = np.empty(_SIZE, dtype=np.int32)
        for i, k in enumerate(_COUNTERS):
            raw[i] = int(state[k])
        raw[len(_COUNTERS):] = np.asarray([state[k] for k in _FLOATS], np.float64).view(np.int32)
        self.state.assign(raw)
        self.scale.assign(np.float32(state["scale"]))


def _chain(optimizer: Any) -> list[Any]:
    """``optimizer`` and the optimizers it wraps, outermost first: through
    :class:`~lrkit.keras.GroupedOptimizer` (``inner``) and ``keras.optimizers.LossScaleOptimizer``
    (``inner_optimizer``); the last one owns the rate."""
    out = [optimizer]
    while len(out) < 8:
        inner = out[-1].__dict__.get("inner") or getattr(out[-1], "inner_optimizer", None)
        if inner is None or inner is out[-1]:
            break
        out.append(inner)
    return out


def plateau_schedule(optimizer: Any) -> tuple[Any, LearningRateSchedule]:
    """``(owner, schedule)``: the optimizer owning the rate and its plateau schedule; a
    ``ValueError`` when the rate has no plateau part."""
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(f"{OWNER}: the model must be compiled with a Keras optimizer, got "
                        f"{type(optimizer).__name__}")
    owner = _chain(optimizer)[-1]
    rate = getattr(owner, "_learning_rate", None)
    if not (isinstance(rate, LearningRateSchedule) and rate.plateau is not None):
        raise ValueError(
            f"{OWNER}: the optimizer's rate has no plateau part: its learning_rate is "
            f"{rate!r}; give the optimizer learning_rate=lrkit.keras.LearningRateSchedule("
            f"lrkit.plateau.OnPlateau(...)) (for a plain float rate use "
            f"keras.callbacks.ReduceLROnPlateau)")
    return owner, rate


def attach(optimizer: Any) -> PlateauVariables:
    """Create the plateau state's variables in the optimizer owning the plateau schedule (once;
    right after ``iterations``, so their place in the optimizer's variables does not depend on
    when this is called) and return them. The state written is the plateau part's current
    Python state (fresh: no observation yet)."""
    owner, schedule = plateau_schedule(optimizer)
    found = schedule.plateau_variables
    if found is not None and any(v is found.state for v in owner.variables):
        return found
    with keras.name_scope(owner.name, caller=owner):
        state = keras.Variable(np.zeros(_SIZE, np.int32), dtype="int32", trainable=False,
                               name="plateau_state")
        scale = keras.Variable(1.0, dtype="float32", trainable=False, name="plateau_scale")
    # Optimizer variables are what every backend's compiled step receives and what the
    # optimizer saves; Keras has no public way to add one to a plain optimizer from outside.
    where = 1 + next(i for i, v in enumerate(owner._variables) if v is owner._iterations)
    for v in (scale, state):
        owner._variables.insert(where, v)
    for v in (state, scale):
        owner._tracker.stored_ids["variables"].add(id(v))
    found = PlateauVariables(state, scale)
    found.write(schedule.plateau.state_dict())
    schedule.plateau_variables = found
    return found


class PlateauCallback(keras.callbacks.Callback):
    """Feed ``logs[monitor]`` to the optimizer's plateau schedule at the end of each epoch.

    The optimizer's rate must be ``lrkit.keras.LearningRateSchedule(OnPlateau(...))`` (also
    inside :class:`~lrkit.keras.GroupedOptimizer`). After epoch :math:`e` with
    :math:`n` optimizer steps taken, the plateau part observes the metric at step :math:`n`
    (:meth:`lrkit.plateau.OnPlateau.observe`, the same order as :class:`lrkit.torch.Scheduler`:
    the steps, then the metric), so a reduction applies from step :math:`n` on. The decisions
    are those of :class:`lrkit.plateau.Plateau` on the same metric sequence.

    Args:
        monitor: the key of the epoch logs to observe (``"val_loss"``, ``"loss"``,
            ``"val_accuracy"`` with ``mode="max"`` in the ``OnPlateau``, ...).
        verbose: ``1`` prints a line at each reduction.

    Epochs without validation (``validation_freq > 1``) are skipped when ``monitor`` is a
    ``val_`` key; any other missing key is a ``ValueError`` listing the keys the logs have.
    """

    def __init__(self, monitor: str = "val_loss", *, verbose: int = 0) -> None:
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise TypeError(f"{OWNER}: monitor must be a non-empty str (a key of the epoch logs), "
                            f"got {monitor!r}")
        if verbose not in (0, 1, True, False):
            raise ValueError(f"{OWNER}: verbose must be 0 or 1, got {verbose!r}")
        self.monitor = monitor
        self.verbose = int(verbose)

    def attach(self, model: keras.Model) -> PlateauVariables:
        """Give ``model``'s optimizer its plateau variables now (``fit`` does it itself). Call
        it before ``model.load_weights(...)`` of a checkpoint that has them."""
        if getattr(model, "optimizer", None) is None:
            raise ValueError(f"{OWNER}: the model must be compiled (model.compile) with an "
                             "optimizer whose learning_rate is an lrkit plateau schedule")
        return attach(model.optimizer)

    def set_model(self, model: keras.Model) -> None:
        super().set_model(model)
        self.attach(model)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        if self.monitor not in logs:
            if self.monitor.startswith("val_") and not any(k.startswith("val_") for k in logs):
                return  # no validation this epoch (validation_freq)
            raise ValueError(f"{OWNER}: monitor={self.monitor!r} is not in the epoch logs; they "
                             f"have {sorted(logs)}")
        metric = metric_value(logs[self.monitor], OWNER)  # NaN: a bad epoch, as in Plateau
        optimizer = self.model.optimizer
        found = attach(optimizer)
        _, schedule = plateau_schedule(optimizer)
        rule: OnPlateau = schedule.plateau  # type: ignore[assignment]
        rule.load_state_dict(found.read())
        step = int(keras.ops.convert_to_numpy(optimizer.iterations))
        reduced = rule.observe(step, metric)
        found.write(rule.state_dict())
        if reduced and self.verbose:
            print(f"\nEpoch {epoch + 1}: PlateauCallback: {self.monitor} did not improve; "
                  f"multiplier now {rule.scale:.6g} (reduction {rule.controller.num_reductions})")


def _rebuild(optimizer: Any, variables: list[Any]) -> None:
    """Build ``optimizer`` again over ``variables``, keeping every state variable it has.

    Keras optimizers create their per-variable state in ``build`` (named after the variable),
    and cannot be extended. Each optimizer of the chain (the wrapped one first, then its
    wrappers: ``GroupedOptimizer``, ``LossScaleOptimizer``) is built again; each state variable
    that existed before gives its value to its new namesake and is dropped, so every optimizer
    ends with one variable per name, the old values kept and zeros for the new variables."""
    for o in reversed(_chain(optimizer)):
        before = list(o._variables)
        values = {v.path: keras.ops.convert_to_numpy(v.value) for v in before}
        o.built = False
        o._trainable_variables_indices.clear()
        o.build(variables)
        paths: dict[str, list[Any]] = {}
        for v in o._variables:
            paths.setdefault(v.path, []).append(v)
        old_ids = {id(v) for v in before}
        for path, found in paths.items():
            if len(found) < 2:
                continue
            new = [v for v in found if id(v) not in old_ids]
            if len(new) != 1:
                raise RuntimeError(f"lrkit.keras.GradualUnfreeze: cannot extend optimizer "
                                   f"{o.name!r}: its state variables are not named uniquely "
                                   f"({path!r})")
            new[0].assign(values[path])
            for v in found:
                if v is not new[0]:
                    i = next(i for i, w in enumerate(o._variables) if w is v)
                    del o._variables[i]
                    o._tracker.stored_ids["variables"].discard(id(v))


class GradualUnfreeze(keras.callbacks.Callback):
    """Unfreeze parts of the model at given epochs (or steps) inside one ``model.fit``.

    ``stages`` maps an epoch (0-based, as ``fit`` counts them; with ``per="step"`` an
    optimizer step, counted from the optimizer's ``iterations``) to the patterns of
    :func:`lrkit.keras.unfreeze` (a glob on ``variable.path`` or its ``/``-prefixes, a
    ``"re:"`` regex, a Keras layer class, or a list of them). Freeze first (e.g.
    ``lrkit.keras.freeze(model)`` then ``unfreeze(model, ["head"])``), compile, then::

        model.fit(x, y, epochs=6, callbacks=[GradualUnfreeze({2: "block_1", 4: "block_0"})])

    trains the head for epochs 0-1, the head and ``block_1`` for 2-3, everything from 4. The
    stage for epoch :math:`e` is applied before the first step of epoch :math:`e` (for step
    :math:`n`, before optimizer step :math:`n + 1`, i.e. once ``iterations`` is :math:`n`).
    See the module docstring for what is retraced and how the optimizer keeps its state; the
    variables of later stages stay bit for bit unchanged until theirs.

    Args:
        stages: ``{epoch or step: patterns}``, keys integers ``>= 0``.
        per: ``"epoch"`` or ``"step"``.
        verbose: ``1`` prints the variables each stage unfreezes.
    """

    def __init__(self, stages: Any, *, per: str = "epoch", verbose: int = 0) -> None:
        super().__init__()
        o = "lrkit.keras.GradualUnfreeze"
        if not isinstance(stages, dict) or not stages:
            raise TypeError(f"{o}: stages must be a non-empty dict {{epoch or step: patterns}}, "
                            f"got {stages!r}")
        self.stages = {_check.integer("stages key", k, o, minimum=0): v
                       for k, v in sorted(stages.items(), key=lambda kv: kv[0])}
        self.per = _check.choice("per", per, ("epoch", "step"), o)
        if verbose not in (0, 1, True, False):
            raise ValueError(f"{o}: verbose must be 0 or 1, got {verbose!r}")
        self.verbose = int(verbose)
        self.done: list[int] = []
        self._step = 0

    def set_model(self, model: keras.Model) -> None:
        super().set_model(model)
        for key, patterns in self.stages.items():  # bad patterns fail before training
            _select(model, patterns, f"lrkit.keras.GradualUnfreeze: stage {key}")

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self.model.optimizer is None:
            raise ValueError("lrkit.keras.GradualUnfreeze: the model must be compiled")
        self._step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        if self.per == "step":
            self._apply(lambda key: key <= self._step)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.per == "epoch":
            self._apply(lambda key: key <= epoch)

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.per == "step":
            self._apply(lambda key: key <= self._step)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._step += 1

    def _apply(self, due: Any) -> None:
        keys = [k for k in self.stages if k not in self.done and due(k)]
        if not keys:
            return
        model = self.model
        if keras.backend.backend() == "jax":
            model.jax_state_sync()  # the loop's state back into the variables
        for key in keys:
            newly = unfreeze(model, self.stages[key])
            self.done.append(key)
            if self.verbose:
                print(f"\nGradualUnfreeze: stage {key} unfroze {len(newly)} variables")
        _rebuild(model.optimizer, list(model.trainable_variables))
        model.make_train_function(force=True)
        if keras.backend.backend() == "jax":
            model._jax_state_synced = True  # the loop re-reads the state with the new split

