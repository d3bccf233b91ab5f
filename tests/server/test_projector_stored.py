"""The projector's first answers read a projection's JSON part and column blobs as stored
(``panels/projector/stored.py``): the list of sources and the points never decode the thumbnails'
sprite sheet; the compact frame's integer columns (uint8 / uint16 / int32) hold the same values."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

import torchscope as ts
import torchscope.data._images as images
from torchscope.data.projection import Projection
from torchscope.server import create_app
from torchscope.server.panels.projector.frame import points_frame, wire_dtype

from .util import ServerThread


def decode_frame(data: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    (n,) = struct.unpack("<I", data[:4])
    header = json.loads(data[4:4 + n])
    wire = {"float32": "<f4", "int32": "<i4", "uint16": "<u2", "uint8": "u1"}
    cols = {}
    for col in header["columns"]:
        assert col["offset"] % 8 == 0
        cols[col["name"]] = np.frombuffer(data, wire[col["dtype"]], col["length"], col["offset"])
    return header, cols


def projection(n: int, classes: int, *, seed: int, thumbs: bool) -> Projection:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n).astype(np.int64)
    return Projection(coords=rng.normal(size=(n, 2)).astype(np.float32), labels=labels,
                      class_names=[f"c{i}" for i in range(classes)], method="tsne",
                      indices=rng.permutation(n) + 5, predictions=(labels + 1) % classes,
                      thumbnails=rng.integers(0, 256, (n, 6, 5, 3), dtype=np.uint8) if thumbs else None,
                      title="t", params={"perplexity": 30})


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, str, dict[str, Projection]]]:
    dir: Path = tmp_path_factory.mktemp("projector") / "tsruns"
    recs = {"wide": projection(300, 700, seed=0, thumbs=True), "plain": projection(50, 3, seed=1, thumbs=False)}
    run = ts.init(project="p", name="r", dir=dir)
    for key, rec in recs.items():
        run.log_record(rec, key=key)
    run.finish()
    with ServerThread(create_app(dir, warm=False)) as url, httpx.Client(base_url=url, timeout=30) as c:
        yield c, run.id, recs


def test_sources_and_points_never_decode_the_sprite(served, monkeypatch):
    c, rid, recs = served

    def refuse(*a: Any, **k: Any) -> Any:
        raise AssertionError("the sprite sheet was decoded")

    monkeypatch.setattr(images, "decode_png", refuse)
    monkeypatch.setattr("torchscope.data.projection.split_sprite", refuse)
    got = {s["key"]: s for s in c.get("/api/projector/sources", params={"run": rid}).json()["sources"]}
    assert got["wide"]["thumbs"] == {"width": 5, "height": 6, "channels": 3, "page": 1024, "page_columns": 32,
                                     "pages": 1}
    assert (got["wide"]["n"], got["wide"]["dims"], got["wide"]["method"], got["wide"]["params"]) == \
        (300, 2, "tsne", {"perplexity": 30})
    assert got["plain"]["thumbs"] is None and got["plain"]["has_predictions"]
    for key, rec in recs.items():
        s = got[key]
        r = c.get("/api/projector/points", params={"run": rid, "key": key, "id": s["id"], "part": s["part"]})
        assert r.status_code == 200, r.text
        header, cols = decode_frame(r.content)
        assert {k: header[k] for k in s if k in header} == {k: s[k] for k in header if k in s and k != "columns"}
        assert np.array_equal(cols["coords"].reshape(-1, 2), rec.coords)
        for name in ("labels", "predictions", "indices"):
            assert np.array_equal(cols[name], getattr(rec, name)), name
        want = "uint16" if key == "wide" else "uint8"
        assert {col["name"]: col["dtype"] for col in header["columns"]} == \
            {"coords": "float32", "labels": want, "predictions": want, "indices": want}
    monkeypatch.undo()  # the thumbnails do decode it (once, kept by the provider)
    page = c.get("/api/projector/thumbs", params={"run": rid, "key": "wide", "id": got["wide"]["id"], "part": -1,
                                                  "page": 0})
    sheet = images.decode_png(page.content)
    assert np.array_equal(sheet[6:12, 5 * 3:5 * 4], recs["wide"].thumbnails[35])  # row 1, column 3


@pytest.mark.parametrize(("values", "dtype"), [
    ([0, 255], "uint8"), ([0, 256], "uint16"), ([0, 65535], "uint16"), ([0, 65536], "int32"), ([-1, 3], "int32"),
    ([], "uint8"), ([True, False], "uint8")])
def test_integer_columns_travel_in_the_narrowest_type(values, dtype):
    arr = np.asarray(values, bool if values and isinstance(values[0], bool) else np.int64)
    assert wire_dtype(arr) == dtype
    _, cols = decode_frame(points_frame({"n": len(arr)}, [("coords", np.zeros((len(arr), 2))), ("v", arr)]))
    assert np.array_equal(cols["v"], arr) and cols["coords"].dtype == np.float32


def test_a_column_beyond_int32_is_refused():
    with pytest.raises(ts.errors.InvalidArgument):
        wire_dtype(np.array([0, 1 << 40]))
