"""The README's two set-up commands are the ones CI runs: `.ci/run` finds the main job's
command by the paragraph that starts "Run the main job" and runs the test command verbatim.
A README edit that breaks either (it happened: the paragraph was reworded and CI stopped
before the demo) fails here, in the suite, not only in CI."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ci_finds_the_main_job_and_runs_the_test_command_verbatim():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    # the main job: the same extraction as .ci/run
    out = subprocess.run(["bash", "-c", "sed -n '/^Run the main job/,/^```$/p' README.md | "
                          "grep '^python3 -m venv'"], cwd=ROOT, capture_output=True, text=True)
    main_cmd = out.stdout.strip()
    assert main_cmd.count("\n") == 0 and "lrkit demo" in main_cmd, out
    assert main_cmd in readme
    # the test command: a bash block of the README, copied into .ci/run verbatim
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    test_cmds = [ln for b in blocks for ln in b.splitlines() if "pytest" in ln]
    assert len(test_cmds) == 1, test_cmds
    assert test_cmds[0] in ci.splitlines()
