"""Write golden values for ``lrkit.compat.optax.reduce_on_plateau`` by running the REAL
``optax.contrib.reduce_on_plateau`` (float32, jax's default precision).

    .venv/bin/python tests/golden/generate_optax_plateau.py

``tests/golden/optax_plateau_golden.json`` holds a list of cases ``{"kwargs", "values",
"scales", "states"}``: after update ``i`` with ``value=values[i]`` the transformation's scale is
``scales[i]`` and its state's integer fields are ``states[i]`` (plateau_count, cooldown_count,
count). :func:`run` is also the live reference of the tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "optax_plateau_golden.json"

CASES: list[dict[str, Any]] = [
    {},
    {"factor": 0.5, "patience": 2},
    {"factor": 0.5, "patience": 1, "cooldown": 2},
    {"factor": 0.3, "patience": 0, "min_scale": 0.05},
    {"factor": 0.5, "patience": 2, "rtol": 0.0, "atol": 0.01},
    {"factor": 0.5, "patience": 1, "rtol": 0.02, "atol": 0.001, "accumulation_size": 3},
    {"factor": 0.9, "patience": 3, "cooldown": 1, "accumulation_size": 2, "min_scale": 0.5},
]


def metrics(n: int = 80, seed: int = 0) -> list[float]:
    """A noisy decreasing curve with flat stretches, rounded to float32."""
    rng = np.random.default_rng(seed)
    third = n // 3
    base = np.concatenate([np.linspace(2.0, 1.0, third), np.full(third, 1.0),
                           np.linspace(1.0, 0.8, n - 2 * third)])
    noise = rng.choice([0.0, 0.0, 0.03, -0.01], size=n)
    return [float(v) for v in (base + noise).astype(np.float32)]


def run(make: Any, kwargs: dict[str, Any], values: list[float]) -> tuple[list[float], list[list[int]]]:
    """Scales and (plateau_count, cooldown_count, count) after each update of ``make(**kwargs)``."""
    import jax
    import jax.numpy as jnp

    tx = make(**kwargs)
    params = {"w": jnp.ones(2, jnp.float32)}
    state = tx.init(params)
    update = jax.jit(lambda s, v: tx.update(params, s, params, value=v)[1])
    scales, states = [], []
    for v in values:
        state = update(state, jnp.float32(v))
        scales.append(float(state.scale))
        states.append([int(state.plateau_count), int(state.cooldown_count), int(state.count)])
    return scales, states


def main() -> None:
    import optax

    out = []
    for i, kw in enumerate(CASES):
        values = metrics(seed=i)
        scales, states = run(optax.contrib.reduce_on_plateau, kw, values)
        out.append({"kwargs": kw, "values": values, "scales": scales, "states": states})
    OUT.write_text(json.dumps({"optax": optax.__version__, "cases": out}) + "\n")
    print(f"wrote {OUT} ({len(out)} cases, optax {optax.__version__})")


if __name__ == "__main__":
    main()
