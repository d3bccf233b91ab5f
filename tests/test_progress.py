"""Progress bars pick tqdm's notebook widget only when ipywidgets is there."""

from __future__ import annotations

import importlib.util

import pytest
import tqdm.auto
import tqdm.std

from torchscope._progress import tqdm as progress


@pytest.mark.parametrize("widgets", [False, True])
def test_bar_kind_follows_ipywidgets(monkeypatch: pytest.MonkeyPatch, widgets: bool) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: (object() if widgets else None) if name == "ipywidgets" else real(name, *a))
    bar = progress(range(3), disable=True)
    assert isinstance(bar, tqdm.auto.tqdm if widgets else tqdm.std.tqdm)
    assert list(bar) == [0, 1, 2]
