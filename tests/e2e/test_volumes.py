"""The Volumes panel's slice viewer in headless Chromium: over ``torchscope serve`` (desktop and a phone
with touch), in the static report opened from ``file://`` and in the notebook view. The store holds
nibabel's example head MRI (made anisotropic, 2 x 2 x 4 mm) with a ground-truth label map, a
prediction and a heat map, and nibabel's 4-D example. Pixels are read back from the canvases and
checked against the stored planes (``torchscope.volume.slicing``)."""

from __future__ import annotations

import base64
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import torchscope as ts
from torchscope.volume.slicing import display_plane

from ..conftest import ROOT
from .conftest import Server, offline_report

ARTIFACTS = ROOT / "test-artifacts" / "volumes"
CENTER = (12, 22, 7)  # the tumour's centre (voxels)
SLICE_REQUESTS = "() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/slice?')).length"
VISIBLE = "els => els.filter((e) => e.offsetWidth).map((e) => e.dataset.plane)"


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def brain() -> ts.Volume:
    """The example MRI on a 2 x 2 x 4 mm grid, a ball of class 1 ("tumour") and one of class 2, the
    prediction shifted by two voxels, a heat map around the tumour."""
    ex = ts.data.example_volume()
    img = ex.image[0]
    affine = np.array(ex.affine)
    affine[2, 2] *= 2  # anisotropic voxels must look right in millimetres
    x, y, z = np.meshgrid(*(np.arange(n) for n in img.shape), indexing="ij")
    d2 = (x - CENTER[0]) ** 2 + (y - CENTER[1]) ** 2 + ((z - CENTER[2]) * 2) ** 2
    labels = (d2 < 36).astype(np.uint8)
    labels[(x - 23) ** 2 + (y - 18) ** 2 + ((z - 12) * 2) ** 2 < 16] = 2
    heat = np.exp(-d2 / 60.0).astype(np.float32)
    return ts.volume(img, labels=labels, pred=np.roll(labels, 2, axis=0), heat=heat, affine=affine,
                     class_names=["background", "tumour", "oedema"], title="T1 head")


def fill(dir: Path) -> dict[str, Any]:
    vol = brain()
    run = ts.init(project="volumes", name="mri", dir=dir)
    run.log_volume("brain", vol.image[0], step=1, labels=vol.labels, pred=vol.pred, heat=vol.heat, affine=vol.affine,
                   class_names=["background", "tumour", "oedema"], title="T1 head")
    run.log_volume("fmri", str(ts.data.example_volume_path("example4d")), step=2)
    run.finish()
    return {"brain": vol, "fmri": ts.data.example_volume("example4d")}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    dir = tmp_path_factory.mktemp("e2e_vol") / "tsruns"
    logged = fill(dir)
    server = Server(dir)
    yield dir, server.url, logged
    server.stop()


def watch(page: Any) -> list[str]:
    """Console errors and page errors of ``page``, as they come."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def open_volume(page: Any, url: str, key: str = "brain") -> None:
    page.goto(f"{url}#volumes?key={key}")
    page.wait_for_selector(".vol-view[data-state=ready]", timeout=20000)


def pane(plane: str, overlay: str = "") -> str:
    return f'.vol-pane[data-plane="{plane}"][data-overlay="{overlay}"]'


READ = """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let s = '';
  for (let i = 0; i < d.length; i += 0x8000) s += String.fromCharCode.apply(null, d.subarray(i, i + 0x8000));
  return { w: c.width, h: c.height, b: btoa(s) }; }"""


def pixels(page: Any, sel: str) -> np.ndarray:
    """The RGB pixels of the canvas in ``sel`` (device pixels)."""
    got = page.eval_on_selector(f"{sel} canvas", READ)
    return np.frombuffer(base64.b64decode(got["b"]), np.uint8).reshape(got["h"], got["w"], 4)[..., :3].astype(np.int16)


def drawn(page: Any, plane: str, root: str = "") -> None:
    """Assert the plane's image is drawn: most of its rectangle on the canvas is neither black nor flat."""
    px = pixels(page, f"{root}{pane(plane)}")
    dpr = px.shape[1] / page.eval_on_selector(f"{root}{pane(plane)} canvas", "c => c.clientWidth")
    box = page.evaluate(f"() => {{ const p = window.torchscope.volumes.panes.find((p) => p.plane === '{plane}'); "
                        "const f = p.frame(); return [p.toScreen(f.Nc, f.Nr), p.toScreen(0, 0)]; }")
    (u0, v0), (u1, v1) = box
    img = px[int(v0 * dpr) + 2:int(v1 * dpr) - 2, int(u0 * dpr) + 2:int(u1 * dpr) - 2]
    assert img.size and (img.max(axis=2) > 30).mean() > 0.25 and img.std() > 20, plane


def screen(page: Any, plane: str, c: float, r: float, i: int = 0) -> tuple[float, float]:
    """CSS pixels on pane ``plane`` of the voxel coordinates (column axis, row axis)."""
    return tuple(page.evaluate(f"([c, r]) => window.torchscope.volumes.panes.filter((p) => p.plane === '{plane}')"
                               f"[{i}].toScreen(c, r)", [c, r]))


def redrawn(page: Any, sel: str, before: str) -> None:
    page.wait_for_function(f"(b) => document.querySelector('{sel}').dataset.composed !== b", arg=before)
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def composed(page: Any, sel: str) -> str:
    return page.eval_on_selector(sel, "e => e.dataset.composed")


def click_and_wait(page: Any, button: str, sel: str) -> None:
    before = composed(page, sel)
    page.click(button)
    redrawn(page, sel, before)


def canvas_box(page: Any, plane: str) -> dict[str, float]:
    return page.eval_on_selector(f"{pane(plane)} canvas", "c => { const r = c.getBoundingClientRect(); "
                                 "return {x: r.left, y: r.top, w: r.width, h: r.height}; }")


def test_planes_drawn_as_stored_in_millimetres_and_linked(page: Any, served: tuple[Path, str, dict[str, Any]]) -> None:
    _, url, logged = served
    errors = watch(page)
    vol = logged["brain"]
    open_volume(page, url)
    for plane in ("axial", "coronal", "sagittal"):
        drawn(page, plane)
    shot(page, "desktop")
    # overlays off: the axial plane is the stored one, in radiological orientation, windowed as the index says
    for layer in ("labels", "pred", "heat"):
        click_and_wait(page, f".vol-layer-{layer}", pane("axial"))
    z = int(page.eval_on_selector(pane("axial"), "e => +e.dataset.index"))
    assert z == vol.focus[2] and vol.labels[tuple(vol.focus)] > 0  # opened on the largest labelled class
    shown = display_plane(vol, "axial", z)  # rows: anterior first; columns: the subject's right first
    w = page.evaluate("() => window.torchscope.volumes.st")
    lo, hi = vol.stats["min"], vol.stats["max"]
    want = np.clip(np.floor((shown - (w["center"] - w["width"] / 2)) / w["width"] * 255 + 0.5),
                   0, 255)
    (u0, v0), (u1, v1) = screen(page, "axial", vol.shape[1], vol.shape[2]), screen(page, "axial", 0, 0)
    aspect = vol.shape[1] * vol.spacing[0] / (vol.shape[2] * vol.spacing[1])
    assert (u1 - u0) / (v1 - v0) == pytest.approx(aspect, rel=1e-6)
    px = pixels(page, pane("axial"))
    rows, cols = shown.shape
    got = np.array([[px[int(v0 + (i + 0.5) * (v1 - v0) / rows), int(u0 + (j + 0.5) * (u1 - u0) / cols), 0]
                     for j in range(cols)] for i in range(rows)])
    keep = np.ones(got.shape, bool)  # all but the crosshair's row and column (and the scale bar's pixels)
    keep[rows - 1 - vol.focus[1], :] = keep[:, cols - 1 - vol.focus[0]] = False
    assert (np.abs(got - want) <= 2)[keep].mean() > 0.95
    # anisotropic voxels: the coronal plane is twice as tall per voxel as wide
    (u0, v0), (u1, v1) = screen(page, "coronal", vol.shape[1], vol.shape[3]), screen(page, "coronal", 0, 0)
    assert (u1 - u0) / vol.shape[1] * 2 == pytest.approx((v1 - v0) / vol.shape[3], rel=1e-6)
    # the wheel scrolls the axial plane up one slice; the other planes' crosshair moves up with it
    cross = {p: page.eval_on_selector(pane(p), "e => e.dataset.cross") for p in ("coronal", "sagittal")}
    box = canvas_box(page, "axial")
    page.mouse.move(box["x"] + box["w"] / 2, box["y"] + box["h"] / 2)
    page.mouse.wheel(0, -100)
    page.wait_for_selector(f'{pane("axial")}[data-index="{z + 1}"]')
    for p in ("coronal", "sagittal"):
        page.wait_for_function(f"(c) => document.querySelector('{pane(p)}').dataset.cross !== c", arg=cross[p])
        (u_a, v_a), (u_b, v_b) = (map(float, c.split(",")) for c in (cross[p],
                                  page.eval_on_selector(pane(p), "e => e.dataset.cross")))
        voxel_height = screen(page, p, 0, 0)[1] - screen(page, p, 0, 1)[1]
        assert u_b == u_a and v_a - v_b == pytest.approx(voxel_height, rel=1e-3)
        assert page.eval_on_selector(pane(p), "e => +e.dataset.index") == {"coronal": vol.focus[1],
                                                                            "sagittal": vol.focus[0]}[p]
    px = pixels(page, pane("coronal"))  # the axial plane's line, in its colour, at its new height
    v = int(float(page.eval_on_selector(pane("coronal"), "e => e.dataset.cross").split(",")[1]))
    line = px[v, 2:30]
    assert (line[:, 2] - line[:, 0] > 60).all()
    # a click on the sagittal plane moves the crosshair: the axial and coronal planes follow
    box = canvas_box(page, "sagittal")
    u, v = screen(page, "sagittal", 30.5, 3.5)  # y 30, z 3
    page.mouse.click(box["x"] + u, box["y"] + v)
    page.wait_for_selector(f'{pane("axial")}[data-index="3"]')
    page.wait_for_selector(f'{pane("coronal")}[data-index="30"]')
    page.mouse.move(box["x"] + u, box["y"] + v + 0.4)
    voxel = [vol.focus[0], 30, 3]
    assert page.eval_on_selector(".vol-readout", "e => e.dataset.voxel") == ",".join(map(str, voxel))
    value = float(page.inner_text('.vol-readout [data-field="value"] b'))
    assert value == pytest.approx(float(vol.image[0][tuple(voxel)]), abs=(hi - lo) / 65535 + 1e-3)
    mm = vol.world(*voxel)
    assert page.inner_text('.vol-readout [data-field="mm"] b') == ", ".join(f"{c:.1f}" for c in mm)
    assert errors == []


def test_overlays_classes_and_window(page: Any, served: tuple[Path, str, dict[str, Any]]) -> None:
    _, url, logged = served
    errors = watch(page)
    vol = logged["brain"]
    open_volume(page, url)
    page.evaluate(f"() => window.torchscope.volumes.setPos({list(CENTER)})")
    page.wait_for_selector(f'{pane("axial")}[data-index="{CENTER[2]}"]')
    sel = pane("axial")
    click_and_wait(page, ".vol-layer-heat", sel)
    click_and_wait(page, ".vol-layer-pred", sel)  # labels only, filled
    (u, v) = screen(page, "axial", CENTER[0] + 2.5, CENTER[1] + 2.5)  # inside the tumour, off the crosshair
    at = lambda: pixels(page, sel)[int(v), int(u)]  # noqa: E731
    red = at()
    assert red[0] - max(red[1], red[2]) > 40  # the tumour's colour (#e6194b) over grey
    click_and_wait(page, ".vol-layer-labels", sel)
    grey = at()
    assert abs(int(grey[0]) - int(grey[1])) <= 2 and abs(int(grey[1]) - int(grey[2])) <= 2
    click_and_wait(page, ".vol-layer-labels", sel)
    assert (at() == red).all()
    before = composed(page, sel)
    page.uncheck('.vol-class[data-cls="1"] input')  # the tumour hidden from every layer
    redrawn(page, sel, before)
    assert (at() == grey).all()
    before = composed(page, sel)
    page.check('.vol-class[data-cls="1"] input')
    redrawn(page, sel, before)
    click_and_wait(page, '.vol-seg button[data-value="outline"]', sel)  # an outline leaves the inside grey
    assert (at() == grey).all()
    click_and_wait(page, '.vol-seg button[data-value="fill"]', sel)
    dice = page.eval_on_selector_all(".vol-class", "els => els.map((e) => [e.dataset.cls, e.textContent])")
    assert [(c, t.endswith(f"Dice {vol.dice[c]:.3f}")) for c, t in dice] == [("1", True), ("2", True)]
    click_and_wait(page, ".vol-layer-heat", sel)  # the heat map, hottest at the tumour's centre
    hot = at()
    assert np.abs(hot - red).max() > 20
    # window presets and a right-drag change the pixels, not the request
    shown = pixels(page, sel)
    n = page.evaluate(SLICE_REQUESTS)
    before = composed(page, sel)
    page.select_option(".vol-preset", label=page.eval_on_selector_all(
        ".vol-preset option", "os => os.map((o) => o.textContent).find((t) => t.startsWith('full range'))"))
    redrawn(page, sel, before)
    assert page.eval_on_selector(".vol-view", "e => e.dataset.preset") == "full range"
    assert np.abs(pixels(page, sel).astype(int) - shown).mean() > 5
    box = canvas_box(page, "coronal")
    page.mouse.move(box["x"] + 100, box["y"] + 100)
    page.mouse.down(button="right")
    page.mouse.move(box["x"] + 160, box["y"] + 60, steps=4)
    page.mouse.up(button="right")
    assert page.eval_on_selector(".vol-view", "e => e.dataset.preset") == "custom"
    assert page.evaluate(SLICE_REQUESTS) == n
    # side by side: ground truth and prediction in two linked panes per plane
    page.click(".vol-side-toggle")
    page.wait_for_selector(f'{pane("axial", "pred")}[data-drawn]')
    assert page.eval_on_selector_all(".vol-pane", "els => els.length") == 6
    shot(page, "side-by-side")
    assert errors == []


def test_4d_scrubber(page: Any, served: tuple[Path, str, dict[str, Any]]) -> None:
    url = served[1]
    errors = watch(page)
    open_volume(page, url, "fmri")
    assert page.eval_on_selector(".vol-pick", "s => s.options[s.selectedIndex].textContent").startswith("example4d")
    sel = pane("axial")
    t0 = pixels(page, sel)
    before = composed(page, sel)
    page.fill(".vol-t", "1")
    redrawn(page, sel, before)
    assert page.inner_text(".vol-t-out").startswith("2 / 2")
    assert np.abs(pixels(page, sel).astype(int) - t0).max() > 10
    assert errors == []


def touch(cdp: Any, kind: str, points: list[tuple[float, float]]) -> None:
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y, "id": i}
                                                                        for i, (x, y) in enumerate(points)]})


def test_phone_swipe_and_pinch(browser: Any, served: tuple[Path, str, dict[str, Any]]) -> None:
    _, url, _ = served
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                              device_scale_factor=2)
    try:
        page = ctx.new_page()
        errors = watch(page)
        open_volume(page, url)
        visible = page.eval_on_selector_all(".vol-pane", VISIBLE)
        assert visible == ["axial"] and page.is_visible(".vol-planes")
        box = canvas_box(page, "axial")
        assert box["w"] > 300  # the plane takes the phone's width
        z = int(page.eval_on_selector(pane("axial"), "e => +e.dataset.index"))
        cdp = ctx.new_cdp_session(page)
        x, y = box["x"] + box["w"] / 2, box["y"] + box["h"] * 0.7
        touch(cdp, "touchStart", [(x, y)])
        for k in range(1, 11):  # a swipe up scrolls up through the slices
            touch(cdp, "touchMove", [(x, y - 12 * k)])
        touch(cdp, "touchEnd", [])
        page.wait_for_function(f"() => +document.querySelector('{pane('axial')}').dataset.index > {z + 2}")
        u, v = box["x"] + box["w"] / 2, box["y"] + box["h"] / 2
        touch(cdp, "touchStart", [(u - 30, v), (u + 30, v)])
        for k in range(1, 6):  # pinch out: zoom in
            touch(cdp, "touchMove", [(u - 30 - 12 * k, v), (u + 30 + 12 * k, v)])
        touch(cdp, "touchEnd", [])
        page.wait_for_function(f"() => +document.querySelector('{pane('axial')}').dataset.zoom > 1.5")
        shot(page, "phone")
        page.click('.vol-planes button[data-value="sagittal"]')
        page.wait_for_selector(f'{pane("sagittal")}[data-drawn]')
        visible = page.eval_on_selector_all(".vol-pane", VISIBLE)
        assert visible == ["sagittal"]
        drawn(page, "sagittal")
        shot(page, "phone-sagittal")
        assert errors == []
    finally:
        ctx.close()


def test_report_from_file(browser: Any, served: tuple[Path, str, dict[str, Any]], tmp_path: Path) -> None:
    dir = served[0]
    path = ts.build_report(dir, tmp_path / "report.html", panels=["volumes"], progress=None)
    with offline_report(browser, path) as page:
        page.wait_for_selector("#volumes .vol-view[data-state=ready]", timeout=20000)
        for plane in ("axial", "coronal", "sagittal"):
            drawn(page, plane, "#volumes ")
        z = int(page.eval_on_selector(pane("axial"), "e => +e.dataset.index"))
        box = canvas_box(page, "axial")
        page.mouse.move(box["x"] + box["w"] / 2, box["y"] + box["h"] / 2)
        page.mouse.wheel(0, 200)  # two slices down, sliced in the page
        page.wait_for_selector(f'{pane("axial")}[data-index="{z - 2}"]')
        assert page.eval_on_selector_all(".vol-pick option", "os => os.length") == 2
        shot(page, "report")
        assert page.evaluate("window.torchscope.report.log") == [] and page.errors == []


def test_report_says_what_it_left_out(browser: Any, served: tuple[Path, str, dict[str, Any]], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    part = importlib.import_module("torchscope.server.panels.volumes.report")  # the package binds the function
    monkeypatch.setattr(part, "MAX_VOLUMES", 1)  # the latest step of each key first: the brain is kept
    path = ts.build_report(served[0], tmp_path / "report.html", panels=["volumes"], progress=None)
    with offline_report(browser, path) as page:
        page.wait_for_selector("#volumes .vol-view[data-state=ready]", timeout=20000)
        assert page.inner_text("b.vol-pick").startswith("T1 head")  # the only one: no picker
        assert "1 volume of this run left out of the report" in page.inner_text(".vol-capped")
        assert "1 run, 1 volume (1 frame), 1 left out" in page.inner_text("#volumes h2")
        assert page.evaluate("window.torchscope.report.log") == [] and page.errors == []


def test_notebook_view(page: Any, served: tuple[Path, str, dict[str, Any]], tmp_path: Path) -> None:
    from torchscope.volume.html import notebook_html

    errors = watch(page)
    vol = served[2]["brain"]
    path = tmp_path / "notebook.html"
    path.write_text(f"<!doctype html><meta charset=utf-8><body>{vol._repr_html_()}{notebook_html(vol)}</body>")
    page.goto(path.as_uri())
    page.wait_for_function("() => document.querySelectorAll('.vol-view[data-state=ready]').length === 2")
    assert page.eval_on_selector_all(".vol-pane", "els => els.length") == 6  # two independent viewers
    px = pixels(page, ".vol-view >> nth=1 >> " + pane("axial"))
    assert (px.max(axis=2) > 30).mean() > 0.2
    shot(page, "notebook")
    assert errors == []
