"""The tour's transformer stage (``torchscope.attention.tour``), quick, into a real run: the reversal
model's attention points each output at its mirror position (argmax of the last layer's mean over
heads), and the sentiment model's largest token attribution is the one deciding word."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch

import torchscope as ts
from torchscope.attention.tour import LENGTH, NEGATIVE, POSITIVE, SAMPLES, tour_stage


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    dir = tmp_path_factory.mktemp("tour_attention") / "tsruns"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the tour runs it
    try:
        with ts.init(project="demo", name="transformer", dir=dir) as run:
            t0, c0 = time.perf_counter(), time.process_time()
            tour_stage(run, seed=0, quick=True)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        torch.set_num_threads(threads)
    print(f"\ntour stage (quick): {wall:.1f} s wall, {cpu:.1f} s CPU")
    store = ts.open(dir)
    yield {"store": store, "run": run.id}
    store.close()


def _record(stage: dict[str, Any], key: str) -> Any:
    found = stage["store"].records(stage["run"], key=key)
    assert len(found) == 1, key
    return found[0].record


def test_reversal_attends_to_the_mirror_positions(stage: dict[str, Any]) -> None:
    rec = _record(stage, "attention/reverse")
    g = rec.group()
    assert g.maps.shape == (2, SAMPLES, 4, LENGTH, LENGTH) and rec.kind == "attention.maps"
    last = g.maps[-1].astype(np.float32).mean(axis=1)  # samples x T x T
    mirror = np.arange(LENGTH)[::-1]
    found = (last.argmax(-1) == mirror).mean()
    assert found >= 0.9, found
    assert last[:, np.arange(LENGTH), mirror].mean() > 0.5  # most of each output's attention, not a near tie
    tokens = rec.tokens[0]
    assert len(tokens) == LENGTH and all(len(t) == 1 for t in tokens)


def test_sentiment_attributions_find_the_deciding_word(stage: dict[str, Any]) -> None:
    ig = _record(stage, "attention/sentiment/ig")
    assert ig.kind == "explain.tokens" and ig.method == "integrated_gradients" and len(ig) == SAMPLES
    deciding = set(POSITIVE) | set(NEGATIVE)
    for i in range(len(ig)):
        words = ig.tokens[i]
        where = [j for j, w in enumerate(words) if w in deciding]
        assert len(where) == 1 and words[0] == "[CLS]"
        assert ig.top(i, 1)[0][0] == words[where[0]], (words, ig.scores[i])
        assert ig.pred_labels[i] == ("positive" if words[where[0]] in POSITIVE else "negative")
    att = _record(stage, "attention/sentiment")
    assert att.group().maps.shape[3] == LENGTH + 1


def test_scalars_and_a_note(stage: dict[str, Any]) -> None:
    store, rid = stage["store"], stage["run"]
    keys = {k.key for k in store.keys(rid)}
    assert {"reverse/loss", "reverse/accuracy", "sentiment/loss", "sentiment/accuracy", "notes"} <= keys
    assert store.scalars(rid, "reverse/accuracy").value[-1] > 0.95
    assert store.scalars(rid, "sentiment/accuracy").value[-1] > 0.95
    note = store.texts(rid, "notes")[0].text
    assert "mirror position" in note and "deciding word" in note


def test_the_mirror_is_what_the_panel_draws(stage: dict[str, Any]) -> None:
    from starlette.testclient import TestClient

    from torchscope.server import create_app

    rid = stage["run"]
    with TestClient(create_app(stage["store"].location, warm=False), base_url="http://127.0.0.1") as client:
        r = client.get("/api/attention/layer", params={"run": rid, "key": "attention/reverse", "layer": 1,
                                                       "head": "mean"})
        assert r.status_code == 200
        body = r.content
        n = int.from_bytes(body[:4], "little")
        values = np.frombuffer(body, np.uint8, offset=-(-(4 + n) // 8) * 8).reshape(LENGTH, LENGTH)
        assert (values.argmax(-1) == np.arange(LENGTH)[::-1]).mean() >= 0.9
