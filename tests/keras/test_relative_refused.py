"""Keras takes the schedule as the rate itself: a schedule ported without its rate (relative,
values near 1) is refused with the fix in the message, never trained at rate ~1."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import lrkit.compat.transformers as hf  # noqa: E402
from lrkit.keras import LearningRateSchedule  # noqa: E402
from lrkit.plateau import OnPlateau  # noqa: E402


def test_a_relative_schedule_is_refused_and_its_absolute_form_is_the_rate():
    relative = hf.get_scheduler("linear", num_warmup_steps=10, num_training_steps=100)
    with pytest.raises(ValueError, match=r"LearningRateSchedule: schedule is a relative schedule.*for_rate"):
        LearningRateSchedule(relative)
    with pytest.raises(ValueError, match=r"relative schedule"):
        LearningRateSchedule(OnPlateau(relative, factor=0.5, patience=1))
    with pytest.raises(ValueError, match=r"relative schedule"):
        LearningRateSchedule(relative.to_config())
    rate = LearningRateSchedule(relative.for_rate(3e-4))
    np.testing.assert_allclose(float(keras.ops.convert_to_numpy(rate(10))), 3e-4, rtol=1e-6)
