"""lrkit.compat.keras.ReduceLROnPlateau: defaults, messages, state and the edges the golden file
(tests/golden/keras_plateau.json) does not reach. Expected values by hand from Keras 3's
``ReduceLROnPlateau.on_epoch_end`` / ``MonitorCallback`` (``monitor_op(current - min_delta, best)``
with ``min_delta`` negated for ``less``; ``in_cooldown()`` is ``cooldown_counter > 0``; a reduction
only when ``wait >= patience`` and ``old_lr > np.float32(min_lr)``, which is also the only place
``wait`` is reset without an improvement). Does not import Keras."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lrkit.compat._keras_plateau import resolve_mode
from lrkit.compat.keras import ReduceLROnPlateau

K = "keras.ReduceLROnPlateau: "


def f32(x: float) -> float:
    return float(np.float32(x))


def test_defaults_are_keras_defaults():
    c = ReduceLROnPlateau()
    # keras: monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
    # cooldown=0, min_lr=0.0; the optimizer's rate here defaults to Keras optimizers' 0.001
    assert c.initial_lr == 0.001
    assert c.lr == f32(0.001)
    assert c.monitor == "val_loss"
    assert c.factor == 0.1
    assert c.patience == 10
    assert c.verbose == 0
    assert c.mode == "min"
    assert c.min_delta == 1e-4
    assert c.cooldown == 0
    assert c.min_lr == 0.0
    assert c.state_dict() == {"best": None, "wait": 0, "cooldown_counter": 0, "lr": f32(0.001)}
    assert repr(c) == ("ReduceLROnPlateau(lr=0.001, monitor='val_loss', factor=0.1, patience=10, "
                       "mode='min', min_delta=0.0001, cooldown=0, min_lr=0.0)")


def test_arguments_are_stored():
    c = ReduceLROnPlateau(lr=0.5, monitor="val_accuracy", factor=0.25, patience=3, verbose=2,
                          min_delta=-0.01, cooldown=4, min_lr=0.001)
    assert (c.monitor, c.verbose, c.mode, c.min_delta, c.cooldown) == ("val_accuracy", 2, "max", 0.01, 4)
    assert repr(c) == ("ReduceLROnPlateau(lr=0.5, monitor='val_accuracy', factor=0.25, patience=3, "
                       "mode='max', min_delta=0.01, cooldown=4, min_lr=0.001)")


@pytest.mark.parametrize("kwargs, exc, message", [
    ({"lr": -0.1}, ValueError, "lr must be >= 0, got -0.1"),
    ({"lr": [0.1]}, TypeError, "lr must be a number, got [0.1] (list)"),
    ({"factor": -0.5}, ValueError, "factor must be >= 0, got -0.5"),
    ({"factor": None}, TypeError, "factor must be a number, got None (NoneType)"),
    ({"factor": 1.5}, ValueError, "factor must be < 1.0 (Keras does not support a factor >= 1.0), got 1.5"),
    ({"patience": -1}, ValueError, "patience must be >= 0, got -1"),
    ({"patience": 1.5}, TypeError, "patience must be an integer, got 1.5 (float)"),
    ({"min_delta": (1,)}, TypeError, "min_delta must be a number, got (1,) (tuple)"),
    ({"cooldown": -2}, ValueError, "cooldown must be >= 0, got -2"),
    ({"cooldown": 0.5}, TypeError, "cooldown must be an integer, got 0.5 (float)"),
    ({"min_lr": -1e-3}, ValueError, "min_lr must be >= 0, got -0.001"),
    ({"min_lr": None}, TypeError, "min_lr must be a number, got None (NoneType)"),
    ({"mode": "up"}, ValueError, "mode must be one of 'auto', 'min', 'max', got 'up'"),
    ({"monitor": "val_perplexity"}, ValueError,
     "mode='auto' cannot tell whether monitor='val_perplexity' should go up or down (Keras knows loss and "
     "its built-in metrics); pass mode='min' or mode='max'"),
    ({"monitor": 5, "mode": "min"}, TypeError, "monitor must be a metric name (str), got 5"),
    ({"monitor": "", "mode": "min"}, TypeError, "monitor must be a metric name (str), got ''"),
])
def test_bad_arguments_name_the_owner_the_argument_and_the_value(kwargs, exc, message):
    with pytest.raises(exc, match="^" + re.escape(K + message) + "$"):
        ReduceLROnPlateau(**kwargs)


def test_patience_and_cooldown_zero_are_accepted():
    c = ReduceLROnPlateau(lr=1.0, factor=0.5, patience=0, cooldown=0, mode="min")
    # patience 0: wait (1) >= 0 at the first bad epoch
    assert [c.step(m) for m in (1.0, 1.0, 1.0)] == [1.0, 0.5, 0.25]


def test_resolve_mode_messages_name_the_owner():
    with pytest.raises(ValueError, match="^" + re.escape(K + "mode must be one of 'auto', 'min', 'max', "
                                                         "got 'down'") + "$"):
        resolve_mode("down", "loss")
    with pytest.raises(ValueError, match="^" + re.escape("mine: mode must be one of")):
        resolve_mode("down", "loss", "mine")
    with pytest.raises(ValueError, match=re.escape("(Keras knows loss and its built-in metrics); pass "
                                                   "mode='min' or mode='max'") + "$"):
        resolve_mode("auto", "val_bleu")
    assert resolve_mode("auto", "val_mae") == "min"
    assert resolve_mode("max", "loss") == "max"


def test_a_bad_metric_names_the_owner():
    msg = "^" + re.escape(K + "metric must be a number or a one-element tensor, got ")
    with pytest.raises(TypeError, match=msg + re.escape("'high' (str)")):
        ReduceLROnPlateau().step("high")
    with pytest.raises(TypeError, match=msg + "None"):
        ReduceLROnPlateau().step(None)


def test_max_mode_an_equal_metric_is_no_improvement():
    # keras: ops.greater(current - 0, best) is False for current == best
    c = ReduceLROnPlateau(lr=0.1, mode="max", min_delta=0.0, factor=0.5, patience=1)
    r0 = f32(0.1)
    assert [c.step(m) for m in (1.0, 1.0, 1.0)] == [r0, f32(r0 * 0.5), f32(f32(r0 * 0.5) * 0.5)]
    # and min_delta counts in max mode: 1.05 - 0.1 > 1.0 is False
    d = ReduceLROnPlateau(lr=0.1, mode="max", min_delta=0.1, factor=0.5, patience=1)
    assert [d.step(m) for m in (1.0, 1.05)] == [f32(0.1), f32(f32(0.1) * 0.5)]
    assert d.state_dict()["best"] == 1.0


def test_bad_epochs_are_not_counted_while_the_cooldown_lasts():
    c = ReduceLROnPlateau(lr=1.0, monitor="loss", factor=0.5, patience=1, cooldown=2)
    # epoch 2 reduces (cooldown_counter = 2); epoch 3: counter -> 1, still in cooldown, not counted;
    # epoch 4: counter -> 0, counted, reduces again; and so on
    assert [c.step(1.0) for _ in range(6)] == [1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    assert c.state_dict() == {"best": 1.0, "wait": 0, "cooldown_counter": 2, "lr": 0.125}


def test_at_the_floor_wait_keeps_counting_and_no_cooldown_starts():
    # keras resets wait and starts the cooldown only when it reduces, i.e. old_lr > float32(min_lr)
    c = ReduceLROnPlateau(lr=0.01, min_lr=0.01, monitor="loss", factor=0.5, patience=1, cooldown=3)
    assert [c.step(2.0) for _ in range(4)] == [f32(0.01)] * 4
    assert c.state_dict() == {"best": 2.0, "wait": 3, "cooldown_counter": 0, "lr": f32(0.01)}


def test_reset_forgets_best_and_counters_but_keeps_the_rate():
    c = ReduceLROnPlateau(lr=1.0, monitor="loss", factor=0.5, patience=2, cooldown=1)
    # epochs 2, 3 bad: reduce at 3 (cooldown 1); epoch 4: cooldown ends, bad again: wait 1
    assert [c.step(1.0) for _ in range(4)] == [1.0, 1.0, 0.5, 0.5]
    assert c.state_dict() == {"best": 1.0, "wait": 1, "cooldown_counter": 0, "lr": 0.5}
    c.reset()
    assert c.state_dict() == {"best": None, "wait": 0, "cooldown_counter": 0, "lr": 0.5}
    assert c.lr == 0.5
    # 5.0 is a new best after the reset (worse than 1.0), then two bad epochs
    assert [c.step(5.0) for _ in range(3)] == [0.5, 0.5, 0.25]


def test_load_state_dict_refuses_another_shape():
    c = ReduceLROnPlateau()
    msg = "^" + re.escape(K + "state must be a dict with keys best, wait, cooldown_counter, lr, got ")
    with pytest.raises(ValueError, match=msg + re.escape("{'best': 1.0}")):
        c.load_state_dict({"best": 1.0})
    with pytest.raises(ValueError, match=msg):
        c.load_state_dict({"best": 1.0, "wait": 0, "cooldown_counter": 0, "lr": 0.1, "extra": 1})
    with pytest.raises(ValueError, match=msg + re.escape("[1, 2]")):
        c.load_state_dict([1, 2])
    state = {"best": 0.5, "wait": 2, "cooldown_counter": 1, "lr": 0.25}
    c.load_state_dict(state)
    assert c.state_dict() == state
