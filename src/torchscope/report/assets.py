"""The report's code and styles: the dashboard's own ES modules and stylesheets, ready to inline.

A page opened from ``file://`` cannot import one module file from another, so every module is
shipped as text and loaded from a ``blob:`` URL by ``web/loader.js``. Here each module gets an id
(``static/dom.js``, ``panels/scalars/chart.js``, ``report/shell.js``), its import specifiers
become ``"ts-module:<id>"`` placeholders (the loader puts the dependency's blob URL in their
place, dependencies first), and ``import.meta.url`` becomes a fixed ``torchscope-report:/<id>``
address (a blob URL cannot resolve relative paths; the panels only use it to name their
stylesheet, which the report inlines anyway). No bundler, no build step: the modules run as the
dashboard serves them.

Example::

    modules = collect_modules(["report/shell.js", "panels/scalars/panel.js"])   # [(id, text)], deps first
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = ["PLACEHOLDER", "collect_modules", "module_path", "rewrite", "stylesheets"]

PACKAGE = Path(__file__).resolve().parent.parent
ROOTS = {"static": PACKAGE / "web", "panels": PACKAGE / "server" / "panels", "report": Path(__file__).parent / "web"}
PLACEHOLDER = "ts-module:"
STATIC_IMPORT = re.compile(
    r"""(?P<head>(?:^|[;}\n])[ \t]*(?:import|export)\b[^'";]*?\bfrom\s*|(?:^|[;\n])[ \t]*import\s*)"""
    r"""(?P<q>["'])(?P<spec>[^"'\n]+)(?P=q)""")
DYNAMIC_IMPORT = re.compile(r"""\bimport\s*\(\s*(?P<q>["'])(?P<spec>[^"'\n]+)(?P=q)\s*\)""")
META_URL = re.compile(r"\bimport\.meta\.url\b")


def module_path(mid: str) -> Path:
    """The file of a module id: ``module_path("static/dom.js")`` -> ``.../torchscope/web/dom.js``."""
    root, _, rest = mid.partition("/")
    if root not in ROOTS or not rest or ".." in rest.split("/"):
        raise ValueError(f"unknown module id {mid!r}")
    return ROOTS[root] / rest


def _resolve(mid: str, spec: str) -> str:
    if not spec.startswith(("./", "../")):
        raise ValueError(f"{mid}: import {spec!r} is not a relative path (a report bundles the package's modules only)")
    target = posixpath.normpath(posixpath.join(posixpath.dirname(mid), spec))
    if not module_path(target).is_file():
        raise ValueError(f"{mid}: import {spec!r} -> {target!r}, which does not exist")
    return target


def rewrite(mid: str, source: str) -> tuple[str, list[str]]:
    """``(source with placeholders, dependency ids)`` for module ``mid``; see the module docstring."""
    deps: list[str] = []

    def static(m: re.Match[str]) -> str:
        dep = _resolve(mid, m["spec"])
        deps.append(dep)
        return f'{m["head"]}"{PLACEHOLDER}{dep}"'

    def dynamic(m: re.Match[str]) -> str:
        dep = _resolve(mid, m["spec"])
        deps.append(dep)
        return f'import("{PLACEHOLDER}{dep}")'

    out = STATIC_IMPORT.sub(static, source)
    out = DYNAMIC_IMPORT.sub(dynamic, out)
    out = META_URL.sub(json.dumps(f"torchscope-report:/{mid}"), out)
    return out, list(dict.fromkeys(deps))


def collect_modules(entries: Iterable[str]) -> list[tuple[str, str]]:
    """Every module reachable from ``entries``, rewritten, each after the modules it imports."""
    done: dict[str, str] = {}
    visiting: list[str] = []

    def visit(mid: str) -> None:
        if mid in done:
            return
        if mid in visiting:
            raise ValueError(f"import cycle: {' -> '.join([*visiting[visiting.index(mid):], mid])}")
        visiting.append(mid)
        text, deps = rewrite(mid, module_path(mid).read_text(encoding="utf-8"))
        for d in deps:
            visit(d)
        visiting.pop()
        done[mid] = text

    for e in entries:
        visit(e)
    return list(done.items())


def stylesheets(panel_folders: Iterable[Path]) -> list[tuple[str, str]]:
    """``[(name, css)]``: uPlot's, the dashboard's, every given panel's, then the report's own."""
    files = [ROOTS["static"] / "vendor" / "uPlot.min.css", ROOTS["static"] / "style.css"]
    for folder in panel_folders:
        files += sorted(folder.glob("*.css"))
    files.append(ROOTS["report"] / "report.css")
    return [(str(f.relative_to(PACKAGE)), f.read_text(encoding="utf-8")) for f in files]
