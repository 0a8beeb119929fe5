"""lrkit.keras.load_partial: every kind of source, a report, and atomic restores."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from lrkit.keras import load_partial
from tests.keras.suite._models import mlp


def _np(v):
    return np.array(keras.ops.convert_to_numpy(v.value))


def _weights(model):
    return {v.path: _np(v) for v in model.weights if "seed_generator" not in v.path}


def _new_head_model(seed=1, classes=5):
    """The pre-trained body with a new head of another size (the article's transfer setup)."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((64,), name="pixels")
    h = keras.layers.Dense(32, activation="relu", name="block_0_dense")(inputs)
    h = keras.layers.BatchNormalization(name="block_0_norm")(h)
    h = keras.layers.Dense(32, activation="relu", name="block_1_dense")(h)
    out = keras.layers.Dense(classes, name="head")(h)
    return keras.Model(inputs, out, name="transfer")


@pytest.mark.parametrize("kind", ["model", "mapping", "weights.h5", "keras"])
def test_restore_all_but_the_head_from_every_source(tmp_path, kind):
    src = mlp(0)
    src.compile(keras.optimizers.Adam(1e-3), "mse")
    src.optimizer.build(src.trainable_variables)  # its state is in the files too, not a weight
    if kind == "weights.h5":
        source = tmp_path / "pre.weights.h5"
        src.save_weights(source)
    elif kind == "keras":
        source = tmp_path / "pre.keras"
        src.save(source)
    else:
        source = src if kind == "model" else {v.path: _np(v) for v in src.weights}
    model = _new_head_model()
    head_before = _np(model.get_layer("head").kernel)
    report = load_partial(model, source, exclude=["head"], freeze_restored=True)
    want = _weights(src)
    got = _weights(model)
    body = [k for k in got if not k.startswith("head/")]
    assert sorted(report.restored) == sorted(body)
    for k in body:
        np.testing.assert_array_equal(got[k], want[k])
    np.testing.assert_array_equal(head_before, got["head/kernel"])
    assert report.skipped == ["head/kernel", "head/bias"] and not report.missing
    assert report.ok and "restored 8 variables" in str(report)
    assert [v.path for v in model.trainable_variables] == ["head/kernel", "head/bias"]


def test_mismatch_missing_unexpected_reported_and_strict_is_atomic():
    src = mlp(0)
    model = _new_head_model(classes=5)
    before = _weights(model)
    source = {v.path: _np(v) for v in src.weights}
    source["extra/kernel"] = np.zeros((2, 2), "float32")
    del source["block_1_dense/bias"]
    with pytest.raises(ValueError, match="strict.*nothing was restored"):
        load_partial(model, source, strict=True)
    after = _weights(model)
    assert all(np.array_equal(before[k], after[k]) for k in before)
    dry = load_partial(model, source, dry_run=True)
    assert all(np.array_equal(before[k], v) for k, v in _weights(model).items())
    report = load_partial(model, source)
    assert report.mismatched == {"head/kernel": ((32, 10), (32, 5)), "head/bias": ((10,), (5,))}
    assert report.missing == ["block_1_dense/bias"] and report.unexpected == ["extra/kernel"]
    assert report.restored == dry.restored and not report.ok
    assert "shape mismatch (kept as is): head/kernel" in str(report)


def test_rename_and_tf_checkpoint(tmp_path):
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(0)
    model = _new_head_model()
    # a TF1-style checkpoint of another naming scheme, mapped with a name map
    names = {"net/fc1/kernel": (64, 32), "net/fc1/bias": (32,), "net/fc2/kernel": (32, 32),
             "net/fc2/bias": (32,)}
    values = {k: rng.normal(size=s).astype("float32") for k, s in names.items()}
    ckpt = tf.train.Checkpoint(**{k.replace("/", "_"): tf.Variable(v) for k, v in values.items()})
    prefix = ckpt.write(str(tmp_path / "tf1"))

    def name_map(n):
        return n.replace("net_fc1_", "block_0_dense/").replace("net_fc2_", "block_1_dense/")

    report = load_partial(model, prefix, rename=name_map)
    np.testing.assert_array_equal(_np(model.get_layer("block_0_dense").kernel), values["net/fc1/kernel"])
    np.testing.assert_array_equal(_np(model.get_layer("block_1_dense").bias), values["net/fc2/bias"])
    assert len(report.restored) == 4 and "head/kernel" in report.missing
    report = load_partial(model, {"old/kernel": np.zeros((64, 32))}, rename={"old": "block_0_dense"})
    assert report.renamed == {"old/kernel": "block_0_dense/kernel"}
    assert not _np(model.get_layer("block_0_dense").kernel).any()


def test_bad_source_names_the_argument(tmp_path):
    model = _new_head_model()
    with pytest.raises(TypeError, match="source must be a .weights.h5/.keras path"):
        load_partial(model, 3)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_partial(model, tmp_path / "nothing.ckpt")
    with pytest.raises(TypeError, match="rename must be"):
        load_partial(model, {}, rename=5)
    with pytest.raises(TypeError, match="exclude"):
        load_partial(model, {}, exclude=[3.5])
