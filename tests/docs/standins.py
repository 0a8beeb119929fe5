"""Tiny stand-ins for the objects a documentation block leaves to the reader.

A block preceded by ``<!-- snippet: setup=a,b -->`` runs after ``a(ns)`` and ``b(ns)`` have put
their names into the page's namespace. Each stand-in is the smallest real thing of its kind: a
real model, a real optimizer, a real data loader over 128 generated samples (no downloads, no
mocks), so a block that trains does a few real steps in well under a second.
"""

from __future__ import annotations

import os
from typing import Any

NS = dict[str, Any]


def _torch_data(ns: NS, features: int = 8, classes: int = 3, image: bool = False) -> None:
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    g = torch.Generator().manual_seed(0)
    x = torch.randn(128, 1, 8, 8, generator=g) if image else torch.randn(128, features, generator=g)
    y = torch.randint(0, classes, (128,), generator=g)
    train_set = TensorDataset(x, y)
    loader = DataLoader(train_set, batch_size=16, shuffle=True, generator=g)
    ns.update(torch=torch, nn=torch.nn, DataLoader=DataLoader, train_set=train_set, data=train_set,
              loader=loader, train_loader=loader, batches=list(loader),
              loss_fn=torch.nn.functional.cross_entropy,
              device="cpu", val_loss=0.5, epochs=2, total=100, peak=1e-3)


def torch_model(ns: NS) -> None:
    """``model`` (embed, encoder.layers.0-3 with linear1/norm, head: named like a small
    transformer classifier), ``opt``/``optimizer`` (AdamW), ``loader``/``train_loader``/``data``/
    ``train_set``/``batches`` (128 samples of 8 features, 3 classes, batches of 16),
    ``loss_fn``, ``device="cpu"``, ``val_loss``, ``epochs=2``, ``total=100``, ``peak``."""
    import torch
    from torch import nn

    class Layer(nn.Module):
        def __init__(self, width: int) -> None:
            super().__init__()
            self.linear1 = nn.Linear(width, width)
            self.norm = nn.LayerNorm(width)

        def forward(self, x):
            return x + self.norm(torch.relu(self.linear1(x)))

    class Encoder(nn.Module):
        def __init__(self, width: int, depth: int) -> None:
            super().__init__()
            self.layers = nn.ModuleList([Layer(width) for _ in range(depth)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    class Classifier(nn.Module):
        def __init__(self, features: int = 8, width: int = 16, depth: int = 4, classes: int = 3) -> None:
            super().__init__()
            self.embed = nn.Linear(features, width)
            self.encoder = Encoder(width, depth)
            self.head = nn.Linear(width, classes)

        def forward(self, x):
            return self.head(self.encoder(self.embed(x)))

    torch.manual_seed(0)
    _torch_data(ns)
    model = Classifier()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    ns.update(model=model, opt=opt, optimizer=opt)


def cnn_model(ns: NS) -> None:
    """``model``: a small CNN named as torchvision's (``features.0..3``, ``fc``), on 8x8 images."""
    import torch
    from torch import nn

    class CNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                                          nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(),
                                          nn.AdaptiveAvgPool2d(1), nn.Flatten())
            self.fc = nn.Linear(8, 3)

        def forward(self, x):
            return self.fc(self.features(x))

    torch.manual_seed(0)
    _torch_data(ns, image=True)
    model = CNN()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ns.update(model=model, opt=opt, optimizer=opt)


def resnet_checkpoint(ns: NS) -> None:
    """``model``: a tiny ResNet-shaped net (``conv1``, ``bn1``, ``layer1``, ``layer2``, ``fc``), and
    ``pretrained.pt`` in the working directory: the same body trained elsewhere with a 10-class
    head, so the new 3-class ``fc`` must be left out; ``fine_tune_layers = ["fc"]``."""
    import torch
    from torch import nn

    def net(classes: int) -> nn.Module:
        body = nn.Module()
        body.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        body.bn1 = nn.BatchNorm2d(4)
        body.layer1 = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.BatchNorm2d(4))
        body.layer2 = nn.Sequential(nn.Conv2d(4, 8, 3, padding=1), nn.BatchNorm2d(8))
        body.fc = nn.Linear(8, classes)
        return body

    torch.manual_seed(0)
    _torch_data(ns, image=True)
    torch.save(net(10).state_dict(), "pretrained.pt")
    model = net(3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ns.update(model=model, opt=opt, optimizer=opt, fine_tune_layers=["fc"])


def blocks_model(ns: NS) -> None:
    """``model``: ``stem``, ``blocks.0..3`` (Linear + LayerNorm each) and ``head``, for unfreezing."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    _torch_data(ns)
    model = nn.Module()
    model.stem = nn.Linear(8, 16)
    model.blocks = nn.ModuleList([nn.Sequential(nn.Linear(16, 16), nn.LayerNorm(16)) for _ in range(4)])
    model.head = nn.Linear(16, 3)
    ns.update(model=model)


def checkpoint(ns: NS) -> None:
    """``ckpt = {"sched": ...}``: a ``Scheduler`` state saved at step 600 of a 1000-step plan, and
    ``n = 600``, ``d = 200``, ``w = 50`` for branching a cooldown there."""
    import lrkit
    from lrkit.torch import Scheduler

    old = Scheduler(ns["opt"], lrkit.WarmupStableDecay(1e-2, total=1_000, decay_steps=200, warmup_steps=50))
    old.set_step(600)
    ns.update(ckpt={"sched": old.state_dict()}, n=600, d=200, w=50)


def global_step(ns: NS) -> None:
    """``global_step = step = 1500``: the step counter a TF1 training loop keeps."""
    ns.update(global_step=1500, step=1500)


def keras_schedule(ns: NS) -> None:
    """``keras``, ``optax`` and ``keras_schedule`` (a real Keras ``ExponentialDecay``)."""
    import keras
    import optax

    ns.update(keras=keras, optax=optax,
              keras_schedule=keras.optimizers.schedules.ExponentialDecay(0.1, 1000, 0.96, staircase=True))


def deepspeed_config(ns: NS) -> None:
    """``ds_config``: a DeepSpeed JSON config (as a dict) with a WarmupDecayLR scheduler, and
    ``opt``: a torch optimizer at the config's rate."""
    import torch

    ds_config = {
        "train_batch_size": 32,
        "optimizer": {"type": "AdamW", "params": {"lr": 3e-4, "weight_decay": 0.01}},
        "scheduler": {"type": "WarmupDecayLR",
                      "params": {"warmup_min_lr": 0, "warmup_max_lr": 3e-4,
                                 "warmup_num_steps": 1000, "total_num_steps": 10000}},
    }
    opt = torch.optim.AdamW(torch.nn.Linear(4, 2).parameters(), lr=3e-4)
    ns.update(ds_config=ds_config, opt=opt, optimizer=opt, torch=torch)


def training_loop(ns: NS) -> None:
    """``train_one_epoch()`` (one real pass over ``loader``) and ``evaluate_local_shard()`` (the
    mean loss over ``loader``): needs ``model``, ``opt``, ``loader``, ``loss_fn`` (``torch_model``)."""
    import torch

    model, opt, loader, loss_fn = ns["model"], ns["opt"], ns["loader"], ns["loss_fn"]

    def train_one_epoch() -> None:
        for x, y in loader:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()

    def evaluate_local_shard() -> float:
        with torch.no_grad():
            return sum(float(loss_fn(model(x), y)) for x, y in loader) / len(loader)

    ns.update(train_one_epoch=train_one_epoch, evaluate_local_shard=evaluate_local_shard)


def process_group(ns: NS) -> None:
    """A real one-process ``gloo`` process group (a block written for every rank of a DDP run).
    Pages using it run in their own process."""
    import socket

    import torch.distributed as dist

    if not dist.is_initialized():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ["MASTER_PORT"] = str(port)
        dist.init_process_group("gloo", rank=0, world_size=1)


def jax_model(ns: NS) -> None:
    """``params`` (a dict of a 2-layer MLP), ``grads`` (their gradients on a batch), ``batch``,
    ``batches``, ``loss_fn(params, batch)``, ``jax``, ``jnp``, ``optax``."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    rng = np.random.default_rng(0)
    params = {"params": {"dense": {"kernel": jnp.asarray(rng.normal(size=(8, 16)) * 0.3, jnp.float32),
                                   "bias": jnp.zeros(16)},
                         "head": {"kernel": jnp.asarray(rng.normal(size=(16, 3)) * 0.3, jnp.float32),
                                  "bias": jnp.zeros(3)}}}
    x = jnp.asarray(rng.normal(size=(64, 8)), jnp.float32)
    y = jnp.asarray(rng.integers(0, 3, 64))
    batches = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]

    def loss_fn(params, batch):
        xb, yb = batch
        p = params["params"]
        h = jax.nn.relu(xb @ p["dense"]["kernel"] + p["dense"]["bias"])
        logits = h @ p["head"]["kernel"] + p["head"]["bias"]
        return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

    grads = jax.grad(loss_fn)(params, batches[0])
    ns.update(jax=jax, jnp=jnp, optax=optax, params=params, grads=grads, batch=batches[0],
              batches=batches, loss_fn=loss_fn)





def plateau_scheduler(ns: NS) -> None:
    """``sched``: a ``Scheduler`` over ``opt`` whose plan has a plateau part (it takes a metric)."""
    import lrkit
    from lrkit.torch import Scheduler

    ns["sched"] = Scheduler(ns["opt"], lrkit.OnPlateau(lrkit.Constant(1e-3), factor=0.5, patience=2))


def electra_model(ns: NS) -> None:
    """``model``: named as Hugging Face's ELECTRA classifier (``embeddings``, ``encoder.layer.0..11``,
    ``classifier``), 4 units wide; ``my_depth(name)``: a layer id read from such a name."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Module()
    model.embeddings = nn.Embedding(10, 4)
    model.encoder = nn.Module()
    model.encoder.layer = nn.ModuleList([nn.Linear(4, 4) for _ in range(12)])
    model.classifier = nn.Linear(4, 2)

    def my_depth(name: str) -> int:
        if name.startswith("encoder.layer."):
            return int(name.split(".")[2]) + 1
        return 0 if name.startswith("embeddings") else 14

    ns.update(model=model, my_depth=my_depth)


def metrics(ns: NS) -> None:
    """``epochs = 3`` and ``val_loss = 0.5``: the loop bounds and metric a page leaves out."""
    ns.update(epochs=3, val_loss=0.5)


def torch_optimizer(ns: NS) -> None:
    """``opt``/``optimizer``: a real AdamW over a small linear layer, two param groups (3e-4, 1e-4)."""
    import torch

    layer = torch.nn.Linear(4, 2)
    opt = torch.optim.AdamW([{"params": [layer.weight]}, {"params": [layer.bias], "lr": 1e-4}], lr=3e-4)
    ns.update(torch=torch, opt=opt, optimizer=opt)


def batch_size_sampler(ns: NS) -> None:
    """``sampler``: an ``lrkit.torch.BatchSizeSampler`` over ``train_set`` (batches of 16), the
    sampler whose state a checkpoint carries."""
    from lrkit.torch import BatchSizeSampler

    ns["sampler"] = BatchSizeSampler(ns["train_set"], 16, seed=0)


def jax_layers(ns: NS) -> None:
    """``model``: a parameter dict named as a Flax NNX model (``embed``, ``layers/0..2/linear``,
    ``layers/k/norm``, ``head``) -- one of the three forms ``lrkit.jax.layer_decay`` takes."""
    import jax.numpy as jnp
    import numpy as np

    rng = np.random.default_rng(1)

    def dense(i: int, o: int) -> dict:
        return {"kernel": jnp.asarray(rng.normal(size=(i, o)) * 0.3, jnp.float32), "bias": jnp.zeros(o)}

    layers = {str(k): {"linear": dense(16, 16), "norm": {"scale": jnp.ones(16), "bias": jnp.zeros(16)}}
              for k in range(3)}
    ns["model"] = {"embed": {"embedding": jnp.asarray(rng.normal(size=(10, 16)), jnp.float32)},
                   "layers": layers, "head": dense(16, 3)}


def jax_finder(ns: NS) -> None:
    """``tx``: ``optax.inject_hyperparams(optax.sgd)`` and ``opt_state`` for ``params``
    (``jax_model``), the optimizer a range-test step sets the rate of."""
    import optax

    tx = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1)
    ns.update(tx=tx, opt_state=tx.init(ns["params"]))


def jax_checkpoint(ns: NS) -> None:
    """``pretrained.npz`` in the working directory: ``params`` (``jax_model``) trained elsewhere
    with a 10-class head (keys are ``/``-joined paths), so ``params/head`` must be left out."""
    import jax
    import numpy as np

    flat = {"/".join(str(getattr(k, "key", k)) for k in path): np.asarray(v)
            for path, v in jax.tree_util.tree_leaves_with_path(ns["params"])}
    flat["params/head/kernel"] = np.zeros((16, 10), np.float32)
    flat["params/head/bias"] = np.zeros(10, np.float32)
    np.savez("pretrained.npz", **flat)


def sweep(ns: NS) -> None:
    """What a sweep's objective trains: ``make_model()`` (a fresh small MLP on 128 generated samples
    and its SGD optimizer), ``train_one_step(model, opt, lr=None)``, ``val_loss(model)`` and
    ``total = 20`` steps per trial."""
    import torch
    from torch import nn

    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(128, 8, generator=g), torch.randint(0, 3, (128,), generator=g)

    def make_model():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
        return model, torch.optim.SGD(model.parameters(), lr=0.1)

    def train_one_step(model, opt, lr=None):
        if lr is not None:
            for group in opt.param_groups:
                group["lr"] = lr
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    def val_loss(model) -> float:
        with torch.no_grad():
            return float(nn.functional.cross_entropy(model(x), y))

    ns.update(make_model=make_model, train_one_step=train_one_step, val_loss=val_loss, total=20)


def sweep_rung(ns: NS) -> None:
    """The state inside an objective at a pruning rung (after ``sweep``): ``step = 8`` in
    ``rungs = {8, 14}``, the trial's ``schedule`` (a 20-step warmup-stable-decay), ``model``,
    ``opt``, ``report(step, value)`` and ``copy``."""
    import copy

    import lrkit

    model, opt = ns["make_model"]()
    ns.update(copy=copy, step=8, rungs={8, 14}, model=model, opt=opt, report=lambda step, value: None,
              schedule=lrkit.WarmupStableDecay(0.1, total=20, decay_steps=5, warmup_steps=2))


def jax_labels(ns: NS) -> None:
    """``labels``: a pytree of labels (``"backbone"``, ``"head"``, ``"frozen"``) for a small
    parameter tree, as ``optax.multi_transform`` takes them."""
    ns["labels"] = {"embed": {"embedding": "frozen"},
                    "encoder": {"kernel": "backbone", "bias": "backbone"},
                    "head": {"kernel": "head", "bias": "head"}}


def sweep_objective(ns: NS) -> None:
    """``objective(schedule, report)``: 20 SGD steps of a small MLP at the schedule's rates (after
    ``sweep``), its final loss; ``range_test_result``: a real range test's result (the
    framework-free finder on a least-squares problem) to seed the peak's range from."""
    import numpy as np

    import lrkit

    sweep(ns)
    make_model, train_one_step, val_loss = ns["make_model"], ns["train_one_step"], ns["val_loss"]

    def objective(schedule, report):
        model, opt = make_model()
        for step in range(20):
            train_one_step(model, opt, lr=float(schedule(step)))
        return val_loss(model)

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(256, 8)), rng.normal(size=256)
    w = np.zeros(8)

    def step(lr: float) -> float:
        nonlocal w
        err = X @ w - y
        w = w - lr * 2 * X.T @ err / len(y)
        return float(np.mean(err ** 2))

    ns.update(objective=objective, range_test_result=lrkit.find_lr(step, progress=False))


def epoch_rate(ns: NS) -> None:
    """``rate``: a step decay on the epoch axis (halved at epochs 30 and 60), the rate a growing
    batch replaces."""
    import lrkit

    ns["rate"] = lrkit.MultiStep(0.1, [30, 60], 0.5)


def _keras_net(keras, classes: int):
    inputs = keras.Input((64,))
    hidden = keras.layers.Dense(32, activation="relu", name="block_0")(inputs)
    return keras.Model(inputs, keras.layers.Dense(classes, name="head")(hidden))


def keras_model(ns: NS) -> None:
    """``model``: a small functional Keras classifier (layers ``block_0``, ``head``) for 8x8
    images flattened to 64 features, 10 classes; ``x_train``, ``y_train``: 256 generated samples.
    Its page runs in its own process (Keras's backend)."""
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 64)).astype("float32")
    y = rng.integers(0, 10, 256).astype("int32")
    model = _keras_net(keras, 10)
    ns.update(keras=keras, model=model, x_train=x, y_train=y)


def keras_checkpoint(ns: NS) -> None:
    """``pretrained.weights.h5`` in the working directory: ``model`` (``keras_model``)'s body
    trained elsewhere with a 5-class ``head``, so the head must be left out."""
    import keras

    other = _keras_net(keras, 5)
    other.save_weights("pretrained.weights.h5")


PROCESS = {"process_group", "keras_schedule", "keras_model", "keras_checkpoint"}
"""Stand-ins that change the process for good (a process group, Keras's backend): their page
runs in its own interpreter."""
