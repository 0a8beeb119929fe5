"""Regenerate the golden files from the installed peers and compare them with the committed ones.

The golden files under ``tests/golden/`` were written by the real libraries (torch,
transformers, timm, TensorFlow, Keras, optax, DeepSpeed) through the generator scripts next to
them. This check runs each generator again on a *copy* of the script in a scratch directory (the
committed files are never touched), then compares every regenerated file with the committed
one: the same structure, the same strings (version fields aside) and every number within the
tolerance the tests grant that case -- rel 1e-12 for a peer that computes in float64, rel 1e-6
(plus an absolute floor of 5e-7 x the case's largest value) for a float32 peer (``"dtype":
"float32"`` in the case).

Usage (from the repository root, with the dev extra installed)::

    python benchmarks/golden_check.py            # every generator
    python benchmarks/golden_check.py torch tf    # some of them

Exits non-zero on any difference beyond tolerance, a missing or extra case, or a generator that
fails; prints the recorded and installed peer versions and the largest relative difference per
file.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"

# name -> (generator script, its arguments, the files it writes)
GENERATORS: dict[str, tuple[str, list[str], list[str]]] = {
    "torch": ("generate_torch_hf_timm.py", [],
              ["torch_schedulers.json", "hf_schedulers.json", "timm_schedulers.json"]),
    "tf": ("generate_tf_keras_optax.py", ["tf1", "keras", "optax", "deepspeed"],
           ["tf1_golden.json", "keras_golden.json", "optax_golden.json", "deepspeed_golden.json"]),
    "optax_plateau": ("generate_optax_plateau.py", [], ["optax_plateau_golden.json"]),
    "keras_plateau": ("generate_keras_plateau.py", [], ["keras_plateau.json"]),
}
VERSION_KEYS = {"version", "optax", "library_version", "versions"}
RTOL64, RTOL32, FLOOR32 = 1e-12, 1e-6, 5e-7


def _numbers(x: Any) -> list[float]:
    if isinstance(x, bool):
        return []
    if isinstance(x, (int, float)):
        return [float(x)]
    if isinstance(x, list):
        return [v for item in x for v in _numbers(item)]
    if isinstance(x, dict):
        return [v for item in x.values() for v in _numbers(item)]
    return []


class Diff:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.max_rel = 0.0
        self.versions: list[tuple[str, Any, Any]] = []

    def compare(self, old: Any, new: Any, where: str, rtol: float, atol: float) -> None:
        if isinstance(old, dict) and isinstance(new, dict):
            if old.get("dtype") == "float32" or new.get("dtype") == "float32":
                scale = max((abs(v) for v in _numbers(old.get("values", []))), default=1.0)
                rtol, atol = RTOL32, FLOOR32 * scale
            if set(old) != set(new):
                self.problems.append(f"{where}: keys {sorted(set(old) ^ set(new))} differ")
            for k in sorted(set(old) & set(new)):
                if k in VERSION_KEYS:
                    if old[k] != new[k]:
                        self.versions.append((f"{where}.{k}", old[k], new[k]))
                    continue
                self.compare(old[k], new[k], f"{where}.{k}", rtol, atol)
        elif isinstance(old, list) and isinstance(new, list):
            if len(old) != len(new):
                self.problems.append(f"{where}: {len(old)} items recorded, {len(new)} regenerated")
            for i, (a, b) in enumerate(zip(old, new)):
                self.compare(a, b, f"{where}[{i}]", rtol, atol)
        elif isinstance(old, (int, float)) and isinstance(new, (int, float)) \
                and not isinstance(old, bool) and not isinstance(new, bool):
            a, b = float(old), float(new)
            if a == b or (math.isnan(a) and math.isnan(b)):
                return
            rel = abs(a - b) / max(abs(a), 1e-300)
            self.max_rel = max(self.max_rel, rel if math.isfinite(rel) else math.inf)
            if not abs(a - b) <= atol + rtol * abs(a):
                self.problems.append(f"{where}: recorded {a!r}, regenerated {b!r} (rel {rel:.3g})")
        elif old != new:
            self.problems.append(f"{where}: recorded {old!r}, regenerated {new!r}")


def check(name: str, scratch: Path) -> bool:
    script, args, outputs = GENERATORS[name]
    if not (GOLDEN / script).exists():
        print(f"[{name}] {script} is not in this tree: nothing to check")
        return True
    work = scratch / name
    work.mkdir()
    shutil.copy(GOLDEN / script, work / script)  # writes its files next to itself: here
    run = subprocess.run([sys.executable, str(work / script), *args], cwd=ROOT, capture_output=True,
                         text=True)
    if run.returncode:
        print(f"[{name}] generator failed ({run.returncode}):\n{run.stderr[-3000:]}")
        return False
    ok = True
    for out in outputs:
        old = json.loads((GOLDEN / out).read_text())
        new_path = work / out
        if not new_path.exists():
            print(f"[{name}] {out}: not regenerated")
            ok = False
            continue
        d = Diff()
        d.compare(old, json.loads(new_path.read_text()), out, RTOL64, 1e-300)
        status = "ok" if not d.problems else f"{len(d.problems)} difference(s)"
        print(f"[{name}] {out}: {status}, largest relative difference {d.max_rel:.3g}")
        for where, a, b in d.versions[:3]:
            print(f"    version {where}: recorded {a}, installed {b}")
        for p in d.problems[:20]:
            print(f"    {p}")
        ok &= not d.problems
    return ok


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("which", nargs="*", help=f"generators: {', '.join(GENERATORS)} (default: all)")
    args = p.parse_args(argv)
    names = args.which or list(GENERATORS)
    unknown = [n for n in names if n not in GENERATORS]
    if unknown:
        p.error(f"generators must be among {', '.join(GENERATORS)}, got {unknown}")
    scratch = Path(tempfile.mkdtemp(prefix="lrkit-golden-"))
    try:
        results = [check(n, scratch) for n in names]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
