"""``run.watch(model)``: per-layer activation, gradient and weight statistics while training.

How it stays cheap: a training step starts at the first layer output (in training mode) after a
backward pass, so steps are counted whether or not the model's own ``forward`` is called (as in
Lightning, where ``training_step`` calls sub-modules). On most steps each layer's hook only
records whether its output is finite (one device reduction, skipped for layers that cannot
create NaN/Inf such as ReLU or pooling) and each parameter's gradient hook whether its gradient
is finite. Every ``every`` steps the hooks also
compute activation mean/std/zero fraction/dead units and gradient norms, and weight norms,
update-to-weight ratios and histograms are taken. All of it stays on the device: the tensors are
handed to the run's background writer, which reads them (the only host sync, on its own thread),
writes ``watch/<layer>/<stat>`` scalars and raises :class:`~torchscope.watch.alarms.Alarm` records.
It uses only the run's public extension hooks: ``log_histogram(..., advance=False)`` (at the
watcher's own steps, the run's step counter untouched) and ``run.on_writer_thread``.

Hooks are registered inside ``try`` and removed by :meth:`Watcher.remove` (``run.unwatch``,
``run.finish``), also when registration fails half-way.
"""

from __future__ import annotations

import functools
import math
from time import time
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .alarms import Alarm, HealthMonitor
from .stats import ACT_FIELDS, CHANNELS_FIRST, SAFE_ELEMENTWISE, activation_stats, first_tensor, nonfinite

if TYPE_CHECKING:
    from ..track.hooks import WriterBatch
    from ..track.run import Run

__all__ = ["LOG_CHOICES", "Watcher"]

LOG_CHOICES = ("gradients", "parameters", "activations", "all")
RELU_LIKE = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Hardswish)


class Watcher:
    """Hooks on one model; create with ``run.watch(model, every=100)``."""

    def __init__(self, run: Run, model: nn.Module, *, every: int = 100, log: str = "all",
                 optimizer: torch.optim.Optimizer | None = None, histograms: bool = True,
                 check_nonfinite: bool = True, prefix: str = "watch") -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"watch() needs a torch.nn.Module, got {type(model).__name__}")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive int (steps between samples), got {every!r}")
        if log not in LOG_CHOICES:
            raise ValueError(f"log must be one of {', '.join(map(repr, LOG_CHOICES))}, got {log!r}")
        if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
        self.run, self.model, self.every, self.optimizer = run, model, every, optimizer
        self.histograms, self.prefix = histograms, prefix
        self.check_nonfinite = check_nonfinite  # False: no per-step NaN/Inf checks between samples
        self.acts = log in ("activations", "all")
        self.grads = log in ("gradients", "all")
        self.params = log in ("parameters", "all")
        self.monitor = HealthMonitor(prefix)
        root = type(model).__name__
        self.layers = [(name or root, m) for name, m in model.named_modules() if not list(m.children())]
        self.relu_layers = {name for name, m in self.layers if isinstance(m, RELU_LIKE)}
        self.param_layer: list[tuple[str, str, nn.Parameter]] = [
            (lname, pname, p) for lname, m in self.layers for pname, p in m.named_parameters(recurse=False)
            if p.requires_grad]
        self.step = -1
        self._active = self._sampled = False
        self._new_step = True  # the next training-mode layer output starts a step
        self._outs: dict[int, torch.Tensor] = {}
        self._grads: dict[int, torch.Tensor] = {}
        self._grad_order: list[int] = []
        self._snapshot: list[torch.Tensor] | None = None
        self._pending_sample: int | None = None
        self._handles: list[Any] = []
        try:
            for idx, (_, module) in enumerate(self.layers):
                self._handles.append(module.register_forward_hook(functools.partial(self._on_output, idx)))
            for pidx, (_, _, p) in enumerate(self.param_layer):
                self._handles.append(p.register_post_accumulate_grad_hook(functools.partial(self._on_grad, pidx)))
        except BaseException:
            self.remove()
            raise

    # -- hooks (training thread) -------------------------------------------------------------
    def _begin_step(self) -> None:
        self._new_step = False
        self._finish_step()
        self.step += 1
        self._active = True
        self._sampled = self.step % self.every == 0
        if self._sampled and self.params:
            self._snapshot = [p.detach().clone() for _, _, p in self.param_layer]

    def _on_output(self, idx: int, module: nn.Module, inputs: Any, output: Any) -> None:
        if not module.training:
            return  # evaluation passes are not training steps
        if self._new_step:
            self._begin_step()
        if idx in self._outs:
            return
        t = first_tensor(output)
        if t is None:
            return
        if self._sampled and self.acts:
            self._outs[idx] = activation_stats(t, isinstance(module, CHANNELS_FIRST))
        elif self.check_nonfinite and not isinstance(module, SAFE_ELEMENTWISE):
            self._outs[idx] = nonfinite(t)

    def _on_grad(self, pidx: int, param: torch.Tensor) -> None:
        if not self._active or param.grad is None:
            return
        self._new_step = True  # a backward pass: the next forward is a new step
        g = param.grad.detach()
        self._grad_order.append(pidx)
        if self._sampled and self.grads:
            self._grads[pidx] = torch.stack([g.float().norm(), (~torch.isfinite(g)).any().float()])
            if self.histograms:
                lname, pname, _ = self.param_layer[pidx]
                self.run.log_histogram(f"{self.prefix}/{lname}/{pname}.grad", g, self.step, advance=False)
        elif self.check_nonfinite:
            self._grads[pidx] = nonfinite(g)

    # -- packaging (training thread) -----------------------------------------------------------
    def _finish_step(self) -> None:
        """Hand the finished step's device tensors to the writer thread (no host sync here)."""
        if self.step < 0 or not (self._outs or self._grads):
            return
        step, sampled = self.step, self._sampled
        outs, grads, order = self._outs, self._grads, self._grad_order
        self._outs, self._grads, self._grad_order = {}, {}, []
        weights = ratios = None
        if sampled and self.params:
            weights = torch.stack([p.detach().float().norm() for _, _, p in self.param_layer]) \
                if self.param_layer else None
            if self._snapshot is not None and self.param_layer:
                ratios = torch.stack([(p.detach() - s).float().norm() for (_, _, p), s in
                                      zip(self.param_layer, self._snapshot)])
            self._snapshot = None
            if self.histograms:
                for lname, pname, p in self.param_layer:
                    self.run.log_histogram(f"{self.prefix}/{lname}/{pname}", p, step, advance=False)
        lrs = [g["lr"] for g in self.optimizer.param_groups] if (sampled and self.optimizer) else []
        payload = (step, time(), sampled, outs, grads, order, weights, ratios, lrs)
        self.run.on_writer_thread(functools.partial(self._resolve, payload))

    # -- resolution (writer thread) ------------------------------------------------------------
    def _resolve(self, payload: tuple[Any, ...], out: WriterBatch) -> None:
        step, wall, sampled, outs, grads, order, weights, ratios, lrs = payload
        outs = {i: t.tolist() for i, t in outs.items()}
        grads = {i: t.tolist() for i, t in grads.items()}
        bad_out = next((self.layers[i][0] for i in sorted(outs) if _flag(outs[i])), None)
        bad_grad = next((self.param_layer[i][0] for i in order if i in grads and _flag(grads[i])), None)
        alarms = self.monitor.check_nonfinite(step, bad_out, bad_grad)
        if sampled:
            stats = self._layer_stats(outs, grads, weights, ratios)
            for layer, fields in stats.items():
                for field, value in fields.items():
                    out.add_scalars(f"{self.prefix}/{layer}/{field}", [step], [value], [wall])
            for i, lr in enumerate(lrs):
                out.add_scalars(f"{self.prefix}/lr/group{i}", [step], [float(lr)], [wall])
            alarms += self.monitor.check_layers(step, stats, self.relu_layers)
        self._store_alarms(out, alarms, wall)

    def _layer_stats(self, outs: dict[int, Any], grads: dict[int, Any], weights: torch.Tensor | None,
                     ratios: torch.Tensor | None) -> dict[str, dict[str, float]]:
        stats: dict[str, dict[str, float]] = {}
        for i, values in outs.items():
            if isinstance(values, list):
                stats.setdefault(self.layers[i][0], {}).update(zip(ACT_FIELDS[:4], values[:4]))
        w = weights.tolist() if weights is not None else None
        r = ratios.tolist() if ratios is not None else None
        per_layer: dict[str, dict[str, float]] = {}
        for pidx, (lname, _, _) in enumerate(self.param_layer):
            acc = per_layer.setdefault(lname, {})
            g = grads.get(pidx)
            if isinstance(g, list):
                acc["grad_norm"] = acc.get("grad_norm", 0.0) + g[0] ** 2
            if w is not None:
                acc["weight_norm"] = acc.get("weight_norm", 0.0) + w[pidx] ** 2
                if r is not None:
                    acc["update"] = acc.get("update", 0.0) + r[pidx] ** 2
        for lname, acc in per_layer.items():
            out = stats.setdefault(lname, {})
            for field in ("grad_norm", "weight_norm"):
                if field in acc:
                    out[field] = acc[field] ** 0.5
            if "update" in acc and acc.get("weight_norm", 0.0) > 0:
                out["update_ratio"] = (acc["update"] / acc["weight_norm"]) ** 0.5
        return stats

    @staticmethod
    def _store_alarms(out: WriterBatch, alarms: list[Alarm], wall: float) -> None:
        for alarm in alarms:
            out.add_record(alarm, step=alarm.step, key="health/alarms", wall=wall)

    def check_losses(self, out: WriterBatch) -> None:
        """Writer-thread monitor: divergence and plateau alarms on logged keys named like a loss."""
        alarms: list[Alarm] = []
        for key, steps, vals in out.scalars():
            if "loss" in key.lower() and not key.startswith(self.prefix + "/"):
                alarms += self.monitor.check_loss(key, list(steps), list(vals))
        self._store_alarms(out, alarms, time())

    def remove(self) -> None:
        """Remove every hook; pending statistics are handed over first."""
        try:
            if self._handles:
                self._finish_step()
        finally:
            for h in self._handles:
                h.remove()
            self._handles.clear()


def _flag(values: Any) -> bool:
    """Whether a hook result says non-finite: a stats vector's flag field, or a bare sum that is NaN/Inf."""
    if isinstance(values, list):
        return bool(values[-1]) or values[-1] != values[-1]
    return not math.isfinite(values)
