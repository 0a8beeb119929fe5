"""A schedule ported without its rate (relative) is refused by the JAX side, which takes the
schedule as the rate itself: optax would otherwise train at a rate near 1."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

import lrkit.compat.timm as timm  # noqa: E402
import lrkit.compat.torch as ct  # noqa: E402
import lrkit.compat.transformers as hf  # noqa: E402
from lrkit.jax import optax_schedule, param_labels, scheduled  # noqa: E402
from lrkit.plateau import OnPlateau  # noqa: E402


def _params():
    return {"body": {"kernel": jnp.ones((3, 3))}, "head": {"kernel": jnp.ones((3, 2))}}


@pytest.mark.parametrize("relative", [
    hf.get_scheduler("cosine", num_warmup_steps=10, num_training_steps=100),
    ct.StepLR(lr=0.1, step_size=10, gamma=0.5, relative=True),
    timm.create_scheduler_v2(sched="cosine", num_epochs=100, warmup_epochs=0)[0],
])
def test_relative_schedules_are_refused_with_the_fix_in_the_message(relative):
    assert relative.relative
    with pytest.raises(ValueError, match=r"learning_rate is a relative schedule.*for_rate"):
        scheduled(optax.adamw, learning_rate=relative)
    with pytest.raises(ValueError, match=r"schedule is a relative schedule"):
        optax_schedule(relative)
    with pytest.raises(ValueError, match=r"LeafGroups.optimizer: schedule is a relative"):
        param_labels(_params(), {"body": 0.1}).optimizer(optax.adamw, relative)
    with pytest.raises(ValueError, match=r"relative schedule"):
        scheduled(optax.sgd, learning_rate=OnPlateau(relative, factor=0.5, patience=1))


def test_the_absolute_form_trains_at_the_ported_rate():
    relative = hf.get_scheduler("cosine", num_warmup_steps=10, num_training_steps=100)
    absolute = relative.for_rate(3e-4)
    tx = scheduled(optax.sgd, learning_rate=absolute)
    params = {"w": jnp.zeros(2)}
    state = tx.init(params)
    grads = {"w": jnp.ones(2)}
    for _ in range(11):
        updates, state = tx.update(grads, state, params)
    # update 10 ran at the end of the warmup: the peak 3e-4, not 1.0
    np.testing.assert_allclose(np.asarray(updates["w"]), -3e-4, rtol=1e-5)
    same = hf.get_scheduler("cosine", num_warmup_steps=10, num_training_steps=100, lr=3e-4)
    scheduled(optax.sgd, learning_rate=same)  # built with lr=: absolute, accepted
