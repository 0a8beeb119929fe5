"""Properties of EVERY registered schedule name, native and dialect, with no early exit.

For each name of ``lrkit.names()`` the valid keyword set written by hand in the fuzz harness
(``tests/fuzz/harness.BASE``) builds the schedule; the two names that wrap a Python function
(``torch.LambdaLR``, ``torch.MultiplicativeLR``) are built with one. Every example checks, for
steps drawn by hypothesis (integers and fractions, near zero, around the horizons and far past
them):

* every value is finite and >= 0 (none of these keyword sets makes a schedule grow);
* the vectorised call equals the scalar call at every step (to 1e-12 relative);
* the config round-trips: ``from_config(to_config())`` has the same config and the same values
  (the two function-wrapping names refuse ``to_config`` with a TypeError naming the function).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrkit
from tests.fuzz.harness import BASE, CALLABLE_ONLY

NAMES = lrkit.names()
FUNCTIONS = {"torch.LambdaLR": lambda epoch: 0.9 ** epoch, "torch.MultiplicativeLR": lambda epoch: 0.95}


def build(name: str) -> lrkit.Schedule:
    if name in CALLABLE_ONLY:
        return lrkit.from_config({"type": name, "lr": 0.1, "lr_lambda": FUNCTIONS[name]})
    return lrkit.from_config({"type": name, **BASE[name]})


def test_every_registered_name_is_covered():
    # a new name without a keyword set here fails this test instead of going unchecked
    assert set(NAMES) == set(BASE) | CALLABLE_ONLY
    assert len(NAMES) >= 95


step_values = st.one_of(
    st.integers(0, 300),
    st.floats(0.0, 300.0, allow_nan=False),
    st.integers(0, 10**7),
    st.floats(0.0, 1e9, allow_nan=False),
)
step_lists = st.lists(step_values, min_size=1, max_size=12)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=step_lists)
def test_values_finite_non_negative_and_vectorised_equals_scalar(name, steps):
    if name == "torch.MultiplicativeLR":
        # a product of user-function calls, one per epoch (as torch makes them): 10**9 epochs
        # cost 10**9 calls, so this one is checked up to 10**4 epochs
        steps = [min(t, 1e4) for t in steps]
    s = build(name)
    scalar = [s(t) for t in steps]
    for t, v in zip(steps, scalar):
        assert isinstance(v, float), (name, t, v)
        assert math.isfinite(v) and v >= 0.0, (name, t, v)
    vector = np.asarray(s(np.asarray(steps, dtype=np.float64)), dtype=np.float64)
    assert vector.shape == (len(steps),), name
    np.testing.assert_allclose(vector, scalar, rtol=1e-12, atol=0.0, err_msg=name)


GRID = np.concatenate([np.arange(0.0, 260.0, 0.5), np.geomspace(260.0, 1e8, 40)])


@pytest.mark.parametrize("name", sorted(set(NAMES) - CALLABLE_ONLY))
def test_config_round_trip(name):
    s = build(name)
    cfg = s.to_config()
    assert cfg["type"] == name or cfg["type"] in NAMES, (name, cfg)
    text = json.dumps(cfg)  # plain data, writable to a file
    again = lrkit.from_config(json.loads(text))
    assert again.to_config() == cfg, name
    np.testing.assert_array_equal(again(GRID), s(GRID), err_msg=name)
    assert [again(t) for t in (0, 1, 7.5, 99, 10**6)] == [s(t) for t in (0, 1, 7.5, 99, 10**6)], name


@pytest.mark.parametrize("name", sorted(CALLABLE_ONLY))
def test_function_wrapping_names_refuse_to_config(name):
    s = build(name)
    with pytest.raises(TypeError, match="lr_lambda"):
        s.to_config()
    # and still evaluate like torch: LambdaLR at epoch e is lr * f(e); MultiplicativeLR the
    # product of f(1) ... f(e)
    expected = 0.1 * 0.9 ** 5 if name == "torch.LambdaLR" else 0.1 * 0.95 ** 5
    assert s(5) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_the_smallest_positive_step_is_step_zero(name):
    # 5e-324 / T underflows to 0: a cycling horizon ceil(t / T) * T must not collapse to 0
    # (tf1.polynomial_decay / polynomial with cycle=True divided by zero there)
    s = build(name)
    tiny = 5e-324
    assert math.isfinite(s(tiny)) and s(tiny) >= 0.0, name
    assert s(tiny) == pytest.approx(s(0), rel=1e-9, abs=1e-300), name
    assert float(np.asarray(s(np.asarray([tiny])))[0]) == s(tiny), name


def test_polynomial_cycle_at_a_denormal_step_is_the_start():
    s = lrkit.Polynomial(start=0.1, steps=100, end=0.001, cycle=True)
    assert s(5e-324) == 0.1
    assert s(100) == pytest.approx(0.001) and s(150) == pytest.approx(0.02575)  # (0.099) * 0.25 + 0.001
