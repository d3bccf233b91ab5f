"""A monitor for any image-GAN training loop: ``mon.step(...)`` once per iteration.

Every step (no host sync: device tensors go to the run as they are): G and D losses, the mean
D(x) and D(G(z)) as probabilities, and the gradient norms of G and D. Every ``every`` steps: a
sample grid from the *same* fixed noise (the timeline, ``mon.gif(path)``), sample diversity and
the alarms. Every ``metrics_every`` steps, when a real data set is given: Frechet distance, KID
and precision/recall (see :mod:`torchscope.gan.metrics`).

Alarms (``health.alarm`` records under ``gan/alarms``, printed once on stderr): ``mode_collapse``
(diversity of the fixed-noise samples under ``collapse_ratio`` of the real data's, or recall under
half its best), ``d_winning`` (mean D(G(z)) under ``d_floor`` over ``patience`` checkpoints in a
row), ``divergence`` (a NaN/Inf loss, D output or sample).

Example::

    mon = ts.gan.Monitor(run, G, D, z_dim=100, fixed_noise=64, every=50)
    mon.step(d_loss=d_loss, g_loss=g_loss, d_real=D(x), d_fake=D(G(z)))
"""

from __future__ import annotations

import math
import sys
from typing import Any, TextIO

import numpy as np
import torch

from ..watch.alarms import Alarm
from ._util import as_uint8, dataset_tensors, generate, grid
from .timeline import Timeline

__all__ = ["Monitor"]


def _diversity(x: torch.Tensor) -> float:
    """Mean pairwise RMS pixel distance of a batch in [0, 1]."""
    f = x.reshape(len(x), -1).float()
    d = torch.cdist(f, f) / math.sqrt(f.shape[1])
    n = len(f)
    return float(d.sum() / max(n * (n - 1), 1))


def _grad_norm(params: Any) -> torch.Tensor | None:
    grads = [p.grad for p in params if p.grad is not None]
    return torch.nn.utils.get_total_norm(grads) if grads else None


class Monitor:
    """Watches a GAN loop and logs to ``run``; see the module docstring. ``mon.close()`` removes hooks.

    ``g_optimizer``/``d_optimizer`` (optional) measure each net's gradient norm right before its own
    update; without them the norms are read from ``.grad`` when ``step`` is called.
    """

    collapse_ratio = 0.25
    recall_drop = 0.5
    d_floor = 0.02
    patience = 3

    def __init__(self, run: Any, generator: torch.nn.Module, discriminator: torch.nn.Module | None = None,
                 z_dim: int = 100, fixed_noise: int | torch.Tensor = 64, every: int = 50, *, real: Any = None,
                 metrics_every: int | None = None, metric_samples: int = 1000, extractor: Any = None,
                 value_range: tuple[float, float] = (-1.0, 1.0), d_output: str = "auto",
                 g_optimizer: torch.optim.Optimizer | None = None, d_optimizer: torch.optim.Optimizer | None = None,
                 prefix: str = "gan", keep_frames: int = 500, stream: TextIO | None = sys.stderr,
                 seed: int = 0) -> None:
        if d_output not in ("auto", "logits", "probs"):
            raise ValueError(f"d_output must be 'auto', 'logits' or 'probs', got {d_output!r}")
        self.run, self.G, self.D, self.z_dim = run, generator, discriminator, int(z_dim)
        self.every = max(1, int(every))
        self.metrics_every = metrics_every or 10 * self.every
        self.metric_samples, self.value_range, self.prefix = metric_samples, value_range, prefix
        self.stream, self.keep_frames, self.seed = stream, keep_frames, seed
        self._logits: bool | None = None if d_output == "auto" else d_output == "logits"
        device = next(generator.parameters()).device
        if isinstance(fixed_noise, torch.Tensor):
            self.fixed_noise = fixed_noise.detach().to(device)
        else:
            self.fixed_noise = torch.randn(int(fixed_noise), self.z_dim,
                                           generator=torch.Generator().manual_seed(seed)).to(device)
        self.real, self.extractor, self._real_div = real, extractor, None
        if real is not None:
            from .features import feature_extractor

            self.extractor = extractor or feature_extractor(real)
            xr, _ = dataset_tensors(real, len(self.fixed_noise), seed=seed)
            self._real_div = _diversity(xr)
        self.frames: list[np.ndarray] = []
        self.frame_steps: list[int] = []
        self.alarms: list[Alarm] = []
        self.metrics: list[Any] = []
        self._raised: set[str] = set()
        self._t = 0
        self._window: list[torch.Tensor] = []
        self._low_checks = 0
        self._best_recall = 0.0
        self._norms: dict[str, torch.Tensor] = {}
        self._finite: torch.Tensor | None = None  # device values: all finite since the last checkpoint?
        hooked = [(name, opt) for name, opt in (("g", g_optimizer), ("d", d_optimizer)) if opt is not None]
        self._hooked = {name for name, _ in hooked}
        self._hooks = [opt.register_step_pre_hook(self._norm_hook(name)) for name, opt in hooked]
        run.log_record({"z_dim": self.z_dim, "every": self.every, "metrics_every": self.metrics_every,
                        "fixed_noise": len(self.fixed_noise), "value_range": list(value_range), "prefix": prefix,
                        "extractor": getattr(self.extractor, "id", None), "real_diversity": self._real_div},
                       step=0, key=f"{prefix}/config", kind="gan.monitor")

    def _norm_hook(self, name: str) -> Any:
        def hook(opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
            norm = _grad_norm(p for g in opt.param_groups for p in g["params"])
            if norm is not None:
                self._norms[name] = norm.detach()
        return hook

    # -- every step -------------------------------------------------------------------------------
    def _prob(self, out: Any) -> Any:
        if not isinstance(out, torch.Tensor):
            return float(out)
        out = out.detach().float()
        if self._logits is None:  # decided once, from the net's last layer or the first batch
            last = list(self.D.modules())[-1] if self.D is not None else None
            self._logits = not isinstance(last, torch.nn.Sigmoid) and bool((out.min() < 0) | (out.max() > 1))
        return (out.sigmoid() if self._logits else out).mean()

    def step(self, *, d_loss: Any = None, g_loss: Any = None, d_real: Any = None, d_fake: Any = None,
             step: int | None = None, **extra: Any) -> None:
        """Record one iteration (any argument may be left out; extras log as ``gan/<name>``).

        Example: ``mon.step(d_loss=ld, g_loss=lg, d_real=D(x), d_fake=D(G(z).detach()))``.
        """
        t = self._t if step is None else int(step)
        self._t = t + 1
        p = self.prefix
        data: dict[str, Any] = {}
        for name, value in (("d_loss", d_loss), ("g_loss", g_loss), *extra.items()):
            if value is not None:
                data[f"{p}/{name}"] = value.detach() if isinstance(value, torch.Tensor) else value
        if d_real is not None:
            data[f"{p}/d_real"] = self._prob(d_real)
        if d_fake is not None:
            data[f"{p}/d_fake"] = fake = self._prob(d_fake)
            self._window.append(fake if isinstance(fake, torch.Tensor) else torch.tensor(fake))
        for name, net in (("g", self.G), ("d", self.D)):
            norm = self._norms.pop(name, None)
            if norm is None and net is not None and name not in self._hooked:
                norm = _grad_norm(net.parameters())
            if norm is not None:
                data[f"{p}/{name}_grad_norm"] = norm
        on_cpu = [v for v in data.values() if not isinstance(v, torch.Tensor) or not v.is_cuda]
        if on_cpu:  # host values cost nothing to check now; device ones wait for the checkpoint
            data = {k: float(v) if isinstance(v, torch.Tensor) and not v.is_cuda else v for k, v in data.items()}
            bad = [k for k, v in data.items() if isinstance(v, float) and not math.isfinite(v)]
            if bad:
                self._alarm("divergence", t, f"{bad[0]} became {data[bad[0]]} (NaN/Inf)", data[bad[0]], bad[0])
        on_device = [v.reshape(()) for v in data.values() if isinstance(v, torch.Tensor)]
        if on_device:  # one flag on the device, read at the checkpoint: no sync now
            ok = torch.isfinite(torch.stack(on_device)).all()
            self._finite = ok if self._finite is None else self._finite & ok
        self.run.log(data, step=t)
        if t % self.every == 0:
            self.checkpoint(t)
        if self.real is not None and t > 0 and t % self.metrics_every == 0:
            self.measure(t)

    # -- checkpoints ------------------------------------------------------------------------------
    def checkpoint(self, step: int) -> None:
        """Draw the fixed noise, log the grid and diversity, check the alarms (called every ``every``)."""
        x = generate(self.G, self.fixed_noise, value_range=self.value_range, train=None).cpu()
        frame = grid(as_uint8(x), nrow=int(math.ceil(math.sqrt(len(x)))))
        self.run.log_image(f"{self.prefix}/samples", frame, step=step)
        self.frames.append(frame)
        self.frame_steps.append(step)
        if len(self.frames) > self.keep_frames:  # keep every other old frame: the timeline stays spread
            del self.frames[1:-1:2], self.frame_steps[1:-1:2]
        div = _diversity(x)
        self.run.log({f"{self.prefix}/diversity": div}, step=step)
        finite, self._finite = self._finite, None
        if finite is not None and not bool(finite):
            self._alarm("divergence", step, "a loss, D output or gradient norm became NaN/Inf")
        if not bool(torch.isfinite(x).all()) or not math.isfinite(div):
            self._alarm("divergence", step, "the generator produced NaN/Inf samples")
        if self._real_div and div < self.collapse_ratio * self._real_div:
            self._alarm("mode_collapse", step, f"sample diversity {div:.3g} fell under {self.collapse_ratio:g} x "
                        f"that of real data ({self._real_div:.3g})", div, f"{self.prefix}/diversity")
        if self._window:
            fake = float(torch.stack([w.to(self._window[0].device) for w in self._window]).mean())
            self._window = []
            self._low_checks = self._low_checks + 1 if fake < self.d_floor else 0
            if self._low_checks >= self.patience:
                self._alarm("d_winning", step, f"D(G(z)) has stayed under {self.d_floor:g} (now {fake:.2g}): "
                            "the discriminator wins and G gets no useful gradient", fake, f"{self.prefix}/d_fake")

    def measure(self, step: int | None = None) -> Any:
        """Compute FD, KID and precision/recall now (needs ``real=``); logs and returns the record."""
        from .metrics import gan_metrics

        if self.real is None:
            raise ValueError("Monitor.measure needs real= (a torchscope image data set)")
        m = gan_metrics(self.G, self.real, z_dim=self.z_dim, n=self.metric_samples, extractor=self.extractor,
                        value_range=self.value_range, seed=self.seed, step=step)
        s = self._t if step is None else step
        p = self.prefix
        self.run.log({f"{p}/fd": m.fd, f"{p}/kid": m.kid, f"{p}/precision": m.precision, f"{p}/recall": m.recall},
                     step=s)
        self.run.log_record(m, step=s, key=f"{p}/metrics")
        self.metrics.append(m)
        if self._best_recall >= 0.2 and m.recall < self.recall_drop * self._best_recall:
            self._alarm("mode_collapse", s, f"recall fell to {m.recall:.3f} from a best of {self._best_recall:.3f}",
                        m.recall, f"{p}/recall")
        self._best_recall = max(self._best_recall, m.recall)
        return m

    def _alarm(self, type: str, step: int, message: str, value: float | None = None, key: str | None = None) -> None:
        if type in self._raised:
            return
        self._raised.add(type)
        alarm = Alarm(type=type, step=step, message=message, value=value, key=key)
        self.alarms.append(alarm)
        self.run.log_record(alarm, step=step, key=f"{self.prefix}/alarms")
        if self.stream is not None:
            self.stream.write(f"torchscope gan {alarm}\n")

    # -- results ----------------------------------------------------------------------------------
    def timeline(self) -> Timeline:
        """The fixed-noise frames kept in memory as a record: ``mon.timeline().figure()``."""
        frames = np.stack(self.frames) if self.frames else np.zeros((0, 1, 1, 1), np.uint8)
        return Timeline(frames=frames, steps=list(self.frame_steps))

    def gif(self, path: Any, *, fps: float = 6.0, width: int = 384) -> Any:
        """Export the fixed-noise timeline as an animated GIF: ``mon.gif("training.gif")``."""
        return self.timeline().gif(path, fps=fps, width=width)

    def close(self) -> None:
        """Remove the optimizer hooks (idempotent)."""
        for h in self._hooks:
            h.remove()
        self._hooks = []

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
