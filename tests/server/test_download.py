"""Downloads named after user keys: CSV export of keys in any script, through a real server (RFC 6266 names)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

import torchscope as ts
from torchscope.server import create_app
from torchscope.server.download import attachment, safe_name

from .util import ServerThread

KEYS = ["train/损失", "train/خسارة", "train/потеря", "train/απώλεια", "train/übung", "train/loss", "损失 \"x\";y"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    dir: Path = tmp_path_factory.mktemp("csv") / "tsruns"
    with ts.init(dir=dir, name="名前") as run:
        for s in range(5):
            run.log({k: float(s * (i + 1)) for i, k in enumerate(KEYS)}, step=s)
    with ServerThread(create_app(dir, warm=False)) as url:
        yield url, run.id


def _filename(header: str) -> tuple[str, str | None]:
    fallback = re.search(r'filename="([^"]*)"', header).group(1)
    star = re.search(r"filename\*=UTF-8''([^;\s]+)", header)
    return fallback, unquote(star.group(1), errors="strict") if star else None


@pytest.mark.parametrize("key", KEYS)
def test_csv_of_a_key_in_any_script(store, key):
    url, rid = store
    r = httpx.get(url + "/api/scalars/csv", params={"key": key, "run": rid}, timeout=10)
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["run", "name", "step", "wall_time", "value"]
    assert [(row[1], row[2]) for row in rows[1:]] == [("名前", str(s)) for s in range(5)]
    header = r.headers["content-disposition"]
    assert header.isascii() and header.startswith("attachment;")
    fallback, real = _filename(header)
    assert fallback.isascii() and fallback.endswith(".csv") and '"' not in fallback
    assert (real or fallback) == safe_name(key, default="scalars") + ".csv"
    if not key.isascii():
        assert real is not None and not real.isascii()


@pytest.mark.parametrize(("name", "fallback"), [
    ("loss.csv", "loss.csv"), ("train_损失.csv", "train___.csv"), ("a\"b\r\nc;d.csv", "a_b__c_d.csv"),
    ("", "download"), ("übung.gif", "_bung.gif"),
])
def test_attachment_header_is_ascii_with_a_utf8_name(name, fallback):
    header = attachment(name)
    assert header.isascii() and "\r" not in header and "\n" not in header
    got_fallback, real = _filename(header)
    assert got_fallback == fallback
    assert real == (None if fallback == name or not name else name)


def test_safe_name_keeps_letters_of_any_script():
    assert safe_name("train/损失", default="s") == "train_损失"
    assert safe_name("../..", default="s") == "_" and safe_name("...", default="s") == "s"
    assert safe_name("", default="scalars") == "scalars" and len(safe_name("x" * 500, default="s")) == 80
