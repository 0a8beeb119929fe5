"""One progress bar for a whole range test: the sweep(s), the settled sweep and the probes.

The bar counts optimizer steps through the step function (and the probes through the probe
function), names the phase it is in, and stays on screen when done as a one-line summary with
the suggestion. Without tqdm (or with ``progress=False``) nothing is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class Progress:
    def __init__(self, total: int, enabled: bool) -> None:
        self.bar: Any = None
        if enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:  # pragma: no cover - tqdm is optional
                return
            self.bar = tqdm(total=total, desc="lr range test", unit="step", leave=True)

    def phase(self, name: str, extra: int = 0) -> None:
        """Enter a phase: its name on the bar, ``extra`` steps more in its total."""
        if self.bar is not None:
            self.bar.set_description(name)
            if extra:
                self.bar.total += extra
                self.bar.refresh()

    def steps(self, fn: Callable[[float], Any]) -> Callable[[float], Any]:
        """``fn`` counting each call as one step."""
        if self.bar is None:
            return fn

        def counted(lr: float) -> Any:
            out = fn(lr)
            self.bar.update(1)
            return out

        return counted

    def probes(self, fn: Callable[[Any], Sequence[Any]]) -> Callable[[Any], Sequence[Any]]:
        """``fn(rates)`` counting the rates it trains at as steps (added to the total as they come)."""
        if self.bar is None:
            return fn

        def counted(rates: Any) -> Sequence[Any]:
            self.phase("lr range test: probes", len(rates))
            out = fn(rates)
            self.bar.update(len(rates))
            return out

        return counted

    def close(self, summary: str | None = None) -> None:
        """Leave the bar as a one-line summary (complete: the total becomes the steps made)."""
        if self.bar is None:
            return
        if summary is not None:
            self.bar.set_description(summary)
        self.bar.total = self.bar.n
        self.bar.refresh()
        self.bar.close()
        self.bar = None
