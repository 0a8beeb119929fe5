"""PyTorch glue for the range test: ``lrkit.torch.find_lr(model, optimizer, data, loss_fn)``.

It builds the one-step training function the framework-free core (:func:`lrkit.finder.find_lr`)
drives, and leaves the model exactly as it found it: parameters, buffers, gradients, optimizer
state and hyperparameters, an attached scheduler, a GradScaler, train/eval flags and the random
number generators are snapshot once before the test and restored bitwise, in place, afterwards --
also when the test diverges, raises or is interrupted, and whatever signal arrives meanwhile.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch

from lrkit import _check
from lrkit._uninterrupted import InterruptGuard
from lrkit.finder._feed import Cycle, probe_losses
from lrkit.finder.core import STRETCH, WIDEN, check_options
from lrkit.finder.core import find_lr as _core_find_lr
from lrkit.finder.probe import STEPS as PROBE_STEPS
from lrkit.finder.result import FinderResult
from lrkit.torch.distributed import reduce_metric

__all__ = ["find_lr"]

OWNER = "lrkit.torch.find_lr"


def _cycle(data: Iterable[Any]) -> Cycle:
    return Cycle(data, owner=OWNER, argument="data", sources="a DataLoader or a list of batches")


# ----------------------------------------------------------------------------- snapshot
def _clone_tree(obj: Any, device: torch.device | None) -> Any:
    """A deep copy of a state-dict-like tree; tensors are cloned (onto ``device`` if given)."""
    if isinstance(obj, torch.Tensor):
        t = obj.detach()
        return t.to(device, copy=True) if device is not None else t.clone()
    if isinstance(obj, dict):
        return {k: _clone_tree(v, device) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clone_tree(v, device) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_clone_tree(v, device) for v in obj)
    return obj


def _same_keys(live: dict[Any, Any], values: list[tuple[Any, Any]]) -> bool:
    """Whether ``live`` has the keys of ``values`` in that order (tensor keys by identity)."""
    for a, (b, _) in zip(live, values):
        if a is not b and not (isinstance(a, (str, int)) and type(a) is type(b) and a == b):
            return False
    return True


class _Refs:
    """A list whose items are restored by reference (a param group's ``"params"``)."""

    __slots__ = ("live", "items")

    def __init__(self, live: list[Any]) -> None:
        self.live, self.items = live, list(live)

    def put_back(self) -> list[Any]:
        self.live[:] = self.items
        return self.live


class _Saved:
    """A live object and a copy of its contents, put back *into the same object*.

    Tensors are copied into in place, dicts and lists get their original entries back (the
    same objects, themselves put back), tuples are kept and their elements put back; any other
    value is taken as immutable and kept by reference. Putting back never consumes the copy,
    so it can be done any number of times (and redone after an interruption).
    """

    __slots__ = ("live", "copy", "kind")

    def __init__(self, live: Any, device: torch.device | None, memo: dict[int, torch.Tensor],
                 refs: tuple[str, ...] = ()) -> None:
        self.live = live
        self.copy: Any = None
        if isinstance(live, torch.Tensor):
            self.kind = "tensor"
            if id(live) not in memo:
                t = live.detach()
                memo[id(live)] = t.to(device, copy=True) if device is not None else t.clone()
            self.copy = memo[id(live)]
        elif isinstance(live, dict):
            self.kind = "dict"
            self.copy = [(k, _Refs(v) if k in refs and isinstance(v, list) else _Saved(v, device, memo))
                         for k, v in live.items()]
        elif isinstance(live, (list, tuple)):
            self.kind = "list" if isinstance(live, list) else "tuple"
            self.copy = [_Saved(v, device, memo, refs) for v in live]
        else:
            self.kind = "value"

    def put_back(self) -> Any:
        """Restore the contents into the live object and return it (call under ``no_grad``)."""
        live, kind = self.live, self.kind
        if kind == "tensor":
            if live.shape == self.copy.shape and live.dtype == self.copy.dtype:
                live.copy_(self.copy)
            else:  # resized or retyped during the test
                live.data = self.copy.to(live.device, copy=True)
        elif kind == "dict":
            values = [(k, v.put_back()) for k, v in self.copy]
            if len(live) != len(values) or not _same_keys(live, values):
                live.clear()  # entries added or removed during the test: same dict, same order
            for k, v in values:
                live[k] = v
        elif kind == "list":
            live[:] = [v.put_back() for v in self.copy]
        elif kind == "tuple":
            for v in self.copy:
                v.put_back()
        return live


class _Snapshot:
    """One copy of everything the range test changes; :meth:`restore` puts it back bitwise and
    in place: the same tensor, dict and list objects the user (and the optimizer) hold."""

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any,
                 scaler: Any, data: Any, on_cpu: bool) -> None:
        dev = torch.device("cpu") if on_cpu else None
        memo: dict[int, torch.Tensor] = {}
        self.model, self.optimizer, self.scheduler, self.scaler = model, optimizer, scheduler, scaler
        # every module's own parameter and buffer dicts: tensors copied back in place, and a
        # tensor a module replaced during the test is put back in its slot
        self.modules = [_Saved(d, dev, memo) for m in model.modules() for d in (m._parameters, m._buffers)]
        params = self._params(model, optimizer)
        self.outside = [_Saved(p, dev, memo) for p in params if id(p) not in memo]
        self.grads = [(p, p.grad, None if p.grad is None else _Saved(p.grad, dev, memo)) for p in params]
        self.training = [(m, m.training) for m in model.modules()]
        self.groups = _Saved(optimizer.param_groups, dev, memo, refs=("params",))
        self.opt_state = _Saved(optimizer.state, dev, memo)
        self.opt_attrs = {k: getattr(optimizer, k) for k in ("_opt_called",) if hasattr(optimizer, k)}
        self.sched_state = _clone_tree(scheduler.state_dict(), dev) if scheduler is not None else None
        self.scaler_state = _clone_tree(scaler.state_dict(), None) if scaler is not None else None
        self.rng_cpu = torch.get_rng_state()
        self.rng_cuda = (torch.cuda.get_rng_state_all()
                         if torch.cuda.is_available() and torch.cuda.is_initialized() else None)
        self.rng_py = random.getstate()
        self.rng_np = np.random.get_state()
        gen = getattr(data, "generator", None)
        self.data_gen = gen if isinstance(gen, torch.Generator) else None
        self.data_gen_state = self.data_gen.get_state() if self.data_gen is not None else None

    @staticmethod
    def _params(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> list[torch.Tensor]:
        seen: set[int] = set()
        out = []
        for p in list(model.parameters()) + [p for g in optimizer.param_groups for p in g["params"]]:
            if id(p) not in seen:
                seen.add(id(p))
                out.append(p)
        return out

    def _tensors(self) -> None:
        with torch.no_grad():
            for saved in self.modules + self.outside:
                saved.put_back()
            for p, grad, saved in self.grads:
                if grad is None:
                    p.grad = None
                    continue
                saved.put_back()
                if p.grad is not grad:
                    p.grad = grad

    def _flags(self) -> None:
        for m, flag in self.training:
            m.training = flag

    def _optimizer(self) -> None:
        with torch.no_grad():
            self.groups.put_back()
            self.opt_state.put_back()
        for k, v in self.opt_attrs.items():
            setattr(self.optimizer, k, v)

    def _scheduler(self) -> None:
        if self.scheduler is not None:
            self.scheduler.load_state_dict(_clone_tree(self.sched_state, None))

    def _scaler(self) -> None:
        if self.scaler is not None:
            self.scaler.load_state_dict(_clone_tree(self.scaler_state, None))

    def _rng(self) -> None:
        torch.set_rng_state(self.rng_cpu)
        if self.rng_cuda is not None:
            torch.cuda.set_rng_state_all(self.rng_cuda)
        random.setstate(self.rng_py)
        np.random.set_state(self.rng_np)
        if self.data_gen is not None:
            self.data_gen.set_state(self.data_gen_state)

    def restore(self, *, rng: bool) -> None:
        """Put the state back, in place; the snapshot stays intact for another restore.
        ``rng=False`` lets the random generators run on, so a repeated test sees other batches.
        Every part is restored even when one fails (e.g. a scheduler's ``load_state_dict``);
        the first error is raised at the end."""
        error: BaseException | None = None
        stages = [self._tensors, self._flags, self._optimizer, self._scheduler, self._scaler]
        for stage in stages + ([self._rng] if rng else []):
            try:
                stage()
            except Exception as exc:  # noqa: PERF203 - each part must be tried
                error = error or exc
        if error is not None:
            raise error

# ----------------------------------------------------------------------------- batches
def _to_device(obj: Any, device: torch.device) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=True)
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return type(obj)(_to_device(v, device) for v in obj)
    return obj


def _default_step(loss_fn: Callable[..., Any]) -> Callable[[torch.nn.Module, Any], Any]:
    def step(model: torch.nn.Module, batch: Any) -> Any:
        if not isinstance(batch, (list, tuple)) or len(batch) < 2:
            raise TypeError(f"{OWNER}: a batch must be (inputs, targets, ...) for loss_fn, got "
                            f"{type(batch).__name__}; pass train_step=lambda model, batch: loss "
                            "for other batch structures")
        inputs, targets = batch[0], batch[1]
        if isinstance(inputs, dict):
            out = model(**inputs)
        elif isinstance(inputs, (list, tuple)):
            out = model(*inputs)
        else:
            out = model(inputs)
        return loss_fn(out, targets)

    return step


# ----------------------------------------------------------------------------- public API
def find_lr(model: torch.nn.Module, optimizer: torch.optim.Optimizer, data: Iterable[Any],
            loss_fn: Callable[..., torch.Tensor] | None = None, *,
            train_step: Callable[[torch.nn.Module, Any], torch.Tensor] | None = None,
            start: float = 1e-7, end: float = 10.0, num_steps: int = 100, mode: str = "exponential",
            accumulation_steps: int = 1, amp_dtype: torch.dtype | None = None, scaler: Any = None,
            scheduler: Any = None, state_on_cpu: bool = False, progress: bool = True,
            repeats: int = 1, smoothing: float = 0.98, diverge: float = 4.0, spike: float = 10.0,
            rule: str = "lrkit", target: str = "one_cycle", probe_steps: int = PROBE_STEPS,
            settle: bool | None = None, widen: float = WIDEN, stretch: int = STRETCH) -> FinderResult:
    r"""The learning-rate range test on a PyTorch model; the model is left untouched.

    Each test step draws ``accumulation_steps`` batches from ``data`` (cycled when it is
    shorter than the test), computes the loss -- ``loss_fn(model(inputs), targets)`` for
    ``(inputs, targets, ...)`` batches, or ``train_step(model, batch)`` for any other structure
    -- under ``torch.autocast(dtype=amp_dtype)`` when ``amp_dtype`` is given, back-propagates
    :math:`\ell / A` (through ``scaler.scale`` when a ``GradScaler`` is given), and takes one
    optimizer step at rate :math:`\eta_i` (see :func:`lrkit.finder.find_lr` for the rates,
    the smoothing, the stopping rules and the suggestions). The recorded loss is the mean of the
    :math:`A` = ``accumulation_steps`` micro-batch losses. Under DDP (a ``torch.distributed``
    process group initialised) each micro-batch loss is first averaged across ranks, so every
    rank records the same losses, stops at the same step and gets the same suggestion.

    With several parameter groups the test keeps their ratios: group :math:`g` runs at
    :math:`\eta_i \cdot r_g/\max_h r_h`, :math:`r_g` its rate before the test.

    Before the test one copy of the state is taken (on the CPU with ``state_on_cpu=True``):
    parameters, buffers, gradients, optimizer state and hyperparameters, ``scheduler`` and
    ``scaler`` states, module train/eval flags, and the CPU/CUDA/Python/NumPy random generators
    (and ``data.generator`` when it has one). It is restored bitwise when the test ends, diverges,
    raises or is interrupted (``KeyboardInterrupt``), *in place*: into the same param-group
    dicts, tensor-valued rates, optimizer-state, gradient and buffer tensors, so handles taken
    before the call still reach the optimizer. The restore is not cut short by a second Ctrl-C:
    once the test stops, ``SIGINT``/``SIGTERM`` wait until everything is back, then are
    delivered. Between repeats (``repeats > 1``) the
    model is restored but the random generators run on, so each repeat sees other batches.

    With ``rule="probe"`` the test goes on to train a short probe from the initial state at each
    of up to four candidate rates (``probe_steps`` steps each; see :func:`lrkit.finder.find_lr`).
    Before each probe the snapshot is restored *with* the random generators and the batches are
    drawn from a fresh pass over ``data``, so every candidate sees the same batches and the same
    dropout masks (a one-shot iterator cannot be replayed: its probes see successive batches).
    The model is restored bitwise after the last probe as after any test.

    With ``rule="settled"`` (or ``settle=True``) the test goes on to the settled sweep
    (:mod:`lrkit.finder.settle`): the model is restored, trained 100 steps at a twentieth of the
    breakdown edge, and swept again (60 steps) to find the edge of a *trained* model, which
    the ``"settled"`` rule reads (the default constant-rate rule reads the first test alone).
    It is restored bitwise afterwards as after any test. With ``widen`` a test whose loss never
    broke down by ``end`` goes on that many decades further; with ``stretch`` a test whose loss
    never fell runs again from the restored model with that many times the steps (see
    :func:`lrkit.finder.find_lr`).

    Raises:
        TypeError/ValueError: bad arguments (before anything is touched), a non-finite first
            loss, a loss that is not a scalar tensor, or ``data`` that is empty or a one-shot
            iterator that runs out -- in every case the model is restored.
    """
    opts = check_options(start=start, end=end, num_steps=num_steps, mode=mode, smoothing=smoothing,
                         diverge=diverge, spike=spike, repeats=repeats, rule=rule, target=target,
                         probe_steps=probe_steps, settle=settle, widen=widen, stretch=stretch)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{OWNER}: model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"{OWNER}: optimizer must be a torch.optim.Optimizer, got "
                        f"{type(optimizer).__name__}")
    if train_step is None and loss_fn is None:
        raise TypeError(f"{OWNER}: pass loss_fn (for (inputs, targets) batches) or train_step "
                        "(model, batch) -> loss")
    if train_step is not None and not callable(train_step):
        raise TypeError(f"{OWNER}: train_step must be callable (model, batch) -> loss, got {train_step!r}")
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"{OWNER}: loss_fn must be callable, got {loss_fn!r}")
    if not isinstance(data, Iterable):
        raise TypeError(f"{OWNER}: data must be an iterable of batches, got {type(data).__name__}")
    accum = _check.integer("accumulation_steps", accumulation_steps, OWNER, minimum=1)
    if amp_dtype is not None and not isinstance(amp_dtype, torch.dtype):
        raise TypeError(f"{OWNER}: amp_dtype must be a torch.dtype or None, got {amp_dtype!r}")
    for name, obj in (("scheduler", scheduler), ("scaler", scaler)):
        if obj is not None and not (callable(getattr(obj, "state_dict", None))
                                    and callable(getattr(obj, "load_state_dict", None))):
            raise TypeError(f"{OWNER}: {name} must have state_dict() and load_state_dict(), got "
                            f"{type(obj).__name__}")
    _check.boolean("state_on_cpu", state_on_cpu, OWNER)
    _check.boolean("progress", progress, OWNER)
    params = [p for g in optimizer.param_groups for p in g["params"]]
    device = params[0].device if params else torch.device("cpu")
    compute = train_step if train_step is not None else _default_step(loss_fn)  # type: ignore[arg-type]

    with InterruptGuard() as guard:  # the first Ctrl-C stops the test, later ones wait
        snap = _Snapshot(model, optimizer, scheduler, scaler, data, state_on_cpu)
        try:
            base = [float(g["lr"]) for g in optimizer.param_groups]
            top = max(base) if base and max(base) > 0 else 0.0
            ratios = [b / top if top > 0 else 1.0 for b in base]
            feed = [_cycle(data)]
            model.train()

            def step(lr: float) -> float:
                for g, r in zip(optimizer.param_groups, ratios):
                    g["lr"] = lr * r
                optimizer.zero_grad(set_to_none=True)
                total = 0.0
                for _ in range(accum):
                    batch = _to_device(next(feed[0]), device)
                    if amp_dtype is not None:
                        with torch.autocast(device_type=device.type, dtype=amp_dtype):
                            loss = compute(model, batch)
                    else:
                        loss = compute(model, batch)
                    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
                        raise TypeError(f"{OWNER}: the loss must be a one-element tensor, got "
                                        f"{type(loss).__name__}: {loss!r:.80}")
                    value = reduce_metric(loss.detach().float(), "mean", owner=OWNER)  # over DDP ranks
                    if not np.isfinite(value):
                        return value
                    scaled = loss / accum
                    (scaler.scale(scaled) if scaler is not None else scaled).backward()
                    total += value
                if scaler is not None:
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    optimizer.step()
                return total / accum

            def reset() -> None:
                snap.restore(rng=False)
                model.train()

            def probe(rates: np.ndarray) -> list[float]:
                snap.restore(rng=True)
                model.train()
                feed[0] = _cycle(data)
                return probe_losses(step, rates)

            return _core_find_lr(step, reset=reset, probe_fn=probe, progress=progress, **opts)
        finally:
            guard.deferring = True  # from here on a signal waits until everything is back
            snap.restore(rng=True)
