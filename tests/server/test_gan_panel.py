"""The GAN panel's API over a real store filled by a real (tiny) ``ts.gan.train_dcgan`` run.

The monitor logs the curves, the fixed-noise grid at every checkpoint and the generator
checkpoint; a ``gan.metrics`` record and a ``health.alarm`` are added as the monitor logs them
(metrics are off to keep the run fast), and a quickly trained classifier is stored with the class
means for the lens. Every route is checked against the store; prototypes and counterfactuals
against the library on the same checkpoints.
"""

from __future__ import annotations

import io
import time
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
    metrics record and an alarm as the monitor writes them, and a classifier trained for a second
    (with the class means); a run with a generator but no classifier; a plain run with no GAN data."""
    from torchscope.gan._util import threads
    from torchscope.gan.features import _train

    ds = ts.data.load("digits")
    run = ts.init(project="gan", name="dcgan", dir=dir)
    gan = ts.gan.train_dcgan(ds, epochs=1, run=run, metrics=False, batch_size=256, progress=False)
    x, y = ts.gan._util.dataset_tensors(ds)
    with threads(1):
        clf, _ = _train(x, y, 10, epochs=4, seed=0)  # about 0.7 accuracy: enough to have opinions
    ts.gan.save_checkpoint(run, clf, role="classifier", step=7, real=ds)
    m = GanMetrics(fd=12.5, kid=0.031, kid_std=0.004, precision=0.6, recall=0.4, extractor="test-x", n_real=100,
                   n_fake=100, step=6)
    run.log_record(m, step=6, key="gan/metrics")
    run.log_record(Alarm(type="d_winning", step=5, message="D(G(z)) pinned", value=0.01, key="gan/d_fake"),
                   step=5, key="gan/alarms")
    run.finish()
    nocls = ts.init(project="gan", name="no classifier", dir=dir)
    ts.gan.save_checkpoint(nocls, gan.generator, role="generator", z_dim=gan.z_dim)
    nocls.finish()
    plain = ts.init(project="gan", name="plain", dir=dir)
    plain.log({"loss": 1.0}, step=0)
    plain.finish()
    return {"gan": run.id, "plain": plain.id, "nocls": nocls.id}


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
    assert gclient.get("/panels/gan/lens.js").status_code == 200
    assert gclient.get("/static/linechart.js").status_code == 200  # its curves: the shared uPlot chart


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


def wait_job(client: httpx.Client, path: str, params: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
    """Ask for a lens job, then poll it by id (as the panel does) until it is no longer queued or running."""
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    job, deadline = r.json(), time.time() + timeout
    while job["status"] in ("queued", "running") and time.time() < deadline:
        time.sleep(0.05)
        job = client.get("/api/gan/job", params={"id": job["id"]}).json()
    return job


def decode(url: str) -> np.ndarray:
    import base64

    from PIL import Image

    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))


def test_overview_says_what_the_lens_can_do(gclient, gan_store):
    ids = gan_store[1]
    lens = gclient.get("/api/gan/overview", params={"run": ids["gan"]}).json()["lens"]
    assert lens["ready"] and lens["means"] and lens["classes"] == [str(i) for i in range(10)] and not lens["message"]
    nocls = gclient.get("/api/gan/overview", params={"run": ids["nocls"]}).json()["lens"]
    assert not nocls["ready"] and nocls["generator"] and "no classifier checkpoint" in nocls["message"]
    assert "save_checkpoint" in nocls["message"]
    plain = gclient.get("/api/gan/overview", params={"run": ids["plain"]}).json()["lens"]
    assert "no generator checkpoint" in plain["message"] and "no classifier checkpoint" in plain["message"]
    for rid, what in ((ids["nocls"], "no classifier"), (ids["plain"], "no generator")):
        for path in ("/api/gan/prototype", "/api/gan/counterfactual"):
            r = gclient.get(path, params={"run": rid, "cls": "3", "source": "3", "target": "8"})
            assert r.status_code == 409 and what in r.json()["error"], (path, r.text)


def test_prototype_on_demand_matches_the_library(gclient, gan_store):
    dir, ids = gan_store
    params = {"run": ids["gan"], "cls": "3", "steps": 25, "starts": 4}
    first, again = (gclient.get("/api/gan/prototype", params=params).json() for _ in range(2))
    assert first["status"] in ("queued", "running", "done") and again["id"] == first["id"]  # coalesced
    job = wait_job(gclient, "/api/gan/prototype", params)
    assert job["status"] == "done" and job["progress"] == 1 and job["id"] == first["id"], job
    res = job["result"]
    assert res["class"] == "3" and 0 <= res["start_score"] < res["score"] <= 1  # optimizing raised the score
    img, mean = decode(res["image"]), decode(res["mean"])
    assert img.shape == mean.shape == (96, 96)
    # the library on the same checkpoints gives the same prototype and score
    G = ts.gan.load_checkpoint(dir, ids["gan"])
    ck = ts.open(dir).latest(ids["gan"], "gan.checkpoint", key="gan/checkpoint/classifier")
    ref = ts.gan.prototypes(G, ck.build(), [3], means=ck.means, steps=25, starts=4)
    assert res["score"] == pytest.approx(ref.probs[0], rel=1e-5)
    assert np.abs(img[::12, ::12].astype(int) - ref.images[0][..., 0]).max() <= 1
    assert np.array_equal(mean[::12, ::12], ref.means[0][..., 0])
    t = time.perf_counter()  # asked again: the cached answer, at once
    cached = gclient.get("/api/gan/prototype", params=params).json()
    assert cached["status"] == "done" and cached["result"] == res and time.perf_counter() - t < 1
    assert gclient.get("/api/gan/prototype", params={**params, "cls": "x"}).status_code == 400


def test_counterfactual_on_demand(gclient, gan_store):
    ids = gan_store[1]
    params = {"run": ids["gan"], "source": "3", "target": "8", "steps": 40, "points": 5}
    job = wait_job(gclient, "/api/gan/counterfactual", params)
    assert job["status"] == "done", job
    res = job["result"]
    assert res["source"] == "3" and res["target"] == "8" and len(res["images"]) == len(res["alphas"]) == 5
    probs = np.array(res["probs"])
    assert probs.shape == (5, 10) and np.allclose(probs.sum(1), 1, atol=1e-3)
    assert res["reached"] == pytest.approx(probs[-1, 8], abs=1e-4) and probs[-1, 8] >= probs[0, 8]
    assert decode(res["images"][0]).shape == (64, 64)
    bad = gclient.get("/api/gan/counterfactual", params={**params, "target": "3"})
    assert bad.status_code == 400 and "different" in bad.json()["error"]


def test_a_long_job_can_be_cancelled_and_asked_again(gclient, gan_store):
    params = {"run": gan_store[1]["gan"], "cls": "5", "steps": 2000, "starts": 64}
    job = gclient.get("/api/gan/prototype", params=params).json()
    assert job["status"] in ("queued", "running")
    assert gclient.post("/api/gan/cancel", json={"job": job["id"]}).json()["id"] == job["id"]
    deadline = time.time() + 10
    while (now := gclient.get("/api/gan/job", params={"id": job["id"]}).json())["status"] != "cancelled":
        assert now["status"] in ("queued", "running") and time.time() < deadline, now
        time.sleep(0.05)
    assert now["progress"] < 0.5 and now["error"] == "cancelled"
    # a cancelled job is not an answer: asking again starts it anew (and it is cancelled again here)
    fresh = gclient.get("/api/gan/prototype", params=params).json()
    assert fresh["status"] in ("queued", "running")
    assert gclient.post("/api/gan/cancel", params={"job": fresh["id"]}).status_code == 415  # not said to be JSON
    json_type = {"Content-Type": "application/json"}  # the job in the query, an empty JSON body
    assert gclient.post("/api/gan/cancel", params={"job": fresh["id"]}, headers=json_type).status_code == 200
    assert gclient.post("/api/gan/cancel", content=b"[1]", headers=json_type).status_code == 400
    assert gclient.post("/api/gan/cancel", json={"job": "nope"}).status_code == 404
    assert gclient.get("/api/gan/job", params={"id": "nope"}).status_code == 404


def test_jobs_report_progress_and_stop_when_abandoned():
    from torchscope.server.panels.gan.jobs import Jobs

    jobs, seen = Jobs(abandon_s=0.3), []

    def work(progress):
        for i in range(200):
            time.sleep(0.01)
            progress(i + 1, 200)
            seen.append(i)
        return "done"

    job = jobs.submit(("slow",), work)
    time.sleep(0.15)
    assert jobs.get(job.id).to_json()["status"] == "running" and 0 < job.progress < 1
    deadline = time.time() + 5  # nobody polls any more: it stops by itself
    while job.active and time.time() < deadline:
        time.sleep(0.05)
    assert job.status == "cancelled" and "abandoned" in job.error and len(seen) < 200
    quick = jobs.submit(("quick",), lambda progress: {"x": 1})
    while quick.active:
        time.sleep(0.01)
    assert quick.to_json()["result"] == {"x": 1} and jobs.submit(("quick",), None) is quick  # cached


def test_timeline_gif_has_one_frame_per_checkpoint(gclient, gan_store):
    from PIL import Image

    ids = gan_store[1]
    r = gclient.get("/api/gan/gif", params={"run": ids["gan"]})
    assert r.status_code == 200 and r.headers["content-type"] == "image/gif"
    assert "attachment" in r.headers["content-disposition"] and r.headers["x-frames"] == "7"
    gif = Image.open(io.BytesIO(r.content))
    assert gif.format == "GIF" and gif.n_frames == 7 and gif.is_animated
    assert gclient.get("/api/gan/gif", params={"run": ids["plain"]}).status_code == 404
