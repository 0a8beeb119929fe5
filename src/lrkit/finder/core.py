"""``find_lr``: the framework-free learning-rate range test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lrkit import _check
from lrkit.finder.result import FinderResult, combine
from lrkit.finder.rules import RULES, TARGETS
from lrkit.finder.sweep import OWNER, check_sweep, rates, run_sweep

__all__ = ["find_lr", "check_options"]


def check_options(*, start: Any, end: Any, num_steps: Any, mode: Any, smoothing: Any, diverge: Any,
                  spike: Any, repeats: Any, rule: Any, target: Any) -> dict[str, Any]:
    """Validate every option of :func:`find_lr` (also used by the framework glue before it
    touches the model)."""
    start, end, num_steps, mode = check_sweep(start, end, num_steps, mode)
    smoothing = _check.probability("smoothing", smoothing, OWNER, open_high=True)
    diverge = _check.number("diverge", diverge, OWNER)
    if diverge <= 1:
        raise ValueError(f"{OWNER}: diverge must be > 1, got {diverge!r}")
    spike = _check.number("spike", spike, OWNER)
    if spike <= 1:
        raise ValueError(f"{OWNER}: spike must be > 1, got {spike!r}")
    repeats = _check.integer("repeats", repeats, OWNER, minimum=1)
    rule = _check.choice("rule", rule, RULES, OWNER)
    target = _check.choice("target", target, TARGETS, OWNER)
    return dict(start=start, end=end, num_steps=num_steps, mode=mode, smoothing=smoothing,
                diverge=diverge, spike=spike, repeats=repeats, rule=rule, target=target)


def find_lr(step_fn: Callable[[float], Any], *, start: float = 1e-7, end: float = 10.0,
            num_steps: int = 100, mode: str = "exponential", smoothing: float = 0.98,
            diverge: float = 4.0, spike: float = 10.0, repeats: int = 1,
            reset: Callable[[], Any] | None = None, rule: str = "lrkit", target: str = "one_cycle",
            progress: bool = False) -> FinderResult:
    r"""Run a learning-rate range test and suggest a rate.

    ``step_fn(lr)`` trains **one** step at rate ``lr`` and returns that step's loss (a number,
    or a one-element tensor/array). The rates rise from ``start`` to ``end`` over ``num_steps``
    steps:

    .. math:: \eta_i = \eta_0 (\eta_1/\eta_0)^{i/(N-1)} \ \text{(exponential)}, \qquad
              \eta_i = \eta_0 + (\eta_1 - \eta_0)\, i/(N-1) \ \text{(linear)}

    and the loss is smoothed with the bias-corrected EMA
    :math:`\bar\ell_i = m_i / (1 - \beta^{i+1})`, :math:`m_i = \beta m_{i-1} + (1-\beta)\ell_i`.
    Legend: :math:`\eta_0, \eta_1` = ``start``, ``end``; :math:`N` = ``num_steps``;
    :math:`\beta` = ``smoothing``; :math:`\ell_i` the raw loss of step :math:`i`.

    The test stops early on a NaN/inf loss, on a raw loss above ``spike`` times the best
    smoothed loss, or on a smoothed loss above ``diverge`` times the best (see
    :func:`lrkit.finder.sweep.run_sweep`).

    Args:
        repeats: run the whole test this many times and take the median of the suggestions;
            ``reset()`` is called before every run after the first and must put the model back
            where it was (the framework glue does this for you).
        rule, target: the defaults of ``result.suggestion`` / ``result.suggest()``.
        progress: show a progress bar (tqdm, when installed).

    Returns:
        A :class:`~lrkit.finder.FinderResult`. When the test has too few usable points (fewer
        than :data:`~lrkit.finder.rules.MIN_POINTS` before it broke down) or the loss never
        decreased, ``result.suggestion`` is ``None``, ``result.reason`` says why, and
        ``result.suggest()`` raises :class:`~lrkit.finder.NoSuggestion` (a ``ValueError``).

    Raises:
        ValueError: ``start >= end``, ``num_steps < 2``, other bad options, or a non-finite loss
            on the very first step.
        TypeError: ``step_fn`` is not callable or returned something that is not a number.
    """
    if not callable(step_fn):
        raise TypeError(f"{OWNER}: step_fn must be callable (lr -> loss), got {step_fn!r}")
    opts = check_options(start=start, end=end, num_steps=num_steps, mode=mode, smoothing=smoothing,
                         diverge=diverge, spike=spike, repeats=repeats, rule=rule, target=target)
    if opts["repeats"] > 1 and not callable(reset):
        raise TypeError(f"{OWNER}: repeats={opts['repeats']} needs reset, a callable that restores "
                        f"the model between runs, got {reset!r}")
    planned = rates(opts["start"], opts["end"], opts["num_steps"], opts["mode"])
    results = []
    for k in range(opts["repeats"]):
        if k and reset is not None:
            reset()
        sweep = run_sweep(step_fn, planned, beta=opts["smoothing"], diverge=opts["diverge"],
                          spike=opts["spike"], progress=progress)
        results.append(FinderResult(sweep.lrs, sweep.losses, sweep.smoothed, sweep.usable,
                                    sweep.stop_reason, opts["rule"], opts["target"]))
    return results[0] if len(results) == 1 else combine(results)
