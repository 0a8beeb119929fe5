"""lrkit.keras.find_lr on a compiled model: a real range test, and the model put back bit for bit.

Compiling is the slow part of these tests, so models are shared where a test only needs a model
with some training history: every test compares against the state it saw before its own test.
"""

from __future__ import annotations

import random

import keras
import numpy as np
import pytest

import lrkit
from lrkit.keras import LearningRateSchedule, find_lr
from tests.keras.suite._models import digits, loss, mlp, same, state

X, Y = digits(512)


def _train(model: keras.Model, steps: int, start: int = 0) -> None:
    for i in range(start, start + steps):
        j = 32 * i % 480
        model.train_on_batch(X[j:j + 32], Y[j:j + 32])


def _compiled(seed: int = 0, schedule: bool = True) -> keras.Model:
    model = mlp(seed)
    lr = LearningRateSchedule(lrkit.warmup(lrkit.Cosine(0.01, 100), 5)) if schedule else 0.01
    model.compile(keras.optimizers.Adam(lr), loss(), metrics=["accuracy"])
    _train(model, 4)  # optimizer state and a non-zero iteration count
    return model


@pytest.fixture(scope="module")
def pair():
    return _compiled(), _compiled()


def _rng_draws() -> tuple:
    return (random.random(), float(np.random.random()),
            keras.ops.convert_to_numpy(keras.random.uniform((3,))).tobytes())


def test_range_test_leaves_the_model_as_it_found_it(pair):
    model, twin = pair
    rate = model.optimizer._learning_rate
    before = state(model)
    assert same(before, state(twin))
    keras.utils.set_random_seed(7)
    res = find_lr(model, X, Y, batch_size=32, start=1e-5, end=10, num_steps=40, progress=False)
    after_draws = _rng_draws()
    keras.utils.set_random_seed(7)
    assert after_draws == _rng_draws()  # the generators are where they were
    assert same(before, state(model))
    assert model.optimizer._learning_rate is rate
    assert len(model.optimizer.variables) == len(twin.optimizer.variables)
    # the curve is a real range test: the loss falls, then the test stops at breakdown
    assert 2 <= len(res.lrs) <= 40 and res.lrs[0] == pytest.approx(1e-5)
    assert np.nanmin(res.losses) < res.losses[0]
    assert res.suggestion is not None and 1e-4 < res.suggestion < 10
    # training goes on exactly as if no test had happened (the compiled step reads the schedule)
    for m in (model, twin):
        keras.utils.set_random_seed(3)
        _train(m, 6, start=4)
    assert same(state(model), state(twin))


def test_float_rate_is_put_back():
    model = _compiled(schedule=False)
    model.optimizer.learning_rate = 0.003
    before = state(model)
    find_lr(model, X, Y, num_steps=10, progress=False)
    assert same(before, state(model))
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == np.float32(0.003)


def test_restored_after_divergence_exception_and_interrupt(pair):
    model = pair[0]
    before = state(model)
    res = find_lr(model, X, Y, start=1e-3, end=1e6, num_steps=30, progress=False)
    assert res.stop_reason != "completed"
    assert same(before, state(model))

    def batches(fail_at, exc):
        for i in range(100):
            if i == fail_at:
                raise exc
            yield X[32 * i % 480:32 * i % 480 + 32], Y[32 * i % 480:32 * i % 480 + 32]

    with pytest.raises(RuntimeError, match="disk"):
        find_lr(model, batches(6, RuntimeError("disk")), num_steps=20, progress=False)
    assert same(before, state(model))
    with pytest.raises(KeyboardInterrupt):
        find_lr(model, batches(4, KeyboardInterrupt()), num_steps=20, progress=False)
    assert same(before, state(model))
    with pytest.raises(ValueError, match="ran out after 3 batches"):
        find_lr(model, iter([(X[:32], Y[:32])] * 3), num_steps=10, progress=False)
    assert same(before, state(model))


def _pydataset():
    class Digits(keras.utils.PyDataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            return X[32 * i:32 * i + 32], Y[32 * i:32 * i + 32]

    return Digits()


def _tf_dataset():
    tf = pytest.importorskip("tensorflow")
    return tf.data.Dataset.from_tensor_slices((X, Y)).batch(32)


@pytest.mark.parametrize("kind", ["pydataset", "tf.data", "list", "generator"])
def test_every_kind_of_data(pair, kind):
    model = pair[0]
    before = state(model)
    data = {"pydataset": _pydataset, "tf.data": _tf_dataset,
            "list": lambda: [(X[32 * i:32 * i + 32], Y[32 * i:32 * i + 32]) for i in range(4)],
            "generator": lambda: ((X[32 * i:32 * i + 32], Y[32 * i:32 * i + 32]) for i in range(16))}[kind]()
    res = find_lr(model, data, num_steps=12, start=1e-4, end=1.0, progress=False)
    assert len(res.lrs) == 12 and np.all(np.isfinite(res.losses))
    assert same(before, state(model))


def test_same_curve_twice_and_probe_rule(pair):
    model = pair[0]
    a = find_lr(model, X, Y, num_steps=25, start=1e-4, end=3, progress=False)
    b = find_lr(model, X, Y, num_steps=25, start=1e-4, end=3, progress=False)
    np.testing.assert_array_equal(a.losses, b.losses)  # same batches, same state, same dropout
    before = state(model)
    res = find_lr(model, X, Y, num_steps=25, start=1e-4, end=3, rule="probe", probe_steps=4,
                  progress=False)
    assert res.probe is not None and res.suggestion > 0
    assert same(before, state(model))


def test_unbuilt_model_is_built_first():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(16, activation="relu"), keras.layers.Dense(10)])
    model.compile(keras.optimizers.SGD(1e-2), loss())
    find_lr(model, X, Y, num_steps=5, progress=False)
    assert model.built and model.optimizer.built
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == 0


def test_bad_input_names_the_argument():
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10)])
    with pytest.raises(ValueError, match="model must be compiled"):
        find_lr(model, X, Y)
    model.compile(keras.optimizers.Adam(1e-3), loss())
    with pytest.raises(TypeError, match="x must be arrays"):
        find_lr(model, 3.0)
    with pytest.raises(ValueError, match="y and sample_weight must be None"):
        find_lr(model, _pydataset(), Y)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        find_lr(model, X, Y, batch_size=0)
    with pytest.raises(ValueError, match="same number of samples"):
        find_lr(model, X, Y[:10])
    with pytest.raises(ValueError, match="start"):
        find_lr(model, X, Y, start=1.0, end=0.1)
    with pytest.raises(ValueError, match="stretch must be >= 1"):
        find_lr(model, X, Y, stretch=0)


def test_grouped_optimizer_keeps_its_ratios_and_is_restored():
    from lrkit.keras import param_groups

    model = mlp()
    groups = param_groups(model, {"head": 4.0})
    model.compile(groups.wrap(keras.optimizers.Adam(LearningRateSchedule(lrkit.Constant(1e-3)))), loss())
    _train(model, 2)
    before = state(model)
    res = find_lr(model, X, Y, num_steps=15, start=1e-4, end=1.0, progress=False)
    assert len(res.lrs) >= 2
    assert same(before, state(model))
    assert isinstance(model.optimizer.inner._learning_rate, LearningRateSchedule)


def test_the_driver_reads_its_curve_with_the_cores_rule_widening_included():
    # issue 15: one rule for every framework (Adam never breaks down by 1e-3 here: widened)
    from tests.finder.replay import assert_core_reads_the_same

    model = _compiled(seed=3, schedule=False)
    res = find_lr(model, X, Y, batch_size=32, start=1e-6, end=1e-3, num_steps=40, progress=False)
    assert len(res.lrs) > 40
    assert_core_reads_the_same(res, start=1e-6, end=1e-3, num_steps=40)

