"""Integer steps against step boundaries are compared exactly where the framework keeps them.

JAX's default float32 cannot hold every integer above 2**24 (16_777_217 rounds to 16_777_216),
so the facade compares the integer step it converted with the boundary in the integer domain.
"""

from __future__ import annotations

import numpy as np
import pytest

import lrkit

BIG = 16_777_217  # 2**24 + 1: the first integer float32 cannot hold


def at(schedule, steps, kind):
    if kind == "python":
        return np.array([schedule(int(t)) for t in steps])
    if kind == "numpy":
        return np.asarray(schedule(np.asarray(steps, dtype=np.int64)))
    if kind == "torch":
        torch = pytest.importorskip("torch")
        return schedule(torch.as_tensor(steps, dtype=torch.int64)).numpy()
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    steps32 = jnp.asarray(steps, dtype=jnp.int32)
    if kind == "jax":
        return np.asarray(schedule(steps32))
    jitted = jax.jit(schedule)
    if kind == "jax-jit":
        return np.asarray(jitted(steps32))
    return np.array([float(jitted(jnp.asarray(t, dtype=jnp.int32))) for t in steps])  # scalars


KINDS = ["python", "numpy", "torch", "jax", "jax-jit", "jax-jit-scalar"]


@pytest.mark.parametrize("kind", KINDS)
def test_multistep_switches_at_its_milestone_above_2_to_the_24(kind):
    s = lrkit.MultiStep(0.1, [BIG, 2**30 + 3], factor=0.5)
    steps = [BIG - 2, BIG - 1, BIG, BIG + 1, 2**30 + 2, 2**30 + 3, 2**30 + 4]
    want = [0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]
    np.testing.assert_allclose(at(s, steps, kind), want, rtol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_piecewise_after_and_at_above_2_to_the_24(kind):
    after = lrkit.Piecewise([1.0, 0.5, 0.25], [BIG, BIG + 2.5], switch="after")
    at_ = lrkit.Piecewise([1.0, 0.5, 0.25], [BIG, BIG + 2.5], switch="at")
    steps = [BIG - 1, BIG, BIG + 1, BIG + 2, BIG + 3]
    np.testing.assert_array_equal(at(after, steps, kind), [1.0, 1.0, 0.5, 0.5, 0.25])
    np.testing.assert_array_equal(at(at_, steps, kind), [1.0, 0.5, 0.5, 0.5, 0.25])


def test_jax_boundaries_beyond_int32_are_never_crossed():
    jax = pytest.importorskip("jax")
    s = lrkit.MultiStep(1.0, [2**31 + 5.0], factor=0.5)
    top = jax.numpy.asarray([0, 2**31 - 1], dtype=jax.numpy.int32)
    np.testing.assert_array_equal(np.asarray(jax.jit(s)(top)), [1.0, 1.0])


def test_jax_negative_integer_step_is_step_0_and_stays_exact():
    jax = pytest.importorskip("jax")
    s = lrkit.MultiStep(1.0, [0.0, BIG], factor=0.5)
    got = np.asarray(jax.jit(s)(jax.numpy.asarray([-3, 0, BIG - 1, BIG], dtype=jax.numpy.int32)))
    np.testing.assert_array_equal(got, [0.5, 0.5, 0.5, 0.25])
