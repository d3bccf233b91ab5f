"""The Media panel's API (through the app) and its part of the static report, on a store of every kind of media."""

from __future__ import annotations

import importlib
import io
import json
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from starlette.testclient import TestClient

import torchscope as ts
from torchscope.report.plans import Context, Limits
from torchscope.report.snapshot import Snapshot
from torchscope.server import create_app

from . import scenes

media_report = importlib.import_module("torchscope.server.panels.media.report")  # the package exports the function


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    dir = tmp_path_factory.mktemp("media") / "tsruns"
    return dir, scenes.fill(dir)


@pytest.fixture(scope="module")
def client(store: tuple[Path, str]) -> Iterator[TestClient]:
    with TestClient(create_app(store[0], warm=False), base_url="http://127.0.0.1") as c:
        yield c


def test_the_index_lists_every_key_and_step_without_bytes(client: TestClient, store: tuple[Path, str]) -> None:
    body = client.get("/api/media/index", params={"run": store[1]}).json()
    assert [(v["key"], v["step"]) for v in body["videos"]] == [("rollout", 0), ("rollout", 10), ("squares", 10)]
    rollout = body["videos"][1]
    assert (rollout["width"], rollout["height"], rollout["length"], rollout["fps"]) == (64, 64, 40, 10.0)
    assert rollout["caption"] == "the ball at step 10" and body["videos"][2]["mime"] == "image/png"
    (chirp,) = body["audio"]
    assert (chirp["sample_rate"], chirp["channels"], chirp["length"]) == (16000, 2, 24000)
    torus = {p["key"]: p for p in body["points"]}
    assert torus["torus"]["points"] == 48 * 24 and torus["torus"]["triangles"] == 2 * 48 * 24
    assert torus["cloud"]["triangles"] == 0 and torus["cloud"]["colors"] and len(torus["cloud"]["bounds"]) == 2


def test_each_player_gets_its_bytes(client: TestClient, store: tuple[Path, str]) -> None:
    rid = store[1]
    one = {"run": rid, "key": "rollout", "step": 10}
    rec = ts.open(store[0]).records(rid, kind="media.video", key="rollout")[-1].record
    r = client.get("/api/media/video", params=one)
    assert r.headers["content-type"] == rec.mime and r.content == rec.data
    sprite = client.get("/api/media/video", params={"run": rid, "key": "squares"})
    assert sprite.headers["content-type"] == "image/png"
    clip = {"run": rid, "key": "chirp"}
    with wave.open(io.BytesIO(client.get("/api/media/audio.wav", params=clip).content)) as w:
        assert (w.getnchannels(), w.getframerate(), w.getnframes()) == (2, 16000, 24000)
    assert Image.open(io.BytesIO(client.get("/api/media/spectrogram.png", params=clip).content)).size[1] == 257
    wf = client.get("/api/media/waveform", params=clip).json()["channels"]
    assert len(wf) == 2 and abs(max(wf[0]["max"]) - 0.6) < 0.01 and abs(min(wf[1]["min"]) + 0.3) < 0.01


def test_points_travel_as_one_binary_buffer(client: TestClient, store: tuple[Path, str]) -> None:
    xyz, faces, rgb = scenes.torus()
    raw = client.get("/api/media/points.bin", params={"run": store[1], "key": "torus"}).content
    n, f = len(xyz), len(faces)
    assert len(raw) == 12 * n + 3 * n + 12 * f
    np.testing.assert_array_equal(np.frombuffer(raw[:12 * n], "<f4").reshape(n, 3), xyz)
    np.testing.assert_array_equal(np.frombuffer(raw[12 * n:15 * n], np.uint8).reshape(n, 3), rgb)
    np.testing.assert_array_equal(np.frombuffer(raw[15 * n:], "<u4").reshape(f, 3), faces)


def test_the_projection_turns_and_bad_parameters_are_400_or_404(client: TestClient, store: tuple[Path, str]) -> None:
    one = {"run": store[1], "key": "torus", "size": 96}
    front = client.get("/api/media/points.png", params={**one, "azimuth": 0, "elevation": 0})
    top = client.get("/api/media/points.png", params={**one, "azimuth": 0, "elevation": 90})
    a, b = (np.asarray(Image.open(io.BytesIO(r.content))) for r in (front, top))
    assert a.shape == (96, 96, 3) and (a != b).any()
    assert (b.sum(-1)[48, 48] < 100) and (a.sum(-1)[48, 48] > 100)  # from the top, the hole in the middle
    assert client.get("/api/media/points.png", params={**one, "azimuth": "east"}).status_code == 400
    assert client.get("/api/media/points.png", params={**one, "size": 5000}).status_code == 400
    assert client.get("/api/media/points.bin", params={**one, "batch": 3}).status_code == 404
    assert client.get("/api/media/video", params={"run": store[1], "key": "nope"}).status_code == 404


def test_the_report_keeps_the_steps_it_lists(store: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    dir, rid = store
    monkeypatch.setattr(media_report, "STEPS", 1)  # one step per key: the ball at step 10 only
    snap = Snapshot.of(create_app(dir, warm=False))
    ctx = Context(snap=snap, store=ts.open(dir), runs=[{"id": rid}], limits=Limits())
    assert media_report.report(ctx) == "2 videos, 1 audio clip, 2 3-D views"
    entries: dict[str, Any] = snap.entries
    def answer(prefix: str) -> Any:
        (e,) = [e for k, e in entries.items() if k.startswith(prefix)]
        return json.loads(bytes(snap._z[e["offset"]:e["offset"] + e["length"]]))

    kept, live = answer("json report/media"), answer("json media/index")  # the route's own answer is kept as it is
    assert [(v["key"], v["step"]) for v in kept["videos"]] == [("rollout", 10), ("squares", 10)]
    assert len(live["videos"]) > len(kept["videos"])
    assert sum(k.startswith("url media/points.png") for k in entries) == 2 * len(media_report.AZIMUTHS)
    assert not snap.failed
