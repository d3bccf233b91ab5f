"""ts.volume on real files (nibabel's bundled examples, a DICOM pair), arrays and tensors: orientation,
spacing, overlays, Dice, the TSV1 planes and every refusal, each naming what was wrong."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch

import torchscope as ts
from torchscope.volume import VolumeError
from torchscope.volume.slicing import decode, display_extent, slice_bytes, volume_bytes

DATA = Path(nib.__file__).parent / "tests" / "data"


def test_anatomical_is_reoriented_to_ras_exactly() -> None:
    img = nib.load(str(DATA / "anatomical.nii"))
    canon = nib.as_closest_canonical(img)
    vol = ts.data.example_volume()
    assert vol.source_axes == "".join(nib.aff2axcodes(img.affine)) != "RAS"  # a real reorientation happened
    np.testing.assert_array_equal(vol.image[0], np.asarray(canon.dataobj).astype(np.float32))
    np.testing.assert_allclose(vol.affine, canon.affine, atol=1e-5)
    np.testing.assert_allclose(vol.spacing, canon.header.get_zooms()[:3], rtol=1e-5)
    assert vol.title == "anatomical.nii" and vol.t_kind is None
    assert vol.stats["min"] == float(np.min(canon.dataobj)) and vol.stats["max"] == float(np.max(canon.dataobj))
    assert sum(vol.histogram["counts"]) == int(np.prod(img.shape))


def test_4d_series_keeps_time() -> None:
    img = nib.load(str(DATA / "example4d.nii.gz"))
    canon = nib.as_closest_canonical(img)
    vol = ts.data.example_volume("example4d")
    assert vol.shape == [2, *canon.shape[:3]] and vol.t_kind == "time" and vol.t_names == ["t 0", "t 1"]
    np.testing.assert_array_equal(vol.image[1], np.asarray(canon.dataobj)[..., 1].astype(np.float32))
    assert vol.spacing[2] == pytest.approx(canon.header.get_zooms()[2], rel=1e-5)


def test_pytorch_array_axial_slice_shows_as_imshow() -> None:
    a = np.random.default_rng(0).random((6, 7, 9)).astype(np.float32)  # (D, H, W)
    vol = ts.volume(torch.from_numpy(a), spacing=(3.0, 1.0, 0.5))
    assert vol.shape == [1, 9, 7, 6] and vol.spacing == [0.5, 1.0, 3.0]
    for d in (0, 4):
        np.testing.assert_array_equal(vol.plane("axial", d), a[d])
    # coronal and sagittal: superior (last d) on top
    np.testing.assert_array_equal(vol.plane("coronal", vol.shape[2] - 1 - 2), a[::-1, 2, :])
    np.testing.assert_array_equal(vol.plane("sagittal", vol.shape[1] - 1 - 3), a[::-1, :, 3])
    assert display_extent(vol, "coronal") == (9 * 0.5, 6 * 3.0)  # millimetres: anisotropic voxels look right


def test_world_orientation_of_a_file(tmp_path: Path) -> None:
    """A voxel placed at the subject's right-anterior-superior corner shows top-left in the axial plane
    (radiological), whatever order the file stores its axes in (here LPI, 0.5 x 0.5 x 4 mm)."""
    data = np.zeros((10, 12, 5), np.float32)
    affine = np.diag([-0.5, -0.5, -4.0, 1.0])  # i -> left, j -> posterior, k -> inferior
    data[0, 0, 0] = 100.0  # lowest i, j, k: most right, most anterior, most superior
    nib.save(nib.Nifti1Image(data, affine), tmp_path / "lpi.nii.gz")
    vol = ts.volume(tmp_path / "lpi.nii.gz")
    assert vol.source_axes == "LPI" and vol.spacing == [0.5, 0.5, 4.0]
    top = vol.shape[3] - 1
    axial = vol.plane("axial", top)
    assert axial[0, 0] == 100.0 and axial.sum() == 100.0
    x, y, z = (int(v) for v in np.argwhere(vol.image[0] == 100.0)[0])
    world = vol.world(x, y, z)
    np.testing.assert_allclose(world, affine[:3, :3] @ [0, 0, 0] + affine[:3, 3])


def test_dicom_series(tmp_path: Path) -> None:
    pydicom = pytest.importorskip("pydicom")
    series = tmp_path / "series"
    series.mkdir()
    for name in ("0.dcm", "1.dcm"):
        shutil.copy(DATA / name, series / name)
    vol = ts.data.load_volume(series)
    pixels = [pydicom.dcmread(str(series / n)).pixel_array for n in ("0.dcm", "1.dcm")]
    assert vol.shape[0] == 1 and sorted(vol.shape[1:]) == sorted([*pixels[0].shape, 2])
    assert vol.stats["max"] == pytest.approx(float(max(p.max() for p in pixels)), rel=1e-6)


def test_labels_pred_dice_and_classes() -> None:
    a = np.zeros((20, 20, 20), np.float32)
    labels = np.zeros((20, 20, 20), np.uint8)
    pred = np.zeros_like(labels)
    labels[5:15, 5:15, 5:15] = 1  # 1000 voxels
    pred[5:15, 5:15, 7:17] = 1  # 1000 voxels, 800 shared
    labels[0:2, 0:2, 0:2] = 2  # 8 voxels, never predicted
    onehot = np.stack([pred == 0, pred == 1]).astype(np.float32)  # one channel per class: argmax taken
    vol = ts.volume(a, labels=labels, pred=torch.from_numpy(onehot)[None], class_names=["bg", "tumour", "cyst"])
    assert vol.dice == {"1": pytest.approx(2 * 800 / 2000), "2": 0.0}
    assert [(c["id"], c["name"], c["voxels"], c["pred_voxels"]) for c in vol.classes] == \
        [(1, "tumour", 1000, 1000), (2, "cyst", 8, 0)]
    assert vol.classes[0]["color"] != vol.classes[1]["color"]


def test_heat_map_signed_and_unsigned() -> None:
    a = np.ones((4, 5, 6), np.float32)
    heat = np.zeros((4, 5, 6), np.float32)
    heat[1, 2, 3], heat[2, 2, 2] = 2.0, -1.0
    vol = ts.volume(a, heat=heat, heat_method="gradcam")
    assert vol.heat_signed and vol.heat_method == "gradcam"
    plane = vol.plane("axial", 1, layer="heat")
    assert plane[2, 3] == 255 and plane[0, 0] == 128
    pos = ts.volume(a, heat=np.abs(heat))
    assert not pos.heat_signed and pos.plane("axial", 1, layer="heat")[2, 3] == 255


def test_ct_presets_from_hounsfield_values() -> None:
    a = np.full((8, 8, 8), -1000.0, np.float32)
    a[2:6, 2:6, 2:6] = 40.0
    a[3, 3, 3] = 1500.0
    vol = ts.volume(a)
    names = [p["name"] for p in vol.presets]
    assert vol.modality == "CT" and {"CT brain", "CT lung", "CT bone", "CT soft tissue"} <= set(names)
    assert next(p for p in vol.presets if p["name"] == "CT brain") == {"name": "CT brain", "center": 40.0,
                                                                       "width": 80.0}
    mr = ts.volume(np.random.default_rng(1).random((8, 8, 8)))
    assert mr.modality is None and not any(n.startswith("CT") for n in (p["name"] for p in mr.presets))
    noisy = np.random.default_rng(1).normal(9000, 450, (16, 16, 16)).astype(np.float32)  # MR noise dips to -1000
    noisy[0, 0, :3] = -990.0
    assert ts.volume(noisy).modality is None
    assert ts.volume(noisy, modality="MR").modality == "MR"


def test_tsv1_planes_and_volume() -> None:
    rng = np.random.default_rng(2)
    a = (rng.random((30, 40, 50)) * 1000 - 200).astype(np.float32)
    labels = (a > 600).astype(np.uint8)
    vol = ts.volume(a, labels=labels)
    header, layers = decode(slice_bytes(vol, "axial", 7, 0, 512))
    assert header["shape"] == [50, 40] and header["stride"] == [1, 1] and set(layers) == {"image", "labels"}
    spec = header["layers"][0]
    values = spec["lo"] + layers["image"].astype(np.float64) * (spec["hi"] - spec["lo"]) / 65535
    np.testing.assert_allclose(values, vol.image[0, :, :, 7], atol=(spec["hi"] - spec["lo"]) / 65535)
    np.testing.assert_array_equal(layers["labels"], vol.labels[:, :, 7])
    header, layers = decode(slice_bytes(vol, "sagittal", 3, 0, 16))  # 40 x 30 at most 16 px: stride 3
    assert header["stride"] == [3, 3] and header["shape"] == [14, 10]
    header, layers = decode(volume_bytes(vol, 0, 20))
    assert header["shape"] == [17, 14, 10] and header["stride"] == [3, 3, 3]
    assert all(spec["offset"] % 8 == 0 for spec in header["layers"])


def test_figure_draws_planes_and_overlay(tmp_path: Path) -> None:
    from PIL import Image

    a = np.random.default_rng(3).random((16, 16, 16)).astype(np.float32)
    labels = np.zeros((16, 16, 16), np.uint8)
    labels[4:12, 4:12, 4:12] = 1
    path = ts.volume(a, labels=labels, pred=labels).save(tmp_path / "v.png")
    px = np.asarray(Image.open(path).convert("RGB")).astype(int)
    red = (px[..., 0] > 180) & (px[..., 1] < 120) & (px[..., 2] < 120)  # class 1 is red, blended
    assert red.sum() > 200


BAD = [
    (lambda: ts.volume(np.zeros((4, 4))), "3-D (D,H,W), 4-D (C,D,H,W) or 5-D"),
    (lambda: ts.volume(np.zeros((2, 2, 2, 2, 2, 2))), "must be 3-D"),
    (lambda: ts.volume(np.zeros((0, 4, 4))), "empty"),
    (lambda: ts.volume(np.zeros((4, 4, 4)), labels=np.zeros((4, 4, 5))), "labels has shape (4, 4, 5)"),
    (lambda: ts.volume(np.zeros((4, 4, 4)), labels=np.full((4, 4, 4), 0.5)), "labels must hold integer"),
    (lambda: ts.volume(np.zeros((4, 4, 4)), pred=-np.ones((4, 4, 4), int)), "pred holds negative"),
    (lambda: ts.volume(np.full((4, 4, 4), np.nan)), "volume has 64 NaN or infinite voxels"),
    (lambda: ts.volume(np.zeros((4, 4, 4)), heat=np.full((4, 4, 4), np.inf)), "heat has 64 NaN"),
    (lambda: ts.volume(np.zeros((4, 4, 4), complex)), "cannot be shown"),
    (lambda: ts.volume("no/such/file.nii.gz"), "no such file"),
    (lambda: ts.volume({"label": np.zeros((4, 4, 4))}), "needs an 'image' entry"),
    (lambda: ts.volume(np.zeros((4, 4, 4)), affine=np.zeros((4, 4))), "singular"),
    (lambda: ts.volume(np.zeros((4, 4, 4)), spacing=(1, 0, 1)), "spacing must be three positive"),
    (lambda: ts.volume(np.zeros((2, 1, 4, 4, 4)), sample=5), "sample=5 is outside"),
    (lambda: ts.volume(object()), "must be a numpy array, a torch tensor, a NIfTI/DICOM path"),
]


@pytest.mark.parametrize("call,message", BAD, ids=[m[:24] for _, m in BAD])
def test_bad_input_says_what_and_why(call: object, message: str) -> None:
    with pytest.raises(VolumeError) as info:
        call()  # type: ignore[operator]
    assert message in str(info.value)


def test_corrupt_and_truncated_files(tmp_path: Path) -> None:
    good = (DATA / "example4d.nii.gz").read_bytes()
    (tmp_path / "cut.nii.gz").write_bytes(good[: len(good) // 2])
    (tmp_path / "junk.nii.gz").write_bytes(gzip.compress(b"not a nifti header" * 30))
    for name in ("cut.nii.gz", "junk.nii.gz"):
        with pytest.raises(VolumeError) as info:
            ts.volume(tmp_path / name)
        assert name in str(info.value)


def test_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCHSCOPE_VOLUME_MAX_MB", "0.1")
    with pytest.raises(VolumeError, match=r"over the limit of 0 MiB.*TORCHSCOPE_VOLUME_MAX_MB"):
        ts.volume(np.zeros((64, 64, 64), np.float32))
    with pytest.raises(VolumeError, match="over the limit"):
        ts.data.example_volume("example4d")
