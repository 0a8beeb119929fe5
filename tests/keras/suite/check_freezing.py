"""lrkit.keras.freeze / unfreeze: Keras semantics, frozen variables bit for bit unchanged."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from lrkit.keras import freeze, param_groups, unfreeze
from tests.keras.suite._models import digits, loss, mlp

X, Y = digits(256)


def _np(model, path):
    return next(np.array(keras.ops.convert_to_numpy(v.value)) for v in model.weights if v.path == path)


def _fit(model):
    keras.utils.set_random_seed(0)
    model.fit(X, Y, batch_size=64, epochs=1, verbose=0)


@pytest.mark.parametrize("bn", ["eval", "train"])
def test_frozen_block_stays_bit_for_bit_and_bn_follows_the_option(bn):
    model = mlp()
    done = freeze(model, ["block_0*"], bn=bn)
    assert done == ["block_0_dense/kernel", "block_0_dense/bias", "block_0_norm/gamma", "block_0_norm/beta"]
    assert [v.path for v in model.trainable_variables] == [
        "block_1_dense/kernel", "block_1_dense/bias", "head/kernel", "head/bias"]
    assert model.get_layer("block_0_norm").trainable is (bn == "train")
    groups = param_groups(model)  # frozen variables keep their rates for a later unfreeze
    assert groups.multipliers["block_0_dense/bias"] == (1.0, 0.0)
    model.compile(groups.wrap(keras.optimizers.AdamW(1e-2, weight_decay=0.1)), loss())
    frozen = ["block_0_dense/kernel", "block_0_dense/bias", "block_0_norm/gamma", "block_0_norm/beta"]
    before = {p: _np(model, p) for p in frozen + ["block_0_norm/moving_mean", "head/kernel"]}
    _fit(model)
    for p in frozen:
        np.testing.assert_array_equal(before[p], _np(model, p))
    mean = "block_0_norm/moving_mean"
    stats_moved = not np.array_equal(before[mean], _np(model, mean))
    assert stats_moved is (bn == "train")
    assert not np.array_equal(before["head/kernel"], _np(model, "head/kernel"))


def test_unfreeze_and_bad_patterns():
    model = mlp()
    freeze(model)
    assert model.trainable_variables == []
    assert unfreeze(model, ["head", keras.layers.BatchNormalization]) == [
        "block_0_norm/gamma", "block_0_norm/beta", "head/kernel", "head/bias"]
    assert {v.path for v in model.trainable_variables} == {
        "block_0_norm/gamma", "block_0_norm/beta", "head/kernel", "head/bias"}
    assert not model.get_layer("block_0_norm").moving_mean.trainable
    with pytest.raises(ValueError, match="patterns match no variable"):
        freeze(model, ["decoder"])
    with pytest.raises(TypeError, match="patterns"):
        freeze(model, [1.5])
    with pytest.raises(ValueError, match="bn must be"):
        freeze(model, bn="frozen")
