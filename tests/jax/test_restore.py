"""lrkit.jax.load_partial: pytrees, .npz, .safetensors and orbax checkpoints, with a report."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

from lrkit.jax import load_partial  # noqa: E402


def _pretrained():
    rng = np.random.default_rng(0)
    return {"params": {"body": {"kernel": rng.normal(size=(4, 4)).astype(np.float32),
                                "bias": rng.normal(size=(4,)).astype(np.float32)},
                       "head": {"kernel": rng.normal(size=(4, 10)).astype(np.float32),
                                "bias": rng.normal(size=(10,)).astype(np.float32)},
                       "old": {"w": np.ones(3, np.float32)}}}


def _target():
    f32 = jnp.float32  # explicit: under jax_enable_x64 the default would be float64
    return {"params": {"body": {"kernel": jnp.zeros((4, 4), f32), "bias": jnp.zeros((4,), jnp.bfloat16)},
                       "head": {"kernel": jnp.zeros((4, 3), f32), "bias": jnp.zeros((3,), f32)},
                       "new": {"w": jnp.zeros(2, f32)}}}


def _flat(tree):
    from lrkit.jax._paths import path_name

    return {path_name(p): v for p, v in jax.tree_util.tree_flatten_with_path(tree)[0]}


def _check(new, report, src):
    assert report.restored == ["params/body/kernel"]
    assert report.dtype_mismatched == {"params/body/bias": ("float32", "bfloat16")}
    assert report.mismatched == {"params/head/bias": ((10,), (3,)), "params/head/kernel": ((4, 10), (4, 3))}
    assert report.missing == ["params/new/w"]
    assert report.unexpected == ["params/old/w"]
    assert not report.ok
    np.testing.assert_array_equal(np.asarray(new["params"]["body"]["kernel"]),
                                  src["params"]["body"]["kernel"])
    assert not np.any(np.asarray(new["params"]["head"]["kernel"]))
    assert jax.tree_util.tree_structure(new) == jax.tree_util.tree_structure(_target())
    assert "1 shape" not in str(report) and "2 shape-mismatched" in str(report)


def test_from_pytree_npz_safetensors(tmp_path):
    src = _pretrained()
    params = _target()
    new, report = load_partial(params, src)
    _check(new, report, src)
    assert not np.any(np.asarray(params["params"]["body"]["kernel"]))  # params untouched

    np.savez(tmp_path / "ckpt.npz", **_flat(src))
    _check(*load_partial(params, tmp_path / "ckpt.npz"), src)

    st = pytest.importorskip("safetensors.numpy")
    st.save_file(_flat(src), str(tmp_path / "ckpt.safetensors"))
    _check(*load_partial(params, str(tmp_path / "ckpt.safetensors")), src)


def test_exclude_strict_and_orbax(tmp_path):
    src = _pretrained()
    params = _target()
    new, report = load_partial(params, src, exclude=["params/head", "re:/old/"])
    assert report.skipped == ["params/head/bias", "params/head/kernel", "params/old/w"]
    assert report.unexpected == [] and report.mismatched == {}
    with pytest.raises(ValueError, match=r"load_partial \(strict\): the checkpoint does not fit params"):
        load_partial(params, src, strict=True)
    ok_params = {"params": {"body": {"kernel": jnp.zeros((4, 4), jnp.float32),
                                    "bias": jnp.zeros((4,), jnp.float32)}}}
    new, report = load_partial(ok_params, src, exclude="params/head", strict=False)
    assert report.restored == ["params/body/bias", "params/body/kernel"]

    ocp = pytest.importorskip("orbax.checkpoint")
    ocp.PyTreeCheckpointer().save(str(tmp_path / "orbax"), src)
    new, report = load_partial(params, tmp_path / "orbax")
    _check(new, report, src)


def test_bad_input_names_the_argument(tmp_path):
    with pytest.raises(FileNotFoundError, match="source .* does not exist"):
        load_partial(_target(), tmp_path / "nope.npz")
    (tmp_path / "x.pt").write_bytes(b"")
    with pytest.raises(ValueError, match="source must be a pytree, a .npz or .safetensors file"):
        load_partial(_target(), tmp_path / "x.pt")
    with pytest.raises(TypeError, match="strict must be True or False"):
        load_partial(_target(), _pretrained(), strict="yes")
    with pytest.raises(ValueError, match="params must be a pytree with at least one array leaf"):
        load_partial({}, _pretrained())
