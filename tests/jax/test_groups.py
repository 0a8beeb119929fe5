"""Rules on pytree paths -> one optax transformation; exact per-leaf updates; Flax Linen and NNX."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

import lrkit  # noqa: E402
from lrkit.jax import hyperparams, layer_decay, param_labels  # noqa: E402
from lrkit.jax._paths import path_name  # noqa: E402
from lrkit.plateau import OnPlateau  # noqa: E402


def _dict_params():
    rng = np.random.default_rng(0)

    def a(*shape):
        return jnp.asarray(rng.normal(size=shape), jnp.float32)

    return {"embed": {"embedding": a(10, 4)}, "encoder": {"w": a(4, 4), "bias": a(4)},
            "head": {"w": a(4, 3), "bias": a(3)}}


def _grads_seq(params, n):
    rng = np.random.default_rng(1)
    return [jax.tree_util.tree_map(lambda p: jnp.asarray(rng.normal(size=p.shape), jnp.float32), params)
            for _ in range(n)]


def _leaves(tree):
    return {path_name(p): v for p, v in jax.tree_util.tree_flatten_with_path(tree)[0]}


@pytest.mark.parametrize("fuse", [True, False])
def test_each_leaf_gets_the_base_optimizer_update_at_its_own_rate_adamw_included(fuse):
    params = _dict_params()
    groups = param_labels(params, {"encoder": 0.1, "head": {"lr_mult": 2.0, "decay_mult": 0.5},
                                   "embed": "freeze"})
    assert groups.as_dict() == {"encoder/w": (0.1, 1.0), "encoder/bias": (0.1, 0.0),
                                "head/w": (2.0, 0.5), "head/bias": (2.0, 0.5),  # an explicit decay_mult wins
                                "embed/embedding": (0.0, 0.0)}
    lr = lrkit.warmup(lrkit.Cosine(0.01, 20), 3)
    tx = groups.optimizer(optax.adamw, lr, weight_decay=0.05, b2=0.99, fuse=fuse)
    state = tx.init(params)
    update = jax.jit(tx.update)
    mult = groups.as_dict()
    names = list(_leaves(params))
    # the oracle: for every leaf its own adamw at rate m * lr(t) and decay d * 0.05
    ref_states = {n: optax.adamw(1.0).init(_leaves(params)[n]) for n in names}
    p = params
    for t, g in enumerate(_grads_seq(params, 12)):
        u, state = update(g, state, p)
        lu, lg, lp = _leaves(u), _leaves(g), _leaves(p)
        for n in names:
            m, d = mult[n]
            if n.startswith("embed"):
                assert not np.any(np.asarray(lu[n]))
                continue
            ref = optax.adamw(m * lr(t), b2=0.99, weight_decay=d * 0.05)
            want, ref_states[n] = ref.update(lg[n], ref_states[n], lp[n])
            np.testing.assert_allclose(np.asarray(lu[n]), np.asarray(want), rtol=2e-5,
                                       atol=1e-7 * m * max(lr(t), 1e-12))
        rates = groups.leaf_values(state)
        assert float(rates["encoder/w"]) == pytest.approx(0.1 * lr(t), rel=1e-5)
        assert float(rates["head/bias"]) == pytest.approx(2.0 * lr(t), rel=1e-5)
        assert rates["embed/embedding"] == 0.0
        hp = hyperparams(state)
        if fuse:  # one adamw per weight-decay multiplier, the rate multipliers after it
            assert set(hp) >= {"decay_x0/learning_rate", "decay_x0.5/learning_rate"}
            assert float(hp["decay_x0.5/weight_decay"]) == pytest.approx(0.025, rel=1e-6)
        else:  # one adamw per group
            assert float(hp["head/learning_rate"]) == pytest.approx(2.0 * lr(t), rel=1e-5)
        p = optax.apply_updates(p, u)
    print(groups.table())
    assert "(frozen)" in groups.table()


def test_flax_linen_tree_layer_decay_and_class_patterns():
    nn = pytest.importorskip("flax.linen")

    class Block(nn.Module):
        @nn.compact
        def __call__(self, x):
            return nn.LayerNorm()(jax.nn.relu(nn.Dense(8)(x)))

    class Net(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.Dense(8, name="stem")(x)
            for _ in range(3):
                x = Block()(x)
            return nn.Dense(2, name="head")(x)

    variables = Net().init(jax.random.PRNGKey(0), jnp.zeros((1, 5)))
    groups = layer_decay(variables, 0.5, rules=[{"match": "class:LayerNorm", "lr_mult": 3.0,
                                                 "name": "norm"}])
    d = groups.as_dict()
    assert d["params/stem/kernel"] == (0.5 ** 4, 1.0)  # before the stack: layer 0
    assert d["params/Block_0/Dense_0/kernel"] == (0.5 ** 3, 1.0)
    assert d["params/Block_2/Dense_0/bias"] == (0.5, 0.0)
    assert d["params/Block_1/LayerNorm_0/scale"] == (3.0 * 0.5 ** 2, 0.0)
    assert d["params/head/kernel"] == (1.0, 1.0)  # after the stack: the top id
    rows = {r.name: r for r in groups.assignment.rows}
    assert rows["params/Block_1/LayerNorm_0/scale"].group == "layer_2.norm.no_decay"

    tx = groups.optimizer(optax.sgd, lrkit.Constant(0.1))
    state = tx.init(variables)
    g = jax.tree_util.tree_map(jnp.ones_like, variables)
    u, _ = jax.jit(tx.update)(g, state, variables)
    lu = _leaves(u)
    for name, (m, _) in d.items():
        np.testing.assert_allclose(np.asarray(lu[name]), -0.1 * m, rtol=1e-6)


def test_flax_nnx_module_definition_order_and_module_classes():
    nnx = pytest.importorskip("flax.nnx")

    class Block(nnx.Module):
        def __init__(self, rngs):
            self.linear = nnx.Linear(6, 6, rngs=rngs)
            self.norm = nnx.LayerNorm(6, rngs=rngs)

    class Net(nnx.Module):
        def __init__(self, rngs):
            self.embed = nnx.Embed(10, 6, rngs=rngs)
            self.layers = nnx.List([Block(rngs) for _ in range(2)])
            self.head = nnx.Linear(6, 3, rngs=rngs)

        def __call__(self, ids):
            x = self.embed(ids)
            for b in self.layers:
                x = b.norm(b.linear(x))
            return self.head(x).mean(1)

    model = Net(nnx.Rngs(0))
    groups = layer_decay(model, 0.5, rules=[{"match": nnx.LayerNorm, "lr_mult": 2.0, "name": "ln"},
                                            {"match": "embed", "freeze": True}])
    d = groups.as_dict()
    # the head is defined after the stack: top id 3, even though jax sorts "head" < "layers"
    assert d["head/kernel"] == (1.0, 1.0)
    assert d["layers/0/linear/kernel"] == (0.25, 1.0)
    assert d["layers/1/norm/scale"] == (2.0 * 0.5, 0.0)
    assert d["embed/embedding"] == (0.0, 0.0)

    graphdef, state = nnx.split(model, nnx.Param)
    tx = groups.optimizer(optax.adam, 0.01)
    opt_state = tx.init(state)

    @jax.jit
    def train(state, opt_state, ids, y):
        def loss(st):
            m = nnx.merge(graphdef, st)
            return jnp.mean((m(ids) - y) ** 2)
        g = jax.grad(loss)(state)
        u, opt_state = tx.update(g, opt_state, state)
        return optax.apply_updates(state, u), opt_state, u

    ids = jnp.asarray(np.random.default_rng(0).integers(0, 10, (4, 5)))
    y = jnp.ones((4, 3))
    new, opt_state, u = train(state, opt_state, ids, y)
    lu = _leaves(u)
    # Adam's first step is -lr * sign(g) (|g| >> eps): the multiplier scales the step
    for name, (m, _) in d.items():
        step = np.abs(np.asarray(lu[name]))
        if m == 0.0:
            assert not step.any()
        else:
            big = step > 0.5 * 0.01 * m
            assert big.mean() > 0.5
            np.testing.assert_allclose(step[big], 0.01 * m, rtol=1e-3)


def test_bad_input_names_the_argument():
    params = _dict_params()
    with pytest.raises(ValueError, match=r"lrkit.jax.param_labels \(strict\).*nope"):
        param_labels(params, {"nope": 0.1, "encoder": 1.0, "head": 1.0, "embed": 1.0}, strict=True)
    groups = param_labels(params, {"head": 2.0})
    with pytest.raises(ValueError, match="params does not match the groups' tree: unknown leaves "
                                         "extra/w; missing leaves head/bias"):
        bad = dict(params)
        bad["head"] = {"w": params["head"]["w"]}
        bad["extra"] = {"w": jnp.ones(2)}
        groups.optimizer(optax.sgd, 0.1).init(bad)
    with pytest.raises(TypeError, match="weight_decay was given but adam takes no weight_decay"):
        groups.optimizer(optax.adam, 0.1, weight_decay=0.1)
    with pytest.raises(TypeError, match="schedule must be an lrkit Schedule or a number"):
        groups.optimizer(optax.sgd, OnPlateau(lrkit.Constant(0.1)))
    with pytest.raises(TypeError, match="schedule must be an lrkit Schedule or a number, got 'x'"):
        groups.optimizer(optax.sgd, "x")
    with pytest.raises(ValueError, match="lrkit.jax.layer_decay: decay must be in \\(0, 1\\], got 1.5"):
        layer_decay(params, 1.5)
    with pytest.raises(ValueError, match="params must be a pytree with at least one array leaf"):
        param_labels({})
