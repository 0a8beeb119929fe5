"""Write golden values for the TF1, Keras, optax and DeepSpeed dialects by running the REAL
libraries (TensorFlow's ``tf.compat.v1.train``, Keras 3, optax with ``jax_enable_x64``,
DeepSpeed's ``lr_schedules`` on a real torch optimizer).

    .venv/bin/python tests/golden/generate_tf_keras_optax.py [tf1|keras|optax|deepspeed ...]

Each output file (``tests/golden/<dialect>_golden.json``) holds a list of cases
``{"func", "kwargs", "steps", "values", "dtype"}``: the lrkit compat constructor of the same
name, called with ``kwargs``, must give ``values`` at ``steps``. ``dtype`` is the precision the
peer computed in (float64 cases are compared at rel 1e-12, float32 ones at rel 1e-6).
Floating inputs are passed to TensorFlow/Keras as float64, which they would otherwise round
to float32. The step lists cover step 0, every boundary +-1, the end and far past the end.

Cosine decay with restarts is run the way a training loop runs it, one scalar int64 global
step at a time (TensorFlow's vectorised float32 ``log`` differs from its scalar one by an ulp
at some restarts), at every restart boundary -2..+2 over 35+ cycles for t_mul 1, 1.1, 1.3,
1.5, 1.7, 2, 2.5 and 3 (``restart_cases``).
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent


def steps_around(boundaries: list[float], end: float, extra: int = 12) -> list[float]:
    """0, 1, every boundary -1/0/+1, the end -1/0/+1, far past the end, and an even sweep."""
    pts = {0.0, 1.0, 2.0}
    for b in list(boundaries) + [end]:
        for d in (-1.0, 0.0, 1.0):
            if b + d >= 0:
                pts.add(float(math.floor(b + d)))
    pts.update({float(end) * 2 + 3, float(end) * 10 + 7})
    pts.update(float(round(x)) for x in np.linspace(0, end * 1.5, extra))
    return sorted(pts)


RESTART_GRID = [  # (first_decay_steps, t_mul, m_mul, alpha, cycles)
    (10, 1.0, 0.9, 0.1, 40), (7, 1.0, 1.0, 0.0, 40), (3, 1.1, 0.95, 0.05, 60),
    (10, 1.1, 1.0, 0.0, 40), (10, 1.3, 0.9, 0.0, 40), (7, 1.5, 0.9, 0.05, 40),
    (20, 1.5, 1.0, 0.1, 40), (100, 1.7, 1.0, 0.0, 35), (10, 2.0, 1.0, 0.0, 35),
    (3, 2.0, 0.7, 0.2, 35), (10, 2.5, 0.8, 0.0, 35), (20, 3.0, 0.8, 0.0, 35),
    (1, 3.0, 1.0, 0.0, 35),
]
FAR_LINEAR = (2**24, 2**25, 2**26 + 3)  # t_mul = 1: restarts where float32 steps are rounded


def restart_steps(first: float, t_mul: float, cycles: int) -> list[float]:
    """Every restart boundary of the first ``cycles`` cycles -2..+2 (both sides of a
    fractional one), step 0, 1 and the middle of every cycle; for t_mul = 1 also the restarts
    around 2**24, 2**25 and 2**26 steps, where a float32 step is rounded."""
    pts = {0.0, 1.0}
    at, length = 0.0, float(first)
    starts = []
    for _ in range(cycles):
        starts.append(at)
        at += length
        length *= t_mul
        if at > 2.0**62:
            break
        pts.add(float(math.floor(starts[-1] + (at - starts[-1]) / 2)))
        for b in {math.floor(at), math.ceil(at)}:
            pts.update(float(b + d) for d in range(-2, 3))
    if t_mul == 1.0:
        for far in FAR_LINEAR:
            k = far // first
            for j in range(k - 1, k + 3):
                pts.update(float(j * first + d) for d in range(-2, 3))
    return sorted(p for p in pts if p >= 0)


def restart_cases(call: Any, lr_name: str) -> list[dict[str, Any]]:
    """Golden cases for cosine decay with restarts: ``call(kwargs, step)`` runs the peer."""
    out = []
    for first, t_mul, m_mul, alpha, cycles in RESTART_GRID:
        kwargs = {lr_name: 0.5, "first_decay_steps": first, "t_mul": t_mul, "m_mul": m_mul,
                  "alpha": alpha}
        steps = restart_steps(first, t_mul, cycles)
        out.append({"kwargs": kwargs, "steps": steps, "dtype": "float32",
                    "values": call(kwargs, steps), "path": "scalar int64 step"})
    return out


def write(name: str, cases: list[dict[str, Any]]) -> None:
    path = HERE / f"{name}_golden.json"
    path.write_text(json.dumps(cases, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path.name}: {len(cases)} cases, {sum(len(c['steps']) for c in cases)} values")


# ----------------------------------------------------------------------------------------------
def gen_tf1() -> None:
    import tensorflow as tf

    v1 = tf.compat.v1.train
    f64 = np.float64
    cases: list[dict[str, Any]] = []

    def run(fn: Any, steps: list[float], scalar: bool = False) -> list[float]:
        if scalar:  # piecewise_constant builds a tf.case: one scalar step at a time
            out = []
            for s in steps:
                r = fn(np.float64(s))
                out.append(float((r() if callable(r) else r).numpy()))
            return out
        r = fn(np.asarray(steps, dtype=np.float64))
        return [float(x) for x in np.asarray((r() if callable(r) else r).numpy())]

    def add(func: str, kwargs: dict[str, Any], bounds: list[float], end: float,
            scalar: bool = False) -> None:
        steps = steps_around(bounds, end)
        peer = getattr(v1, func)
        # TF1's cosine family multiplies by a float32 constant(pi): it only runs in float32
        float32 = "cosine" in func
        floats = {k: (f64(v) if isinstance(v, float) and not float32 else v)
                  for k, v in kwargs.items()}
        if func == "piecewise_constant":
            values = run(lambda x: peer(x, [f64(b) for b in kwargs["boundaries"]],
                                        [f64(v) for v in kwargs["values"]]), steps, scalar=True)
        else:
            values = run(lambda g: peer(global_step=g.astype(np.float32) if float32 else g,
                                        **floats), steps)
        cases.append({"func": func, "kwargs": kwargs, "steps": steps, "values": values,
                      "dtype": "float32" if float32 else "float64"})

    for st in (False, True):
        add("exponential_decay", dict(learning_rate=0.1, decay_steps=100, decay_rate=0.96,
                                      staircase=st), [100, 200, 300], 500)
        add("exponential_decay", dict(learning_rate=0.5, decay_steps=7, decay_rate=1.5,
                                      staircase=st), [7, 14], 35)
        add("natural_exp_decay", dict(learning_rate=0.1, decay_steps=10, decay_rate=0.5,
                                      staircase=st), [10, 20], 100)
        add("inverse_time_decay", dict(learning_rate=1.0, decay_steps=10, decay_rate=0.5,
                                       staircase=st), [10, 20], 100)
    add("natural_exp_decay", dict(learning_rate=1.0, decay_steps=100, decay_rate=2.0), [100], 1000)
    add("piecewise_constant", dict(boundaries=[100.0, 200.0], values=[1.0, 0.5, 0.1]),
        [100, 200], 300)
    add("piecewise_constant", dict(boundaries=[10.0], values=[0.1, 0.01]), [10], 20)
    add("piecewise_constant", dict(boundaries=[2.5, 7.5, 9.0], values=[0.3, 0.2, 0.1, 0.05]),
        [2, 3, 7, 8, 9], 12)
    for cyc in (False, True):
        add("polynomial_decay", dict(learning_rate=0.5, decay_steps=10, end_learning_rate=0.0001,
                                     power=1.0, cycle=cyc), [10, 20, 30], 50)
        add("polynomial_decay", dict(learning_rate=0.1, decay_steps=100, end_learning_rate=0.01,
                                     power=2.0, cycle=cyc), [100, 200], 300)
    add("polynomial_decay", dict(learning_rate=1.0, decay_steps=50, end_learning_rate=0.0,
                                 power=0.5, cycle=True), [50, 100], 150)
    add("cosine_decay", dict(learning_rate=0.1, decay_steps=100, alpha=0.0), [100], 100)
    add("cosine_decay", dict(learning_rate=1.0, decay_steps=37, alpha=0.1), [37], 37)
    def tf1_restarts(kwargs: dict[str, Any], steps: list[float]) -> list[float]:
        global_step = tf.Variable(0, dtype=tf.int64)  # TF1's global step
        fn = v1.cosine_decay_restarts(global_step=global_step, **kwargs)
        values = []
        for t in steps:
            global_step.assign(int(t))
            values.append(float((fn() if callable(fn) else fn).numpy()))
        return values

    for case in restart_cases(tf1_restarts, "learning_rate"):
        cases.append({"func": "cosine_decay_restarts", **case})
    add("linear_cosine_decay", dict(learning_rate=0.1, decay_steps=100, num_periods=0.5,
                                    alpha=0.0, beta=0.001), [50, 100], 100)
    add("linear_cosine_decay", dict(learning_rate=1.0, decay_steps=50, num_periods=2.0,
                                    alpha=0.1, beta=0.01), [12.5, 25, 37.5, 50], 50)
    add("noisy_linear_cosine_decay", dict(learning_rate=0.1, decay_steps=100,
                                          initial_variance=0.0, variance_decay=0.55,
                                          num_periods=0.5, alpha=0.0, beta=0.001), [100], 100)

    # noise samples: TensorFlow draws fresh normal noise at every call
    rng_steps = [0.0, 10.0, 60.0]
    kw = dict(learning_rate=1.0, decay_steps=100, initial_variance=0.01, variance_decay=0.55,
              num_periods=0.5, alpha=0.0, beta=0.001)
    tf.random.set_seed(1234)
    samples = {}
    for s in rng_steps:
        fn = v1.noisy_linear_cosine_decay(global_step=np.full(4000, s, dtype=np.float32), **kw)
        samples[str(s)] = [float(x) for x in np.asarray((fn() if callable(fn) else fn).numpy())]
    cases.append({"func": "noisy_linear_cosine_decay:samples", "kwargs": kw, "samples": samples,
                  "steps": [], "values": [], "dtype": "float32"})

    # the reference recipes, run with TensorFlow exactly as the articles wrote them
    def learning_rate_with_decay(batch_size, batch_denom, num_images, boundary_epochs,
                                 decay_rates, base_lr=0.1, warmup=False):
        initial_learning_rate = base_lr * batch_size / batch_denom
        batches_per_epoch = num_images / batch_size
        boundaries = [int(batches_per_epoch * epoch) for epoch in boundary_epochs]
        vals = [initial_learning_rate * decay for decay in decay_rates]

        def learning_rate_fn(global_step):
            lr = v1.piecewise_constant(global_step, boundaries, vals)
            lr = lr() if callable(lr) else lr
            if warmup:
                warmup_steps = int(batches_per_epoch * 5)
                warmup_lr = (initial_learning_rate * tf.cast(global_step, tf.float32)
                             / tf.cast(warmup_steps, tf.float32))
                return tf.cond(global_step < warmup_steps, lambda: warmup_lr, lambda: lr)
            return lr

        return learning_rate_fn, boundaries, (int(batches_per_epoch * 5) if warmup else 0)

    for args in [dict(batch_size=128, batch_denom=256, num_images=12800,
                      boundary_epochs=[10, 15, 20], decay_rates=[1, 0.1, 0.01, 0.001]),
                 dict(batch_size=128, batch_denom=256, num_images=12800,
                      boundary_epochs=[10, 15, 20], decay_rates=[1, 0.1, 0.01, 0.001],
                      warmup=True),
                 dict(batch_size=32, batch_denom=32, num_images=1000, boundary_epochs=[2, 4],
                      decay_rates=[1.0, 0.1, 0.01], base_lr=0.2, warmup=True)]:
        fn, bounds, warm = learning_rate_with_decay(**args)
        steps = steps_around(bounds + ([warm] if warm else []), bounds[-1])
        values = [float(fn(tf.constant(int(s), dtype=tf.int32)).numpy()) for s in steps]
        cases.append({"func": "learning_rate_with_decay", "kwargs": args, "steps": steps,
                      "values": values, "dtype": "float32"})

    class Flags:
        pass

    def configure_learning_rate(flags, num_samples_per_epoch, global_step):
        decay_steps = int(num_samples_per_epoch * flags.num_epochs_per_decay / flags.batch_size)
        if flags.sync_replicas:
            decay_steps /= flags.replicas_to_aggregate
        if flags.learning_rate_decay_type == 'exponential':
            return v1.exponential_decay(flags.learning_rate, global_step, decay_steps,
                                        flags.learning_rate_decay_factor, staircase=True)
        elif flags.learning_rate_decay_type == 'fixed':
            return tf.constant(flags.learning_rate, name='fixed_learning_rate')
        elif flags.learning_rate_decay_type == 'polynomial':
            return v1.polynomial_decay(flags.learning_rate, global_step, decay_steps,
                                       flags.end_learning_rate, power=1.0, cycle=False)
        raise ValueError(f'learning_rate_decay_type [{flags.learning_rate_decay_type}] was not '
                         'recognized')

    for kind in ("exponential", "fixed", "polynomial"):
        for sync in (False, True):
            kw = dict(learning_rate=0.01, learning_rate_decay_type=kind, num_epochs_per_decay=2.0,
                      batch_size=32, learning_rate_decay_factor=0.94, end_learning_rate=0.0001,
                      sync_replicas=sync, replicas_to_aggregate=3)
            flags = Flags()
            for k, v in kw.items():
                setattr(flags, k, f64(v) if k in ("learning_rate", "end_learning_rate",
                                                  "learning_rate_decay_factor") else v)
            n = 1000
            decay_steps = int(n * 2.0 / 32) / (3 if sync else 1)
            steps = steps_around([decay_steps, 2 * decay_steps, 3 * decay_steps], 3 * decay_steps)
            values = []
            for s in steps:
                r = configure_learning_rate(flags, n, np.float64(s))
                values.append(float((r() if callable(r) else r).numpy()))
            # TensorFlow casts a Python-float decay_steps through a float32 tensor: a
            # fractional one (sync_replicas) is rounded to float32
            exact = float(decay_steps).is_integer()
            cases.append({"func": "configure_learning_rate",
                          "kwargs": dict(num_samples_per_epoch=n, **kw), "steps": steps,
                          "values": values, "dtype": "float64" if exact else "float32"})
    write("tf1", cases)


# ----------------------------------------------------------------------------------------------
def gen_keras() -> None:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    sch = keras.optimizers.schedules
    f64 = np.float64
    cases: list[dict[str, Any]] = []

    def add(cls: str, kwargs: dict[str, Any], bounds: list[float], end: float,
            float32: bool = False) -> None:
        steps = steps_around(bounds, end)
        if float32:
            kw = kwargs
        else:
            kw = {k: (f64(v) if isinstance(v, float) else
                      [f64(x) for x in v] if isinstance(v, list) else v)
                  for k, v in kwargs.items()}
        s = getattr(sch, cls)(**kw)
        dtype = np.float32 if float32 else np.float64
        values = [float(np.asarray(s(dtype(t)))) for t in steps]
        cases.append({"func": cls, "kwargs": kwargs, "steps": steps, "values": values,
                      "dtype": "float32" if float32 else "float64"})

    for f32 in (False, True):
        for st in (False, True):
            add("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=100,
                                         decay_rate=0.96, staircase=st), [100, 200], 500, f32)
            add("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=10,
                                         decay_rate=0.5, staircase=st), [10, 20], 100, f32)
        add("PiecewiseConstantDecay", dict(boundaries=[100.0, 200.0], values=[1.0, 0.5, 0.1]),
            [100, 200], 300, f32)
        add("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=100, alpha=0.0),
            [100], 100, f32)
        if not f32:  # float32: restart_cases below
            add("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=10),
                [10, 30, 70, 150], 150, f32)
    add("PiecewiseConstantDecay", dict(boundaries=[10.0], values=[0.1, 0.01]), [10], 20)
    add("PiecewiseConstantDecay", dict(boundaries=[2.5, 7.5, 9.0], values=[0.3, 0.2, 0.1, 0.05]),
        [2, 3, 7, 8, 9], 12)
    for cyc in (False, True):
        add("PolynomialDecay", dict(initial_learning_rate=0.5, decay_steps=10,
                                    end_learning_rate=0.0001, power=1.0, cycle=cyc), [10, 20, 30], 50)
        add("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=100,
                                    end_learning_rate=0.01, power=2.0, cycle=cyc), [100, 200], 300)
    add("CosineDecay", dict(initial_learning_rate=1.0, decay_steps=37, alpha=0.1), [37], 37)
    add("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=100, alpha=0.1,
                            warmup_target=0.1, warmup_steps=10), [10, 110], 110)
    add("CosineDecay", dict(initial_learning_rate=0.01, decay_steps=20, alpha=0.0,
                            warmup_target=1.0, warmup_steps=5), [5, 25], 25)
    add("CosineDecay", dict(initial_learning_rate=0.05, decay_steps=20, alpha=0.2,
                            warmup_target=0.5, warmup_steps=0), [20], 20)
    for lr, first, tm, mm, al in [(1.0, 10, 1.0, 0.5, 0.1), (1.0, 7, 1.5, 0.9, 0.05),
                                  (0.5, 20, 3.0, 0.8, 0.0), (1.0, 3, 2.0, 0.7, 0.2)]:
        bounds, at, length = [], 0.0, float(first)
        for _ in range(5):
            at += length
            bounds.append(at)
            length *= tm
        add("CosineDecayRestarts", dict(initial_learning_rate=lr, first_decay_steps=first,
                                        t_mul=tm, m_mul=mm, alpha=al), bounds, bounds[-1])

    def keras_restarts(kwargs: dict[str, Any], steps: list[float]) -> list[float]:
        s = sch.CosineDecayRestarts(**kwargs)  # Python floats: Keras computes in float32
        return [float(np.asarray(s(tf.constant(int(t), dtype=tf.int64)))) for t in steps]

    import tensorflow as tf

    for case in restart_cases(keras_restarts, "initial_learning_rate"):
        cases.append({"func": "CosineDecayRestarts", **case})

    # Keras 2 SGD's `decay` (per iteration), from the Keras 2 optimizer kept inside TensorFlow
    from tensorflow.python.keras.optimizer_v2 import gradient_descent
    from tensorflow.python.keras.optimizer_v2 import learning_rate_schedule as legacy

    def legacy_sgd(lr: Any, decay: float, bounds: list[float], end: float) -> None:
        opt = gradient_descent.SGD(learning_rate=lr, decay=decay)
        steps = steps_around(bounds, end)
        values = []
        for t in steps:
            opt.iterations.assign(int(t))
            values.append(float(opt._decayed_lr(tf.float64).numpy()))
        # a schedule as learning_rate: the optimizer's own serialised form of it
        kw_lr = opt.get_config()["learning_rate"] if not isinstance(lr, float) else lr
        cases.append({"func": "LegacySGDDecay", "kwargs": dict(learning_rate=kw_lr, decay=decay),
                      "steps": steps, "values": values, "dtype": "float32"})

    for lr, decay in [(0.1, 0.01), (0.5, 1e-4), (0.01, 0.5)]:
        legacy_sgd(lr, decay, [100], 1000)
    # Keras 2 composes a schedule with `decay`: schedule(t) / (1 + decay t)
    legacy_sgd(legacy.ExponentialDecay(0.1, 100, 0.5, staircase=True), 0.01, [100, 200], 500)
    legacy_sgd(legacy.PiecewiseConstantDecay([50, 150], [0.1, 0.05, 0.01]), 1e-3, [50, 150], 400)
    legacy_sgd(legacy.CosineDecay(0.2, 300, alpha=0.1), 0.0, [300], 300)
    write("keras", cases)


# ----------------------------------------------------------------------------------------------
def gen_optax() -> None:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax

    cases: list[dict[str, Any]] = []

    def build(func: str, kwargs: dict[str, Any]) -> Any:
        if func == "join_schedules":
            subs = [build(f, k) for f, k in kwargs["schedules"]]
            return optax.join_schedules(subs, kwargs["boundaries"])
        if "boundaries_and_scales" in kwargs and kwargs["boundaries_and_scales"] is not None:
            kwargs = dict(kwargs, boundaries_and_scales={int(k) if float(k).is_integer() else
                                                         float(k): v for k, v in
                                                         kwargs["boundaries_and_scales"].items()})
        return getattr(optax, func)(**kwargs)

    def add(func: str, kwargs: dict[str, Any], bounds: list[float], end: float) -> None:
        steps = steps_around(bounds, end)
        s = build(func, kwargs)
        # one integer step at a time (piecewise_interpolate_schedule takes a scalar count)
        out = [jnp.asarray(s(jnp.asarray(int(t), dtype=jnp.int64))) for t in steps]
        for o in out:
            if o.dtype not in (jnp.float64, jnp.int64):
                raise RuntimeError(f"{func} computed in {o.dtype}, expected float64")
        cases.append({"func": func, "kwargs": kwargs, "steps": steps,
                      "values": [float(x) for x in out], "dtype": "float64"})

    add("constant_schedule", dict(value=0.3), [], 10)
    add("linear_schedule", dict(init_value=0.0, end_value=0.1, transition_steps=100), [100], 100)
    add("linear_schedule", dict(init_value=1.0, end_value=0.01, transition_steps=30,
                                transition_begin=20), [20, 50], 50)
    add("linear_schedule", dict(init_value=1.0, end_value=0.5, transition_steps=0), [], 10)
    add("linear_schedule", dict(init_value=1.0, end_value=0.5, transition_steps=10,
                                transition_begin=-5), [10], 10)
    add("polynomial_schedule", dict(init_value=1.0, end_value=0.01, power=2.0,
                                    transition_steps=50), [50], 50)
    add("polynomial_schedule", dict(init_value=0.5, end_value=0.0, power=0.5,
                                    transition_steps=40, transition_begin=10), [10, 50], 50)
    add("warmup_constant_schedule", dict(init_value=0.0, peak_value=0.2, warmup_steps=25), [25], 25)
    add("piecewise_constant_schedule", dict(init_value=0.1, boundaries_and_scales={
        "100": 0.1, "200": 0.5, "300": 2.0}), [100, 200, 300], 300)
    add("piecewise_constant_schedule", dict(init_value=1.0, boundaries_and_scales=None), [], 10)
    add("piecewise_constant_schedule", dict(init_value=1.0, boundaries_and_scales={
        "0": 0.5, "5": 0.0}), [0, 5], 5)
    for kind in ("linear", "cosine"):
        add("piecewise_interpolate_schedule", dict(interpolate_type=kind, init_value=0.1,
                                                   boundaries_and_scales={"10": 10.0, "50": 0.1,
                                                                          "100": 0.01}),
            [10, 50, 100], 100)
        add("piecewise_interpolate_schedule", dict(interpolate_type=kind, init_value=1.0,
                                                   boundaries_and_scales={"0": 0.5, "7": 0.5,
                                                                          "8": 2.0, "20": 0.0}),
            [0, 7, 8, 20], 20)
        add("piecewise_interpolate_schedule", dict(interpolate_type=kind, init_value=2.0,
                                                   boundaries_and_scales=None), [], 10)
    for st in (False, True):
        add("exponential_decay", dict(init_value=1.0, transition_steps=10, decay_rate=0.5,
                                      staircase=st), [10, 20], 100)
        add("exponential_decay", dict(init_value=0.1, transition_steps=7, decay_rate=0.9,
                                      transition_begin=15, staircase=st, end_value=0.05),
            [15, 22, 29], 60)
    add("exponential_decay", dict(init_value=0.01, transition_steps=10, decay_rate=2.0,
                                  end_value=0.1), [10, 20, 30, 40], 60)
    add("exponential_decay", dict(init_value=0.3, transition_steps=0, decay_rate=0.5), [], 10)
    add("exponential_decay", dict(init_value=0.3, transition_steps=10, decay_rate=0.0), [], 10)
    add("cosine_decay_schedule", dict(init_value=0.1, decay_steps=100), [100], 100)
    add("cosine_decay_schedule", dict(init_value=1.0, decay_steps=37, alpha=0.1, exponent=2.0),
        [37], 37)
    add("warmup_cosine_decay_schedule", dict(init_value=0.0, peak_value=0.1, warmup_steps=10,
                                             decay_steps=100, end_value=0.001), [10, 100], 100)
    add("warmup_cosine_decay_schedule", dict(init_value=0.01, peak_value=1.0, warmup_steps=0,
                                             decay_steps=50, end_value=0.0, exponent=0.5),
        [50], 50)
    add("warmup_cosine_decay_schedule", dict(init_value=0.0, peak_value=0.0, warmup_steps=5,
                                             decay_steps=20), [5, 20], 20)
    add("warmup_exponential_decay_schedule", dict(init_value=0.0, peak_value=0.1, warmup_steps=10,
                                                  transition_steps=20, decay_rate=0.5,
                                                  transition_begin=5, staircase=True,
                                                  end_value=0.01), [10, 15, 35, 55], 100)
    add("warmup_exponential_decay_schedule", dict(init_value=0.001, peak_value=0.1,
                                                  warmup_steps=10, transition_steps=20,
                                                  decay_rate=0.5), [10, 30], 100)
    add("linear_onecycle_schedule", dict(transition_steps=100, peak_value=1.0), [30, 85, 100], 100)
    add("linear_onecycle_schedule", dict(transition_steps=37, peak_value=0.5, pct_start=0.25,
                                         pct_final=0.9, div_factor=10.0, final_div_factor=100.0),
        [9, 33, 37], 37)
    add("cosine_onecycle_schedule", dict(transition_steps=100, peak_value=1.0), [30, 100], 100)
    add("cosine_onecycle_schedule", dict(transition_steps=41, peak_value=0.3, pct_start=0.4,
                                         div_factor=5.0, final_div_factor=50.0), [16, 41], 41)
    add("sgdr_schedule", dict(cosine_kwargs=[
        dict(init_value=0.0, peak_value=0.1, warmup_steps=5, decay_steps=20, end_value=0.001),
        dict(init_value=0.001, peak_value=0.05, warmup_steps=3, decay_steps=30, end_value=0.0),
        dict(init_value=0.0, peak_value=0.02, warmup_steps=0, decay_steps=40, exponent=2.0)]),
        [5, 20, 23, 50, 90], 90)
    add("join_schedules", dict(schedules=[
        ["linear_schedule", dict(init_value=0.0, end_value=1.0, transition_steps=10)],
        ["constant_schedule", dict(value=0.7)],
        ["cosine_decay_schedule", dict(init_value=0.5, decay_steps=30)]],
        boundaries=[10, 25]), [10, 25, 55], 55)
    add("join_schedules", dict(schedules=[
        ["constant_schedule", dict(value=0.7)],
        ["exponential_decay", dict(init_value=0.5, transition_steps=5, decay_rate=0.5)]],
        boundaries=[0]), [0, 5], 20)
    write("optax", cases)


# ----------------------------------------------------------------------------------------------
def gen_deepspeed() -> None:
    import torch
    from deepspeed.runtime import lr_schedules as ds

    cases: list[dict[str, Any]] = []

    def add(cls: str, kwargs: dict[str, Any], n: int, lr: float = 0.1,
            far: tuple[int, ...] = ()) -> None:
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        sched = getattr(ds, cls)(opt, **kwargs)
        steps, values, moms = [], [], []
        for t in range(n + 1):
            if t > 0:
                sched.step()
            steps.append(float(t))
            values.append(float(opt.param_groups[0]["lr"]))
            moms.append(float(opt.param_groups[0]["betas"][0]))
        for t in far:  # jump: step(i) sets last_batch_iteration = i, the value after i + 1 steps
            sched.step(t - 1)
            steps.append(float(t))
            values.append(float(opt.param_groups[0]["lr"]))
            moms.append(float(opt.param_groups[0]["betas"][0]))
        case = {"func": cls, "kwargs": kwargs, "lr": lr, "steps": steps, "values": values,
                "dtype": "float64"}
        if cls == "OneCycle":
            case["momentum"] = moms
        cases.append(case)

    for kind in ("log", "linear"):
        add("WarmupLR", dict(warmup_min_lr=0.0, warmup_max_lr=0.01, warmup_num_steps=10,
                             warmup_type=kind), 20, far=(100, 1000))
        add("WarmupLR", dict(warmup_min_lr=0.001, warmup_num_steps=1, warmup_type=kind), 8,
            lr=0.05)
        add("WarmupDecayLR", dict(total_num_steps=40, warmup_min_lr=0.0, warmup_max_lr=0.01,
                                  warmup_num_steps=10, warmup_type=kind), 50, far=(400,))
        add("WarmupDecayLR", dict(total_num_steps=5, warmup_min_lr=0.002, warmup_max_lr=0.02,
                                  warmup_num_steps=8, warmup_type=kind), 15)
        add("WarmupCosineLR", dict(total_num_steps=40, warmup_min_ratio=0.1, warmup_num_steps=10,
                                   cos_min_ratio=0.01, warmup_type=kind), 50, lr=0.3,
            far=(500,))
        add("WarmupCosineLR", dict(total_num_steps=10, warmup_num_steps=12, warmup_type=kind),
            20, lr=1.0)
    add("OneCycle", dict(cycle_min_lr=0.01, cycle_max_lr=0.1, cycle_first_step_size=10), 30,
        far=(200,))
    add("OneCycle", dict(cycle_min_lr=0.001, cycle_max_lr=0.01, decay_lr_rate=0.5,
                         cycle_first_step_size=8, cycle_second_step_size=12, decay_step_size=5,
                         cycle_min_mom=0.85, cycle_max_mom=0.95, decay_mom_rate=0.01), 45,
        far=(300,))
    add("OneCycle", dict(cycle_min_lr=0.01, cycle_max_lr=0.1, cycle_first_step_size=12,
                         cycle_first_stair_count=4, decay_lr_rate=0.1, decay_step_size=3), 40)
    add("OneCycle", dict(cycle_min_lr=0.01, cycle_max_lr=0.1, cycle_first_step_size=9,
                         cycle_second_step_size=6, cycle_first_stair_count=3,
                         cycle_second_stair_count=2), 30)
    add("OneCycle", dict(cycle_min_lr=0.02, cycle_max_lr=0.2, cycle_first_step_size=7,
                         cycle_second_step_size=0, decay_lr_rate=1.0, decay_step_size=2), 20)
    for st in (False, True):
        add("LRRangeTest", dict(lr_range_test_min_lr=1e-4, lr_range_test_step_size=5,
                                lr_range_test_step_rate=2.0, lr_range_test_staircase=st), 30,
            far=(1000,))
    write("deepspeed", cases)


GENERATORS = {"tf1": gen_tf1, "keras": gen_keras, "optax": gen_optax, "deepspeed": gen_deepspeed}

if __name__ == "__main__":
    for which in sys.argv[1:] or list(GENERATORS):
        GENERATORS[which]()
