"""Volumes as people have them, turned into one layout: (T, I, J, K) voxels and a 4 x 4 affine.

Sources: a path (NIfTI ``.nii``/``.nii.gz`` and what else nibabel reads; a DICOM series as a folder
or a list of ``.dcm`` files, through pydicom), a nibabel image, a torchio ``ScalarImage`` /
``LabelMap`` / ``Subject``, a MONAI ``MetaTensor`` or dict batch, numpy arrays and torch tensors.

Two conventions meet here, and each source keeps its own:

- **With an affine** (files, nibabel, torchio, MONAI, or ``affine=``): the array's last three axes
  are the affine's voxel axes (i, j, k). Files and nibabel images put time last (``x, y, z, t``);
  tensors (torchio, MONAI) put channels first (``c, i, j, k``), as those libraries do.
- **Without**: arrays and tensors are PyTorch's ``(D, H, W)``, ``(C, D, H, W)`` or
  ``(N, C, D, H, W)``. They get an affine that shows axial slice ``d`` exactly as ``imshow(a[d])``
  would (``H`` down, ``W`` across, ``D`` upwards), with ``spacing=(d, h, w)`` millimetres.

Nothing here copies voxels except where the source forces it (a tensor on a GPU, a DICOM series
stacked); the caller decides about the one private copy (``log_volume`` takes it).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..data.dataset import DataError

__all__ = ["Loaded", "VolumeError", "as_array", "load", "max_mb", "raw_affine"]


class VolumeError(DataError):
    """A volume, label map or heat map that cannot be shown: says which argument, and what is accepted."""


@dataclass
class Loaded:
    """Voxels (T, I, J, K) in the source's order with the affine that places them, and what the 4th axis is."""

    data: np.ndarray
    affine: np.ndarray
    t_kind: str | None = None  # "time" | "channel" | None (one volume)
    title: str | None = None
    labels: Any = None  # a label map that came with the source (a torchio Subject's LabelMap, a MONAI "label")


def max_mb() -> float:
    """The most MiB one volume's voxels may take (``$TORCHSCOPE_VOLUME_MAX_MB``, default 2048)."""
    raw = os.environ.get("TORCHSCOPE_VOLUME_MAX_MB", "").strip()
    try:
        value = float(raw) if raw else 2048.0
    except ValueError:
        raise VolumeError(f"$TORCHSCOPE_VOLUME_MAX_MB must be a number of MiB, got {raw!r}") from None
    return value


def _describe(x: Any) -> str:
    shape = tuple(getattr(x, "shape", ()))
    return f"{type(x).__name__} of shape {shape} and dtype {getattr(x, 'dtype', '?')}"


def as_array(x: Any, name: str, *, copy: bool = False) -> np.ndarray:
    """A numpy view of an array or tensor (a private copy when ``copy``); other types are refused."""
    if isinstance(x, np.ndarray):
        return np.array(x, copy=True) if copy else x
    mod = type(x).__module__
    if mod.startswith("torch") or hasattr(x, "detach"):
        t = x.detach()
        if t.is_complex():
            raise VolumeError(f"{name}: complex tensors cannot be shown; pass the magnitude (x.abs())")
        if str(t.dtype) in ("torch.bfloat16", "torch.float16"):
            t = t.float()  # a copy already
            copy = False
        if t.device.type != "cpu":
            return np.asarray(t.cpu().numpy())  # the device-to-host transfer is the copy
        arr = t.numpy()
        return np.array(arr, copy=True) if copy else arr
    if isinstance(x, (list, tuple)) and x and all(isinstance(v, (int, float)) for v in np.ravel(np.asarray(x))):
        return np.asarray(x)
    raise VolumeError(f"{name} must be a numpy array, a torch tensor, a NIfTI/DICOM path, a nibabel image or a "
                      f"torchio image; got {type(x).__name__}")


def raw_affine(spacing: Sequence[float] | None) -> np.ndarray:
    """The affine of a PyTorch (D, H, W) array: axial slice ``d`` shows as ``a[d]`` (H down, W across)."""
    sd, sh, sw = _spacing(spacing)
    aff = np.zeros((4, 4))
    aff[0, 2], aff[1, 1], aff[2, 0], aff[3, 3] = -sw, -sh, sd, 1.0
    return aff


def _spacing(spacing: Sequence[float] | None) -> tuple[float, float, float]:
    if spacing is None:
        return 1.0, 1.0, 1.0
    try:
        values = tuple(float(s) for s in spacing)
    except (TypeError, ValueError):
        raise VolumeError(f"spacing must be three numbers in millimetres (d, h, w), got {spacing!r}") from None
    if len(values) != 3 or not all(np.isfinite(v) and v > 0 for v in values):
        raise VolumeError(f"spacing must be three positive finite numbers in millimetres (d, h, w), got {spacing!r}")
    return values  # type: ignore[return-value]


def check_affine(affine: Any) -> np.ndarray:
    """A finite, invertible 4 x 4 (or 3 x 4) voxel-to-world matrix."""
    try:
        a = np.asarray(as_array(affine, "affine") if not isinstance(affine, (list, tuple)) else affine, dtype=float)
    except (TypeError, ValueError):
        raise VolumeError(f"affine must be a 4 x 4 matrix of numbers, got {type(affine).__name__}") from None
    if a.ndim == 3 and a.shape[0] == 1:
        a = a[0]
    if a.shape == (3, 4):
        a = np.vstack([a, [0, 0, 0, 1]])
    if a.shape != (4, 4) or not np.isfinite(a).all():
        raise VolumeError(f"affine must be a finite 4 x 4 voxel-to-world matrix, got shape {a.shape}")
    if abs(np.linalg.det(a[:3, :3])) < 1e-12:
        raise VolumeError("affine is singular (its 3 x 3 part has no inverse): it cannot place voxels in space")
    return a


# -- files ---------------------------------------------------------------------------------------
def _nibabel() -> Any:
    try:
        import nibabel
    except ImportError as exc:  # a core dependency; an environment that removed it
        raise VolumeError("reading NIfTI files needs nibabel: pip install nibabel") from exc
    return nibabel


def _dicom_files(path: Path) -> list[Path]:
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")) if path.is_dir() \
        else [path]
    return files


def _load_dicom(files: list[Path]) -> Loaded:
    try:
        import pydicom
    except ImportError:
        raise VolumeError("reading DICOM needs pydicom: pip install 'torchscope[dicom]'") from None
    slices = []
    for f in files:
        try:
            ds = pydicom.dcmread(str(f))
            pixels = ds.pixel_array
        except Exception as exc:
            raise VolumeError(f"{f}: not a readable DICOM image ({type(exc).__name__}: {exc})") from exc
        slices.append((ds, pixels))
    if not slices:
        raise VolumeError("the DICOM folder holds no files")
    shapes = {p.shape for _, p in slices}
    if len(shapes) != 1:
        raise VolumeError(f"the DICOM series mixes image sizes {sorted(shapes)}; pass the files of one series")
    ds0 = slices[0][0]
    ori = np.array([float(v) for v in getattr(ds0, "ImageOrientationPatient", [1, 0, 0, 0, 1, 0])])
    row, col = ori[:3], ori[3:]
    normal = np.cross(row, col)
    pos = [np.array([float(v) for v in getattr(d, "ImagePositionPatient", [0, 0, i])]) for i, (d, _) in
           enumerate(slices)]
    order = np.argsort([float(p @ normal) for p in pos])
    slices = [slices[i] for i in order]
    pos = [pos[i] for i in order]
    dr, dc = (float(v) for v in getattr(ds0, "PixelSpacing", [1, 1]))
    dz = float(np.linalg.norm(pos[1] - pos[0])) if len(pos) > 1 else float(getattr(ds0, "SliceThickness", 1) or 1)
    vox = np.stack([p for _, p in slices]).astype(np.float32)  # (k, rows, cols)
    slope = float(getattr(ds0, "RescaleSlope", 1) or 1)
    intercept = float(getattr(ds0, "RescaleIntercept", 0) or 0)
    if slope != 1 or intercept != 0:
        vox = vox * slope + intercept
    data = np.transpose(vox, (2, 1, 0))  # (i = column, j = row, k = slice)
    lps = np.eye(4)
    lps[:3, 0], lps[:3, 1], lps[:3, 2], lps[:3, 3] = row * dc, col * dr, normal * (dz or 1.0), pos[0]
    ras = np.diag([-1.0, -1.0, 1.0, 1.0]) @ lps  # DICOM's patient space is LPS
    modality = str(getattr(ds0, "Modality", "")) or None
    return Loaded(data[None], ras, None, f"DICOM {modality or ''} ({len(slices)} slices)".replace("  ", " "))


def load_path(path: str | os.PathLike[str]) -> Loaded:
    """A NIfTI (or other nibabel) file, or a DICOM series (folder or file)."""
    p = Path(path)
    if not p.exists():
        raise VolumeError(f"{p}: no such file or folder")
    limit = max_mb()
    lower = p.name.lower()
    if p.is_dir() or lower.endswith((".dcm", ".dicom")):
        return _load_dicom(_dicom_files(p))
    nib = _nibabel()
    try:
        img = nib.load(str(p))
    except Exception as exc:
        raise VolumeError(f"{p}: not a readable volume ({type(exc).__name__}: {exc}); NIfTI (.nii, .nii.gz) and "
                          f"the other formats nibabel reads are accepted, DICOM as a folder of .dcm files") from exc
    nbytes = int(np.prod(img.shape)) * 4
    if nbytes > limit * 2**20:
        raise VolumeError(f"{p}: {nbytes / 2**20:.0f} MiB of voxels is over the limit of {limit:.0f} MiB; "
                          f"raise $TORCHSCOPE_VOLUME_MAX_MB to load it")
    loaded = from_nibabel(img, str(p))
    loaded.title = p.name
    return loaded


def from_nibabel(img: Any, name: str = "image") -> Loaded:
    """A nibabel image: voxels (i, j, k[, t]) scaled as the header says, and its affine."""
    try:
        data = np.asanyarray(img.dataobj)
    except Exception as exc:  # a truncated or corrupt file shows here, when the voxels are read
        raise VolumeError(f"{name}: the voxels cannot be read ({type(exc).__name__}: {exc}); "
                          f"the file is damaged or truncated") from exc
    if data.dtype.kind not in "biuf":
        raise VolumeError(f"{name}: voxels of type {data.dtype} cannot be shown (RGB or complex NIfTI)")
    affine = img.affine if img.affine is not None else np.eye(4)
    if data.ndim == 3:
        return Loaded(data[None], check_affine(affine))
    if data.ndim == 4:
        return Loaded(np.moveaxis(data, 3, 0), check_affine(affine), "time")
    if data.ndim == 5 and data.shape[3] == 1:
        return Loaded(np.moveaxis(data[:, :, :, 0, :], 3, 0), check_affine(affine), "channel")
    raise VolumeError(f"{name}: a {data.ndim}-D image of shape {data.shape}; 3-D and 4-D volumes are accepted")


def _torchio_image(x: Any) -> bool:
    return any(c.__module__.startswith("torchio") and c.__name__ in ("Image", "ScalarImage", "LabelMap")
               for c in type(x).__mro__)


def _torchio_subject(x: Any) -> bool:
    return any(c.__module__.startswith("torchio") and c.__name__ == "Subject" for c in type(x).__mro__)


def _from_subject(subject: Any) -> Loaded:
    images = [(k, v) for k, v in subject.items() if _torchio_image(v)]
    scalar = [(k, v) for k, v in images if type(v).__name__ != "LabelMap"]
    labels = [(k, v) for k, v in images if type(v).__name__ == "LabelMap"]
    if not scalar and not labels:
        raise VolumeError("the torchio Subject holds no image")
    key, img = (scalar or labels)[0]
    loaded = Loaded(np.asarray(img.data), check_affine(img.affine), "channel" if img.data.shape[0] > 1 else None,
                    str(key))
    if labels and scalar:
        loaded.labels = np.asarray(labels[0][1].data)
    return loaded


def load(x: Any, *, affine: Any = None, spacing: Sequence[float] | None = None, sample: int = 0,
         name: str = "volume") -> Loaded:
    """Any accepted source as :class:`Loaded` (see the module docstring for the layouts)."""
    if isinstance(x, (str, os.PathLike)):
        if affine is not None or spacing is not None:
            raise VolumeError(f"{name}: a file carries its own affine; affine= and spacing= are for arrays")
        return load_path(x)
    if isinstance(x, (list, tuple)) and x and all(isinstance(p, (str, os.PathLike)) for p in x):
        return _load_dicom([Path(p) for p in x])
    mod = type(x).__module__
    if mod.startswith("nibabel"):
        return from_nibabel(x, name)
    if _torchio_subject(x):
        return _from_subject(x)
    if _torchio_image(x):
        data = np.asarray(x.data)
        return Loaded(data, check_affine(x.affine), "channel" if data.shape[0] > 1 else None)
    if isinstance(x, dict):  # a MONAI-style dict batch: {"image": ..., "label": ...}
        key = next((k for k in ("image", "img", "images", "input") if k in x), None)
        if key is None:
            raise VolumeError(f"{name}: a dict needs an 'image' entry (MONAI style), got keys {sorted(map(str, x))}")
        loaded = load(x[key], affine=affine, spacing=spacing, sample=sample, name=f"{name}['{key}']")
        for lk in ("label", "labels", "seg", "mask"):
            if lk in x:
                loaded.labels = x[lk]
                break
        return loaded
    meta_affine = getattr(x, "affine", None) if mod.startswith("monai") else None
    arr = as_array(x, name)
    if meta_affine is not None and affine is None:  # a MONAI MetaTensor: (C, i, j, k) or (N, C, i, j, k)
        affine = np.asarray(as_array(meta_affine, "affine"), dtype=float)
        if affine.ndim == 3:
            affine = affine[min(sample, len(affine) - 1)]
    return from_array(arr, affine=affine, spacing=spacing, sample=sample, name=name)


def spatial(arr: np.ndarray, name: str, sample: int = 0) -> tuple[np.ndarray, str | None]:
    """(T, a, b, c) from (a, b, c), (C, a, b, c) or (N, C, a, b, c) (sample ``sample`` of a batch)."""
    if arr.size == 0:
        raise VolumeError(f"{name} is empty ({_describe(arr)})")
    if arr.ndim == 3:
        return arr[None], None
    if arr.ndim == 4:
        return arr, "channel" if arr.shape[0] > 1 else None
    if arr.ndim == 5:
        if not 0 <= sample < arr.shape[0]:
            raise VolumeError(f"sample={sample} is outside the batch of {arr.shape[0]} ({name} {arr.shape})")
        return arr[sample], "channel" if arr.shape[1] > 1 else None
    raise VolumeError(f"{name} must be 3-D (D,H,W), 4-D (C,D,H,W) or 5-D (N,C,D,H,W); got {_describe(arr)}")


def from_array(arr: np.ndarray, *, affine: Any = None, spacing: Sequence[float] | None = None, sample: int = 0,
               name: str = "volume") -> Loaded:
    if arr.dtype == bool:
        arr = arr.view(np.uint8)
    if arr.dtype.kind not in "biuf":
        raise VolumeError(f"{name}: voxels of type {arr.dtype} cannot be shown; pass numbers")
    data, t_kind = spatial(arr, name, sample)
    if affine is not None:
        if spacing is not None:
            raise VolumeError("pass affine= or spacing=, not both: the affine holds the spacing")
        return Loaded(data, check_affine(affine), t_kind)
    return Loaded(data, raw_affine(spacing), t_kind)
