"""The learning-rate range test, framework-free.

``find_lr(step_fn)`` raises the rate step by step, records the loss of each step, stops when
training breaks down, and suggests a rate with one of several rules (or, with ``rule="probe"``,
validates a few candidates with short training runs); framework glue
(``lrkit.torch.find_lr``) builds ``step_fn`` for a real model and restores it afterwards.
Imports NumPy only (matplotlib when a result is plotted).
"""

from lrkit.finder.core import find_lr
from lrkit.finder.probe import Probe
from lrkit.finder.result import FinderResult
from lrkit.finder.rules import MIN_POINTS, RULES, TARGETS, NoSuggestion
from lrkit.finder.sweep import rates

__all__ = ["find_lr", "FinderResult", "NoSuggestion", "Probe", "RULES", "TARGETS", "MIN_POINTS", "rates"]
