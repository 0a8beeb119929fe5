"""The ``lrkit`` command: see, compare, tabulate, explain and check a schedule before training
with it, run the range test on a user's model (``lrkit find module:function``), and run the
end-to-end demo. Terminal output is plain text: formulas are converted from the docstrings'
LaTeX by :func:`plain_math`.

A schedule is given as a config file (``.json``, ``.yaml``/``.yml``, ``.toml``, holding a
schedule config or ``{schedule: ..., budget: ...}``) or inline as a name followed by
``key=value`` pairs, e.g. ``cosine start=0.1 steps=1000`` or
``torch.OneCycleLR max_lr=1 total_steps=100``. Values are read as JSON-like literals
(``1e-3``, ``true``, ``[100, 200]``, ``{"type": "cosine", ...}``; ``100,200`` is a list); no
code is ever evaluated. A user's mistake gives one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import difflib
import inspect
import json
import math
import os
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from typing import Any

from lrkit._registry import lookup, names
from lrkit._rst import blocks
from lrkit.config import from_config, load_config
from lrkit.schedule import Schedule
from lrkit.units import Budget

__all__ = ["main", "parse_value", "parse_spec", "describe", "Param"]

_CONFIG_SUFFIXES = (".json", ".yaml", ".yml", ".toml")
_KEYWORDS = {"true": True, "false": False, "null": None, "none": None}


class UsageError(Exception):
    """A mistake in the command line or a config: reported in one line, exit code 2."""


# -- parsing -------------------------------------------------------------------------------------
def parse_value(text: str) -> Any:
    """A ``key=value`` value as a literal: JSON first, then a Python literal, then ``true`` /
    ``false`` / ``none`` in any case, then a comma-separated list, else the text itself.
    Nothing is evaluated (``ast.literal_eval`` only reads literals)."""
    s = text.strip()
    if not s:
        return ""
    try:
        return json.loads(s)
    except ValueError:
        pass
    try:
        value = ast.literal_eval(s)
        if isinstance(value, (int, float, str, bool, list, dict, tuple)) or value is None:
            return list(value) if isinstance(value, tuple) else value
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    if s.lower() in _KEYWORDS:
        return _KEYWORDS[s.lower()]
    if "," in s:
        return [parse_value(part) for part in s.split(",")]
    return s


def _is_file_token(token: str) -> bool:
    return token.lower().endswith(_CONFIG_SUFFIXES) or os.path.isfile(token)


def parse_spec(tokens: Sequence[str]) -> dict[str, Any]:
    """``["cosine", "start=0.1", "steps=1000"]`` -> ``{"type": "cosine", "start": 0.1, ...}``."""
    if not tokens:
        raise UsageError("no schedule given: pass a config file or a name with key=value pairs")
    name, *rest = tokens
    if "=" in name:
        raise UsageError(f"expected a schedule name or a config file first, got {name!r}")
    cfg: dict[str, Any] = {"type": name}
    for tok in rest:
        key, sep, raw = tok.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"{name}: expected key=value, got {tok!r}")
        if key == "type":
            raise UsageError(f"{name}: 'type' is the schedule name, give it first")
        if key in cfg:
            raise UsageError(f"{name}: {key} is given twice")
        cfg[key] = parse_value(raw)
    return cfg


def _split_inline(text: str) -> list[str]:
    """Split a quoted inline spec into tokens at blanks outside brackets and quotes, so
    ``"piecewise boundaries=[100, 200] values=[0.1, 0.01, 0.001]"`` keeps each list whole;
    a value quoted as a whole (``label='a b'``) loses its quotes, as in a shell."""
    tokens: list[str] = []
    cur: list[str] = []
    depth, quote = 0, ""
    for c in text:
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c in "[{(":
            depth += 1
        elif c in "]})":
            depth = max(depth - 1, 0)
        elif c.isspace() and depth == 0:
            if cur:
                tokens.append("".join(cur))
                cur = []
            continue
        cur.append(c)
    if quote or depth:
        raise UsageError(f"unbalanced {'quote' if quote else 'bracket'} in {text!r}")
    if cur:
        tokens.append("".join(cur))
    out = []
    for tok in tokens:
        key, sep, raw = tok.partition("=")
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
            raw = raw[1:-1]
        elif len(tok) >= 2 and tok[0] == tok[-1] and tok[0] in "'\"":
            key, sep, raw = tok[1:-1], "", ""
        out.append(key + sep + raw)
    return out


def _split_specs(tokens: Sequence[str]) -> list[list[str]]:
    """Group ``compare`` arguments: a token holding spaces is a spec of its own, a config file is
    one, and a bare name starts a new inline spec that the following ``key=value`` tokens join."""
    groups: list[list[str]] = []
    for tok in tokens:
        first = tok.strip().split(None, 1)[0] if tok.strip() else ""
        joins = "=" in first and groups and not _is_file_token(groups[-1][0])
        if any(c.isspace() for c in tok.strip()) and not joins and not os.path.isfile(tok):
            groups.append(_split_inline(tok))
        elif "=" in tok and groups and not _is_file_token(groups[-1][0]):
            groups[-1].append(tok)
        elif "=" in tok:
            raise UsageError(f"{tok!r} must follow a schedule name")
        else:
            groups.append([tok])
    return groups


def parse_budget(text: str | None) -> Budget | None:
    """``steps_per_epoch=100,epochs=10`` -> ``Budget(steps_per_epoch=100, epochs=10)``."""
    if not text:
        return None
    cfg: dict[str, Any] = {}
    for part in text.split(","):
        key, sep, raw = part.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--budget: expected key=value pairs separated by commas, got {part!r}")
        cfg[key.strip()] = parse_value(raw)
    known = [f.name for f in dataclasses.fields(Budget)]
    for key in cfg:
        if key not in known:
            near = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise UsageError(f"--budget: unknown key {key!r}{hint}; valid: {', '.join(known)}")
    try:
        return Budget.from_config(cfg)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"--budget: {exc}") from None


@dataclasses.dataclass(frozen=True)
class Param:
    """One parameter of a schedule constructor, for ``lrkit explain``."""

    name: str
    annotation: str
    default: Any
    required: bool
    duration: bool


def describe(factory: Callable[..., Any]) -> list[Param]:
    """The parameters of a registered schedule factory (dataclass fields or a signature)."""
    out: list[Param] = []
    if isinstance(factory, type) and dataclasses.is_dataclass(factory):
        for f in dataclasses.fields(factory):
            if not f.init:
                continue
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            default = None if required else (
                f.default if f.default is not dataclasses.MISSING else f.default_factory())
            ann = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
            out.append(Param(f.name, ann, default, required, bool(f.metadata.get("duration"))))
        return out
    durations = set(getattr(factory, "__lrkit_durations__", ()))
    for p in inspect.signature(factory).parameters.values():
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        ann = "" if p.annotation is p.empty else (
            p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", ""))
        required = p.default is p.empty
        out.append(Param(p.name, ann, None if required else p.default, required, p.name in durations))
    return out


def _accepts_var_kw(factory: Callable[..., Any]) -> bool:
    if isinstance(factory, type) and dataclasses.is_dataclass(factory):
        return False
    try:
        return any(p.kind is p.VAR_KEYWORD for p in inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):
        return True


def _build(cfg: dict[str, Any], budget: Budget | None, where: str) -> Schedule:
    """``from_config`` with a friendlier message for missing required parameters."""
    name = cfg.get("type")
    if isinstance(name, str):
        try:
            factory = lookup(name)
        except (ValueError, TypeError) as exc:
            raise UsageError(f"{where}: {exc}") from None
        try:
            params = describe(factory)
        except (TypeError, ValueError):
            params = []
        known = {p.name for p in params}
        if params and (not _accepts_var_kw(factory)):
            missing = [p.name for p in params if p.required and p.name not in cfg]
            unknown = [k for k in cfg if k != "type" and k not in known]
            if missing and not unknown:
                raise UsageError(
                    f"{where}: {name} needs {', '.join(missing)} (parameters: "
                    f"{', '.join(p.name + ('' if p.required else '=' + repr(p.default)) for p in params)}"
                    f"; see `lrkit explain {name}`)")
    try:
        return from_config(cfg, budget=budget, _where=where)
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None


@dataclasses.dataclass
class Loaded:
    """A schedule read from the command line: the schedule, its legend label, the budget that
    resolved its units (from ``--budget`` or the config file) and the config it was built from."""

    schedule: Schedule
    label: str
    budget: Budget | None
    config: dict[str, Any]


def load_spec(tokens: Sequence[str], budget: Budget | None, where: str = "spec") -> Loaded:
    """A schedule from a config file (``tokens == [path]``) or an inline spec."""
    if len(tokens) == 1 and _is_file_token(tokens[0]):
        path = tokens[0]
        try:
            data = load_config(path)
        except FileNotFoundError:
            raise UsageError(f"{path}: no such config file") from None
        except Exception as exc:  # JSON/YAML/TOML syntax errors of any parser
            raise UsageError(f"{path}: cannot read the config: {_one_line(exc)}") from None
        if "schedule" in data and "type" not in data:
            file_budget = data.get("budget")
            if budget is None and file_budget is not None:
                try:
                    budget = Budget.from_config(file_budget)
                except (ValueError, TypeError) as exc:
                    raise UsageError(f"{path}:budget: {exc}") from None
            cfg = data["schedule"]
            if not isinstance(cfg, dict):
                raise UsageError(f"{path}:schedule must be a mapping with a 'type', got {cfg!r}")
            sched = _build(dict(cfg), budget, f"{path}:schedule")
        else:
            cfg = data
            sched = _build(dict(data), budget, path)
        return Loaded(sched, os.path.basename(path), budget, dict(cfg))
    if len(tokens) == 1 and any(c.isspace() for c in tokens[0]):
        tokens = _split_inline(tokens[0])
    cfg = parse_spec(tokens)
    return Loaded(_build(dict(cfg), budget, where), " ".join(tokens), budget, cfg)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _steps_arg(value: str | None, budget: Budget | None, name: str = "--steps") -> int | None:
    if value is None:
        return None
    v = parse_value(value)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if not float(v).is_integer() or v < 2:
            raise UsageError(f"{name} must be a whole number of steps >= 2, got {value!r}")
        return int(v)
    if budget is None:
        raise UsageError(f"{name}={value!r} has a unit: pass --budget to resolve it, or give steps")
    try:
        steps = budget.steps(value, name=name)
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    if steps < 2:
        raise UsageError(f"{name} must be at least 2 steps, got {value!r} = {steps} steps")
    return steps


def _default_length(loaded: list[Loaded], steps: int | None) -> int | None:
    if steps is not None:
        return steps
    for item in loaded:
        if item.budget is not None and item.budget.resolved_total_steps():
            return max(int(item.budget.resolved_total_steps() or 0), 2)
    return None


# -- commands ------------------------------------------------------------------------------------
def _draw(args: argparse.Namespace, loaded: list[Loaded], labels: list[str] | None, title: str | None) -> int:
    from lrkit import plot as lp

    scheds = [x.schedule for x in loaded]
    n = _default_length(loaded, _steps_arg(args.steps, args.budget))
    spe = next((x.budget.resolved_steps_per_epoch() for x in loaded if x.budget is not None), None)
    show_text = args.text
    if not args.output and not show_text:
        try:
            import matplotlib

            backend = matplotlib.get_backend().lower()
        except ImportError:
            backend = "agg"
        if backend in ("agg", "pdf", "ps", "svg", "cairo", "template") or backend.startswith("module://"):
            show_text = True
            print("(no display: drawing in the terminal; use -o FILE.png to save a figure)", file=sys.stderr)
    if show_text:
        width = max(min(shutil.get_terminal_size((100, 24)).columns - 14, 100), 20)
        print(lp.text_plot(scheds, n, labels=labels, log=args.log, width=width))
    if args.output:
        try:
            fig = lp.plot(scheds, n, labels=labels, log=args.log, title=title, steps_per_epoch=spe)
        except ImportError:
            raise UsageError("drawing a figure needs matplotlib: pip install 'lrkit[plot]' (or use --text)") \
                from None
        path = lp.save(fig, args.output)
        print(f"wrote {path}")
    elif not show_text:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
        lp.plot(scheds, n, labels=labels, log=args.log, title=title, steps_per_epoch=spe, ax=ax)
        plt.show()
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    item = load_spec(args.spec, args.budget)
    return _draw(args, [item], None, args.title or item.label)   # a long title is wrapped, never cut


def _with_defaults(cfg: dict[str, Any]) -> dict[str, Any]:
    try:
        params = describe(lookup(str(cfg["type"])))
    except (ValueError, TypeError, KeyError):
        return cfg
    return {**{p.name: p.default for p in params if not p.required}, **cfg}


def auto_labels(items: list[Loaded]) -> list[str]:
    """Legend labels: the parameters that differ when all schedules share one type."""
    types = {str(x.config.get("type")) for x in items}
    if len(types) == 1 and all("type" in x.config for x in items):
        full = [_with_defaults(x.config) for x in items]
        keys = sorted({k for c in full for k in c if k != "type"})
        differing = [k for k in keys if len({json.dumps(c.get(k), sort_keys=True, default=str)
                                            for c in full}) > 1]
        if differing:
            return [", ".join(f"{k}={json.dumps(c.get(k), default=str)}" for k in differing) for c in full]
    return [x.label for x in items]


def cmd_compare(args: argparse.Namespace) -> int:
    groups = _split_specs(args.spec)
    if len(groups) < 2:
        raise UsageError("compare needs at least two schedules (quote each inline spec, or start "
                         "each with its name)")
    items = [load_spec(g, args.budget, where=f"schedule {i + 1}") for i, g in enumerate(groups)]
    if args.label:
        labels = [s.strip() for s in args.label.split(",")]
        if len(labels) != len(items):
            raise UsageError(f"--label: give {len(items)} labels separated by commas, got {len(labels)}")
    else:
        labels = auto_labels(items)
    return _draw(args, items, labels, args.title)


def _parse_at(text: str | None, budget: Budget | None, schedule: Schedule) -> list[float]:
    if not text:
        h = schedule.horizon
        end = int(math.ceil(h)) if h is not None else 1000
        pts = {round(end * k / 10) for k in range(11)}
        pts.update(int(b) for b in schedule.phase_boundaries() if 0 <= b <= end)
        return sorted(float(p) for p in pts)
    out: list[float] = []
    for part in text.split(","):
        part = part.strip()
        if ":" in part:
            bits = part.split(":")
            if len(bits) not in (2, 3):
                raise UsageError(f"--at: a range is start:end or start:end:step, got {part!r}")
            try:
                a, b = float(bits[0]), float(bits[1])
                step = float(bits[2]) if len(bits) == 3 else 1.0
            except ValueError:
                raise UsageError(f"--at: ranges hold numbers, got {part!r}") from None
            if step <= 0 or b < a:
                raise UsageError(f"--at: a range needs end >= start and step > 0, got {part!r}")
            count = int(math.floor((b - a) / step + 1e-9)) + 1
            if count > 1_000_000:
                raise UsageError(f"--at: {part!r} has {count} points; at most 1000000")
            out.extend(a + k * step for k in range(count))
            continue
        try:
            v = float(part)
        except ValueError:
            if budget is None:
                raise UsageError(f"--at: expected steps such as 0,100,1000 or 0:1000:100, got {part!r} "
                                 "(pass --budget to use units)") from None
            try:
                v = float(budget.steps(part, name="--at"))
            except (ValueError, TypeError) as exc:
                raise UsageError(str(exc)) from None
        if not math.isfinite(v) or v < 0:
            raise UsageError(f"--at: steps must be finite and >= 0, got {part!r}")
        out.append(v)
    return out


def _num_str(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def cmd_show(args: argparse.Namespace) -> int:
    import numpy as np

    item = load_spec(args.spec, args.budget)
    s = item.schedule
    at = _parse_at(args.at, item.budget, s)
    t = np.asarray(at, dtype=np.float64)
    columns = {"lr": np.asarray(s(t), dtype=np.float64)}
    mom = getattr(s, "momentum", None)
    if isinstance(mom, Schedule):
        columns["momentum"] = np.asarray(mom(t), dtype=np.float64)
    if args.csv:
        print(",".join(["step", *columns]))
        for i, step in enumerate(at):
            print(",".join([_num_str(step), *(repr(float(c[i])) for c in columns.values())]))
        return 0
    rows = [[_num_str(step), *(f"{float(c[i]):.6g}" for c in columns.values())] for i, step in enumerate(at)]
    head = ["step", *columns]
    widths = [max(len(head[j]), *(len(r[j]) for r in rows)) for j in range(len(head))]
    print("  ".join(h.rjust(w) for h, w in zip(head, widths)))
    for r in rows:
        print("  ".join(x.rjust(w) for x, w in zip(r, widths)))
    return 0


_GREEK = {n: c for n, c in zip(
    "alpha beta gamma delta epsilon varepsilon eta theta kappa lambda mu nu pi rho sigma tau phi omega "
    "Gamma Delta Theta Lambda Pi Sigma Phi Omega".split(), "αβγδεεηθκλμνπρστφωΓΔΘΛΠΣΦΩ")}
_SYMBOLS = {"cdot": "·", "times": "×", "to": "→", "rightarrow": "→", "mapsto": "↦", "le": "≤", "leq": "≤",
            "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈", "infty": "∞", "in": "∈",
            "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "sum": "Σ", "prod": "Π", "pm": "±",
            "ldots": "...", "dots": "...", "cdots": "...", "quad": "  ", "qquad": "    ", "mid": "|",
            "lvert": "|", "rvert": "|", "vert": "|"}
_DROP = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "displaystyle",
         "textstyle", "limits"}
_BRACED = r"\{((?:[^{}]|\{[^{}]*\})*)\}"  # one level of nested braces


def _group(text: str) -> str:
    """``x`` for a single token, else ``(text)``."""
    text = text.strip()
    single = r"\\?[\w.·']+|[^\s]|\\?\w+\((?:[^()]|\([^()]*\))*\)"  # a token, or f(x) as a whole
    return text if re.fullmatch(single, text) else f"({text})"


def plain_math(tex: str) -> str:
    """LaTeX math as plain text for a terminal: ``\tfrac12 (a - b)(1 + \\cos \\pi u)`` ->
    ``1/2 (a - b)(1 + cos π u)``; fractions ``(a)/(b)``, ``\\sqrt`` as ``√``, cases as
    ``{a if c; b if d}``, Greek letters and operators as their symbols, grouping braces removed."""
    s = tex.replace(r"\{", "\x00").replace(r"\}", "\x01").replace(r"\_", "_").replace(r"\%", "%")
    s = re.sub(r"\\(?:text|mathrm|operatorname|mathit|textrm|mathbf|textbf|texttt|boldsymbol)\s*" + _BRACED,
               r"\1", s)
    for _ in range(3):  # nested fractions and roots
        s = re.sub(r"\\[dt]?frac\s*(\d)\s*(\d)", r"\1/\2", s)
        s = re.sub(r"\\[dt]?frac\s*" + _BRACED + r"\s*" + _BRACED,
                   lambda m: f"{_group(m.group(1))}/{_group(m.group(2))}", s)
        s = re.sub(r"\\sqrt\s*" + _BRACED, lambda m: "√" + _group(m.group(1)), s)

    def cases(m: re.Match[str]) -> str:
        rows = [r.strip() for r in re.split(r"\\\\", m.group(1)) if r.strip()]
        return "\x00" + "; ".join(" if ".join(c.strip() for c in r.split("&")) for r in rows) + "\x01"

    s = re.sub(r"\\begin\{cases\}(.*?)\\end\{cases\}", cases, s, flags=re.S)
    s = re.sub(r"\\begin\{[a-z*]+\}|\\end\{[a-z*]+\}", "", s)
    s = re.sub(r"\\[,;:! ]", " ", s)
    s = re.sub(r"([_^])\s*" + _BRACED, lambda m: m.group(1) + _group(m.group(2)), s)

    def command(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in _DROP:
            return ""
        return _GREEK.get(name) or _SYMBOLS.get(name) or name

    s = re.sub(r"\\([A-Za-z]+)\s?", lambda m: command(m) + " " if m.group(0).endswith(" ") else command(m), s)
    s = s.replace("{", "").replace("}", "").replace("\x00", "{").replace("\x01", "}").replace("\\", "")
    return re.sub(r"[ \t]{2,}", " ", s).strip()


def _clean_doc(text: str) -> str:
    text = re.sub(r":math:`([^`]*)`", lambda m: plain_math(m.group(1)), text)
    text = re.sub(r":(?:class|func|meth|data|attr|mod):`~?([^`]*)`", r"\1", text)
    return text.replace("``", "")


def _doc(name: str, factory: Callable[..., Any]) -> str:
    """The factory's docstring, or (for an undocumented dialect factory) the docstring of the
    public function of the same name in the factory's module (``tf1.exponential_decay`` ->
    ``lrkit.compat.tf1.exponential_decay``)."""
    doc = inspect.getdoc(factory) or ""
    if not doc.strip() and "." in name:
        module = sys.modules.get(getattr(factory, "__module__", "") or "")
        public = getattr(module, name.split(".", 1)[1], None) if module is not None else None
        if public is not None and public is not factory:
            doc = inspect.getdoc(public) or ""
    return doc


def _summary(name: str, factory: Callable[..., Any]) -> str:
    doc = _doc(name, factory)
    if not doc.strip():
        try:
            params = describe(factory)
        except (TypeError, ValueError):
            return ""
        return "parameters: " + ", ".join(p.name + ("" if p.required else f"={p.default!r}")
                                          for p in params)
    first = doc.strip().split("\n\n")[0].replace("\n", " ")
    first = _clean_doc(first)
    if first.endswith(":"):  # "get_linear_schedule_with_warmup:" -- the formula says what it is
        formulas = _formula_blocks(doc)
        first = f"{first} {formulas[0]}" if formulas else first[:-1]
    return first if len(first) <= 90 else first[:87].rstrip() + "..."


def cmd_list(args: argparse.Namespace) -> int:
    all_names = names(include_dialects=True)
    width = max(len(n) for n in all_names) if all_names else 0
    for n in all_names:
        if args.native and "." in n:
            continue
        print(f"{n.ljust(width)}  {_summary(n, lookup(n))}")
    return 0


def _formula_blocks(doc: str) -> list[str]:
    """Each ``.. math::`` block of a docstring as one line of plain text."""
    return [plain_math(" ".join(line.strip() for line in body)) for kind, _, body in blocks(doc)
            if kind != "text" and any(line.strip() for line in body)]


def _split_doc(doc: str) -> tuple[list[str], list[str]]:
    """(prose lines, formula lines) of an RST docstring."""
    prose: list[str] = []
    formulas: list[str] = []
    for kind, _, body in blocks(doc):
        if kind == "text":
            prose.extend(body)
        else:
            formulas.extend(body + [""])
    return prose, formulas


def peer_aliases() -> dict[str, list[str]]:
    """A peer library's own name -> the registered dialect names it is
    (``get_cosine_schedule_with_warmup`` -> ``["hf.cosine"]``, ``CosineAnnealingLR`` ->
    ``["torch.CosineAnnealingLR"]``), read from each dialect's docstring and factory name."""
    out: dict[str, list[str]] = {}
    for n in names(include_dialects=True):
        if "." not in n:
            continue
        factory = lookup(n)
        words = _clean_doc(_doc(n, factory)).split()
        heads = {getattr(factory, "__name__", ""), n.split(".", 1)[1]}
        if words:
            heads.add(words[0].rstrip(":,.").split(".")[-1])
        for h in heads:
            if h and h.isidentifier() and h != n:
                out.setdefault(h, [])
                if n not in out[h]:
                    out[h].append(n)
    return out


def _lookup_any(name: str) -> tuple[str, Callable[..., Any]]:
    try:
        return name, lookup(name)
    except (ValueError, TypeError) as exc:
        found = peer_aliases().get(name.split(".")[-1], [])
        if len(found) == 1:
            return found[0], lookup(found[0])
        if found:
            raise UsageError(f"{name!r} is several dialect names: {', '.join(found)}; "
                             "explain one of them") from None
        raise UsageError(str(exc)) from None


def cmd_explain(args: argparse.Namespace) -> int:
    asked = args.name
    name, factory = _lookup_any(asked)
    if name != asked:
        print(f"{asked} is {name}")
    where = f"{getattr(factory, '__module__', '?')}.{getattr(factory, '__qualname__', name)}"
    print(f"{name}  ({where})")
    doc = _doc(name, factory) or "(no documentation)"
    prose, formulas = _split_doc(doc)
    text = _clean_doc("\n".join(prose)).strip()
    print()
    print(re.sub(r"\n{3,}", "\n\n", text))
    if formulas:
        import textwrap

        print("\nformula:")
        for f in _formula_blocks(doc):
            print(textwrap.fill(f, width=100, initial_indent="    ", subsequent_indent="      "))
    try:
        params = describe(factory)
    except (TypeError, ValueError):
        params = []
    if params:
        print("\nparameters:")
        w = max(len(p.name) for p in params)
        wa = max(len(p.annotation) for p in params)
        for p in params:
            default = "required" if p.required else f"default {p.default!r}"
            unit = "  (a duration: steps, or '5 epochs', '10%' with a budget)" if p.duration else ""
            print(f"  {p.name.ljust(w)}  {p.annotation.ljust(wa)}  {default}{unit}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from lrkit.doctor import check

    item = load_spec(args.spec, args.budget)
    total: Any = None
    if args.total is not None:
        v = parse_value(args.total)
        total = v if isinstance(v, (int, float)) and not isinstance(v, bool) else args.total
    try:
        report = check(item.schedule, total, optimizer=args.optimizer, budget=item.budget)
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    ignore = {c.strip() for part in args.ignore or [] for c in part.split(",") if c.strip()}
    if ignore:
        report = dataclasses.replace(report, findings=tuple(f for f in report.findings
                                                            if f.code not in ignore))
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.format())
    if args.fail_on == "error":
        return 2 if report.errors else 0
    return report.exit_code


def _load_callable(target: str, what: str) -> Callable[..., Any]:
    """The function ``target`` names: ``path/to/file.py:name`` or ``package.module:name``."""
    import importlib
    import importlib.util

    where, sep, attr = target.rpartition(":")
    if not sep or not where or not attr:
        raise UsageError(f"{what} must look like train.py:make or package.module:make, got {target!r}")
    if where.endswith(".py") or "/" in where or os.sep in where:
        if not os.path.isfile(where):
            raise UsageError(f"{what}: file not found: {where!r}")
        path = os.path.abspath(where)
        if os.path.dirname(path) not in sys.path:
            sys.path.insert(0, os.path.dirname(path))
        spec = importlib.util.spec_from_file_location("_lrkit_find_target", path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    else:
        try:
            module = importlib.import_module(where)
        except ImportError as exc:
            raise UsageError(f"{what}: cannot import module {where!r}: {exc}") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise UsageError(f"{what}: {where} has no function {attr!r}")
    return fn


def cmd_find(args: argparse.Namespace) -> int:
    """The range test on the user's model: ``make()`` returns ``(model, optimizer, data, loss_fn)``
    (or a dict with those keys); the suggestion is printed and the curve drawn."""
    try:
        import lrkit.torch
    except ImportError as exc:
        raise UsageError(f"lrkit find needs torch: pip install 'lrkit[torch]' ({exc})") from None
    made = _load_callable(args.target, "lrkit find")()
    keys = ("model", "optimizer", "data", "loss_fn")
    if isinstance(made, dict):
        missing = [k for k in keys if k not in made]
        if missing:
            raise UsageError(f"{args.target} must return {', '.join(keys)}; "
                             f"the dict has no {', '.join(missing)}")
        made = tuple(made[k] for k in keys)
    if not isinstance(made, (tuple, list)) or len(made) != 4:
        raise UsageError(f"{args.target} must return (model, optimizer, data, loss_fn), got "
                         f"{type(made).__name__}")
    model, optimizer, data, loss_fn = made
    result = lrkit.torch.find_lr(model, optimizer, data, loss_fn, start=args.start, end=args.end,
                                 num_steps=args.num_steps, target=args.target_schedule,
                                 progress=not args.no_progress)
    if result.suggestion is None:
        print(f"no suggestion: {result.reason}")
    else:
        print(f"suggested {'one-cycle peak' if args.target_schedule == 'one_cycle' else 'constant rate'}: "
              f"{result.suggestion:.3g}")
    for rule in ("minimum", "steepest", "valley"):
        try:
            print(f"  {rule:9s} {result.suggest(rule):.3g}")
        except Exception as exc:  # noqa: BLE001 - a rule without an answer says why
            print(f"  {rule:9s} none ({_one_line(exc)})")
    if args.output:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        ax = result.plot()
        ax.figure.savefig(args.output, bbox_inches="tight")
        plt.close(ax.figure)
        print(f"wrote {args.output}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result.to_dict(), fh, indent=2)
        print(f"wrote {args.json}")
    return 0 if result.suggestion is not None else 1


def cmd_demo(args: argparse.Namespace) -> int:
    try:
        from lrkit import demo
    except ImportError as exc:
        raise UsageError(f"the demo needs torch, scikit-learn, matplotlib and tqdm: pip install "
                         f"'lrkit[demo]' ({exc})") from None
    return demo.run_cli(out=args.out, quick=args.quick, seed=args.seed, schedule=args.schedule)


# -- the parser ----------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors that suggest the closest valid choice."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        m = re.search(r"argument ([^:]*): invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if m:
            arg, bad = m.group(1), m.group(2)
            choices = re.findall(r"'([^']*)'", m.group(3))
            near = difflib.get_close_matches(bad, choices, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            if arg.startswith("-"):
                message = f"{arg} must be one of {', '.join(choices)}, got {bad!r}{hint}"
            else:
                message = f"unknown command {bad!r}{hint} (commands: {', '.join(choices)})"
        self.exit(2, f"{self.prog}: error: {message}\n")


_COMMANDS = {
    "plot": "draw a schedule (PNG/SVG/PDF, or text in the terminal)",
    "compare": "overlay several schedules with a legend",
    "show": "the values at chosen steps, as a table or CSV",
    "list": "every schedule and dialect name, one line each",
    "explain": "a schedule's formula, parameters and defaults",
    "check": "the schedule doctor: exit 0 clean, 1 warnings, 2 errors",
    "demo": "end to end on scikit-learn digits: range test, schedule, per-layer rates, training",
    "find": "the LR range test on your model: module:function returning model, optimizer, data, loss",
}


def _add_drawing(p: argparse.ArgumentParser) -> None:
    p.add_argument("--steps", help="how many steps to draw (default: 10%% past the schedule's end, "
                   "the budget's total, or 1000); a unit such as '10 epochs' needs --budget")
    p.add_argument("-o", "--output", help="write the figure to this .png, .svg or .pdf file")
    p.add_argument("--log", action="store_true", help="logarithmic y axis")
    p.add_argument("--text", action="store_true", help="draw in the terminal")
    p.add_argument("--title", help="figure title")


def _budget_opt(p: argparse.ArgumentParser) -> None:
    p.add_argument("--budget", metavar="K=V,...", help="resolves units in durations, e.g. "
                   "steps_per_epoch=100,epochs=10 or dataset_size=50000,batch_size=128")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lrkit", description="Learning-rate schedules: see, compare and check them "
                     "before training with them.")
    from lrkit import __version__

    parser.add_argument("--version", action="version", version=f"lrkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    spec_help = "a config file (.json/.yaml/.toml) or a name followed by key=value pairs"

    p = sub.add_parser("plot", help=_COMMANDS["plot"], description=_COMMANDS["plot"])
    p.add_argument("spec", nargs="+", metavar="CONFIG_OR_NAME", help=spec_help)
    _add_drawing(p)
    _budget_opt(p)
    p.set_defaults(func=cmd_plot, takes_spec=True)

    p = sub.add_parser("compare", help=_COMMANDS["compare"], description=_COMMANDS["compare"])
    p.add_argument("spec", nargs="+", metavar="SCHEDULE",
                   help="two or more config files or inline specs (a name starts a new one)")
    p.add_argument("--label", help="legend labels separated by commas (default: what differs)")
    _add_drawing(p)
    _budget_opt(p)
    p.set_defaults(func=cmd_compare, takes_spec=True)

    p = sub.add_parser("show", help=_COMMANDS["show"], description=_COMMANDS["show"])
    p.add_argument("spec", nargs="+", metavar="CONFIG_OR_NAME", help=spec_help)
    p.add_argument("--at", help="steps: 0,100,1000 or ranges start:end:step (end included); "
                   "default: 11 points over the schedule plus its phase boundaries")
    p.add_argument("--csv", action="store_true", help="CSV with full precision")
    _budget_opt(p)
    p.set_defaults(func=cmd_show, takes_spec=True)

    p = sub.add_parser("list", help=_COMMANDS["list"], description=_COMMANDS["list"])
    p.add_argument("--native", action="store_true", help="only lrkit's own names (no dialects)")
    p.set_defaults(func=cmd_list, takes_spec=False)

    p = sub.add_parser("explain", help=_COMMANDS["explain"], description=_COMMANDS["explain"])
    p.add_argument("name", help="a schedule or dialect name (see `lrkit list`)")
    p.set_defaults(func=cmd_explain, takes_spec=False)

    p = sub.add_parser("check", help=_COMMANDS["check"], description=_COMMANDS["check"])
    p.add_argument("spec", nargs="+", metavar="CONFIG_OR_NAME", help=spec_help)
    p.add_argument("--total", help="the run's length in optimizer steps (or '90 epochs' with a budget); "
                   "default: the budget's total or the schedule's own length")
    p.add_argument("--optimizer", help="enables a peak-rate bound: sgd, adamw, adam, lion, ...")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--ignore", action="append", metavar="CODE", help="leave out findings with this "
                   "code (repeat, or separate with commas), e.g. --ignore length-mismatch")
    p.add_argument("--fail-on", choices=("warning", "error"), default="warning",
                   help="exit non-zero on warnings (default: 1 for warnings, 2 for errors) or only on "
                   "errors (exit 2)")
    _budget_opt(p)
    p.set_defaults(func=cmd_check, takes_spec=True)

    p = sub.add_parser("find", help=_COMMANDS["find"], description=_COMMANDS["find"])
    p.add_argument("target", metavar="MODULE:FUNCTION", help="train.py:make or package.module:make; "
                   "make() returns (model, optimizer, data, loss_fn) or a dict with those keys")
    p.add_argument("-o", "--output", help="write the finder plot to this .png/.svg/.pdf file")
    p.add_argument("--json", metavar="FILE", help="write the result (curve, suggestions) as JSON")
    p.add_argument("--start", type=float, default=1e-7, help="first rate (default 1e-7)")
    p.add_argument("--end", type=float, default=10.0, help="last rate (default 10)")
    p.add_argument("--num-steps", type=int, default=100, help="steps of the sweep (default 100)")
    p.add_argument("--target", dest="target_schedule", choices=("one_cycle", "constant"),
                   default="one_cycle", help="what the suggestion is for (default one_cycle)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_find, takes_spec=False)

    p = sub.add_parser("demo", help=_COMMANDS["demo"], description=_COMMANDS["demo"])
    p.add_argument("--out", default="lrkit-demo", help="directory for the figures and summary "
                   "(default: ./lrkit-demo)")
    p.add_argument("--quick", action="store_true", help="a shorter run (for tests and CI)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--schedule", choices=("warmup_cosine", "one_cycle"), default="warmup_cosine",
                   help="the schedule built around the suggested rate (default warmup_cosine)")
    p.set_defaults(func=cmd_demo, takes_spec=False)

    from lrkit.tune.cli import add_parser as add_sweep  # `lrkit sweep` lives in lrkit.tune

    add_sweep(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lrkit`` command; returns the exit code."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args, extra = parser.parse_known_args(argv)
    except SystemExit as exc:  # argparse's own exits: --help, --version, a usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    prog = f"lrkit {args.command}" if getattr(args, "command", None) else "lrkit"
    if extra:
        if getattr(args, "takes_spec", False) and not any(x.startswith("-") for x in extra):
            args.spec = list(args.spec) + extra
        else:
            print(f"{prog}: error: unrecognized arguments: {' '.join(extra)}", file=sys.stderr)
            return 2
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        if hasattr(args, "budget") and isinstance(args.budget, str | None):
            args.budget = parse_budget(args.budget)
        return int(args.func(args))
    except UsageError as exc:
        print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # pragma: no cover - `lrkit list | head`
        return 0
    except (ValueError, TypeError, OSError) as exc:
        print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
