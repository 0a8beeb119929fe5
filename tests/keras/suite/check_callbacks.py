"""lrkit.keras.PlateauCallback and GradualUnfreeze inside one compiled ``model.fit``."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest

import lrkit
from lrkit.keras import GradualUnfreeze, LearningRateSchedule, PlateauCallback, freeze, unfreeze
from lrkit.plateau import OnPlateau, Plateau
from tests.keras.suite._models import digits, loss, mlp

BACKEND = keras.backend.backend()
STEPS = 2  # optimizer steps per epoch in the plateau tests
# float64 metrics: 0.9 - 1e-12 improves on 0.9 (abs threshold 0) in float64, not in float32;
# a NaN metric is a bad epoch, as for Plateau (and torch)
METRICS = [5.0, 4.0, 4.0, 4.0, 0.9, 0.9 - 1e-12, 0.9, 0.9, 0.9, 0.8, float("nan"), 0.8]
OPTIONS = dict(patience=1, factor=0.5, cooldown=1, threshold=0.0, threshold_mode="abs")


def _rule() -> OnPlateau:
    return OnPlateau(lrkit.warmup(lrkit.Constant(0.5), 4), start=4, **OPTIONS)


class _Counting(LearningRateSchedule):
    """Counts Python evaluations: a traced step evaluates once per trace."""

    calls = 0

    def __call__(self, step):
        type(self).calls += 1
        return super().__call__(step)


@keras.saving.register_keras_serializable(package="lrkit_tests")
def mean_output(y_true, y_pred):
    return keras.ops.mean(y_pred)


def _linear(schedule) -> keras.Model:
    """kernel <- kernel - rate each step (loss = mean(x @ kernel), x = 1): the kernel is minus
    the sum of the rates applied."""
    inputs = keras.Input((1,))
    out = keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros", name="w")(inputs)
    model = keras.Model(inputs, out)
    model.compile(keras.optimizers.SGD(schedule), loss=mean_output)
    return model


class _Script(keras.callbacks.Callback):
    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = self.values[epoch]


class _Record(keras.callbacks.Callback):
    def __init__(self, schedule):
        super().__init__()
        self.schedule, self.rows = schedule, []

    def on_epoch_end(self, epoch, logs=None):
        kernel = float(keras.ops.convert_to_numpy(self.model.get_layer("w").kernel)[0, 0])
        self.rows.append((kernel, self.schedule.plateau_variables.read()))


def _fit(model, schedule, metrics, epochs=None, initial_epoch=0):
    rec = _Record(schedule)
    x = np.ones((2 * STEPS, 1), "float32")
    model.fit(x, x, batch_size=2, epochs=epochs or len(metrics), initial_epoch=initial_epoch,
              shuffle=False, verbose=0, callbacks=[_Script(metrics), PlateauCallback("score"), rec])
    return rec.rows


def test_plateau_decisions_are_the_controllers_and_the_step_reads_them_without_retrace():
    _Counting.calls = 0
    schedule = _Counting(_rule())
    model = _linear(schedule)
    rows = _fit(model, schedule, METRICS)
    assert [v.path.split("/")[-1] for v in model.optimizer.variables] == [
        "iteration", "plateau_state", "plateau_scale"]
    # the same metrics through the Python controller (start=4: the first epoch ends at step 2)
    ref, plain, kernel = _rule(), Plateau(1.0, **OPTIONS), 0.0
    step = 0
    for epoch, metric in enumerate(METRICS):
        for _ in range(STEPS):
            kernel -= np.float32(ref(step))
            step += 1
        ref.observe(step, metric)
        if ref.watching(step):
            assert plain.step(metric) == ref.scale  # the decisions of Plateau itself
        got_kernel, got_state = rows[epoch]
        assert got_state == ref.state_dict(), epoch
        np.testing.assert_allclose(got_kernel, kernel, rtol=1e-6)
    assert ref.controller.num_reductions == 3 and ref.scale == 0.125
    assert rows[5][1]["best"] == 0.9 - 1e-12  # the float64 metric is kept exactly
    if BACKEND != "torch":  # traced once (TF: once more for the symbolic build), not per epoch
        assert _Counting.calls <= 3
    else:  # the eager step reads the variable at every step
        assert _Counting.calls >= STEPS * len(METRICS)


def test_plateau_state_is_saved_and_restored_exactly(tmp_path):
    schedule = LearningRateSchedule(_rule())
    model = _linear(schedule)
    _fit(model, schedule, METRICS[:8])
    saved = schedule.plateau_variables.read()
    assert saved["num_reductions"] == 2
    model.save_weights(tmp_path / "w.weights.h5")
    model.save(tmp_path / "m.keras")
    continued = _fit(model, schedule, METRICS, epochs=12, initial_epoch=8)

    for path in ("w.weights.h5", "m.keras"):
        twin_schedule = LearningRateSchedule(_rule())
        twin = _linear(twin_schedule)
        if path.endswith(".keras"):  # a fresh optimizer lacks the variables: Keras skips it,
            with warnings.catch_warnings():  # then attach + load_weights restores everything
                warnings.simplefilter("ignore")
                twin = keras.models.load_model(tmp_path / path)
            twin_schedule = twin.optimizer._learning_rate
        PlateauCallback("score").attach(twin)
        twin.load_weights(tmp_path / path)
        assert twin_schedule.plateau_variables.read() == saved
        assert _fit(twin, twin_schedule, METRICS, epochs=12, initial_epoch=8) == continued


def test_plateau_errors_name_what_is_wrong():
    schedule = LearningRateSchedule(_rule())
    model = _linear(schedule)
    x = np.ones((4, 1), "float32")
    with pytest.raises(ValueError, match=r"monitor='val_score' is not in the epoch logs; they have \['loss'"):
        model.fit(x, x, epochs=1, verbose=0, callbacks=[PlateauCallback("val_score")],
                  validation_data=(x, x))
    plain = _linear(0.1)
    with pytest.raises(ValueError, match="rate has no plateau part"):
        plain.fit(x, x, epochs=1, verbose=0, callbacks=[PlateauCallback("loss")])
    with pytest.raises(TypeError, match="monitor must be a non-empty str"):
        PlateauCallback(monitor=3)
    # inside a GroupedOptimizer: the variables belong to the wrapped optimizer
    grouped = _linear(0.1)
    opt = lrkit.keras.param_groups(grouped).wrap(keras.optimizers.SGD(LearningRateSchedule(_rule())))
    grouped.compile(opt, loss=mean_output)
    grouped.optimizer.build(grouped.trainable_variables)
    found = PlateauCallback("loss").attach(grouped)
    assert found.state is grouped.optimizer.variables[1] is opt.inner.variables[1]


def _values(model):
    return {v.path: np.array(keras.ops.convert_to_numpy(v.value), copy=True) for v in model.weights}


def _slots(model):
    return {v.path: np.array(keras.ops.convert_to_numpy(v.value), copy=True)
            for v in model.optimizer.variables}


class _Snapshots(keras.callbacks.Callback):
    def __init__(self, batches=False):
        super().__init__()
        self.begin, self.end, self.batches, self.every_batch = [], [], [], batches

    def on_epoch_begin(self, epoch, logs=None):
        self.begin.append((_values(self.model), _slots(self.model)))

    def on_epoch_end(self, epoch, logs=None):
        self.end.append((_values(self.model), _slots(self.model)))

    def on_train_batch_end(self, batch, logs=None):
        if not self.every_batch:
            return
        if BACKEND == "jax":
            self.model.jax_state_sync()
        self.batches.append(_values(self.model))


BLOCK_1 = ["block_1_dense/kernel", "block_1_dense/bias"]
BLOCK_0 = ["block_0_dense/kernel", "block_0_dense/bias", "block_0_norm/gamma", "block_0_norm/beta",
           "block_0_norm/moving_mean", "block_0_norm/moving_variance"]


def test_gradual_unfreeze_by_epoch_keeps_state_and_frozen_variables_bit_for_bit():
    x, y = digits(256)
    model = mlp()
    freeze(model)
    unfreeze(model, ["head"])
    model.compile(keras.optimizers.AdamW(1e-2, weight_decay=0.1), loss())
    start = _values(model)
    snaps = _Snapshots()
    keras.utils.set_random_seed(0)
    model.fit(x, y, batch_size=64, epochs=3, verbose=0,
              callbacks=[GradualUnfreeze({1: "block_1*", 2: "block_0*"}), snaps])

    def moved(values, paths):
        return [p for p in paths if not np.array_equal(values[p], start[p])]

    # head only in epoch 0, block_1 from epoch 1, block_0 (and its batch-norm) from epoch 2
    assert moved(snaps.end[0][0], BLOCK_1 + BLOCK_0) == []
    assert moved(snaps.end[1][0], BLOCK_1 + BLOCK_0) == BLOCK_1
    assert moved(snaps.end[2][0], BLOCK_1 + BLOCK_0) == BLOCK_1 + BLOCK_0
    # the optimizer's state for the head (and its step count) is kept across each stage, the
    # new variables start from zero state
    for epoch in (1, 2):
        before, after = snaps.end[epoch - 1][1], snaps.begin[epoch][1]
        for path, value in before.items():
            np.testing.assert_array_equal(after[path], value, err_msg=path)
        new = [p for p in after if p not in before]
        assert new and all(not after[p].any() for p in new)
        assert all(("block_1" if epoch == 1 else "block_0") in p for p in new)
    assert len(model.optimizer.variables) == 2 + 2 * len(model.trainable_variables)


def test_gradual_unfreeze_by_step_and_bad_input():
    x, y = digits(256)
    model = mlp()
    freeze(model, ["block_*"])
    # inside a loss-scale wrapper around a GroupedOptimizer: every level is rebuilt
    grouped = lrkit.keras.param_groups(model, {"block_1*": 0.5}).wrap(
        keras.optimizers.SGD(1e-2, momentum=0.9))
    model.compile(keras.optimizers.LossScaleOptimizer(grouped), loss())
    start = _values(model)
    snaps = _Snapshots(batches=True)
    model.fit(x, y, batch_size=64, epochs=2, verbose=0, shuffle=False,
              callbacks=[GradualUnfreeze({6: "block_1*"}, per="step"), snaps])
    first = [i for i, v in enumerate(snaps.batches)
             if not np.array_equal(v["block_1_dense/kernel"], start["block_1_dense/kernel"])]
    assert first[0] == 6  # optimizer step 7 (batch index 6) is the first to move it
    assert all(np.array_equal(snaps.batches[-1][p], start[p]) for p in BLOCK_0)
    paths = [v.path for v in model.optimizer.variables]
    assert len(set(paths)) == len(paths) and any("block_1_dense_kernel_momentum" in p for p in paths)
    with pytest.raises(TypeError, match="stages must be a non-empty dict"):
        GradualUnfreeze([])
    with pytest.raises(ValueError, match="per must be"):
        GradualUnfreeze({1: "head"}, per="batch")
    with pytest.raises(ValueError, match="stage 1: patterns match no variable"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[GradualUnfreeze({1: "decoder"})])


def test_compiled_value_with_the_variable_equals_the_python_formula():
    """The step's value reads the multiplier variable through OnPlateau.value (stop, then and
    the min_lr floor included) and equals the Python evaluation at every step."""
    rule = OnPlateau(lrkit.warmup(lrkit.Constant(0.5), 4), stop=12, then=lrkit.Linear(1.0, 0.0, 8),
                     min_lr=0.2, factor=0.5)
    schedule = LearningRateSchedule(rule)
    opt = keras.optimizers.SGD(schedule)
    found = PlateauCallback().attach(_compiled(opt))
    for scale in (1.0, 0.5, 0.0625):
        state = {**rule.state_dict(), "scale": scale}
        found.write(state)
        got = [float(keras.ops.convert_to_numpy(schedule(keras.ops.convert_to_tensor(n, "int32"))))
               for n in range(24)]
        want = [rule.value(n, scale) for n in range(24)]
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)
        assert (min(want[1:12]) < 0.2) is (scale == 1.0)  # the floor binds once cut


def _compiled(opt):
    model = _linear(0.1)
    model.compile(opt, loss=mean_output)
    return model
