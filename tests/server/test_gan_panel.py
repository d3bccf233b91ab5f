"""The GAN panel's API over a real store filled by a real (tiny) ``ts.gan.train_dcgan`` run.

The monitor logs the curves, the fixed-noise grid at every checkpoint and the generator
checkpoint; a ``gan.metrics`` record and a ``health.alarm`` are added as the monitor logs them
(metrics are off to keep the run fast). Every route is checked against the store.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

import torchscope as ts
from torchscope.gan.metrics import GanMetrics
from torchscope.server import create_app
from torchscope.watch.alarms import Alarm

from .util import ServerThread


def train_gan(dir: Path) -> dict[str, Any]:
    """One finished run: 1 epoch of DCGAN on digits (batch 256: 7 steps, a grid at each), plus a
    metrics record and an alarm as the monitor writes them; and a plain run with no GAN data."""
    run = ts.init(project="gan", name="dcgan", dir=dir)
    ts.gan.train_dcgan(ts.data.load("digits"), epochs=1, run=run, metrics=False, batch_size=256, progress=False)
    m = GanMetrics(fd=12.5, kid=0.031, kid_std=0.004, precision=0.6, recall=0.4, extractor="test-x", n_real=100,
                   n_fake=100, step=6)
    run.log_record(m, step=6, key="gan/metrics")
    run.log_record(Alarm(type="d_winning", step=5, message="D(G(z)) pinned", value=0.01, key="gan/d_fake"),
                   step=5, key="gan/alarms")
    run.finish()
    plain = ts.init(project="gan", name="plain", dir=dir)
    plain.log({"loss": 1.0}, step=0)
    plain.finish()
    return {"gan": run.id, "plain": plain.id}


@pytest.fixture(scope="module")
def gan_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    dir = tmp_path_factory.mktemp("gan") / "tsruns"
    return dir, train_gan(dir)


@pytest.fixture(scope="module")
def gclient(gan_store: tuple[Path, dict[str, Any]]) -> Iterator[httpx.Client]:
    with ServerThread(create_app(gan_store[0], poll_interval=0.2, warm=False)) as url, \
            httpx.Client(base_url=url, timeout=30) as c:
        yield c


def test_panel_is_registered(gclient):
    panels = {p["name"]: p for p in gclient.get("/api/panels").json()["panels"]}
    assert panels["gan"]["error"] is None and panels["gan"]["title"] == "GAN"
    assert gclient.get("/panels/gan/panel.js").status_code == 200
    assert gclient.get("/panels/gan/chart.js").status_code == 200


def test_runs_lists_only_gan_runs(gclient, gan_store):
    ids = gan_store[1]
    got = gclient.get("/api/gan/runs", params={"run": [ids["gan"], ids["plain"]]}).json()["runs"]
    assert [r["id"] for r in got] == [ids["gan"]]
    assert got[0]["checkpoint"] and got[0]["monitor"] and got[0]["samples"] == 7


def test_overview_has_the_logged_values(gclient, gan_store):
    dir, ids = gan_store
    store = ts.open(dir)
    data = gclient.get("/api/gan/overview", params={"run": ids["gan"]}).json()
    for key in ("gan/d_loss", "gan/g_loss", "gan/d_real", "gan/d_fake", "gan/g_grad_norm", "gan/d_grad_norm"):
        s = store.scalars(ids["gan"], key)
        assert data["scalars"][key]["step"] == s.step.tolist(), key
        assert np.allclose(data["scalars"][key]["value"], s.value, rtol=1e-12), key
    assert all(0 <= v <= 1 for v in data["scalars"]["gan/d_real"]["value"] + data["scalars"]["gan/d_fake"]["value"])
    steps = [e.step for e in store.images(ids["gan"], "gan/samples", with_data=False)]
    assert [t["step"] for t in data["timeline"]] == steps and len(steps) == 7
    assert data["metrics"] == [{"fd": 12.5, "kid": 0.031, "kid_std": 0.004, "precision": 0.6, "recall": 0.4,
                                "extractor": "test-x", "n_real": 100, "n_fake": 100, "k": 3, "step": 6}]
    assert data["alarms"] == [{"type": "d_winning", "step": 5, "message": "D(G(z)) pinned", "value": 0.01,
                               "key": "gan/d_fake"}]
    assert data["config"]["z_dim"] == 64 and data["checkpoint"] is True


def test_sample_route_returns_each_checkpoint_grid(gclient, gan_store):
    dir, ids = gan_store
    store = ts.open(dir)
    entries = store.images(ids["gan"], "gan/samples")
    blobs = set()
    for e in entries:
        r = gclient.get("/api/gan/sample", params={"run": ids["gan"], "step": e.step})
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert r.content == e.data
        blobs.add(r.content)
    assert len(blobs) > 1  # the grid changes while G trains
    assert gclient.get("/api/gan/sample", params={"run": ids["gan"], "step": 99999}).status_code == 404
    assert gclient.get("/api/gan/sample", params={"run": ids["plain"], "step": 0}).status_code == 404


def test_plain_run_overview_is_empty(gclient, gan_store):
    data = gclient.get("/api/gan/overview", params={"run": gan_store[1]["plain"]}).json()
    assert data["scalars"] == {} and data["timeline"] == [] and data["metrics"] == [] and not data["checkpoint"]


def test_latent_explorer_from_the_checkpoint(gclient, gan_store):
    from PIL import Image

    dir, ids = gan_store
    d = gclient.get("/api/gan/directions", params={"run": ids["gan"]}).json()
    assert d["k"] == 6 and len(d["sigma"]) == 6 and all(s > 0 for s in d["sigma"])
    a = gclient.get("/api/gan/explore", params={"run": ids["gan"], "s": "0,0"})
    b = gclient.get("/api/gan/explore", params={"run": ids["gan"], "s": "3,0,-2"})
    assert a.status_code == b.status_code == 200 and a.headers["content-type"] == "image/png"
    ia, ib = (np.asarray(Image.open(io.BytesIO(r.content))) for r in (a, b))
    assert ia.shape[:2] == (64, 64) and not np.array_equal(ia, ib)
    # the same image as the library computes from the stored generator and those directions
    G = ts.gan.load_checkpoint(dir, ids["gan"])
    dirs = ts.gan.directions(G, k=6, samples=500)
    ref = ts.gan.LatentExplorer(G, dirs).image([3, 0, -2])
    assert np.abs(ib[::8, ::8].astype(int).reshape(ref.shape) - ref.astype(int)).max() <= 1
    assert gclient.get("/api/gan/explore", params={"run": ids["gan"], "s": "x"}).status_code == 400
    assert gclient.get("/api/gan/directions", params={"run": ids["plain"]}).status_code == 404
