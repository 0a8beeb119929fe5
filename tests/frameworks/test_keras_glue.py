"""lrkit schedules drive real Keras 3 optimizers, and survive saving a model."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytest.importorskip("sklearn")

import lrkit  # noqa: E402
from lrkit.keras import LearningRateSchedule  # noqa: E402


def _digits():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x / 16.0).astype("float32"), y.astype("int32")


def _model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                             keras.layers.Dense(10)])


def test_optimizer_follows_the_schedule_while_training(tmp_path):
    x, y = _digits()
    sched = lrkit.warmup(lrkit.Cosine(0.2, 40), 10)
    model = _model()
    opt = keras.optimizers.SGD(learning_rate=LearningRateSchedule(sched), momentum=0.9)
    model.compile(opt, keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    seen = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            it = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
            seen.append((it, float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))))

    hist = model.fit(x[:1280], y[:1280], batch_size=64, epochs=2, verbose=0, callbacks=[Record()])
    assert len(seen) == 40
    for it, lr in seen:
        assert lr == pytest.approx(sched(it), rel=1e-6, abs=1e-9)  # float32 in Keras
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    # the schedule is part of the saved model, as a plain config
    path = tmp_path / "m.keras"
    model.save(path)
    back = keras.models.load_model(path)
    restored = back.optimizer._learning_rate
    assert isinstance(restored, LearningRateSchedule) and restored.schedule == sched


def test_config_round_trip_and_bad_input():
    s = lrkit.OneCycle(0.1, 100)
    lr = LearningRateSchedule(s)
    assert LearningRateSchedule.from_config(lr.get_config()).schedule == s
    assert LearningRateSchedule(s.to_config()).schedule == s
    with pytest.raises(TypeError, match="schedule must be an lrkit Schedule"):
        LearningRateSchedule(0.1)


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_other_keras_backends(backend):
    pytest.importorskip(backend)
    code = textwrap.dedent("""
        import numpy as np, keras, lrkit
        from lrkit.keras import LearningRateSchedule
        s = lrkit.OneCycle(0.5, 30)
        m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        m.compile(keras.optimizers.Adam(LearningRateSchedule(s)), "mse")
        x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
        m.fit(x, x.sum(1, keepdims=True), batch_size=8, epochs=1, verbose=0)
        it = int(keras.ops.convert_to_numpy(m.optimizer.iterations))
        lr = float(keras.ops.convert_to_numpy(m.optimizer.learning_rate))
        print(it, lr, s(it))
    """)
    env = dict(os.environ, KERAS_BACKEND=backend)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    it, lr, want = out.stdout.split()[-3:]
    assert int(it) == 8
    assert float(lr) == pytest.approx(float(want), rel=1e-6)
    assert np.isfinite(float(lr))
