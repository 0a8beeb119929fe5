"""Run the Keras suite (``tests/keras/suite/check_*.py``) once per Keras backend.

Keras picks its backend when it is first imported, so each backend needs its own process. The
three processes start together when the first of these tests runs (two cores are better used
that way) and each test waits for its own. To run one backend directly::

    KERAS_BACKEND=jax python -m pytest tests/keras/suite -o python_files="check_*.py"
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUITE = Path(__file__).resolve().parent / "suite"
BACKENDS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
_running: dict[str, subprocess.Popen] = {}


def _available(backend: str) -> bool:
    return (importlib.util.find_spec("keras") is not None
            and importlib.util.find_spec(BACKENDS[backend]) is not None
            and importlib.util.find_spec("sklearn") is not None)


def _start(backend: str) -> subprocess.Popen:
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3", MPLBACKEND="Agg")
    cmd = [sys.executable, "-m", "pytest", str(SUITE), "-o", "python_files=check_*.py",
           "-p", "no:cacheprovider", "-q", "-x", "-rfE", "--durations=5"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


@pytest.fixture(scope="module")
def runs():
    for backend in BACKENDS:
        if _available(backend):
            _running[backend] = _start(backend)
    yield _running
    for proc in _running.values():
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_keras_suite(runs, backend):
    if backend not in runs:
        pytest.skip(f"keras, scikit-learn or {BACKENDS[backend]} is not installed")
    out, _ = runs[backend].communicate(timeout=1200)
    assert runs[backend].returncode == 0, f"KERAS_BACKEND={backend}:\n{out[-6000:]}"
