# ruff: noqa: E501  (a table of source lines, quoted whole)
"""Equivalent mutants of ``src/lrkit/compat/`` (the ``compat`` target of benchmarks/mutation.py),
keyed by (function, original line, mutated line), each with the reason it computes the same."""

from __future__ import annotations

_WARM = "_warm never uses its ops argument (t / float(max(1, w)))"
_NAME = "name is accepted and ignored (a TensorFlow op name)"
_NO_INVALID = ("no invalid operation: frac >= 0 and t_mul > 1 give x = 1 + frac (t_mul - 1) >= 1 (inf at worst), "
               "whose log and its quotient by log(t_mul) > 0 are never NaN")
_UNREACH_T1 = "unreachable: _index32 builds a table only when float32 t_mul != 1"

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
}

# not equivalent, but no test can state a right answer that tells them apart
UNTESTABLE: dict[tuple[str, str, str], str] = {
    ("create_scheduler_v2", "num_epochs = int(total if step_on_epochs else total // updates_per_epoch)",
     "num_epochs = int(total if step_on_epochs else total / updates_per_epoch)"):
        "differs only above 2**53 updates, where t_initial (a float) already parts from timm's integer epochs",
}
