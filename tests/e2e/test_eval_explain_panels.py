"""The Evaluation, Explain and Detections panels in headless Chromium over ``torchscope serve`` (a
child process) on a store filled by a real run (tests/server/test_eval_explain_panels.fill)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from ..conftest import ROOT
from ..server.test_eval_explain_panels import DET_LABELS, DET_SCORES, fill
from .conftest import Server

ARTIFACTS = ROOT / "test-artifacts" / "eval_explain"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    dir = tmp_path_factory.mktemp("e2e_eval") / "tsruns"
    logged = fill(dir)
    server = Server(dir)
    yield server.url, logged
    server.stop()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def open_panel(page: Any, url: str, panel: str, ready: str) -> None:
    page.goto(url + "#" + panel)
    page.wait_for_selector(ready, timeout=15000)


def test_confusion_matrix_counts_and_cell_samples(page: Any, served: tuple[str, dict[str, Any]]) -> None:
    url, logged = served
    cm, mistakes = logged["views"]["confusion"], logged["views"]["mistakes"]
    open_panel(page, url, "evaluation", ".cm button.c")
    cells = page.eval_on_selector_all(".cm button.c",
                                      "els => els.map(e => [+e.dataset.i, +e.dataset.j, e.textContent])")
    k = len(cm.class_names)
    shown = np.zeros((k, k), int)
    for i, j, text in cells:
        shown[i, j] = int(text)
    assert np.array_equal(shown, np.array(cm.counts))
    pair = logged["views"]["confused"].pairs[0]  # the most confused cell: its samples, with images
    i, j = pair["true_index"], pair["pred_index"]
    page.click(f'.cm button.c[data-i="{i}"][data-j="{j}"]')
    page.wait_for_selector(".cm-cell .cm-sample")
    expected = set(cm.cell_samples[f"{i},{j}"]) | {s for s, t, p in zip(mistakes.indices, mistakes.y_true,
                                                                         mistakes.y_pred) if (t, p) == (i, j)}
    got = page.eval_on_selector_all(".cm-cell .cm-sample", "els => els.map(e => +e.dataset.sample)")
    assert sorted(got) == sorted(expected) and len(got) == pair["count"] == cm.counts[i][j]
    with_images = page.eval_on_selector_all(".cm-cell figure.cm-sample", "els => els.map(e => +e.dataset.sample)")
    assert set(with_images) == expected & set(mistakes.indices)
    assert f"true {cm.class_names[i]} → predicted {cm.class_names[j]}" in page.inner_text(".cm-cell")
    shot(page, "evaluation-desktop")
    page.click(f'.cm button.c[data-i="{i}"][data-j="{i}"]')  # a diagonal cell: indices only, and said so
    page.wait_for_selector(".cm-cell .chip-sample")
    assert "Images are kept only for mistakes" in page.inner_text(".cm-cell")
    page.click('.seg button[data-mode="normalized"]')
    row = np.array(cm.counts[i], float)
    text = page.inner_text(f'.cm button.c[data-i="{i}"][data-j="{i}"]')
    assert float(text) == pytest.approx(row[i] / row.sum(), abs=0.005)
    assert not page.errors


def test_curves_legend_areas_and_class_toggle(page: Any, served: tuple[str, dict[str, Any]]) -> None:
    url, logged = served
    open_panel(page, url, "evaluation", '[data-section="roc"] .legend button.item')
    for name, label in (("roc", "AUC"), ("pr", "AP")):
        rec = logged["views"][name]
        items = page.eval_on_selector_all(f'[data-section="{name}"] .legend button.item',
                                          "els => els.map(e => e.textContent)")
        assert items == [f"{c} ({label} {a:.3f})" for c, a in zip(rec.class_names, rec.area)]
        mean = np.mean(rec.area)
        assert f"mean {label} {mean:.3f}" in page.inner_text(f'[data-section="{name}"] h3')
    # the curves are uPlot series (one per class, each its own x), drawn; a legend click hides one
    shown = """() => { const u = document.querySelector('[data-section="roc"] .lc').chart.u;
      return u.series.slice(1).filter((s) => s.show).map((s) => s.label); }"""
    page.wait_for_selector('[data-section="roc"] .lc[data-state=drawn]')
    assert page.evaluate(shown) == [str(c) for c in logged["views"]["roc"].class_names]
    page.click('[data-section="roc"] .legend button.item[data-cls="3"]')
    names = page.evaluate(shown)
    assert len(names) == 9 and "3" not in names
    ece = logged["views"]["calibration"].ece
    assert f"ECE {ece:.3f}" in page.inner_text('[data-section="calibration"] h3')
    page.click('[data-section="per_class"] th[data-col="f1"]')  # sort by F1, largest first
    order = page.eval_on_selector_all('[data-section="per_class"] tbody tr', "els => els.map(e => e.dataset.cls)")
    f1 = logged["views"]["per_class"].f1
    assert [float(f1[int(c)]) for c in order] == sorted(f1, reverse=True)
    assert not page.errors


def _canvas_rgb(page: Any, selector: str) -> np.ndarray:
    data = page.eval_on_selector(selector, "c => ({w: c.width, h: c.height, "
                                 "d: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)})")
    return np.array(data["d"], np.int16).reshape(data["h"], data["w"], 4)[..., :3]


def test_explain_overlays_per_method_and_opacity(page: Any, served: tuple[str, dict[str, Any]]) -> None:
    url, logged = served
    attrs = logged["attrs"]
    open_panel(page, url, "explain", ".xp-sample[data-drawn]")
    page.click('button.xp-tile[data-sample="3"]')
    page.wait_for_selector('.xp-sample[data-drawn="3"]')
    figs = page.eval_on_selector_all("figure.overlay", "els => els.map(e => [e.dataset.method, +e.dataset.sample])")
    assert sorted(map(tuple, figs)) == sorted((a.method, 3) for a in attrs.values())
    sel = 'figure.overlay[data-method="saliency"] canvas'
    before = _canvas_rgb(page, sel)
    assert np.abs(before - attrs["saliency"].overlay(3, "blended", alpha=0.5)).max() <= 2  # as the library draws it
    page.fill("input.opacity", "0.9")
    page.wait_for_selector(f'{sel}[data-alpha="0.9"]')
    after = _canvas_rgb(page, sel)
    assert np.abs(after - before).max() > 20
    assert np.abs(after - attrs["saliency"].overlay(3, "blended", alpha=0.9)).max() <= 2
    top = logged["top"]
    bars = page.eval_on_selector_all(".xp-topk .bar-row", "els => els.map(e => e.dataset.cls)")
    assert bars == [top.class_names[c] for c in top.indices[3]]
    assert page.eval_on_selector_all(".xp-sheet-card", "els => els.length") == 2  # feature maps and filters
    page.fill("input.opacity", "0.6")
    shot(page, "explain-desktop")
    page.click('.seg button[data-style="masked"]')
    page.wait_for_selector(f'{sel}[data-style="masked"]')
    assert np.abs(_canvas_rgb(page, sel) - attrs["saliency"].overlay(3, "masked")).max() <= 2
    assert not page.errors


def test_detections_class_toggle_and_threshold(page: Any, served: tuple[str, dict[str, Any]]) -> None:
    url, _ = served
    open_panel(page, url, "detections", "canvas.det-canvas[data-boxes]")
    boxes = lambda: int(page.get_attribute("canvas.det-canvas", "data-boxes"))  # noqa: E731
    assert boxes() == len(DET_LABELS)
    picture = lambda: page.eval_on_selector("canvas.det-canvas", "c => c.toDataURL()")  # noqa: E731
    before = picture()
    page.click('button.det-class[data-cls="dog"]')
    assert boxes() == sum(lab != 2 for lab in DET_LABELS)
    assert picture() != before  # the dog boxes and masks are no longer drawn
    page.fill("input.threshold", "0.5")
    assert boxes() == sum(lab != 2 and s >= 0.5 for lab, s in zip(DET_LABELS, DET_SCORES))
    assert "2 of 5 detections" in page.inner_text(".det-count")
    page.click('button.det-class[data-cls="dog"]')
    assert boxes() == sum(s >= 0.5 for s in DET_SCORES)
    shot(page, "detections-desktop")
    assert not page.errors


def test_phone_layout(browser: Any, served: tuple[str, dict[str, Any]]) -> None:
    url, _ = served
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        for panel, ready in (("evaluation", ".cm button.c"), ("explain", ".xp-sample[data-drawn]"),
                             ("detections", "canvas.det-canvas[data-boxes]")):
            open_panel(page, url, panel, ready)
            if panel == "evaluation":
                page.click(".ol, ol.pairs button.pair")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{panel} overflows the phone screen: {width}px"
            shot(page, f"{panel}-phone")
        assert not errors
    finally:
        ctx.close()
