"""The tour (``torchscope demo``): five runs that tell a story, each holding what its stage needs,
and every card of the dashboard's Overview filled. Run in-process with ``quick`` (scikit-learn's 8x8
digits); the full tour's default data, the embedded MNIST, is checked without training."""

from __future__ import annotations

from typing import Any

import pytest

import torchscope as ts
from torchscope.demo import DIVERGE_LR, LR, SLOW_LR, Tour, TourCNN, load_tour_data


@pytest.fixture(scope="module")
def tour(quick_tour: dict[str, Any]) -> dict[str, Any]:
    return {"tour": quick_tour["tour"], "store": ts.open(quick_tour["dir"]), "dir": quick_tour["dir"]}


def _records(store: Any, rid: str) -> set[str]:
    return {k.record_kind for k in store.keys(rid, kind="record")}


def test_one_run_per_experiment(tour: dict[str, Any]) -> None:
    t: Tour = tour["tour"]
    store = tour["store"]
    assert [r.name for r in t.runs] == ["digits-cnn-lr0.003", "digits-cnn-lr0.0003", "digits-cnn-diverges",
                                        "digits-dcgan", "gan-lab-ring", "tiny-transformers",
                                        "mri-3d-segmentation"]
    assert t.dir == tour["dir"] and t.seconds > 0
    infos = {r.id: r for r in store.runs(project="demo")}
    assert set(infos) == {r.id for r in t.runs} and {r.status for r in infos.values()} == {"finished"}
    # the learning-rate sweep: two runs, one tag, the lr in their configs; the slower one learns less
    sweep = [infos[r.id] for r in (t.cnn, t.cnn_slow)]
    assert all("lr-sweep" in r.tags and "demo" in r.tags for r in sweep)
    assert [r.config["lr"] for r in sweep] == [LR, SLOW_LR] and sweep[0].summary["val_acc"] > 0.5
    assert sweep[0].summary["val_acc"] > sweep[1].summary["val_acc"]
    assert "lr-sweep" not in infos[t.diverged.id].tags and infos[t.diverged.id].config["lr"] == DIVERGE_LR


def test_the_main_run_holds_data_model_training_evaluation_and_explanations(tour: dict[str, Any]) -> None:
    t, store = tour["tour"], tour["store"]
    rid = t.cnn.id
    assert _records(store, rid) >= {"data.profile", "data.projection", "model.summary", "model.graph",
                                    "eval.confusion", "eval.per_class", "eval.curves", "eval.calibration",
                                    "eval.mistakes", "eval.most_confused", "explain.attribution", "explain.topk",
                                    "explain.feature_maps", "explain.filters"}
    kinds = {k.kind for k in store.keys(rid)}
    assert kinds >= {"scalar", "image", "histogram", "text", "record"}
    scalars = {k.key for k in store.keys(rid, kind="scalar")}
    assert {"train/loss", "train/acc", "train/lr", "val/loss", "val/acc", "watch/features.0/grad_norm"} <= scalars
    assert any(k.startswith("system/") for k in scalars)  # system metrics on the main run
    lr = store.scalars(rid, "train/lr").value
    assert lr.max() > lr[0] and lr[-1] < lr.max()  # the one-cycle schedule went up then down
    assert {"data/samples", "val/mistakes"} <= {k.key for k in store.keys(rid, kind="image")}
    assert "lr-sweep" in store.texts(rid, "notes")[-1].text


def test_the_volumes_run_segments_a_real_mri(tour: dict[str, Any]) -> None:
    """The 3-D stage: the bundled T1 image with truth and prediction (Dice), a Grad-CAM heat map, a 4-D series."""
    t, store = tour["tour"], tour["store"]
    vols = {e.key: e for e in store.records(t.volumes.id, kind="volume")}
    assert set(vols) == {"volumes/segmentation", "volumes/gradcam", "volumes/mri-4d"}
    seg = vols["volumes/segmentation"].data
    assert [c["name"] for c in seg["classes"]] == ["lesion", "cyst"] and set(seg["dice"]) == {"1", "2"}
    assert seg["dice"]["1"] == pytest.approx(t.volumes.summary["val/dice_lesion"])
    assert vols["volumes/gradcam"].data["heat_method"] == "gradcam" and vols["volumes/gradcam"].data["heat"]
    assert vols["volumes/mri-4d"].data["shape"][0] == 2 and vols["volumes/mri-4d"].data["t_kind"] == "time"
    assert {"seg/loss", "seg/dice_lesion", "seg/dice_cyst"} <= {k.key for k in store.keys(t.volumes.id,
                                                                                          kind="scalar")}


def test_the_second_run_is_only_training(tour: dict[str, Any]) -> None:
    t, store = tour["tour"], tour["store"]
    assert not _records(store, t.cnn_slow.id) & {"eval.confusion", "explain.attribution", "data.profile"}
    assert len(store.scalars(t.cnn_slow.id, "train/loss")) == len(store.scalars(t.cnn.id, "train/loss"))


def test_the_diverging_run_is_caught_by_the_health_alarms(tour: dict[str, Any]) -> None:
    t, store = tour["tour"], tour["store"]
    rid = t.diverged.id
    alarms = [e.data for e in store.records(rid, kind="health.alarm")]
    types = {a["type"] for a in alarms}
    assert types & {"lr_too_high", "exploding_grad", "nonfinite_grad", "nonfinite_output"}, types
    assert types & {"dead_relu", "vanishing_grad", "loss_divergence"}, types
    assert min(a["step"] for a in alarms) <= 5  # caught within the first steps
    loss = store.scalars(rid, "train/loss").value
    assert loss.max() > loss[0] and loss[-5:].mean() > 0.9 * loss[0]  # up first, then never down again
    assert store.run(rid).summary["val_acc"] < 0.3  # chance level
    note = store.texts(rid, "notes")[-1].text
    first = min(alarms, key=lambda a: a["step"])
    assert "Health's alarms caught it" in note and f"`{first['type']}` at step {first['step']}" in note


def test_the_gan_and_the_lab_have_their_own_runs(tour: dict[str, Any]) -> None:
    t, store = tour["tour"], tour["store"]
    assert _records(store, t.gan.id) >= {"gan.monitor", "gan.metrics", "gan.checkpoint", "gan.interpolation"}
    assert "gan/samples" in {k.key for k in store.keys(t.gan.id, kind="image")}
    assert "train/loss" not in {k.key for k in store.keys(t.gan.id, kind="scalar")}  # no CNN steps mixed in
    assert _records(store, t.lab.id) == {"gan.lab2d.frame"}
    assert not _records(store, t.cnn.id) & {"gan.monitor", "gan.lab2d.frame"}


def test_every_overview_card_is_filled(tour: dict[str, Any]) -> None:
    from starlette.testclient import TestClient

    from torchscope.server.app import create_app

    t = tour["tour"]
    with TestClient(create_app(tour["dir"], warm=False), base_url="http://127.0.0.1") as client:
        cards = client.get("/api/overview/stages", params={"run": [r.id for r in t.runs]}).json()["stages"]
    assert all(c["runs"] and c["thumb"] for c in cards), [c["id"] for c in cards if not c["runs"] or not c["thumb"]]
    by = {c["id"]: c for c in cards}
    assert by["training"]["thumb"]["key"] == "train/loss" and len(by["training"]["thumb"]["lines"]) == 3
    assert by["gan"]["run"] == t.gan.id and by["ganlab"]["run"] == t.lab.id and by["evaluation"]["run"] == t.cnn.id
    assert {r["run"] for r in by["health"]["thumb"]["runs"]} >= {t.diverged.id}


def test_the_full_tour_runs_on_the_embedded_mnist() -> None:
    ds, train, test = load_tour_data()
    assert ds.name == "mnist" and ds.sample_shape == (28, 28, 1) and (len(train), len(test)) == (8000, 2000)
    assert load_tour_data(quick=True)[0].name == "digits"
    import torch

    model = TourCNN()
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10) and model(torch.zeros(2, 1, 8, 8)).shape == (2, 10)
