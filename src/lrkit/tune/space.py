"""A search space over lrkit schedule configs.

A space lists the families to try and, for each, a distribution per knob
(:mod:`lrkit.tune.knobs`). In a config file (JSON, YAML or TOML, read like schedule configs)::

    families: [cosine, wsd, one_cycle]   # or a mapping: {wsd: {decay: [0.1, 0.2]}, cosine: {}}
    peak: [1.0e-4, 1.0e-1]               # log-uniform (the peak's default scale)
    warmup: [0.0, 0.1]                   # a fraction of the run
    optimizer: adamw                     # optional: caps the peak at lrkit check's error bound

A knob written at the top level applies to every listed family that has it; a knob written
under a family applies to that family only (and wins). Unknown families, unknown knobs, empty
ranges and ranges that reach outside a knob's domain are refused when the space is built, with
the place in the config named; constraints that need the run's length (a decay of at least one
step, a one-cycle warmup of more than one step) are checked by :meth:`Space.check` against the
budget before the first trial. Every point a space yields is then a schedule that
``lrkit.doctor.check`` finds no error in.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lrkit.schedule import Schedule
from lrkit.tune.families import FAMILIES
from lrkit.tune.knobs import KNOBS, Choice, Dist, Fixed, Suggest, Uniform, parse_dist
from lrkit.units import Budget

__all__ = ["Space", "Point", "default_space", "load_space", "RandomSuggest", "total_steps"]

_TOP_KEYS = ("families", "optimizer")


def _near(name: str, pool: Iterable[str]) -> str:
    near = difflib.get_close_matches(str(name), list(pool), n=1)
    return f" (did you mean {near[0]!r}?)" if near else ""


def total_steps(budget: Budget | Mapping[str, Any], owner: str = "optimize") -> tuple[Budget, int]:
    """The budget as a :class:`~lrkit.Budget` and its run length in optimizer steps."""
    if isinstance(budget, Mapping):
        budget = Budget.from_config(budget)
    if not isinstance(budget, Budget):
        raise TypeError(f"{owner}: budget must be an lrkit.Budget or a mapping, got {budget!r}")
    total = budget.resolved_total_steps()
    if total is None:
        raise ValueError(f"{owner}: budget must give the run's length (total_steps, or epochs with "
                         f"steps_per_epoch or dataset_size and batch_size), got {budget!r}")
    if total < 2:
        raise ValueError(f"{owner}: the budget's run must have at least 2 steps, got {total}")
    return budget, total


class Point:
    """One point of a space: a family and a value for each of its knobs."""

    __slots__ = ("family", "values")

    def __init__(self, family: str, values: Mapping[str, Any]) -> None:
        self.family = family
        self.values = dict(values)

    def config(self, budget: Budget | Mapping[str, Any]) -> dict[str, Any]:
        """The plain lrkit config of this point for a run of ``budget`` (durations in steps)."""
        budget, total = total_steps(budget, "Point.config")
        v = dict(self.values)
        w = budget.steps({"fraction": v["warmup"]}, name="warmup") if "warmup" in v else 0
        if "decay" in v:
            v["_decay_steps"] = budget.steps({"fraction": v["decay"]}, name="decay")
        return FAMILIES[self.family].build(v, total, w)

    def schedule(self, budget: Budget | Mapping[str, Any]) -> Schedule:
        from lrkit.config import from_config

        return from_config(self.config(budget))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v!r}"
                          for k, v in self.values.items())
        return f"Point({self.family}: {inner})"


class RandomSuggest:
    """Draws a space's values from a NumPy generator (tests, quick looks, random search)."""

    def __init__(self, seed: int | Any = 0) -> None:
        import numpy as np

        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    def float(self, name: str, low: float, high: float, log: bool) -> float:
        if log:
            return float(math.exp(self.rng.uniform(math.log(low), math.log(high))))
        return float(self.rng.uniform(low, high))

    def int(self, name: str, low: int, high: int, log: bool) -> int:
        return int(self.rng.integers(low, high + 1))

    def choice(self, name: str, options: Sequence[Any]) -> Any:
        return options[int(self.rng.integers(len(options)))]


class Space:
    """The families to try and a distribution for each of their knobs.

    Build it from a config (:meth:`from_config`, :func:`load_space`) or take
    :func:`default_space`. ``optimizer`` (``"sgd"``, ``"adamw"`` ...) refuses a peak range that
    reaches above ``lrkit check``'s error bound for that optimizer.
    """

    def __init__(self, families: Mapping[str, Mapping[str, Any]], *, optimizer: str | None = None,
                 _where: str = "space") -> None:
        if not isinstance(families, Mapping) or not families:
            raise ValueError(f"{_where}.families must name at least one family ("
                             f"{', '.join(FAMILIES)}), got {families!r}")
        self.optimizer = _optimizer(optimizer, _where)
        self._dists: dict[str, dict[str, Dist]] = {}
        for name, knobs in families.items():
            fam = FAMILIES.get(name) if isinstance(name, str) else None
            if fam is None:
                raise ValueError(f"{_where}.families: unknown family {name!r}{_near(name, FAMILIES)}; "
                                 f"valid: {', '.join(FAMILIES)}")
            where = f"{_where}.{name}"
            knobs = {} if knobs is None else knobs
            if not isinstance(knobs, Mapping):
                raise TypeError(f"{where} must be a mapping of knobs to ranges, got {knobs!r}")
            if "peak" not in knobs:
                raise ValueError(f"{where}: the peak has no range: give peak: [low, high] (or use "
                                 "default_space(), or pass finder= to seed it from a range test)")
            dists: dict[str, Dist] = {}
            for key in fam.knobs:
                spec = knobs.get(key, fam.defaults.get(key))
                dists[key] = parse_dist(KNOBS[key], spec, f"{where}.{key}")
            for key in knobs:
                if key not in fam.knobs:
                    raise ValueError(f"{where}: {name} has no knob {key!r}{_near(key, fam.knobs)}; "
                                     f"its knobs: {', '.join(fam.knobs)}")
            self._dists[name] = dists
            self._check_family(name, where)
        self._names = self._param_names()

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, _where: str = "space") -> Space:
        """A space from its plain form (see the module docstring)."""
        if not isinstance(config, Mapping):
            raise TypeError(f"{_where} must be a mapping (families, knobs), got {config!r}")
        if "families" not in config:
            raise ValueError(f"{_where} has no 'families' key: list the families to try, e.g. "
                             f"families: [cosine, wsd] (valid: {', '.join(FAMILIES)})")
        for key in config:
            if key not in _TOP_KEYS and key not in KNOBS:
                raise ValueError(f"{_where}: unknown key {key!r}{_near(key, (*_TOP_KEYS, *KNOBS))}; "
                                 f"valid: {', '.join((*_TOP_KEYS, *KNOBS))}")
        fams = config["families"]
        if isinstance(fams, str):
            fams = [fams]
        if isinstance(fams, Sequence) and not isinstance(fams, str):
            if len(set(map(str, fams))) != len(fams):
                raise ValueError(f"{_where}.families lists a family twice: {list(fams)!r}")
            fams = {f: {} for f in fams}
        if not isinstance(fams, Mapping) or not fams:
            raise ValueError(f"{_where}.families must be a non-empty list or mapping of families "
                             f"({', '.join(FAMILIES)}), got {config['families']!r}")
        shared = {k: v for k, v in config.items() if k in KNOBS}
        families: dict[str, dict[str, Any]] = {}
        for name, own in fams.items():
            fam = FAMILIES.get(name) if isinstance(name, str) else None
            if fam is None:
                raise ValueError(f"{_where}.families: unknown family {name!r}{_near(name, FAMILIES)}; "
                                 f"valid: {', '.join(FAMILIES)}")
            own = {} if own is None else own
            if not isinstance(own, Mapping):
                raise TypeError(f"{_where}.families.{name} must be a mapping of knobs, got {own!r}")
            families[name] = {**{k: v for k, v in shared.items() if k in fam.knobs}, **own}
        for key in shared:
            if not any(key in FAMILIES[f].knobs for f in families):
                users = [f for f, fam in FAMILIES.items() if key in fam.knobs]
                raise ValueError(f"{_where}.{key}: none of the families {', '.join(families)} has "
                                 f"this knob (it belongs to {', '.join(users)})")
        return cls(families, optimizer=config.get("optimizer"), _where=_where)

    def to_config(self) -> dict[str, Any]:
        """The plain form (``Space.from_config(space.to_config())`` gives an equal space)."""
        out: dict[str, Any] = {"families": {f: {k: d.to_config() for k, d in dists.items()}
                                            for f, dists in self._dists.items()}}
        if self.optimizer is not None:
            out["optimizer"] = self.optimizer
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Space) and self.to_config() == other.to_config()

    def __repr__(self) -> str:
        parts = []
        for f, dists in self._dists.items():
            drawn = [k for k, d in dists.items() if not isinstance(d, Fixed)]
            parts.append(f"{f}[{', '.join(drawn)}]")
        return f"Space({'; '.join(parts)})"

    # -- reading ------------------------------------------------------------------------------
    @property
    def families(self) -> tuple[str, ...]:
        return tuple(self._dists)

    def dists(self, family: str) -> dict[str, Dist]:
        """The distribution of each knob of ``family``."""
        return dict(self._dists[family])

    def param_name(self, family: str, knob: str) -> str:
        """The name a tuner sees: the knob's own name when every family draws it from the same
        distribution (so the tuner learns across families), else ``family.knob``."""
        return self._names[(family, knob)]

    # -- constraints --------------------------------------------------------------------------
    def _check_family(self, name: str, where: str) -> None:
        dists = self._dists[name]
        fam = FAMILIES[name]
        for key in fam.positive:
            lo, _ = dists[key].bounds
            if lo is not None and not lo > 0:
                raise ValueError(f"{where}.{key} must be > 0 for {name}, got {dists[key].to_config()!r}")
        if name == "wsd":
            w_hi, d_hi = dists["warmup"].bounds[1], dists["decay"].bounds[1]
            if w_hi + d_hi > 1.0:
                raise ValueError(f"{where}: warmup + decay must fit in the run (at most 1), but they "
                                 f"reach {w_hi:g} + {d_hi:g} = {w_hi + d_hi:g}: lower warmup.high or "
                                 "decay.high")
        if name == "exponential":
            _, f_hi = dists["floor"].bounds
            if f_hi is not None and f_hi > 1.0:  # pragma: no cover - the knob's domain caps it
                raise ValueError(f"{where}.floor must be <= 1")
        if self.optimizer is not None:
            from lrkit.doctor import PEAK_BOUNDS

            bound = PEAK_BOUNDS[self.optimizer][1]
            _, hi = dists["peak"].bounds
            if hi is not None and hi > bound:
                raise ValueError(f"{where}.peak reaches {hi:g}, above lrkit check's error bound for "
                                 f"{self.optimizer} ({bound:g}): lower peak.high")

    def check(self, budget: Budget | Mapping[str, Any]) -> int:
        """Refuse a space that could yield an invalid schedule for a run of ``budget``; returns
        the run's length in steps."""
        budget, total = total_steps(budget, "optimize")
        for name, dists in self._dists.items():
            where = f"space.{name}"
            if name == "wsd":
                lo = dists["decay"].bounds[0]
                if budget.steps({"fraction": lo}, name="decay") < 1:
                    raise ValueError(f"{where}.decay: the shortest decay ({lo:g} of {total} steps) is "
                                     f"under one step: raise decay.low to at least {1 / total:.3g}")
            if name == "one_cycle":
                lo = dists["warmup"].bounds[0]
                if not lo * total > 1.0:
                    raise ValueError(f"{where}.warmup: one_cycle's rise ({lo:g} of {total} steps) must "
                                     f"last more than one step: raise warmup.low above {1 / total:.3g}")
            if name == "cosine_restarts":
                w_hi = dists["warmup"].bounds[1]
                k_hi = dists["restarts"].bounds[1]
                left = total - budget.steps({"fraction": w_hi}, name="warmup")
                if left / k_hi < 1.0:
                    raise ValueError(f"{where}.restarts: {int(k_hi)} cycles in the {left} steps after the "
                                     f"warmup are shorter than one step: lower restarts.high")
        return total

    # -- drawing ------------------------------------------------------------------------------
    def sample(self, suggest: Suggest) -> Point:
        """Draw one point: the family first (when there are several), then its knobs."""
        fams = self.families
        family = fams[0] if len(fams) == 1 else suggest.choice("family", list(fams))
        values = {k: d.draw(suggest, self._names[(family, k)])
                  for k, d in self._dists[family].items()}
        return Point(family, values)

    def random(self, n: int, seed: int = 0) -> list[Point]:
        """``n`` points drawn at random (no tuner)."""
        s = RandomSuggest(seed)
        return [self.sample(s) for _ in range(int(n))]

    def point(self, family: str, **values: Any) -> Point:
        """The point of ``family`` with the given knob values (the others at their fixed value or
        the middle of their range), checked against the space."""
        if family not in self._dists:
            raise ValueError(f"Space.point: family must be one of {', '.join(self.families)}, got "
                             f"{family!r}")
        out = {}
        for key, d in self._dists[family].items():
            if key in values:
                out[key] = KNOBS[key].check_value(values.pop(key), f"Space.point: {key}")
            elif isinstance(d, Fixed):
                out[key] = d.value
            elif isinstance(d, Choice):
                out[key] = d.options[0]
            else:
                mid = math.sqrt(d.low * d.high) if d.log else 0.5 * (d.low + d.high)
                out[key] = int(round(mid)) if d.integer else mid
        if values:
            raise ValueError(f"Space.point: {family} has no knob {sorted(values)[0]!r}")
        return Point(family, out)

    def point_from_params(self, params: Mapping[str, Any]) -> Point:
        """The point a tuner's flat parameters (``param_name`` -> value) describe."""
        family = params.get("family", self.families[0])
        values = {}
        for key, d in self._dists[family].items():
            values[key] = d.value if isinstance(d, Fixed) else params[self._names[(family, key)]]
        return Point(family, values)

    # -- seeding ------------------------------------------------------------------------------
    def seeded(self, finder: Any, *, band: float = 3.0) -> Space:
        """This space with every family's peak drawn log-uniformly in
        :math:`[r/\\beta, r\\beta]` around the range test's suggestion :math:`r`
        (:math:`\\beta` = ``band``).

        ``finder`` is a :class:`lrkit.FinderResult` (its one-cycle suggestion seeds the
        decaying families, its constant-rate suggestion the ``constant`` family) or a rate.
        """
        if isinstance(band, bool) or not isinstance(band, (int, float)) or not band > 1:
            raise ValueError(f"Space.seeded: band must be a number > 1, got {band!r}")
        families: dict[str, dict[str, Any]] = {}
        for name, dists in self._dists.items():
            rate = _finder_rate(finder, "constant" if name == "constant" else "one_cycle")
            lo, hi = rate / band, rate * band
            if self.optimizer is not None:
                from lrkit.doctor import PEAK_BOUNDS

                hi = min(hi, PEAK_BOUNDS[self.optimizer][1])
            cfg = {k: d.to_config() for k, d in dists.items()}
            cfg["peak"] = {"low": lo, "high": hi, "log": True}
            families[name] = cfg
        return Space(families, optimizer=self.optimizer)

    def _param_names(self) -> dict[tuple[str, str], str]:
        by_knob: dict[str, list[Dist]] = {}
        for dists in self._dists.values():
            for k, d in dists.items():
                if not isinstance(d, Fixed):
                    by_knob.setdefault(k, []).append(d)
        shared = {k for k, ds in by_knob.items() if all(d == ds[0] for d in ds)}
        return {(f, k): (k if k in shared else f"{f}.{k}")
                for f, dists in self._dists.items() for k in dists}


def _optimizer(name: Any, where: str) -> str | None:
    if name is None:
        return None
    from lrkit.doctor import PEAK_BOUNDS

    key = str(name).lower()
    if key not in PEAK_BOUNDS:
        raise ValueError(f"{where}.optimizer must be one of {', '.join(PEAK_BOUNDS)}, got "
                         f"{name!r}{_near(key, PEAK_BOUNDS)}")
    return key


def _finder_rate(finder: Any, target: str) -> float:
    if isinstance(finder, (int, float)) and not isinstance(finder, bool):
        if not (math.isfinite(finder) and finder > 0):
            raise ValueError(f"finder must be a FinderResult or a rate > 0, got {finder!r}")
        return float(finder)
    suggest = getattr(finder, "suggest", None)
    if suggest is None:
        raise TypeError(f"finder must be an lrkit.FinderResult (from lrkit.find_lr) or a rate, got "
                        f"{finder!r} ({type(finder).__name__})")
    try:
        return float(suggest(target=target))
    except ValueError as first:  # NoSuggestion: fall back to the other target, else explain
        other = "one_cycle" if target == "constant" else "constant"
        try:
            return float(suggest(target=other))
        except ValueError:
            raise ValueError(f"finder: the range test suggests no rate to seed the peak from "
                             f"({first})") from None


def default_space(optimizer: str | None = None, *, finder: Any = None, band: float = 3.0) -> Space:
    """The space lrkit recommends when you have no opinion.

    * **Families** ``cosine``, ``wsd`` and ``one_cycle``: the cosine decay is the baseline most
      recipes use; warmup-stable-decay matches it at the end of a run while holding the peak
      longer (Hägele et al. 2024; its ``1-sqrt`` decay shape is their best); the one-cycle policy
      is strong on short budgets (Smith & Topin 2018). Three families keep the family choice
      cheap for a tuner.
    * **Peak**: log-uniform over three decades below the rate ``lrkit check`` starts warning at
      for ``optimizer`` (SGD :math:`[10^{-3}, 1]`, Adam/AdamW :math:`[10^{-5}, 10^{-2}]`, Lion
      :math:`[10^{-6}, 10^{-3}]`), or :math:`[10^{-5}, 1]` with no optimizer named. With
      ``finder=`` (a range test's result), a band of a factor ``band`` either side of its
      suggestion instead: the test already says where the rate lives.
    * **Warmup**: 0-10 % of the run (the customary 1-10 %, and none), starting at 1 % of the peak
      so that the first update moves the weights; one-cycle's rise 10-40 % (torch's default is
      30 %) from the peak / 25.
    * **Decay**: every family decays to its floor exactly at the end of the run (0 for cosine and
      WSD, torch's peak / 250 000 for one-cycle); WSD's decay takes 10-30 % of the run, the range
      over which it matches a cosine.
    * Everything else is held fixed: each extra dimension costs trials, and these matter less
      than the peak.
    """
    if optimizer is None:
        lo, hi = 1e-5, 1.0
    else:
        from lrkit.doctor import PEAK_BOUNDS

        key = _optimizer(optimizer, "default_space") or ""
        hi = PEAK_BOUNDS[key][0]
        lo = hi * 1e-3
    cfg = {"families": {"cosine": {}, "wsd": {"decay_shape": "1-sqrt"}, "one_cycle": {}},
           "peak": [lo, hi], "warmup": [0.0, 0.1], "optimizer": optimizer}
    cfg["families"]["one_cycle"] = {"warmup": [0.1, 0.4]}
    space = Space.from_config({k: v for k, v in cfg.items() if v is not None})
    return space if finder is None else space.seeded(finder, band=band)


def load_space(path: Any) -> Space:
    """Read a space from a JSON, YAML (1.2 numbers) or TOML file; a ``budget`` key in the file is
    ignored here (the command line reads it)."""
    from lrkit.config import load_config

    data = load_config(path)
    data.pop("budget", None)
    return Space.from_config(data, _where=str(path))


__all__ += ["Uniform", "Choice"]
