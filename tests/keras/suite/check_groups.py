"""Per-variable rates in one Keras optimizer: exact, compiled, saved and loaded."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import lrkit
from lrkit.keras import GroupedOptimizer, LearningRateSchedule, layer_decay, param_groups
from lrkit.rules import Rule
from tests.keras.suite._models import digits, loss, mlp, same, state

X, Y = digits(256)


def _vars(seed=0):
    rng = np.random.default_rng(seed)
    shapes = {"a_kernel": (5, 3), "a_bias": (3,), "b_kernel": (3, 2)}
    return [keras.Variable(rng.normal(size=s).astype("float32"), name=p) for p, s in shapes.items()]


def _grads(step, vs):
    rng = np.random.default_rng(100 + step)
    return [keras.ops.convert_to_tensor(rng.normal(size=v.shape).astype("float32")) for v in vs]


def _np(v):
    return np.array(keras.ops.convert_to_numpy(v.value))


@pytest.mark.parametrize("make", [
    lambda lr, wd: keras.optimizers.AdamW(lr, weight_decay=wd),
    lambda lr, wd: keras.optimizers.SGD(lr, momentum=0.9, nesterov=True, weight_decay=wd),
    lambda lr, wd: keras.optimizers.RMSprop(lr, weight_decay=wd),
])
def test_each_variable_moves_as_the_plain_optimizer_at_its_scaled_rate(make):
    """Rate multipliers 0.25/0.5/1 and decay multipliers 0/1 (exact in float32): every variable
    ends bit for bit where a plain optimizer with lr*m and weight_decay*d puts it."""
    vs = _vars()
    mult = {vs[0].path: (0.25, 1.0), vs[1].path: (0.5, 0.0), vs[2].path: (1.0, 1.0)}
    grouped = GroupedOptimizer(make(0.01, 0.125), mult)
    refs = [_vars() for _ in vs]
    plain = [make(0.01 * m, 0.125 * d) for m, d in mult.values()]
    for step in range(5):
        grads = _grads(step, vs)
        grouped.apply(grads, vs)
        for i, (opt, ref) in enumerate(zip(plain, refs)):
            opt.apply([grads[i]], [ref[i]])
    for i, v in enumerate(vs):
        np.testing.assert_array_equal(_np(v), _np(refs[i][i]))
    assert int(keras.ops.convert_to_numpy(grouped.iterations)) == 5


def test_adam_rate_multiplier_is_not_a_gradient_scale():
    vs, ref = _vars(), _vars()
    grouped = GroupedOptimizer(keras.optimizers.Adam(0.01), {vs[0].path: (0.25, 1.0)})
    scaled = keras.optimizers.Adam(0.01)
    g = _grads(0, vs)
    grouped.apply(g, vs)
    scaled.apply([g[0] * 0.25] + g[1:], ref)
    start = _vars()
    moved = np.abs(_np(vs[0]) - _np(start[0])).max()
    moved_scaled = np.abs(_np(ref[0]) - _np(start[0])).max()
    assert moved == pytest.approx(0.25 * moved_scaled, rel=1e-3)  # Adam ignores the gradient scale


def _fit(model, epochs=1):
    keras.utils.set_random_seed(1)
    model.fit(X, Y, batch_size=64, epochs=epochs, verbose=0, shuffle=False)


def test_compiled_fit_equals_the_plain_optimizer_at_the_scaled_rate(tmp_path):
    sched = LearningRateSchedule(lrkit.warmup(lrkit.Cosine(0.02, 40), 4))
    a, b = mlp(dropout=0.0), mlp(dropout=0.0)  # Keras does not save a dropout seed's position
    groups = param_groups(a, {"*": 1.0}, no_decay=None)
    groups.multipliers = {p: (0.5, 1.0) for p in groups.multipliers}
    a.compile(groups.wrap(keras.optimizers.AdamW(sched, weight_decay=0.05)), loss())
    half = LearningRateSchedule(lrkit.warmup(lrkit.Cosine(0.01, 40), 4))
    b.compile(keras.optimizers.AdamW(half, weight_decay=0.05), loss())
    _fit(a)
    _fit(b)
    assert same(state(a), state(b))
    # saved and loaded (importing lrkit.keras registers the class): same rates, same state
    path = tmp_path / "grouped.keras"
    a.save(path)
    back = keras.models.load_model(path)
    assert isinstance(back.optimizer, GroupedOptimizer)
    assert back.optimizer.multipliers == a.optimizer.multipliers
    assert same(_saved(back), _saved(a))
    _fit(a)
    _fit(back)
    assert same(_saved(back), _saved(a))


def _saved(model):
    """Weights and optimizer variables (what a .keras file holds)."""
    return [np.array(keras.ops.convert_to_numpy(v.value)) for v in model.weights + model.optimizer.variables]


def test_layer_decay_and_rules_table():
    model = mlp()
    g = layer_decay(model, 0.5)
    d = g.as_dict()
    assert d["head/kernel"]["lr_scale"] == 1.0 and d["block_1_dense/kernel"]["lr_scale"] == 0.5
    assert d["block_0_dense/kernel"]["lr_scale"] == 0.125
    assert d["block_0_dense/bias"]["weight_decay_scale"] == 0
    assert "layer_3" in g.table()
    g = param_groups(model, [Rule(keras.layers.BatchNormalization, lr_mult=0.1),
                             Rule("head", lr_mult=3.0), Rule("re:^block_[01]_dense/", lr_mult=0.5)],
                     strict=True)
    m = g.multipliers
    assert m["block_0_norm/gamma"] == (0.1, 0.0) and m["head/kernel"] == (3.0, 1.0)
    assert m["block_1_dense/bias"] == (0.5, 0.0)
    opt = g.wrap(keras.optimizers.SGD(0.1))
    assert opt.multiplier(model.get_layer("head").kernel) == (3.0, 1.0)
    assert "head/kernel" in opt.table()


def test_freeze_rule_and_training_with_a_frozen_part():
    model = mlp()
    g = param_groups(model, {"block_0*": "freeze", "head": 2.0})
    assert not model.get_layer("block_0_dense").kernel.trainable
    assert "block_0_dense/kernel" in g.frozen and g.multipliers["block_0_dense/kernel"] == (1.0, 1.0)
    frozen_before = _np(model.get_layer("block_0_dense").kernel)
    model.compile(g.wrap(keras.optimizers.AdamW(1e-2, weight_decay=0.1)), loss())
    _fit(model)
    np.testing.assert_array_equal(frozen_before, _np(model.get_layer("block_0_dense").kernel))


def test_bad_rules_name_the_argument():
    model = mlp()
    with pytest.raises(ValueError, match="strict.*matching no parameter: nothing_here"):
        param_groups(model, {"nothing_here": 2.0, "*": 1.0}, strict=True)
    with pytest.raises(TypeError, match="match"):
        param_groups(model, [Rule(3.5)])
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        param_groups("model")
    with pytest.raises(ValueError, match="decay must be in"):
        layer_decay(model, 1.5)
    with pytest.raises(TypeError, match="optimizer must be a Keras optimizer"):
        GroupedOptimizer("adam")
    with pytest.raises(ValueError, match="must be >= 0"):
        GroupedOptimizer(keras.optimizers.SGD(), {"a/kernel": (-1, 1)})
