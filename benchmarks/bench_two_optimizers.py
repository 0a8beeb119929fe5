"""Per-layer rates: one optimizer with parameter groups against the article's two optimizers.

The reference answer (shared/reference/003) trains the first layers at one rate and the rest at
another with two optimizers, each computing its own gradients (``minimize(loss, var_list=...)``
twice: two backward passes), and then a faster variant that computes the gradients once and
splits them between the two optimizers. lrkit puts both sets in one optimizer as two groups with
rate multipliers (``param_groups(model, {"body": 0.01}, lr=...)``): one backward pass, one step.

For each variant, on a small ``nn.TransformerEncoder`` classifier and on a small CNN, with
scikit-learn's digits, this prints the backward passes per step (counted with a hook on the
loss), the median CPU time and wall time per training step with their ratios to lrkit's (CPU
time is the steadier figure on a shared machine; one thread by default), and the largest
difference of the parameters after the run from lrkit's (all variants make the same updates).

Run: ``.venv/bin/python benchmarks/bench_two_optimizers.py [--steps 150] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from sklearn.datasets import load_digits
from torch import nn

from lrkit.torch import param_groups

BODY_LR, HEAD_LR = 1e-4, 1e-2


class CNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 64, 3, padding=1),
                                  nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.Flatten())
        self.head = nn.Sequential(nn.Linear(64 * 64, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class Transformer(nn.Module):
    def __init__(self, d: int = 64, layers: int = 4) -> None:
        super().__init__()
        layer = nn.TransformerEncoderLayer(d, 4, 4 * d, dropout=0.0, batch_first=True)
        encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.body = nn.ModuleDict({"embed": nn.Linear(8, d), "encoder": encoder})
        self.head = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.body["encoder"](self.body["embed"](x.reshape(x.shape[0], 8, 8)))
        return self.head(h.mean(dim=1))


def _split(model: nn.Module) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    return list(model.body.parameters()), list(model.head.parameters())


def make_step(variant: str, model: nn.Module):
    loss_fn = nn.CrossEntropyLoss()
    body, head = _split(model)
    if variant == "lrkit: one optimizer, groups":
        opt = torch.optim.Adam(param_groups(model, {"body": BODY_LR / HEAD_LR}, lr=HEAD_LR, no_decay=None))
        opts = [opt]

        def step(x: torch.Tensor, y: torch.Tensor, counter: list[int]) -> None:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.register_hook(lambda g: counter.__setitem__(0, counter[0] + 1) or g)
            loss.backward()
            opt.step()
    elif variant == "two optimizers, two gradient passes":
        opt1, opt2 = torch.optim.Adam(body, lr=BODY_LR), torch.optim.Adam(head, lr=HEAD_LR)
        opts = [opt1, opt2]

        def step(x: torch.Tensor, y: torch.Tensor, counter: list[int]) -> None:
            loss = loss_fn(model(x), y)
            loss.register_hook(lambda g: counter.__setitem__(0, counter[0] + 1) or g)
            # train_op1 = opt1.minimize(loss, var_list1); train_op2 = opt2.minimize(loss, var_list2)
            g1 = torch.autograd.grad(loss, body, retain_graph=True)
            g2 = torch.autograd.grad(loss, head)
            for p, g in zip(body, g1, strict=True):
                p.grad = g
            for p, g in zip(head, g2, strict=True):
                p.grad = g
            opt1.step()
            opt2.step()
    elif variant == "two optimizers, one gradient pass":
        opt1, opt2 = torch.optim.Adam(body, lr=BODY_LR), torch.optim.Adam(head, lr=HEAD_LR)
        opts = [opt1, opt2]

        def step(x: torch.Tensor, y: torch.Tensor, counter: list[int]) -> None:
            opt1.zero_grad()
            opt2.zero_grad()
            loss = loss_fn(model(x), y)
            loss.register_hook(lambda g: counter.__setitem__(0, counter[0] + 1) or g)
            loss.backward()
            opt1.step()
            opt2.step()
    else:  # pragma: no cover
        raise ValueError(variant)
    return step, opts


VARIANTS = ["lrkit: one optimizer, groups", "two optimizers, one gradient pass",
            "two optimizers, two gradient passes"]


def run(kind: str, steps: int, repeats: int, batch: int) -> None:
    d = load_digits()
    x_all = torch.tensor(d.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y_all = torch.tensor(d.target)
    make = {"cnn": CNN, "transformer": Transformer}[kind]
    torch.manual_seed(0)
    init = make().state_dict()
    cpu: dict[str, list[float]] = {v: [] for v in VARIANTS}
    wall: dict[str, list[float]] = {v: [] for v in VARIANTS}
    passes: dict[str, float] = {}
    finals: dict[str, dict[str, torch.Tensor]] = {}
    for r in range(repeats):
        for v in VARIANTS:  # interleaved, so machine noise hits all variants alike
            model = make()
            model.load_state_dict(init)
            step, _ = make_step(v, model)
            g = torch.Generator().manual_seed(r)
            counter = [0]
            per_cpu, per_wall = [], []
            for i in range(steps):
                idx = torch.randint(0, len(y_all), (batch,), generator=g)
                c0, t0 = time.process_time(), time.perf_counter()
                step(x_all[idx], y_all[idx], counter)
                if i >= 5:  # the first steps allocate optimizer state
                    per_cpu.append(time.process_time() - c0)
                    per_wall.append(time.perf_counter() - t0)
            cpu[v].append(statistics.median(per_cpu))
            wall[v].append(statistics.median(per_wall))
            passes[v] = counter[0] / steps
            if r == 0:
                finals[v] = {k: t.detach().clone() for k, t in model.state_dict().items()}
    ref = VARIANTS[0]
    base_cpu, base_wall = statistics.median(cpu[ref]), statistics.median(wall[ref])
    print(f"\n{kind}: {sum(p.numel() for p in make().parameters()):,} parameters, batch {batch}, "
          f"{steps} steps x {repeats} interleaved repeats (median of per-repeat medians)")
    print(f"  {'variant':38s} {'backward/step':>13s} {'CPU ms/step':>11s} {'ratio':>6s} "
          f"{'wall ms/step':>12s} {'ratio':>6s} {'max |dp| vs lrkit':>18s}")
    for v in VARIANTS:
        c, w = statistics.median(cpu[v]), statistics.median(wall[v])
        diff = max(float((finals[v][k].float() - finals[ref][k].float()).abs().max()) for k in finals[ref])
        print(f"  {v:38s} {passes[v]:13.0f} {1e3 * c:11.2f} {c / base_cpu:6.2f} {1e3 * w:12.2f} "
              f"{w / base_wall:6.2f} {diff:18.2e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s)")
    for kind in ("transformer", "cnn"):
        run(kind, args.steps, args.repeats, args.batch)


if __name__ == "__main__":
    main()
