"""Progress bars: tqdm's notebook widget where ipywidgets is installed, its text bar otherwise.

``tqdm.auto`` picks the widget in any notebook and, without ipywidgets, warns "IProgress not
found" and prints no bar; here a notebook without ipywidgets gets the plain text bar instead.

Example::

    from torchscope._progress import tqdm
    for x in tqdm(items, desc="profiling", unit="image"): ...
"""

from __future__ import annotations

import importlib.util
from typing import Any

__all__ = ["tqdm"]


def tqdm(*args: Any, **kwargs: Any) -> Any:
    """``tqdm.auto.tqdm`` when ipywidgets can be imported, else ``tqdm.std.tqdm``; same arguments."""
    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm as auto

        return auto(*args, **kwargs)
    from tqdm.std import tqdm as text

    return text(*args, **kwargs)
