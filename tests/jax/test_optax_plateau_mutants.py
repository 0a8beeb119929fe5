"""lrkit.compat.optax.reduce_on_plateau against the installed optax.contrib.reduce_on_plateau, field
for field (values and dtypes of the whole state, not only the scale and counters the golden file
records), on sequences built to reach each rule: the defaults, ties at the tolerance, improvements
during the cooldown, the min_scale floor, averaging, mixed parameter dtypes; and its messages."""

from __future__ import annotations

import re

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

from lrkit.compat.optax import reduce_on_plateau  # noqa: E402

FIELDS = ("scale", "best_value", "plateau_count", "cooldown_count", "count", "avg_value")


def _trace(tx, params, values):
    """(state fields as (value, dtype) pairs, the updates) after each update."""
    state = tx.init(params)
    step = jax.jit(lambda s, v: tx.update(params, s, params, value=v))
    out = []
    for v in values:
        upd, state = step(state, v)
        out.append(({f: (np.asarray(getattr(state, f)).tolist(), str(np.asarray(getattr(state, f)).dtype))
                     for f in FIELDS},
                    jax.tree.map(lambda g: (np.asarray(g).tolist(), str(g.dtype)), upd)))
    return out


def _same_as_optax(kwargs, values, params=None):
    params = {"w": jnp.ones(2, jnp.float32)} if params is None else params
    values = [jnp.float32(v) for v in values]
    ours = _trace(reduce_on_plateau(**kwargs), params, values)
    theirs = _trace(optax.contrib.reduce_on_plateau(**kwargs), params, values)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, f"update {i}"
    return ours


def _scales(trace):
    return [t[0]["scale"][0] for t in trace]


@pytest.mark.parametrize("kwargs, exc, message", [
    ({"factor": 0.0}, ValueError, "factor must be in (0, 1), got 0.0"),
    ({"factor": -0.5}, ValueError, "factor must be in (0, 1), got -0.5"),
    ({"factor": [0.5]}, TypeError, "factor must be a number, got [0.5] (list)"),
    ({"patience": -1}, ValueError, "patience must be >= 0, got -1"),
    ({"patience": 2.5}, TypeError, "patience must be an integer, got 2.5 (float)"),
    ({"rtol": -1e-3}, ValueError, "rtol must be >= 0, got -0.001"),
    ({"rtol": None}, TypeError, "rtol must be a number, got None (NoneType)"),
    ({"atol": -0.5}, ValueError, "atol must be >= 0, got -0.5"),
    ({"atol": [0.1]}, TypeError, "atol must be a number, got [0.1] (list)"),
    ({"rtol": 0.0, "atol": 0.0}, ValueError, "rtol or atol must be > 0, got rtol=0 and atol=0"),
    ({"rtol": 1.5}, ValueError, "rtol must be <= 1, got 1.5"),
    ({"cooldown": -1}, ValueError, "cooldown must be >= 0, got -1"),
    ({"cooldown": 0.5}, TypeError, "cooldown must be an integer, got 0.5 (float)"),
    ({"accumulation_size": 0}, ValueError, "accumulation_size must be >= 1, got 0"),
    ({"accumulation_size": 1.5}, TypeError, "accumulation_size must be an integer, got 1.5 (float)"),
    ({"min_scale": -0.1}, ValueError, "min_scale must be >= 0, got -0.1"),
    ({"min_scale": (0.1,)}, TypeError, "min_scale must be a number, got (0.1,) (tuple)"),
])
def test_bad_arguments_name_the_argument_and_the_value(kwargs, exc, message):
    with pytest.raises(exc, match="^" + re.escape("reduce_on_plateau: " + message) + "$"):
        reduce_on_plateau(**kwargs)


def test_defaults_are_optax_defaults():
    # patience 10, factor 0.1: the 11th equal value reduces; rtol 1e-4: a 5e-5 relative drop
    # is no improvement, a 2e-4 one is; atol 0, cooldown 0, min_scale 0, no accumulation
    values = [1.0, 0.99995] + [0.99995] * 9 + [0.9997] + [0.9997] * 10
    trace = _same_as_optax({}, values)
    scales = _scales(trace)
    assert scales[10] == pytest.approx(0.1) and scales[9] == 1.0
    assert scales[-1] == pytest.approx(0.01, rel=1e-6)
    assert trace[-1][0]["cooldown_count"][0] == 0


@pytest.mark.parametrize("kwargs, values", [
    # a tie at the absolute tolerance is no improvement (strict <)
    ({"factor": 0.5, "patience": 1, "rtol": 0.0, "atol": 0.25}, [1.0, 0.75, 0.5, 0.5, 0.25, 0.0]),
    # both tolerances at once
    ({"factor": 0.5, "patience": 2, "rtol": 0.1, "atol": 0.05},
     [1.0, 0.86, 0.84, 0.7, 0.7, 0.7, 0.5, 0.5, 0.5]),
    # improvements during the cooldown move the best value; bad values there are not counted
    ({"factor": 0.5, "patience": 1, "cooldown": 3}, [1.0, 1.0, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.4, 0.4, 0.4]),
    # patience 0: every observation without an improvement is the patience-th
    ({"factor": 0.5, "patience": 0}, [1.0, 0.5, 0.5, 0.2, 0.2, 0.2]),
    # the floor holds, and is applied even without a reduction
    ({"factor": 0.25, "patience": 1, "min_scale": 0.1}, [1.0] * 8),
    ({"factor": 0.5, "patience": 2, "min_scale": 2.0}, [1.0] * 5),
    # averaging of unequal values over windows of 3; the counters run between windows
    ({"factor": 0.5, "patience": 1, "accumulation_size": 3}, [3.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 0.5, 0.5,
                                                              1.0, 0.0, 2.0, 0.1, 0.1, 0.1]),
    ({"factor": 0.5, "patience": 2, "cooldown": 1, "accumulation_size": 2}, [2.0, 1.0] + [1.5, 1.5] * 6),
])
def test_every_field_equals_optax(kwargs, values):
    trace = _same_as_optax(kwargs, values)
    assert len(set(_scales(trace))) > 1 or kwargs.get("min_scale", 0) > 1


def test_mixed_parameter_dtypes():
    # the scale takes the lowest parameter dtype, the best and the mean the highest
    params = {"a": jnp.ones(2, jnp.bfloat16), "b": jnp.ones(3, jnp.float32)}
    kw = {"factor": 0.5, "patience": 1, "cooldown": 1}
    trace = _same_as_optax(kw, [1.0, 1.0, 1.0, 1.0, 0.3], params=params)
    assert trace[0][0]["scale"][1] == "bfloat16" and trace[0][0]["best_value"][1] == "float32"
    assert _scales(trace) == [1.0, 0.5, 0.5, 0.25, 0.25]
    # parameters all in half precision: the best value and the mean in it too
    half = _same_as_optax(kw, [1.0, 1.0, 0.5], params={"a": jnp.ones(2, jnp.float16)})
    assert half[0][0]["best_value"][1] == "float16" and half[0][0]["avg_value"][1] == "float16"


def test_initial_state():
    s = reduce_on_plateau().init({"w": jnp.zeros(3, jnp.float32)})
    r = optax.contrib.reduce_on_plateau().init({"w": jnp.zeros(3, jnp.float32)})
    assert s._fields == r._fields
    for a, b in zip(s, r):
        assert np.asarray(a).dtype == np.asarray(b).dtype and np.asarray(a).tolist() == np.asarray(b).tolist()
    assert float(s.scale) == 1.0 and float(s.best_value) == float("inf") and int(s.plateau_count) == 0


def test_update_without_params_and_with_extra_arguments():
    tx = reduce_on_plateau(factor=0.5, patience=0)
    p = {"w": jnp.asarray([2.0, -4.0], jnp.float32)}
    s = tx.init(p)
    u, s = tx.update(p, s, value=1.0)
    u, s = tx.update(p, s, value=1.0, other=3)
    np.testing.assert_array_equal(np.asarray(u["w"]), [1.0, -2.0])
    assert float(s.scale) == 0.5


def test_edge_arguments_are_accepted():
    # rtol 1 (the largest), atol alone, patience 0, cooldown 0, accumulation 1, min_scale 0
    _same_as_optax({"rtol": 1.0, "patience": 0, "factor": 0.5}, [1.0, 0.5, -0.5, -0.4])
    _same_as_optax({"rtol": 0.0, "atol": 0.1, "patience": 0, "factor": 0.5, "min_scale": 0.0},
                   [1.0, 0.95, 0.85, 0.8])


def test_half_precision_means_are_taken_in_half_precision():
    # optax casts each value to the parameters' highest dtype before averaging: (1 + f16(1.001)) / 2
    # is 1.0 in float16, 1.0009765625 if the sum were taken in float32
    trace = _same_as_optax({"accumulation_size": 2}, [1.0, 1.001], params={"a": jnp.ones(2, jnp.float16)})
    assert trace[1][0]["best_value"] == (1.0, "float16")


def test_with_64_bit_types_enabled_the_counters_stay_int32():
    with jax.enable_x64(True):
        trace = _same_as_optax({"factor": 0.5, "patience": 1, "cooldown": 1, "accumulation_size": 2},
                               [2.0, 1.0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5],
                               params={"w": jnp.ones(2, jnp.float64)})
    last = trace[-1][0]
    assert last["best_value"] == (1.5, "float64")
    assert {last[f][1] for f in ("plateau_count", "cooldown_count", "count")} == {"int32"}
