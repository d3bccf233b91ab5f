"""The attention record's views and rollout: head view, model view, heat map (fast at 2,048 tokens),
rollout (Abnar & Zuidema 2020) over a patch grid, and notebook HTML that escapes tokens."""

from __future__ import annotations

import time

import numpy as np
import pytest

from torchscope.attention import AttentionGroup, AttentionMaps, rollout
from torchscope.attention.views import HEAD_VIEW_LIMIT, THUMB, block_max, mosaic, thumbnails

HOSTILE = ["<script>alert(1)</script>", "$\\frac{", "a&b", "'\"", "x"]


def record(tokens: int, layers: int = 2, heads: int = 3, seed: int = 0, **kw) -> AttentionMaps:
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(layers, 1, heads, tokens, tokens)).astype(np.float32)
    maps = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    g = AttentionGroup(name="self", role="self", layers=[f"l{i}" for i in range(layers)], maps=maps.astype(np.float16))
    return AttentionMaps(groups=[g], tokens=[[f"t{i}" for i in range(tokens)]], model="M", **kw)


def test_rollout_follows_the_paper() -> None:
    rng = np.random.default_rng(1)
    a = rng.random((3, 2, 4, 4))
    a /= a.sum(-1, keepdims=True)
    expected = np.eye(4)
    for layer in a:
        m = 0.5 * layer.mean(0) + 0.5 * np.eye(4)
        expected = (m / m.sum(-1, keepdims=True)) @ expected
    np.testing.assert_allclose(rollout(a), expected, rtol=1e-5)
    np.testing.assert_allclose(rollout(a).sum(-1), 1, rtol=1e-5)  # still a distribution per token
    eye = np.broadcast_to(np.eye(4), (2, 2, 4, 4))
    np.testing.assert_allclose(rollout(eye, residual=False), np.eye(4))
    assert rollout(a, head_fusion="max").shape == (4, 4)
    with pytest.raises(ValueError, match="head_fusion"):
        rollout(a, head_fusion="median")


def test_head_view_lines_and_the_limit(tmp_path) -> None:
    rec = record(5)
    rec.tokens = [HOSTILE]
    fig = rec.head_view(layer=1)
    collections = fig.axes[0].collections
    assert len(collections) == 3  # one per head
    maps = rec.group().maps[1, 0]
    assert sum(len(c.get_segments()) for c in collections) == int((maps >= 0.01).sum())
    assert {t.get_text() for t in fig.axes[0].texts} >= set(HOSTILE)
    fig.savefig(tmp_path / "h.png")  # mathtext would fail on "$\frac{"
    one = rec.head_view(layer=0, heads=[1], token=2)
    assert len(one.axes[0].collections) == 1 and len(one.axes[0].collections[0].get_segments()) <= 5
    big = record(HEAD_VIEW_LIMIT + 1, layers=1, heads=1)
    with pytest.warns(UserWarning, match="past its limit.*heat map instead"):
        fallback = big.head_view()
    assert "past its limit" in fallback.axes[0].get_title()


def test_model_view_thumbnails_and_heatmap_at_2048_tokens(tmp_path) -> None:
    rec = record(200, layers=2, heads=3)
    fig = rec.model_view()
    (ax,) = fig.axes
    shown = ax.images[0].get_array()
    expected = block_max(rec.group().maps[1, 0, 0], THUMB)
    side = expected.shape[0]
    assert side <= THUMB and shown.shape == (2 * side + 2, 3 * side + 2 * 2)  # 2 layers x 3 heads, 2-pixel gaps
    np.testing.assert_array_equal(shown, mosaic(rec.group(), 0))
    np.testing.assert_allclose(shown[side + 2:, :side], expected / expected.max(), rtol=1e-6)
    np.testing.assert_array_equal(block_max(np.eye(200), THUMB).diagonal(), 1)  # a thin diagonal stays visible
    big = record(2048, layers=1, heads=1)
    start = time.perf_counter()
    heat = big.heatmap(layer=0, head=0)
    heat.savefig(tmp_path / "big.png", dpi=80)
    took = time.perf_counter() - start
    assert heat.axes[0].images[0].get_array().shape == (1024, 1024)
    assert "2048x2048 shown as 1024x1024" in heat.axes[0].get_title()
    assert took < 10, f"the heat map of 2,048 tokens took {took:.1f} s"


def _reference_block_max(m: np.ndarray, size: int) -> np.ndarray:
    """What the thumbnails were before float16 was reduced as is: float32 first, zero-padded, block maxima."""
    m = np.asarray(m, np.float32)
    fy, fx = -(-m.shape[0] // size), -(-m.shape[1] // size)
    out = np.zeros((-(-m.shape[0] // fy) * fy, -(-m.shape[1] // fx) * fx), np.float32)
    out[:m.shape[0], :m.shape[1]] = m
    return out.reshape(out.shape[0] // fy, fy, out.shape[1] // fx, fx).max(axis=(1, 3))


@pytest.mark.parametrize("tokens", [5, 64, 65, 127, 200, 512])
def test_thumbnails_reduce_float16_as_is_with_the_same_output(tokens: int) -> None:
    rng = np.random.default_rng(tokens)
    maps = rng.random((2, 2, 3, tokens, tokens)).astype(np.float32)
    maps[maps < 0.4] = 0  # zeros, and a map of nothing but zeros
    maps[1, 0, 2] = 0
    maps[0, 1, 1, 0, 0] = 1e-7  # a float16 subnormal
    cases = {"float16": maps.astype(np.float16), "float32": maps}
    for name, change in [("a NaN", np.nan), ("inf", np.inf), ("a negative weight", -0.25), ("-0", -0.0)]:
        m = maps.astype(np.float16)
        m[1, 1, 0, tokens // 2, tokens // 3] = change  # the sign bit takes the float32 path
        m[0, 0, 1, :3, :3] = change if name == "-0" else m[0, 0, 1, :3, :3]
        cases[name] = m
    for name, m in cases.items():
        g = AttentionGroup(name="self", role="self", layers=["a", "b"], maps=m)
        for sample in range(2):
            got = thumbnails(g, sample)
            want = np.stack([np.stack([_reference_block_max(m[layer, sample, h], THUMB) for h in range(3)])
                             for layer in range(2)])
            assert got.dtype == np.float32 and got.shape == want.shape, name
            np.testing.assert_array_equal(got, want, err_msg=name)  # NaN where the reference has NaN
            np.testing.assert_array_equal(block_max(m[1, sample, 1], 16), _reference_block_max(m[1, sample, 1], 16),
                                          err_msg=name)


def test_rollout_view_on_a_patch_grid_and_html(tmp_path) -> None:
    rec = record(17, layers=2, heads=2, grid=[4, 4], prefix=1, image=np.zeros((1, 32, 32, 3), np.uint8))
    assert rec.rollout_grid(0).shape == (4, 4)
    fig = rec.rollout_view()
    assert len(fig.axes) == 2 and fig.axes[0].images[0].get_array().shape == (4, 4)
    plain = record(6)
    assert plain.rollout_view().axes[0].images[0].get_array().shape == (6, 6)
    with pytest.raises(ValueError, match="no patch grid"):
        plain.rollout_grid()
    plain.tokens = [[*HOSTILE, "y"]]
    page = plain._repr_html_()
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    plain.save(tmp_path / "a.html")
    cross = AttentionGroup(name="cross", role="cross", layers=["c"], maps=np.ones((1, 1, 1, 2, 3), np.float16) / 3)
    with pytest.raises(ValueError, match="cross-attention"):
        AttentionMaps(groups=[cross], tokens=[["a", "b", "c"]]).rollout(group="cross")
