"""find_lr's restore: in place (the user's handles still reach the optimizer) and complete even
when a second Ctrl-C arrives while it runs.

The interrupt test is deterministic: after a first real ``SIGINT`` stops the test, a second one
is raised at the n-th function call ``find_lr`` makes afterwards (function entries are where
the interpreter runs signal handlers), for every n up to its last call, so every point of the
unwinding and of the restore is hit once.
"""

from __future__ import annotations

import functools
import signal
import sys
import threading

import pytest

torch = pytest.importorskip("torch")

from lrkit.torch import find_lr  # noqa: E402

from .test_finder import assert_same, digits, loss_fn, net, pretrain, state  # noqa: E402


@functools.lru_cache(maxsize=1)
def _dataset():
    return torch.utils.data.TensorDataset(*digits(128))


def _setup(tensor_lr: bool = False):
    model = net()  # BatchNorm (running statistics) and Dropout (the RNG)
    lr = torch.tensor(1e-3) if tensor_lr else 1e-3
    opt = torch.optim.Adam(model.parameters(), lr=lr, foreach=False)
    data = torch.utils.data.DataLoader(_dataset(), batch_size=32, shuffle=True,
                                       generator=torch.Generator().manual_seed(0))
    pretrain(model, opt, data, steps=3)
    return model, opt, data


def _handles(model, opt) -> dict:
    params = list(model.parameters())
    return {
        "param_groups": opt.param_groups,
        "groups": list(opt.param_groups),
        "params_lists": [g["params"] for g in opt.param_groups],
        "lr": [g["lr"] for g in opt.param_groups],
        "betas": [g["betas"] for g in opt.param_groups],
        "state": opt.state,
        "per_param": [opt.state[p] for p in params],
        "state_tensors": [t for p in params for t in opt.state[p].values()],
        "grads": [p.grad for p in params],
        "buffers": list(model.buffers()),
    }


def _assert_same_objects(a: dict, b: dict) -> None:
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, list):
            assert len(x) == len(y) and all(u is v for u, v in zip(x, y)), key
        else:
            assert x is y, key


@pytest.mark.parametrize("tensor_lr", [False, True])
def test_handles_held_before_still_reach_the_optimizer(tensor_lr):
    model, opt, data = _setup(tensor_lr)
    before, held = state(model, opt), _handles(model, opt)
    find_lr(model, opt, data, loss_fn, num_steps=20, progress=False)
    assert_same(before, state(model, opt))
    _assert_same_objects(held, _handles(model, opt))
    # the user's own handles act on the optimizer: a zero rate set through them freezes the model
    group, = held["groups"]
    if tensor_lr:
        held["lr"][0].fill_(0.0)
    else:
        group["lr"] = 0.0
    weights = [p.detach().clone() for p in model.parameters()]
    x, y = next(iter(data))
    opt.zero_grad()
    loss_fn(model(x), y).backward()
    opt.step()
    assert all(torch.equal(p, w) for p, w in zip(model.parameters(), weights))


def _interrupted_run(model, opt, data, at: int | None) -> int:
    """Run find_lr; a real SIGINT stops its 2nd test step, then a second SIGINT is raised at the
    ``at``-th function call made afterwards (in any frame: lrkit's, torch's, the signal
    module's) -- function entries are where the interpreter runs signal handlers. Returns the
    number of calls made after the first interrupt."""
    count = [0]
    armed = False

    def tracer(frame, event, arg):
        if armed and event == "call":
            count[0] += 1
            if count[0] == at:
                signal.raise_signal(signal.SIGINT)  # handled as this traced call starts
        return until_return if frame.f_code is find_lr.__code__ else None

    def until_return(frame, event, arg):  # find_lr has returned or raised: its work is done
        nonlocal armed
        if event == "return":
            armed = False

    calls = []

    def step(m, batch):
        nonlocal armed
        calls.append(1)
        if len(calls) == 2:
            armed = True
            signal.raise_signal(signal.SIGINT)  # the first Ctrl-C, a real signal
            raise AssertionError("the first SIGINT did not stop the test")
        return loss_fn(m(batch[0]), batch[1])

    sys.settrace(tracer)
    try:
        with pytest.raises(KeyboardInterrupt):
            find_lr(model, opt, data, train_step=step, num_steps=20, progress=False)
    finally:
        sys.settrace(None)
    return count[0]


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                    reason="signals are delivered to the main thread")
def test_a_second_ctrl_c_during_the_restore_still_restores_everything_bitwise():
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # ~170 tiny runs: thread hand-offs would dominate on a busy machine
    try:
        _sweep_second_interrupt()
    finally:
        torch.set_num_threads(threads)


def _sweep_second_interrupt() -> None:
    model, opt, data = _setup()
    before, held = state(model, opt), _handles(model, opt)
    total = _interrupted_run(model, opt, data, at=None)
    assert total > 50
    # the same model every time: each run must leave it exactly as it was before the first
    for at in range(1, total + 1):
        _interrupted_run(model, opt, data, at=at)
        assert torch.is_grad_enabled(), at
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, at
        assert_same(before, state(model, opt), f"[second SIGINT at call {at}]")
        _assert_same_objects(held, _handles(model, opt))
