"""The Graph panel in headless Chromium over a real store filled by real ``run.log_graph`` calls.

Runs: a watched CNN, an encoder of twelve identical blocks (folded as ``Block ×12``) and a wide
model of 5,000 ops (50 branches of 100 ops, every op visible). What the canvas drew is read back
from the page (the drawn node ids, their screen positions, pixels) and compared with the record's
layout computed in Python. Frame times of panning the 5,000-node view are printed.
Screenshots (desktop and 390 px) go to test-artifacts/graph/.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator
from typing import Any

import pytest
import torch
from torch import nn

import torchscope as ts
from torchscope.model.svg import PALETTE
from torchscope.server import create_app

from ..conftest import ROOT
from ..server.test_graph_panel import fill_graphs
from ..server.util import ServerThread

ARTIFACTS = ROOT / "test-artifacts" / "graph"


class Wide(nn.Module):
    """``branches`` chains of ``length`` elementwise ops on one input, summed: branches * length ops."""

    def __init__(self, branches: int = 50, length: int = 100) -> None:
        super().__init__()
        self.branches, self.length = branches, length

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = []
        for _ in range(self.branches):
            y = x
            for j in range(self.length):
                y = torch.relu(y) if j % 2 else y + 1
            outs.append(y)
        return torch.stack(outs).sum(0)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[tuple[str, dict[str, str], Any]]:
    dir = tmp_path_factory.mktemp("graphpanel") / "tsruns"
    ids = fill_graphs(dir)
    run = ts.init(project="graphs", name="wide", dir=dir)
    run.log_graph(Wide(), torch.randn(2, 3))
    run.finish()
    ids["wide"] = run.id
    with ServerThread(create_app(dir, poll_interval=0.5, warm=False)) as url:
        yield url, ids, ts.open(dir)


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def open_graph(page: Any, url: str, run_id: str) -> None:
    sel = json.dumps({"manual": True, "selected": [run_id]})
    page.add_init_script(f"localStorage.setItem('torchscope.runs', {json.dumps(sel)})")
    page.goto(f"{url}/#graph")
    settle(page)


def settle(page: Any) -> None:
    """Wait until the layout is in and a frame has been painted."""
    page.wait_for_selector(".gp[data-state='ready']", timeout=30000)
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def view(page: Any) -> dict[str, Any]:
    return page.evaluate("""() => { const v = document.querySelector('.gp-canvas')._graph;
      return { drawn: v.drawnIds, nodes: v.layout.nodes.map((n) => [n.id, n.title]),
               clusters: v.layout.clusters.map((c) => c.id), selected: v.selected, k: v.k, W: v.W, H: v.H,
               screen: Object.fromEntries(v.layout.nodes.map((n) => [n.id, v.toScreen(n.x, n.y)])) }; }""")


def canvas_point(page: Any, xy: list[float]) -> tuple[float, float]:
    box = page.locator(".gp-canvas").bounding_box()
    return box["x"] + xy[0], box["y"] + xy[1]


def test_cnn_drawn_nodes_match_record_and_click_shows_params(page, site):
    url, ids, store = site
    g = store.latest(ids["cnn"], "model.graph")
    ref = g.layout()
    open_graph(page, url, ids["cnn"])
    page.click("button:has-text('Fit')")
    settle(page)
    v = view(page)
    assert v["nodes"] == [[n["id"], n["title"]] for n in ref["nodes"]]
    assert sorted(v["drawn"]) == sorted(n["id"] for n in ref["nodes"])  # fitted: every node is on screen
    assert sorted(v["clusters"]) == sorted(c["id"] for c in ref["clusters"])
    # the pixel inside a conv node (above its text) is the conv fill colour of the palette
    conv = next(n for n in ref["nodes"] if n["cat"] == "conv")
    cx, cy = v["screen"][str(conv["id"])]
    rgb = page.evaluate("""([x, y]) => { const c = document.querySelector('.gp-canvas'), d = devicePixelRatio;
      return [...c.getContext('2d').getImageData(Math.round(x * d), Math.round(y * d), 1, 1).data].slice(0, 3); }""",
                        [cx - 0.3 * conv["w"] * v["k"], cy - 0.4 * conv["h"] * v["k"]])
    fill = ref["palette"]["conv"][0] if "palette" in ref else PALETTE["conv"][0]
    assert rgb == [int(fill[i:i + 2], 16) for i in (1, 3, 5)]
    # click the node with the most parameters: the card shows its exact count and its weight histogram
    big = max((n for n in ref["nodes"] if n["kind"] == "module"), key=lambda n: g.nodes[n["id"]]["params"])
    page.mouse.click(*canvas_point(page, v["screen"][str(big["id"])]))
    page.wait_for_selector(f".gp-details[data-node='{big['id']}']")
    got = page.inner_text(".gp-details tr[data-field='parameters'] td")
    assert got == f"{g.nodes[big['id']]['params']:,}"
    assert view(page)["selected"] == big["id"]
    page.wait_for_selector(".gp-weight canvas", timeout=10000)
    assert page.locator(".gp-weight").count() >= 1
    # the path from the input is highlighted up to this node
    path = page.evaluate("() => [...document.querySelector('.gp-canvas')._graph.pathNodes]")
    assert next(n["id"] for n in ref["nodes"] if n["kind"] == "input") in path
    shot(page, "cnn-details")
    # the summary tab
    page.click(".gp-tab[data-tab='summary']")
    page.wait_for_selector(".gp-table tbody tr")
    assert page.inner_text(".gp-totals [data-total='Total params']").endswith(f"{g.total_params:,}")
    shot(page, "cnn-summary")
    page.click(".gp-tab[data-tab='graph']")
    assert not page.errors


def test_expand_folded_block_and_search(page, site):
    url, ids, store = site
    g = store.latest(ids["encoder"], "model.graph")
    rep = next(n for n in g.nodes if n["kind"] == "repeat")
    members = [n["id"] for n in g.nodes if n["parent"] == rep["id"]]
    open_graph(page, url, ids["encoder"])
    v = view(page)
    assert rep["id"] in v["drawn"] and not set(members) & set(v["drawn"])
    titles = dict(map(tuple, v["nodes"]))
    assert titles[rep["id"]] == "Block ×12"
    shot(page, "encoder-folded")
    page.mouse.dblclick(*canvas_point(page, v["screen"][str(rep["id"])]))
    opened = "(id) => document.querySelector('.gp-canvas')._graph.layout.clusters.some((c) => c.id === id)"
    page.wait_for_function(opened, arg=rep["id"])
    settle(page)
    v = view(page)
    shown = {n for n, _ in v["nodes"]} | set(v["clusters"])
    assert set(members) <= shown and rep["id"] not in {n for n, _ in v["nodes"]}
    assert sorted(n for n, _ in v["nodes"]) == sorted(n["id"] for n in g.expand(rep["id"]).layout()["nodes"])
    page.click("button:has-text('Fit')")
    settle(page)
    shot(page, "encoder-expanded")
    # search a node hidden in a collapsed view: its ancestors open and it is centred and selected
    page.click("button:has-text('Collapse')")
    settle(page)
    target = next(n for n in g.nodes if n["name"] == "blocks.7.fc2" and n["kind"] == "module")
    assert target["id"] not in {n for n, _ in view(page)["nodes"]}
    page.fill(".gp-search", "blocks.7.fc2")
    page.wait_for_selector(f".gp-results li[data-id='{target['id']}']")
    page.press(".gp-search", "Enter")
    page.wait_for_selector(f".gp-details[data-node='{target['id']}']", timeout=20000)
    settle(page)
    v = view(page)
    assert v["selected"] == target["id"] and target["id"] in v["drawn"]
    x, y = v["screen"][str(target["id"])]
    assert abs(x - v["W"] / 2) < 2 and abs(y - v["H"] / 2) < 2
    assert page.inner_text(".gp-details tr[data-field='name'] td") == "blocks.7.fc2"
    shot(page, "encoder-search")
    assert not page.errors


def test_opens_fitted_and_the_count_follows_expand_and_collapse(page, site):
    url, ids, store = site
    g = store.latest(ids["cnn"], "model.graph")
    total = sum(not (n["kind"] == "module" and n["parent"] is None) for n in g.nodes)  # all but the model itself
    open_graph(page, url, ids["cnn"])

    def state() -> tuple[dict[str, Any], str]:
        settle(page)
        return view(page), page.inner_text(".gp-status")

    def said(v: dict[str, Any]) -> str:
        n, c = len(v["nodes"]), len(v["clusters"])
        frames = f" and {c} open module{'s' * (c != 1)}" if c else ""
        return f"{n} node{'s' * (n != 1)}{frames} shown of {total}"

    v, status = state()
    assert sorted(v["drawn"]) == sorted(n[0] for n in v["nodes"])  # on open every node is on screen, the output too
    assert any(t == "output" for _, t in v["nodes"]) and status == said(v)
    seen = {status}
    for button in ("Expand all", "Collapse", "Default"):
        page.click(f"button:has-text('{button}')")
        v, status = state()
        assert status == said(v), (button, status)
        seen.add(status)
    assert len(seen) == 3  # default, everything open, only the model's children: three different counts
    # a frame's title that its box cuts: the whole of it on hover
    page.click("button:has-text('Expand all')")
    v, _ = state()
    frame = page.evaluate("""() => { const v = document.querySelector('.gp-canvas')._graph;
      const c = v.layout.clusters.reduce((a, b) => (b.box[2] - b.box[0] < a.box[2] - a.box[0] ? b : a));
      return { title: c.title, at: v.toScreen(c.box[0] + 6, c.box[1] + 8) }; }""")
    page.mouse.move(*canvas_point(page, frame["at"]))
    assert page.get_attribute(".gp-canvas", "title") == frame["title"]
    assert not page.errors


def test_5000_nodes_render_and_pan(page, site):
    url, ids, store = site
    g = store.latest(ids["wide"], "model.graph")
    ops = sum(n["kind"] == "op" for n in g.nodes)
    open_graph(page, url, ids["wide"])
    v = view(page)
    if len(v["nodes"]) < 5000:  # open everything
        page.click("button:has-text('Expand all')")
        settle(page)
    page.click("button:has-text('Fit')")
    settle(page)
    v = view(page)
    assert len(v["nodes"]) >= 5000 and ops >= 5000
    assert len(v["drawn"]) == len(v["nodes"])  # fitted: all of them on screen
    shot(page, "wide-5000-fit")
    results = {}
    for label, zoom in (("fitted, all 5,000 on screen", None), ("zoomed to 1:1 with text", 1.0)):
        if zoom:
            page.evaluate("(k) => { const v = document.querySelector('.gp-canvas')._graph;"
                          " v.center(v.layout.width / 2, v.layout.height / 2, k); }", zoom)
            settle(page)
        page.evaluate("() => { document.querySelector('.gp-canvas')._graph.frames = []; }")
        box = page.locator(".gp-canvas").bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(cx, cy)
        page.mouse.down()
        for i in range(30):
            page.mouse.move(cx + 6 * i, cy + 4 * i)
        page.mouse.up()
        settle(page)
        frames = page.evaluate("() => document.querySelector('.gp-canvas')._graph.frames")
        drawn = len(view(page)["drawn"])
        assert len(frames) >= 20
        results[label] = (statistics.median(frames), max(frames), drawn)
        print(f"\n5,000-node graph, {label}: paint median {statistics.median(frames):.2f} ms, "
              f"max {max(frames):.2f} ms over {len(frames)} frames, {drawn} nodes drawn")
        if zoom:
            shot(page, "wide-5000-zoomed")
    assert results["fitted, all 5,000 on screen"][0] < 50
    assert results["zoomed to 1:1 with text"][2] < 1000  # culling: only what is on screen
    assert not page.errors


def test_phone_layout(browser, site):
    url, ids, store = site
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        open_graph(page, url, ids["cnn"])
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        v = view(page)
        g = store.latest(ids["cnn"], "model.graph")
        node = next(n for n, _ in v["nodes"] if g.nodes[n]["params"])
        page.touchscreen.tap(*canvas_point(page, v["screen"][str(node)]))
        page.wait_for_selector(f".gp-details[data-node='{node}']")
        shot(page, "phone-cnn-details")
        # tapping a node's + badge opens it: its box appears in place of the node
        conv = next(n for n in g.nodes if n["type"] == "Conv2d" and n["id"] in dict(v["nodes"]))
        badge = page.evaluate("""(id) => { const v = document.querySelector('.gp-canvas')._graph, n = v.byId.get(id);
          return v.toScreen(n.x + n.w / 2 - 1, n.y - n.h / 2 + 1); }""", conv["id"])
        page.touchscreen.tap(*canvas_point(page, badge))
        opened = "(id) => document.querySelector('.gp-canvas')._graph.layout.clusters.some((c) => c.id === id)"
        page.wait_for_function(opened, arg=conv["id"])
        settle(page)
        shot(page, "phone-cnn-opened")
        page.click(".gp-tab[data-tab='summary']")
        page.wait_for_selector(".gp-table tbody tr")
        shot(page, "phone-cnn-summary")
    finally:
        ctx.close()
    assert not errors
