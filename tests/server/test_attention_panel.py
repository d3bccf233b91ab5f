"""The Attention panel's API on a real store: attention captured from a plain PyTorch encoder, an
``nn.Transformer`` (encoder, decoder and cross-attention), a Hugging Face ViT built from its config
(rollout over the image), a 2,048-token record, and token attributions with hostile tokens. The
weights travel as uint8 planes (each plane scaled to its maximum): checked against the stored maps
to within one quantization step, with their sizes against the same weights as JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import torch
from torch import nn

import torchscope as ts
from torchscope.attention import AttentionGroup, AttentionMaps
from torchscope.attention.views import HEAD_VIEW_LIMIT, THUMB, block_max
from torchscope.server import create_app

from .util import XSS, ServerThread

LONG = 2048


def long_record() -> AttentionMaps:
    """One layer, two heads over 2,048 tokens: a local band (each token on its 3 neighbours) and every
    token on its mirror position and on the first token."""
    n = LONG
    band = np.zeros((n, n), np.float32)
    for d in (-1, 0, 1):
        band += np.eye(n, k=d, dtype=np.float32)
    mirror = 0.7 * np.eye(n, dtype=np.float32)[::-1]
    mirror[:, 0] += 0.3
    maps = np.stack([band / band.sum(-1, keepdims=True), mirror / mirror.sum(-1, keepdims=True)])
    g = AttentionGroup(name="self", role="self", layers=["block.0.attn"], maps=maps[None, None].astype(np.float16))
    return AttentionMaps(groups=[g], tokens=[[f"w{i}" for i in range(n)]], model="Synthetic")


class Classifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(20, 16)
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True), 2,
                                             enable_nested_tensor=False)
        self.head = nn.Linear(16, 2)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(self.embed(ids))[:, 0])


def fill(dir: Path) -> dict[str, Any]:
    """Two runs: ``text`` (an encoder classifier's attention and token attributions, an ``nn.Transformer``'s
    three groups, the 2,048-token record) and ``vision`` (a ViT's attention with its images)."""
    from transformers import ViTConfig, ViTForImageClassification

    torch.manual_seed(0)
    clf = Classifier().eval()
    ids = torch.randint(1, 20, (3, 10))
    words = [[XSS if j == 3 else f"tok{i}{j}" for j in range(10)] for i in range(3)]
    recs: dict[str, Any] = {"encoder": ts.attention(clf, ids, tokens=words)}
    recs["ig"] = ts.explain(clf, ids, method="ig", tokens=words, class_names=["no", "yes"])
    seq2seq = nn.Transformer(16, 2, 1, 1, 32, dropout=0.0, batch_first=True).eval()
    recs["seq2seq"] = ts.attention(seq2seq, (torch.randn(2, 7, 16), torch.randn(2, 5, 16)), tokens=list("abcdefg"),
                                   decoder_tokens=list("VWXYZ"))
    recs["long"] = long_record()
    with ts.init(project="attention", name="text", dir=dir) as run:
        run.log_record(recs["encoder"], key="attention/encoder", step=3)
        run.log_record(recs["ig"], key="attention/encoder/ig", step=3)
        run.log_record(recs["seq2seq"], key="attention/seq2seq", step=4)
        run.log_record(recs["long"], key="attention/long", step=5)
        text = run.id
    vit = ViTForImageClassification(ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2,
                                              num_attention_heads=4, intermediate_size=64)).eval()
    recs["vit"] = ts.attention(vit, torch.rand(2, 3, 32, 32))
    with ts.init(project="attention", name="vision", dir=dir) as run:
        run.log_record(recs["vit"], key="attention/vit", step=1)
        vision = run.id
    return {"text": text, "vision": vision, "recs": recs}


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    dir = tmp_path_factory.mktemp("attention") / "tsruns"
    return dir, fill(dir)


@pytest.fixture(scope="module")
def client(filled: tuple[Path, dict[str, Any]]) -> Iterator[httpx.Client]:
    with ServerThread(create_app(filled[0], poll_interval=0.2)) as url, httpx.Client(base_url=url, timeout=30) as c:
        yield c


def planes(r: httpx.Response) -> tuple[dict[str, Any], np.ndarray]:
    """A planes frame: (header, P x R x C uint8)."""
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/octet-stream"
    body = r.content
    n = int.from_bytes(body[:4], "little")
    header = json.loads(body[4:4 + n])
    start = -(-(4 + n) // 8) * 8
    values = np.frombuffer(body, np.uint8, offset=start)
    assert len(body) == start + header["planes"] * header["rows"] * header["cols"]
    return header, values.reshape(header["planes"], header["rows"], header["cols"])


def weights(header: dict[str, Any], values: np.ndarray) -> np.ndarray:
    return values.astype(np.float64) / 255 * np.asarray(header["max"])[:, None, None]


def one(filled: tuple[Path, dict[str, Any]], key: str, run: str = "text", **extra: Any) -> dict[str, Any]:
    return {"run": filled[1][run], "key": f"attention/{key}", **extra}


def test_the_panel_is_registered_after_the_projector(client: httpx.Client) -> None:
    panels = client.get("/api/panels").json()["panels"]
    names = [p["name"] for p in panels]
    got = next(p for p in panels if p["name"] == "attention")
    assert got["error"] is None and got["title"] == "Attention" and got["order"] == 66
    assert names.index("attention") == names.index("projector") + 1
    for f in ("panel.js", "data.js", "headview.js", "heatmap.js", "modelview.js", "attention.css", "README.md"):
        assert client.get(f"/panels/attention/{f}").status_code == 200, f
    assert {"/api/attention/index", "/api/attention/layer"} <= set(client.get("/api/openapi.json").json()["paths"])


def test_index_lists_records_without_their_weights(client: httpx.Client, filled: tuple[Path, dict[str, Any]]) -> None:
    got = client.get("/api/attention/index", params={"run": filled[1]["text"]})
    idx = got.json()
    assert len(got.content) < 4000  # no weights, no token lists
    assert [(m["key"], m["step"]) for m in idx["maps"]] == [("attention/encoder", 3), ("attention/seq2seq", 4),
                                                            ("attention/long", 5)]
    enc = idx["maps"][0]
    assert enc["samples"] == 3 and enc["groups"][0]["shape"] == [2, 3, 2, 10, 10] and enc["grid"] is None
    assert [g["name"] for g in idx["maps"][1]["groups"]] == ["encoder", "decoder", "cross"]
    assert idx["maps"][1]["groups"][2]["query"] == "decoder_tokens" and idx["maps"][1]["groups"][2]["key"] == "tokens"
    assert idx["tokens"] == [{"key": "attention/encoder/ig", "step": 3, "method": "integrated_gradients",
                              "layer": "embed", "samples": 3, "signed": True, "position": None}]
    assert idx["limit"] == HEAD_VIEW_LIMIT and idx["thumb"] == THUMB
    vit = client.get("/api/attention/index", params={"run": filled[1]["vision"]}).json()["maps"][0]
    assert vit["grid"] == [4, 4] and vit["prefix"] == 1 and vit["image"] is True
    empty = client.get("/api/attention/index", params={"run": "no-such-run"}).json()
    assert empty["maps"] == [] and empty["tokens"] == []


def test_labels_are_the_samples_tokens(client: httpx.Client, filled: tuple[Path, dict[str, Any]]) -> None:
    rec = filled[1]["recs"]["encoder"]
    got = client.get("/api/attention/labels", params=one(filled, "encoder", sample=2)).json()
    assert got == {"tokens": rec.tokens[2], "decoder_tokens": []} and XSS in got["tokens"]
    s2s = client.get("/api/attention/labels", params=one(filled, "seq2seq", sample=1)).json()
    assert s2s == {"tokens": list("abcdefg"), "decoder_tokens": list("VWXYZ")}


def test_a_layer_is_every_head_and_the_mean_to_one_quantization_step(client: httpx.Client,
                                                                    filled: tuple[Path, dict[str, Any]]) -> None:
    rec = filled[1]["recs"]["encoder"]
    maps = rec.group().maps[1, 2].astype(np.float32)  # layer 1, sample 2: heads x 10 x 10
    header, values = planes(client.get("/api/attention/layer", params=one(filled, "encoder", sample=2, layer=1)))
    assert header["names"] == ["h0", "h1", "mean"] and header["block"] == [1, 1] and header["window"] == [0, 10, 0, 10]
    want = np.concatenate([maps, maps.mean(0, keepdims=True)])
    got = weights(header, values)
    step = np.asarray(header["max"])[:, None, None] / 255
    assert np.all(np.abs(got - want) <= step / 2 + 1e-6)
    assert np.allclose(header["max"], want.reshape(3, -1).max(1), rtol=1e-6)
    h1, v1 = planes(client.get("/api/attention/layer", params=one(filled, "encoder", sample=2, layer=1, head=1)))
    assert h1["names"] == ["h1"] and np.array_equal(v1[0], values[1])
    hm, vm = planes(client.get("/api/attention/layer", params=one(filled, "encoder", sample=2, layer=1, head="mean")))
    assert hm["names"] == ["mean"] and np.array_equal(vm[0], values[2])


def test_cross_attention_is_decoder_queries_over_encoder_keys(client: httpx.Client,
                                                              filled: tuple[Path, dict[str, Any]]) -> None:
    rec = filled[1]["recs"]["seq2seq"]
    header, values = planes(client.get("/api/attention/layer", params=one(filled, "seq2seq", sample=1, group="cross",
                                                                          layer=0)))
    assert values.shape == (3, 5, 7) and header["tokens"] == [5, 7]
    want = rec.group("cross").maps[0, 1].astype(np.float32)
    step = np.asarray(header["max"][:2])[:, None, None] / 255
    assert np.all(np.abs(weights(header, values)[:2] - want) <= step / 2 + 1e-6)


def test_thumbnails_are_every_layer_and_head(client: httpx.Client, filled: tuple[Path, dict[str, Any]]) -> None:
    rec = filled[1]["recs"]["encoder"]
    header, values = planes(client.get("/api/attention/thumbs", params=one(filled, "encoder", sample=1)))
    assert (header["layers"], header["heads"]) == (2, 2) and values.shape == (4, 10, 10)
    assert header["names"] == ["L0h0", "L0h1", "L1h0", "L1h1"]
    want = rec.group().maps[1, 1, 0].astype(np.float32)
    assert np.abs(weights(header, values)[2] - want).max() <= header["max"][2] / 510 + 1e-6
    assert values.reshape(4, -1).max(1).tolist() == [255] * 4  # each thumbnail scaled to its own maximum


def test_long_maps_are_reduced_and_compact(client: httpx.Client, filled: tuple[Path, dict[str, Any]]) -> None:
    maps = filled[1]["recs"]["long"].group().maps[0, 0].astype(np.float32)  # 2 x 2048 x 2048
    r = client.get("/api/attention/layer", params=one(filled, "long", layer=0, head=1, size=1024))
    header, values = planes(r)
    assert values.shape == (1, 1024, 1024) and header["block"] == [2, 2] and header["window"] == [0, LONG, 0, LONG]
    want = block_max(maps[1], 1024)
    assert np.abs(weights(header, values)[0] - want).max() <= header["max"][0] / 510 + 1e-6
    assert values[0, 1023, 0] == 255 and abs(int(values[0, 0, 1023]) - 0.7 * 255) <= 1  # the mirror's corners
    assert values[0, 100:1000, 0].min() > 0  # every token on the first
    as_json = len(json.dumps(np.round(maps[1].astype(np.float64), 4).tolist()))
    full = client.get("/api/attention/layer", params=one(filled, "long", layer=0, head=1, size=LONG))
    assert planes(full)[1].shape == (1, LONG, LONG)
    print(f"\n2,048 x 2,048 head: {len(r.content) / 1e6:.2f} MB as 1,024-a-side uint8 planes, "
          f"{len(full.content) / 1e6:.2f} MB at full size, {as_json / 1e6:.1f} MB as JSON (4 decimals)")
    assert len(r.content) < 1.01 * 1024 * 1024 < len(full.content) < as_json / 4
    # a zoom: the window's weights at full resolution
    hw, vw = planes(client.get("/api/attention/layer", params=one(filled, "long", layer=0, head=0, size=1024,
                                                                  window="100,164,90,190")))
    assert vw.shape == (1, 64, 100) and hw["block"] == [1, 1] and hw["window"] == [100, 164, 90, 190]
    assert np.abs(weights(hw, vw)[0] - maps[0, 100:164, 90:190]).max() <= hw["max"][0] / 510 + 1e-6


def test_rollout_and_image_of_a_vision_transformer(client: httpx.Client, filled: tuple[Path, dict[str, Any]]) -> None:
    rec = filled[1]["recs"]["vit"]
    got = client.get("/api/attention/rollout", params=one(filled, "vit", run="vision", sample=1)).json()
    assert got["grid"] == [4, 4] and got["prefix"] == 1
    np.testing.assert_allclose(got["values"], rec.rollout_grid(1), atol=1e-6)
    r = client.get("/api/attention/image.png", params=one(filled, "vit", run="vision", sample=1))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    no = client.get("/api/attention/rollout", params=one(filled, "encoder"))
    assert no.status_code == 404 and "no patch grid" in no.json()["error"]


def test_token_attributions_are_the_record(client: httpx.Client, filled: tuple[Path, dict[str, Any]]) -> None:
    rec = filled[1]["recs"]["ig"]
    got = client.get("/api/attention/tokens", params={"run": filled[1]["text"], "key": "attention/encoder/ig"}).json()
    assert got["method"] == "integrated_gradients" and got["signed"] and got["total"] == 3 and got["step"] == 3
    for i, s in enumerate(got["samples"]):
        assert s["tokens"] == rec.tokens[i]
        np.testing.assert_allclose(s["scores"], rec.scores[i], atol=1e-6)
        assert max(abs(v) for v in s["norm"]) == 1.0
        assert s["target"] == rec.target_labels[i]


@pytest.mark.parametrize(("route", "params", "status", "says"), [
    ("layer", {"layer": 2}, 404, "no layer 2: the group has 2 (layer 0 to 1)"),
    ("layer", {"layer": -1}, 400, "'layer' must be in [0"),
    ("layer", {"layer": "one"}, 400, "'layer' must be an integer"),
    ("layer", {"layer": 0, "head": 5}, 404, "no head 5"),
    ("layer", {"layer": 0, "head": "max"}, 400, "head must be a head index or 'mean'"),
    ("layer", {"layer": 0, "sample": 3}, 404, "no sample 3: the record has 3 (sample 0 to 2)"),
    ("layer", {"layer": 0, "size": 0}, 400, "'size' must be in [1, 4096]"),
    ("layer", {"layer": 0, "window": "1,2"}, 400, "window must be four integers"),
    ("layer", {"layer": 0, "window": "0,11,0,5"}, 400, "not inside the map's 10 queries x 10 keys"),
    ("layer", {"layer": 0, "window": "5,5,0,5"}, 400, "not inside"),
    ("thumbs", {"group": "cross"}, 404, "no attention group 'cross'"),
    ("labels", {"sample": 9}, 404, "no sample 9"),
    ("image.png", {}, 404, "holds no image"),
])
def test_bad_requests_say_what_is_wrong(client: httpx.Client, filled: tuple[Path, dict[str, Any]], route: str,
                                        params: dict[str, Any], status: int, says: str) -> None:
    r = client.get(f"/api/attention/{route}", params=one(filled, "encoder", **params))
    assert r.status_code == status and says in r.json()["error"], r.text


def test_missing_records_and_wrong_kinds_are_404(client: httpx.Client, filled: tuple[Path, dict[str, Any]]) -> None:
    r = client.get("/api/attention/layer", params=one(filled, "nothing", layer=0))
    assert r.status_code == 404 and "no attention.maps record under key 'attention/nothing'" in r.json()["error"]
    r = client.get("/api/attention/layer", params=one(filled, "encoder", layer=0, step=99))
    assert r.status_code == 404 and "at step 99" in r.json()["error"]
    r = client.get("/api/attention/tokens", params=one(filled, "encoder"))  # an attention record, not tokens
    assert r.status_code == 404 and "explain.tokens" in r.json()["error"]
    assert client.get("/api/attention/layer", params={"key": "attention/encoder"}).status_code == 400  # no run
