"""Schedule evaluation: lrkit's closed form against stepping torch's recursive schedulers.

Prints, for warmup + cosine over a million steps:
  * the scalar cost of one ``s(step)`` call (median over repeats), next to Hugging Face's
    ``lr_lambda`` for the same curve (a plain Python function);
  * one vectorised evaluation of a million steps against stepping torch's
    ``SequentialLR(LinearLR, CosineAnnealingLR)`` a million times (the only way to get the curve
    from torch), their ratio, and the largest difference between the two curves;
  * the worst relative error against a float64 closed form written independently, for lrkit's
    float64 and float32 paths and for torch's recursive float32 tensor path.

Run: ``.venv/bin/python benchmarks/bench_schedules.py [--steps N]``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
import timeit

import numpy as np

import lrkit


def closed_form(t: int, lr: float, warm: int, total: int, sf: float) -> float:
    """The curve at 40 significant digits (mpmath), rounded once to float64."""
    import mpmath

    with mpmath.workdps(40):
        if t < warm:
            return float(mpmath.mpf(lr) * (sf + (1 - mpmath.mpf(sf)) * t / warm))
        return float(mpmath.mpf(lr) / 2 * (1 + mpmath.cos(mpmath.pi * (t - warm) / (total - warm))))


def torch_curve(n: int, lr: float, warm: int, total: int, sf: float, tensor_lr: bool) -> np.ndarray:
    import torch

    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=torch.tensor(lr, dtype=torch.float32) if tensor_lr else lr)
    s1 = torch.optim.lr_scheduler.LinearLR(opt, start_factor=sf, end_factor=1.0, total_iters=warm)
    s2 = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warm, eta_min=0.0)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [s1, s2], milestones=[warm])
    out = np.empty(n)
    group = opt.param_groups[0]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            v = group["lr"]
            out[i] = float(v)
            opt.step()
            sched.step()
    return out


def _vectorised_with_tuned_malloc(n: int, lr: float, warm: int, total: int, sf: float) -> float | None:
    """Median seconds of the vectorised evaluation in a child process whose glibc keeps freed
    memory instead of returning it to the OS (otherwise every temporary array page-faults)."""
    import os
    import subprocess
    import sys

    code = "\n".join([
        "import statistics, time, numpy as np, lrkit",
        f"s = lrkit.warmup(lrkit.Cosine({lr}, {total - warm}), {warm}, start={lr * sf})",
        f"t = np.arange({n}, dtype=np.float64)",
        "ts = []",
        "for _ in range(7):",
        "    t0 = time.perf_counter(); s(t); ts.append(time.perf_counter() - t0)",
        "print(statistics.median(ts))",
    ])
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=str(2**28), MALLOC_TRIM_THRESHOLD_=str(2**30))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return float(out.stdout.strip()) if out.returncode == 0 else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=1_000_000)
    args = ap.parse_args()
    n = args.steps
    lr, sf = 0.1, 1e-3
    warm, total = n // 100, n
    sched = lrkit.warmup(lrkit.Cosine(lr, total - warm), warm, start=lr * sf)

    # 1. scalar cost
    def hf_lambda(step: int) -> float:  # transformers' get_cosine_schedule_with_warmup lr_lambda
        if step < warm:
            return float(step) / float(max(1, warm))
        progress = float(step - warm) / float(max(1, total - warm))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress)))

    reps = [timeit.timeit(lambda: sched(123_457), number=20_000) / 20_000 for _ in range(7)]
    hf = [timeit.timeit(lambda: hf_lambda(123_457), number=20_000) / 20_000 for _ in range(7)]
    s_med, h_med = statistics.median(reps), statistics.median(hf)
    print(f"scalar s(t), warmup+cosine: median {s_med * 1e6:.2f} us/call; HF lr_lambda {h_med * 1e6:.2f} "
          f"us/call; ratio lrkit/HF {s_med / h_med:.2f}")

    # 2. a million steps at once vs stepping torch a million times
    steps = np.arange(n, dtype=np.float64)
    vec_times = []
    for _ in range(5):
        t0 = time.perf_counter()
        ours = sched(steps)
        vec_times.append(time.perf_counter() - t0)
    v_med = statistics.median(vec_times)
    t0 = time.perf_counter()
    theirs = torch_curve(n, lr, warm, total, sf, tensor_lr=False)
    torch_time = time.perf_counter() - t0
    head_n = int(0.99 * n)
    diff = np.max(np.abs(ours[:head_n] - theirs[:head_n]) / ours[:head_n])
    print(f"{n} steps: lrkit vectorised median {v_med * 1e3:.1f} ms; torch SequentialLR stepped "
          f"{torch_time:.2f} s; speed-up {torch_time / v_med:.0f}x (target >= 1000x)")
    print(f"  largest relative difference lrkit vs torch over the first 99% of steps: {diff:.2e}")
    tuned = _vectorised_with_tuned_malloc(n, lr, warm, total, sf)
    if tuned is not None:
        print(f"  same evaluation with glibc keeping freed memory (MALLOC_MMAP_THRESHOLD_, "
              f"MALLOC_TRIM_THRESHOLD_; jemalloc/tcmalloc behave so): median {tuned * 1e3:.1f} ms, "
              f"speed-up {torch_time / tuned:.0f}x")

    # 3. worst relative error against the exact curve (mpmath, 40 digits, rounded to float64) on
    # every 20th step and every one of the last 20000 (where 1 + cos cancels)
    idx = np.unique(np.concatenate([np.arange(0, n, 20), np.arange(max(n - 20_000, 0), n)]))
    ref = np.array([closed_form(int(t), lr, warm, total, sf) for t in idx])
    ours, theirs = ours[idx], theirs[idx]
    mask = ref > 0
    err64 = np.max(np.abs(ours[mask] - ref[mask]) / ref[mask])
    err_torch = np.max(np.abs(theirs[mask] - ref[mask]) / ref[mask])
    print(f"  worst relative error vs the exact curve: lrkit float64 {err64:.2e} (target < 1e-15); "
          f"torch SequentialLR (recursive, float64) {err_torch:.2e}")
    try:
        import torch
    except ImportError:
        print("  (torch not installed: float32 comparisons skipped)")
        return
    ours32 = sched(torch.arange(n, dtype=torch.float32)).double().numpy()[idx]
    # float32 steps above 2**24 are not exact integers; compare where they are
    ok = mask & (idx < 2**24)
    err32 = np.max(np.abs(ours32[ok] - ref[ok]) / ref[ok])
    t0 = time.perf_counter()
    rec32 = torch_curve(n, lr, warm, total, sf, tensor_lr=True)[idx]
    t32 = time.perf_counter() - t0
    err_t32 = np.max(np.abs(rec32[ok] - ref[ok]) / ref[ok])
    # relative error is unbounded where the cosine reaches 0; report it on the first 99% too
    head = ok & (idx < int(0.99 * n))
    err32_h = np.max(np.abs(ours32[head] - ref[head]) / ref[head])
    err_t32_h = np.max(np.abs(rec32[head] - ref[head]) / ref[head])
    print(f"  lrkit float32 tensor path worst relative error: {err32:.2e} (first 99%: {err32_h:.2e})")
    print(f"  torch recursive float32 tensor lr worst relative error: {err_t32:.2e} "
          f"(first 99%: {err_t32_h:.2e}); ratio torch/lrkit {err_t32_h / max(err32_h, 1e-300):.0f}x "
          f"[{t32:.1f} s to step]")


if __name__ == "__main__":
    main()
