"""``Lab2D``: a real PyTorch GAN learning a 2-D distribution, one visible step at a time.

The lab owns a target distribution, an MLP generator and discriminator, their optimizers and
the curves of training. ``step()`` trains (D then G, ``d_steps``/``g_steps`` updates each, the
alternating scheme of Goodfellow et al. 2014, Algorithm 1); ``frame()`` returns everything a view
shows as a :class:`LabFrame`; ``phases()`` runs one step in slow motion; ``configure()`` changes
settings while it runs (a change of ``z_dim``, ``hidden`` or ``width`` rebuilds both networks from
fresh weights; the other settings keep the weights). It never dies of bad numbers: learning
rates of 0 or 1e9 and diverging (NaN) losses put an explanation into ``message`` and, on
divergence, restore the last healthy weights. The interactive design follows GAN Lab (Kahng et
al. 2018); the losses are listed in :mod:`.losses`.

Example::

    lab = Lab2D(target="ring", loss="nonsaturating"); lab.step(500); lab.figure().savefig("lab.png")
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import torch

from .._util import small_model_threads
from .config import ARCHITECTURE, LabConfig
from .distributions import BOUNDS, Target
from .distributions import target as make_target
from .frame import LabFrame
from .history import History
from .losses import get_loss, gradient_penalty
from .metrics import grid_divergences, mmd, mode_coverage
from .models import discriminator, generator, noise
from .visuals import decision_map, generator_arrows, manifold

__all__ = ["Lab2D"]

_STEP_COLS = ("step", "d_loss", "g_loss", "d_real", "d_fake", "d_grad", "g_grad")
_METRIC_COLS = ("step", "kl", "js", "mmd", "covered")
_EVAL = 1024
_LIMIT = 1e6  # a parameter or loss beyond this counts as divergence


class Lab2D:
    """A 2-D GAN lab. Takes every :class:`LabConfig` field as a keyword.

    Example: ``lab = Lab2D(target="moons", loss="hinge", lr_d=2e-3); lab.step(); f = lab.frame()``.
    """

    def __init__(self, target: Any = "ring", **settings: Any) -> None:
        if isinstance(target, Target):
            target = target.spec()
        self.config = LabConfig(target=target, **settings).validated()
        self.reset()

    # -- building ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Start again from step 0: fresh weights (same seed, so the same start), empty curves."""
        cfg = self.config
        self.target = make_target(cfg.target)
        self.loss = get_loss(cfg.loss)
        self.rng = torch.Generator().manual_seed(cfg.seed)
        self._build_nets()
        self._eval_sets()
        self.steps = 0
        old: History | None = getattr(self, "history", None)
        epoch = old.epoch + 1 if old is not None else 0  # streaming clients refetch the curves
        self.history = History(_STEP_COLS, epoch=epoch)
        self.metrics = History(_METRIC_COLS, epoch=epoch)
        self.status, self.message, self._event = "ok", "", ""
        self._snapshot()

    def _build_nets(self) -> None:
        cfg = self.config
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            self.G = generator(cfg.z_dim, cfg.hidden, cfg.width)
            self.D = discriminator(cfg.hidden, cfg.width)
        self._build_optimizers()

    def _build_optimizers(self) -> None:
        cfg = self.config
        if cfg.optimizer == "adam":
            betas = self.loss.betas
            self.opt_g: torch.optim.Optimizer = torch.optim.Adam(self.G.parameters(), cfg.lr_g, betas=betas)
            self.opt_d: torch.optim.Optimizer = torch.optim.Adam(self.D.parameters(), cfg.lr_d, betas=betas)
        else:
            self.opt_g = torch.optim.SGD(self.G.parameters(), cfg.lr_g)
            self.opt_d = torch.optim.SGD(self.D.parameters(), cfg.lr_d)

    def _eval_sets(self) -> None:
        cfg = self.config
        g = torch.Generator().manual_seed(cfg.seed + 1)
        self.real_eval = self.target.sample(_EVAL, g)
        self.z_eval = noise(_EVAL, cfg.z_dim, cfg.noise, g)

    # -- training ----------------------------------------------------------------------------
    def _d_update(self) -> dict[str, Any]:
        cfg = self.config
        real = self.target.sample(cfg.batch_size, self.rng)
        with torch.no_grad():
            fake = self.G(noise(cfg.batch_size, cfg.z_dim, cfg.noise, self.rng))
        s_real, s_fake = self.D(real).reshape(-1), self.D(fake).reshape(-1)
        loss = self.loss.d(s_real, s_fake)
        if self.loss.penalty:
            loss = loss + gradient_penalty(self.D, real, fake, self.loss.penalty, self.rng)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(self.D.parameters(), float("inf"))
        self.opt_d.step()
        return {"loss": loss.detach(), "real": real, "fake": fake, "s_real": s_real.detach(),
                "s_fake": s_fake.detach(), "grad": norm}

    def _g_update(self) -> dict[str, Any]:
        cfg = self.config
        z = noise(cfg.batch_size, cfg.z_dim, cfg.noise, self.rng)
        self.D.requires_grad_(False)
        try:
            fake = self.G(z)
            s_fake = self.D(fake).reshape(-1)
            loss = self.loss.g(s_fake)
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
        finally:
            self.D.requires_grad_(True)
        norm = torch.nn.utils.clip_grad_norm_(self.G.parameters(), float("inf"))
        self.opt_g.step()
        return {"loss": loss.detach(), "z": z, "fake": fake.detach(), "s_fake": s_fake.detach(), "grad": norm}

    def step(self, n: int = 1, which: str = "both") -> dict[str, float]:
        """Train ``n`` steps of D (``"d"``), G (``"g"``) or both; returns the latest curve values.

        One step is ``d_steps`` discriminator updates then ``g_steps`` generator updates.
        Example: ``lab.step(100)["d_loss"]``.
        """
        if which not in ("both", "d", "g"):
            raise ValueError(f"which must be 'both', 'd' or 'g', got {which!r}")
        with self._threads():
            for _ in range(int(n)):
                d_out = g_out = None
                if which != "g":
                    for _ in range(self.config.d_steps):
                        d_out = self._d_update()
                if which != "d":
                    for _ in range(self.config.g_steps):
                        g_out = self._g_update()
                self._after_step(d_out, g_out)
        return self.history.last()

    def _threads(self) -> Any:
        """One intra-op thread for this call while the networks are small (the default 2 x 64 MLPs:
        :func:`~torchscope.gan._util.small_model_threads`), torch's count restored afterwards: a
        notebook's loop gets the speed the dashboard's worker gets, on a busy machine too."""
        cfg = self.config
        rows = max(cfg.batch_size, cfg.grid ** 2, cfg.points, cfg.manifold ** 2)
        return small_model_threads(self.G, self.D, rows=rows)

    def _after_step(self, d_out: dict[str, Any] | None, g_out: dict[str, Any] | None) -> None:
        self.steps += 1
        row: dict[str, float] = {"step": self.steps}
        if d_out:
            row.update(d_loss=float(d_out["loss"]), d_grad=float(d_out["grad"]),
                       d_real=float(self.loss.decision(d_out["s_real"]).mean()),
                       d_fake=float(self.loss.decision(d_out["s_fake"]).mean()))
        if g_out:
            row.update(g_loss=float(g_out["loss"]), g_grad=float(g_out["grad"]))
            if not d_out:
                row["d_fake"] = float(self.loss.decision(g_out["s_fake"]).mean())
        bad = [k for k, v in row.items() if not math.isfinite(v) or abs(v) > _LIMIT]
        if bad or not self._params_healthy():
            self._diverged(bad)
            return
        self.history.add(**row)
        if self.steps % self.config.metric_every == 0:
            self._measure()
        if self.steps % 25 == 0:
            self._snapshot()

    def _params_healthy(self) -> bool:
        peak = max(float(p.detach().abs().max()) for p in [*self.G.parameters(), *self.D.parameters()])
        return math.isfinite(peak) and peak < _LIMIT

    def _diverged(self, what: list[str]) -> None:
        cfg = self.config
        why = f"{' and '.join(what)} became non-finite or exploded" if what else "the weights exploded"
        self._restore()
        self.status = "diverged"
        self.message = (f"Training diverged at step {self.steps} ({why}; lr_d={cfg.lr_d:g}, lr_g={cfg.lr_g:g}). "
                        f"The lab went back to the weights of step {self._snap['steps']}: lower the learning "
                        "rates or press reset.")

    def _snapshot(self) -> None:
        self._snap: dict[str, Any] = {"steps": self.steps, "G": copy.deepcopy(self.G.state_dict()),
                      "D": copy.deepcopy(self.D.state_dict()), "opt_g": copy.deepcopy(self.opt_g.state_dict()),
                      "opt_d": copy.deepcopy(self.opt_d.state_dict())}

    def _restore(self) -> None:
        s = self._snap
        self.G.load_state_dict(s["G"])
        self.D.load_state_dict(s["D"])
        self.opt_g.load_state_dict(s["opt_g"])
        self.opt_d.load_state_dict(s["opt_d"])

    @torch.no_grad()
    def _measure(self) -> None:
        fake = self.G(self.z_eval)
        kl, js = grid_divergences(self.real_eval, fake)
        dist = mmd(self.real_eval[:256], fake[:256])
        covered = self.coverage(fake)["covered"] if self.target.centers is not None else float("nan")
        self.metrics.add(step=self.steps, kl=kl, js=js, mmd=dist, covered=covered)

    @torch.no_grad()
    def coverage(self, fake: torch.Tensor | None = None) -> dict[str, Any]:
        """Mode coverage of the generator on the fixed evaluation noise (mixtures only).

        Example: ``lab.coverage()["covered"] == 8``.
        """
        if self.target.centers is None:
            raise ValueError(f"mode coverage needs a mixture target (ring or mixture), not {self.target.name!r}")
        with self._threads():
            fake = self.G(self.z_eval) if fake is None else fake
            return mode_coverage(fake, self.target.centers, self.target.std)

    # -- settings ----------------------------------------------------------------------------
    def configure(self, **changes: Any) -> list[str]:
        """Change settings while training; returns what changed. Invalid values raise, changing nothing.

        ``z_dim``, ``hidden`` and ``width`` rebuild both networks (fresh weights, same seed);
        ``optimizer`` builds new optimizers; learning rates apply in place; ``target``, ``loss``,
        update counts, noise and batch size apply from the next step. Curves continue; ``seed``
        applies at the next :meth:`reset`. Example: ``lab.configure(loss="hinge", lr_g=2e-4)``.
        """
        if isinstance(changes.get("target"), Target):
            changes["target"] = changes["target"].spec()
        new = self.config.replace(**changes)
        old, self.config = self.config, new
        changed = [k for k in changes if getattr(old, k) != getattr(new, k)]
        if "target" in changed:
            self.target = make_target(new.target)
        if "loss" in changed:
            self.loss = get_loss(new.loss)
        if ARCHITECTURE & set(changed):
            self._build_nets()
        elif "optimizer" in changed:
            self._build_optimizers()
        else:
            for opt, lr in ((self.opt_d, new.lr_d), (self.opt_g, new.lr_g)):
                for group in opt.param_groups:
                    group["lr"] = lr
                    if "betas" in group:
                        group["betas"] = self.loss.betas
        if {"target", "noise", "z_dim"} & set(changed):
            self._eval_sets()
        if changed:
            self.status, self.message = "ok", ""
            self._event = f"step {self.steps}: changed {', '.join(changed)}" + (
                " (networks rebuilt)" if ARCHITECTURE & set(changed) else "")
            self._snapshot()
        return changed

    # -- views -------------------------------------------------------------------------------
    def advice(self) -> tuple[str, str]:
        """The (status, message) a frame shows: divergence first, then unwise settings."""
        if self.status == "diverged":
            return self.status, self.message
        notes = self.config.advice()
        if self.loss.name == "wgan-gp" and self.config.d_steps < 3:
            notes.append("WGAN-GP's critic needs several updates per step: try d_steps=5.")
        return ("warning", " ".join(notes)) if notes else ("ok", "")

    def frame(self) -> LabFrame:
        """Everything a view shows now, as a :class:`LabFrame` record: ``lab.frame().save("f.png")``."""
        cfg = self.config
        with self._threads():
            with torch.no_grad():
                real = self.real_eval[:cfg.points]
                fake = torch.nan_to_num(self.G(self.z_eval[:cfg.points]))
            arrows = generator_arrows(self.D, self.loss, fake)
            heat = decision_map(self.D, self.loss, cfg.grid)
            lines, opacity = manifold(self.G, cfg.manifold, cfg.z_dim, cfg.noise)
        status, message = self.advice()
        latest: dict[str, Any] = {**self.history.last(), **{k: v for k, v in self.metrics.last().items()
                                                            if k != "step"}}
        if self.target.centers is not None:
            latest["modes"] = len(self.target.centers)
        latest["event"] = self._event
        lo, hi = BOUNDS
        latest["outside"] = float(((fake < lo) | (fake > hi)).any(1).float().mean())
        centers = self.target.centers if self.target.centers is not None else torch.zeros(0, 2).numpy()
        return LabFrame(step=self.steps, real=real.numpy(), fake=fake.numpy(), arrows=arrows.numpy(),
                        heat=heat.numpy(), manifold=lines.numpy(), opacity=opacity.numpy(), centers=centers,
                        bounds=list(BOUNDS), config=cfg.to_dict(),
                        history={**self.history.columns(), "epoch": [self.history.epoch]},
                        metrics=self.metrics.columns(), latest=latest, status=status, message=message)

    def figure(self, **kwargs: Any) -> Any:
        """A matplotlib Figure of the lab now (canvas with all layers, and curves): ``lab.figure()``."""
        return self.frame().figure(**kwargs)

    def phases(self) -> list[dict[str, Any]]:
        """Run one step in slow motion; returns its five phases with data and explanations.

        Example: ``[p["name"] for p in lab.phases()] == ["sample", "classify", "loss", "gradients", "update"]``.
        """
        from .phases import slow_step

        with self._threads():
            return slow_step(self)

    def _repr_html_(self) -> str:
        return self.frame()._repr_html_()

    # -- saving ------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue later (settings, weights, optimizers, RNG, curves)."""
        return {"version": 1, "config": self.config.to_dict(), "steps": self.steps, "G": self.G.state_dict(),
                "D": self.D.state_dict(), "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
                "rng": self.rng.get_state(), "history": self.history.state(), "metrics": self.metrics.state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (settings included): ``lab.load_state_dict(s)``."""
        if not isinstance(state, dict) or state.get("version") != 1:
            raise ValueError("not a GAN lab state (expected the dict from Lab2D.state_dict(), version 1)")
        self.config = LabConfig(**state["config"]).validated()
        self.reset()
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.rng.set_state(state["rng"])
        self.steps = int(state["steps"])
        self.history.load(state["history"])
        self.metrics.load(state["metrics"])
        self._snapshot()

    def save(self, path: str | Path) -> Path:
        """Save the lab to a file (``torch.save`` of :meth:`state_dict`): ``lab.save("lab.pt")``."""
        torch.save(self.state_dict(), path)
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> Lab2D:
        """A lab from a file written by :meth:`save` (loaded with ``weights_only=True``)."""
        lab = cls.__new__(cls)
        lab.load_state_dict(torch.load(path, weights_only=True))
        return lab
