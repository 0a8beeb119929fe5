"""timm's seeded learning-rate noise, reproduced draw for draw.

timm (``timm.scheduler.scheduler.Scheduler._calculate_noise``) seeds a fresh CPU
``torch.Generator`` with ``noise_seed + t`` and draws ``torch.randn(1)`` (times ``noise_std``)
until the draw's magnitude is below ``noise_pct``; the rate becomes :math:`v (1 + n_t)`. The
draw is a pure function of ``(noise_seed, t)``, so lrkit makes the same draws with the same
generator (torch is imported only when a noisy schedule is evaluated) and remembers them.
"""

from __future__ import annotations

import functools

__all__ = ["timm_noise"]


@functools.lru_cache(maxsize=65536)
def timm_noise(seed: int, t: int, std: float, pct: float) -> float:
    """The noise :math:`n_t` timm adds at time ``t`` (``normal`` noise type)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is in the timm extra
        raise ImportError("timm's seeded noise is drawn with torch's generator: install torch to "
                          "evaluate a timm schedule with noise_range_t") from None
    g = torch.Generator()
    g.manual_seed(seed + t)
    while True:
        noise = torch.randn(1, generator=g).item() * std
        if abs(noise) < pct:
            return float(noise)
