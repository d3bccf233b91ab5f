"""The GAN lab panel's HTTP API over a real server: the worker protocol through open/command/stream.

Frames are read from the real server-sent event stream; sessions are real ``LabWorker`` sessions.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from torchscope.server import create_app
from torchscope.server.context import app_context
from torchscope.server.panels.ganlab.hub import Hub
from torchscope.store._db import connect

from .util import ServerThread

JSON_TYPE = {"Content-Type": "application/json"}
BYTES = {"Content-Type": "application/octet-stream"}  # what the page's file upload sends


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Hub]]:
    dir = tmp_path_factory.mktemp("ganlab") / "tsruns"
    db, _ = connect(dir, create=True)
    db.close()
    app = create_app(dir, panels=["ganlab"])
    hub = app_context(app).state["ganlab"] = Hub(grace=0.5, idle_timeout=30)
    with ServerThread(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client, hub
        hub.close_all()


def _open(client: httpx.Client, **config: Any) -> str:
    reply = client.post("/api/ganlab/open", json={"config": config}).json()
    assert reply["ok"], reply
    return reply["session"]


def _cmd(client: httpx.Client, sid: str, type: str, **fields: Any) -> dict[str, Any]:
    r = client.post("/api/ganlab/command", json={"session": sid, "type": type, **fields})
    assert r.status_code == 200, r.text
    return r.json()


def _events(client: httpx.Client, sid: str, until: Callable[[list[dict[str, Any]]], bool],
            timeout: float = 15.0) -> list[dict[str, Any]]:
    """Read the session's stream until ``until(frames)``; frames carry their SSE event name in ``_event``."""
    out: list[dict[str, Any]] = []
    deadline = time.time() + timeout
    with client.stream("GET", "/api/ganlab/stream", params={"session": sid}) as s:
        assert s.headers["content-type"].startswith("text/event-stream")
        event = "message"
        for line in s.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                out.append({**json.loads(line[5:]), "_event": event})
                if until(out) or event == "gone":
                    return out
            if time.time() > deadline:
                raise AssertionError(f"stream: condition not met in {timeout} s; last {out[-1:]}")
    return out


def test_open_and_first_frame(lab):
    client, _ = lab
    sid = _open(client, target="moons", points=300)
    (f,) = _events(client, sid, lambda fs: len(fs) >= 1)
    assert f["_event"] == "frame" and f["session"] == sid and f["step"] == 0 and not f["playing"]
    assert f["config"]["target"]["name"] == "moons" and f["config"]["loss"] == "nonsaturating"
    assert len(f["real"]) == len(f["fake"]) == len(f["arrows"]) == 600
    assert f["heat"]["size"] == 48 and len(f["heat"]["values"]) == 48 * 48
    assert all(isinstance(v, int) and 0 <= v <= 255 for v in f["heat"]["values"])
    m = f["manifold"]["size"]
    assert len(f["manifold"]["points"]) == 2 * m * m and len(f["manifold"]["opacity"]) == (m - 1) ** 2
    assert f["history"]["since"] == 0 and f["metrics"]["since"] == 0
    assert client.get("/api/ganlab/options").json()["losses"][0] == {"name": "minimax", "label": "standard (minimax)"}
    assert "/api/ganlab/stream" in client.get("/api/openapi.json").json()["paths"]


def test_play_pause_and_incremental_frames(lab):
    client, _ = lab
    sid = _open(client)
    assert _cmd(client, sid, "play")["playing"] is True
    frames = _events(client, sid, lambda fs: fs[-1]["step"] >= 15)
    steps: list[float] = []
    for i, f in enumerate(frames):
        assert f["history"]["since"] == len(steps)  # rows arrive once, in order
        steps += f["history"]["step"]
        if i:  # fixed parts only when they change
            assert "real" not in f and "config" not in f and "centers" not in f
    assert steps == list(range(1, len(steps) + 1)) and steps[-1] == frames[-1]["step"]
    assert [f["seq"] for f in frames] == sorted({f["seq"] for f in frames})
    paused = _cmd(client, sid, "pause")
    time.sleep(0.3)
    status = _cmd(client, sid, "status")
    assert not status["playing"] and status["step"] == paused["step"] >= 15


def test_step_which_and_configure(lab):
    client, _ = lab
    sid = _open(client)
    assert _cmd(client, sid, "step", n=3, which="d")["step"] == 3
    assert _cmd(client, sid, "step", n=2)["step"] == 5
    reply = _cmd(client, sid, "configure", changes={"loss": "hinge", "lr_g": 5e-4})
    assert reply["ok"] and sorted(reply["changed"]) == ["loss", "lr_g"]
    (f,) = _events(client, sid, lambda fs: True)
    h = f["history"]
    assert h["step"] == [1, 2, 3, 4, 5] and h["g_loss"][:3] == [None] * 3 and None not in h["g_loss"][3:]
    assert f["config"]["loss"] == "hinge" and f["config"]["lr_g"] == 5e-4
    assert "changed loss, lr_g" in f["latest"]["event"]
    assert _cmd(client, sid, "speed", steps_per_frame=5)["steps_per_frame"] == 5


def test_bad_parameters_answer_with_the_engines_message(lab):
    client, _ = lab
    sid = _open(client, target="ring")
    bad = _cmd(client, sid, "configure", changes={"lr_d": -1})
    assert not bad["ok"] and "lr_d must be a number >= 0" in bad["error"]
    one = _cmd(client, sid, "configure", changes={"target": {"name": "drawn", "points": [[[0.1, 0.2]]]}})
    assert not one["ok"] and "at least 2 distinct points" in one["error"]
    assert "unknown command" in _cmd(client, sid, "explode")["error"]
    reply = client.post("/api/ganlab/open", json={"config": {"loss": "magic"}}).json()
    assert not reply["ok"] and "unknown loss 'magic'" in reply["error"]
    zero = _cmd(client, sid, "configure", lr_g=0)
    assert zero["ok"]
    (f,) = _events(client, sid, lambda fs: True)
    assert f["status"] == "warning" and "lr_g is 0" in f["message"]
    _cmd(client, sid, "configure", lr_d=1e9, lr_g=1e9)
    _cmd(client, sid, "play")
    frames = _events(client, sid, lambda fs: fs[-1]["status"] == "diverged")
    assert "diverged" in frames[-1]["message"] and not frames[-1]["playing"]
    assert _cmd(client, sid, "configure", lr_d=1e-3, lr_g=1e-3)["ok"]  # the session lives on
    assert _cmd(client, sid, "step", n=2)["status"] == "ok"
    assert client.post("/api/ganlab/command", json={"session": "nope", "type": "play"}).status_code == 404
    assert client.post("/api/ganlab/command", content=b"[1, 2]", headers=JSON_TYPE).status_code == 400


def test_save_and_load_a_lab_state(lab):
    client, _ = lab
    sid = _open(client, target="spiral")
    _cmd(client, sid, "step", n=6)
    r = client.get("/api/ganlab/save", params={"session": sid})
    assert r.status_code == 200 and 'filename="ganlab-step6.pt"' in r.headers["content-disposition"]
    state = r.content
    _cmd(client, sid, "step", n=4)
    loaded = client.post("/api/ganlab/load", params={"session": sid}, content=state, headers=BYTES).json()
    assert loaded["ok"] and loaded["step"] == 6
    (f,) = _events(client, sid, lambda fs: True)
    assert f["step"] == 6 and f["config"]["target"]["name"] == "spiral" and f["history"]["step"][-1] == 6
    junk = client.post("/api/ganlab/load", params={"session": sid}, content=b"not a lab", headers=BYTES).json()
    assert not junk["ok"] and "cannot read this lab state" in junk["error"]
    b64 = _cmd(client, sid, "save")["state"]  # through the protocol: base64 text
    assert _cmd(client, sid, "load", state=b64)["ok"]


def test_export_the_lab_over_time(lab, monkeypatch):
    client, hub = lab
    monkeypatch.setattr(hub, "grace", 30.0)  # no page watches it while it renders: keep it anyway
    sid = _open(client, points=128, grid=16, manifold=6)
    _cmd(client, sid, "speed", steps_per_frame=5)
    _cmd(client, sid, "play")
    _events(client, sid, lambda fs: fs[-1]["step"] >= 40)
    _cmd(client, sid, "pause")
    assert len(hub.recordings[sid]) >= 4  # kept every few steps while the stream ran
    r = client.get("/api/ganlab/export", params={"session": sid, "format": "gif", "frames": 3})
    assert r.status_code == 200 and r.content[:6] == b"GIF89a" and r.headers["x-frames"] == "3"
    assert r.headers["content-type"] == "image/gif"
    r = client.get("/api/ganlab/export", params={"session": sid, "format": "png", "frames": 2, "curves": 1})
    assert r.status_code == 200, r.text
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert names == ["frame_00000.png", "frame_00001.png"]
    assert client.get("/api/ganlab/export", params={"session": sid, "format": "bmp"}).status_code == 400


def test_sessions_are_independent_and_stop_when_the_page_goes(lab):
    client, hub = lab
    a, b = _open(client), _open(client)
    assert a != b
    _cmd(client, a, "play")
    _events(client, a, lambda fs: fs[-1]["step"] >= 5)
    assert _cmd(client, b, "status")["step"] == 0  # b never moved
    _cmd(client, a, "pause")
    # no stream watches them any more (the pages went away): both stop after the grace period
    assert hub.session(b) is not None
    time.sleep(hub.grace + 0.6)
    assert hub.session(a) is None and hub.session(b) is None
    assert client.post("/api/ganlab/command", json={"session": b, "type": "status"}).status_code == 404
    (gone,) = _events(client, b, lambda fs: True)
    assert gone["_event"] == "gone"
    # an explicit goodbye (the page's keepalive POST) stops a session at once
    c = _open(client)
    assert client.post("/api/ganlab/close", json={"session": c}).json() == {"ok": True, "closed": True}
    assert hub.session(c) is None and c not in hub.worker.sessions


def test_the_command_line_names_the_panel_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import contextlib

    from torchscope.cli import build_parser
    from torchscope.server.panels.ganlab.cli import lab_url, open_lab_store

    args = build_parser().parse_args(["gan-lab", "--port", "0"])
    assert args.port == 0 and not args.open
    assert lab_url(6006) == "http://127.0.0.1:6006/#ganlab"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TORCHSCOPE_DIR", raising=False)
    with contextlib.ExitStack() as stack:
        store = open_lab_store(stack)  # no ./tsruns: a temporary empty store
        assert store.runs() == [] and "torchscope-ganlab-" in str(store.dir)
        tmp = store.dir
    assert not tmp.exists()
