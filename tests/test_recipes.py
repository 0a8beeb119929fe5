"""The reference articles' recipes reproduce the articles' numbers."""

from __future__ import annotations

import numpy as np

import lrkit


def _article_learning_rate_with_decay(batch_size, batch_denom, num_images, boundary_epochs,
                                      decay_rates, base_lr=0.1, warmup=False):
    """The ResNet `learning_rate_with_decay` from reference 001, transcribed line by line with
    Python in place of the TensorFlow ops (`piecewise_constant`: x <= b_0 -> v_0, ...)."""
    initial_learning_rate = base_lr * batch_size / batch_denom
    batches_per_epoch = num_images / batch_size
    boundaries = [int(batches_per_epoch * epoch) for epoch in boundary_epochs]
    vals = [initial_learning_rate * decay for decay in decay_rates]

    def piecewise_constant(x):
        for b, v in zip(boundaries, vals):
            if x <= b:
                return v
        return vals[-1]

    def learning_rate_fn(global_step):
        lr = piecewise_constant(global_step)
        if warmup:
            warmup_steps = int(batches_per_epoch * 5)
            warmup_lr = initial_learning_rate * float(global_step) / float(warmup_steps)
            return warmup_lr if global_step < warmup_steps else lr
        return lr

    return learning_rate_fn


def test_resnet_imagenet_recipe_matches_article():
    # ImageNet: batch 1024 scaled from 256, divide by 10 at epochs 30, 60, 80, 90
    args = dict(batch_size=1024, batch_denom=256, num_images=1_281_167,
                boundary_epochs=[30, 60, 80, 90], decay_rates=[1, 0.1, 0.01, 0.001, 1e-4])
    ref = _article_learning_rate_with_decay(**args, warmup=True)
    ours = lrkit.resnet_step_decay(**args, warmup_epochs=5)
    per_epoch = 1_281_167 / 1024
    key = [0, 1, int(per_epoch * 5) - 1, int(per_epoch * 5), int(per_epoch * 5) + 1]
    for e in (30, 60, 80, 90):
        b = int(per_epoch * e)
        key += [b - 1, b, b + 1]
    key += [200_000, 10**7]
    for t in key:
        assert np.isclose(ours(t), ref(t), rtol=1e-12, atol=0), t
    steps = np.arange(0, 120_000, 37)
    np.testing.assert_allclose(ours(steps), [ref(int(t)) for t in steps], rtol=1e-12, atol=0)
    # the article's numbers: base 0.1 * 1024/256 = 0.4, 5-epoch warmup, / 10 after epoch 30
    assert ours(int(per_epoch * 5)) == 0.4
    assert np.isclose(ours(int(per_epoch * 2.5)), 0.4 * int(per_epoch * 2.5) / int(per_epoch * 5), rtol=1e-15)
    assert np.isclose(ours(int(per_epoch * 31)), 0.04)


def test_resnet_cifar_recipe_without_warmup():
    args = dict(batch_size=128, batch_denom=128, num_images=50_000, boundary_epochs=[100, 150, 200],
                decay_rates=[1, 0.1, 0.01, 0.001])
    ref = _article_learning_rate_with_decay(**args)
    ours = lrkit.resnet_step_decay(**args)
    steps = np.arange(0, 100_000, 13)
    np.testing.assert_allclose(ours(steps), [ref(int(t)) for t in steps], rtol=1e-12, atol=0)
    assert ours(0) == 0.1  # no warmup: full rate at step 0
