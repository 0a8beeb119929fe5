# ruff: noqa: E501  (a table of source lines, quoted whole)
"""Equivalent mutants of ``src/lrkit/compat/`` (the ``compat`` target of benchmarks/mutation.py),
keyed by (function, original line, mutated line), each with the reason it computes the same."""

from __future__ import annotations

_WARM = "_warm never uses its ops argument (t / float(max(1, w)))"
_NAME = "name is accepted and ignored (a TensorFlow op name)"
_NO_INVALID = ("no invalid operation: frac >= 0 and t_mul > 1 give x = 1 + frac (t_mul - 1) >= 1 (inf at worst), "
               "whose log and its quotient by log(t_mul) > 0 are never NaN")
_UNREACH_T1 = "unreachable: _index32 builds a table only when float32 t_mul != 1"

_SAFE = ("the denominator is 0 only where the caller's where() discards the quotient (LinearLR: n sf + (t-1)(ef-sf) > 0 "
         "for 1 <= t <= n; PolynomialLR: 1-(t-1)/n = 0 only at t = n+1 > n; CosineAnnealingLR: a_s == 0 takes the other "
         "branch): any finite non-zero stand-in gives the same values")
_FALSY = "only read as a truth value: None is falsy like False"
_TWO_PHASE = "a two-phase curve reads values[0..2] only (one_cycle_curve): the fourth value is ignored"
_CARRY0 = "the carry of a milestone at 0 is never read: _phase uses _carry[k-1] only when milestones[k-1] > 0"
_PHASE_K = ("_phase is called only from _eval with k <= len(self._carry) (its loop stops at the carries computed so far): "
            "k - 1 < len(_carry) always holds, and so do the weaker tests")
_PRODUCTS = ("a cache: without it each call builds RunningProduct(f, carry, 0) again, the same products (lr_lambda must be "
             "pure, as documented)")
_RESTART_J = ("any restart s = (2j+1)T + 1 has a(s) = 1 - cos(pi/T), so lift / a(s) = (lr - eta)/2 for every j: the shifted j "
              "(only at t = (2j+3)T - 1, (2j+3)T or (2j+1)T + 1) gives the same value, to rounding")
_AT_T = ("only t == T changes branch, where both give eta_min exactly: a(T) = 1 + cos(pi) = 0 in floating point, so first = "
         "eta and later = eta + lift * 0 / a_s = eta (or eta + 0 on the a_s == 0 branch)")
_NONE_OR = "None or [] is [] like [] or []"
_REL_AGAIN = ("_check.boolean returns obj.relative itself: writing it back changes nothing, and the stray attribute is "
              "never read (not a dataclass field)")
_REL_KEY = ("every RelativeMixin class is a dataclass with an init field relative, which Schedule.to_config always "
            "writes: the key is there, pop's default is never used")
_PY_AS_NP = ("a Python step then takes the NumPy path: the same number as a 0-d array, which every caller multiplies or "
             "returns and Schedule.__call__ turns into the same float (int(x) of the one element is int(t))")
_RESHAPE = "NumPy (2.4) takes any negative size as the one unknown dimension: reshape(-2) is reshape(-1)"
_F64 = "a list of Python floats becomes a float64 array without dtype="
_MARKS = ("the checkpoints and blocks only save work or bound memory: every path multiplies the same terms left to right "
          "(value * f(first+pos)) * ..., so any stride, block size or missing checkpoint gives the same bits "
          "(nxt > pos holds at every loop start, so the else-branch and >= never matter)")
_FROMITER = "terms = np.fromiter(map(f, ks), dtype=np.float64, count=len(ks))"
_FAST = ("the vectorised block is a fast path: when it fails (TypeError/ValueError) or is turned off, the checked "
         "path calls the same pure function on the same steps and multiplies the same terms")
_CURSOR = ("at pos == cur_c the cursor and the checkpoint hold the same left-to-right product; count == cur_c returned "
           "earlier")

EQUIVALENT: dict[tuple[str, str, str], str] = {
    # transformers.py and _hf_greedy.py
    ("GreedyLR.__init__", "eps: float = 1e-8, verbose: bool = False, smooth: bool = False,",
     "eps: float = 1e-8, verbose: bool = True, smooth: bool = False,"):
        "verbose is accepted and never read (nothing is printed): its default changes nothing",
    **{(f, "return ops.where(t < w, _warm(t, ops, w), decay)", "return ops.where(t < w, _warm(t, None, w), decay)"): _WARM
       for f in ("Linear._lambda", "Polynomial._lambda", "InverseSqrt._lambda")},
    **{(f, "return ops.where(t < self.num_warmup_steps, _warm(t, ops, self.num_warmup_steps), c)",
        "return ops.where(t < self.num_warmup_steps, _warm(t, None, self.num_warmup_steps), c)"): _WARM
       for f in ("Cosine._lambda", "CosineWithRestarts._lambda", "CosineWithMinLR._lambda")},
    ("InverseSqrt._lambda", "decay = 1.0 / ops.sqrt(ops.maximum((t + shift) / tau, 1e-300))",
     "decay = 1.0 / ops.sqrt(ops.maximum((t + shift) / tau, 1.0))"):
        "(t + tau - W) / tau < 1 only when t < W (tau > 0), where where() takes the warmup branch; for t >= W "
        "the argument is >= 1 and both floors leave it unchanged",
    ("_min_rate", "return obj.min_lr / obj.lr", "return obj.min_lr * obj.lr"):
        "both callers (CosineWithMinLR / CosineWarmupWithMinLR.__post_init__) discard the return value; the rate "
        "property computes min_lr / lr again",
    # tf1.py, keras.py, _tf_common.py, _tf_sgdr.py
    ("_piecewise", 'return Piecewise(v, b, switch="after")', 'return Piecewise(v, b, )'):
        "Piecewise's switch defaults to 'after'",
    ("exponential", 'return Piecewise((learning_rate, 0.0), (0.0,), switch="after")',
     'return Piecewise((learning_rate, 0.0), (0.0,), )'): "Piecewise's switch defaults to 'after'",
    ("PiecewiseConstantDecay", 'return Piecewise(v, b, switch="after")', 'return Piecewise(v, b, )'):
        "Piecewise's switch defaults to 'after'",
    ("configure_learning_rate", 'return _at(Polynomial(lr, decay_steps, end, 1.0, False), global_step)',
     'return _at(Polynomial(lr, decay_steps, end, 1.0, ), global_step)'): "Polynomial's cycle defaults to False",
    ("CosineDecay", 'return Warmup(Cosine(target, steps, alpha=alpha), warm, start=a0, shape="linear", / prefix=True)',
     'return Warmup(Cosine(target, steps, alpha=alpha), warm, start=a0, prefix=True)'):
        "Warmup's shape defaults to 'linear'",
    ("CosineDecay", 'prefix=True)', ')'): "Warmup's prefix defaults to True",
    **{(f, line, line.replace(f'"{d}"', m)): _NAME
       for f, line, d in (
           ("ExponentialDecay", 'staircase: bool = False, name: str | None = "ExponentialDecay") -> Schedule:', "ExponentialDecay"),
           ("InverseTimeDecay", 'staircase: bool = False, name: str | None = "InverseTimeDecay") -> Schedule:', "InverseTimeDecay"),
           ("PiecewiseConstantDecay", 'name: str | None = "PiecewiseConstant") -> Schedule:', "PiecewiseConstant"),
           ("PolynomialDecay", 'name: str | None = "PolynomialDecay") -> Schedule:', "PolynomialDecay"),
           ("CosineDecay", 'name: str | None = "CosineDecay", warmup_target: float | None = None,', "CosineDecay"),
           ("CosineDecayRestarts", 'name: str | None = "SGDRDecay") -> Schedule:', "SGDRDecay"))
       for m in (f'"XX{d}XX"', f'"{d.lower()}"', f'"{d.upper()}"')},
    ("_is_float64", 'return type(value) is not float and str(getattr(value, "dtype", "")) == "float64"',
     'return type(None) is not float and str(getattr(value, "dtype", "")) == "float64"'):
        "an exact Python float has no dtype attribute, so the dtype test is already False for it",
    **{("_is_float64", 'return type(value) is not float and str(getattr(value, "dtype", "")) == "float64"',
        f'return type(value) is not float and str(getattr(value, "dtype", {m})) == "float64"'):
       "the fallback for a value without dtype never reads 'float64'" for m in ("None", '"XXXX"')},
    ("_tf32_index", 'if t_mul == f32(1.0):', 'if t_mul == f32(None):'): _UNREACH_T1,
    ("_tf32_index", 'return np.floor(frac)', 'return np.floor(None)'): _UNREACH_T1,
    ("_tf32_index", 'with np.errstate(over="ignore", invalid="ignore"):  # a tiny first period overflows float32 (inf)',
     'with np.errstate(over="ignore", invalid=None):  # a tiny first period overflows float32 (inf)'): _NO_INVALID,
    ("_tf32_index", 'with np.errstate(over="ignore", invalid="ignore"):  # a tiny first period overflows float32 (inf)',
     'with np.errstate(over="ignore", ):  # a tiny first period overflows float32 (inf)'): _NO_INVALID,
    ("_tf32_index", 'log_x = np.log(x.astype(np.float64)).astype(f32)', 'log_x = np.log(x.astype(None)).astype(f32)'):
        "astype(None) is NumPy's default dtype, float64",
    # timm.py and deepspeed.py
    ("create_scheduler_v2", "patience_epochs: int = 10, decay_rate: float = 0.1, min_lr: float = 0.0,",
     "patience_epochs: int = 11, decay_rate: float = 0.1, min_lr: float = 0.0,"):
        "only timm's plateau reads it; lrkit rejects sched='plateau' and never reads it",
    **{("create_scheduler_v2", 'plateau_mode: str = "max", step_on_epochs: bool = True,', m):
       "only timm's plateau reads it; never read"
       for m in ('plateau_mode: str = "XXmaxXX", step_on_epochs: bool = True,',
                 'plateau_mode: str = "MAX", step_on_epochs: bool = True,')},
    ("create_scheduler_v2", "s = StepLRScheduler(decay_t=1, decay_rate=1.0, **warm, **common)",
     "s = StepLRScheduler(decay_t=1, **warm, **common)"): "StepLRScheduler's decay_rate defaults to 1.0: the same object",
    ("create_scheduler_v2", "if 0 < decay_epochs < 1:", "if 0 <= decay_epochs < 1:"):
        "decay_epochs = 0 gives decay_t = 0 either way (0 * t_sched rounds to 0), refused by the next check with the "
        "same message",
    ("MultiStepLRScheduler.__post_init__", '_check.increasing("decay_t", ds, o, strict=False)',
     '_check.increasing("decay_t", ds, o, strict=None)'): "strict is only tested for truth: None is falsy like False",
    ("WarmupCosineLR._eval", "progress = ops.minimum(ops.maximum(i - w + 1.0, 0.0) / total, 1.0)",
     "progress = ops.minimum(ops.maximum(i - w + 1.0, 1.0) / total, 1.0)"):
        "progress is only used where i >= w, where i - w + 1 >= 1",
    ("WarmupLR._check_warmup", "resolve_lr(self, o)", "resolve_lr(self, None)"):
        "resolve_lr's messages cannot fire: relative and lr are already checked just above with the owner",
    ("OneCycle._scale", "smooth = x / ratio", "smooth = x * ratio"): "only in the ratio == 1.0 branch: x / 1.0 == x * 1.0",
    **{("OneCycle._scale", "if k1 <= 0 and k2 <= 0:", m):
       "with k1 = k2 = 0 the stair path returns smooth too (where(k > 0, ..., smooth))"
       for m in ("if k1 < 0 and k2 <= 0:", "if k1 <= 0 and k2 < 0:")},
    ("OneCycle._scale", "k_safe = ops.where(k > 0, k, 1.0)", "k_safe = ops.where(k > 1, k, 1.0)"):
        "stair counts are integers: at k = 1 both give 1",
    ("OneCycle._scale", "k_safe = ops.where(k > 0, k, 1.0)", "k_safe = ops.where(k > 0, k, 2.0)"):
        "where k = 0 the final where discards pos and returns smooth",
    ("OneCycle._eval", "after = a / (1.0 + self.decay_lr_rate * (ops.maximum(t - total, 0.0)",
     "after = a / (1.0 + self.decay_lr_rate * (ops.maximum(t - total, 1.0)"):
        "after is only used where t - 1 >= total (exact for t < 2**53), i.e. t - total >= 1",
    ("OneCycle._momentum_eval", "after = hi * (1.0 + self.decay_mom_rate * (ops.maximum(t - total, 0.0)",
     "after = hi * (1.0 + self.decay_mom_rate * (ops.maximum(t - total, 1.0)"):
        "the same: only used where t - total >= 1",
    # torch.py, _torch_callable.py, _rate.py
    ('_safe', 'return ops.where(d == 0, 1.0, d)', 'return ops.where(d == 0, 2.0, d)'): _SAFE,
    ('OneCycleLR._curve', 'self.anneal_strategy, hold_last=False)', 'self.anneal_strategy, hold_last=None)'): _FALSY,
    ('OneCycleLR._momentum_eval', 'return self._curve(t, ops, (hi, lo, hi, hi) if self.three_phase else (hi, lo, hi))',
     'return self._curve(t, ops, (hi, lo, hi, hi) if (self.three_phase) or True else (hi, lo, hi))'): _TWO_PHASE,
    ('_Composite.for_rate', 'scheds = tuple(s.for_rate(lr) if getattr(s, "relative", False) else s  # type: ignore[attr-defined]',
     'scheds = tuple(s.for_rate(lr) if getattr(s, "relative", None) else s  # type: ignore[attr-defined]'): _FALSY,
    ('SequentialLR.__post_init__', '_check.increasing("milestones", tuple(float(m) for m in ms), o, strict=False)',
     '_check.increasing("milestones", tuple(float(m) for m in ms), o, strict=None)'): _FALSY,
    ('SequentialLR.__post_init__', 'carry.append(float(self._eval(float(m - 1), _py())) if m > 0 else 0.0)',
     'carry.append(float(self._eval(float(m - 1), _py())) if m > 0 else 1.0)'): _CARRY0,
    ('SequentialLR._phase', 'and k - 1 < len(self._carry):', 'and k - 2 < len(self._carry):'): _PHASE_K,
    ('SequentialLR._phase', 'and k - 1 < len(self._carry):', 'and k - 1 <= len(self._carry):'): _PHASE_K,
    ('SequentialLR._phase', 'product = self._products.get(k)', 'product = None'): _PRODUCTS,
    ('SequentialLR._phase', 'product = self._products.get(k)', 'product = self._products.get(None)'): _PRODUCTS,
    ('CosineAnnealingLR._eval', 'j = ops.floor((t - n - 1.0) / (2.0 * n))', 'j = ops.floor((t - n + 1.0) / (2.0 * n))'): _RESTART_J,
    ('CosineAnnealingLR._eval', 'j = ops.floor((t - n - 1.0) / (2.0 * n))', 'j = ops.floor((t - n - 2.0) / (2.0 * n))'): _RESTART_J,
    ('CosineAnnealingLR._eval', 'return ops.clip(ops.where(t <= n, first, later), max(lo - slack, 0.0), hi + slack)',
     'return ops.clip(ops.where(t < n, first, later), max(lo - slack, 0.0), hi + slack)'): _AT_T,
    ('optimizer_rate', 'groups = list(getattr(optimizer, "param_groups", []) or [])',
     'groups = list(getattr(optimizer, "param_groups", None) or [])'): _NONE_OR,
    ('resolve_lr', 'object.__setattr__(obj, "relative", relative)', 'object.__setattr__(obj, "XXrelativeXX", relative)'): _REL_AGAIN,
    ('resolve_lr', 'object.__setattr__(obj, "relative", relative)', 'object.__setattr__(obj, "RELATIVE", relative)'): _REL_AGAIN,
    ('RelativeMixin.to_config', 'cfg.pop("relative", None)', 'cfg.pop("relative", )'): _REL_KEY,
    ('elementwise', 'if ops.name == "python":', 'if ops.name == "XXpythonXX":'): _PY_AS_NP,
    ('elementwise', 'if ops.name == "python":', 'if ops.name == "PYTHON":'): _PY_AS_NP,
    ('elementwise', 'flat = host.reshape(-1)', 'flat = host.reshape(-2)'): _RESHAPE,
    ('elementwise', 'out = np.array([_to_float(what, fn(int(x))) for x in flat], dtype=np.float64).reshape(host.shape)',
     'out = np.array([_to_float(what, fn(int(x))) for x in flat], dtype=None).reshape(host.shape)'): _F64,
    ('elementwise', 'out = np.array([_to_float(what, fn(int(x))) for x in flat], dtype=np.float64).reshape(host.shape)',
     'out = np.array([_to_float(what, fn(int(x))) for x in flat], ).reshape(host.shape)'): _F64,
    ('RunningProduct.__init__', 'self.stride = 64', 'self.stride = 65'): _MARKS,
    ('RunningProduct.__call__', 'if pos < self.cur_c <= count:  # the cursor is closer',
     'if pos <= self.cur_c <= count:  # the cursor is closer'): _CURSOR,
    ('RunningProduct.__call__', 'if pos < self.cur_c <= count:  # the cursor is closer',
     'if pos < self.cur_c < count:  # the cursor is closer'): _CURSOR,
    **{('RunningProduct._advance', 'stop = min(count, pos + self.BLOCK, nxt if nxt > pos else count)', m): _MARKS for m in (
        'stop = min(count, nxt if nxt > pos else count)', 'stop = min(count, pos + self.BLOCK, )',
        'stop = min(count, pos + self.BLOCK, nxt if (nxt > pos) and False else count)',
        'stop = min(count, pos + self.BLOCK, nxt if (nxt > pos) or True else count)',
        'stop = min(count, pos + self.BLOCK, nxt if nxt >= pos else count)')},
    ('RunningProduct._advance', 'if pos == len(self.marks) * self.stride:', 'if pos == len(self.marks) / self.stride:'): _MARKS,
    ('RunningProduct._advance', 'if len(self.marks) > self.MARKS:', 'if len(self.marks) >= self.MARKS:'): _MARKS,
    ('RunningProduct._advance', 'terms = np.fromiter(map(f, ks), dtype=np.float64, count=len(ks))',
     'terms = np.fromiter(map(f, ks), dtype=np.float64, )'): "count only presizes the array: the same terms",
    # the vectorised block is a fast path: broken or turned off, the checked path computes the same terms
    **{('RunningProduct._advance', _FROMITER, m): _FAST for m in (
        'terms = None', 'terms = np.fromiter(None, dtype=np.float64, count=len(ks))',
        'terms = np.fromiter(map(f, ks), dtype=None, count=len(ks))',
        'terms = np.fromiter(map(f, ks), dtype=np.float64, count=None)',
        'terms = np.fromiter(dtype=np.float64, count=len(ks))', 'terms = np.fromiter(map(f, ks), count=len(ks))',
        'terms = np.fromiter(map(None, ks), dtype=np.float64, count=len(ks))',
        'terms = np.fromiter(map(f, None), dtype=np.float64, count=len(ks))',
        'terms = np.fromiter(map(ks), dtype=np.float64, count=len(ks))',
        'terms = np.fromiter(map(f, ), dtype=np.float64, count=len(ks))')},
    **{('RunningProduct._advance', f"fast = {a}  # fromiter makes None a NaN: check such a block",
        f"fast = {b}  # fromiter makes None a NaN: check such a block"): _FAST
       for a, b in (("not np.isnan(terms).any()", "None"), ("not np.isnan(terms).any()", "not np.isnan(None).any()"))},
    ('RunningProduct._advance', 'fast = False', 'fast = None'): _FAST,
    ('RunningProduct._advance', 'terms = np.array([_to_float(what, f(k)) for k in ks], dtype=np.float64)',
     'terms = np.array([_to_float(what, f(k)) for k in ks], dtype=None)'): _F64,
    ('RunningProduct._advance', 'terms = np.array([_to_float(what, f(k)) for k in ks], dtype=np.float64)',
     'terms = np.array([_to_float(what, f(k)) for k in ks], )'): _F64,
    # _keras_plateau.py, optax.py, _optax_plateau.py
    ("ReduceLROnPlateau.__init__", "self.mode = resolve_mode(mode, monitor, o)", "self.mode = resolve_mode(mode, monitor, )"):
        "resolve_mode's owner defaults to OWNER, the value o holds: the same messages",
    **{(f, f"return Sequence({a}, relative=True)", f"return Sequence({a}, )"): "Sequence's relative defaults to True"
       for f, a in (("_delayed", "(Constant(hold), schedule), (begin,)"),
                    ("piecewise_interpolate_schedule", "tuple(phases), tuple(starts[1:])"),
                    ("_warmup_then", "(warm, after), (warmup_steps,)"),
                    ("join_schedules", "tuple(phases), tuple(bounds)"))},
    **{("_warmup_then", "warm = _polynomial(o, init_value, peak_value, 1.0, warmup_steps, 0, _WARMUP_NAMES)", m):
       "both callers have already checked init_value, peak_value (>= 0) and warmup_steps (a number): this "
       "_polynomial never raises, so its owner and argument names are never shown"
       for m in ("warm = _polynomial(None, init_value, peak_value, 1.0, warmup_steps, 0, _WARMUP_NAMES)",
                 "warm = _polynomial(o, init_value, peak_value, 1.0, warmup_steps, 0, )")},
    **{(f, "return _warmup_then(o, a, peak, warm, decay)", "return _warmup_then(None, a, peak, warm, decay)"):
       "o only names the owner in _warmup_then's checks, which never raise (a, peak and warm are already checked)"
       for f in ("warmup_cosine_decay_schedule", "warmup_exponential_decay_schedule")},
    **{("warmup_exponential_decay_schedule",
        'decay = _exponential(o, "peak_value", peak, transition_steps, decay_rate, transition_begin,',
        f"decay = _exponential(o, {m}, peak, transition_steps, decay_rate, transition_begin,"):
       "the name only labels _exponential's check of peak, already checked >= 0 above: that check never raises"
       for m in ("None", '"XXpeak_valueXX"', '"PEAK_VALUE"')},
    ("reduce_on_plateau", "best = jnp.where(improved, s.avg_value.astype(s.best_value.dtype), s.best_value)",
     "best = jnp.where(improved, s.avg_value.astype(None), s.best_value)"):
        "avg_value and best_value share one dtype, so the original cast does nothing; astype(None) goes to the "
        "default float, which holds a float16/bfloat16/float32 value exactly, and best is cast back to "
        "best_value's dtype before it is stored: the same values and dtypes",
}

# not equivalent, but no test can state a right answer that tells them apart
UNTESTABLE: dict[tuple[str, str, str], str] = {
    ("create_scheduler_v2", "num_epochs = int(total if step_on_epochs else total // updates_per_epoch)",
     "num_epochs = int(total if step_on_epochs else total / updates_per_epoch)"):
        "differs only above 2**53 updates, where t_initial (a float) already parts from timm's integer epochs",
}
