"""Drawing a :class:`LabFrame` with matplotlib (``Figure``, never pyplot): canvas and curves.

Colours follow GAN Lab (Kahng et al. 2018): green is real, purple is generated; the background
shades from purple (D says "fake") to green (D says "real"); the generator's manifold is a
purple mesh whose cells are as opaque as the generated density is high.

Example::

    draw_frame(lab.frame()).savefig("lab.png")
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np

__all__ = ["FAKE", "REAL", "draw_canvas", "draw_frame"]

REAL = "#1b7837"
FAKE = "#762a83"
_HEAT = ["#9970ab", "#e7d4e8", "#f7f7f7", "#d9f0d3", "#5aae61"]


def _cmap() -> Any:
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("ts_gan_heat", _HEAT)


def draw_canvas(ax: Any, frame: Any, layers: tuple[str, ...] = ("heat", "manifold", "real", "fake", "arrows")) -> None:
    """Draw the lab's 2-D canvas on ``ax``: ``draw_canvas(fig.add_subplot(), lab.frame())``."""
    from matplotlib.collections import LineCollection, PolyCollection

    lo, hi = frame.bounds
    if "heat" in layers:
        ax.imshow(frame.heat, origin="lower", extent=(lo, hi, lo, hi), cmap=_cmap(), vmin=0, vmax=1,
                  interpolation="bilinear", alpha=0.85, zorder=0)
    if "manifold" in layers and frame.manifold.size:
        m = np.clip(frame.manifold, lo - 1, hi + 1)
        quads = np.stack([m[:-1, :-1], m[:-1, 1:], m[1:, 1:], m[1:, :-1]], 2).reshape(-1, 4, 2)
        alpha = np.clip(frame.opacity.reshape(-1), 0, 1)
        face = np.zeros((len(alpha), 4))
        face[:, :3] = (0.46, 0.16, 0.51)
        face[:, 3] = 0.45 * alpha
        ax.add_collection(PolyCollection(list(quads), facecolors=face, edgecolors="none", zorder=1))
        lines = [m[i] for i in range(len(m))] + [m[:, j] for j in range(m.shape[1])]
        ax.add_collection(LineCollection(lines, colors=FAKE, linewidths=0.5, alpha=0.55, zorder=2))
    if "real" in layers:
        ax.scatter(frame.real[:, 0], frame.real[:, 1], s=7, c=REAL, alpha=0.75, linewidths=0, zorder=3,
                   label="real")
    if "fake" in layers:
        ax.scatter(frame.fake[:, 0], frame.fake[:, 1], s=7, c=FAKE, alpha=0.85, linewidths=0, zorder=4,
                   label="generated")
    if "arrows" in layers and frame.arrows.size:
        a = frame.arrows
        norm = np.linalg.norm(a, axis=1)
        ref = max(float(np.percentile(norm, 90)) if norm.size else 1.0, 1e-12)
        a = a / ref * (0.08 * (hi - lo))  # the 90th-percentile arrow is 8% of the view wide
        long = np.linalg.norm(a, axis=1, keepdims=True)
        a = a * np.minimum(1.0, 0.12 * (hi - lo) / np.maximum(long, 1e-12))  # and none longer than 12%
        scale = 1.0
        step = max(1, len(a) // 120)
        ax.quiver(frame.fake[::step, 0], frame.fake[::step, 1], a[::step, 0] * scale, a[::step, 1] * scale,
                  angles="xy", scale_units="xy", scale=1, color="#3f3f46", width=0.003, headwidth=4,
                  alpha=0.8, zorder=5)
    if frame.centers.size:
        ax.scatter(frame.centers[:, 0], frame.centers[:, 1], s=40, marker="+", c="#111827", linewidths=0.8,
                   zorder=6)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_color("#d4d4d8")


def _draw_phase(ax: Any, phase: dict[str, Any], size: float) -> None:
    """Slow motion: the phase's own marks (moves of the update phase) and its explanation on top."""
    data = phase.get("data") or {}
    if phase.get("name") == "update" and "before" in data:
        before, after = np.asarray(data["before"], float), np.asarray(data["after"], float)
        ax.quiver(before[:, 0], before[:, 1], after[:, 0] - before[:, 0], after[:, 1] - before[:, 1],
                  angles="xy", scale_units="xy", scale=1, color=FAKE, width=0.004, alpha=0.9, zorder=7)
    text = textwrap.fill(f"{phase.get('title', '')}: {phase.get('text', '')}", width=int(14 * size))
    ax.text(0.02, 0.98, text, transform=ax.transAxes, fontsize=8, va="top", color="#1e3a8a", zorder=11,
            bbox={"boxstyle": "round", "fc": "#eff6ff", "ec": "#93c5fd", "alpha": 0.95})


def _curve(ax: Any, x: list[float], ys: dict[str, tuple[list[float], str]], title: str) -> None:
    for label, (y, color) in ys.items():
        if len(y):
            ax.plot(x[:len(y)], np.asarray(y, float), color=color, lw=1.2, label=label)
    ax.set_title(title, fontsize=9, loc="right", color="#374151")
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.25)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if not any(len(y) for y, _ in ys.values()):
        ax.text(0.5, 0.5, "no values yet", transform=ax.transAxes, ha="center", va="center", color="#9ca3af",
                fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        ax.legend(fontsize=7, frameon=False, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3,
                  borderaxespad=0.1, handlelength=1.2)


def draw_frame(frame: Any, layers: tuple[str, ...] = ("heat", "manifold", "real", "fake", "arrows"),
               curves: bool = True, size: float = 5.0) -> Any:
    """A Figure with the canvas and (``curves``) losses, D outputs and divergences: ``draw_frame(f)``."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size * (2.1 if curves else 1.0), size), layout="constrained")
    if curves:
        grid = fig.add_gridspec(3, 2, width_ratios=[1.0, 1.1])
        canvas = fig.add_subplot(grid[:, 0])
    else:
        canvas = fig.add_subplot()
    draw_canvas(canvas, frame, layers)
    cfg = frame.config
    tname = (cfg.get("target") or {}).get("name", "") if isinstance(cfg.get("target"), dict) else ""
    latest = frame.latest
    covered = latest.get("covered")
    cover = (f"   modes {int(covered)}/{latest['modes']}" if latest.get("modes") and covered == covered
             and covered is not None else "")
    canvas.set_title(f"{tname}   step {frame.step}   {cfg.get('loss', '')}{cover}", fontsize=10, color="#111827")
    if frame.phase:
        _draw_phase(canvas, frame.phase, size)
    outside = latest.get("outside") or 0.0
    if outside > 0:
        y, va = (0.02, "bottom") if frame.phase else (0.98, "top")  # the phase text sits at the top
        canvas.text(0.98, y, f"{outside:.0%} of generated points outside the view", transform=canvas.transAxes,
                    ha="right", va=va, fontsize=7.5, color=FAKE, zorder=10)
    if frame.message:
        text = textwrap.fill(frame.message, width=int(14 * size))
        canvas.text(0.02, 0.02, text, transform=canvas.transAxes, fontsize=7.5,
                    color="#7f1d1d" if frame.status in ("diverged", "error") else "#78350f", va="bottom",
                    bbox={"boxstyle": "round", "fc": "#fffbeb", "ec": "#f59e0b", "alpha": 0.95}, zorder=10)
    if curves:
        h, m = frame.history, frame.metrics
        step = h.get("step", [])
        _curve(fig.add_subplot(grid[0, 1]), step, {"D loss": (h.get("d_loss", []), REAL),
                                                   "G loss": (h.get("g_loss", []), FAKE)}, "losses")
        _curve(fig.add_subplot(grid[1, 1]), step, {"D(real)": (h.get("d_real", []), REAL),
                                                   "D(fake)": (h.get("d_fake", []), FAKE)}, "D's mean decision")
        ax = fig.add_subplot(grid[2, 1])
        _curve(ax, m.get("step", []), {"KL": (m.get("kl", []), "#2563eb"), "JS": (m.get("js", []), "#0891b2"),
                                       "MMD": (m.get("mmd", []), "#ea580c")}, "divergence (real vs generated)")
        ax.set_xlabel("step", fontsize=8)
    return fig
