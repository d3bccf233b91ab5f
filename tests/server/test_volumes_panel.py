"""The Volumes panel's API on a real store and a real server: the index from the records' JSON, planes
and downsampled volumes in TSV1, and clear 4xx answers for every bad parameter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest

import torchscope as ts
from torchscope.server import create_app
from torchscope.volume.slicing import decode

from .util import ServerThread


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, str, Any]]:
    dir = tmp_path_factory.mktemp("vol") / "tsruns"
    run = ts.init(project="vol", name="ct", dir=dir)
    a = np.random.default_rng(0).random((2, 20, 30, 40)).astype(np.float32) * 100
    labels = np.zeros((20, 30, 40), np.uint8)
    labels[5:15, 10:20, 10:30] = 2
    run.log_volume("ct", a, step=1, labels=labels, pred=labels, heat=a[0], class_names=["bg", "x", "organ"])
    run.log_volume("anat", ts.data.example_volume_path(), step=2)
    run.finish()
    want = ts.volume(a, labels=labels, pred=labels, heat=a[0])
    with ServerThread(create_app(dir)) as url, httpx.Client(base_url=url, timeout=30) as c:
        yield c, run.id, want


def test_index_lists_volumes_with_what_the_viewer_needs(served: tuple[httpx.Client, str, Any]) -> None:
    c, rid, want = served
    body = c.get("/api/volumes/index", params={"run": rid}).json()
    by_key = {v["key"]: v for v in body["volumes"]}
    assert set(by_key) == {"ct", "anat"}
    ct = by_key["ct"]
    assert ct["shape"] == [2, 40, 30, 20] and ct["t_kind"] == "channel" and ct["step"] == 1
    assert ct["has_labels"] and ct["has_pred"] and ct["has_heat"] and not by_key["anat"]["has_labels"]
    assert ct["dice"] == {"2": 1.0} and ct["classes"][0]["name"] == "organ"
    assert want.labels[tuple(ct["focus"])] == 2 and ct["dtype"] == "float32"  # the views open on the organ
    assert ct["stats"] == want.stats and len(ct["histogram"]["counts"]) == 128
    assert by_key["anat"]["source_axes"] == "LAS" and by_key["anat"]["title"] == "anatomical.nii"
    anat = by_key["anat"]
    assert anat["dtype"] == "int16" and anat["focus"] == [s // 2 for s in anat["shape"][1:]]


def test_slice_is_one_plane_downsampled(served: tuple[httpx.Client, str, Any]) -> None:
    c, rid, want = served
    r = c.get("/api/volumes/slice", params={"run": rid, "key": "ct", "plane": "coronal", "index": 12, "t": 1})
    assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
    header, layers = decode(r.content)
    assert header["shape"] == [40, 20] and header["index"] == 12 and header["t"] == 1
    assert set(layers) == {"image", "labels", "pred", "heat"}
    np.testing.assert_array_equal(layers["labels"], want.labels[:, 12, :])
    spec = header["layers"][0]
    back = spec["lo"] + layers["image"] * (spec["hi"] - spec["lo"]) / 65535
    np.testing.assert_allclose(back, want.image[1, :, 12, :], atol=(spec["hi"] - spec["lo"]) / 65535)
    small = decode(c.get("/api/volumes/slice", params={"run": rid, "key": "ct", "max": 10}).content)[0]
    assert small["plane"] == "axial" and small["index"] == 10 and small["shape"] == [10, 8]  # stride 4
    assert len(r.content) < want.image[1].nbytes / 10  # a plane, never the volume


def test_volume_bin_is_the_whole_volume_downsampled(served: tuple[httpx.Client, str, Any]) -> None:
    c, rid, _ = served
    header, layers = decode(c.get("/api/volumes/volume.bin", params={"run": rid, "key": "ct", "max": 20}).content)
    assert header["shape"] == [20, 15, 10] and header["stride"] == [2, 2, 2]
    assert layers["heat"].dtype == np.uint8


@pytest.mark.parametrize("params,status,words", [
    ({"key": "ct", "plane": "oblique"}, 400, "plane must be one of"),
    ({"key": "ct", "index": 99}, 404, "outside 0..19"),
    ({"key": "ct", "t": 2}, 404, "no volume t=2"),
    ({"key": "nope"}, 404, "no volume record under key 'nope'"),
    ({"key": "ct", "max": 1}, 400, "max"),
])
def test_bad_parameters(served: tuple[httpx.Client, str, Any], params: dict[str, Any], status: int,
                        words: str) -> None:
    c, rid, _ = served
    r = c.get("/api/volumes/slice", params={"run": rid, **params})
    assert r.status_code == status, r.text
    assert words in r.text
