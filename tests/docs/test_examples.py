"""The framework examples run on tiny data and do what their docstrings say.

Each example's ``main`` trains on scikit-learn's digits (no downloads) with small settings; the
test checks that every optimizer update used the lrkit schedule's value for that update and that
the model learned. (The Keras, JAX/optax, transfer, DDP and sweep examples have their own tests.)
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

pytest.importorskip("sklearn")
torch = pytest.importorskip("torch")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_example_{name}", EXAMPLES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


def test_torch_plain_loop(one_thread):
    out = _load("torch_digits").main(epochs=3, verbose=False)
    s = out["schedule"]
    assert len(out["rates"]) == out["total"]
    assert all(_close(r, s(n)) for n, rates in enumerate(out["rates"]) for r in rates)
    assert 1e-4 < out["peak"] < 1.0
    assert out["accuracy"] > 0.85


def test_lightning_steps_the_schedule_once_per_update(one_thread):
    pytest.importorskip("lightning")
    out = _load("lightning_digits").main(epochs=2, verbose=False)
    s = out["schedule"]
    assert out["updates"] == len(out["rates"]) == s.total_steps
    assert all(_close(lr, s(n)) and _close(m, s.momentum(n)) for n, (lr, m) in enumerate(out["rates"]))
    assert out["accuracy"] > 0.8


def test_hf_trainer_uses_the_lrkit_schedule(one_thread):
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    out = _load("hf_trainer_digits").main(steps=60, verbose=False)
    s = out["schedule"]
    from lrkit.torch import Scheduler

    assert isinstance(out["scheduler"], Scheduler)   # the Trainer kept ours, built none of its own
    assert len(out["rates"]) == 60
    assert all(_close(r, s(n)) for n, r in enumerate(out["rates"]))
    assert max(out["rates"]) == pytest.approx(3e-3, rel=1e-3)   # the warmup reached the peak
    assert out["accuracy"] > 0.6


def test_keras_plateau_example_decides_as_the_controller():
    """examples/keras_plateau_digits.py (article 004) in its own process on the JAX backend: each
    epoch's cut equals lrkit.plateau's on the same val_loss values, the next rate is the
    schedule's, and the run halves the rate at least once."""
    import json
    import os
    import subprocess
    import sys

    if importlib.util.find_spec("keras") is None or importlib.util.find_spec("jax") is None:
        pytest.skip("keras or jax is not installed")
    code = ("import json, runpy; m = runpy.run_path('examples/keras_plateau_digits.py', "
            "run_name='example'); print(json.dumps(m['main'](epochs=7, verbose=False)))")
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", code], cwd=EXAMPLES.parent, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    import lrkit
    from lrkit.plateau import Plateau

    rule = lrkit.from_config(out["config"])
    c = rule.controller
    plain = Plateau(1.0, mode=c.mode, factor=c.factor, patience=c.patience, threshold=c.threshold,
                    threshold_mode=c.threshold_mode, cooldown=c.cooldown, min_lr=c.min_lr, eps=c.eps)
    for step, loss, rate, scale in zip(out["step"], out["val_loss"], out["rate"], out["scale"]):
        rule.observe(step, loss)
        if rule.watching(step):
            assert plain.step(loss) == rule.scale
        assert scale == rule.scale
        assert math.isclose(rate, rule(step), rel_tol=1e-6)
    assert out["step"][0] == out["warmup"] and out["rate"][0] == pytest.approx(out["peak"], rel=1e-6)
    assert out["reductions"] >= 1 and rule.controller.num_reductions == out["reductions"]
    assert out["accuracy"] > 0.8
