"""Test helpers for the dashboard: fill a real store, run a real uvicorn server on a free port."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import uvicorn

import torchscope as ts
from torchscope.server.serve import free_port

XSS = "<img src=x onerror=alert(1)>"
SPIKE_STEP = 777


def fill_store(dir: Path) -> dict[str, Any]:
    """Three finished runs with scalars (a spike and a NaN), images, histograms, text; returns their ids."""
    rng = np.random.default_rng(0)
    ids = {}
    for i, (name, lr, tag) in enumerate([("alpha", 0.1, "cnn"), ("beta", 0.01, "cnn"), (XSS, 0.05, "mlp")]):
        run = ts.init(project="proj" if i < 2 else "other", name=name, dir=dir, tags=[tag],
                      config={"lr": lr, "opt": {"name": "sgd"}, "seed": i})
        for s in range(2000):
            loss = math.exp(-s * lr / 50) + 0.01 * math.sin(s)
            if i == 0 and s == SPIKE_STEP:
                loss = 1000.0
            acc = float("nan") if (i == 1 and s == 5) else 1 - loss / 2
            run.log({"train/loss": loss, "train/acc": acc}, step=s)
        run.log({"val/acc": 0.9 - 0.1 * i}, step=2000)
        for s in (0, 10, 20):
            run.log_image("samples", (rng.random((8, 8, 3)) * 255).astype(np.uint8), step=s, caption=f"c{s}")
            run.log_histogram("weights", rng.standard_normal(200) + s / 10, step=s, bins=16)
        run.log_text("notes", f"**bold {i}** <script>alert(1)</script> [x](javascript:alert(1))", step=1)
        run.summary["best"] = float("inf") if i == 2 else 0.5
        run.finish()
        ids[name] = run.id
    return ids


def expected_loss(lr: float, s: int) -> float:
    return math.exp(-s * lr / 50) + 0.01 * math.sin(s)


class ServerThread:
    """``with ServerThread(app) as url:`` a real uvicorn server on a free loopback port.

    ``lifespan="on"`` runs the app's startup (the warm-up) as ``torchscope serve`` does.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", lifespan: str = "off") -> None:
        self.port = free_port(host)
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=self.port, log_level="warning",
                                                    timeout_graceful_shutdown=1, lifespan=lifespan))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://{host}:{self.port}"

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
