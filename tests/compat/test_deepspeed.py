"""lrkit.compat.deepspeed against DeepSpeed's lr_schedules.

Golden values come from tests/golden/generate_tf_keras_optax.py, which drives the real DeepSpeed
schedulers on a real torch Adam optimizer and records the group's lr (and first beta) after
t calls of ``step()``; DeepSpeed computes in Python floats, so the comparison is at rel 1e-12.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import lrkit
from lrkit.compat import deepspeed as ds

GOLDEN = json.loads((Path(__file__).parents[1] / "golden" / "deepspeed_golden.json").read_text())


def build(case):
    kw = dict(case["kwargs"])
    if case["func"] == "WarmupCosineLR" or (case["func"] == "WarmupLR"
                                            and "warmup_max_lr" not in kw):
        kw["lr"] = case["lr"]
    return getattr(ds, case["func"])(**kw)


def case_id(case):
    return f"{case['func']}-{GOLDEN.index(case)}"


@pytest.mark.parametrize("case", GOLDEN, ids=case_id)
def test_golden_values(case):
    s = build(case)
    steps = np.asarray(case["steps"])
    np.testing.assert_allclose(s(steps), case["values"], rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose([s(float(t)) for t in steps], case["values"], rtol=1e-12, atol=1e-18)
    if "momentum" in case:
        np.testing.assert_allclose(s.momentum(steps), case["momentum"], rtol=1e-12, atol=0)


@pytest.mark.parametrize("case", GOLDEN, ids=case_id)
def test_json_form_and_config_round_trip(case):
    s = build(case)
    from_ds = ds.from_config({"type": case["func"], "params": case["kwargs"]}, lr=case["lr"])
    np.testing.assert_array_equal(from_ds(np.asarray(case["steps"])), s(np.asarray(case["steps"])))
    assert lrkit.from_config(json.loads(json.dumps(s.to_config()))) == s


def test_documented_quirks():
    warm = ds.WarmupLR(warmup_min_lr=0.001, warmup_max_lr=0.01, warmup_num_steps=10,
                       warmup_type="linear")
    assert warm(0) == warm(1) == 0.001  # min twice: the scheduler's constructor, then i = 0
    assert warm(10) < 0.01 and warm(11) == pytest.approx(0.01)
    cos = ds.WarmupCosineLR(total_num_steps=50, warmup_num_steps=10, warmup_min_ratio=0.1, lr=0.5)
    assert cos(0) == 0.0 and cos(1) == pytest.approx(0.05)  # 0 before the first step
    one = ds.OneCycle(0.01, 0.1, cycle_first_step_size=10, cycle_min_mom=0.8, cycle_max_mom=0.9)
    assert one.momentum(0) == 0.8 and one.momentum(1) == pytest.approx(0.89)
    assert ds.OneCycle(0.01, 0.1, cycle_momentum=False).momentum is None


def test_drives_a_real_torch_optimizer_like_deepspeed():
    """Live: DeepSpeed's WarmupDecayLR and OneCycle stepping a real Adam on real data; lrkit's
    values equal the lr (and beta1) DeepSpeed sets at every step."""
    torch = pytest.importorskip("torch")
    lr_schedules = pytest.importorskip("deepspeed.runtime.lr_schedules")
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    x = torch.as_tensor((x - x.mean(0)) / x.std(0), dtype=torch.float32)[:200]
    y = torch.as_tensor(y, dtype=torch.float32)[:200]
    specs = [("WarmupDecayLR", dict(total_num_steps=30, warmup_min_lr=0.0, warmup_max_lr=0.05,
                                    warmup_num_steps=8)),
             ("OneCycle", dict(cycle_min_lr=0.005, cycle_max_lr=0.05, cycle_first_step_size=6,
                               cycle_second_step_size=9, decay_lr_rate=0.2, decay_step_size=4,
                               decay_mom_rate=0.01))]
    for name, kw in specs:
        torch.manual_seed(0)
        model = torch.nn.Linear(x.shape[1], 1)
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
        peer = getattr(lr_schedules, name)(opt, **kw)
        ours = getattr(ds, name)(**kw)
        for t in range(40):
            assert opt.param_groups[0]["lr"] == pytest.approx(ours(t), rel=1e-12, abs=1e-18), (name, t)
            if name == "OneCycle":
                assert opt.param_groups[0]["betas"][0] == pytest.approx(ours.momentum(t), rel=1e-12)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x).squeeze(1), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            peer.step()


@pytest.mark.parametrize(("call", "exc", "words"), [
    (lambda: ds.WarmupLR(warmup_max_lr=0.1, warmup_num_steps=0), ValueError,
     "warmup_num_steps must be a positive integer, got 0"),
    (lambda: ds.WarmupLR(warmup_max_lr=0.1, warmup_type="cubic"), ValueError,
     "warmup_type must be one of 'log', 'linear', got 'cubic'"),
    (lambda: ds.WarmupLR(relative="yes"), TypeError, "relative must be"),
    (lambda: ds.WarmupLR(warmup_max_lr=[0.1, 0.2]), TypeError, "one schedule per parameter group"),
    (lambda: ds.WarmupLR(warmup_max_lr=0.1, last_batch_iteration=5), ValueError,
     "last_batch_iteration must be -1"),
    (lambda: ds.WarmupDecayLR(warmup_max_lr=0.1), TypeError, "total_num_steps is required"),
    (lambda: ds.WarmupCosineLR(total_num_steps=10, lr=-1.0), ValueError, "lr must be >= 0"),
    (lambda: ds.OneCycle(0.01, 0.1, cycle_first_step_size=0), ValueError,
     "cycle_first_step_size must be > 0"),
    (lambda: ds.LRRangeTest(lr_range_test_step_size=2.5), ValueError,
     "lr_range_test_step_size must be a positive integer"),
    (lambda: ds.from_config({"type": "Cosine", "params": {}}), ValueError,
     "type must be one of 'WarmupLR'"),
    (lambda: ds.from_config({"type": "WarmupLR", "params": {"warmup_max": 0.1}}), ValueError,
     "no parameter 'warmup_max'"),
])
def test_bad_arguments_are_rejected_with_the_argument_named(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_config_names():
    s = lrkit.from_config({"type": "deepspeed.WarmupDecayLR", "total_num_steps": 100,
                           "warmup_max_lr": 0.01, "warmup_num_steps": 10})
    assert isinstance(s, ds.WarmupDecayLR)
    # DeepSpeed's i = t - 1: the decay reaches 0 one step after total_num_steps
    assert s(100) == pytest.approx(0.01 / 90, rel=1e-12) and s(101) == 0.0


BACKEND_CASES = [
    ds.WarmupLR(warmup_min_lr=0.001, warmup_max_lr=0.01, warmup_num_steps=10),
    ds.WarmupDecayLR(total_num_steps=40, warmup_max_lr=0.01, warmup_num_steps=10,
                     warmup_type="linear"),
    ds.WarmupCosineLR(total_num_steps=40, warmup_num_steps=10, lr=0.3),
    ds.OneCycle(0.01, 0.1, cycle_first_step_size=9, cycle_second_step_size=6,
                cycle_first_stair_count=3, decay_lr_rate=0.5, decay_step_size=4,
                decay_mom_rate=0.01),
    ds.OneCycle(0.02, 0.2, cycle_first_step_size=7, cycle_second_step_size=0),
    ds.LRRangeTest(lr_range_test_min_lr=1e-4, lr_range_test_step_size=5,
                   lr_range_test_staircase=True),
]


@pytest.mark.parametrize("s", BACKEND_CASES, ids=lambda s: type(s).__name__)
def test_torch_and_jitted_jax_evaluation_agree(s):
    torch = pytest.importorskip("torch")
    jax = pytest.importorskip("jax")
    steps = np.arange(0, 70, dtype=np.float64)
    ref = s(steps)
    np.testing.assert_allclose(s(torch.as_tensor(steps)).numpy(), ref, rtol=1e-12, atol=0)
    got = np.asarray(jax.jit(s)(jax.numpy.asarray(steps, dtype=jax.numpy.float32)))
    # float32 under jit: rel 2e-6, or a few float32 ulps of the peak near 0
    np.testing.assert_allclose(got, ref, rtol=2e-6, atol=5e-7 * float(np.max(ref)))
    if isinstance(s, ds.OneCycle):
        np.testing.assert_allclose(s.momentum(torch.as_tensor(steps)).numpy(), s.momentum(steps),
                                   rtol=1e-12)


def test_any_valid_one_cycle_is_finite_and_non_negative():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=60, deadline=None)
    @given(lo=st.floats(0, 1), span=st.floats(0, 1), up=st.integers(1, 50),
           down=st.one_of(st.none(), st.integers(0, 50)), k1=st.integers(0, 5),
           k2=st.one_of(st.none(), st.integers(0, 5)), rate=st.floats(0, 2),
           size=st.integers(0, 20))
    def check(lo, span, up, down, k1, k2, rate, size):
        s = ds.OneCycle(lo, lo + span, decay_lr_rate=rate, cycle_first_step_size=up,
                        cycle_second_step_size=down, cycle_first_stair_count=k1,
                        cycle_second_stair_count=k2, decay_step_size=size)
        v = s(np.arange(0, 250, dtype=np.float64))
        assert np.all(np.isfinite(v)) and np.all(v >= 0) and np.all(v <= lo + span + 1e-12)
        m = s.momentum(np.arange(0, 250, dtype=np.float64))
        assert np.all(np.isfinite(m))

    check()


def test_config_durations_may_carry_units():
    budget = lrkit.Budget(steps_per_epoch=50, epochs=4)
    s = lrkit.from_config({"type": "deepspeed.WarmupDecayLR", "total_num_steps": "100%",
                           "warmup_num_steps": "1 epoch", "warmup_max_lr": 0.01}, budget=budget)
    assert s == ds.WarmupDecayLR(total_num_steps=200, warmup_num_steps=50, warmup_max_lr=0.01)
