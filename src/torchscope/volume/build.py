"""Building a :class:`Volume`: check the input (caller's thread), then reorient and measure it (anywhere).

The work is split for ``run.log_volume``: :func:`prepare` checks every argument and takes at most
one private copy of each array, cheaply enough for a training loop; :func:`finish` (on the writer
thread) reorients to RAS+, converts the dtype, computes statistics, presets, classes and Dice.
``ts.volume`` runs both at once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .inputs import Loaded, VolumeError, as_array, load, load_path, max_mb
from .record import PALETTE, Volume
from .stats import dice, focus, guess_modality, histogram, presets, statistics

__all__ = ["Prepared", "finish", "prepare", "volume"]


@dataclass
class Prepared:
    """Checked voxels (T, I, J, K) and overlays (I, J, K), in the source's voxel order, with its affine."""

    image: np.ndarray
    affine: np.ndarray
    t_kind: str | None
    title: str | None
    labels: np.ndarray | None
    pred: np.ndarray | None
    heat: np.ndarray | None

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.image, self.labels, self.pred, self.heat) if a is not None)


def _finite(arr: np.ndarray, name: str) -> None:
    if arr.dtype.kind != "f":
        return
    lo, hi = arr.min(), arr.max()  # NaN and inf propagate: two passes, no temporary array
    if not (np.isfinite(lo) and np.isfinite(hi)):
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        raise VolumeError(f"{name} has {bad:,} NaN or infinite voxels of {arr.size:,}; replace them first, "
                          f"e.g. np.nan_to_num({name}) or torch.nan_to_num({name})")


def _overlay_source(x: Any, name: str, sample: int) -> tuple[np.ndarray, np.ndarray | None]:
    """A label map or heat map as (array, its affine if it came from a file)."""
    if isinstance(x, (str, os.PathLike)):
        got = load_path(x)
        return got.data, got.affine
    mod = type(x).__module__
    if mod.startswith("torchio") or mod.startswith("nibabel"):
        got = load(x, name=name)
        return got.data, got.affine
    arr = as_array(x, name)
    if arr.ndim == 5:
        if not 0 <= sample < arr.shape[0]:
            raise VolumeError(f"sample={sample} is outside {name}'s batch of {arr.shape[0]}")
        arr = arr[sample]
    return arr, None


def _same_grid(arr: np.ndarray, grid: tuple[int, ...], name: str, affine: np.ndarray | None,
               image_affine: np.ndarray) -> np.ndarray:
    """(I, J, K) or (C, I, J, K) on the image's grid; a file's affine must match the image's."""
    if affine is not None and not np.allclose(affine, image_affine, atol=1e-3, rtol=1e-4):
        raise VolumeError(f"{name} is not on the volume's grid: its affine differs from the volume's "
                          f"(resample it onto the volume first)")
    if arr.ndim == 3 and arr.shape == grid:
        return arr[None]
    if arr.ndim == 4 and arr.shape[1:] == grid:
        return arr
    raise VolumeError(f"{name} has shape {tuple(arr.shape)} but the volume's voxels are {grid}; pass {grid} "
                      f"(or (1,) + {grid}, or (C,) + {grid} for one channel per class)")


def _label_map(x: Any, name: str, grid: tuple[int, ...], image_affine: np.ndarray, sample: int,
               copy: bool) -> np.ndarray:
    arr, affine = _overlay_source(x, name, sample)
    arr = _same_grid(arr, grid, name, affine, image_affine)
    if arr.shape[0] > 1:  # one channel per class (one-hot, logits, probabilities): the class of each voxel
        _finite(arr, name)
        return np.argmax(arr, axis=0).astype(np.uint8 if arr.shape[0] <= 256 else np.uint16)
    arr = arr[0]
    if arr.dtype == bool:
        return np.array(arr, dtype=np.uint8, copy=True) if copy else arr.view(np.uint8)
    if arr.dtype.kind == "f":
        _finite(arr, name)
        if not np.array_equal(arr, np.round(arr)):
            raise VolumeError(f"{name} must hold integer class ids (0 = background); it holds fractions "
                              f"(for probabilities pass one channel per class, or threshold them)")
    elif arr.dtype.kind not in "iu":
        raise VolumeError(f"{name} must hold integer class ids, got dtype {arr.dtype}")
    lo, hi = (int(arr.min()), int(arr.max()))
    if lo < 0:
        raise VolumeError(f"{name} holds negative class ids (as low as {lo}); class ids are 0 (background) "
                          f"to 65535")
    if hi > 65535:
        raise VolumeError(f"{name} holds class ids up to {hi}; at most 65535 are accepted")
    dtype = np.uint8 if hi < 256 else np.uint16
    if arr.dtype == dtype:
        return np.array(arr, copy=True) if copy else arr
    return arr.astype(dtype)  # a new array already


def _heat_map(x: Any, grid: tuple[int, ...], image_affine: np.ndarray, sample: int, copy: bool) -> np.ndarray:
    arr, affine = _overlay_source(x, "heat", sample)
    arr = _same_grid(arr, grid, "heat", affine, image_affine)
    if arr.shape[0] != 1:
        raise VolumeError(f"heat must be one map on the volume's grid {grid}, got {arr.shape[0]} channels")
    arr = arr[0]
    if arr.dtype.kind not in "biuf":
        raise VolumeError(f"heat must hold numbers, got dtype {arr.dtype}")
    _finite(arr, "heat")
    return np.array(arr, copy=True) if copy else arr


def prepare(vol: Any, *, labels: Any = None, pred: Any = None, heat: Any = None, affine: Any = None,
            spacing: Sequence[float] | None = None, sample: int = 0, copy: bool = False) -> Prepared:
    """Check every argument (clear errors naming it) and, with ``copy``, take one private copy of each array."""
    if not isinstance(sample, (int, np.integer)) or isinstance(sample, bool):
        raise VolumeError(f"sample must be an int (which item of a batch), got {sample!r}")
    loaded: Loaded = load(vol, affine=affine, spacing=spacing, sample=int(sample))
    image = loaded.data
    if image.dtype == bool:
        image = image.view(np.uint8)
    if image.size == 0 or 0 in image.shape:
        raise VolumeError(f"volume is empty (shape {tuple(image.shape)})")
    limit = max_mb()
    size = image.size * max(4, image.dtype.itemsize if image.dtype.kind != "f" else 4) / 2**20
    if size > limit:
        raise VolumeError(f"volume of shape {tuple(image.shape)} takes {size:,.0f} MiB, over the limit of "
                          f"{limit:,.0f} MiB; crop or downsample it, or raise $TORCHSCOPE_VOLUME_MAX_MB")
    if min(image.shape[1:]) < 1:
        raise VolumeError(f"volume has an empty axis: shape {tuple(image.shape)}")
    _finite(image, "volume")
    owned = isinstance(vol, (str, os.PathLike))
    if copy and not owned:
        image = np.array(image, copy=True)
    grid = tuple(int(s) for s in image.shape[1:])
    if labels is None and loaded.labels is not None:
        labels = loaded.labels
    lab = None if labels is None else _label_map(labels, "labels", grid, loaded.affine, sample, copy)
    prd = None if pred is None else _label_map(pred, "pred", grid, loaded.affine, sample, copy)
    ht = None if heat is None else _heat_map(heat, grid, loaded.affine, sample, copy)
    return Prepared(image, loaded.affine, loaded.t_kind, loaded.title, lab, prd, ht)


# -- reorientation ------------------------------------------------------------------------------
def _reorient(arr: np.ndarray, ornt: np.ndarray, lead: int) -> np.ndarray:
    """``arr``'s last three axes flipped and permuted as nibabel's ``ornt`` says (a view)."""
    for i, (_axis, flip) in enumerate(ornt):
        if flip == -1:
            arr = np.flip(arr, axis=lead + i)
    perm = np.argsort(ornt[:, 0])
    return arr.transpose(list(range(lead)) + [lead + int(p) for p in perm])


def _heat_uint8(heat: np.ndarray) -> tuple[np.ndarray, bool]:
    h = heat.astype(np.float32, copy=False)
    lo, hi = float(h.min()), float(h.max())
    if lo < 0:
        scale = max(abs(lo), abs(hi)) or 1.0
        return np.clip(np.round(h / scale * 127.5 + 127.5), 0, 255).astype(np.uint8), True
    scale = hi or 1.0
    return np.clip(np.round(h / scale * 255), 0, 255).astype(np.uint8), False


def _classes(lab: np.ndarray | None, prd: np.ndarray | None, class_names: Any) -> list[dict[str, Any]]:
    counts: dict[int, list[int]] = {}
    for i, arr in enumerate((lab, prd)):
        if arr is None:
            continue
        for c, n in enumerate(np.bincount(arr.ravel(order="K"))):  # memory order: no copy of a NIfTI volume
            if c and n:
                counts.setdefault(c, [0, 0])[i] = int(n)
    out = []
    for c in sorted(counts):
        if isinstance(class_names, Mapping):
            name = class_names.get(c, class_names.get(str(c), f"class {c}"))
        elif class_names is not None and c < len(class_names):
            name = class_names[c]
        else:
            name = f"class {c}"
        out.append({"id": c, "name": str(name), "color": PALETTE[(c - 1) % len(PALETTE)],
                    "voxels": counts[c][0], "pred_voxels": counts[c][1]})
    return out


def finish(p: Prepared, *, title: str | None = None, class_names: Any = None, modality: str | None = None,
           t_names: Sequence[str] | None = None, heat_method: str | None = None) -> Volume:
    """Reorient to RAS+ and measure: the record (no copy of the voxels until it is saved)."""
    import nibabel.orientations as nio

    grid = p.image.shape[1:]
    ornt = nio.io_orientation(p.affine)
    affine = p.affine @ nio.inv_ornt_aff(ornt, grid)
    source_axes = "".join(str(c) for c in nio.aff2axcodes(p.affine))
    image = p.image
    wide = image.dtype.kind in "iu" and image.dtype.itemsize > 2  # int32/64: float32 is exact to 2**24
    if wide or (image.dtype.kind == "f" and image.dtype != np.float32):
        image = image.astype(np.float32)
    image = _reorient(image, ornt, 1)
    lab = None if p.labels is None else _reorient(p.labels, ornt, 0)
    prd = None if p.pred is None else _reorient(p.pred, ornt, 0)
    heat, signed = (None, False) if p.heat is None else _heat_uint8(_reorient(p.heat, ornt, 0))
    stats = statistics(image)
    mod = guess_modality(stats, modality)
    pres, window = presets(stats, mod)
    classes = _classes(lab, prd, class_names)
    ids = [c["id"] for c in classes]
    dsc = dice(lab, prd, ids) if lab is not None and prd is not None else None
    n = image.shape[0]
    if t_names is not None:
        names = [str(s) for s in t_names]
        if len(names) != n:
            raise VolumeError(f"t_names has {len(names)} names for {n} volumes along the 4th axis")
    elif n > 1:
        names = [f"{'t' if p.t_kind == 'time' else 'channel'} {i}" for i in range(n)]
    else:
        names = []
    spacing = [float(v) for v in np.linalg.norm(affine[:3, :3], axis=0)]
    return Volume(image=image, affine=[[float(v) for v in row] for row in affine], spacing=spacing,
                  source_axes=source_axes, title=title or p.title, t_kind=p.t_kind if n > 1 else None,
                  t_names=names, modality=mod, stats=stats, histogram=histogram(image, stats), presets=pres,
                  window=window, labels=lab, pred=prd, heat=heat, heat_signed=signed, heat_method=heat_method,
                  classes=classes, dice=dsc, shape=[int(s) for s in image.shape], dtype=image.dtype.name,
                  focus=list(focus(lab, prd, heat, signed, tuple(image.shape[1:]))))


def volume(vol: Any, labels: Any = None, pred: Any = None, heat: Any = None, affine: Any = None, *,
           spacing: Sequence[float] | None = None, title: str | None = None, class_names: Any = None,
           modality: str | None = None, sample: int = 0, t_names: Sequence[str] | None = None,
           heat_method: str | None = None) -> Volume:
    """A volume ready to view: ``ts.volume("brain.nii.gz", labels="seg.nii.gz").figure()``.

    ``vol``: a NIfTI path (or other format nibabel reads), a DICOM folder, a nibabel image, a torchio
    image or Subject, a MONAI MetaTensor or dict batch, or an array/tensor (D,H,W), (C,D,H,W),
    (N,C,D,H,W) (``sample`` picks the batch item). ``labels`` (ground truth) and ``pred`` are class-id
    maps on the same grid (or one channel per class: the argmax is taken); ``heat`` is a map to
    overlay (an attribution). ``affine`` (4 x 4, voxel to world mm) or ``spacing`` (d, h, w mm) place
    an array in space. ``modality="CT"`` adds the CT window presets (guessed from Hounsfield-like
    values otherwise).
    """
    for name, value in (("title", title), ("modality", modality), ("heat_method", heat_method)):
        if value is not None and not isinstance(value, str):
            raise VolumeError(f"{name} must be a string, got {type(value).__name__}")
    return finish(prepare(vol, labels=labels, pred=pred, heat=heat, affine=affine, spacing=spacing, sample=sample),
                  title=title, class_names=class_names, modality=modality, t_names=t_names,
                  heat_method=heat_method)

