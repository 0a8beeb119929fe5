"""The range test for a pure JAX train step: compiled once, the caller's state untouched.

``find_lr(train_step, params, opt_state, batches)`` builds the one-step function the
framework-free core (:func:`lrkit.finder.find_lr`) drives. The rate is an *argument* of the
train step, so ``jax.jit`` compiles it once for every rate of the sweep (the probes and the
settled sweep reuse the same executable). Being pure, the test never changes the caller's
``params`` and ``opt_state``: it works on copies (so a train step that donates its inputs is
fine too) and restarts from them whenever the core asks for a reset.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lrkit.finder._feed import Cycle, probe_losses
from lrkit.finder.core import STRETCH, WIDEN, check_options
from lrkit.finder.core import find_lr as _core_find_lr
from lrkit.finder.probe import STEPS as PROBE_STEPS
from lrkit.finder.result import FinderResult

__all__ = ["find_lr"]

OWNER = "lrkit.jax.find_lr"


def _cycle(batches: Iterable[Any]) -> Cycle:
    return Cycle(batches, owner=OWNER, argument="batches", sources="a list of batches or a loader")


def _check_signature(train_step: Any) -> None:
    if not callable(train_step):
        raise TypeError(f"{OWNER}: train_step must be callable (params, opt_state, batch, lr) -> "
                        f"(params, opt_state, loss), got {train_step!r}")
    try:
        sig = inspect.signature(train_step)
    except (TypeError, ValueError):
        return  # a compiled or C-level callable: checked by its first call
    try:
        sig.bind(0, 0, 0, 0)
    except TypeError:
        raise TypeError(f"{OWNER}: train_step must take four arguments (params, opt_state, batch, "
                        f"lr), got a function with signature {sig}") from None


def _copy(tree: Any) -> Any:
    return jax.tree_util.tree_map(lambda x: jnp.array(x, copy=True) if isinstance(x, jax.Array) else x,
                                  tree)


def _rate_dtype(opt_state: Any) -> Any:
    """The dtype of the rate ``optax.inject_hyperparams`` keeps in ``opt_state`` (float32 if none).

    Passing the rate in that dtype keeps the state's dtypes fixed from step to step, so the step
    is traced once, also under ``jax_enable_x64``.
    """
    todo = [opt_state]
    while todo:
        node = todo.pop()
        hp = getattr(node, "hyperparams", None)
        if isinstance(hp, dict) and "learning_rate" in hp and hasattr(hp["learning_rate"], "dtype"):
            return hp["learning_rate"].dtype
        if isinstance(node, (tuple, list)):
            todo.extend(node)
        elif isinstance(node, dict):
            todo.extend(node.values())
    return jnp.float32


def find_lr(train_step: Callable[[Any, Any, Any, Any], tuple[Any, Any, Any]], params: Any,
            opt_state: Any, batches: Iterable[Any], *, start: float = 1e-7, end: float = 10.0,
            num_steps: int = 100, mode: str = "exponential", smoothing: float = 0.98,
            diverge: float = 4.0, spike: float = 10.0, repeats: int = 1, rule: str = "lrkit",
            target: str = "one_cycle", probe_steps: int = PROBE_STEPS, settle: bool | None = None,
            widen: float = WIDEN, stretch: int = STRETCH, progress: bool = False) -> FinderResult:
    r"""The learning-rate range test on a pure train step; ``params`` and ``opt_state`` are
    left as they were.

    ``train_step(params, opt_state, batch, lr) -> (params, opt_state, loss)`` takes the rate as
    an argument (e.g. through ``optax.inject_hyperparams`` or ``optax.scale(-lr)``), so it is
    compiled once with ``jax.jit`` (pass it unjitted or jitted) and called at
    :math:`\eta_i = \eta_0 (\eta_1/\eta_0)^{i/(N-1)}` for :math:`i = 0 \dots N-1` (see
    :func:`lrkit.finder.find_lr` for the smoothing, the stopping rules, the suggestions, the
    probes, the settled sweep, ``widen`` and ``stretch``; every reset restarts from the caller's
    ``params`` and ``opt_state``). ``batches`` is cycled when it is shorter than the test.

    The recorded loss is the mean of the returned ``loss`` over all its elements, so a step
    that returns one loss per device (data parallel) is averaged across devices.

    Raises:
        TypeError: ``train_step`` does not take four arguments or does not return
            ``(params, opt_state, loss)`` with the trees it was given; bad options.
        ValueError: bad options, ``batches`` empty, a one-shot iterator that runs out, a
            non-finite first loss.
    """
    opts = check_options(start=start, end=end, num_steps=num_steps, mode=mode, smoothing=smoothing,
                         diverge=diverge, spike=spike, repeats=repeats, rule=rule, target=target,
                         probe_steps=probe_steps, settle=settle, widen=widen, stretch=stretch)
    _check_signature(train_step)
    if not isinstance(batches, Iterable):
        raise TypeError(f"{OWNER}: batches must be an iterable of batches, got {type(batches).__name__}")
    tree_p = jax.tree_util.tree_structure(params)
    tree_s = jax.tree_util.tree_structure(opt_state)
    compiled = jax.jit(train_step)
    init = (_copy(params), _copy(opt_state))
    live = [_copy(init)]
    feed = [_cycle(batches)]
    rate_dtype = _rate_dtype(opt_state)

    def step(lr: float) -> float:
        p, s = live[0]
        out = compiled(p, s, next(feed[0]), jnp.asarray(lr, rate_dtype))
        if not isinstance(out, tuple) or len(out) != 3:
            raise TypeError(f"{OWNER}: train_step must return (params, opt_state, loss), got "
                            f"{type(out).__name__}")
        p, s, loss = out
        if jax.tree_util.tree_structure(p) != tree_p or jax.tree_util.tree_structure(s) != tree_s:
            raise TypeError(f"{OWNER}: train_step must return params and opt_state with the tree "
                            "structure it was given (a mismatched pytree)")
        live[0] = (p, s)
        return float(np.mean(np.asarray(loss, dtype=np.float64)))

    def reset() -> None:
        live[0] = _copy(init)

    def probe(rates: np.ndarray) -> list[float]:
        reset()
        feed[0] = _cycle(batches)
        return probe_losses(step, rates)

    return _core_find_lr(step, reset=reset, probe_fn=probe, progress=progress, **opts)
