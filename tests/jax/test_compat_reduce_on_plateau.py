"""lrkit.compat.optax.reduce_on_plateau equals optax.contrib.reduce_on_plateau update for update."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

from lrkit.compat.optax import reduce_on_plateau  # noqa: E402

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CASES = json.loads((GOLDEN / "optax_plateau_golden.json").read_text())["cases"]


def _generator():
    spec = importlib.util.spec_from_file_location("_gen_optax_plateau", GOLDEN / "generate_optax_plateau.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


@pytest.mark.parametrize("case", CASES, ids=[json.dumps(c["kwargs"]) for c in CASES])
def test_equals_golden_from_real_optax(case):
    scales, states = _generator().run(reduce_on_plateau, case["kwargs"], case["values"])
    assert scales == case["scales"]  # bit for bit: same float32 operations
    assert states == case["states"]
    assert len(set(scales)) > 1


def test_equals_live_optax_on_a_training_run_and_scales_updates():
    kw = {"factor": 0.5, "patience": 3, "cooldown": 1, "accumulation_size": 2}
    values = _generator().metrics(60, seed=11)
    ours = _generator().run(reduce_on_plateau, kw, values)
    theirs = _generator().run(optax.contrib.reduce_on_plateau, kw, values)
    assert ours == theirs
    tx = optax.chain(optax.sgd(0.1), reduce_on_plateau(**kw))
    ref = optax.chain(optax.sgd(0.1), optax.contrib.reduce_on_plateau(**kw))
    p = {"w": jnp.arange(3.0)}
    s, r = tx.init(p), ref.init(p)
    ours_up = jax.jit(lambda s, v: tx.update(p, s, p, value=v))
    ref_up = jax.jit(lambda s, v: ref.update(p, s, p, value=v))
    for v in values:
        u, s = ours_up(s, jnp.float32(v))
        w, r = ref_up(r, jnp.float32(v))
        np.testing.assert_array_equal(np.asarray(u["w"]), np.asarray(w["w"]))
    assert float(s[1].scale) < 1.0


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="reduce_on_plateau: factor must be in \\(0, 1\\), got 1.0"):
        reduce_on_plateau(factor=1.0)
    with pytest.raises(ValueError, match="rtol or atol must be > 0"):
        reduce_on_plateau(rtol=0.0, atol=0.0)
    with pytest.raises(ValueError, match="rtol must be <= 1, got 2.0"):
        reduce_on_plateau(rtol=2.0)
    with pytest.raises(ValueError, match="accumulation_size must be >= 1, got 0"):
        reduce_on_plateau(accumulation_size=0)
    with pytest.raises(TypeError, match="patience must be an integer"):
        reduce_on_plateau(patience=1.5)
