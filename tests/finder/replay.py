"""The framework drivers read their curve with the framework-free core's rule: replaying a
driver's recorded losses through :func:`lrkit.finder.find_lr` (same rates, same defaults, the
widening included) gives the same test and the same suggestions, for both targets."""

from __future__ import annotations

import numpy as np

from lrkit.finder import FinderResult, find_lr


def assert_core_reads_the_same(res: FinderResult, *, start: float, end: float, num_steps: int) -> None:
    recorded = iter(res.losses.tolist())
    core = find_lr(lambda lr: next(recorded), start=start, end=end, num_steps=num_steps)
    np.testing.assert_allclose(core.lrs, res.lrs, rtol=1e-12)
    np.testing.assert_array_equal(core.losses, res.losses)
    assert (core.usable, core.stop_reason) == (res.usable, res.stop_reason)
    for target in ("one_cycle", "constant"):
        assert core.suggestions(target) == res.suggestions(target), target
