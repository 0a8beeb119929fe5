"""Schedules of every family with several parameter sets, their oracles and their key steps."""

from __future__ import annotations

from functools import partial

import lrkit
from tests import oracles as o


def _around(*points: float) -> list[float]:
    out = {0.0, 1.0, 1e6}
    for p in points:
        for d in (-1, 0, 1):
            if p + d >= 0:
                out.add(float(p + d))
    return sorted(out)


# (id, schedule, oracle(t) or None, key steps)
CASES = [
    ("constant", lrkit.Constant(0.3), lambda t: 0.3, _around(10)),
    ("linear", lrkit.Linear(0.0, 0.2, 100), partial(o.linear, start=0.0, end=0.2, steps=100), _around(100)),
    ("linear_up_down", lrkit.Linear(1.0, 0.5, 7), partial(o.linear, start=1.0, end=0.5, steps=7), _around(7)),
    ("polynomial", lrkit.Polynomial(0.5, 10), partial(o.polynomial, start=0.5, steps=10), _around(10, 20)),
    ("polynomial_cycle", lrkit.Polynomial(0.5, 10, end=0.0001, cycle=True),
     partial(o.polynomial, start=0.5, steps=10, cycle=True), _around(10, 20, 30, 199)),
    ("polynomial_pow2", lrkit.Polynomial(0.1, 1000, end=0.001, power=2.0),
     partial(o.polynomial, start=0.1, steps=1000, end=0.001, power=2.0), _around(500, 1000)),
    ("polynomial_sqrt_cycle", lrkit.Polynomial(0.1, 30, end=0.0, power=0.5, cycle=True),
     partial(o.polynomial, start=0.1, steps=30, end=0.0, power=0.5, cycle=True), _around(30, 60, 61)),
    ("exponential", lrkit.Exponential(0.5, 0.9, 10), partial(o.exponential, start=0.5, rate=0.9,
                                                             decay_steps=10), _around(10, 100)),
    ("exponential_staircase", lrkit.Exponential(0.1, 0.96, 100, staircase=True),
     partial(o.exponential, start=0.1, rate=0.96, decay_steps=100, staircase=True), _around(100, 200, 1000)),
    ("exponential_delay_end", lrkit.Exponential(1.0, 0.5, 20, delay=50, end=0.05),
     partial(o.exponential, start=1.0, rate=0.5, decay_steps=20, delay=50, end=0.05), _around(50, 70, 200)),
    ("exponential_growth_cap", lrkit.Exponential(1e-3, 2.0, 10, end=1.0),
     partial(o.exponential, start=1e-3, rate=2.0, decay_steps=10, end=1.0), _around(10, 99, 100)),
    ("natural_exp", lrkit.NaturalExp(0.1, 0.5, 10), partial(o.natural_exp, start=0.1, rate=0.5,
                                                            decay_steps=10), _around(10, 100)),
    ("natural_exp_stair", lrkit.NaturalExp(0.1, 0.5, 10, staircase=True),
     partial(o.natural_exp, start=0.1, rate=0.5, decay_steps=10, staircase=True), _around(10, 100)),
    ("inverse_time", lrkit.InverseTime(0.1, 0.5, 10), partial(o.inverse_time, start=0.1, rate=0.5,
                                                              decay_steps=10), _around(10)),
    ("inverse_time_stair", lrkit.InverseTime(0.1, 0.5, 10, staircase=True),
     partial(o.inverse_time, start=0.1, rate=0.5, decay_steps=10, staircase=True), _around(10, 20)),
    ("time_based", lrkit.time_based(0.1, 0.001), partial(o.inverse_time, start=0.1, rate=0.001,
                                                         decay_steps=1), _around(5, 1000)),
    ("step_half", lrkit.StepDecay(0.1, 0.5, 10), partial(o.step, start=0.1, factor=0.5, step_size=10),
     _around(10, 20, 30)),
    ("step_quarter", lrkit.StepDecay(0.1, 0.25, 10), partial(o.step, start=0.1, factor=0.25, step_size=10),
     _around(10, 20, 30)),
    ("piecewise_after", lrkit.Piecewise((1.0, 0.5, 0.1), (100, 200)),
     partial(o.piecewise, values=(1.0, 0.5, 0.1), boundaries=(100, 200)), _around(100, 200)),
    ("piecewise_at", lrkit.Piecewise((1.0, 0.5, 0.1), (100, 200), switch="at"),
     partial(o.piecewise, values=(1.0, 0.5, 0.1), boundaries=(100, 200), switch="at"), _around(100, 200)),
    ("multistep", lrkit.MultiStep(0.1, (30, 80), 0.1), partial(o.multistep, start=0.1, milestones=(30, 80),
                                                               factor=0.1), _around(30, 80)),
    ("multistep_dup", lrkit.MultiStep(1.0, (5, 5, 9), 0.5),
     partial(o.multistep, start=1.0, milestones=(5, 5, 9), factor=0.5), _around(5, 9)),
    ("cosine", lrkit.Cosine(0.1, 1000), partial(o.cosine, start=0.1, steps=1000), _around(500, 1000)),
    ("cosine_alpha", lrkit.Cosine(0.1, 1000, alpha=0.1), partial(o.cosine, start=0.1, steps=1000, end=0.01),
     _around(500, 1000)),
    ("cosine_end_exp_k", lrkit.Cosine(1.0, 90, end=0.05, exponent=2.0, k=1.5),
     partial(o.cosine, start=1.0, steps=90, end=0.05, exponent=2.0, k=1.5), _around(45, 90)),
    ("sgdr", lrkit.CosineRestarts(0.1, 10), partial(o.sgdr, start=0.1, period=10), _around(10, 20, 30)),
    ("sgdr_mult2_decay", lrkit.CosineRestarts(0.1, 10, period_mult=2.0, peak_decay=0.5, end=0.001),
     partial(o.sgdr, start=0.1, period=10, mult=2.0, decay=0.5, end=0.001), _around(10, 30, 70, 150, 310)),
    ("sgdr_frac_mult", lrkit.CosineRestarts(1.0, 8, period_mult=1.5),
     partial(o.sgdr, start=1.0, period=8, mult=1.5), _around(8, 20, 38, 65)),
    ("linear_cosine", lrkit.LinearCosine(0.1, 100), partial(o.linear_cosine, start=0.1, steps=100),
     _around(50, 100)),
    ("linear_cosine_periods", lrkit.LinearCosine(0.1, 100, num_periods=2.0, alpha=0.1, beta=0.01),
     partial(o.linear_cosine, start=0.1, steps=100, num_periods=2.0, alpha=0.1, beta=0.01), _around(25, 100)),
    ("noisy_linear_cosine_novar", lrkit.NoisyLinearCosine(0.1, 100, initial_variance=0.0),
     partial(o.linear_cosine, start=0.1, steps=100), _around(50, 100)),
    ("noisy_linear_cosine", lrkit.NoisyLinearCosine(0.1, 100, seed=3), None, _around(50, 100)),
    ("tanh", lrkit.Tanh(0.1, 100, end=1e-4), partial(o.tanh, start=0.1, steps=100, end=1e-4), _around(50, 100)),
    ("cyclic_tri", lrkit.Cyclic(0.001, 0.1, 10), partial(o.cyclic, base=0.001, peak=0.1, up=10),
     _around(10, 20, 30)),
    ("cyclic_tri2_asym", lrkit.Cyclic(0.001, 0.1, 4, 6, mode="triangular2"),
     partial(o.cyclic, base=0.001, peak=0.1, up=4, down=6, mode="triangular2"), _around(4, 10, 14, 20)),
    ("cyclic_exp", lrkit.Cyclic(0.001, 0.1, 5, mode="exp_range", gamma=0.99),
     partial(o.cyclic, base=0.001, peak=0.1, up=5, mode="exp_range", gamma=0.99), _around(5, 10, 100)),
    ("one_cycle", lrkit.OneCycle(0.1, 100), partial(o.one_cycle, peak=0.1, total=100), _around(29, 99)),
    ("one_cycle_3p_lin", lrkit.OneCycle(1.0, 1000, pct_start=0.25, three_phase=True, anneal="linear"),
     partial(o.one_cycle, peak=1.0, total=1000, pct=0.25, three_phase=True, anneal="linear"),
     _around(249, 498, 999)),
    ("wsd_linear", lrkit.WarmupStableDecay(0.1, 1000, 200, warmup_steps=50),
     partial(o.wsd, peak=0.1, total=1000, decay_steps=200, warmup_steps=50), _around(50, 800, 1000)),
    ("wsd_cosine", lrkit.WarmupStableDecay(0.1, 1000, 200, warmup_steps=50, start=0.01, end=0.001,
                                           decay_shape="cosine"),
     partial(o.wsd, peak=0.1, total=1000, decay_steps=200, warmup_steps=50, start=0.01, end=0.001,
             shape="cosine"), _around(50, 800, 1000)),
    ("wsd_1sqrt", lrkit.WarmupStableDecay(0.1, 1000, 300, decay_shape="1-sqrt"),
     partial(o.wsd, peak=0.1, total=1000, decay_steps=300, shape="1-sqrt"), _around(700, 1000)),
    ("wsd_exp", lrkit.WarmupStableDecay(0.1, 1000, 300, warmup_steps=10, end=1e-4, decay_shape="exponential"),
     partial(o.wsd, peak=0.1, total=1000, decay_steps=300, warmup_steps=10, end=1e-4, shape="exponential"),
     _around(10, 700, 1000)),
    ("inverse_sqrt", lrkit.InverseSqrt(0.01, 100), partial(o.inverse_sqrt, start=0.01, timescale=100),
     _around(100, 10000)),
    ("geometric_step", lrkit.GeometricStep(0.1, 1024), partial(o.geometric_step, start=0.1, total=1024),
     _around(102.4, 1024)),
    # composites
    ("warmup_cosine", lrkit.warmup(lrkit.Cosine(0.1, 900), 100),
     lambda t: 0.1 * t / 100 if t < 100 else o.cosine(t - 100, 0.1, 900), _around(100, 1000)),
    ("warmup_overlay_exp", lrkit.warmup(lrkit.Exponential(0.1, 0.5, 100), 50, start=0.001, shape="exponential",
                                        prefix=False),
     lambda t: (0.001 * (o.exponential(50, 0.1, 0.5, 100) / 0.001) ** (t / 50) if t < 50
                else o.exponential(t, 0.1, 0.5, 100)), _around(50, 200)),
    ("warmup_cos_shape", lrkit.warmup(lrkit.Constant(0.2), 10, shape="cosine"),
     lambda t: 0.2 * 0.5 * (1 - __import__("math").cos(__import__("math").pi * t / 10)) if t < 10 else 0.2,
     _around(5, 10)),
    ("sequence_rel", lrkit.sequence([lrkit.Linear(0, 1, 10), lrkit.Cosine(1.0, 90)], [10]),
     lambda t: o.linear(t, 0, 1, 10) if t < 10 else o.cosine(t - 10, 1.0, 90), _around(10, 100)),
    ("sequence_abs", lrkit.sequence([lrkit.Constant(0.5), lrkit.StepDecay(1.0, 0.5, 10)], [25], relative=False),
     lambda t: 0.5 if t < 25 else o.step(t, 1.0, 0.5, 10), _around(25, 30)),
    ("restarts", lrkit.Restarts(lrkit.Linear(1.0, 0.0, 10), 10, period_mult=2.0, peak_decay=0.5),
     None, _around(10, 30, 70)),
    ("scaled", lrkit.Cosine(1.0, 100) * 0.1, lambda t: 0.1 * o.cosine(t, 1.0, 100), _around(50, 100)),
    ("product", lrkit.Constant(0.1) * lrkit.StepDecay(1.0, 0.5, 10), lambda t: 0.1 * o.step(t, 1.0, 0.5, 10),
     _around(10)),
    ("clip", lrkit.Clip(lrkit.Exponential(1.0, 0.5, 1), 0.01, 0.5),
     lambda t: min(max(o.exponential(t, 1.0, 0.5, 1), 0.01), 0.5), _around(1, 7)),
    ("one_cycle_momentum", lrkit.OneCycle(0.1, 100).momentum, None, _around(29, 99)),
    ("resnet_recipe", lrkit.resnet_step_decay(256, 256, 2560, [30, 60], [1, 0.1, 0.01], warmup_epochs=5),
     None, _around(50, 300, 600)),
]

IDS = [c[0] for c in CASES]
