"""The README's promise: CI runs exactly the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Set-up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_two_setup_commands_and_ci_runs_the_test_one():
    cmds = _commands()
    assert len(cmds) == 2
    main_job, test_suite = cmds
    assert main_job.startswith("python3 -m venv .venv") and test_suite.startswith("python3 -m venv .venv")
    assert "pytest" in test_suite and "-c constraints.txt" in main_job and "-c constraints.txt" in test_suite
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_suite in ci
    assert "torch==2.13.0" in (ROOT / "constraints.txt").read_text(encoding="utf-8").split()
