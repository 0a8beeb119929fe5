"""Keras 3 glue for the range test: ``lrkit.keras.find_lr(model, x, y)`` on a compiled model.

It builds the one-step training function the framework-free core (:func:`lrkit.finder.find_lr`)
drives -- ``model.train_on_batch`` at the rate of the step, so the compiled loss, regularisers
and the backend's compiled step are those of ``model.fit`` -- and leaves the model exactly as it
found it: weights, optimizer variables (``iterations`` and the rate included), metric variables,
the optimizer's rate or schedule and the random generators are copied once before the test and
written back bit for bit afterwards, also when the test diverges, raises or is interrupted.
Works on the TensorFlow, JAX and PyTorch backends.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from lrkit import _check
from lrkit.finder._feed import probe_losses
from lrkit.finder.core import STRETCH, WIDEN, check_options
from lrkit.finder.core import find_lr as _core_find_lr
from lrkit.finder.probe import STEPS as PROBE_STEPS
from lrkit.finder.result import FinderResult
from lrkit.keras._data import Batches
from lrkit.keras._state import Snapshot, rate_owner

__all__ = ["find_lr"]

OWNER = "lrkit.keras.find_lr"


class _RateOverride:
    """Make the optimizer's rate a plain variable for the duration of the test.

    An optimizer created with a float rate already has one (``optimizer.learning_rate`` is
    assigned, nothing is retraced). One created with a schedule (or a callable) gets a temporary
    rate variable tracked as the float case tracks its own; the compiled train function is
    traced again to read it, and again when the snapshot has put the schedule back.
    """

    def __init__(self, model: keras.Model) -> None:
        opt = rate_owner(model.optimizer)
        self.model, self.opt = model, opt
        self.swapped = not isinstance(opt._learning_rate, keras.Variable)
        if self.swapped:
            with keras.name_scope(opt.name, caller=opt):
                var = keras.Variable(0.0, name="learning_rate", dtype=keras.backend.floatx(),
                                     trainable=False, aggregation="only_first_replica")
            opt._track_variable(var)
            opt._learning_rate = var
            _drop_compiled(model)
        self.var = opt._learning_rate

    def set(self, lr: float) -> None:
        self.var.assign(lr)

    def close(self) -> None:
        if self.swapped:
            _drop_compiled(model=self.model)


def _drop_compiled(model: keras.Model) -> None:
    """Forget the compiled train function so the next call traces it again.

    Not on JAX: its train function takes the optimizer variables as arguments, so ``jax.jit``
    traces again by itself when their number changes -- and finds the original trace in its
    cache once the schedule is back.
    """
    if keras.backend.backend() != "jax":
        model.train_function = None


def _loss_of(logs: Any) -> float:
    if not isinstance(logs, dict) or "loss" not in logs:
        raise TypeError(f"{OWNER}: model.train_on_batch must report a 'loss', got {logs!r:.100}")
    value = logs["loss"]
    return float(np.asarray(keras.ops.convert_to_numpy(value)).reshape(()))


def find_lr(model: keras.Model, x: Any, y: Any = None, *, batch_size: int = 32,
            sample_weight: Any = None, shuffle: bool = True, seed: int = 0, start: float = 1e-7,
            end: float = 10.0, num_steps: int = 100, mode: str = "exponential",
            repeats: int = 1, smoothing: float = 0.98, diverge: float = 4.0, spike: float = 10.0,
            rule: str = "lrkit", target: str = "one_cycle", probe_steps: int = PROBE_STEPS,
            settle: bool | None = None, widen: float = WIDEN, stretch: int = STRETCH,
            progress: bool = True) -> FinderResult:
    r"""The learning-rate range test on a compiled Keras model; the model is left untouched.

    Each test step trains one batch with ``model.train_on_batch`` at rate :math:`\eta_i` (see
    :func:`lrkit.finder.find_lr` for the rates, the smoothing, the stopping rules and the
    suggestions) and records that batch's loss (the compiled loss plus regularisation losses).
    The optimizer's own rate or schedule is set aside during the test and put back afterwards.

    ``x`` is what ``model.fit`` takes: arrays (NumPy or backend tensors, or a list/dict of them)
    with ``y`` and ``sample_weight``, cut into batches of ``batch_size`` (shuffled with a
    generator seeded by ``seed`` when ``shuffle``; the same order in every pass, so probes and
    repeats are reproducible), or a ``tf.data.Dataset``, a ``keras.utils.PyDataset``, a
    re-iterable source of ``(x, y[, sample_weight])`` batches (cycled when shorter than the
    test), or a generator (read once: it must not run out).

    Before the test the model is built (and its optimizer) if it was not, then one copy of the
    state is taken: every weight (batch-norm statistics and dropout seed states included), the
    optimizer's variables (``iterations``, moments, the rate variable), the metric variables,
    and the Python, NumPy, Keras, TensorFlow and torch random generators. It is restored bit for
    bit when the test ends, diverges, raises or is interrupted (``KeyboardInterrupt``). Between
    repeats (``repeats > 1``) the model is restored but the generators and the data run on.

    ``rule="probe"``, the settled sweep (``rule="settled"``), ``widen`` and ``stretch`` work as in
    :func:`lrkit.torch.find_lr`: each probe starts from the restored initial state and (for
    arrays, datasets and re-iterable sources) sees the same batches.

    Raises:
        TypeError/ValueError: a model that is not compiled, bad arguments (before anything is
            touched), data that is empty or a generator that runs out -- the model is restored.
    """
    opts = check_options(start=start, end=end, num_steps=num_steps, mode=mode, smoothing=smoothing,
                         diverge=diverge, spike=spike, repeats=repeats, rule=rule, target=target,
                         probe_steps=probe_steps, settle=settle, widen=widen, stretch=stretch)
    if not isinstance(model, keras.Model):
        raise TypeError(f"{OWNER}: model must be a keras.Model, got {type(model).__name__}")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        raise ValueError(f"{OWNER}: model must be compiled first: model.compile(optimizer, loss)")
    batch_size = _check.integer("batch_size", batch_size, OWNER, minimum=1)
    _check.boolean("shuffle", shuffle, OWNER)
    seed = _check.integer("seed", seed, OWNER, minimum=0)
    _check.boolean("progress", progress, OWNER)
    feed = [Batches(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle, seed=seed,
                    owner=OWNER)]
    _build(model, feed[0])

    snap = Snapshot(model)
    override = None
    try:
        override = _RateOverride(model)

        def step(lr: float) -> float:
            override.set(lr)
            bx, by, bw = next(feed[0])
            logs = model.train_on_batch(bx, by, sample_weight=bw, return_dict=True)
            return _loss_of(logs)

        def reset() -> None:
            snap.restore(rng=False)

        def probe(rates: np.ndarray) -> list[float]:
            snap.restore(rng=True)
            feed[0] = feed[0].fresh()
            return probe_losses(step, rates)

        return _core_find_lr(step, reset=reset, probe_fn=probe, progress=progress, **opts)
    finally:
        snap.restore(rng=True)
        if override is not None:
            override.close()


def _build(model: keras.Model, batches: Batches) -> None:
    """Build the model, its compiled loss/metrics and its optimizer as ``fit`` would, so the
    snapshot covers every variable the test touches. Uses the first batch (then starts over)."""
    opt = model.optimizer
    if model.built and opt.built:
        return
    bx, by, bw = next(batches)
    batches.fresh()
    symbolic = getattr(model, "_symbolic_build", None)
    if symbolic is not None:
        symbolic(data_batch=(bx, by, bw))
    if not model.built:
        model(bx)
    if not opt.built:
        opt.build(model.trainable_variables)
