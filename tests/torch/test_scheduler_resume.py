"""Resume: exact in a fresh process, independent of build order, new peak honoured; recipes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lrkit import Constant, Cosine, WarmupStableDecay, warmup  # noqa: E402
from lrkit.plateau import OnPlateau  # noqa: E402
from lrkit.torch import Scheduler  # noqa: E402

TOTAL, SPLIT = 40, 17

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import torch
    from lrkit import Cosine, Linear, warmup
    from lrkit.plateau import OnPlateau
    from lrkit.torch import Scheduler

    mode, ckpt, out = sys.argv[1:4]
    TOTAL, SPLIT = {total}, {split}
    torch.use_deterministic_algorithms(True)
    data = np.load(sys.argv[4])  # sklearn's digits, saved by the test (no sklearn import here)
    x = torch.tensor(data["x"][:200] / 16.0, dtype=torch.float32)
    y = torch.tensor(data["y"][:200])

    def plan():
        lr = OnPlateau(warmup(Cosine(0.2, TOTAL), 5), factor=0.5, patience=1, start=5)
        return {{"lr": lr, "momentum": Linear(0.95, 0.85, TOTAL)}}

    def run(order):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.Tanh(),
                                    torch.nn.Linear(16, 10))
        opt = torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9, weight_decay=1e-4)
        start = 0
        if order == "full":
            sched = Scheduler(opt, plan())
        else:
            state = torch.load(ckpt, weights_only=True)
            model.load_state_dict(state["model"])
            if order == "before":  # scheduler built before the optimizer's state is loaded
                sched = Scheduler(opt, plan())
                opt.load_state_dict(state["opt"])
            else:
                opt.load_state_dict(state["opt"])
                sched = Scheduler(opt, plan())
            sched.load_state_dict(state["sched"])
            start = SPLIT
        record = []
        for n in range(start, TOTAL):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            sched.step(round(float(loss), 1))  # coarse metric: plateaus happen
            g = opt.param_groups[0]
            record.append([g["lr"], g["momentum"]])
            if order == "full" and n + 1 == SPLIT:
                torch.save({{"model": model.state_dict(), "opt": opt.state_dict(),
                            "sched": sched.state_dict()}}, ckpt)
        return {{"record": record, "scale": sched.plateaus[0].scale,
                "params": [float(p.detach().double().sum()) for p in model.parameters()]}}

    orders = ["full"] if mode == "full" else ["before", "after"]
    json.dump({{o: run(o) for o in orders}}, open(out, "w"))
    """
).format(total=TOTAL, split=SPLIT)


def run(tmp_path: Path, mode: str) -> dict:
    from sklearn.datasets import load_digits

    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    data = tmp_path / "digits.npz"
    if not data.exists():
        x, y = load_digits(return_X_y=True)
        np.savez(data, x=x, y=y)
    out = tmp_path / f"out_{mode}.json"
    subprocess.run([sys.executable, str(script), mode, str(tmp_path / "ckpt.pt"), str(out),
                    str(data)], check=True, timeout=120)
    return json.loads(out.read_text())


def test_resume_in_a_fresh_process_is_exact_whatever_the_build_order(tmp_path: Path) -> None:
    full = run(tmp_path, "full")["full"]
    assert full["scale"] < 1.0  # the plateau part did cut, so its state matters
    resumed_runs = run(tmp_path, "resume")  # a second, fresh process
    for order in ("before", "after"):
        resumed = resumed_runs[order]
        assert resumed["record"] == full["record"][SPLIT:]
        assert resumed["params"] == full["params"]
        assert resumed["scale"] == full["scale"]


def _opt():
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=1.0, momentum=0.9)


def test_state_dict_holds_no_hyperparameters_and_a_new_peak_is_used() -> None:
    opt = _opt()
    s = Scheduler(opt, warmup(Cosine(0.1, 100), 10))
    for _ in range(30):
        opt.step()
        s.step()
    state = s.state_dict()
    assert state == {"version": 1, "step": 30, "plateaus": []}
    opt_state = opt.state_dict()
    # resume with twice the peak (or a population-based-training mutation of it)
    new_opt = _opt()
    new = Scheduler(new_opt, warmup(Cosine(0.2, 100), 10))
    new_opt.load_state_dict(opt_state)  # old lr values come back with the optimizer ...
    assert new_opt.param_groups[0]["lr"] == pytest.approx(Cosine(0.1, 100)(20))
    new.load_state_dict(state)  # ... and the scheduler's plan wins
    assert new_opt.param_groups[0]["lr"] == warmup(Cosine(0.2, 100), 10)(30)
    new_opt.step()
    new.step()
    assert new_opt.param_groups[0]["lr"] == warmup(Cosine(0.2, 100), 10)(31)


def test_load_state_dict_rejects_foreign_states() -> None:
    s = Scheduler(_opt(), OnPlateau(Constant(0.1)))
    with pytest.raises(ValueError, match="step"):
        s.load_state_dict({"last_epoch": 3})
    with pytest.raises(ValueError, match="plateau"):
        s.load_state_dict({"step": 3, "plateaus": []})
    assert s.last_epoch == 0


def test_recipe_extend_a_run() -> None:
    """A WSD run planned for 1000 steps is extended to 3000 from a checkpoint in its stable
    phase: same peak, no jump, the decay simply moves out."""
    short = WarmupStableDecay(0.01, total=1000, decay_steps=200, warmup_steps=50)
    opt = _opt()
    s = Scheduler(opt, short)
    s.set_step(600)
    ckpt = s.state_dict()
    longer = WarmupStableDecay(0.01, total=3000, decay_steps=600, warmup_steps=50)
    opt2 = _opt()
    s2 = Scheduler(opt2, longer)
    s2.load_state_dict(ckpt)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] == 0.01
    values = []
    for _ in range(2400):
        opt2.step()
        s2.step()
        values.append(opt2.param_groups[0]["lr"])
    assert values[1800 - 1] == 0.01 and values[-1] == 0.0  # steps 2400 .. 3000 decay
    assert values[2100 - 1] == pytest.approx(0.005, rel=1e-12)


def test_recipe_branch_a_wsd_cooldown_from_a_mid_run_checkpoint() -> None:
    """Warmup-stable without an end, checkpoints along the way; from one of them branch a
    cooldown of D steps that starts exactly at the checkpoint's step."""
    peak, warm, n, d = 3e-3, 100, 1200, 300
    main = WarmupStableDecay(peak, total=10_000, decay_steps=1, warmup_steps=warm)
    opt = _opt()
    s = Scheduler(opt, main)
    s.set_step(n)
    ckpt = s.state_dict()
    branch = WarmupStableDecay(peak, total=n + d, decay_steps=d, warmup_steps=warm,
                               decay_shape="1-sqrt")
    opt_b = _opt()
    sb = Scheduler(opt_b, branch)
    sb.load_state_dict(ckpt)
    got = [opt_b.param_groups[0]["lr"]]
    for _ in range(d):
        opt_b.step()
        sb.step()
        got.append(opt_b.param_groups[0]["lr"])
    assert got[0] == peak  # no jump at the branch point
    assert got[d // 4] == pytest.approx(peak * (1 - 0.5), rel=1e-12)  # 1 - sqrt(1/4)
    assert got[-1] == 0.0
    assert all(a >= b for a, b in zip(got, got[1:]))
