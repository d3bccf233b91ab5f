"""Live updates from the team store by LISTEN/NOTIFY: a dashboard tab reads the store only when a
writer says something changed (no polling while nothing happens), and still gets each point fast."""

from __future__ import annotations

import json
import threading
import time

import httpx

import torchscope as ts
from tests.server.util import ServerThread
from torchscope.server import create_app, live
from torchscope.store.postgres import PostgresStore


def test_the_feed_hears_each_commit(pg_url):
    store = PostgresStore(pg_url)
    feed = store.changes()
    for _ in range(100):
        if feed.connected:
            break
        time.sleep(0.05)
    seen = feed.generation
    with ts.init(name="heard", store=pg_url) as run:
        run.log({"x": 1.0})
    deadline = time.time() + 5
    while run.id not in feed.runs and time.time() < deadline:
        time.sleep(0.05)
    assert run.id in feed.runs and feed.generation > seen
    store.close()
    assert not feed._thread.is_alive()


def test_a_tab_reads_only_when_told(pg_url, monkeypatch):
    run = ts.init(project="p", name="live", store=pg_url, flush_interval=0.1)
    run.log({"loss": 1.0}, step=0)
    run.flush()
    polls: list[float] = []
    real = live.Watch.poll

    def counted(self, initial=False):
        polls.append(time.time())
        return real(self, initial)

    monkeypatch.setattr(live.Watch, "poll", counted)
    got: list[tuple[str, dict, float]] = []
    with ServerThread(create_app(pg_url, poll_interval=0.2, warm=False)) as url:
        def listen() -> None:
            with httpx.stream("GET", url + "/api/events", timeout=30) as r:
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
        time.sleep(live.SETTLE + 3.0)  # a quiet store: after the first settle, no reads at all
        quiet = [p for p in polls if p > polls[0] + live.SETTLE + 0.5]
        assert quiet == [], f"{len(quiet)} reads while nothing changed"
        sent = time.time()
        run.log({"loss": 2.0}, step=1)
        run.flush()
        t.join(10)
    run.finish()
    scal = [g for g in got if g[0] == "scalars"]
    assert scal and scal[0][1]["step"] == [1] and scal[0][2] - sent < 2.0
