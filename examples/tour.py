"""A tour of lrkit schedules: print a few values and save a plot (no framework needed)."""

from __future__ import annotations

import sys

import numpy as np

import lrkit


def main(out: str = "lrkit-tour.png") -> None:
    schedules = {
        "exponential staircase (TF1)": lrkit.Exponential(0.5, 0.9, 10, staircase=True),
        "polynomial cycle=True (TF1)": lrkit.Polynomial(0.5, 10, end=0.0001, cycle=True),
        "warmup + cosine": lrkit.warmup(lrkit.Cosine(0.5, 180), 20),
        "one-cycle": lrkit.OneCycle(0.5, 200),
        "ResNet recipe (5-epoch warmup)": lrkit.resnet_step_decay(
            batch_size=256, batch_denom=256, num_images=2560, boundary_epochs=[8, 14],
            decay_rates=[1, 0.1, 0.01], warmup_epochs=5),
    }
    steps = np.arange(200)
    for name, s in schedules.items():
        vals = s(steps)
        print(f"{name:34s} " + " ".join(f"{vals[i]:.4g}" for i in (0, 10, 50, 100, 150, 199)))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no plot)")
        return
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, s in schedules.items():
        ax.plot(steps, s(steps), label=name)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("learning rate")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
