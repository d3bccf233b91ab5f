"""Build the API reference (HTML, from the docstrings) with pdoc: ``python scripts/build_api_docs.py [OUT]``.

Writes ``site/api/`` by default (open ``site/api/index.html``). The modules listed are the public
surface: ``import torchscope as ts`` and the packages its names come from.
"""

from __future__ import annotations

import sys
from pathlib import Path

MODULES = [  # "torchscope" brings the packages named in its __all__ (data, evaluate, explain, gan) with it
    "torchscope",
    "torchscope.track",
    "torchscope.store",
    "torchscope.records",
    "torchscope.watch",
    "torchscope.model",
    "torchscope.gan.lab",
    "torchscope.integrations",
    "torchscope.report",
    "torchscope.server",
]


def build(out: Path) -> Path:
    import pdoc
    import pdoc.render

    pdoc.render.configure(docformat="restructuredtext", footer_text="torchscope API reference", show_source=False)
    pdoc.pdoc(*MODULES, output_directory=out)
    return out / "index.html"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "site" / "api"
    print(f"API reference: {build(target)}")
