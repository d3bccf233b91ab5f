"""Live updates: the poller sends only what is new; the SSE stream delivers it within 2 s."""

from __future__ import annotations

import json
import threading
import time

import httpx

import torchscope as ts
from torchscope.server import create_app
from torchscope.server.live import Watch

from .util import ServerThread


def test_watch_sends_only_new_points(tmp_path):
    run = ts.init(project="p", name="live", dir=tmp_path)
    for s in range(10):
        run.log({"loss": float(s)}, step=s)
    run.flush()
    watch = Watch(ts.open(tmp_path))
    assert watch.poll() == []
    run.log({"loss": 10.0, "acc": 0.5}, step=10)
    run.log_text("notes", "hi", step=10)
    run.flush()
    events = watch.poll()
    scal = {e[1]["key"]: e[1] for e in events if e[0] == "scalars"}
    assert scal["loss"]["step"] == [10] and scal["loss"]["value"] == [10.0]
    assert scal["acc"]["step"] == [10]
    assert ("keys", {"run": run.id, "kind": "text", "key": "notes", "count": 1}) in events
    assert watch.poll() == []
    run.log({"loss": 11.0}, step=11)
    run.finish()
    events = watch.poll()  # the run finished meanwhile: its last points still arrive
    assert [e[1]["step"] for e in events if e[0] == "scalars"] == [[11]]
    assert ("runs", {"count": 1}) in events
    assert watch.poll() == []


def test_sse_delivers_new_point_within_two_seconds(tmp_path):
    run = ts.init(project="p", name="live", dir=tmp_path, flush_interval=0.1)
    run.log({"loss": 1.0}, step=0)
    run.flush()
    got: list[tuple[str, dict, float]] = []
    with ServerThread(create_app(tmp_path, poll_interval=0.2)) as url:
        def listen() -> None:
            with httpx.stream("GET", url + "/api/events", timeout=10) as r:
                event = None
                for line in r.iter_lines():
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: "):
                        got.append((event, json.loads(line[6:]), time.time()))
                        if event == "scalars":
                            return

        t = threading.Thread(target=listen, daemon=True)
        t.start()
        deadline = time.time() + 5
        while not got and time.time() < deadline:
            time.sleep(0.02)
        assert got and got[0][0] == "hello"
        logged = time.time()
        run.log({"loss": 0.5}, step=1)
        t.join(5)
    run.finish()
    event, data, at = got[-1]
    assert event == "scalars" and data["step"] == [1] and data["value"] == [0.5]
    assert at - logged < 2.0
