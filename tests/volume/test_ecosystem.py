"""torchio and MONAI objects go straight into ts.volume, keeping their affines (both are in the dev
environment; a machine without them skips these, as a user without them never meets them)."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
import torch

import torchscope as ts

PATH = ts.data.example_volume_path()


def test_torchio_subject_image_and_label_map() -> None:
    tio = pytest.importorskip("torchio")
    img = tio.ScalarImage(PATH)
    seg = (img.data > float(np.percentile(img.data.numpy(), 90))).to(torch.uint8)
    subject = tio.Subject(t1=img, seg=tio.LabelMap(tensor=seg, affine=img.affine))
    vol = ts.volume(subject, class_names=["bg", "bright"])
    want = ts.volume(PATH)
    np.testing.assert_array_equal(vol.image, want.image)
    np.testing.assert_allclose(vol.affine, want.affine)
    assert vol.title == "t1" and vol.classes[0]["voxels"] == int(seg.sum())  # the label map came with it
    alone = ts.volume(subject["seg"])  # a LabelMap alone is a volume too
    assert alone.stats["max"] == 1.0


def test_torchio_anisotropic_resample_keeps_millimetres() -> None:
    tio = pytest.importorskip("torchio")
    img = tio.Resample((2.0, 2.0, 6.0))(tio.ScalarImage(PATH))
    vol = ts.volume(img)
    assert vol.spacing == pytest.approx([2.0, 2.0, 6.0])


def test_monai_metatensor_and_dict_batch() -> None:
    pytest.importorskip("monai")
    from monai.data import MetaTensor

    canon = nib.as_closest_canonical(nib.load(str(PATH)))
    data = torch.from_numpy(np.asarray(canon.dataobj, dtype=np.float32))[None]  # (C, i, j, k)
    affine = torch.from_numpy(canon.affine)
    mt = MetaTensor(data, affine=affine)
    vol = ts.volume(mt)
    np.testing.assert_array_equal(vol.image[0], data[0].numpy())
    np.testing.assert_allclose(vol.affine, canon.affine)
    labels = (data > data.mean()).to(torch.uint8)
    batch = {"image": MetaTensor(torch.stack([data, data * 2]), affine=torch.stack([affine, affine])),
             "label": torch.stack([labels, labels])}
    second = ts.volume(batch, sample=1)
    np.testing.assert_array_equal(second.image[0], 2 * data[0].numpy())
    assert second.classes[0]["voxels"] == int(labels.sum())
