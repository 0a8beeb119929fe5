"""Independent plain-Python oracles: each family written the obvious way, with `if` on the
step, straight from its published definition (not from lrkit's formulas)."""

from __future__ import annotations

import math

import mpmath


def linear(t, start, end, steps):
    if t >= steps:
        return end
    return start + (end - start) * t / steps


def polynomial(t, start, steps, end=0.0001, power=1.0, cycle=False):
    # tf.compat.v1.train.polynomial_decay
    if cycle:
        mult = 1.0 if t == 0 else math.ceil(t / steps)
        decay_steps = steps * mult
    else:
        decay_steps = steps
        t = min(t, steps)
    return (start - end) * (1 - t / decay_steps) ** power + end


def exponential(t, start, rate, decay_steps, staircase=False, delay=0.0, end=None):
    if t <= delay:
        return start
    p = (t - delay) / decay_steps
    if staircase:
        p = math.floor(p)
    try:
        v = start * rate**p
    except OverflowError:
        v = math.inf
    if end is not None:
        v = max(v, end) if rate < 1 else min(v, end)
    return v


def natural_exp(t, start, rate, decay_steps, staircase=False):
    p = t / decay_steps
    if staircase:
        p = math.floor(p)
    return start * math.exp(-rate * p)


def inverse_time(t, start, rate, decay_steps, staircase=False):
    p = t / decay_steps
    if staircase:
        p = math.floor(p)
    return start / (1 + rate * p)


def step(t, start, factor, step_size):
    return start * factor ** (t // step_size)


def piecewise(t, values, boundaries, switch="after"):
    k = 0
    for b in boundaries:
        if (t > b) if switch == "after" else (t >= b):
            k += 1
    return values[k]


def multistep(t, start, milestones, factor):
    lr = start
    for m in milestones:
        if t >= m:
            lr *= factor
    return lr


def cosine(t, start, steps, end=0.0, exponent=1.0, k=1.0):
    # 40 significant digits: the float64 result is then correctly rounded, also near the floor
    with mpmath.workdps(40):
        t = min(mpmath.mpf(t), steps)
        c = (1 + mpmath.cos(mpmath.pi * (t**k) / (mpmath.mpf(steps) ** k))) / 2
        return float(end + (start - end) * c**exponent)


def sgdr(t, start, period, mult=1.0, decay=1.0, end=0.0):
    # walk the cycles one by one (no logarithms)
    i, s, length = 0, 0.0, period
    while t >= s + length:
        s += length
        length *= mult
        i += 1
    with mpmath.workdps(40):
        c = (1 + mpmath.cos(mpmath.pi * (t - s) / length)) / 2
        return float(end + (start * decay**i - end) * c)


def linear_cosine(t, start, steps, num_periods=0.5, alpha=0.0, beta=0.001):
    t = min(t, steps)
    lin = (steps - t) / steps
    cos = 0.5 * (1 + math.cos(math.pi * 2 * num_periods * t / steps))
    return start * ((alpha + lin) * cos + beta)


def tanh(t, start, steps, end=0.0, lower=-7.0, upper=3.0):
    tr = min(t, steps) / steps
    return end + 0.5 * (start - end) * (1 - math.tanh(lower * (1 - tr) + upper * tr))


def cyclic(t, base, peak, up, down=None, mode="triangular", gamma=1.0):
    down = up if down is None else down
    total = up + down
    ratio = up / total
    cycle = math.floor(1 + t / total)
    x = 1.0 + t / total - cycle
    scale = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
    if mode == "triangular2":
        scale *= 2.0 ** -(cycle - 1)
    elif mode == "exp_range":
        scale *= gamma**t
    return base + (peak - base) * scale


def one_cycle(t, peak, total, pct=0.3, div=25.0, final_div=1e4, three_phase=False, anneal="cos"):
    init = peak / div
    low = init / final_div
    if three_phase:
        phases = [(pct * total - 1, init, peak), (2 * pct * total - 2, peak, init), (total - 1, init, low)]
    else:
        phases = [(pct * total - 1, init, peak), (total - 1, peak, low)]
    start = 0.0
    for i, (end, a, b) in enumerate(phases):
        if t <= end or i == len(phases) - 1:
            u = min((t - start) / (end - start), 1.0)
            if anneal == "cos":
                return b + (a - b) / 2 * (math.cos(math.pi * u) + 1)
            return (b - a) * u + a
        start = end
    raise AssertionError


def wsd(t, peak, total, decay_steps, warmup_steps=0.0, start=0.0, end=0.0, shape="linear"):
    if t < warmup_steps:
        return start + (peak - start) * t / warmup_steps
    if t < total - decay_steps:
        return peak
    f = min((t - (total - decay_steps)) / decay_steps, 1.0)
    if shape == "linear":
        g = 1 - f
    elif shape == "cosine":
        g = 0.5 * (1 + math.cos(math.pi * f))
    elif shape == "1-sqrt":
        g = 1 - math.sqrt(f)
    else:
        return peak * (end / peak) ** f
    return end + (peak - end) * g


def inverse_sqrt(t, start, timescale):
    return start / math.sqrt(1 + t / timescale)


def geometric_step(t, start, total, factor=0.5):
    n = math.ceil(math.log2(total))
    phase = min(int(t // (total / math.log2(total))), n - 1)
    return start * factor**phase
