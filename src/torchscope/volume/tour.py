"""The tour's 3-D stage: a small segmentation net trained for seconds on a real head MRI.

The volume is nibabel's bundled T1 image (``anatomical.nii``); inside it we place synthetic
findings whose truth we know: bright spheres ("lesion", class 1) and dark cubes ("cyst", class
2) at random positions, so each training volume differs. A three-layer 3-D conv net learns to
segment them in a few seconds on two CPU cores; the run then holds the held-out volume with its
ground truth beside the prediction (Dice per class), a Grad-CAM of the "lesion" score, and the
training curves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from .stats import dice

__all__ = ["SegNet3D", "synthetic_findings", "tour_stage"]

CLASSES = ["background", "lesion", "cyst"]


class SegNet3D(nn.Module):
    """Three 3-D convolutions, 8 channels wide: logits (N, 3, D, H, W) for background, lesion, cyst."""

    def __init__(self, width: int = 8, classes: int = 3) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv3d(1, width, 3, padding=1), nn.ReLU(),
                                      nn.Conv3d(width, width, 3, padding=2, dilation=2), nn.ReLU())
        self.head = nn.Conv3d(width, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class ClassScore(nn.Module):
    """A segmentation net read as a classifier: each class's logit averaged over the volume (what Grad-CAM
    explains: which voxels raise the net's "lesion" evidence)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.net(x)
        return logits.mean(dim=(2, 3, 4))


def synthetic_findings(base: np.ndarray, rng: np.random.Generator, lesions: int = 2,
                       cysts: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``base`` (X, Y, Z) with bright spheres (class 1) and dark cubes (class 2) inside the head, and their labels."""
    img = base.astype(np.float32).copy()
    lab = np.zeros(base.shape, np.uint8)
    hi = float(np.percentile(base, 99.5))
    head = base > np.percentile(base, 40)
    grid = np.indices(base.shape)
    inside = np.argwhere(head[3:-3, 3:-3, 3:-3]) + 3
    for kind in [1] * lesions + [2] * cysts:
        cx, cy, cz = inside[rng.integers(len(inside))]
        r = float(rng.uniform(2.0, 3.5))
        if kind == 1:
            m = ((grid[0] - cx) ** 2 + (grid[1] - cy) ** 2 + (grid[2] - cz) ** 2) <= r * r
            img[m] = hi * rng.uniform(1.7, 1.9)
        else:
            s = int(round(r))
            m = np.zeros(base.shape, bool)
            m[max(cx - s, 0):cx + s, max(cy - s, 0):cy + s, max(cz - s, 0):cz + s] = True
            img[m] = hi * 0.05
        lab[m] = kind
    img += rng.normal(0, hi * 0.03, img.shape).astype(np.float32)
    return img, lab


def _soft_dice(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """1 - soft Dice of the finding classes (what makes rare classes learnable in a few steps)."""
    p = logits.softmax(1)[:, 1:]
    t = nn.functional.one_hot(y, logits.shape[1]).permute(0, 4, 1, 2, 3)[:, 1:].float()
    inter, total = (p * t).sum((0, 2, 3, 4)), p.sum((0, 2, 3, 4)) + t.sum((0, 2, 3, 4))
    return (1 - (2 * inter + 1) / (total + 1)).mean()


def _dice(pred: torch.Tensor, lab: torch.Tensor) -> dict[str, float]:
    """Dice of the lesion and cyst classes (the volume record's own measure)."""
    d = dice(lab.numpy(), pred.numpy(), [1, 2])
    return {"dice_lesion": d["1"], "dice_cyst": d["2"]}


def tour_stage(run: Any, *, seed: int = 0, quick: bool = False) -> dict[str, float]:
    """Train the net on synthetic findings in the bundled MRI and log the Volumes stage into ``run``."""
    import torchscope as ts

    from .examples import example_volume

    base = example_volume()
    background = base.image[0]
    scale = float(np.percentile(background, 99.5)) or 1.0
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    n_train, steps = (5, 45) if quick else (10, 100)
    pairs = [synthetic_findings(background, rng) for _ in range(n_train + 1)]
    x = torch.from_numpy(np.stack([p[0] for p in pairs]) / scale)[:, None].float()
    y = torch.from_numpy(np.stack([p[1] for p in pairs])).long()
    xtr, ytr, xte, yte = x[:-1], y[:-1], x[-1:], y[-1:]
    net = SegNet3D()
    opt = torch.optim.Adam(net.parameters(), lr=2e-2)
    weight = torch.tensor([0.02, 1.0, 1.0])  # findings are 1 voxel in 200: weight them up
    for step in range(steps):
        i = torch.from_numpy(rng.choice(n_train, size=2, replace=False))
        out = net(xtr[i])
        loss = nn.functional.cross_entropy(out, ytr[i], weight=weight) + _soft_dice(out, ytr[i])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 5 == 4 or step == steps - 1:
            with torch.no_grad():
                pred = net(xte).argmax(1)
            run.log({"seg/loss": float(loss.detach()), **{f"seg/{k}": v for k, v in _dice(pred, yte).items()}},
                    step=step)
    with torch.no_grad():
        pred = net(xte).argmax(1)[0].numpy().astype(np.uint8)
    affine = np.asarray(base.affine)
    test_img = pairs[-1][0]
    run.log_volume("volumes/segmentation", test_img, labels=pairs[-1][1], pred=pred, affine=affine,
                   title="T1 MRI with synthetic findings: truth vs prediction", class_names=CLASSES, step=steps,
                   modality="MR")
    cam = ts.explain(ClassScore(net), xte, method="gradcam", target=1, layer=net.features[2])
    run.log_volume("volumes/gradcam", test_img, heat=cam.heat_map(0), labels=pairs[-1][1], affine=affine,
                   title="Grad-CAM of the lesion score", class_names=CLASSES, heat_method="gradcam", step=steps,
                   modality="MR")
    run.log_volume("volumes/mri-4d", ts.data.example_volume_path("example4d"), title="functional MRI, 2 time points",
                   step=steps, modality="MR")
    return _dice(torch.from_numpy(pred), yte[0])
