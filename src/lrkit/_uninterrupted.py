"""Let a critical section finish when Ctrl-C arrives: the first Ctrl-C stops, the next ones wait.

A restore that a second Ctrl-C cuts in half leaves a model with some tensors restored and
others not -- worse than either. :class:`InterruptGuard` wraps the Python handlers of ``SIGINT``
and ``SIGTERM`` for the duration of a ``with`` block:

* while the guarded work runs, a signal is handed to the previous handler as usual (the default
  ``SIGINT`` handler raises ``KeyboardInterrupt``); if that handler raises, the guard switches to
  *deferring* **inside the handler**, before the exception leaves it, so no instruction of the
  unwinding or of the restore can be hit by a second signal;
* the restore sets :attr:`InterruptGuard.deferring` itself (the first statement of its
  ``finally``, an attribute store on which the interpreter never runs a handler) for the other
  ways out (the work ended, raised, or was stopped by a ``KeyboardInterrupt`` not sent as a
  signal);
* while deferring, a signal is only recorded; on leaving the block the previous handlers are put
  back and each recorded signal is handed to its previous handler once (so ``KeyboardInterrupt``
  is raised after the restore, never during it).

Signals are delivered to the main thread only: elsewhere the guard does nothing. A signal whose
handler is not a Python callable (``SIG_DFL``, ``SIG_IGN``, a C handler) is left alone: a default
``SIGTERM`` ends the process, and nothing in memory needs restoring then.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

__all__ = ["InterruptGuard"]

_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name))


class InterruptGuard:
    """``with InterruptGuard() as guard: try: work() finally: guard.deferring = True; restore()``"""

    __slots__ = ("previous", "caught", "deferring")

    def __init__(self) -> None:
        self.previous: dict[int, Any] = {}  # signal -> the handler it had before
        self.caught: list[tuple[int, FrameType | None]] = []
        self.deferring = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.deferring:
            self.caught.append((signum, frame))
            return
        self.deferring = True  # if the previous handler raises, every later signal waits
        self.previous[signum](signum, frame)
        self.deferring = False  # it did not raise (a handler that only sets a flag, say)

    def __enter__(self) -> InterruptGuard:
        if threading.current_thread() is threading.main_thread():
            for sig in _SIGNALS:
                handler = signal.getsignal(sig)
                if callable(handler):
                    self.previous[sig] = handler
                    signal.signal(sig, self._handle)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.deferring = True
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        seen: set[int] = set()
        for signum, frame in self.caught:
            if signum not in seen:
                seen.add(signum)
                self.previous[signum](signum, frame)
