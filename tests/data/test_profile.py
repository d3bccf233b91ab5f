"""``ts.data.profile``: all views at once, warnings (imbalance, duplicates, leakage), one record in a store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import torchscope as ts
import torchscope.data as tsd
from torchscope.records import rebuild

from .files import png_folder
from .test_views import render

IMAGE_KINDS = ["data.class_balance", "data.samples", "data.mean_images", "data.pixel_stats", "data.projection"]
TABLE_KINDS = ["data.class_balance", "data.feature_dists", "data.correlation", "data.pairplot", "data.projection"]


def test_profile_of_an_image_split(tmp_path: Path) -> None:
    train, test = tsd.load("digits").split(0.8)
    prof = tsd.profile(train, test, progress=False)
    assert [r.kind for r in prof.records] == IMAGE_KINDS
    assert prof.summary["samples"] == len(train) and prof.summary["test samples also in train"] == 0
    assert prof["data.class_balance"].splits == ["train", "test"]
    assert "<h3>data profile of digits[train]</h3>" in prof._repr_html_()
    render(prof, tmp_path, "profile_digits")


def test_profile_of_a_table_and_its_round_trip() -> None:
    prof = tsd.profile("wine", projection="tsne", progress=False)
    assert [r.kind for r in prof.records] == TABLE_KINDS
    assert prof["data.projection"].method == "tsne"
    data, blobs = prof.to_dict()
    back = rebuild(prof.kind, data, blobs)
    assert [type(r) for r in back.records] == [type(r) for r in prof.records]
    np.testing.assert_array_equal(back["data.correlation"].matrix, prof["data.correlation"].matrix)
    with pytest.raises(KeyError, match=r"no 'data\.samples' record"):
        prof["data.samples"]


def test_profile_flags_duplicates_leakage_and_imbalance() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    x[5] = x[4]
    y = np.array([0] * 36 + [1] * 4)
    ds = tsd.load(x, y)
    train, test = ds.subset(range(30)), ds.subset(range(25, 40))
    prof = tsd.profile(train, test, projection=None)
    text = " ".join(prof.warnings)
    assert "1 samples are exact duplicates" in text and "5 test samples also occur in the training set" in text
    assert prof.summary["test samples also in train"] == 5 and len(prof.records) == 4
    assert "imbalanced" in " ".join(tsd.profile(ds, projection=None).warnings)


def test_profile_of_a_file_backed_set_samples_it(tmp_path: Path) -> None:
    png_folder(tmp_path / "f", {"a": 6, "b": 5})
    prof = tsd.profile(tmp_path / "f", limit=8, progress=False)
    assert prof.summary["storage"] == "files, read on demand"
    assert prof.summary["profiled on"] == "a random 8 of 11 samples" and prof["data.projection"].coords.shape == (8, 2)


def test_profile_through_a_real_store(store_dir: Path) -> None:
    prof = tsd.profile("iris", progress=False)
    with ts.init(project="data", dir=store_dir) as run:
        run.log_record(prof)
        for rec in prof.records:
            run.log_record(rec)
    store = ts.open(store_dir)
    back = store.latest(run.id, "data.profile")
    assert back.summary == prof.summary and len(back.records) == 5
    assert len(store.records(run.id, kind="data.pairplot")) == 1
