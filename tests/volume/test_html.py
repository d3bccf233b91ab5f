"""The notebook view (``torchscope.volume.html``): one self-contained fragment, the volume embedded as the
``TSV1`` bytes the report keeps, the viewer's modules as one classic script. (It runs in a browser in
tests/e2e/test_volumes.py.)"""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest

import torchscope as ts
from torchscope.volume.html import MAX_FRAMES, _module, bundle, notebook_html
from torchscope.volume.slicing import volume_bytes


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    p = _Tags()
    p.feed(html)
    return p.tags


def _data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="(tsvol-[0-9a-f]+)-data">(.*?)</script>', html, re.S)
    assert m and f'id="{m[1]}"' in html
    return json.loads(m[2])


def test_fragment_is_self_contained_and_embeds_the_volume() -> None:
    vol = ts.volume(np.random.default_rng(0).normal(size=(6, 20, 30)).astype(np.float32),
                    labels=np.zeros((6, 20, 30), np.uint8), title="</script><img src=x onerror=alert(1)>")
    html = notebook_html(vol, max_size=16)
    tags = _tags(html)  # as a browser parses it: the title is text, the scripts are not closed early
    assert [t for t, _ in tags] == ["div", "style", "div", "code", "script", "script"]
    assert not any(k in ("src", "href") for _, attrs in tags for k, _ in attrs)  # nothing fetched
    data = _data(html)
    assert data["kept"] == [0] and data["meta"]["has_labels"] and data["meta"]["shape"] == [1, 30, 20, 6]
    assert base64.b64decode(data["frames"]["0"]) == volume_bytes(vol, 0, 16)


def test_4d_frames_are_capped_evenly() -> None:
    vol = ts.volume(np.random.default_rng(1).normal(size=(MAX_FRAMES + 5, 4, 8, 8)).astype(np.float32))
    data = _data(notebook_html(vol, max_size=8))
    assert len(data["kept"]) == MAX_FRAMES and data["kept"][0] == 0 and data["kept"][-1] == MAX_FRAMES + 4
    assert sorted(map(int, data["frames"])) == data["kept"]


def test_bundle_turns_modules_into_one_plain_script() -> None:
    code = bundle()
    assert not re.search(r"^\s*(import|export)\b", code, re.M) and "import(" not in code
    for mid in ("static/dom.js", "panels/volumes/format.js", "panels/volumes/view.js", "panels/volumes/sources.js"):
        assert f'__m["{mid}"] = (function ()' in code
    # a module is defined before the modules that import it
    assert code.index('__m["panels/volumes/format.js"]') < code.index('__m["panels/volumes/view.js"]')
    got = _module("m.js", 'import { a, b as c } from "ts-module:x.js";\nexport const d = a + c;\nexport { d as e };\n')
    assert 'const { a, b: c } = __m["x.js"];' in got and "return { d, e: d };" in got
    with pytest.raises(ValueError, match="cannot turn into a plain script"):
        _module("m.js", 'import x from "ts-module:x.js";\n')
