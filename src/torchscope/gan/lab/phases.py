"""Slow motion: one training step of the lab, cut into the five phases GAN Lab animates.

1. **sample**: draw a batch of real points and of noise, and map the noise through G;
2. **classify**: D scores every real and generated point;
3. **loss**: the scores become D's and G's losses;
4. **gradients**: backpropagation gives D's weight gradients and, for every generated point,
   the direction in which G's loss wants it to move;
5. **update**: the optimizers change the weights; the same noise now lands elsewhere.

It is exactly one D update and one G update (whatever ``d_steps``/``g_steps`` say), done with
the lab's own update code, so the lab advances by one step. After Kahng et al. 2018 (GAN Lab).

Example::

    for p in lab.phases(): print(p["name"], p["text"])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from .visuals import decision_map, generator_arrows

if TYPE_CHECKING:
    from .engine import Lab2D

__all__ = ["PHASES", "slow_step"]

PHASES = ("sample", "classify", "loss", "gradients", "update")
_SHOW = 128


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy().astype(np.float32)


def slow_step(lab: Lab2D) -> list[dict[str, Any]]:
    """Run one step of ``lab`` phase by phase; a list of ``{"name", "title", "text", "data"}``.

    Example: ``slow_step(lab)[3]["data"]["arrows"].shape == (128, 2)``.
    """
    cfg, loss = lab.config, lab.loss
    z_fixed = lab.z_eval[:_SHOW]
    with torch.no_grad():
        before = lab.G(z_fixed)
    d_out = lab._d_update()
    real, fake = d_out["real"][:_SHOW], d_out["fake"][:_SHOW]
    p_real = loss.decision(d_out["s_real"][:_SHOW])
    p_fake = loss.decision(d_out["s_fake"][:_SHOW])
    arrows = generator_arrows(lab.D, loss, before)
    heat_after_d = decision_map(lab.D, loss, cfg.grid)
    g_out = lab._g_update()
    with torch.no_grad():
        after = lab.G(z_fixed)
    lab._after_step(d_out, g_out)
    d_loss, g_loss = float(d_out["loss"]), float(g_out["loss"])
    return [
        {"name": "sample", "title": "1. Sample",
         "text": f"Draw {cfg.batch_size} real points from the target and {cfg.batch_size} noise vectors "
                 f"({cfg.noise}, {cfg.z_dim}-D); the generator turns the noise into points.",
         "data": {"real": _np(real), "z": _np(z_fixed[:, :2]), "fake": _np(fake)}},
        {"name": "classify", "title": "2. Classify",
         "text": f"The discriminator scores every point: on average {float(p_real.mean()):.2f} for real "
                 f"and {float(p_fake.mean()):.2f} for generated (1 = surely real).",
         "data": {"real": _np(real), "fake": _np(fake), "d_real": _np(p_real), "d_fake": _np(p_fake)}},
        {"name": "loss", "title": "3. Loss",
         "text": f"With the {loss.label} loss the scores give D a loss of {d_loss:.3f} and G a loss of "
                 f"{g_loss:.3f}; each network wants its own loss lower.",
         "data": {"d_loss": d_loss, "g_loss": g_loss}},
        {"name": "gradients", "title": "4. Gradients",
         "text": f"Backpropagation gives D's weight gradients (norm {float(d_out['grad']):.3g}) and, for each "
                 "generated point, an arrow: the way G's loss wants that point to move.",
         "data": {"fake": _np(before), "arrows": _np(arrows), "d_grad": float(d_out["grad"]),
                  "g_grad": float(g_out["grad"])}},
        {"name": "update", "title": "5. Update",
         "text": f"{cfg.optimizer.upper()} moves D's weights (lr {cfg.lr_d:g}) so the heat map shifts, then "
                 f"G's weights (lr {cfg.lr_g:g}): the same noise now lands on new points.",
         "data": {"before": _np(before), "after": _np(after), "heat": _np(heat_after_d)}},
    ]
