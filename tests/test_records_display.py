"""Every registered record kind displays richly and saves: notebook HTML, a matplotlib figure, PNG, SVG, HTML.

Each kind gets a real instance built from small real inputs (the digits, iris, a tiny CNN, a
briefly trained DCGAN); user text in them (class names, module names, data set names) is a
hostile string, which must come out escaped. A kind registered without a factory here fails
``test_every_registered_kind_has_a_factory``: add one when you add a kind.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from PIL import Image
from threadpoolctl import threadpool_limits
from torch import nn

import torchscope as ts
from torchscope.records import _REGISTRY, Record

HOSTILE = "</script><img src=x onerror=alert(1)>"
CHECKS = ("html", "figure", "png", "svg", "html_file")


def _import_everything() -> None:
    """Import every torchscope module that registers records (the server needs no record of its own)."""
    for mod in pkgutil.walk_packages(ts.__path__, "torchscope."):
        if not mod.name.startswith(("torchscope.server", "torchscope.__main__")):
            importlib.import_module(mod.name)


def _registered() -> list[str]:
    _import_everything()
    return sorted(k for k, cls in _REGISTRY.items() if cls.__module__.startswith("torchscope."))


class Inputs:
    """Small real inputs, built once per module and shared by the factories."""

    def __init__(self, tmp: Path) -> None:
        torch.manual_seed(0)
        x, y = ts.data.load("digits").arrays()
        keep = y < 4  # four classes: every view stays cheap to draw
        self.images = ts.data.load(x[keep], y[keep], classes=["0", "1", "2", HOSTILE], name=f"digits {HOSTILE}")
        self.train, self.test = self.images.split(0.8, seed=0, stratify=True)
        iris = ts.data.load("iris")
        xi, yi = iris.arrays()
        self.table = ts.data.load(xi, yi, classes=[HOSTILE, "versicolor", "virginica"],
                                  feature_names=[HOSTILE, *iris.feature_names[1:]], name=f"iris {HOSTILE}")
        self.net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                 nn.Linear(8 * 4 * 4, 4))
        self.net.add_module(HOSTILE, nn.Identity())  # a hostile module name
        xt, yt = self.test.arrays()
        self.x = torch.as_tensor(xt, dtype=torch.float32).permute(0, 3, 1, 2)[:64].contiguous()
        self.y = torch.as_tensor(yt)[:64]
        self.dir = tmp / "tsruns"
        self._gan: Any = None
        self._fx: Any = None
        self._evaluation: Any = None

    @property
    def gan(self) -> Any:
        """A DCGAN trained for one epoch with its monitor on a run, the run stored in ``self.dir``."""
        if self._gan is None:
            run = ts.init(project="audit", name=f"gan {HOSTILE}", dir=self.dir)
            with run:
                self._gan = ts.gan.train_dcgan(self.images, epochs=1, run=run, metrics=False, progress=False,
                                               z_dim=16, width=32, every=7)
            self._gan.run_id = run.id
        return self._gan

    @property
    def fx(self) -> Any:
        if self._fx is None:
            self._fx = ts.gan.feature_extractor(self.images, epochs=2, limit=2000)
        return self._fx


def _alarm(inp: Inputs) -> Record:
    (alarm,) = ts.watch.HealthMonitor(stream=None).check_nonfinite(12, HOSTILE, None)
    return alarm


def _checkpoint(inp: Inputs) -> Record:
    with ts.init(project="audit", dir=inp.dir) as run:
        return ts.gan.save_checkpoint(run, inp.gan.generator, role="generator", z_dim=16, dataset=HOSTILE,
                                      class_names=inp.images.class_names)


def _detections(inp: Inputs) -> Record:
    img = (np.random.default_rng(0).random((48, 64, 3)) * 255).astype(np.uint8)
    masks = np.zeros((2, 48, 64), bool)
    masks[0, 5:20, 5:30] = True
    return ts.explain.detections(img, boxes=[[4, 4, 30, 22], [30, 10, 60, 44]], labels=[0, 1], scores=[0.9, 0.6],
                                 masks=masks, class_names=[HOSTILE, "dog"])


def _lab_frame(inp: Inputs) -> Record:
    lab = ts.gan.Lab2D(target="ring", loss="nonsaturating", seed=0)
    lab.step(30)
    return lab.frame()


def _evaluation(inp: Inputs) -> Any:
    if inp._evaluation is None:
        loader = torch.utils.data.DataLoader(inp.test, batch_size=128)
        inp._evaluation = ts.evaluate(inp.net, loader, class_names=inp.images.class_names)
    return inp._evaluation


def _tabular(inp: Inputs) -> Record:
    xi, _ = inp.table.arrays()
    mlp = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    return ts.explain(mlp, torch.as_tensor(xi[:6], dtype=torch.float32), method="ig", n_steps=8,
                      feature_names=inp.table.feature_names, class_names=inp.table.class_names)


def _sequence(inp: Inputs) -> Record:
    class Recurrent(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm, self.head = nn.LSTM(3, 8, batch_first=True), nn.Linear(8, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.lstm(x)[0][:, -1])

    return ts.explain(Recurrent(), torch.randn(2, 12, 3), method="saliency", feature_names=[HOSTILE, "b", "c"],
                      class_names=[HOSTILE, "other"])


def _tokens(inp: Inputs) -> Record:
    model = nn.Sequential(nn.Embedding(20, 8), nn.Flatten(), nn.Linear(40, 3))
    return ts.explain(model, torch.randint(1, 20, (2, 5)), method="ig", n_steps=8,
                      tokens=[[HOSTILE, "$x$", "a", "b", "c"], ["d", HOSTILE, "e", "f", "g"]])


def _attention(inp: Inputs) -> Record:
    layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    return ts.attention(nn.TransformerEncoder(layer, 2, enable_nested_tensor=False), torch.randn(1, 5, 8),
                        tokens=[HOSTILE, "$x$", "a", "b", "c"])


def _volume(inp: Inputs) -> Record:
    a = np.random.default_rng(0).random((12, 14, 16)).astype(np.float32)
    labels = (a > 0.8).astype(np.uint8)
    return ts.volume(a, labels=labels, pred=np.roll(labels, 1, axis=0), heat=a - 0.5, title=HOSTILE,
                     class_names=["bg", HOSTILE])


def _volume_attribution(inp: Inputs) -> Record:
    net = nn.Sequential(nn.Conv3d(1, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool3d(1), nn.Flatten(),
                        nn.Linear(4, 2))
    return ts.explain(net, torch.randn(2, 1, 8, 8, 8), method="gradcam", class_names=["a", HOSTILE])


def _video(inp: Inputs) -> Record:
    from torchscope.media.video import encode_video

    frames = (np.random.default_rng(0).random((6, 16, 16, 3)) * 255).astype(np.uint8)
    return encode_video(frames, fps=4, format="png", caption=HOSTILE)


def _audio(inp: Inputs) -> Record:
    from torchscope.media.audio import encode_audio

    t = np.arange(8000) / 8000
    return encode_audio(np.sin(2 * np.pi * 440 * t).astype(np.float32), 8000, caption=HOSTILE)


def _mesh(inp: Inputs) -> Record:
    from torchscope.media.points import Points

    xyz = np.random.default_rng(0).normal(size=(200, 3)).astype(np.float32)
    return Points(vertices=xyz[None], colors=(np.abs(xyz) * 80).clip(0, 255).astype(np.uint8)[None], caption=HOSTILE)


def _code(inp: Inputs) -> Record:
    from torchscope.context.code import capture

    return capture(argv=["train.py", HOSTILE])


FACTORIES: dict[str, Callable[[Inputs], Record]] = {
    "attention.maps": _attention,
    "data.class_balance": lambda i: ts.data.class_balance(i.train, i.test),
    "data.correlation": lambda i: ts.data.correlation(i.table),
    "data.feature_dists": lambda i: ts.data.feature_dists(i.table),
    "data.mean_images": lambda i: ts.data.mean_images(i.images),
    "data.pairplot": lambda i: ts.data.pairplot(i.table, max_features=3, max_points=150),
    "data.pixel_stats": lambda i: ts.data.pixel_stats(i.images),
    "data.profile": lambda i: ts.data.profile(i.train, i.test, projection=None),  # data.projection: below
    "data.projection": lambda i: ts.data.project(i.test, method="pca"),
    "data.samples": lambda i: ts.data.samples(i.images, per_class=4),
    "eval.calibration": lambda i: _evaluation(i).calibration(),
    "eval.confusion": lambda i: _evaluation(i).confusion_matrix(),
    "eval.curves": lambda i: _evaluation(i).roc_curves(),
    "eval.mistakes": lambda i: _evaluation(i).mistakes(k=16),
    "eval.most_confused": lambda i: _evaluation(i).most_confused(),
    "eval.per_class": lambda i: _evaluation(i).per_class(),
    "explain.attribution": lambda i: ts.explain(i.net, i.x[:4], method="saliency",
                                                class_names=i.images.class_names),
    "explain.detections": _detections,
    "explain.feature_maps": lambda i: ts.feature_maps(i.net, i.x[0], layer="0"),
    "explain.filters": lambda i: ts.filters(i.net),
    "explain.sequence": _sequence,
    "explain.tabular": _tabular,
    "explain.tokens": _tokens,
    "explain.volume": _volume_attribution,
    "explain.topk": lambda i: ts.topk(i.net, i.x[:4], k=3, class_names=i.images.class_names, labels=i.y[:4]),
    "gan.checkpoint": _checkpoint,
    "gan.counterfactual": lambda i: ts.gan.counterfactual(i.gan.generator, i.fx, 0, 3, z_dim=16, steps=20, points=5),
    "gan.directions": lambda i: ts.gan.directions(i.gan.generator, z_dim=16, k=3, samples=200),
    "gan.interpolation": lambda i: ts.gan.interpolate(i.gan.generator, z_dim=16, steps=5, classifier=i.fx),
    "gan.lab2d.frame": _lab_frame,
    "gan.metrics": lambda i: ts.gan.gan_metrics(i.gan.generator, i.images, z_dim=16, n=200, extractor=i.fx),
    "gan.neighbours": lambda i: ts.gan.neighbours(i.gan.sample(3, seed=0), i.images, k=3, space="pixels"),
    "gan.prototypes": lambda i: ts.gan.prototypes(i.gan.generator, i.fx, [0, 3], dataset=i.images, z_dim=16,
                                                  steps=10, starts=2),
    "gan.timeline": lambda i: ts.gan.timeline(i.dir, i.gan.run_id),
    "health.alarm": _alarm,
    "model.autograd_graph": lambda i: ts.autograd_graph(i.net(i.x[:2]).sum(), params=dict(i.net.named_parameters())),
    "model.graph": lambda i: ts.graph(i.net, i.x[:2]),
    "model.summary": lambda i: ts.summary(i.net, i.x[:2]),
    "media.audio": _audio,
    "media.mesh": _mesh,
    "media.video": _video,
    "run.code": _code,
    "volume": _volume,
}

# kinds whose record carries the hostile string (so the escaping checks bite)
CARRY_USER_TEXT = {
    "attention.maps", "explain.sequence", "explain.tabular", "explain.tokens",
    "data.class_balance", "data.correlation", "data.feature_dists", "data.mean_images", "data.pairplot",
    "data.pixel_stats", "data.profile", "data.projection", "data.samples", "eval.confusion",
    "eval.curves", "eval.mistakes", "eval.most_confused", "eval.per_class", "explain.attribution",
    "explain.detections", "explain.topk", "gan.checkpoint", "gan.counterfactual", "gan.interpolation",
    "gan.prototypes", "health.alarm", "model.graph", "model.summary", "volume", "explain.volume",
    "media.audio", "media.mesh", "media.video", "run.code",
}

# (kind, check) -> why it fails today; strict: an unexpected pass fails too, so fixed ones are noticed
XFAIL: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inputs]:
    old = os.environ.get("TORCHSCOPE_CACHE")
    os.environ["TORCHSCOPE_CACHE"] = str(tmp_path_factory.getbasetemp() / "gan-cache")
    try:
        with threadpool_limits(limits=1):
            yield Inputs(tmp_path_factory.mktemp("display"))
    finally:
        if old is None:
            os.environ.pop("TORCHSCOPE_CACHE", None)
        else:
            os.environ["TORCHSCOPE_CACHE"] = old


@pytest.fixture(scope="module")
def records(inputs: Inputs) -> dict[str, Record]:
    return {}


def _record(kind: str, inputs: Inputs, cache: dict[str, Record]) -> Record:
    if kind not in cache:
        cache[kind] = FACTORIES[kind](inputs)
        assert type(cache[kind]).kind == kind, f"the factory for {kind} built a {type(cache[kind]).kind}"
    return cache[kind]


def test_every_registered_kind_has_a_factory() -> None:
    missing = sorted(set(_registered()) - set(FACTORIES))
    assert not missing, f"registered record kinds with no factory in {__file__}: {missing}; add one"


def _drawn(fig: Figure) -> bool:
    """At least one axes holds drawn content (lines, patches, images, collections, tables or text)."""
    return any(ax.has_data() or ax.images or ax.tables or ax.texts for ax in fig.axes)


def _check_html(text: str, kind: str) -> None:
    assert isinstance(text, str) and len(text) > 50, f"{kind}: empty notebook HTML"
    shows = ("<table", "<svg", "<img", "role='img'", "<video", "<audio", "<canvas", "<pre", "<code")  # to see, read
    assert any(tag in text for tag in shows), f"{kind}: no table, SVG, image, player or code in its HTML"
    assert HOSTILE not in text, f"{kind}: user text reaches the HTML unescaped"


def _params() -> list[Any]:
    out = []
    for kind in _registered():
        for check in CHECKS:
            reason = XFAIL.get((kind, check))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(kind, check, marks=marks, id=f"{kind}-{check}"))
    return out


@pytest.mark.parametrize(("kind", "check"), _params())
def test_record_displays_and_saves(kind: str, check: str, inputs: Inputs, records: dict[str, Record],
                                   tmp_path: Path) -> None:
    if kind not in FACTORIES:
        pytest.fail(f"no factory for {kind}")
    with threadpool_limits(limits=1):
        rec = _record(kind, inputs, records)
        if check == "html":
            if kind in CARRY_USER_TEXT:
                assert HOSTILE in json.dumps(rec.to_dict()[0]), f"{kind}: the factory lost its hostile text"
            _check_html(rec._repr_html_(), kind)
        elif check == "figure":
            assert type(rec).figure is not Record.figure, f"{kind}: figure() is the base class's JSON dump"
            fig = rec.figure()
            assert isinstance(fig, Figure) and fig.axes, f"{kind}: figure() gave {type(fig).__name__} with no axes"
            assert _drawn(fig), f"{kind}: figure() has axes but draws nothing"
        elif check == "png":
            path = rec.save(tmp_path / "x.png")
            data = Path(path).read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{kind}: not a PNG"
            img = np.asarray(Image.open(BytesIO(data)).convert("RGB"))
            assert min(img.shape[:2]) >= 20 and np.ptp(img) > 0, f"{kind}: a blank or tiny PNG {img.shape}"
        elif check == "svg":
            path = rec.save(tmp_path / "x.svg")
            root = ET.parse(path).getroot()  # raises on invalid XML (e.g. unescaped user text)
            assert root.tag == "{http://www.w3.org/2000/svg}svg", f"{kind}: root element {root.tag}"
            assert len(list(root.iter())) > 5, f"{kind}: an empty SVG"
        else:
            path = rec.save(tmp_path / "x.html")
            text = Path(path).read_text(encoding="utf-8")
            assert "<meta charset='utf-8'>" in text.lower(), f"{kind}: the saved HTML does not say it is UTF-8"
            _check_html(text, kind)
