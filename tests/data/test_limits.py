"""``ts.data.Limits``: the caps on what one file may cost, their documented defaults, the environment
variables that override them, and the error that tells a user how to raise each one."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

import torchscope.data as tsd
from torchscope.data import limits as limits_mod

from .files import gz_idx_zeros, write_idx

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in limits_mod.ENV.values():
        monkeypatch.delenv(var, raising=False)


def test_defaults_are_what_the_docs_say() -> None:
    lim = tsd.Limits()
    assert (lim.max_mb, lim.max_ratio, lim.ratio_above_mb, lim.max_members) == (4096, 200, 64, 2_000_000)
    assert lim.max_bytes == 4 * 2**30 and lim.ratio_above_bytes == 64 * 2**20
    doc = limits_mod.__doc__ or ""
    for text in (doc, _section()):
        for needle in ("max_mb=4096", "max_ratio=200", "ratio_above_mb=64", "max_members=2_000_000"):
            assert needle in text, needle
        for var in limits_mod.ENV.values():
            assert var in text, var


def test_the_environment_overrides_each_default_and_arguments_override_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCHSCOPE_DATA_MAX_MB", "16384")
    monkeypatch.setenv("TORCHSCOPE_DATA_MAX_RATIO", " 1000 ")
    monkeypatch.setenv("TORCHSCOPE_DATA_RATIO_ABOVE_MB", "inf")
    monkeypatch.setenv("TORCHSCOPE_DATA_MAX_MEMBERS", "5_000_000")
    lim = tsd.Limits()
    assert (lim.max_mb, lim.max_ratio, lim.ratio_above_mb, lim.max_members) == (16384, 1000, math.inf, 5_000_000)
    assert tsd.Limits(max_mb=1).max_mb == 1 and tsd.Limits(max_mb=1).max_ratio == 1000


@pytest.mark.parametrize("kwargs", [{"max_mb": 0}, {"max_mb": -1}, {"max_ratio": float("nan")}, {"max_mb": "4"},
                                    {"max_members": True}, {"max_members": 2.5}])
def test_nonsense_limits_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError, match=rf"Limits\.{next(iter(kwargs))} must be a"):
        tsd.Limits(**kwargs)


@pytest.mark.parametrize("var, value", [("TORCHSCOPE_DATA_MAX_MB", "lots"), ("TORCHSCOPE_DATA_MAX_MEMBERS", "1e6")])
def test_a_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, var: str, value: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ValueError, match=rf"\${var}='{value}' is not a"):
        tsd.Limits()


def test_the_error_says_how_to_raise_the_cap_and_doing_so_works(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    gz_idx_zeros(tmp_path / "train-images-idx3-ubyte.gz", (12_000, 32, 32))  # 11.7 MiB of black images
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(12_000, np.uint8), gz=True)
    monkeypatch.setenv("TORCHSCOPE_DATA_MAX_MB", "10")
    with pytest.raises(tsd.DataError, match=r"more than the cap of 10\.0 MiB") as err:
        tsd.load(tmp_path)
    var, value = re.search(r"(TORCHSCOPE_DATA_MAX_MB)=(\S+)$", str(err.value)).groups()  # type: ignore[union-attr]
    monkeypatch.setenv(var, value)
    assert len(tsd.load(tmp_path)) == 12_000
    strict = tsd.Limits(ratio_above_mb=1)  # the same all-black file is a 1,000:1 stream past 1 MiB
    with pytest.raises(tsd.DataError, match=r"expands more than 200:1.*limits=ts\.data\.Limits\(max_ratio=2000\)"):
        tsd.load(tmp_path, limits=strict)
    assert len(tsd.load(tmp_path, limits=tsd.Limits(ratio_above_mb=1, max_ratio=2000))) == 12_000


def _section() -> str:
    return README.read_text().split("### Hostile files")[1].split("\n### ")[0]


def test_the_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    code = _section().split("```python\n")[1].split("```")[0]
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(code, "README.md (Hostile files)", "exec"), scope)  # our own README, run as a user would
    printed = capsys.readouterr().out
    assert "black/train-images-idx3-ubyte.gz: the IDX header declares 11.7 MiB (12,288,000 bytes)" in printed
    assert "limits=ts.data.Limits(max_mb=64)) or TORCHSCOPE_DATA_MAX_MB=64" in printed
    assert len(scope["ds"]) == 12_000


def test_every_promise_names_a_test_that_exists() -> None:
    named = set(re.findall(r"`(test_\w+)`", _section()))
    defined = {m for f in Path(__file__).parent.glob("test_*.py") for m in re.findall(r"^def (test_\w+)", f.read_text(),
                                                                                     re.MULTILINE)}
    assert len(named) >= 20 and named <= defined, sorted(named - defined)
