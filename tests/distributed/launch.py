"""Start a script on 2 CPU processes exactly as ``torchrun`` does (``torch.distributed.run``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
NPROC = 2


def torchrun(script: str, out: Path, *, timeout: float = 180) -> None:
    """``python -m torch.distributed.run --standalone --nproc_per_node=2 script out``; a hang
    fails the test after ``timeout`` seconds instead of blocking the suite."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1",
               PYTHONWARNINGS="ignore", TOKENIZERS_PARALLELISM="false")
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc_per_node={NPROC}", "--max_restarts=0", str(HERE / script), str(out)]
    try:
        proc = subprocess.run(cmd, env=env, cwd=str(out), capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{script} did not finish in {timeout:.0f} s (a hang?)\n"
                    f"{(exc.stderr or b'')[-4000:]!r}")
    if proc.returncode != 0:
        pytest.fail(f"{script} failed with exit code {proc.returncode}\nstdout:\n"
                    f"{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-6000:]}")


def results(out: Path, name: str) -> list[dict[str, Any]]:
    """Every rank's ``<name>-<rank>.json``, in rank order."""
    rows = []
    for r in range(NPROC):
        path = out / f"{name}-{r}.json"
        assert path.is_file(), f"rank {r} wrote no {path.name}"
        rows.append(json.loads(path.read_text(encoding="utf-8")))
    return rows
