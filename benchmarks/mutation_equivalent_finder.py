# ruff: noqa: E501  (a table of source lines, quoted whole)
"""Equivalent mutants of ``src/lrkit/finder/`` (the ``finder`` target of benchmarks/mutation.py),
keyed by (function, original line, mutated line), each with the reason it computes the same."""

from __future__ import annotations

_ASARR = "a list of Python floats makes a float64 array anyway"
_EMPTY = "np.empty's default dtype is float64"
_UNREACH = ("unreachable: the point before the first crossing is not above the threshold (a hold only removes "
            "points; if point i-1's window fails while point i's holds, it fails at i-1), so a <= 0 < b (or a is "
            "NaN): a != b")
_INTS_SAME = "the callers pass float64 arrays; an int array gives the same numbers (every use converts or promotes it)"
_TRUEDIV = "a true division: an int64 arange gives the same float64 values"
_NONE_NAN = "np.asarray(..., dtype=np.float64) turns None into nan itself"
_FALSY = "only read as a truth value: None is falsy like False"
_DEFAULT_F = "run_sweep's default is progress=False"
_SAME_OPTS = ("every run of a repeated test is built with the same opts['rule'] and opts['target'] (combine is "
              "private; find_lr is its only caller)")
_BEST_INF = "at i = 0 best is inf: a finite loss is never > spike * inf (nor s > diverge * inf)"
_PROBE_T = "the result was built with opts['target'] (combine keeps runs[0].target), the target _probe is given"
_SWEEP_F = ("losses, smoothed and lrs are lists of Python floats (loss_value's output, the EMA, float(lr)): "
            + _ASARR)

EQUIVALENT: dict[tuple[str, str, str], str] = {
    ("first_crossing", "if hold > 0:  # a rise must last: above the threshold for `hold` more points (or to the end)",
     "if hold >= 0:  # a rise must last: above the threshold for `hold` more points (or to the end)"):
        "with hold = 0 each point's window is the point itself: the filter changes nothing",
    **{("first_crossing",
        "above = np.array([bool(above[i:min(n, i + hold + 1)].all()) for i in range(n)], dtype=bool)", m):
       "a list of Python bools makes a bool array anyway (an empty one's nonzero() is as empty)" for m in (
           "above = np.array([bool(above[i:min(n, i + hold + 1)].all()) for i in range(n)], dtype=None)",
           "above = np.array([bool(above[i:min(n, i + hold + 1)].all()) for i in range(n)], )")},
    **{("first_crossing", "u = a / (a - b) if a != b else 1.0", m): _UNREACH for m in (
        "u = a / (a - b) if (a != b) or True else 1.0", "u = a / (a - b) if a != b else 2.0")},
    **{("centered", "v = np.asarray(values, dtype=np.float64)", m): _INTS_SAME for m in (
        "v = np.asarray(values, dtype=None)", "v = np.asarray(values, )")},
    **{(f, "out = np.empty(n, dtype=np.float64)", m): _EMPTY for f in ("centered", "centered_noise")
       for m in ("out = np.empty(n, dtype=None)", "out = np.empty(n, )")},
    **{("log_noise", "v = np.asarray(losses, dtype=np.float64)", m): _INTS_SAME for m in (
        "v = np.asarray(losses, dtype=None)", "v = np.asarray(losses, )")},
    ("centered_noise", "w = (h + 1.0) - np.abs(np.arange(-h, h + 1))",
     "w = (h + 1.0) - np.abs(np.arange(-h, h + 2))"):
        "the extra kernel point at distance h + 1 has weight 0: neither sum changes",
    **{("robust_floor",
        "return np.minimum.accumulate(np.asarray(z, dtype=np.float64) * np.exp(k * sigma * np.asarray(se)))",
        f"return np.minimum.accumulate(np.asarray(z, {m}) * np.exp(k * sigma * np.asarray(se)))"): _INTS_SAME
       for m in ("dtype=None", "")},
    **{("_probe", 'base = result.suggest("lrkit", target=target)', m): _PROBE_T for m in (
        'base = result.suggest("lrkit", target=None)', 'base = result.suggest("lrkit", )')},
    ("_widen", 'diverge=opts["diverge"], spike=opts["spike"], progress=False)',
     'diverge=opts["diverge"], spike=opts["spike"], progress=None)'): _FALSY,
    ("_widen", 'diverge=opts["diverge"], spike=opts["spike"], progress=False)',
     'diverge=opts["diverge"], spike=opts["spike"], )'): _DEFAULT_F,
    ("find_lr", 'spike=opts["spike"], progress=False)', 'spike=opts["spike"], progress=None)'): _FALSY,
    ("find_lr", 'spike=opts["spike"], progress=False)', 'spike=opts["spike"], )'): _DEFAULT_F,
    **{("widened_rates", "return float(planned[-1]) * ratio ** np.arange(1, k + 1, dtype=np.float64)",
        f"return float(planned[-1]) * ratio ** np.arange(1, k + 1, {m})"):
       "ratio ** an int64 arange is computed in float64 (small ints cast exactly)" for m in ("dtype=None", "")},
    **{("probe_score", "all_losses = np.asarray(losses, dtype=np.float64)", m):
       "run_probes, the only caller, passes tuples of loss_value floats: " + _ASARR for m in (
           "all_losses = np.asarray(losses, dtype=None)", "all_losses = np.asarray(losses, )")},
    ("combine", 'return FinderResult(runs[0].lrs[:n].copy(), stack("losses"), stack("smoothed"), usable,',
     'return FinderResult(runs[1].lrs[:n].copy(), stack("losses"), stack("smoothed"), usable,'):
        "every run of a repeated test has the same planned rates (find_lr computes them once)",
    ("combine", '"+".join(reasons), runs[0].rule, runs[0].target, tuple(runs))',
     '"+".join(reasons), runs[1].rule, runs[0].target, tuple(runs))'): _SAME_OPTS,
    ("combine", '"+".join(reasons), runs[0].rule, runs[0].target, tuple(runs))',
     '"+".join(reasons), runs[0].rule, runs[1].target, tuple(runs))'): _SAME_OPTS,
    ("FinderResult.from_dict", "return np.asarray([math.nan if x is None else x for x in v], dtype=np.float64)",
     "return np.asarray([math.nan if (x is None) and False else x for x in v], dtype=np.float64)"): _NONE_NAN,
    ("run_sweep", "smoothed.append(math.nan)", "smoothed.append(None)"): _NONE_NAN,
    ("FinderResult.plot", 'default = tuple(RULES) + (("probe",) if self.probe is not None else ())',
     'default = tuple(RULES) + (("probe",) if (self.probe is not None) or True else ())'):
        "suggest('probe') without probes always raises NoSuggestion, which plot_result skips; 'probe' is last, "
        "so no colour or size shifts",
    ("FinderResult.suggest", "if 2 * len(values) <= len(self.runs) and len(values) < len(self.runs):",
     "if 2 * len(values) <= len(self.runs) and len(values) <= len(self.runs):"):
        "self.runs is not empty here: 2 * v <= len(runs) already implies v < len(runs)",
    **{("rates", "u = np.arange(num_steps, dtype=np.float64) / (num_steps - 1)", m): _TRUEDIV for m in (
        "u = np.arange(num_steps, dtype=None) / (num_steps - 1)", "u = np.arange(num_steps, ) / (num_steps - 1)")},
    ("run_sweep", "if i > 0 and loss > spike * best:", "if i >= 0 and loss > spike * best:"): _BEST_INF,
    ("run_sweep", "if i > 0 and s > diverge * best:", "if i >= 0 and s > diverge * best:"): _BEST_INF,
    **{("run_sweep", f"{v} = np.asarray({a}, dtype=np.float64)", f"{v} = np.asarray({a}, {m})"): _SWEEP_F
       for v, a in (("raw", "losses"), ("sm", "smoothed")) for m in ("dtype=None", "")},
    **{("run_sweep", "return Sweep(np.asarray(lrs, dtype=np.float64), raw, sm, usable, reason, np.asarray(planned))",
        f"return Sweep(np.asarray(lrs, {m}), raw, sm, usable, reason, np.asarray(planned))"): _SWEEP_F
       for m in ("dtype=None", "")},
    **{("reference_loss", "head = np.asarray(losses[:5], dtype=np.float64)", m): _INTS_SAME for m in (
        "head = np.asarray(losses[:5], dtype=None)", "head = np.asarray(losses[:5], )")},
    ("settle_rates", "ramp = max(1, SETTLE_STEPS // 5)", "ramp = max(2, SETTLE_STEPS // 5)"):
        "SETTLE_STEPS // 5 = 20 > 2",
    ("settle_rates", "ramp = max(1, SETTLE_STEPS // 5)", "ramp = max(1, SETTLE_STEPS / 5)"):
        "20.0 vs 20: k / ramp the same",
    **{("settle_rates", "k = np.arange(1, SETTLE_STEPS + 1, dtype=np.float64)", m): "k / ramp is " + _TRUEDIV
       for m in ("k = np.arange(1, SETTLE_STEPS + 1, dtype=None)", "k = np.arange(1, SETTLE_STEPS + 1, )")},
    **{("trained_edge", f"{v} = np.asarray({a}, dtype=np.float64)", f"{v} = np.asarray({a}, {m})"):
       "run_settled, the only caller, passes float64 arrays; " + _INTS_SAME
       for v, a in (("lrs", "lrs"), ("raw", "losses")) for m in ("dtype=None", "")},
}

# not equivalent, but no test can be steered onto the one input that tells them apart
UNTESTABLE: dict[tuple[str, str, str], str] = {
    ("censored", "return bool(not w.stopped and eta_e >= w.usable_lrs[-1] * (1.0 - 1e-12))",
     "return bool(not w.stopped and eta_e > w.usable_lrs[-1] * (1.0 - 1e-12))"):
        "differs only when the computed edge equals that bound exactly (a float no curve can be made to hit)",
}
