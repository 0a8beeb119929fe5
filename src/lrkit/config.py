"""Building schedules from plain configs, and reading/writing them as JSON, YAML or TOML.

A config is a mapping with a ``type`` (a native name such as ``"cosine"`` or a dialect name
such as ``"torch.OneCycleLR"``) and that constructor's keyword arguments. Nested schedules are
nested configs. Loading is safe: only registered names can be built and no code is executed.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lrkit._files import ConfigFileError, read_config_file, yaml_dump
from lrkit._registry import lookup
from lrkit.schedule import Schedule
from lrkit.units import Budget, is_duration_with_unit

__all__ = ["from_config", "load", "dump", "load_config", "ConfigFileError"]


def _accepted(factory: Any) -> tuple[set[str], set[str], bool, list[str]]:
    """(all parameter names, duration parameter names, accepts **kwargs, required names)."""
    if isinstance(factory, type) and dataclasses.is_dataclass(factory):
        flds = [f for f in dataclasses.fields(factory) if f.init]
        required = [f.name for f in flds
                    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        return ({f.name for f in flds}, {f.name for f in flds if f.metadata.get("duration")}, False,
                required)
    sig = inspect.signature(factory)
    var_kw = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    names = {n for n, p in sig.parameters.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    required = [n for n, p in sig.parameters.items()
                if p.default is p.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    durations = set(getattr(factory, "__lrkit_durations__", ()))
    return names, durations, var_kw, required


def _decode(value: Any, budget: Budget | None, where: str) -> Any:
    if isinstance(value, Mapping) and "type" in value:
        return from_config(value, budget=budget, _where=where)
    if isinstance(value, list):
        return [_decode(v, budget, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def from_config(config: Mapping[str, Any] | Schedule, *, budget: Budget | Mapping[str, Any] | None
                = None, _where: str = "config") -> Schedule:
    """Build the schedule described by ``config``.

    Durations written with a unit (``"5 epochs"``, ``"10%"``) are resolved with ``budget``.
    Errors name the place in the config, the problem and the closest valid names.
    """
    if isinstance(config, Schedule):
        return config
    if isinstance(budget, Mapping):
        budget = Budget.from_config(budget)
    if not isinstance(config, Mapping):
        raise TypeError(f"{_where} must be a mapping with a 'type' key, got {config!r}")
    if "type" not in config:
        raise ValueError(f"{_where} has no 'type' key (got keys {sorted(config)})")
    cfg = dict(config)
    name = cfg.pop("type")
    try:
        factory = lookup(name)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{_where}: {exc}") from None
    names, durations, var_kw, required = _accepted(factory)
    unknown = [k for k in cfg if k not in names]
    if unknown and not var_kw:
        import difflib

        hints = []
        for k in unknown:
            near = difflib.get_close_matches(k, sorted(names), n=1)
            hints.append(f"{k!r}" + (f" (did you mean {near[0]!r}?)" if near else ""))
        raise ValueError(
            f"{_where}: {name} has no parameter {', '.join(hints)}; valid: {', '.join(sorted(names))}"
        )
    missing = [k for k in required if k not in cfg]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise ValueError(f"{_where}: {name} needs the argument{plural} {', '.join(map(repr, missing))} "
                         f"(got {', '.join(map(repr, cfg)) or 'none'})")
    kwargs = {}
    for key, value in cfg.items():
        here = f"{_where}.{key}"
        if key in durations and is_duration_with_unit(value):
            if budget is None:
                raise ValueError(
                    f"{here}={value!r} has a unit: pass a budget (steps_per_epoch, dataset_size, "
                    "batch_size, total_steps ...) to resolve it"
                )
            value = budget.steps(value, name=here)
        elif key in durations and isinstance(value, list):
            value = [budget.steps(v, name=f"{here}[{i}]") if is_duration_with_unit(v) and budget
                     else v for i, v in enumerate(value)]
            if budget is None and any(is_duration_with_unit(v) for v in value):
                raise ValueError(f"{here} has durations with units: pass a budget to resolve them")
        else:
            value = _decode(value, budget, here)
        kwargs[key] = value
    try:
        return factory(**kwargs)
    except (TypeError, ValueError) as exc:
        msg = str(exc)
        raise type(exc)(f"{_where} ({name}): {msg}") from None


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a config file (JSON, YAML or TOML) into a plain dict, safely."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"config file not found: {str(p)!r}")
    data = read_config_file(p)
    if not isinstance(data, Mapping):
        raise ConfigFileError(p, f"the file must hold a mapping, got {type(data).__name__}")
    return dict(data)


def load(path: str | os.PathLike[str], *, budget: Budget | Mapping[str, Any] | None = None
         ) -> Schedule:
    """Load a schedule from a JSON/YAML/TOML file.

    The file holds either a schedule config (with ``type``) or a mapping with a ``schedule``
    key and an optional ``budget`` key (used unless ``budget`` is passed here).
    """
    data = load_config(path)
    if "schedule" in data and "type" not in data:
        file_budget = data.get("budget")
        if budget is None and file_budget is not None:
            budget = file_budget
        return from_config(data["schedule"], budget=budget, _where=f"{path}:schedule")
    return from_config(data, budget=budget, _where=str(path))


def dump(schedule: Schedule, path: str | os.PathLike[str]) -> None:
    """Write ``schedule.to_config()`` to ``path`` (format chosen by the suffix)."""
    p = Path(path)
    cfg = schedule.to_config()
    suffix = p.suffix.lower()
    if suffix == ".json":
        p.write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    elif suffix in (".yaml", ".yml"):
        p.write_text(yaml_dump(cfg), encoding="utf-8")
    elif suffix == ".toml":
        p.write_text(_to_toml(cfg), encoding="utf-8")
    else:
        raise ValueError(f"path must end in .json, .yaml, .yml or .toml, got {str(p)!r}")


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if v is None:
        raise ValueError("TOML cannot hold None; use JSON or YAML for this schedule")
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        items = [f"{json.dumps(k)} = {_toml_value(x)}" for k, x in v.items() if x is not None]
        return "{" + ", ".join(items) + "}"
    raise ValueError(f"cannot write {v!r} to TOML")


def _to_toml(cfg: dict[str, Any]) -> str:
    lines = [f"{k} = {_toml_value(v)}" for k, v in cfg.items() if v is not None]
    return "\n".join(lines) + "\n"

