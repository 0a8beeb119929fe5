"""The broad suite of the finder benchmark (issue 15): ground truth, recorded range tests, and
every candidate rule scored on a development and a held-out half.

Run through ``python benchmarks/bench_finder_quality.py --suite broad [--phase PHASE]``, PHASE one of
truth|curves|score|train|candidates|fresh|fresh2|fresh3|issue5|ceiling|cost
(``candidates``: the second round of rules, :mod:`finder_candidates`; ``ceiling``: round 6, the
bounds of any range-test reading, :mod:`finder_ceiling`; ``cost``: the test's length against its
quality, :mod:`finder_cost`).

* **truth** -- for each of the 24 tasks of :mod:`finder_tasks` and both schedules (a one-cycle peak,
  a constant rate), train at every rate of :data:`GRID` with :data:`TRUTH_SEEDS` seeds. The *band*
  is the grid rates whose mean metric is within 1 point of the best (classification, accuracy %) or
  within 1% of the best test MSE (regression); a suggestion is *in band* when it rounds (in log
  rate) to a band rate, i.e. lies within a quarter decade of the band. Rates are trained from
  small to large; once a seed diverges (a non-finite training loss) the larger rates of that seed
  are recorded as diverged without training (a larger rate diverges too), to keep the grid
  affordable on a shared CPU.
  Cached per run in ``results/finder_broad_truth.json`` (a restart resumes).
* **curves** -- per task and finder seed, the range tests every rule reads: lrkit's core test with
  the spike stop disabled (lrkit's own stop is replayed on it exactly: the same batches give the
  same losses) and the same 25 steps (two decades) longer for lrkit's widening, the settled sweep
  (``find_lr(target="constant")``), a Lightning-style curve
  (1e-8..1) and torch-lr-finder's own run. Cached in ``results/finder_broad_curves.json``.
* **score** -- every candidate rule on every curve: in band, and the gap to the best, read off the
  ground truth's mean curve interpolated in log rate (linear between grid points, the end values
  beyond the grid). Written to ``results/finder_broad.md`` / ``.json``.
* **train** -- trains the chosen default's suggestions for real (every task, seed, schedule) and
  reports the measured gaps next to the interpolated ones.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import time
from pathlib import Path
from typing import Any

import finder_tasks as ft
import numpy as np
import torch

RESULTS = Path(__file__).resolve().parent / "results"
TRUTH = RESULTS / "finder_broad_truth.json"
CURVES = RESULTS / "finder_broad_curves.json"
STEP = 0.5  # decades between grid rates
GRID = tuple(float(10.0 ** e) for e in np.arange(-4.0, 0.51, STEP))  # 1e-4 .. 3.16
TRUTH_SEEDS = tuple(range(20))  # 2 until issue 15 round 3: two seeds agreed on the best rate 80% of the time
FINDER_SEEDS = (0, 1, 2)
RATIO = (10.0 / 1e-7) ** (1 / 99)  # the rate ratio per step of lrkit's default test
SCHEDULES = ("one_cycle", "constant")


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def _save(path: Path, obj: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj, sort_keys=True))
    os.replace(tmp, path)


def key(task: str, schedule: str, lr: float, seed: int) -> str:
    return f"{task}|{schedule}|{lr:.6g}|{seed}"


# ----------------------------------------------------------------------------- ground truth
def run_truth(names: list[str]) -> None:
    cache = _load(TRUTH)
    for name in names:
        task = ft.BY_NAME[name]
        t0 = time.perf_counter()
        trained = 0
        for schedule in SCHEDULES:
            for seed in TRUTH_SEEDS:
                broken: list[Any] | None = None
                for lr in GRID:
                    k = key(name, schedule, lr, seed)
                    if k not in cache:
                        if broken is not None:
                            cache[k] = [broken[0], True, "skipped"]
                        else:
                            metric, div = ft.train(task, schedule, lr, seed)
                            cache[k] = [metric, div]
                            trained += 1
                    if cache[k][1]:
                        broken = cache[k]
            _save(TRUTH, cache)
        print(f"  truth {name:24s} {trained:3d} runs trained ({time.perf_counter() - t0:5.1f}s)", flush=True)


def truth_of(name: str, cache: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Per schedule: grid means, the best, the band [lo, hi], and whether the best is at a grid end."""
    cache = _load(TRUTH) if cache is None else cache
    task = ft.BY_NAME[name]
    out = {}
    for schedule in SCHEDULES:
        means = [statistics.fmean(cache[key(name, schedule, lr, s)][0] for s in TRUTH_SEEDS) for lr in GRID]
        if task.regression:
            best = min(means)
            band = [lr for lr, m in zip(GRID, means) if m <= best * 1.01]
        else:
            best = max(means)
            band = [lr for lr, m in zip(GRID, means) if m >= best - 1.0]
        half = 10 ** (STEP / 2)  # a suggestion is in band when it rounds to a band rate of the grid
        out[schedule] = {"means": means, "best": best, "band": (min(band) / half, max(band) * half),
                         "grid_band": (min(band), max(band)),
                         "censored": band[0] == GRID[0] or band[-1] == GRID[-1]}
    return out


def gap(task: ft.Task, t: dict[str, Any], lr: float) -> float:
    """Points below the best (classification) or % above the best loss (regression), at ``lr``
    read off the mean curve interpolated linearly in log rate."""
    x = np.log10(GRID)
    m = float(np.interp(math.log10(lr), x, t["means"]))
    if task.regression:
        return 100.0 * (m - t["best"]) / t["best"]
    return t["best"] - m


def in_band(lr: float, band: tuple[float, float]) -> bool:
    return band[0] * (1 - 1e-9) <= lr <= band[1] * (1 + 1e-9)


def main(phase: str) -> None:
    dev, held = ft.split()
    names = dev + held
    if phase in ("truth", "all"):
        print("ground truth:", flush=True)
        run_truth(names)
    if phase in ("curves", "all"):
        print("range tests:", flush=True)
        run_curves(names)
    if phase in ("curves",):
        return
    if phase in ("score", "all"):
        score_all(dev, held)
    if phase == "train":
        train_default(dev, held)
    if phase == "candidates":
        import finder_candidates

        finder_candidates.run(dev, held)
    if phase in ("fresh", "fresh2", "fresh3"):
        import finder_fresh

        finder_fresh.run(phase)
    if phase == "issue5":
        import finder_issue5_check

        finder_issue5_check.run()
    if phase == "ceiling":
        import finder_ceiling

        finder_ceiling.run()
    if phase == "cost":
        import finder_cost

        finder_cost.run()


# ----------------------------------------------------------------------------- range tests
def _fresh(task: ft.Task, seed: int) -> tuple[torch.nn.Module, torch.optim.Optimizer, Any]:
    model = ft.build(task, seed)
    return model, ft.make_opt(task, model.parameters(), 1e-7), ft.batches(task, 1000 + seed)


def core_curve(task: ft.Task, seed: int, **kw: Any) -> dict[str, Any]:
    """lrkit's framework-free test on a fresh model with a seeded batch stream (``reset``
    restores the model and optimizer: the settled sweep and repeats need it)."""
    model, opt, stream = _fresh(task, seed)
    return torch_core_test(model, opt, stream, ft.loss_fn(task), **kw)


def torch_core_test(model: torch.nn.Module, opt: torch.optim.Optimizer, stream: Any,
                    loss_fn: Any, **kw: Any) -> dict[str, Any]:
    """The framework-free range test (:func:`lrkit.finder.find_lr`) driving a torch model and
    optimizer on the batches of ``stream``; ``reset`` restores both (settled sweep, repeats)."""
    from lrkit.finder import find_lr

    init = {k: v.clone() for k, v in model.state_dict().items()}
    opt_init = opt.state_dict()
    model.train()

    calls = [0]

    def step(lr: float) -> float:
        calls[0] += 1
        xb, yb = next(stream)
        for group in opt.param_groups:
            group["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        if torch.isfinite(loss):
            loss.backward()
            opt.step()
        return float(loss.detach())

    def reset() -> None:
        model.load_state_dict(init)
        opt.load_state_dict(opt_init)

    return {**find_lr(step, reset=reset, **kw).to_dict(), "steps_taken": calls[0]}


def torch_lr_finder(task: ft.Task, seed: int) -> float | None:
    import contextlib
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from torch_lr_finder import LRFinder

    model, opt, _ = _fresh(task, seed)
    xtr, ytr, _, _ = ft.data(task.data)
    g = torch.Generator().manual_seed(1000 + seed)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xtr, ytr), batch_size=task.batch,
                                         shuffle=True, generator=g)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        finder = LRFinder(model, opt, ft.loss_fn(task))
        finder.range_test(loader, end_lr=10, num_iter=100)
        try:
            _, lr = finder.plot(suggest_lr=True)
        except Exception:  # too few points: torch-lr-finder raises or suggests nothing
            lr = None
        plt.close("all")
    return None if lr is None else float(lr)


def run_curves(names: list[str]) -> None:
    curves = _load(CURVES)
    for name in names:
        task = ft.BY_NAME[name]
        t0 = time.perf_counter()
        for seed in FINDER_SEEDS:
            k = f"{name}|{seed}"
            c = curves.setdefault(k, {})
            if "open" not in c:  # the test with the spike stop off: lrkit's own stops are replayed
                c["open"] = core_curve(task, seed, spike=1e12, widen=0)
            if "open_wide" not in c:  # the same rates and 25 steps (2 decades) more: lrkit's widening
                c["open_wide"] = core_curve(task, seed, spike=1e12, widen=0, end=10.0 * RATIO ** 25,
                                            num_steps=125)
            if c.get("settled", {}).get("version") != 2:  # recorded with widening (issue 15, round 2)
                c["settled"] = core_curve(task, seed, target="constant", settle=True)
                c["settled"]["version"] = 2
            if "lightning" not in c:
                c["lightning"] = core_curve(task, seed, start=1e-8, end=1.0, spike=1e12, widen=0)
            if "torch_lr_finder" not in c:
                c["torch_lr_finder"] = torch_lr_finder(task, seed)
            _save(CURVES, curves)
        print(f"  curves {name:24s} ({time.perf_counter() - t0:5.1f}s)", flush=True)


# ----------------------------------------------------------------------------- rules and scoring
def replay(open_curve: dict[str, Any], **kw: Any) -> Any:
    """lrkit's test as run with its own stops (``kw``), replayed on the open curve's losses (the
    same batches give the same losses; the open curve ran at least as far)."""
    from lrkit.finder import FinderResult, find_lr

    losses = [math.nan if v is None else v for v in open_curve["losses"]]
    kw.setdefault("widen", 0.0)  # widened only when asked (the open curve is 100 steps)
    it = iter(losses)
    r = find_lr(lambda lr: next(it), start=1e-7, end=10.0, num_steps=100, **kw)  # widens on the wide curve
    return FinderResult(r.lrs, r.losses, r.smoothed, r.usable, r.stop_reason)


def features(c: dict[str, Any], task: str) -> dict[str, Any]:
    """What the candidate rules read off one task/seed's recorded tests (None where a rule has
    no suggestion)."""
    import bench_finder_quality as bq

    from lrkit.finder import FinderResult, NoSuggestion
    from lrkit.finder.rules import breakdown_edge, censored

    ours = replay(c["open_wide"])  # the test without widening (the default until round 4)
    f_wide = replay(c["open_wide"], widen=2.0)
    settled = FinderResult.from_dict(c["settled"])
    kind = "adaptive" if ft.BY_NAME[task].opt in ("adam", "adamw", "rmsprop") else "sgd"
    f: dict[str, Any] = {"result": ours, "kind": kind, "result_wide": f_wide}
    try:
        w = ours._window()  # marked stopped on a breakdown, as the library reads it
        e = breakdown_edge(w)
        f["edge"] = None if censored(w, e) else e
        f["cap"] = float(w.lrs[w.centred_argmin - 1])
        f["cmin"] = float(w.lrs[w.centred_argmin])
        f["first"] = float(w.lrs[0])
    except NoSuggestion:
        f.update(edge=None, cap=None, cmin=None, first=None)
    f["trained_edge"] = settled.settled.trained_edge if settled.settled is not None else None
    f["settled_result"] = settled
    plain = replay(c["open"])  # round 1: no widening; constant rate from the settled sweep
    try:
        wp = plain._window()
        open_end = censored(wp, breakdown_edge(wp))
    except NoSuggestion:
        open_end = True
    f["round1"] = {"one_cycle": suggest_or_none(plain, "lrkit", "one_cycle"),
                   "constant": None if open_end else suggest_or_none(settled, "settled", "constant")}
    fa = FinderResult.from_dict(c["open"])  # fastai's stop: 4x the best smoothed loss, no spike stop
    lrs, losses = bq.fastai_trim(fa)
    for name, fn in (("fastai minimum*", bq.fastai_minimum), ("fastai steep*", bq.fastai_steep),
                     ("fastai valley*", bq.fastai_valley)):
        try:
            f[name] = fn(lrs, losses) if len(lrs) > 2 else None
        except (ValueError, IndexError):
            f[name] = None
    f["torch-lr-finder"] = c["torch_lr_finder"]
    f["lightning"] = bq.lightning_suggestion(c["lightning"])
    return f


def round2_constant(f: dict[str, Any]) -> float | None:
    """Round 2's constant-rate rule (lrkit's default until round 4), on the widened test:
    the median of edge / 5, minimum / 10 and valley (readings at the first rate dropped) / 1.5."""
    import finder_candidates as fc

    g = fc.extra_features(dict(f))
    return _bounded(g, None if g["edge"] is None else fc._median_kept(g, 1.5))


def suggest_or_none(r: Any, rule: str, target: str) -> float | None:
    from lrkit.finder import NoSuggestion

    try:
        return r.suggest(rule, target=target)
    except NoSuggestion:
        return None


def _bounded(f: dict[str, Any], value: float | None) -> float | None:
    """A family's value kept below the minimum and above the first rate (as the library does)."""
    if value is None or f["cap"] is None:
        return None
    v = min(value, f["cap"])
    return v if v > f["first"] * (1 + 1e-9) else None


FAMILY_DIVISORS = (2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 30.0, 40.0)


def families() -> dict[str, Any]:
    """Candidate rules with one constant each, tuned on the development half only."""
    return {
        "edge / d": lambda f, d: _bounded(f, None if f["edge"] is None else f["edge"] / d),
        "centred minimum / d": lambda f, d: _bounded(f, None if f["cmin"] is None else f["cmin"] / d),
        "sqrt(edge * centred minimum) / d": lambda f, d: _bounded(
            f, None if f["edge"] is None or f["cmin"] is None else math.sqrt(f["edge"] * f["cmin"]) / d),
        "trained edge / d (settled sweep)": lambda f, d: _bounded(
            f, None if f["trained_edge"] is None else f["trained_edge"] / d),
    }


DEFAULT = "lrkit:lrkit (default: widen=2)"


def fixed_rules() -> dict[str, Any]:
    """Rules with no constant to tune: lrkit's as shipped, the classic rules, the peers."""
    rules: dict[str, Any] = {
        # since round 4 the default widens and the constant rate is sqrt(edge * half-descent) / 6
        "lrkit:lrkit (default: widen=2)": lambda f, sc: suggest_or_none(f["result_wide"], "lrkit", sc),
        "lrkit:lrkit, widen=0": lambda f, sc: suggest_or_none(f["result"], "lrkit", sc),
        "round-2 default (constant: median(edge/5, minimum/10, valley)/1.5), widen=2": lambda f, sc: (
            suggest_or_none(f["result_wide"], "lrkit", sc) if sc == "one_cycle" else round2_constant(f)),
        "lrkit:settled (settled sweep, round-1 constant rule)": lambda f, sc: suggest_or_none(
            f["settled_result"] if sc == "constant" else f["result"],
            "settled" if sc == "constant" else "lrkit", sc),
        "round-1 default (edge/5; settled sweep; no widening)": lambda f, sc: f["round1"][sc],
    }
    for rule in ("minimum", "steepest", "valley"):
        rules[f"lrkit:{rule}"] = lambda f, sc, rule=rule: suggest_or_none(f["result"], rule, sc)
    for name in ("fastai minimum*", "fastai steep*", "fastai valley*", "torch-lr-finder", "lightning"):
        rules[name] = lambda f, sc, name=name: f[name]
    return rules


def score_rows(rule: Any, names: list[str], sched: str, feats: dict[tuple[str, int], Any],
               truths: dict[str, Any], with_name: bool = False) -> list[dict[str, Any]]:
    """Every task x finder seed scored: ``rule(features, schedule)``, or with ``with_name``
    ``rule(features, task name)`` (a rule that knows its schedule and reads the task)."""
    rows = []
    for name in names:
        task = ft.BY_NAME[name]
        t = truths[name][sched]
        for seed in FINDER_SEEDS:
            lr = rule(feats[(name, seed)], name if with_name else sched)
            g = gap(task, t, lr) if lr is not None else math.inf
            rows.append({"task": name, "seed": seed, "lr": lr, "gap": g,
                         "in_band": lr is not None and in_band(lr, t["band"])})
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    gaps = [r["gap"] for r in rows]
    finite = [g for g in gaps if math.isfinite(g)]
    spreads = []
    for name in dict.fromkeys(r["task"] for r in rows):
        ok = [r["lr"] for r in rows if r["task"] == name and r["lr"] is not None]
        spreads.append(max(ok) / min(ok) if len(ok) > 1 else (1.0 if ok else math.inf))
    return {"n": n, "in_band": 100.0 * sum(r["in_band"] for r in rows) / n,
            "none": sum(r["lr"] is None for r in rows),
            "mean_gap": statistics.fmean(finite) if finite else math.inf,
            "worst_gap": max(gaps), "over3": sum(g > 3 for g in gaps), "over10": sum(g > 10 for g in gaps),
            "spread_median": statistics.median(spreads), "spread_worst": max(spreads)}


def score_all(dev: list[str], held: list[str]) -> dict[str, Any]:
    curves = _load(CURVES)
    cache = _load(TRUTH)
    names = dev + held
    truths = {n: truth_of(n, cache) for n in names}
    feats = {(n, s): features(curves[f"{n}|{s}"], n) for n in names for s in FINDER_SEEDS}
    out: dict[str, Any] = {"rows": [], "tuned": {}}
    lines = ["| rule | schedule | constant (chosen on dev) | dev in band | held-out in band | held-out: no "
             "suggestion | mean gap | worst gap | runs >3 | runs >10 | spread median | spread worst |",
             "|" + "---|" * 12]
    for sched in SCHEDULES:
        cands: list[tuple[str, str, Any]] = [(n, "", r) for n, r in fixed_rules().items()]
        for fam, fn in families().items():
            if fam.startswith("trained") and sched == "one_cycle":
                continue
            scored = [(summarise(score_rows(lambda f, sc, d=d, fn=fn: fn(f, d), dev, sched, feats,
                                            truths))["in_band"], d) for d in FAMILY_DIVISORS]
            best = max(s for s, _ in scored)
            tied = [d for s, d in scored if s == best]
            d = tied[len(tied) // 2]  # the middle of the tied constants
            out["tuned"][f"{fam}|{sched}"] = {"d": d, "dev_scores": scored}
            cands.append((fam, f"d = {d:g}", lambda f, sc, fn=fn, d=d: fn(f, d)))
        for name, const, rule in cands:
            sd = summarise(score_rows(rule, dev, sched, feats, truths))
            held_rows = score_rows(rule, held, sched, feats, truths)
            sh = summarise(held_rows)
            out["rows"].append({"rule": name, "schedule": sched, "constant": const, "dev": sd, "held": sh,
                                "held_runs": held_rows})
            lines.append(f"| {name} | {sched} | {const} | {sd['in_band']:.0f}% | {sh['in_band']:.0f}% | "
                         f"{sh['none']} | {sh['mean_gap']:.2f} | {sh['worst_gap']:.1f} | {sh['over3']} | "
                         f"{sh['over10']} | {sh['spread_median']:.1f}x | {sh['spread_worst']:.1f}x |")
    text = "\n".join(lines) + "\n"
    print(text)
    per_task = per_task_table(dev, held, truths, feats)
    print(per_task)
    (RESULTS / "finder_broad.md").write_text("## Every candidate, dev-tuned, scored on the held-out half\n\n"
                                            + text + "\n## Per task\n\n" + per_task)
    (RESULTS / "finder_broad.json").write_text(json.dumps(out, indent=1, default=str))
    return out


def per_task_table(dev: list[str], held: list[str], truths: dict[str, Any],
                   feats: dict[tuple[str, int], Any]) -> str:
    """Per task: the bands, lrkit's default suggestions (3 seeds, optimizer given) and the test's
    cost: the steps lrkit's test took with its own stops (widening included), and for an unknown
    optimizer's constant rate the plain 100 steps plus the settled sweep."""
    lines = ["| half | task | one-cycle band | lrkit one-cycle | constant band | lrkit constant | "
             "run steps | test steps (mean) | test / run | test + settled sweep / run |",
             "|" + "---|" * 10]
    default = fixed_rules()[DEFAULT]
    for half, names in (("dev", dev), ("held-out", held)):
        for name in names:
            task = ft.BY_NAME[name]
            cells = []
            for sched in SCHEDULES:
                lo, hi = truths[name][sched]["grid_band"]
                cens = " (grid end)" if truths[name][sched]["censored"] else ""
                vals = [default(feats[(name, s)], sched) for s in FINDER_SEEDS]
                cells += [f"[{lo:.2g}, {hi:.2g}]{cens}",
                          ", ".join("None" if v is None else f"{v:.2g}" for v in vals)]
            settled_steps = [feats[(name, s)]["settled_result"].settled for s in FINDER_SEEDS]
            extra = statistics.fmean(0 if x is None else x.steps_run for x in settled_steps)
            test = statistics.fmean(len(feats[(name, s)]["result_wide"].lrs) for s in FINDER_SEEDS)
            steps = ft.run_steps(task)
            lines.append(f"| {half} | {name} | {' | '.join(cells)} | {steps} | {test:.0f} | "
                         f"{test / steps:.2f} | "
                         f"{(100 + extra) / steps:.2f} |")
    return "\n".join(lines) + "\n"


def train_default(dev: list[str], held: list[str]) -> None:
    """Train lrkit's default suggestions for real (every task, finder seed and schedule; cached in
    the truth file under the suggested rate) and compare the measured gap with the interpolated one."""
    curves = _load(CURVES)
    cache = _load(TRUTH)
    default = fixed_rules()[DEFAULT]
    lines = ["| half | schedule | runs | in band | measured mean gap | measured worst gap | runs >3 "
             "| runs >10 | interpolated mean gap |", "|" + "---|" * 9]
    fresh = [t.name for t in ft.FRESH]  # round 4's fresh tasks (finder_fresh.py)
    for half, names in (("dev", dev), ("held-out", held), ("fresh", fresh)):
        for sched in SCHEDULES:
            measured, interp, inb = [], [], 0
            for name in names:
                task = ft.BY_NAME[name]
                t = truth_of(name, cache)[sched]
                for seed in FINDER_SEEDS:
                    lr = default(features(curves[f"{name}|{seed}"], name), sched)
                    if lr is None:
                        continue
                    k = key(name, sched, lr, seed)
                    if k not in cache:
                        cache[k] = list(ft.train(task, sched, lr, seed))
                        _save(TRUTH, cache)
                    m = cache[k][0]
                    measured.append(100 * (m - t["best"]) / t["best"] if task.regression else t["best"] - m)
                    interp.append(gap(task, t, lr))
                    inb += in_band(lr, t["band"])
            n = len(measured)
            lines.append(f"| {half} | {sched} | {n} | {inb} | {statistics.fmean(measured):.2f} | "
                         f"{max(measured):.1f} | {sum(g > 3 for g in measured)} | "
                         f"{sum(g > 10 for g in measured)} | "
                         f"{statistics.fmean(interp):.2f} |")
            print(lines[-1], flush=True)
    (RESULTS / "finder_broad_trained.md").write_text("\n".join(lines) + "\n")
