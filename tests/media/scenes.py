"""Small media scenes the Media panel's tests log: a bouncing ball, a batch of pulsing squares, a stereo
chirp, a coloured torus as points and as a mesh."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import torchscope as ts


def ball(t: int = 40, size: int = 64, color: tuple[float, float, float] = (1.0, 0.4, 0.1)) -> np.ndarray:
    """``t x 3 x size x size`` floats: a ball bouncing left to right over a dark gradient."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    frames = np.zeros((t, 3, size, size), np.float32)
    frames[:] = (yy / size * 0.25)[None, None]
    for i in range(t):
        cx = 8 + (size - 16) * abs((i / (t - 1)) * 2 - 1 if i else 1)  # right, then back
        cy = size / 2 + (size / 3) * np.sin(i / t * 2 * np.pi)
        inside = (xx - cx) ** 2 + (yy - cy) ** 2 < 36
        for c in range(3):
            frames[i, c][inside] = color[c]
    return frames


def squares(n: int = 4, t: int = 12, size: int = 20) -> np.ndarray:
    """``n x t x 1 x size x size`` uint8: squares growing at different rates."""
    out = np.zeros((n, t, 1, size, size), np.uint8)
    for b in range(n):
        for i in range(t):
            r = 1 + (i * (b + 1)) % (size // 2)
            out[b, i, 0, size // 2 - r:size // 2 + r, size // 2 - r:size // 2 + r] = 255 - 40 * b
    return out


def chirp(rate: int = 16000, seconds: float = 1.5) -> np.ndarray:
    """``2 x L`` floats: a rising chirp on the left, a steady 440 Hz tone on the right."""
    t = np.arange(int(rate * seconds)) / rate
    left = 0.6 * np.sin(2 * np.pi * (200 * t + 1200 * t ** 2))
    right = 0.3 * np.sin(2 * np.pi * 440 * t)
    return np.stack([left, right]).astype(np.float32)


def torus(nu: int = 48, nv: int = 24) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vertices N x 3, faces F x 3, colours N x 3 uint8) of a torus coloured by angle."""
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, nu, endpoint=False), np.linspace(0, 2 * np.pi, nv, endpoint=False),
                       indexing="ij")
    xyz = np.stack([(2 + np.cos(v)) * np.cos(u), np.sin(v), (2 + np.cos(v)) * np.sin(u)], -1).reshape(-1, 3)
    i, j = np.meshgrid(np.arange(nu), np.arange(nv), indexing="ij")
    a, b = i * nv + j, ((i + 1) % nu) * nv + j
    c, d = ((i + 1) % nu) * nv + (j + 1) % nv, i * nv + (j + 1) % nv
    faces = np.concatenate([np.stack([a, b, c], -1).reshape(-1, 3), np.stack([a, c, d], -1).reshape(-1, 3)])
    hue = (u / (2 * np.pi)).reshape(-1)
    rgb = np.stack([0.5 + 0.5 * np.cos(2 * np.pi * (hue + k / 3)) for k in range(3)], -1)
    return xyz.astype(np.float32), faces.astype(np.int64), (rgb * 255).astype(np.uint8)


def fill(dir: Path) -> str:
    """One run with every kind of media (two steps of the ball); returns its id."""
    run = ts.init(project="media", name="media-demo", dir=dir)
    run.log_video("rollout", ball(), step=0, fps=10, caption="the ball at step 0")
    run.log_video("rollout", ball(color=(0.2, 0.8, 1.0)), step=10, fps=10, caption="the ball at step 10")
    run.log_video("squares", squares(), step=10, fps=4, format="png")
    run.log_audio("chirp", chirp(), step=10, sample_rate=16000, caption="left: chirp, right: 440 Hz")
    xyz, faces, rgb = torus()
    rng = np.random.default_rng(0)
    run.log_points("cloud", xyz + rng.normal(0, 0.05, xyz.shape), step=10, colors=rgb)
    run.log_points("torus", xyz, step=10, faces=faces, colors=rgb)
    run.finish()
    return run.id
