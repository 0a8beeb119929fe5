"""Small real training tasks for the sweep tests: least squares by minibatch SGD (NumPy) and a
torch MLP on scikit-learn's digits."""

from __future__ import annotations

import numpy as np

_rng = np.random.default_rng(0)
X = _rng.normal(size=(512, 10)) * np.linspace(0.2, 3.0, 10)
W_TRUE = _rng.normal(size=10)
Y = X @ W_TRUE + 0.1 * _rng.normal(size=512)
STEPS = 80


def lsq_loss(w: np.ndarray) -> float:
    return float(np.mean((X[400:] @ w - Y[400:]) ** 2))


def lsq_objective(schedule, report, every: int = 20, counter: list | None = None) -> float:
    """Minibatch SGD on least squares for STEPS steps; the held-out MSE is the metric."""
    w = np.zeros(10)
    r = np.random.default_rng(1)
    for t in range(STEPS):
        i = r.integers(0, 400, 32)
        w -= schedule(t) * (X[i].T @ (X[i] @ w - Y[i]) / 32)
        if counter is not None:
            counter.append(t)
        if (t + 1) % every == 0:
            report(t + 1, lsq_loss(w))
    return lsq_loss(w)


def lsq_step_fn():
    """``step_fn(lr)`` for lrkit.find_lr on the same problem (one SGD step, returns its loss)."""
    state = {"w": np.zeros(10), "r": np.random.default_rng(2)}

    def step(lr: float) -> float:
        i = state["r"].integers(0, 400, 32)
        err = X[i] @ state["w"] - Y[i]
        state["w"] = state["w"] - lr * (X[i].T @ err / 32)
        return float(np.mean(err**2))

    return step


def digits_objective(epochs: int = 2, batch: int = 64):
    """A torch MLP (64-32-10, SGD) on 1200 digits for ``epochs``; metric: held-out accuracy."""
    import torch
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.data[:1500] / 16.0, dtype=torch.float32)
    y = torch.tensor(d.target[:1500])
    xtr, ytr, xte, yte = x[:1200], y[:1200], x[1200:], y[1200:]
    steps_per_epoch = 1200 // batch

    def objective(schedule, report) -> float:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # a tiny model: more threads only contend on a loaded machine
        try:
            return train(schedule, report)
        finally:
            torch.set_num_threads(threads)

    def train(schedule, report) -> float:
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
        opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
        g = torch.Generator().manual_seed(0)
        step = 0
        for _ in range(epochs):
            perm = torch.randperm(1200, generator=g)
            for k in range(steps_per_epoch):
                idx = perm[k * batch:(k + 1) * batch]
                for group in opt.param_groups:
                    group["lr"] = schedule(step)
                loss = torch.nn.functional.cross_entropy(model(xtr[idx]), ytr[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                step += 1
            with torch.no_grad():
                acc = float((model(xte).argmax(1) == yte).float().mean())
            report(step, acc)
        return acc

    return objective, steps_per_epoch * epochs
