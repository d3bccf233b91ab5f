"""The demo's report opened from ``file://`` in headless Chromium with the network off: every section
drawn by the dashboard's own panels, values read back from the page against the store, the
interactions that work without a server, hostile names shown as text, and printing to PDF."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import torchscope as ts

from .conftest import HOSTILE, read_snapshot, shot

MOVE = "(s, v) => { s.value = v; s.dispatchEvent(new Event('input')); }"
SERIES = """key => { const c = window.torchscope.charts.get(key);
  const f = (a) => Array.from(a, (v) => (Number.isFinite(v) ? v : String(v)));
  return { state: c.card.dataset.state, series: c.series.map((s) => ({ id: s.id, xs: f(s.xs), ys: f(s.ys),
    maxs: f(s.maxs), total: s.total, downsampled: s.downsampled })) }; }"""


def _num(v: Any) -> float:  # an integral double comes back from the page as an int of its shortest digits
    return float(v) if isinstance(v, (int, float)) else float(v.lower().replace("infinity", "inf"))


def _same(a: list[Any], b: list[float]) -> bool:
    return len(a) == len(b) and all((math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(map(_num, a), b))


def test_every_section_is_drawn_offline(open_report: Any, report: dict[str, Any]) -> None:
    page = open_report(report["path"])
    meta = read_snapshot(report["path"].read_text())
    names = [s["name"] for s in meta["sections"]]
    assert {"scalars", "images", "histograms", "text", "config", "health", "graph", "data", "evaluation", "explain",
            "detections", "projector", "gan", "ganlab"} <= set(names)
    states = page.eval_on_selector_all("section.rp-section", "els => els.map((e) => [e.id, e.dataset.state])")
    assert [n for n, _ in states] == [*names, "attachments"] and {s for _, s in states} == {"ready"}
    assert page.eval_on_selector_all(".rp-toc a", "els => els.map((a) => a.getAttribute('href'))") == \
        [f"#{n}" for n in [*names, "attachments"]]
    # nothing but the file itself and the blob: URLs it made; no console errors; the default views asked for
    # nothing the report lacks
    assert [u for u in page.requests if u.startswith("file:")] == [report["path"].resolve().as_uri()]
    assert all(u.split(":")[0] in ("file", "blob", "data") for u in page.requests)
    assert page.errors == [] and page.dialogs == []
    assert page.evaluate("window.torchscope.report.log") == []
    page.wait_for_selector('#scalars .card[data-key="long/signal"][data-state=drawn]')
    drawn = page.eval_on_selector_all("#scalars .card", "els => els.filter((e) => e.dataset.state === 'drawn').length")
    assert drawn == len(page.eval_on_selector_all("#scalars .card", "els => els")) > 10
    assert "watch/ charts hidden" in page.inner_text("#scalars .toolbar .count")  # run.watch's: the Health section's
    page.check("#scalars .show-watch")
    page.wait_for_function("() => { const c = [...document.querySelectorAll('#scalars .card')]; "
                           "return c.length > 60 && c.every((e) => e.dataset.state === 'drawn'); }")
    broken = "els => els.filter((i) => i.complete && !i.naturalWidth).map((i) => i.alt)"
    assert page.eval_on_selector_all("img", broken) == []
    for sel in ("#histograms canvas.heatmap", "#graph canvas.gp-canvas", "#projector .projector[data-state=drawn]",
                "#evaluation .cm button.c", "#explain .xp-sample[data-drawn]", "#detections canvas.det-canvas",
                "#gan img.gan-grid-img", "#ganlab img", "#text .markdown", "#config table.config",
                "#health canvas.heatmap", "#data .data-grid", "#config svg.parcoords polyline",
                # the uPlot line charts (static/linechart.js) of the GAN and Evaluation sections, drawn with data
                "#gan .lc[data-chart=loss][data-state=drawn]", "#gan .lc[data-chart=fd][data-state=drawn]",
                '#evaluation [data-section="roc"] .lc[data-state=drawn]',
                '#evaluation [data-section="pr"] .lc[data-state=drawn]'):
        page.wait_for_selector(sel, state="attached", timeout=10000)
    lines = ("() => [...document.querySelectorAll('#gan .lc, #evaluation .lc')]"
             ".map((e) => [e.dataset.state, +e.dataset.points])")
    page.wait_for_function(f"() => ({lines})().every(([s]) => s === 'drawn')", timeout=10000)
    got = page.evaluate(lines)
    assert len(got) >= 8 and min(n for _, n in got) > 0, got  # loss, D, grad, FD, KID, P/R; ROC, PR
    shot(page, "report-top")


def test_chart_values_are_the_stored_points(open_report: Any, report: dict[str, Any]) -> None:
    page = open_report(report["path"])
    store = ts.open(report["dir"])
    got = page.evaluate(SERIES, "train/loss")
    assert got["state"] == "drawn" and {s["id"] for s in got["series"]} == {*report["losses"], report["hostile"]}
    for s in got["series"]:
        stored = store.scalars(s["id"], "train/loss")
        assert not s["downsampled"] and s["total"] == len(stored)
        assert s["xs"] == stored.step.tolist() and _same(s["ys"], stored.value.tolist())  # NaN and Inf included
    long = page.evaluate(SERIES, "long/signal")["series"][0]
    assert long["downsampled"] and long["total"] == 50_000 and len(long["xs"]) <= 1024
    assert max(map(_num, long["maxs"])) == 40.0  # one spike among 50,000 points is still drawn
    stored = store.scalars(report["hostile"], "long/signal", downsample=1024)
    assert long["xs"] == stored.step.tolist() and _same(long["ys"], stored.value.tolist())


def test_zoom_and_the_exact_csv(open_report: Any, report: dict[str, Any]) -> None:
    page = open_report(report["path"])
    page.wait_for_selector('#scalars .card[data-key="long/signal"][data-state=drawn]')
    page.evaluate("window.torchscope.charts.get('long/signal').zoomTo(30000, 32000)")
    page.wait_for_selector("#scalars .rp-approx:not([hidden])")  # said, not hidden: the zoom shows kept points
    page.wait_for_selector('#scalars .card[data-key="long/signal"][data-state=drawn]')
    scale = page.evaluate("(() => { const u = window.torchscope.charts.get('long/signal').u; "
                          "return [u.scales.x.min, u.scales.x.max]; })()")
    assert scale == [30000, 32000]
    store = ts.open(report["dir"])
    for key in ("long/signal", "train/loss"):
        href = page.eval_on_selector(f'#attachments tr[data-key="{key}"] a.rp-csv', "a => [a.href, a.download]")
        assert href[0].startswith("blob:") and href[1] == key.replace("/", "_") + ".csv"
        text = page.evaluate("url => fetch(url).then((r) => r.text())", href[0])
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["run", "name", "step", "wall_time", "value"]
        for rid in (*report["runs"], report["hostile"]):
            mine = [r for r in rows[1:] if r[0] == rid]
            try:
                s = store.scalars(rid, key)
            except KeyError:
                assert not mine
                continue
            assert [int(r[2]) for r in mine] == s.step.tolist()
            assert [float(r[3]) for r in mine] == s.wall_time.tolist()  # exact: repr round-trips
            assert _same([float(r[4]) for r in mine], s.value.tolist())
    assert any(r[4] == "nan" for r in csv.reader(io.StringIO(page.evaluate(
        "url => fetch(url).then((r) => r.text())", page.eval_on_selector(
            '#scalars .card[data-key="train/loss"] a.csv', "a => a.href")))))


def test_hostile_text_stays_text(open_report: Any, report: dict[str, Any]) -> None:
    page = open_report(report["path"])
    names = page.eval_on_selector_all(".rp-runs td.rp-name", "els => els.map((e) => e.textContent)")
    assert HOSTILE in names
    assert page.eval_on_selector_all('img[src="x"], script:not([type]), script[type=module]', "els => els.length") == 1
    texts = page.eval_on_selector_all("#text .markdown", "els => els.map((e) => e.innerText)")
    assert any("<script>alert(4)</script>" in t for t in texts)  # the notes, shown as text
    assert any(HOSTILE in t for t in texts)  # the console output (the hostile run printed its name), as text
    assert HOSTILE in page.title() and page.dialogs == [] and page.errors == []


def test_interactions_without_a_server(open_report: Any, report: dict[str, Any]) -> None:
    page = open_report(report["path"])
    # graph: fold and unfold (every view one click from the default is kept; further ones: the nearest kept)
    page.wait_for_selector("#graph .gp[data-state=ready]")
    nodes = lambda: int(page.get_attribute("#graph canvas.gp-canvas", "data-nodes"))  # noqa: E731
    default = nodes()
    for button, expect in (("Collapse", lambda n: n < default), ("Expand all", lambda n: n >= default),
                           ("Default", lambda n: n == default)):
        page.click(f"#graph .gp-tools button:has-text('{button}')")
        page.wait_for_selector("#graph .gp[data-state=ready]")
        assert expect(nodes()), button
    near = page.evaluate("""run => { const snap = window.torchscope.report.snap;
      const one = snap.find("json", "graph/layout", { run, base: "default", collapse: "2" });
      const two = snap.find("json", "graph/layout", { run, base: "default", collapse: "2,15" });
      return [one.exact, two.exact, snap.value(two.entry).expanded.length]; }""", report["demo"])
    assert near[:2] == [True, False] and near[2] == 2  # two folds (features, classifier) away: one fold away kept
    assert page.evaluate("window.torchscope.report.log") == []
    # images: the step slider (every kept step answers exactly)
    card = '#images .card[data-key="gan/samples"]'
    first = page.get_attribute(f"{card} img", "src")
    page.eval_on_selector(f"{card} input[type=range]", MOVE, 0)
    assert page.get_attribute(f"{card} img", "src") != first
    assert page.eval_on_selector(f"{card} img", "i => i.decode().then(() => i.naturalWidth)") > 0
    # the GAN timeline scrubber and the latent explorer (sliders swept one at a time were kept)
    page.eval_on_selector("#gan input.gan-scrub", MOVE, 3)
    assert page.get_attribute("#gan img.gan-grid-img", "data-step") == str(
        page.evaluate("window.torchscope.gan.data.timeline[3].step"))
    page.click("#gan button.gan-explore-open")
    page.wait_for_selector("#gan img.gan-explore-img")
    page.eval_on_selector("#gan input.gan-slider[data-i='1']", MOVE, 2)
    page.wait_for_selector("#gan img.gan-explore-img[data-s='0,2,0,0,0,0']")
    assert page.eval_on_selector("#gan img.gan-explore-img", "i => i.decode().then(() => i.naturalWidth)") > 0
    # detections: the score threshold filters boxes drawn in the browser
    page.wait_for_selector("#detections canvas.det-canvas[data-boxes='2']")
    page.eval_on_selector("#detections input.threshold", MOVE, 0.5)
    page.wait_for_selector("#detections canvas.det-canvas[data-boxes='1']")
    assert page.evaluate("window.torchscope.report.log.filter((e) => e.kind === 'miss')") == []
    shot(page, "report-interactions")


def test_prints_to_pdf(open_report: Any, report: dict[str, Any], tmp_path: Any) -> None:
    page = open_report(report["path"])
    page.wait_for_selector('#scalars .card[data-key="long/signal"][data-state=drawn]')
    page.wait_for_selector("#graph .gp[data-state=ready]")
    canvases = page.eval_on_selector_all("#report canvas", "els => els.length")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)  # fires beforeprint/afterprint
    (tmp_path / "report.pdf").write_bytes(pdf)
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    sections = len(read_snapshot(report["path"].read_text())["sections"])
    assert pdf.startswith(b"%PDF") and pages >= sections + 1 and len(pdf) < 30e6
    assert pdf.count(b"/Subtype /Image") >= 50  # the canvases went to paper as pictures of themselves
    assert page.eval_on_selector_all("#report canvas", "els => els.length") == canvases  # and came back
    assert page.eval_on_selector_all("img.rp-print-canvas", "els => els.length") == 0
    page.emulate_media(media="print")
    assert page.eval_on_selector("#scalars button.reset", "b => getComputedStyle(b).display") == "none"
    assert page.eval_on_selector("#scalars", "s => getComputedStyle(s).breakBefore") == "page"
