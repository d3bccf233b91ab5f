"""The Evaluation, Explain and Detections panels' API, on a real store filled by a real run: a small
CNN trained a few steps on the digits, ``ts.evaluate`` views and ``ts.explain`` attributions logged
with ``run.log_record``, and detections logged with ``run.log_image(..., boxes=...)``."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import torchscope as ts
from torchscope.explain import detections
from torchscope.server import create_app
from torchscope.server.encode import jsonable

from .util import ServerThread

METHODS = ("gradcam", "saliency", "ig")
DET_CLASSES = ["bg", "cat", "dog", "bird"]
DET_SCORES = [0.95, 0.8, 0.55, 0.3, 0.1]
DET_LABELS = [1, 2, 1, 3, 2]


def small_cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 4 * 4, 10))


def fill(dir: Path) -> dict[str, Any]:
    """One run with every evaluation view, three attribution methods on 8 test digits, top-k, maps,
    filters and a detections image; returns the run id and the records as logged."""
    torch.manual_seed(0)
    ds = ts.data.load("digits")
    train, test = ds.split(0.8, seed=0)
    xtr, ytr = (torch.as_tensor(a) for a in train.arrays(progress=False))
    xte, yte = (torch.as_tensor(a) for a in test.arrays(progress=False))
    xtr, xte = xtr.permute(0, 3, 1, 2).float(), xte.permute(0, 3, 1, 2).float()
    model = small_cnn()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    run = ts.init(project="eval", name="digits-cnn", dir=dir)
    for step in range(40):  # a few steps: good, not perfect, so there are mistakes to see
        idx = torch.randint(0, len(xtr), (64,))
        loss = nn.functional.cross_entropy(model(xtr[idx]), ytr[idx].long())
        opt.zero_grad()
        loss.backward()
        opt.step()
        run.log({"train/loss": loss.item()}, step=step)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xte, yte), batch_size=128)
    ev = ts.evaluate(model, loader, class_names=ds.class_names, keep_mistakes=24)
    views = {"confusion": ev.confusion_matrix(), "per_class": ev.per_class(), "pr": ev.pr_curves(),
             "roc": ev.roc_curves(), "calibration": ev.calibration(), "confused": ev.most_confused(k=8),
             "mistakes": ev.mistakes(k=24)}
    for name, rec in views.items():
        run.log_record(rec, key=f"eval/{name}", step=100)
    x = xte[:8]
    attrs = {m: ts.explain(model, x, method=m, class_names=ds.class_names) for m in METHODS}
    for m, a in attrs.items():
        run.log_record(a, key=f"explain/{m}", step=100)
    top = ts.topk(model, x, k=3, class_names=ds.class_names, labels=yte[:8])
    run.log_record(top, key="explain/top3", step=100)
    run.log_record(ts.feature_maps(model, x[0], layer="2"), key="explain/maps", step=100)
    run.log_record(ts.filters(model), key="explain/filters", step=100)
    img = np.kron(xte[0, 0].numpy(), np.ones((8, 8)))  # 64 x 64
    boxes = [[4, 4, 40, 40], [20, 10, 60, 50], [2, 30, 30, 62], [30, 30, 50, 50], [10, 10, 20, 20]]
    masks = np.zeros((5, 64, 64), bool)
    for n, (x1, y1, x2, y2) in enumerate(boxes):
        masks[n, y1:y2, x1:x2] = True
    run.log_image("detections/sample", img, step=100, boxes=boxes, labels=DET_LABELS, scores=DET_SCORES,
                  masks=masks, class_names=DET_CLASSES)
    run.finish()
    det = detections(img, boxes=boxes, labels=DET_LABELS, scores=DET_SCORES, masks=masks, class_names=DET_CLASSES)
    return {"n_test": len(yte), "run": run.id, "views": views, "attrs": attrs, "top": top, "det": det, "model": model}


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    dir = tmp_path_factory.mktemp("evalx") / "tsruns"
    return dir, fill(dir)


@pytest.fixture(scope="module")
def client(filled: tuple[Path, dict[str, Any]]) -> Iterator[httpx.Client]:
    with ServerThread(create_app(filled[0], poll_interval=0.2)) as url, httpx.Client(base_url=url, timeout=20) as c:
        yield c


def _same(got: Any, want: Any) -> bool:
    """Equal JSON values, floats to 1e-12 relative (non-finite ones as the dashboard's strings)."""
    if isinstance(want, float) and isinstance(got, (int, float)):
        return got == pytest.approx(want, rel=1e-12)
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(_same(g, w) for g, w in zip(got, want))
    if isinstance(want, dict):
        return isinstance(got, dict) and set(got) == set(want) and all(_same(got[k], want[k]) for k in want)
    return bool(got == want)


def _png(r: httpx.Response) -> np.ndarray:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    return np.asarray(Image.open(io.BytesIO(r.content)))


def test_panels_are_registered(client: httpx.Client) -> None:
    panels = {p["name"]: p for p in client.get("/api/panels").json()["panels"]}
    for name in ("evaluation", "explain", "detections"):
        assert panels[name]["error"] is None and panels[name]["module"] == f"panels/{name}/panel.js"
        assert client.get(f"/panels/{name}/panel.js").status_code == 200
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/evaluation/record" in paths and "/api/explain/heat.png" in paths


def test_evaluation_index_lists_every_view(client: httpx.Client, filled: tuple[Path, dict[str, Any]]) -> None:
    rid = filled[1]["run"]
    got = client.get("/api/evaluation/index", params={"run": rid}).json()["runs"][rid]
    kinds = {(e["kind"], e.get("curve")) for e in got}
    assert kinds == {("eval.confusion", None), ("eval.per_class", None), ("eval.curves", "pr"),
                     ("eval.curves", "roc"), ("eval.calibration", None), ("eval.most_confused", None),
                     ("eval.mistakes", None)}
    assert all(e["step"] == 100 for e in got)


@pytest.mark.parametrize(("kind", "view"), [("eval.confusion", "confusion"), ("eval.per_class", "per_class"),
                                            ("eval.curves", "roc"), ("eval.curves", "pr"),
                                            ("eval.calibration", "calibration"),
                                            ("eval.most_confused", "confused")])
def test_evaluation_record_is_the_logged_record(client: httpx.Client, filled: tuple[Path, dict[str, Any]],
                                                kind: str, view: str) -> None:
    rec = filled[1]["views"][view]
    r = client.get("/api/evaluation/record", params={"run": filled[1]["run"], "kind": kind, "key": f"eval/{view}",
                                                     "step": 100})
    assert r.status_code == 200
    json.loads(r.text)  # strict JSON: NaN travels as "NaN"
    data = r.json()["data"]
    expected, _ = rec.to_dict()
    assert set(data) == set(expected)
    for field, value in expected.items():
        assert _same(data[field], jsonable(value)), field


def test_confusion_counts_and_cells_match_the_predictions(client: httpx.Client,
                                                          filled: tuple[Path, dict[str, Any]]) -> None:
    data = client.get("/api/evaluation/record", params={"run": filled[1]["run"], "kind": "eval.confusion",
                                                        "key": "eval/confusion"}).json()["data"]
    counts = np.array(data["counts"])
    assert counts.sum() == filled[1]["n_test"] and np.trace(counts) < counts.sum()  # a few steps: some mistakes
    for cell, idx in data["cell_samples"].items():
        i, j = map(int, cell.split(","))
        assert len(idx) == min(20, counts[i, j])


def test_mistakes_gallery_images(client: httpx.Client, filled: tuple[Path, dict[str, Any]]) -> None:
    rec = filled[1]["views"]["mistakes"]
    q = {"run": filled[1]["run"], "key": "eval/mistakes", "step": 100}
    data = client.get("/api/evaluation/record", params={**q, "kind": "eval.mistakes"}).json()["data"]
    assert data["indices"] == rec.indices and data["confidence"] == pytest.approx(rec.confidence)
    layout = data["images"]["layout"]
    assert data["images"]["kept"] and layout["count"] == len(rec.indices) == 24
    sheet = _png(client.get("/api/evaluation/mistakes.png", params=q))
    assert sheet.shape[:2] == (layout["rows"] * layout["thumb_height"], layout["columns"] * layout["thumb_width"])
    c = 5
    r0, c0 = divmod(c, layout["columns"])
    tile = sheet[r0 * 8:(r0 + 1) * 8, c0 * 8:(c0 + 1) * 8]
    assert np.array_equal(tile.reshape(8, 8, -1)[..., 0], rec.images[c][..., 0])


def test_missing_records_are_404_and_bad_kinds_400(client: httpx.Client, filled: tuple[Path, dict[str, Any]]) -> None:
    rid = filled[1]["run"]
    assert client.get("/api/evaluation/record", params={"run": rid, "kind": "eval.confusion", "key": "nope"}
                      ).status_code == 404
    assert client.get("/api/evaluation/record", params={"run": rid, "kind": "explain.topk", "key": "x"}
                      ).status_code == 400
    assert client.get("/api/explain/heat.png", params={"run": rid, "key": "explain/ig", "i": 99}).status_code == 404
    assert client.get("/api/evaluation/index", params={"run": "no-such-run"}).json()["runs"]["no-such-run"] == []


def test_explain_index_groups_methods_by_their_inputs(client: httpx.Client, filled: tuple[Path, dict[str, Any]]
                                                      ) -> None:
    got = client.get("/api/explain/index", params={"run": filled[1]["run"]}).json()
    attrs = {a["key"]: a for a in got["attributions"]}
    assert set(attrs) == {f"explain/{m}" for m in METHODS}
    assert [g["keys"] for g in got["groups"]] == [[f"explain/{m}" for m in METHODS]]
    for m, rec in filled[1]["attrs"].items():
        a = attrs[f"explain/{m}"]
        assert a["method"] == rec.method and a["predictions"] == rec.predictions and a["n"] == 8
    assert got["topk"][0]["group"] == got["groups"][0]["group"]
    assert got["topk"][0]["indices"] == filled[1]["top"].indices
    assert got["feature_maps"][0]["layer"] == "2" and got["feature_maps"][0]["shape"] == [16, 8, 8]
    assert got["filters"][0]["shape"] == [8, 1, 3, 3] and got["filters"][0]["rgb"] is False


@pytest.mark.parametrize("method", METHODS)
def test_explain_images_and_heat_are_the_records_arrays(client: httpx.Client, filled: tuple[Path, dict[str, Any]],
                                                        method: str) -> None:
    rec = filled[1]["attrs"][method]
    q = {"run": filled[1]["run"], "key": f"explain/{method}", "step": 100}
    for i in (0, 5):
        assert np.array_equal(_png(client.get("/api/explain/heat.png", params={**q, "i": i})), rec.heat[i])
        img = _png(client.get("/api/explain/image.png", params={**q, "i": i}))
        assert np.array_equal(img.reshape(rec.images[i].shape), rec.images[i])
    sheet = _png(client.get("/api/explain/gallery.png", params=q))
    assert sheet.shape[:2] == (3 * 8, 3 * 8)  # 8 samples of 8 x 8 in a 3 x 3 grid


def test_feature_maps_and_filters_sprites(client: httpx.Client, filled: tuple[Path, dict[str, Any]]) -> None:
    q = {"run": filled[1]["run"], "step": 100}
    maps = _png(client.get("/api/explain/maps.png", params={**q, "key": "explain/maps"}))
    assert maps.shape[:2] == (4 * 8, 4 * 8)  # 16 channels of 8 x 8
    filt = _png(client.get("/api/explain/filters.png", params={**q, "key": "explain/filters"}))
    assert filt.shape[:2] == (3 * 3, 3 * 3) and filt.max() == 255


def test_detections_record_image_and_masks(client: httpx.Client, filled: tuple[Path, dict[str, Any]]) -> None:
    rid, det = filled[1]["run"], filled[1]["det"]
    index = client.get("/api/detections/index", params={"run": rid}).json()["runs"][rid]
    assert index == [{"key": "detections/sample", "step": 100, "n": 5, "height": 64, "width": 64}]
    q = {"run": rid, "key": "detections/sample"}
    data = client.get("/api/detections/record", params=q).json()
    assert data["class_names"] == DET_CLASSES and data["labels"] == DET_LABELS
    assert data["scores"] == pytest.approx(DET_SCORES) and data["boxes"] == det.boxes.tolist() and data["masks"]
    assert np.array_equal(_png(client.get("/api/detections/image.png", params=q)).reshape(det.image.shape), det.image)
    masks = _png(client.get("/api/detections/masks.png", params=q))
    assert np.array_equal(masks.reshape(5, 64, 64), det.masks)
