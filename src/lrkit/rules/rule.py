"""The :class:`Rule` record and the parsing of the rule forms users write."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lrkit import _check
from lrkit.rules.patterns import DOTS, Convention, Matcher, as_patterns, compile_pattern, describe

__all__ = ["Rule", "parse_rules", "RULE_KEYS"]

#: The options a rule written as a dict may have.
RULE_KEYS = ("match", "lr_mult", "decay_mult", "freeze", "name")


@dataclass(frozen=True)
class Rule:
    """Select leaves and set their multipliers (Caffe's ``lr_mult`` / ``decay_mult``).

    ``match`` is a pattern or a list of patterns (see :mod:`lrkit.rules.patterns`): a glob on
    names that also matches prefixes (``"fc"`` selects ``fc.weight``), a regex (``"re:..."`` or a
    compiled ``re.Pattern``), a class (a type, or ``"class:<name>"``). ``lr_mult`` multiplies
    the rate; ``decay_mult`` the weight decay (``None``: 1, or 0 for no-decay leaves);
    ``freeze=True`` freezes the leaves and leaves them out of every group. ``name`` names the
    group (default: the patterns).
    """

    match: Any
    lr_mult: float = 1.0
    decay_mult: float | None = None
    freeze: bool = False
    name: str | None = None

    def __post_init__(self) -> None:
        pats = as_patterns(self.match, "match", "Rule")
        if not pats:
            raise ValueError("Rule: match must be a pattern or a non-empty list of patterns, got "
                             f"{self.match!r}")
        _check.non_negative("lr_mult", self.lr_mult, "Rule")
        if self.decay_mult is not None:
            _check.non_negative("decay_mult", self.decay_mult, "Rule")
        _check.boolean("freeze", self.freeze, "Rule")
        if self.name is not None and (not isinstance(self.name, str) or not self.name):
            raise TypeError(f"Rule: name must be a non-empty string, got {self.name!r}")
        object.__setattr__(self, "_patterns", tuple(pats))
        object.__setattr__(self, "_compiled", {})

    @property
    def patterns(self) -> tuple[Any, ...]:
        """``match`` as a tuple of patterns."""
        return self._patterns  # type: ignore[attr-defined,no-any-return]

    @property
    def label(self) -> str:
        """The group name: ``name``, else the patterns joined by commas."""
        if self.name is not None:
            return self.name
        return ",".join(describe(p) for p in self.patterns)

    def matchers(self, convention: Convention = DOTS, owner: str = "Rule") -> tuple[Matcher, ...]:
        """The patterns compiled for ``convention`` (cached); class patterns are checked
        against the convention's base class here."""
        cache: dict[Convention, tuple[Matcher, ...]] = self._compiled  # type: ignore[attr-defined]
        out = cache.get(convention)
        if out is None:
            out = tuple(compile_pattern(p, convention, "match", owner) for p in self.patterns)
            cache[convention] = out
        return out

    def selects(self, leaf: Any, convention: Convention | None = None) -> bool:
        """True when any pattern matches the leaf (by its name or an alias)."""
        conv = convention if convention is not None else Convention(leaf.sep)
        return any(m.leaf(leaf) for m in self.matchers(conv))


def _rule_from_dict(d: Mapping[str, Any]) -> Rule:
    unknown = set(d) - set(RULE_KEYS)
    if unknown:
        raise ValueError(f"Rule: unknown option(s) {sorted(unknown)}; options are {sorted(RULE_KEYS)}")
    if "match" not in d:
        raise ValueError(f"Rule: a rule needs 'match' (a pattern or list of patterns), got {dict(d)!r}")
    return Rule(**d)


def parse_rules(rules: Any) -> list[Rule]:
    """The user's rules as a list of :class:`Rule`, in order (first match wins).

    Accepted forms: ``None`` (no rule); one :class:`Rule`; a list of :class:`Rule` or dicts with
    the keys of :data:`RULE_KEYS`; a mapping ``{pattern: lr_mult | "freeze" | {options}}``.
    """
    if rules is None:
        return []
    if isinstance(rules, Rule):
        return [rules]
    if isinstance(rules, Mapping):
        out = []
        for pat, opts in rules.items():
            if isinstance(opts, (int, float)) and not isinstance(opts, bool):
                out.append(Rule(pat, lr_mult=opts))
            elif isinstance(opts, Mapping):
                out.append(_rule_from_dict({**opts, "match": pat}))
            elif isinstance(opts, str) and opts == "freeze":
                out.append(Rule(pat, freeze=True))
            else:
                raise TypeError(
                    f"rules[{pat!r}] must be an lr multiplier, 'freeze' or a dict of Rule options, "
                    f"got {opts!r}")
        return out
    if isinstance(rules, (str, bytes)) or not isinstance(rules, Iterable):
        raise TypeError(f"rules must be a list of Rule/dict or a mapping pattern -> options, got {rules!r}")
    out = []
    for i, r in enumerate(rules):
        if isinstance(r, Rule):
            out.append(r)
        elif isinstance(r, Mapping):
            out.append(_rule_from_dict(r))
        else:
            raise TypeError(f"rules[{i}] must be a Rule or a dict, got {r!r} ({type(r).__name__})")
    return out
