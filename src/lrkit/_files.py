"""Reading config files safely: JSON, YAML (1.2 rules) and TOML, with errors naming file and line.

PyYAML implements YAML 1.1, where ``3e-4`` and ``1e4`` (no dot in the mantissa) are *strings*,
``yes``/``no``/``on``/``off`` are booleans and ``1:30`` is the integer 90. Configs are written by
hand, so lrkit reads YAML with the YAML 1.2 core schema instead: every number a person writes
(``3e-4``, ``1e4``, ``1_000``, ``.5``, ``-.inf``, ``0x10``, ``0o17``) is a number, only
``true``/``false`` are booleans and only ``null``/``~``/empty are null. A key written twice in
one mapping is an error (JSON and YAML parsers would silently keep the last one).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

__all__ = ["ConfigFileError", "read_config_file", "yaml_dump"]


class ConfigFileError(ValueError):
    """A config file that cannot be read: the message names the file and, when known, the line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line


# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), plus digit separators
_INT = re.compile(r"^[-+]?[0-9][0-9_]*$")
_OCT = re.compile(r"^0o[0-7_]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F_]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9][0-9_]*|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(inf|Inf|INF)$")
_NAN = re.compile(r"^\.(nan|NaN|NAN)$")
_BOOL = re.compile(r"^(true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(null|Null|NULL|~|)$")


_RESOLVERS = (
    ("tag:yaml.org,2002:bool", _BOOL, "tTfF"),
    ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", _INT, "-+0123456789"),
    ("tag:yaml.org,2002:int", _OCT, "0"),
    ("tag:yaml.org,2002:int", _HEX, "0"),
    ("tag:yaml.org,2002:float", _FLOAT, "-+.0123456789"),
    ("tag:yaml.org,2002:float", _INF, "-+."),
    ("tag:yaml.org,2002:float", _NAN, "."),
)


def _core_schema(cls: Any) -> Any:
    """Give a PyYAML Loader/Dumper class the YAML 1.2 core schema's implicit types."""
    cls.yaml_implicit_resolvers = {}
    for tag, rx, first in _RESOLVERS:
        cls.add_implicit_resolver(tag, rx, list(first))
    return cls


def yaml_dump(data: Any) -> str:
    """YAML text that :func:`read_config_file` reads back equal (strings that would read as
    numbers or booleans under YAML 1.2 are quoted)."""
    import yaml

    dumper = _core_schema(type("Dumper", (yaml.SafeDumper,), {}))
    return yaml.dump(data, Dumper=dumper, sort_keys=False)


def _yaml_loader() -> Any:
    import yaml

    class Loader(yaml.SafeLoader):
        """SafeLoader with YAML 1.2 core-schema scalars and duplicate keys refused."""

    _core_schema(Loader)

    def construct_int(loader: Any, node: Any) -> int:
        text = loader.construct_scalar(node).replace("_", "")
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text)

    def construct_float(loader: Any, node: Any) -> float:
        text = loader.construct_scalar(node).replace("_", "")
        low = text.lower()
        if low.endswith(".inf"):
            return float("-inf") if low.startswith("-") else float("inf")
        if low == ".nan":
            return float("nan")
        return float(text)

    def construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict[Any, Any]:
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, f"a mapping key must be a plain value, got {type(key).__name__}",
                    key_node.start_mark) from None
            if key in out:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (a key may appear once in a mapping)",
                    key_node.start_mark)
            out[key] = loader.construct_object(value_node, deep=deep)
        return out

    Loader.add_constructor("tag:yaml.org,2002:int", construct_int)
    Loader.add_constructor("tag:yaml.org,2002:float", construct_float)
    Loader.add_constructor("tag:yaml.org,2002:map", construct_mapping)
    return Loader


def _read_yaml(path: Path, text: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigFileError(path, f"invalid YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise ConfigFileError(path, f"invalid YAML: {exc}") from None


def _read_json(path: Path, text: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                line = _line_of_key(text, key)
                raise ConfigFileError(path, f"duplicate key {key!r} (a key may appear once in an object)",
                                      line)
            out[key] = value
        return out

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise ConfigFileError(path, f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None


def _line_of_key(text: str, key: str) -> int | None:
    """The line of the second occurrence of ``"key":`` (the duplicate), if it can be found."""
    rx = re.compile(r'"' + re.escape(key) + r'"\s*:')
    found = [text.count("\n", 0, m.start()) + 1 for m in rx.finditer(text)]
    return found[1] if len(found) > 1 else None


def _read_toml(path: Path, text: str) -> Any:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line = int(m.group(1)) if m else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise ConfigFileError(path, f"invalid TOML: {msg}", line) from None


_READERS = {".json": _read_json, ".yaml": _read_yaml, ".yml": _read_yaml, ".toml": _read_toml}


def read_config_file(path: Path) -> Any:
    """The parsed content of a ``.json``/``.yaml``/``.yml``/``.toml`` file."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise ValueError(f"path must end in .json, .yaml, .yml or .toml, got {str(path)!r}")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigFileError(path, f"not UTF-8 text (byte {exc.start}: {exc.reason})", line) from None
    return reader(path, text)
