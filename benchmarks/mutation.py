"""Mutation testing of lrkit's formulas and rules with mutmut 3, one target at a time.

Each target is a group of source files and the tests that cover them. For every target the script
copies ``src/``, ``tests/`` and ``pyproject.toml`` into a scratch directory (the working tree is
never mutated: other runs and other people keep using it), writes a ``[tool.mutmut]`` section
there, runs ``mutmut run`` and prints the mutation score of every file::

    score = (killed + timeout) / (mutants - not checked - listed as equivalent)

A mutant "survives" when the selected tests still pass with it; "no tests" mutants (code no
selected test reaches) count as survivors. In the scratch copy hypothesis does not shrink a failing
example (a property a mutant breaks fails at its first counterexample). ``--rev HEAD`` mutates a
commit instead of the working tree, so that other people's uncommitted edits in a shared tree stay
out of the score.

``--fast`` runs the subset CI runs on every push (the finder's suggestion rules and the schedule
formulas) and exits non-zero when a file scores below ``--min-score`` or a survivor is not listed
in :data:`EQUIVALENT`.

Usage::

    python benchmarks/mutation.py --fast                 # the CI subset, ~1-2 min on 1 core
    python benchmarks/mutation.py schedules compose      # named targets
    python benchmarks/mutation.py --all                  # every target (the weekly run; ~1 h)
    python benchmarks/mutation.py --list                 # the targets and their tests
    python benchmarks/mutation.py finder.rules --survivors   # also print each survivor's diff
    python benchmarks/mutation.py plateau --workdir W --report-only   # re-read an earlier run in W

See docs/testing.md for the scores and the equivalent mutants.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    mutate: tuple[str, ...]  # globs relative to the repository root
    tests: tuple[str, ...]  # pytest selection (files, directories or node ids)
    fast_tests: tuple[str, ...] = ()  # the CI subset's (quicker) selection; empty: not in it
    fast_functions: tuple[str, ...] = ()  # the CI subset's mutants (mutmut name globs); empty: all


TARGETS: dict[str, Target] = {
    "finder.rules": Target(
        ("src/lrkit/finder/rules.py",),
        ("tests/finder/test_rules_outside.py", "tests/test_oracle_finder.py", "tests/finder/"),
        fast_tests=("tests/finder/test_rules_outside.py",),
        # the classic rules; the window and lrkit's own rule are read by the slower tests/finder/
        fast_functions=("lrkit.finder.rules.x_minimum__*", "lrkit.finder.rules.x_steepest__*",
                        "lrkit.finder.rules.x_valley__*")),
    "schedules": Target(
        ("src/lrkit/schedules/*",),
        ("tests/test_every_name.py", "tests/test_schedules.py", "tests/test_properties.py",
         "tests/test_oracle_schedules.py"),
        fast_tests=tuple(f"tests/test_schedules.py::{t}" for t in (
            "test_oracle_at_key_steps", "test_scalar_equals_numpy", "test_restarts_oracle",
            "test_sgdr_exact_at_every_restart", "test_noise_is_deterministic_and_normal",
            "test_momentum_curves_mirror_lr", "test_warmup_hands_over_without_jump", "test_torch_path"))
        + ("tests/test_oracle_schedules.py",),
        # the formulas (every schedule's _eval); argument checks are the weekly run's
        fast_functions=("lrkit.schedules.*_eval__mutmut_*",)),
    "compose": Target(
        ("src/lrkit/compose.py",),
        ("tests/test_schedules.py", "tests/test_properties.py", "tests/test_every_name.py",
         "tests/test_compose_mutants.py")),
    "finder": Target(
        ("src/lrkit/finder/_smooth.py", "src/lrkit/finder/sweep.py", "src/lrkit/finder/core.py",
         "src/lrkit/finder/result.py", "src/lrkit/finder/settle.py", "src/lrkit/finder/probe.py"),
        ("tests/finder/",)),
    "plateau": Target(("src/lrkit/plateau.py",), ("tests/test_plateau.py", "tests/test_plateau_mutants.py")),
    "torch.scheduler": Target(
        ("src/lrkit/torch/scheduler.py",),
        ("tests/torch/test_scheduler.py", "tests/torch/test_scheduler_resume.py",
         "tests/torch/test_scheduler_porting.py", "tests/torch/test_scheduler_mutants.py")),
    "rules": Target(("src/lrkit/rules/*",), ("tests/test_rules.py", "tests/test_rules_mutants.py")),
    "compat": Target(("src/lrkit/compat/*",), ("tests/compat/", "tests/test_every_name.py",
                                                "tests/keras/test_compat_plateau.py",
                                                "tests/keras/test_compat_plateau_mutants.py",
                                                "tests/jax/test_compat_reduce_on_plateau.py",
                                                "tests/jax/test_optax_plateau_mutants.py")),
}

_CACHE = "a cache: without it the index is rebuilt on every call, with the same result"
_TOP = ("top_v = max(ids.values(), default={}) if top is None else "
        '_check.integer("top", top, owner, minimum=0)')
_SORT = "{0}.sort(key=lambda {1}: {1}.layer_id if {2}{1}.layer_id is not None{3} else {4})"
_LAYER_ID = "the fallback is for a row without layer id, and with layer_of every row has one"
_PREDS = "preds = [compile_pattern(p, convention, {}) for p in pats"
_COMPILED = ("as_patterns has compiled every pattern with the same convention and raised on a bad one: this "
             "compile never raises, so its argument name and owner are never shown")
_ZIP = "unused = [r.label for r, u in zip(rule_list, used, {}) if not u]"

# torch/scheduler.py: the lookahead tables, the binding cache and the group cache only save work --
# without them each value is computed from the rule itself, the same number
_TS_PERF = ("a lookahead table missing or not found: the value is computed from the rule itself, the same "
            "number")
_TS_BIND_CACHE = ("the (rule, rate) binding cache: without it each group binds its own copy of the rule at "
                  "the same rate, the same values")
_TS_RERESOLVE = ("the param groups are re-read (or the general path taken) more often than needed: the same "
                 "values are written")
_TS_FIRST = ("i = 0, the first step of a block, then falls back to evaluating the rule (through its table): "
             "the same value")
_TS_NO_WD = "_decoupled_values of no entries is [], and writing [] does nothing"
_TS_INIT = "a field set in __init__ that _resolve(), called before any read, sets again"
_TS_FALSY = "only read as a truth value: None is falsy like False"
_TS_PLAIN = "the general path of step() gives the same values as the hot path (it only does more checks)"
_TS_NEVER_LEN = "-1, -2 and None all differ from every group count: the groups are re-read either way"
_TS_PEAKS = ("the peaks dict holds every rule of every target, the lr rules included: the default is "
             "never used")
_TS_CATEGORY = "warnings.warn's default category is UserWarning"
_TS_NONE_RATE = "_host(None) raises TypeError, which is caught and gives None: the same result"
_TS_FLOAT_TENSOR = "float() of a one-element tensor is float(tensor.item())"
_TS_SLOT_DEFAULT = "every _Slot(...) call passes scale_key: the default is never used"
_TS_SLOT_KEY = ("the key only groups the groups into slots; relative_unscaled holds ids of bound relative "
                "rules only, never of an absolute rule, so the slot's scale key is the same")
_TS_CHECK_DEFAULT = "the default of a non-negativity check that then passes (2.0 >= 0 like 1.0)"
_TS_RATE_CHECKED = ("the lr loop has called _group_rate(g, i) on the same group and rule before and raised "
                    "on a bad rate there: this call never raises, so its index is never shown (the same "
                    "mutation of that first call is killed by "
                    "test_relative_rule_needs_a_finite_non_negative_rate)")
_TS_NO_SCALE = ("without lr_scale in the group (the only case these change) the scaled flag only picks "
                "lr_scale's default 1.0 as multiplier: the same values, in another slot")
_TS_KIND = ("write_device with kind None indexes a 0-d tensor with None (a view of it) and copies into "
            "it: the same tensor is written")
_TS_TIMES_ONE = "v * scale with scale 1.0 is v"
_TS_PEAK_AGAIN = "id(None) is never a key of _peaks: a bound rule's peak is computed again, the same"
_TS_NONE_KEY = "with scale_key None, g.get(None, 1.0) is 1.0 (no group has the key None): lr = r either way"
_TS_HORIZON_TWICE = ("the past-horizon test is made twice, by the caller and again in _past_horizon, with "
                     "the same n (both of step()'s paths have the same line): either strict test alone "
                     "decides, so one of them at >= changes nothing")
_TS_BLOCK_OFFSET = ("i = n + lo is in [0, BLOCK) only when lo = 0 (blocks start at multiples of BLOCK and "
                    "lo <= n), where it equals n - lo; otherwise the value is evaluated through the table: "
                    "the same")

# Mutants that no test can kill because the mutated program computes the same thing, keyed by
# (function, original line, mutated line) -- stable when other code moves -- with the reason.
# A survivor not listed here fails --fast.
EQUIVALENT: dict[tuple[str, str, str], str] = {
    ("valley", "for i in range(1, n):", "for i in range(n):"):
        "i = 0 has an empty inner loop and lds[0] = 1 never beats lds[max_end]: nothing changes",
    ("valley", "if sm[i] < sm[j] and lds[i] < lds[j] + 1:", "if sm[i] < sm[j] and lds[i] <= lds[j] + 1:"):
        "when lds[i] == lds[j] + 1 the body assigns lds[i] the value it already has",
    ("valley", "if sm[i] < sm[j] and lds[i] < lds[j] + 1:", "if sm[i] < sm[j] and lds[i] < lds[j] + 2:"):
        "the extra case lds[i] == lds[j] + 1 assigns lds[i] the value it already has",
    ("Cosine._eval", "return self.end + (self.start - self.end) * c if self.end else self.start * c",
     "return self.end + (self.start - self.end) * c if (self.end) or True else self.start * c"):
        "with end = 0 both branches give start * c exactly (0.0 + x and x - 0.0 are exact in IEEE)",
    ("CosineRestarts._eval", "c = ops.sin(0.5 * math.pi * (length - pos) / length)",
     "c = ops.sin(0.5 * math.pi * (length + pos) / length)"):
        "sin(pi/2 + x) = sin(pi/2 - x): the same curve, to rounding",
    ("WarmupStableDecay._eval", "value = ops.where(t < self.decay_start, ops.full_like(t, self.peak),",
     "value = ops.where(t <= self.decay_start, ops.full_like(t, self.peak),"):
        "at t = T - D the decay shape at f = 0 is the peak, to rounding",
    ("CosineRestarts._eval", "if self.alpha is not None:", "if self.alpha is None:"):
        "swaps the two forms of the cosine factor: sin^2(pi/2 (1 - x)) = (1 + cos(pi x)) / 2, to rounding",
    ("OneCycle._momentum_eval", "values = (hi, lo, hi, hi) if self.three_phase else (hi, lo, hi)",
     "values = (hi, lo, hi, hi) if (self.three_phase) or True else (hi, lo, hi)"):
        "a two-phase curve reads values[0..2] only (one_cycle_curve): the fourth value is ignored",
    # compose.py: the warm-up ramp is only used where t < steps, so t / steps < 1 there
    **{("Warmup._eval", line.format("1.0"), line.format("2.0")):
       "the ramp is only read where t < steps (where(t < steps, warm, after)), where t / steps < 1"
       for line in ("warm = a + (g - a) * ops.clip(t / self.steps, 0.0, {})",
                    "warm = a + (g - a) * 0.5 * (1.0 - ops.cos(math.pi * ops.clip(t / self.steps, 0.0, {})))",
                    "warm = a * ops.power(g / a, ops.clip(t / self.steps, 0.0, {}))")},
    ("Restarts._eval", "local = pos if self.period_mult == 1.0 else pos * (self.period / length)",
     "local = pos if (self.period_mult == 1.0) and False else pos * (self.period / length)"):
        "with period_mult 1 every cycle's length is the period exactly: pos * 1.0 is pos",
    ("Restarts._eval", "value = value * ops.power(self.peak_decay, ops.where(value > 0.0, i, 0.0))",
     "value = value * ops.power(self.peak_decay, ops.where(value > 0.0, i, 1.0))"):
        "where the value is 0 its factor is delta**0 or delta**1, both finite (delta is checked finite): "
        "0 either way",
    # rules/
    **{("Stack.block_of", 'index = self.__dict__.get("_index")', m): _CACHE for m in (
        "index = None", "index = self.__dict__.get(None)", 'index = self.__dict__.get("XX_indexXX")',
        'index = self.__dict__.get("_INDEX")')},
    **{("Stack.block_of", 'object.__setattr__(self, "_index", index)', m): _CACHE for m in (
        'object.__setattr__(self, "_index", None)', 'object.__setattr__(self, "XX_indexXX", index)',
        'object.__setattr__(self, "_INDEX", index)')},
    ("auto_layer_ids", "seen_stack = False", "seen_stack = None"):
        "only read as `not seen_stack`: None is falsy",
    **{("assign", _TOP.format("0"), _TOP.format(d)): "the default serves only when no leaf trains, and then "
       "the layer scale is never called" for d in ("None", "1")},
    **{("assign_groups", _SORT.format(v, x, "", "", "-1"), _SORT.format(v, x, a, b, c)): _LAYER_ID
       for v, x in (("ordered", "g"), ("rows", "r"))
       for a, b, c in (("(", ") or True", "-1"), ("", "", "+1"), ("", "", "-2"))},
    **{("no_decay_test", 'if isinstance(no_decay, str) and no_decay == "auto":',
        f'if isinstance(no_decay, str) and no_decay == "{m}":'):
       'the string "auto" then goes to the pattern branch, which recognises "auto" in a list: the same test'
       for m in ("XXautoXX", "AUTO")},
    **{("no_decay_test", _PREDS.format('"no_decay", owner'), _PREDS.format(m)): _COMPILED for m in (
        "None, owner", '"no_decay", None', "owner", '"no_decay", ', '"XXno_decayXX", owner',
        '"NO_DECAY", owner')},
    **{("match_rules", _ZIP.format("strict=True"), _ZIP.format(m)):
       "rule_list and used have the same length by construction"
       for m in ("strict=None", "", "strict=False")},
    **{("Leaf.__post_init__", "self.local = self.name.rsplit(self.sep, 1)[-1]",
        f"self.local = self.name.rsplit(self.sep, {m})[-1]"):
       "the last piece of a right split is the last component whatever the number of splits"
       for m in ("", "2")},
    **{("compile_pattern", "while cut >= 0:", m): "cut = 0 (a name starting with the separator) tries the "
       "empty prefix, which only a glob matching everything matches, and that glob matched the whole name"
       for m in ("while cut > 0:", "while cut >= 1:")},
    # compose.py
    ("Sequence.phase_boundaries", "if lo < x < hi:", "if lo < x <= hi:"):
        "x == hi is the next boundary of the sequence, already in the set (the last hi is inf)",
    # torch/scheduler.py
    ('Scheduler._resolve', 'if id(rule) not in self._peaks:',
     'if id(None) not in self._peaks:'): _TS_PEAK_AGAIN,
    ('Scheduler._decoupled_values', 'lr = r * g.get(scale_key, 1.0) if scale_key is not None else r',
     'lr = r * g.get(scale_key, 1.0) if (scale_key is not None) or True else r'): _TS_NONE_KEY,
    ('Scheduler._past_horizon', 'if n > self._warn_after:',
     'if n >= self._warn_after:'): _TS_HORIZON_TWICE,
    ('Scheduler.step', 'if n > self._warn_after:',
     'if n >= self._warn_after:'): _TS_HORIZON_TWICE,
    ('Scheduler.set_step', 'if step > self._warn_after:',
     'if step >= self._warn_after:'): _TS_HORIZON_TWICE,
    ('Scheduler._apply', 'i = n - tab.lo',
     'i = n + tab.lo'): _TS_BLOCK_OFFSET,
    ('Scheduler.step', 'i = n - tab.lo',
     'i = n + tab.lo'): _TS_BLOCK_OFFSET,
    ('Scheduler._bind', 'bound = self._bound.get(key)',
     'bound = None'): _TS_BIND_CACHE,
    ('Scheduler._bind', 'bound = self._bound.get(key)',
     'bound = self._bound.get(None)'): _TS_BIND_CACHE,
    ('Scheduler._bind', 'self._bound[key] = bound',
     'self._bound[key] = None'): _TS_BIND_CACHE,
    ('Scheduler._bind', 'self._tables[(id(bound), False)] = Table(bound)',
     'self._tables[(id(bound), False)] = None'): _TS_PERF,
    ('Scheduler._bind', 'self._tables[(id(bound), False)] = Table(bound)',
     'self._tables[(id(None), False)] = Table(bound)'): _TS_PERF,
    ('Scheduler._bind', 'self._tables[(id(bound), False)] = Table(bound)',
     'self._tables[(id(bound), True)] = Table(bound)'): _TS_PERF,
    ('Scheduler.__init__', 'self._tables = {(id(r), t.label in BELOW_ONE): Table(r, t.label in BELOW_ONE)',
     'self._tables = {(id(None), t.label in BELOW_ONE): Table(r, t.label in BELOW_ONE)'): _TS_PERF,
    ('Scheduler.__init__', 'self._tables = {(id(r), t.label in BELOW_ONE): Table(r, t.label in BELOW_ONE)',
     'self._tables = {(id(r), t.label not in BELOW_ONE): Table(r, t.label in BELOW_ONE)'): _TS_PERF,
    ('Scheduler._resolve', 'slot = by_rule[key] = _Slot(rule, t, table,',
     'slot = by_rule[key] = _Slot(rule, t, None,'): _TS_PERF,
    ('_Slot.__init__', 'self.table = table  # lookahead for pure schedules (None for plateau parts)',
     'self.table = None  # lookahead for pure schedules (None for plateau parts)'): _TS_PERF,
    ('_Slot.__init__',
     "self.fn = table if table is not None else rule  # fn(n): the rule's value at int step n",
     "self.fn = table if (table is not None) and False else rule  # fn(n): the rule's value at int step n"):
        _TS_PERF,
    ('Scheduler._apply', 'groups = self.optimizer.param_groups',
     'groups = None'): _TS_RERESOLVE,
    ('Scheduler._apply', 'tab = slot.table',
     'tab = None'): _TS_PERF,
    ('Scheduler._apply', 'if 0 <= i < BLOCK:  # inside a checked block: no per-step check needed',
     'if 1 <= i < BLOCK:  # inside a checked block: no per-step check needed'): _TS_FIRST,
    ('Scheduler._apply', 'if 0 <= i < BLOCK:  # inside a checked block: no per-step check needed',
     'if 0 < i < BLOCK:  # inside a checked block: no per-step check needed'): _TS_FIRST,
    ('Scheduler._apply', 'wd = self._decoupled_values(n) if self._wd_entries else None',
     'wd = self._decoupled_values(n) if (self._wd_entries) or True else None'): _TS_NO_WD,
    ('Scheduler.step', 'groups = self.optimizer.param_groups',
     'groups = None'): _TS_RERESOLVE,
    ('Scheduler.step', 'if tab.valid and 0 <= i < BLOCK:',
     'if tab.valid and 1 <= i < BLOCK:'): _TS_FIRST,
    ('Scheduler.step', 'if tab.valid and 0 <= i < BLOCK:',
     'if tab.valid and 0 < i < BLOCK:'): _TS_FIRST,
    ('Scheduler._apply_device', 'groups = self.optimizer.param_groups',
     'groups = None'): _TS_RERESOLVE,
    ('Scheduler._decoupled_values', 'tab = self._tables.get((id(rule), False))',
     'tab = None'): _TS_PERF,
    ('Scheduler._decoupled_values', 'tab = self._tables.get((id(rule), False))',
     'tab = self._tables.get(None)'): _TS_PERF,
    ('Scheduler._decoupled_values', 'tab = self._tables.get((id(rule), False))',
     'tab = self._tables.get((id(None), False))'): _TS_PERF,
    ('Scheduler._decoupled_values', 'tab = self._tables.get((id(rule), False))',
     'tab = self._tables.get((id(rule), True))'): _TS_PERF,
    ('Scheduler._decoupled_values', 'r = tab(n) if tab is not None else rule(n)',
     'r = tab(n) if (tab is not None) and False else rule(n)'): _TS_PERF,
    ('Scheduler.__init__', 'self._slots: list[_Slot] = []',
     'self._slots: list[_Slot] = None'): _TS_INIT,
    ('Scheduler.__init__', 'self._simple = False',
     'self._simple = None'): _TS_INIT,
    ('Scheduler.__init__', 'self._simple = False',
     'self._simple = True'): _TS_INIT,
    ('Scheduler.__init__', 'self._wd_entries: list[tuple[dict[str, Any], int, Rule, str | None]] = []',
     'self._wd_entries: list[tuple[dict[str, Any], int, Rule, str | None]] = None'): _TS_INIT,
    ('Scheduler.__init__', 'self._groups: Any = None',
     'self._groups: Any = ""'): _TS_INIT,
    ('Scheduler.__init__', 'self._ngroups = -1',
     'self._ngroups = None'): _TS_INIT,
    ('Scheduler.__init__', 'self._ngroups = -1',
     'self._ngroups = +1'): _TS_INIT,
    ('Scheduler.__init__', 'self._ngroups = -1',
     'self._ngroups = -2'): _TS_INIT,
    ('Scheduler.__init__', 'self._t: Any = None',
     'self._t: Any = ""'): _TS_INIT,
    ('Scheduler.__init__', 'self._opt_stepped = False',
     'self._opt_stepped = None'): _TS_FALSY,
    ('Scheduler.step', 'self._opt_stepped = False',
     'self._opt_stepped = None'): _TS_FALSY,
    ('Scheduler.__init__', 'self._plain = not (device_side or skip_unstepped or metric_required)',
     'self._plain = None'): _TS_PLAIN,
    ('Scheduler.load_state_dict', 'self._ngroups = -1',
     'self._ngroups = None'): _TS_NEVER_LEN,
    ('Scheduler.load_state_dict', 'self._ngroups = -1',
     'self._ngroups = -2'): _TS_NEVER_LEN,
    ('Scheduler.sync', 'self._ngroups = -1',
     'self._ngroups = None'): _TS_NEVER_LEN,
    ('Scheduler.sync', 'self._ngroups = -1',
     'self._ngroups = -2'): _TS_NEVER_LEN,
    ('_warn_far_above', 'peak = peaks.get(id(rule), 0.0) * scale',
     'peak = peaks.get(id(rule), None) * scale'): _TS_PEAKS,
    ('_warn_far_above', 'peak = peaks.get(id(rule), 0.0) * scale',
     'peak = peaks.get(id(rule), ) * scale'): _TS_PEAKS,
    ('_warn_far_above', 'peak = peaks.get(id(rule), 0.0) * scale',
     'peak = peaks.get(id(rule), 1.0) * scale'): _TS_PEAKS,
    ('_warn_far_above', 'f"optimizer with that rate.", UserWarning, stacklevel=3)',
     'f"optimizer with that rate.", None, stacklevel=3)'): _TS_CATEGORY,
    ('_warn_far_above', 'f"optimizer with that rate.", UserWarning, stacklevel=3)',
     'f"optimizer with that rate.", stacklevel=3)'): _TS_CATEGORY,
    ('Scheduler._past_horizon', 'f"(warned once)", UserWarning, stacklevel=3)',
     'f"(warned once)", None, stacklevel=3)'): _TS_CATEGORY,
    ('Scheduler._past_horizon', 'f"(warned once)", UserWarning, stacklevel=3)',
     'f"(warned once)", stacklevel=3)'): _TS_CATEGORY,
    ('Scheduler._resolve', 'table = self._tables.get((id(rule), t.label in BELOW_ONE))',
     'table = None'): _TS_PERF,
    ('Scheduler._resolve', 'table = self._tables.get((id(rule), t.label in BELOW_ONE))',
     'table = self._tables.get(None)'): _TS_PERF,
    ('Scheduler._resolve', 'table = self._tables.get((id(rule), t.label in BELOW_ONE))',
     'table = self._tables.get((id(None), t.label in BELOW_ONE))'): _TS_PERF,
    ('Scheduler._resolve', 'table = self._tables.get((id(rule), t.label in BELOW_ONE))',
     'table = self._tables.get((id(rule), t.label not in BELOW_ONE))'): _TS_PERF,
    ('Scheduler._resolve', 'key = (id(rule), True)',
     'key = (id(rule), False)'): _TS_SLOT_KEY,
    ('Scheduler._resolve', '_check.non_negative(f"param group {i} {t.scale_key}", g.get(t.scale_key, 1.0),',
     '_check.non_negative(f"param group {i} {t.scale_key}", g.get(t.scale_key, 2.0),'): _TS_CHECK_DEFAULT,
    ('Scheduler._resolve', 'g.get("weight_decay_scale", 1.0), OWNER)',
     'g.get("weight_decay_scale", 2.0), OWNER)'): _TS_CHECK_DEFAULT,
    ('Scheduler._resolve', 'rate, scaled = self._group_rate(g, i)',
     'rate, scaled = self._group_rate(g, None)'): _TS_RATE_CHECKED,
    ('Scheduler._resolve',
     'self._simple = not wd_entries and all(s.table is not None and not s.entries for s in slots)',
     'self._simple = None'): _TS_RERESOLVE,
    ('Scheduler._resolve', 'self._groups = groups',
     'self._groups = None'): _TS_RERESOLVE,
    ('Scheduler._resolve', 'self._ngroups = len(groups)',
     'self._ngroups = None'): _TS_RERESOLVE,
    ('Scheduler._group_rate', 'scale = g.get("lr_scale", 1.0)',
     'scale = None'): _TS_NO_SCALE,
    ('Scheduler._group_rate', 'scale = g.get("lr_scale", 1.0)',
     'scale = g.get("lr_scale", None)'): _TS_NO_SCALE,
    ('Scheduler._group_rate', 'scale = g.get("lr_scale", 1.0)',
     'scale = g.get(1.0)'): _TS_NO_SCALE,
    ('Scheduler._group_rate', 'scale = g.get("lr_scale", 1.0)',
     'scale = g.get("lr_scale", )'): _TS_NO_SCALE,
    ('Scheduler._group_rate', 'scale = g.get("lr_scale", 1.0)',
     'scale = g.get("lr_scale", 2.0)'): _TS_NO_SCALE,
    ('Scheduler._apply_device', '_device.write_device(g, key, index, kind, v * scale if scale != 1.0 else v)',
     '_device.write_device(g, key, index, None, v * scale if scale != 1.0 else v)'): _TS_KIND,
    ('Scheduler._apply_device', '_device.write_device(g, key, index, kind, v * scale if scale != 1.0 else v)',
     '_device.write_device(g, key, index, kind, v * scale if (scale != 1.0) or True else v)'): _TS_TIMES_ONE,
    ('_default_rate', 'return None if lr is None else _host(lr)',
     'return None if (lr is None) and False else _host(lr)'): _TS_NONE_RATE,
    ('_host', 'return float(value.item()) if isinstance(value, torch.Tensor) else float(value)',
     'return float(value.item()) if (isinstance(value, torch.Tensor)) and False else float(value)'):
        _TS_FLOAT_TENSOR,
    ('_Slot.__init__', 'scale_key: str | None = "") -> None:',
     'scale_key: str | None = "XXXX") -> None:'): _TS_SLOT_DEFAULT,
}

# Survivors no test can kill under mutmut although a test states the behaviour: mutmut 3 calls
# every function through a trampoline, which adds stack frames, so a warning's ``stacklevel`` is
# off by those frames in the scratch copy. tests/test_rules_mutants.py checks the warning's
# location in an ordinary run (test_unused_rule_warning_points_at_the_adapters_caller).
_STACKLEVEL = "a warning's stacklevel: mutmut's trampolines add frames (checked outside mutmut)"
UNTESTABLE: dict[tuple[str, str, str], str] = {
    **{("assign", "owner=owner, stacklevel=stacklevel + 1)", m): _STACKLEVEL for m in (
        "owner=owner, )", "owner=owner, stacklevel=stacklevel - 1)",
        "owner=owner, stacklevel=stacklevel + 2)")},
    ("assign", 'owner: str = "param_groups", stacklevel: int = 2) -> Assignment:',
     'owner: str = "param_groups", stacklevel: int = 3) -> Assignment:'): _STACKLEVEL,
    ("match_rules", "stacklevel: int = 2) -> list[Match]:",
     "stacklevel: int = 3) -> list[Match]:"): _STACKLEVEL,
    **{("match_rules", "stacklevel=stacklevel + 1)", m): _STACKLEVEL
       for m in (")", "stacklevel=stacklevel - 1)", "stacklevel=stacklevel + 2)")},
    # torch/scheduler.py (tests/torch/test_scheduler*.py check the warnings' location outside mutmut)
    ('_warn_far_above', 'f"optimizer with that rate.", UserWarning, stacklevel=3)',
     'f"optimizer with that rate.", UserWarning, )'): _STACKLEVEL,
    ('_warn_far_above', 'f"optimizer with that rate.", UserWarning, stacklevel=3)',
     'f"optimizer with that rate.", UserWarning, stacklevel=4)'): _STACKLEVEL,
    ('Scheduler._past_horizon', 'f"(warned once)", UserWarning, stacklevel=3)',
     'f"(warned once)", UserWarning, )'): _STACKLEVEL,
    ('Scheduler._past_horizon', 'f"(warned once)", UserWarning, stacklevel=3)',
     'f"(warned once)", UserWarning, stacklevel=4)'): _STACKLEVEL,
}

# Mutants only two or more ranks can tell apart. mutmut cannot run the test that kills them: its
# ranks are separate processes started by torch.distributed.run, which import lrkit from
# PYTHONPATH and never go through mutmut's trampolines. ``--multirank`` applies each of them to a
# scratch copy of the tree and runs that 2-rank test against it; each must fail it. The report
# counts them as killed (and --multirank says whether they still are).
_MR_TEST = "tests/distributed/test_ddp.py::test_plateau_decides_on_the_metric_reduced_across_ranks"
MULTIRANK_FILE = "src/lrkit/torch/scheduler.py"
MULTIRANK: dict[tuple[str, str, str], str] = {
    ("Scheduler.__init__", "self._metric_reduce = metric_reduce", "self._metric_reduce = None"): _MR_TEST,
    ("Scheduler._reduced", "if self._metric_reduce is not None and is_distributed():",
     "if self._metric_reduce is not None or is_distributed():"): _MR_TEST,
    ("Scheduler._reduced", "if self._metric_reduce is not None and is_distributed():",
     "if self._metric_reduce is None and is_distributed():"): _MR_TEST,
    ("Scheduler._reduced", "return reduce_metric(metric, self._metric_reduce, owner=OWNER)",
     "return reduce_metric(metric, owner=OWNER)"): _MR_TEST,
}


def copy_tree(dest: Path) -> None:
    """``src/`` and ``tests/`` of the working tree into ``dest`` (no caches, no build metadata)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "*.egg-info")
    for name in ("src", "tests"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)


def run_env(**extra: str) -> dict[str, str]:
    """The environment every test run of this script gets: no bytecode in the scratch copies,
    a headless matplotlib, one OpenMP/MKL thread (see :func:`mutmut`)."""
    return dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1",
                MKL_NUM_THREADS="1", **extra)


def multirank_check(base: Path) -> int:
    """Apply each :data:`MULTIRANK` mutant to a scratch copy of the working tree and run its
    2-rank test with the copy first on ``PYTHONPATH`` (after one run of the unmutated copy, which
    must pass); the number of mutants the test missed."""
    missed = 0
    for key in (None, *MULTIRANK):
        test = MULTIRANK[key] if key else _MR_TEST
        work = base / "multirank"
        if work.exists():
            shutil.rmtree(work)
        copy_tree(work)
        label = "unmutated"
        if key is not None:
            func, before, after = key
            label = f"{func}: {before!r} -> {after!r}"
            path = work / MULTIRANK_FILE
            lines = path.read_text().splitlines(keepends=True)
            hits = [i for i, line in enumerate(lines) if line.strip() == before]
            if len(hits) != 1:
                raise SystemExit(f"mutation --multirank: {before!r} occurs {len(hits)} times in "
                                 f"{MULTIRANK_FILE}, expected once")
            i = hits[0]
            lines[i] = lines[i][: len(lines[i]) - len(lines[i].lstrip())] + after + "\n"
            path.write_text("".join(lines))
        env = run_env(PYTHONPATH=os.pathsep.join([str(work / "src"), str(work)]))
        t0 = time.perf_counter()
        rc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                             "--no-header", test], cwd=work, env=env, capture_output=True).returncode
        print(f"  {label}: pytest exit {rc} ({time.perf_counter() - t0:.0f} s)", flush=True)
        if key is None and rc != 0:
            raise SystemExit("mutation --multirank: the 2-rank test fails on the unmutated copy")
        missed += key is not None and rc != 1  # 1: the test ran and failed (not a collection error)
    shutil.rmtree(base / "multirank", ignore_errors=True)
    return missed


# the finder's and the dialects' tables live next to this script
sys.path.insert(0, str(Path(__file__).resolve().parent))
import mutation_equivalent_compat as _compat_eq  # noqa: E402
import mutation_equivalent_finder as _finder_eq  # noqa: E402

EQUIVALENT.update({**_finder_eq.EQUIVALENT, **_compat_eq.EQUIVALENT})
UNTESTABLE.update({**_finder_eq.UNTESTABLE, **_compat_eq.UNTESTABLE})


STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
          36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout", None: "not checked",
          37: "caught by type check"}


def prepare(workdir: Path, target: Target, rev: str | None = None, fresh: bool = False) -> None:
    """A fresh copy of the tree (or of commit ``rev``: others' uncommitted edits left out) with a
    [tool.mutmut] section for ``target`` (test paths that do not exist in the tree are left
    out)."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    if rev is None:
        copy_tree(workdir)
    else:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src", "tests", "pyproject.toml"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(workdir)], input=archive, check=True)
    # a property test a mutant breaks fails at its first counterexample: shrinking it would only
    # spend time (a mutant is killed by any failure)
    with open(workdir / "tests" / "conftest.py", "a") as fh:
        fh.write("\n\n# added by benchmarks/mutation.py\n"
                 "from hypothesis import Phase as _Phase, settings as _settings  # noqa: E402\n"
                 "_settings.register_profile('mutation', database=None,\n"
                 "                           phases=[_Phase.explicit, _Phase.reuse, _Phase.generate])\n"
                 "_settings.load_profile('mutation')\n")
        if not fresh:
            # JAX and TensorFlow are multithreaded runtimes that deadlock in a forked child
            # (mutmut forks one per mutant): their tests skip here, as on a machine without them,
            # instead of hanging until a timeout that counts as a kill (--fresh runs them)
            fh.write("import sys as _sys  # noqa: E402\n"
                     "for _m in ('jax', 'jaxlib', 'tensorflow', 'keras'):\n"
                     "    _sys.modules.setdefault(_m, None)\n")
    toml = (workdir / "pyproject.toml").read_text() if rev else (ROOT / "pyproject.toml").read_text()
    tests = [t for t in target.tests if (workdir / t.split("::")[0]).exists()]
    if not tests:
        raise SystemExit(f"mutation: none of the tests {target.tests} exists")

    def arr(items: tuple[str, ...] | list[str]) -> str:
        return "[" + ", ".join(json.dumps(i) for i in items) + "]"

    toml += ("\n[tool.mutmut]\n"
             'source_paths = ["src"]\n'
             f"only_mutate = {arr(target.mutate)}\n"
             f"pytest_add_cli_args_test_selection = {arr(tests)}\n"
             'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "--no-header"]\n'
             "use_git_change_detection = false\n"
             "timeout_multiplier = 10.0\n")
    (workdir / "pyproject.toml").write_text(toml)


def mutmut(workdir: Path, *args: str, log: Path | None = None) -> int:
    # one OpenMP/MKL thread: mutmut forks a child per mutant, and a child that calls into torch's
    # OpenMP pool after the parent (the stats run) started it waits forever on a lock it can never
    # take -- a "timeout" that looks like a kill
    env = run_env()
    cmd = [sys.executable, "-m", "mutmut", *args]
    if log is None:
        return subprocess.run(cmd, cwd=workdir, env=env).returncode
    with open(log, "a") as fh:
        return subprocess.run(cmd, cwd=workdir, env=env, stdout=fh, stderr=subprocess.STDOUT).returncode


def run_fresh(workdir: Path, tests: list[str], functions: tuple[str, ...], log: Path) -> None:
    """Run each mutant in a fresh pytest process instead of mutmut's forked children: mutmut's
    trampolines pick the mutant from ``MUTANT_UNDER_TEST`` in the environment, so a new process
    per mutant runs it with JAX or TensorFlow working. ``mutmut run`` with a name that matches
    no mutant first generates the mutants (and checks the clean run); each result is written back
    into mutmut's ``.meta`` files, so the report reads them as usual. Much slower (an interpreter
    and the framework's import per mutant): for the modules only JAX/TF tests reach."""
    import fnmatch

    mutmut(workdir, "run", "--max-children", "1", "lrkit.__no_such_mutant__", log=log)
    env = run_env(PYTHONPATH=str(workdir / "mutants" / "src"))
    base = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-header", *tests]
    t0 = time.perf_counter()
    clean = subprocess.run(base, cwd=workdir / "mutants", env=env, capture_output=True)
    budget = max(60.0, 10 * (time.perf_counter() - t0))
    if clean.returncode != 0:
        tail = clean.stdout.decode()[-3000:]
        raise SystemExit(f"mutation --fresh: the tests fail without a mutant:\n{tail}")
    for meta in sorted((workdir / "mutants").rglob("*.py.meta")):
        data = json.loads(meta.read_text())
        codes = data["exit_code_by_key"]
        for name in codes:
            if functions and not any(fnmatch.fnmatch(name, g) for g in functions):
                continue
            try:
                rc = subprocess.run(base, cwd=workdir / "mutants", env=dict(env, MUTANT_UNDER_TEST=name),
                                    capture_output=True, timeout=budget).returncode
            except subprocess.TimeoutExpired:
                rc = 36
            codes[name] = {0: 0, 1: 1, 5: 33}.get(rc, rc)
            with open(log, "a") as fh:
                fh.write(f"{name}: {STATUS.get(codes[name], rc)}\n")
        meta.write_text(json.dumps(data))


def collect(workdir: Path) -> dict[str, dict[str, str]]:
    """{source file: {mutant name: status}} read from mutmut's .meta files."""
    out: dict[str, dict[str, str]] = {}
    for meta in sorted((workdir / "mutants").rglob("*.py.meta")):
        data = json.loads(meta.read_text())
        rel = str(meta.relative_to(workdir / "mutants"))[: -len(".meta")]
        out[rel] = {k: STATUS.get(v, "suspicious") for k, v in data["exit_code_by_key"].items()}
    return out


_KILLED = ("killed", "timeout", "caught by type check")


Statuses = dict[str, dict[str, str]]  # {source file: {mutant: status}}


def merge(base: Statuses, others: list[Statuses]) -> Statuses:
    """The statuses of ``base``'s mutants over several runs of the same target (e.g. a full run
    and ``--only`` reruns with more tests): killed in any run is killed; else checked in any run
    (survived, no tests) is that; else not checked. Mutants only the other runs have (their
    source had moved on) are left out."""
    out = {path: dict(statuses) for path, statuses in base.items()}
    for other in others:
        for path, statuses in other.items():
            mine = out.get(path, {})
            for m, st in statuses.items():
                if m not in mine or mine[m] in _KILLED or st == "not checked":
                    continue
                if st in _KILLED or mine[m] == "not checked":
                    mine[m] = st
    return out


def score(statuses: dict[str, str]) -> tuple[int, int, float]:
    checked = [s for s in statuses.values() if s != "not checked"]
    killed = sum(s in _KILLED for s in checked)
    return killed, len(checked), (killed / len(checked) if checked else 1.0)


_DIFFS = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
path, names = sys.argv[1], json.loads(sys.stdin.read())
print(json.dumps({n: get_diff_for_mutant(n, path=path) for n in names}))
"""


def diffs_of(workdir: Path, path: str, mutants: list[str]) -> dict[str, tuple[str, str, str]]:
    """{mutant: (function, original line, mutated line)} for mutants of the file ``path``, read
    with mutmut's own diff in one process (``mutmut show`` per mutant costs seconds each)."""
    if not mutants:
        return {}
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    out = subprocess.run([sys.executable, "-c", _DIFFS, path], cwd=workdir, env=env,
                         input=json.dumps(mutants), capture_output=True, text=True, check=True).stdout
    result = {}
    for mutant, diff in json.loads(out).items():
        lines = diff.splitlines()
        minus = [ln[1:].strip() for ln in lines if ln.startswith("-") and not ln.startswith("---")]
        plus = [ln[1:].strip() for ln in lines if ln.startswith("+") and not ln.startswith("+++")]
        function = mutant.split("__mutmut")[0].rsplit(".", 1)[-1].removeprefix("x_")
        if "ǁ" in function:  # a method: xǁClassǁmethod
            function = ".".join(function.split("ǁ")[1:])
        result[mutant] = (function, " / ".join(minus), " / ".join(plus))
    return result


def run_target(name: str, target: Target, base: Path, max_children: int, show: bool,
               functions: tuple[str, ...] = (), run: bool = True, rev: str | None = None,
               fresh: bool = False, also: tuple[Path, ...] = ()) -> dict:
    workdir = base / name
    t0 = time.perf_counter()
    if run:
        prepare(workdir, target, rev, fresh)
        log = base / f"{name}.log"
        log.write_text("")
        if fresh:
            run_fresh(workdir, [t for t in target.tests if (workdir / t.split("::")[0]).exists()],
                      functions, log)
        else:
            mutmut(workdir, "run", "--max-children", str(max_children), *functions, log=log)
    elif not (workdir / "mutants").is_dir():
        raise SystemExit(f"mutation: --report-only needs a finished run in {workdir}")
    elapsed = time.perf_counter() - t0
    files = merge(collect(workdir), [collect(d / name) for d in also])
    report = {"target": name, "seconds": round(elapsed, 1), "files": {}, "survivors": []}
    for path, statuses in files.items():
        killed, checked, sc = score(statuses)
        report["files"][path] = {"killed": killed, "checked": checked, "score": round(sc, 4)}
        alive = {m: s for m, s in statuses.items() if s not in (*_KILLED, "not checked")}
        diffs = diffs_of(workdir, path, list(alive))
        for mutant, status in alive.items():
            if diffs[mutant] in MULTIRANK:  # killed by the 2-rank test (--multirank checks it)
                report["files"][path]["killed"] += 1
                continue
            report["survivors"].append({"mutant": mutant, "status": status, "diff": diffs[mutant],
                                        "equivalent": EQUIVALENT.get(diffs[mutant])
                                        or UNTESTABLE.get(diffs[mutant])})
    for path, f in report["files"].items():
        module = path.removeprefix("src/").removesuffix(".py").replace("/", ".")
        f["equivalent"] = sum(1 for s in report["survivors"] if s["equivalent"] is not None
                              and s["mutant"].startswith(module + "."))
        f["score"] = round(f["killed"] / max(f["checked"] - f["equivalent"], 1), 4)
    if show:
        for s in report["survivors"]:
            if s["equivalent"] is None:
                print(f"--- {s['mutant']} ({s['status']})", flush=True)
                mutmut(workdir, "show", s["mutant"])
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("targets", nargs="*", help=f"targets to run: {', '.join(TARGETS)}")
    p.add_argument("--fast", action="store_true", help="the CI subset: " +
                   ", ".join(n for n, t in TARGETS.items() if t.fast_tests))
    p.add_argument("--all", action="store_true", help="every target")
    p.add_argument("--list", action="store_true", help="print the targets and exit")
    p.add_argument("--max-children", type=int, default=1, help="parallel mutant runs (default 1)")
    p.add_argument("--min-score", type=float, default=0.9, help="fail below this score per file")
    p.add_argument("--workdir", type=Path, default=None, help="scratch directory (default: a temp dir)")
    p.add_argument("--json", type=Path, default=None, help="write the report here")
    p.add_argument("--tests", nargs="+", default=None,
                   help="replace the targets' test selection (e.g. to score the suite before new tests)")
    p.add_argument("--survivors", action="store_true", help="print the diff of every survivor")
    p.add_argument("--only", nargs="+", default=None, metavar="GLOB",
                   help="run only these mutants (mutmut name globs, e.g. 'lrkit.plateau.x*is_better*'): "
                        "to check that new tests kill known survivors without a full run")
    p.add_argument("--rev", default=None,
                   help="mutate and test this commit (git archive) instead of the working tree, "
                        "e.g. HEAD: a shared tree's uncommitted edits stay out of the score")
    p.add_argument("--fresh", action="store_true",
                   help="run each mutant in a fresh pytest process (JAX/TensorFlow tests, which "
                        "deadlock in mutmut's forked children); slow")
    p.add_argument("--multirank", action="store_true",
                   help="check that the 2-rank test kills each mutant only two ranks tell apart "
                        "(applied to a scratch copy of the working tree, outside mutmut)")
    p.add_argument("--also", nargs="+", type=Path, default=(), metavar="DIR",
                   help="with --report-only: workdirs of later runs of the same target (e.g. --only "
                        "reruns with new tests) whose kills count too")
    p.add_argument("--report-only", action="store_true",
                   help="report the results already in --workdir without running mutmut again "
                        "(e.g. after adding entries to EQUIVALENT)")
    args = p.parse_args(argv)
    if args.list:
        for n, t in TARGETS.items():
            print(f"{n:16s} {'fast ' if t.fast_tests else '     '} mutate {' '.join(t.mutate)}\n"
                  f"{'':22s} tests  {' '.join(t.tests)}")
        return 0
    if args.multirank:
        base = args.workdir or Path(tempfile.mkdtemp(prefix="lrkit-mutation-"))
        missed = multirank_check(base)
        print(f"multirank: {len(MULTIRANK) - missed}/{len(MULTIRANK)} killed by the 2-rank test")
        return 1 if missed else 0
    names = args.targets or (list(TARGETS) if args.all else
                             [n for n, t in TARGETS.items() if t.fast_tests] if args.fast else [])
    unknown = [n for n in names if n not in TARGETS]
    if not names or unknown:
        p.error(f"targets must be among {', '.join(TARGETS)} (or --fast / --all), got {names}")
    if args.report_only and args.workdir is None:
        p.error("--report-only needs --workdir (the directory of an earlier run)")
    base = args.workdir or Path(tempfile.mkdtemp(prefix="lrkit-mutation-"))
    base.mkdir(parents=True, exist_ok=True)
    reports, failed = [], False
    for n in names:
        target = TARGETS[n]
        if args.tests is not None or args.fast:
            target = Target(target.mutate, tuple(args.tests) if args.tests else target.fast_tests)
        functions = tuple(args.only) if args.only else TARGETS[n].fast_functions if args.fast else ()
        r = run_target(n, target, base, args.max_children, args.survivors, functions,
                       run=not args.report_only, rev=args.rev, fresh=args.fresh, also=tuple(args.also))
        reports.append(r)
        print(f"[{n}] {r['seconds']:.0f} s (log: {base / (n + '.log')})")
        if not r["files"]:
            print("  no mutants were checked: see the log")
            failed = True
        for path, f in r["files"].items():
            if not f["checked"]:
                continue  # no mutant of this file was run (not in the selection)
            low = f["score"] < args.min_score
            failed |= low
            print(f"  {path:40s} {f['killed']:4d}/{f['checked']:<4d} killed, {f['equivalent']} equivalent: "
                  f"{100 * f['score']:5.1f}%"
                  f"{'  < ' + format(args.min_score, '.0%') if low else ''}")
        open_survivors = [s for s in r["survivors"] if s["equivalent"] is None]
        eq = len(r["survivors"]) - len(open_survivors)
        print(f"  survivors: {len(open_survivors)} open, {eq} listed as equivalent")
        for s in open_survivors:
            print(f"    {s['mutant']} ({s['status']}): {s['diff'][1]!r} -> {s['diff'][2]!r}")
        failed |= bool(open_survivors) and args.fast
    if args.json:
        args.json.write_text(json.dumps(reports, indent=1))
    if args.workdir is None:
        shutil.rmtree(base, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
