"""The Health panel in headless Chromium over ``torchscope serve`` and a store written by a real
``run.watch`` training run (a tiny MLP with a dead ReLU layer, so a ``dead_relu`` alarm exists).

Values are read back from the page: the heat map's numbers and the colours of its canvas pixels
against the store, the alarm list, the cell an alarm selects, a layer's histograms, the deep link
to the Scalars chart, and the phone layout; then, over a run that also logged its model graph, the
colours of the graph's nodes (pixels) against the values at the selected step, the step slider,
a cell ringing its node and a node selecting its row. Screenshots go to test-artifacts/dashboard/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import torchscope as ts
from torchscope.server import create_app

from ..server.test_health import train_with_graph
from ..server.util import ServerThread
from ..server.watched import DEAD_LAYER, EVERY, STEPS, train_watched
from .conftest import Server, shot


@pytest.fixture(scope="module")
def health(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[tuple[Server, Path, str]]:
    dir = tmp_path_factory.mktemp("e2e-health") / "tsruns"
    run_id = train_watched(dir)["id"]
    server = Server(dir)
    yield server, dir, run_id
    server.stop()


def _open(page, health) -> None:
    page.goto(health[0].url + "#health")
    page.wait_for_function("() => window.torchscope.health?.matrix", timeout=15000)


PIXELS = """() => { const hm = window.torchscope.health.heat, g = hm.geometry(), m = hm.m;
  const ctx = hm.canvas.getContext("2d"), dpr = window.devicePixelRatio || 1, out = [];
  for (let r = 0; r < m.layers.length; r++) for (let i = 0; i < m.steps.length; i++) {
    const [x, y, w, h] = hm.rect(g, r, i);
    const px = ctx.getImageData(Math.floor((x + w / 2) * dpr), Math.floor((y + h / 2) * dpr), 1, 1).data;
    out.push({ layer: m.layers[r], step: m.steps[i], value: m.values[r][i], pixel: [px[0], px[1], px[2]],
               expected: hm.scale.colour(m.values[r][i]) });
  }
  return { stat: m.stat, scale: m.scale, cells: out }; }"""


def test_heat_map_cells_are_the_logged_values(page, health):
    _, dir, run_id = health
    _open(page, health)
    data = page.evaluate(PIXELS)
    assert data["stat"] == "grad_norm" and data["scale"] == "log"
    store = ts.open(dir)
    cells = data["cells"]
    assert {c["layer"] for c in cells} == {"0", "2", "4"}  # the Linear layers have gradients
    assert sorted({c["step"] for c in cells}) == list(range(0, STEPS, EVERY))
    for layer in ("0", "2", "4"):
        s = store.scalars(run_id, f"watch/{layer}/grad_norm")
        logged = dict(zip(s.step.tolist(), s.value.tolist()))
        for c in (c for c in cells if c["layer"] == layer):
            assert c["value"] == pytest.approx(logged[c["step"]], rel=1e-12)
    for c in cells:  # what is drawn is the scale's colour of that value
        assert max(abs(a - b) for a, b in zip(c["pixel"], c["expected"])) <= 2, c
    colours = {tuple(c["pixel"]) for c in cells if c["layer"] == "4"}
    assert len(colours) > 1  # the last layer's gradient norm varies over the steps: so do its colours
    shot(page, "health")
    assert not page.errors


def test_alarm_is_listed_and_selects_its_layer_and_step(page, health):
    _open(page, health)
    alarm = page.locator('li.alarm[data-type="dead_relu"]')
    assert alarm.count() == 1
    text = alarm.inner_text()
    assert "dead relu" in text and f"layer {DEAD_LAYER}" in text and "step 0" in text
    alarm.locator("button.alarm-main").click()
    page.wait_for_function("() => window.torchscope.health.selected && window.torchscope.health.matrix.stat === 'dead'")
    sel = page.evaluate("() => { const hl = window.torchscope.health; return { ...hl.selected, row: hl.heat.sel.row,"
                        " stat: document.querySelector('.health-stat').value, layers: hl.matrix.layers,"
                        " values: hl.matrix.values }; }")
    assert sel["layer"] == DEAD_LAYER and sel["step"] == 0 and sel["stat"] == "dead"
    assert sel["layers"][sel["row"]] == DEAD_LAYER
    assert all(v == 1.0 for v in sel["values"][sel["row"]])  # the whole row is dead
    page.locator(".hist-card", has_text="has no parameters").wait_for(timeout=5000)  # a ReLU
    shot(page, "health-alarm")
    assert not page.errors


def test_clicking_a_cell_shows_that_layers_histograms(page, health):
    _, dir, run_id = health
    _open(page, health)
    box = page.evaluate("""() => { const hm = window.torchscope.health.heat, g = hm.geometry();
      const [x, y, w, h] = hm.rect(g, hm.m.layers.indexOf("2"), hm.m.steps.indexOf(10));
      return { x: x + w / 2, y: y + h / 2 }; }""")
    page.locator("canvas.heatmap").click(position=box)
    page.wait_for_selector("canvas.hist-bars", timeout=5000)
    figs = page.evaluate("() => [...document.querySelectorAll('canvas.hist-bars')].map((c) => ({ ...c.dataset }))")
    assert {(f["param"], f["kind"]) for f in figs} == {("weight", "weight"), ("weight", "grad"), ("bias", "weight"),
                                                        ("bias", "grad")}
    assert all(f["step"] == "10" for f in figs)
    assert "Layer 2" in page.locator(".hist-card h3").inner_text()
    ref = next(e for e in ts.open(dir).histograms(run_id, "watch/2/weight.grad") if e.step == 10)
    assert ref.counts.sum() == 16 * 16  # the gradient of the 16x16 weight: every element counted
    shot(page, "health-histograms")
    assert not page.errors


def test_alarm_opens_the_scalars_chart_at_its_step(page, health):
    _open(page, health)
    page.locator('li.alarm[data-type="dead_relu"] a.to-scalars').click()
    key = f"watch/{DEAD_LAYER}/dead"
    page.wait_for_selector(f'.card[data-key="{key}"][data-state="drawn"]', timeout=10000)
    assert page.locator(".grid .card").count() == 1  # filtered to that one key
    assert page.locator("input.filter").input_value() == f"^watch/{DEAD_LAYER}/dead$"
    assert page.evaluate(f"() => window.torchscope.charts.get('{key}').mark") == 0
    assert page.evaluate("() => location.hash") == "#scalars"  # applied once, then dropped
    assert not page.errors


def test_phone_layout(browser, health):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _open(page, health)
    page.locator('li.alarm[data-type="dead_relu"] button.alarm-main').click()
    page.wait_for_function("() => window.torchscope.health.selected")
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 390  # nothing sticks out
    assert page.locator("canvas.heatmap").bounding_box()["width"] <= 370
    shot(page, "health-phone")
    ctx.close()
    assert not errors


# -- the model graph coloured by the statistic at the selected step ------------------------------

@pytest.fixture(scope="module")
def graphed(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[tuple[str, Path, dict[str, str]]]:
    """A watched run that logged its graph (stem, ``Block ×3``, head) and a watched run without one."""
    dir = tmp_path_factory.mktemp("e2e-health-graph") / "tsruns"
    ids = {"graphed": train_with_graph(dir), "plain": train_watched(dir)["id"]}
    with ServerThread(create_app(dir, warm=False)) as url:
        yield url, dir, ids


def _open_run(page, url: str, run_id: str, state: str = "ready") -> None:
    sel = json.dumps({"manual": True, "selected": [run_id]})
    page.add_init_script(f"localStorage.setItem('torchscope.runs', {json.dumps(sel)})")
    page.goto(url + "/#health")
    page.wait_for_selector(f".hg[data-state='{state}']", timeout=20000)
    page.wait_for_function("() => window.torchscope.health?.matrix")
    _frame(page)


def _frame(page) -> None:
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


# Every drawn node: its value and the colour the scale gives it, and the colour on the canvas (the most
# frequent of 15 pixels inside the box: the label and the border left out).
NODES = """() => { const hl = window.torchscope.health, g = hl.graph, v = g.view;
  const cv = document.querySelector('.hg-canvas'), ctx = cv.getContext("2d"), dpr = window.devicePixelRatio || 1;
  const out = [];
  for (const n of v.layout.nodes) {
    if (!v.drawnIds.includes(n.id)) continue;
    const [x0, y0] = v.toScreen(n.x - n.w / 2, n.y - n.h / 2), [x1, y1] = v.toScreen(n.x + n.w / 2, n.y + n.h / 2);
    const seen = new Map();
    for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) {
      const x = x0 + 3 + (i / 4) * (x1 - x0 - 6), y = y0 + 3 + (j / 2) * (y1 - y0 - 6);
      const p = ctx.getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data, key = `${p[0]},${p[1]},${p[2]}`;
      seen.set(key, (seen.get(key) || 0) + 1);
    }
    const pixel = [...seen].sort((a, b) => b[1] - a[1])[0][0].split(",").map(Number);
    const e = g.values.get(n.id), style = g.styleOf(n);
    out.push({ id: n.id, kind: n.kind, title: n.title, pixel, value: e ? e.value : undefined,
               layer: e ? e.layer : null, fill: style ? style.fill : null,
               expected: e && e.value !== null ? hl.heat.scale.colour(e.value) : null });
  }
  return { nodes: out, laid: v.layout.nodes.map((n) => n.id),
           col: hl.heat.sel.col, step: hl.selected.step, selected: v.selected, stat: hl.matrix.stat,
           slider: Number(hl.slider.value), clusters: v.layout.clusters.map((c) => c.id) }; }"""


def _close(a, b, tol: int = 3) -> bool:
    return max(abs(x - y) for x, y in zip(a, b)) <= tol


def test_graph_nodes_take_the_heat_maps_colours(page, graphed):
    url, dir, ids = graphed
    _open_run(page, url, ids["graphed"])
    data = page.evaluate(NODES)
    store, g = ts.open(dir), ts.open(dir).latest(ids["graphed"], "model.graph")
    name = {n["id"]: n["name"] for n in g.nodes}
    assert data["stat"] == "grad_norm" and data["step"] == STEPS - EVERY and data["slider"] == data["col"]

    def logged(layer: str, step: int) -> float:
        s = store.scalars(ids["graphed"], f"watch/{layer}/grad_norm")
        return dict(zip(s.step.tolist(), s.value.tolist()))[step]

    coloured = [n for n in data["nodes"] if n["expected"]]
    assert len(coloured) == 4  # stem, Block ×3, head.0, head.2
    for n in coloured:  # what is drawn is the heat map's colour of the node's value
        assert _close(n["pixel"], n["expected"]), n
    layers = {name[n["id"]]: n for n in coloured if n["kind"] != "repeat"}
    assert set(layers) == {"stem", "head.0", "head.2"}  # the default view: Block ×3 folded
    for layer, n in layers.items():
        assert n["value"] == pytest.approx(logged(layer, data["step"]), rel=1e-12)
    block = next(n for n in data["nodes"] if n["kind"] == "repeat")  # the folded block: the max of its layers
    inside = {f"blocks.{i}.fc": logged(f"blocks.{i}.fc", data["step"]) for i in range(3)}
    assert block["value"] == pytest.approx(max(inside.values()), rel=1e-12)
    assert block["layer"] == max(inside, key=inside.get)
    hottest = max(coloured, key=lambda n: n["value"])  # the largest gradient norm: the top of the ramp
    top = page.evaluate("(v) => window.torchscope.health.heat.scale.colour(v)", hottest["value"])
    assert _close(hottest["pixel"], top)
    relu = next(n for n in data["nodes"] if n["title"] == "relu")  # torch.relu in Net.forward: no layer
    assert relu["value"] is None and relu["fill"] == "#ffffff" and _close(relu["pixel"], [255, 255, 255])
    tanh = next(n for n in data["nodes"] if n["title"] == "Tanh")  # a layer without gradients: no value
    assert tanh["value"] is None and tanh["layer"] is None and not _close(tanh["pixel"], [255, 255, 255])
    shot(page, "health-graph")
    assert not page.errors


def test_changing_the_step_recolours_the_graph(page, graphed):
    url, _, ids = graphed
    _open_run(page, url, ids["graphed"])
    before = {n["id"]: n for n in page.evaluate(NODES)["nodes"]}
    page.locator("input.health-step").press("Home")  # the slider to the first logged step
    page.wait_for_function("() => window.torchscope.health.selected.step === 0")
    _frame(page)
    after = page.evaluate(NODES)
    assert after["col"] == 0 and after["slider"] == 0
    assert "step 0" in page.locator(".graph-card h3").inner_text()
    changed = 0
    for n in after["nodes"]:
        if n["expected"]:
            assert _close(n["pixel"], n["expected"]), n
            changed += not _close(n["pixel"], before[n["id"]]["pixel"])
    assert changed >= 3  # the norms grow over training: the colours follow
    page.locator("input.health-step").press("ArrowRight")
    page.wait_for_function(f"() => window.torchscope.health.selected.step === {EVERY}")
    assert page.evaluate("() => window.torchscope.health.heat.sel.col") == 1  # the heat map's column follows
    assert not page.errors


def test_a_cell_rings_its_node_and_a_node_selects_its_row(page, graphed):
    url, dir, ids = graphed
    _open_run(page, url, ids["graphed"])
    g = ts.open(dir).latest(ids["graphed"], "model.graph")
    node = {n["name"]: n["id"] for n in g.nodes if n["kind"] == "module"}
    box = page.evaluate("""() => { const hm = window.torchscope.health.heat, geo = hm.geometry();
      const [x, y, w, h] = hm.rect(geo, hm.m.layers.indexOf("blocks.1.fc"), hm.m.steps.indexOf(10));
      return { x: x + w / 2, y: y + h / 2 }; }""")
    page.locator("canvas.heatmap").click(position=box)  # inside the folded Block ×3: it opens
    page.wait_for_function(f"() => window.torchscope.health.graph.view.selected === {node['blocks.1.fc']}")
    _frame(page)
    data = page.evaluate(NODES)
    assert data["step"] == 10 and data["slider"] == 2
    assert node["blocks.1.fc"] in {n["id"] for n in data["nodes"]} and node["blocks.1"] in data["clusters"]
    ring = next(n for n in data["nodes"] if n["id"] == node["blocks.1.fc"])
    assert _close(ring["pixel"], ring["expected"])
    page.wait_for_selector("canvas.hist-bars")
    shot(page, "health-graph-cell")
    # a click on a node selects its layer's row (and shows its histograms)
    xy = page.evaluate(f"""() => {{ const v = window.torchscope.health.graph.view, n = v.byId.get({node['head.0']});
      v.center(n.x, n.y); return v.toScreen(n.x, n.y); }}""")
    _frame(page)
    page.locator(".hg-canvas").click(position={"x": xy[0], "y": xy[1]})
    page.wait_for_function("() => window.torchscope.health.selected.layer === 'head.0'")
    sel = page.evaluate("() => { const hl = window.torchscope.health; return { row: hl.heat.m.layers[hl.heat.sel.row],"
                        " step: hl.selected.step, ring: hl.graph.view.selected }; }")
    assert sel == {"row": "head.0", "step": 10, "ring": node["head.0"]}
    page.locator(".hist-card h3", has_text="Layer head.0").wait_for()
    assert "head.0" in page.locator(".hg-readout").inner_text()
    assert not page.errors


def test_the_readouts_follow_the_statistic_and_the_layer_counts_agree(page, graphed):
    url, dir, ids = graphed
    _open_run(page, url, ids["graphed"])
    head = next(n["id"] for n in ts.open(dir).latest(ids["graphed"], "model.graph").nodes if n["name"] == "head.0")
    # the run menu and the heat map count the same thing, or say what each counts
    ov = page.evaluate("() => window.torchscope.health.overview.layers.length")
    assert f"{ov} watched layers" in page.locator("select.health-run option:checked").inner_text()
    rows = page.evaluate("() => window.torchscope.health.matrix.layers.length")
    note = page.locator(".heat-card h3").inner_text()
    assert (f"{rows} of {ov} watched layers" if rows < ov else f"{rows} layers") in note, note
    assert f"({rows} layers)" in page.locator("select.health-stat option:checked").inner_text()
    # the graph opens readable: its 11 px labels at 0.85 or more (or the whole graph fits larger)
    assert page.evaluate("() => window.torchscope.health.graph.view.k") >= 0.85
    # a selected cell's read-out, and a picked node's, follow a change of statistic
    box = page.evaluate("""() => { const hm = window.torchscope.health.heat, geo = hm.geometry();
      const [x, y, w, h] = hm.rect(geo, hm.m.layers.indexOf("head.0"), hm.m.steps.indexOf(10));
      return { x: x + w / 2, y: y + h / 2 }; }""")
    page.locator("canvas.heatmap").click(position=box)
    page.mouse.move(0, 0)  # off the heat map: the read-out shows the selected cell
    value = ("(s) => { const m = window.torchscope.health.matrix; "
             "return m.stat === s && m.values[m.layers.indexOf('head.0')][m.steps.indexOf(10)]; }")
    readout = page.locator(".heat-card .readout")
    assert "gradient norm" in readout.inner_text() and "layer head.0 · step 10" in readout.inner_text()
    xy = page.evaluate(f"""() => {{ const v = window.torchscope.health.graph.view, n = v.byId.get({head});
      v.center(n.x, n.y); return v.toScreen(n.x, n.y); }}""")
    _frame(page)
    page.locator(".hg-canvas").click(position={"x": xy[0], "y": xy[1]})
    page.mouse.move(0, 0)
    assert "gradient norm" in page.locator(".hg-readout").inner_text()
    page.select_option("select.health-stat", "act_mean")
    page.wait_for_function(value, arg="act_mean")
    v = page.evaluate(value, "act_mean")
    text = readout.inner_text()
    assert "activation mean" in text and "gradient norm" not in text and "layer head.0 · step 10" in text, text
    assert float(text.split(" = ")[1].split()[0]) == pytest.approx(v, rel=1e-5)  # the new statistic's value
    graph_text = page.locator(".hg-readout").inner_text()
    assert "activation mean" in graph_text and "gradient norm" not in graph_text, graph_text
    assert not page.errors


def test_a_folded_block_with_a_nan_inside_is_red(page, graphed):
    url, _, ids = graphed
    _open_run(page, url, ids["graphed"])
    got = page.evaluate("""async () => {
      const { nodeValues } = await import("/panels/health/graphview.js");
      const map = { layers: ["a", "b", "c"], ids: [0, 1, 2], covers: [[0, 1, 2], [0, 1], [2]] };
      const m = { layers: ["a", "b", "c"], values: [[1, 2], [NaN, 3], [null, 0.5]] };
      const at = (col) => [...nodeValues(map, m, col)].map(([id, e]) => [id, String(e.value), e.layer, e.n]);
      return [at(0), at(1)]; }""")
    assert got[0] == [[0, "NaN", "b", 3], [1, "NaN", "b", 2], [2, "null", None, 1]]
    assert got[1] == [[0, "3", "b", 3], [1, "3", "b", 2], [2, "0.5", "c", 1]]


def test_a_run_without_a_graph_says_how_to_log_one(page, graphed):
    url, _, ids = graphed
    _open_run(page, url, ids["plain"], state="none")
    text = page.locator(".graph-card").inner_text()
    assert "run.log_graph(model, example_input)" in text and "run.watch(model, graph=True)" in text
    assert page.locator(".hg-stage").is_hidden()
    assert not page.errors


def test_a_failing_graph_request_leaves_a_message(page, graphed):
    url, _, ids = graphed
    page.route("**/api/health/graph_map*", lambda route: route.fulfill(status=500, body="boom"))
    _open_run(page, url, ids["graphed"], state="error")
    assert "could not be loaded" in page.locator(".graph-card").inner_text()
    assert page.locator("canvas.heatmap").is_visible()  # the rest of the panel still works


def test_graph_on_a_phone(browser, graphed):
    url, dir, ids = graphed
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        _open_run(page, url, ids["graphed"])
        assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 390
        box = page.locator(".hg-canvas").bounding_box()
        assert box["width"] <= 370 and box["height"] >= 250
        stem = next(n["id"] for n in ts.open(dir).latest(ids["graphed"], "model.graph").nodes if n["name"] == "stem")
        page.locator(".hg-canvas").scroll_into_view_if_needed()
        xy = page.evaluate(f"() => {{ const v = window.torchscope.health.graph.view, n = v.byId.get({stem});"
                           " return v.toScreen(n.x, n.y); }")
        box = page.locator(".hg-canvas").bounding_box()
        page.touchscreen.tap(box["x"] + xy[0], box["y"] + xy[1])
        page.wait_for_function("() => window.torchscope.health.selected?.layer === 'stem'")
        _frame(page)
        for n in page.evaluate(NODES)["nodes"]:
            if n["expected"]:
                assert _close(n["pixel"], n["expected"]), n
        shot(page, "health-graph-phone")
    finally:
        ctx.close()
    assert not errors


def test_open_all_shows_one_node_per_layer(page, graphed):
    url, dir, ids = graphed
    _open_run(page, url, ids["graphed"])
    page.locator(".graph-card button", has_text="Open all").click()
    page.wait_for_function("() => window.torchscope.health.graph.view.layout?.nodes.length > 10")
    page.wait_for_selector(".hg[data-state='ready']")
    _frame(page)
    g = ts.open(dir).latest(ids["graphed"], "model.graph")
    layer_ids = {n["id"] for n in g.nodes if n["kind"] == "module" and not n.get("has_modules") and n["name"]}
    data = page.evaluate(NODES)
    shown = {n["id"]: n for n in data["nodes"]}
    assert layer_ids <= set(data["laid"])  # every layer is a node of its own, its ops stay inside it
    ops = [i for i in data["laid"] if g.nodes[i]["kind"] == "op"]
    assert [g.nodes[i]["name"] for i in ops] == ["relu"]  # torch.relu in Net.forward
    for i in layer_ids & set(shown):
        if shown[i]["expected"]:
            assert _close(shown[i]["pixel"], shown[i]["expected"]), shown[i]
    shot(page, "health-graph-open-all")
    assert not page.errors


def test_a_view_that_cannot_be_had_rings_the_folded_block(page, graphed):
    """Offline (the static report) only the logged views answer: a cell inside a folded block rings the block."""
    url, dir, ids = graphed
    page.route(lambda u: "/api/graph/layout" in u and "expand=" in u,
               lambda route: route.fulfill(status=404, body="not in this report"))
    _open_run(page, url, ids["graphed"])
    folded = next(n["id"] for n in ts.open(dir).latest(ids["graphed"], "model.graph").nodes if n["kind"] == "repeat")
    box = page.evaluate("""() => { const hm = window.torchscope.health.heat, geo = hm.geometry();
      const [x, y, w, h] = hm.rect(geo, hm.m.layers.indexOf("blocks.2.fc"), 0);
      return { x: x + w / 2, y: y + h / 2 }; }""")
    page.locator("canvas.heatmap").click(position=box)
    page.wait_for_function(f"() => window.torchscope.health.graph.view.selected === {folded}")
    assert page.locator(".hg[data-state='ready']").count() == 1
    assert not page.errors


def test_scalars_panel_leaves_watch_statistics_out_until_asked(page, health):
    server, dir, run_id = health
    store = ts.open(dir)
    keys = [k.key for k in store.keys(run_id, kind="scalar")]
    watched = [k for k in keys if k.startswith("watch/")]
    assert watched and len(watched) < len(keys)
    page.goto(server.url + "#scalars")
    page.wait_for_selector(".watch-toggle:not([hidden])", timeout=10000)
    cards = page.eval_on_selector_all(".grid .card", "(els) => els.map((e) => e.dataset.key)")
    assert sorted(cards) == sorted(set(keys) - set(watched))
    assert f"{len(watched)} watch/ charts hidden" in page.inner_text(".toolbar .count")
    page.check(".show-watch")
    page.wait_for_function(f"() => document.querySelectorAll('.grid .card').length === {len(keys)}")
    page.uncheck(".show-watch")
    page.fill(".filter", "grad_norm")  # a filter searches every key: no box needed
    page.wait_for_function("() => [...document.querySelectorAll('.grid .card')].every((e) => "
                           "e.dataset.key.endsWith('grad_norm')) "
                           "&& document.querySelectorAll('.grid .card').length > 0")
