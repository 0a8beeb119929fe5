"""``find_lr``: the framework-free learning-rate range test."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from lrkit import _check
from lrkit.finder._progress import Progress
from lrkit.finder.probe import STEPS as PROBE_STEPS
from lrkit.finder.probe import candidates, default_probe_fn, run_probes
from lrkit.finder.result import FinderResult, combine
from lrkit.finder.rules import RULE_NAMES, TARGETS
from lrkit.finder.sweep import OWNER, Sweep, check_sweep, rates, run_sweep

__all__ = ["find_lr", "check_options", "WIDEN", "STRETCH"]

WIDEN = 2.0  # the default ``widen``: decades past ``end`` when the loss never broke down
STRETCH = 3  # the default ``stretch``: times the steps of a second test when the loss never fell


def check_options(*, start: Any, end: Any, num_steps: Any, mode: Any, smoothing: Any, diverge: Any,
                  spike: Any, repeats: Any, rule: Any, target: Any,
                  probe_steps: Any = PROBE_STEPS, settle: Any = None, widen: Any = WIDEN,
                  stretch: Any = STRETCH) -> dict[str, Any]:
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
    rule = _check.choice("rule", rule, RULE_NAMES, OWNER)
    target = _check.choice("target", target, TARGETS, OWNER)
    probe_steps = _check.integer("probe_steps", probe_steps, OWNER, minimum=2)
    if target == "one_cycle" and probe_steps < 4:  # a one-cycle's warm-up phase needs 4 steps
        raise ValueError(f"{OWNER}: probe_steps must be >= 4 for target='one_cycle' (a one-cycle "
                         f"probe over fewer steps has no warm-up phase), got {probe_steps}")
    if settle is not None and not isinstance(settle, bool):
        raise TypeError(f"{OWNER}: settle must be True, False or None (run it for rule='settled'), "
                        f"got {settle!r}")
    widen = _check.number("widen", widen, OWNER)
    if widen < 0:
        raise ValueError(f"{OWNER}: widen must be >= 0 (decades past end; 0 never widens), got {widen!r}")
    stretch = _check.integer("stretch", stretch, OWNER, minimum=1)
    return dict(start=start, end=end, num_steps=num_steps, mode=mode, smoothing=smoothing,
                diverge=diverge, spike=spike, repeats=repeats, rule=rule, target=target,
                probe_steps=probe_steps, settle=settle, widen=widen, stretch=stretch)


def find_lr(step_fn: Callable[[float], Any], *, start: float = 1e-7, end: float = 10.0,
            num_steps: int = 100, mode: str = "exponential", smoothing: float = 0.98,
            diverge: float = 4.0, spike: float = 10.0, repeats: int = 1,
            reset: Callable[[], Any] | None = None, rule: str = "lrkit", target: str = "one_cycle",
            probe_steps: int = PROBE_STEPS,
            probe_fn: Callable[[np.ndarray], Sequence[Any]] | None = None,
            settle: bool | None = None, widen: float = WIDEN, stretch: int = STRETCH,
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
        rule: the default rule of ``result.suggestion`` / ``result.suggest()``.
            ``rule="probe"`` also runs the probes (see :mod:`lrkit.finder.probe`): after the
            range test, for the candidates :math:`c_j = \eta_b f_j`, :math:`f_j \in
            \{2^{-3/2}, 2^{-1/2}, 2^{1/2}, 2^{3/2}\}` around lrkit's own rate :math:`\eta_b`
            for ``target`` (capped below the loss minimum), it trains ``probe_steps`` steps from
            the initial state at :math:`c_j` (held constant, or as the peak of a one-cycle) and
            suggests the candidate with the lowest mean loss over the probe's last quarter (the
            smallest one within 2% of the lowest). Probes run for ``target`` only.
        target: the default target of ``result.suggestion`` / ``result.suggest()``
            (``"one_cycle"`` or ``"constant"``).
        probe_steps: steps per probe (``rule="probe"``); the whole test then takes
            ``num_steps * repeats + len(candidates) * probe_steps`` steps (at most 4 probes).
        probe_fn: ``probe_fn(rates) -> losses`` trains from the initial state at the given
            per-step rates and returns the per-step losses (it may stop early at a non-finite
            loss). Without it, ``rule="probe"`` uses ``reset()`` followed by ``step_fn``.
        settle: run the settled sweep after the range test (:mod:`lrkit.finder.settle`):
            ``reset()``, then :data:`~lrkit.finder.settle.SETTLE_STEPS` steps at a twentieth of
            the breakdown edge and a second sweep of
            :data:`~lrkit.finder.settle.SWEEP_STEPS` steps, 160 steps more in all -- lrkit's
            rule ``"settled"`` reads it (lrkit's constant-rate rule before issue 15's second
            round; the default ``"lrkit"`` rule combines three readings of the first test and
            does not). ``None`` (the default) runs it when ``reset`` is given and
            ``rule="settled"``; ``False`` never. ``True`` needs ``reset`` (then
            ``suggest(rule="settled")`` can be read next to the default).
        widen: when an exponential test ran to ``end`` and the loss never broke down (its
            breakdown edge would be the last rate: only a lower bound), or had not even started to
            fall (every rate was too low), the test goes on at the
            same ratio per step for up to ``widen`` more decades (:data:`WIDEN` = 2, the default:
            25 steps with the other defaults), stopping as usual -- so a model that tolerates
            large rates still gets an edge to back off from instead of no suggestion. ``0`` never
            widens; a linear test is never widened.
        stretch: when the loss never fell -- it sat at its first value until the test broke down
            or ran out of rates (widened), so there is no descent to read -- and ``reset`` is
            given, ``reset()`` is called and the test runs once more over the same range with
            ``stretch`` times as many steps (:data:`STRETCH` = 3, the default): a model that
            needs more steps at each rate before it starts to learn (a deep tanh network, a tiny
            dataset) gets them, and the second test is the result. ``1`` never runs it; without
            ``reset`` it cannot run (the reason then suggests a larger ``num_steps``).
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
                         diverge=diverge, spike=spike, repeats=repeats, rule=rule, target=target,
                         probe_steps=probe_steps, settle=settle, widen=widen, stretch=stretch)
    if probe_fn is not None and not callable(probe_fn):
        raise TypeError(f"{OWNER}: probe_fn must be callable (rates -> losses) or None, got {probe_fn!r}")
    if opts["rule"] == "probe" and probe_fn is None and not callable(reset):
        raise TypeError(f"{OWNER}: rule='probe' needs probe_fn (rates -> losses from the initial state) "
                        f"or reset, a callable that restores the model before each probe, got {reset!r}")
    settle_on = opts["settle"]
    if settle_on and not callable(reset):
        raise TypeError(f"{OWNER}: settle=True needs reset, a callable that restores the model "
                        f"before the settled sweep, got {reset!r}")
    if settle_on is None:
        settle_on = callable(reset) and opts["rule"] == "settled"
    if opts["repeats"] > 1 and not callable(reset):
        raise TypeError(f"{OWNER}: repeats={opts['repeats']} needs reset, a callable that restores "
                        f"the model between runs, got {reset!r}")
    planned = rates(opts["start"], opts["end"], opts["num_steps"], opts["mode"])
    results = []
    # one bar for every phase (range test, settled sweep, probes), left as a one-line summary
    bar = Progress(len(planned) * opts["repeats"], progress)
    counted = bar.steps(step_fn)
    try:
        for k in range(opts["repeats"]):
            if k and reset is not None:
                reset()
            bar.phase("lr range test" + (f" {k + 1}/{opts['repeats']}" if opts["repeats"] > 1 else ""))
            run = _test(counted, planned, opts, bar)
            if opts["stretch"] > 1 and callable(reset) and _never_fell(run):
                reset()
                longer = rates(opts["start"], opts["end"], opts["num_steps"] * opts["stretch"], opts["mode"])
                bar.phase(f"lr range test: {opts['stretch']}x the steps (the loss never fell)", len(longer))
                run = _test(counted, longer, opts, bar)
            if settle_on:
                from lrkit.finder.settle import SETTLE_STEPS, SWEEP_STEPS

                bar.phase("lr range test: settled sweep", SETTLE_STEPS + SWEEP_STEPS)
                run = _settle(run, counted, reset)  # type: ignore[arg-type]
            results.append(run)
        result = results[0] if len(results) == 1 else combine(results)
        if opts["rule"] == "probe":
            probe = probe_fn or default_probe_fn(step_fn, reset)  # type: ignore[arg-type]
            result = _probe(result, bar.probes(probe), opts["target"], opts["probe_steps"])
    except BaseException:
        bar.close()
        raise
    sug = result.suggestion
    bar.close(f"lr range test: {'suggestion ' + format(sug, '.3g') if sug is not None else 'no suggestion'}"
              f" ({result.rule}, {result.target}; stop: {result.stop_reason})")
    return result


def _test(step_fn: Callable[[float], Any], planned: np.ndarray, opts: dict[str, Any],
          bar: Progress) -> FinderResult:
    """One range test over ``planned``, widened when it ends without an edge (see ``widen``)."""
    sweep = run_sweep(step_fn, planned, beta=opts["smoothing"], diverge=opts["diverge"],
                      spike=opts["spike"], progress=False)
    if opts["widen"] > 0 and opts["mode"] == "exponential":
        sweep = _widen(sweep, step_fn, opts, bar)
    return FinderResult(sweep.lrs, sweep.losses, sweep.smoothed, sweep.usable, sweep.stop_reason,
                        opts["rule"], opts["target"])


def _never_fell(run: FinderResult) -> bool:
    """Whether the test has no analysis window because the loss never fell (``stretch``)."""
    from lrkit.finder.rules import NoSuggestion

    try:
        run._window()
    except NoSuggestion as exc:
        return exc.cause == "no_fall"
    return False


def widened_rates(planned: np.ndarray, decades: float) -> np.ndarray:
    r"""The rates past the planned end: :math:`\eta_{N-1} r^k`, :math:`k = 1 \dots K`, at the
    planned ratio :math:`r = \eta_1/\eta_0` per step, :math:`K = \lceil \text{decades} /
    \log_{10} r \rceil`."""
    ratio = float(planned[1] / planned[0])
    k = int(np.ceil(decades / np.log10(ratio) - 1e-9))
    return float(planned[-1]) * ratio ** np.arange(1, k + 1, dtype=np.float64)


def _widen(sweep: Sweep, step_fn: Callable[[float], Any], opts: dict[str, Any], bar: Progress) -> Sweep:
    """Continue a test that ran to its end without the loss breaking down, or before it fell (see
    ``widen``): the
    recorded steps are replayed through the same stopping rules (no training), then the model,
    left where the test ended, trains on at the widened rates."""
    from lrkit.finder.rules import NoSuggestion, breakdown_edge, censored, window

    if sweep.stop_reason != "completed":
        return sweep
    try:
        w = window(sweep.lrs, sweep.losses, sweep.smoothed, sweep.usable)
        if not censored(w, breakdown_edge(w)):
            return sweep
    except NoSuggestion as exc:
        # no analysis window: the loss rose before one formed (more rate is no remedy), or it has
        # not fallen yet -- the rates were too low, and the rates past `end` are the remedy
        if exc.rose:
            return sweep
    extra = widened_rates(sweep.planned, opts["widen"])
    recorded = iter(sweep.losses.tolist())
    n_recorded = len(sweep.losses)
    calls = [0]

    def replay(lr: float) -> Any:
        calls[0] += 1
        return next(recorded) if calls[0] <= n_recorded else step_fn(lr)

    bar.phase("lr range test: widened", len(extra))
    return run_sweep(replay, np.concatenate([sweep.planned, extra]), beta=opts["smoothing"],
                     diverge=opts["diverge"], spike=opts["spike"], progress=False)


def _settle(result: FinderResult, step_fn: Callable[[float], Any],
            reset: Callable[[], Any]) -> FinderResult:
    """Reset the model and run the settled sweep from the range test's breakdown edge -- not when
    the test has no analysis window (no suggestion to refine) or never broke down (its edge is
    then only a lower bound: the last rate tested)."""
    from lrkit.finder.rules import NoSuggestion, breakdown_edge, censored
    from lrkit.finder.settle import reference_loss, run_settled

    try:
        w = result._window()
    except NoSuggestion:
        return result
    edge = breakdown_edge(w)
    if censored(w, edge):
        return result
    reset()
    settled = run_settled(step_fn, edge, reference_loss(result.losses))
    return replace(result, settled=settled)


def _probe(result: FinderResult, probe_fn: Callable[[np.ndarray], Sequence[Any]], target: str,
           steps: int) -> FinderResult:
    """Attach the probes around lrkit's own suggestion (none when that rule has none)."""
    from lrkit.finder.rules import NoSuggestion, window

    try:
        base = result.suggest("lrkit", target=target)
    except NoSuggestion:
        return result  # result.suggest("probe") raises lrkit's reason
    try:
        w = window(result.lrs, result.losses, result.smoothed, result.usable)
        cap = float(w.lrs[w.centred_argmin - 1])  # below the minimum, as lrkit's rule
    except NoSuggestion:  # a repeated test whose median curve has no window: no cap beyond base
        cap = base
    cap = max(cap, base)
    return replace(result, probe=run_probes(probe_fn, candidates(base, cap), target, steps))
