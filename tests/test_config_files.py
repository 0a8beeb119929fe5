"""Config files written by hand: YAML 1.2 numbers, duplicate keys, and one clear error per problem."""

from __future__ import annotations

import json

import pytest

import lrkit
from lrkit.config import ConfigFileError


def _write(tmp_path, name, text, mode="w"):
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("text, value", [
    ("3e-4", 3e-4), ("1e4", 1e4), ("1E-3", 1e-3), ("+2e2", 200.0), (".5", 0.5), ("-.5e1", -5.0),
    ("1_000", 1000), ("0x10", 16), ("0o17", 15), ("7", 7), ("2.", 2.0),
])
def test_every_number_a_person_writes_in_yaml_is_a_number(tmp_path, text, value):
    # PyYAML alone (YAML 1.1) reads 3e-4 and 1e4 as strings
    p = _write(tmp_path, "s.yaml", f"type: constant\nvalue: {text}\n")
    data = lrkit.config.load_config(p)
    assert data["value"] == value and not isinstance(data["value"], str)


def test_the_issue_example_loads(tmp_path):
    p = _write(tmp_path, "s.yaml", "type: cosine\nstart: 3e-4\nsteps: 1e4\n")
    s = lrkit.load(p)
    assert s(0) == pytest.approx(3e-4) and s.steps == 10_000


@pytest.mark.parametrize("text", ["yes", "no", "on", "off", "1:30", "Y"])
def test_yaml_1_1_words_stay_strings(tmp_path, text):
    p = _write(tmp_path, "s.yaml", f"type: polynomial\nstart: 0.1\nsteps: 10\ncycle: {text}\n")
    assert lrkit.config.load_config(p)["cycle"] == text
    with pytest.raises(TypeError, match="cycle must be True or False"):
        lrkit.load(p)


def test_yaml_keeps_booleans_null_and_special_floats(tmp_path):
    p = _write(tmp_path, "s.yaml", "a: true\nb: False\nc: null\nd: ~\ne: .inf\nf: -.Inf\n")
    data = lrkit.config.load_config(p)
    assert data["a"] is True and data["b"] is False and data["c"] is None and data["d"] is None
    assert data["e"] == float("inf") and data["f"] == float("-inf")


@pytest.mark.parametrize("suffix, text, line", [
    (".yaml", "type: cosine\nstart: 0.1\nstart: 0.2\nsteps: 10\n", 3),
    (".json", '{"type": "cosine",\n "start": 0.1,\n "start": 0.2,\n "steps": 10}', 3),
    (".yaml", "type: warmup\nsteps: 5\nschedule:\n  type: cosine\n  steps: 10\n  steps: 20\n", 6),
])
def test_a_duplicate_key_is_an_error_naming_file_and_line(tmp_path, suffix, text, line):
    p = _write(tmp_path, "s" + suffix, text)
    with pytest.raises(ConfigFileError, match=rf"s\{suffix}:{line}: .*duplicate key '(start|steps)'") as e:
        lrkit.load(p)
    assert e.value.line == line and e.value.path == str(p)


@pytest.mark.parametrize("suffix, text, line, words", [
    (".yaml", "type: cosine\nstart: !!python/object/apply:os.system ['true']\n", 2, "constructor"),
    (".yaml", b"type: cosine\nstart: \xff\xfe\n", 2, "not UTF-8"),
    (".yaml", "type: cosine\n  start: [0.1\n", 2, "invalid YAML"),
    (".json", '{"type": "cosine",\n "start": }', 2, "invalid JSON"),
    (".toml", 'type = "cosine"\nstart = \n', 2, "invalid TOML"),
    (".toml", 'type = "cosine"\nstart = 1\nstart = 2\n', 3, "invalid TOML"),
])
def test_parser_errors_are_one_clear_error_naming_file_and_line(tmp_path, suffix, text, line, words):
    p = _write(tmp_path, "bad" + suffix, text)
    with pytest.raises(ConfigFileError) as e:
        lrkit.load(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}:{line}: ") and words in msg
    assert isinstance(e.value, ValueError)  # callers catching ValueError keep working


def test_a_file_that_is_not_a_mapping(tmp_path):
    p = _write(tmp_path, "l.json", json.dumps([1, 2]))
    with pytest.raises(ConfigFileError, match="must hold a mapping, got list"):
        lrkit.load(p)


def test_dump_quotes_strings_that_would_read_back_as_numbers(tmp_path):
    from lrkit._files import read_config_file, yaml_dump

    data = {"a": "3e-4", "b": 3e-4, "c": "yes", "d": "1_000", "e": True, "f": None, "g": 10**20}
    p = _write(tmp_path, "r.yaml", yaml_dump(data))
    assert read_config_file(p) == data


def test_missing_arguments_are_named_in_the_config_error():
    msg = r"config: linear needs the arguments 'end', 'steps' \(got 'start'\)"
    with pytest.raises(ValueError, match=msg):
        lrkit.from_config({"type": "linear", "start": 0.1})
    with pytest.raises(ValueError, match=r"has no parameter 'step' \(did you mean 'steps'\?\)"):
        lrkit.from_config({"type": "linear", "start": 0.1, "end": 0.0, "step": 3})
