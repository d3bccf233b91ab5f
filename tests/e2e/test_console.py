"""The Console panel in headless Chromium: a running process's output appears live (stderr in red), the
filter and the stream switch, the code card; and the static report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torchscope.report import build_report

from ..conftest import ROOT, popen_python
from .conftest import Server, offline_report

ARTIFACTS = ROOT / "test-artifacts" / "console"

CHILD = """
    import sys, torchscope as ts
    run = ts.init(project="c", name="printer", dir=sys.argv[1], console=True, code=True, flush_interval=0.2)
    print("epoch 0: loss 1.00")
    print("careful: lr is high", file=sys.stderr)
    run.flush()
    sys.__stdout__.write(f"READY {run.id}\\n"); sys.__stdout__.flush()
    for i, line in enumerate(sys.stdin):
        if line.strip() == "quit":
            break
        run.log({"loss": 1.0 / (i + 2)})
        print(f"epoch {i + 1}: {line.strip()}")
        run.flush()
        sys.__stdout__.write("OK\\n"); sys.__stdout__.flush()
    run.finish()
"""


def _until(child: Any, word: str) -> str:
    """The child's next stdout line starting with ``word`` (its printed lines before it skipped)."""
    for _ in range(20):
        line = child.stdout.readline().strip()
        if line.startswith(word) or not line:
            return line
    return ""


def test_the_console_follows_a_running_process(tmp_path: Path, page: Any) -> None:
    dir = tmp_path / "tsruns"
    child = popen_python(CHILD, str(dir), stdin=True)
    server = None
    try:
        assert _until(child, "READY").startswith("READY")  # the child's own prints still reach its stdout
        server = Server(dir)
        page.goto(f"{server.url}#console")
        page.wait_for_selector(".cs-line")
        assert page.locator(".cs-line.stderr").inner_text().endswith("careful: lr is high")
        child.stdin.write("loss 0.50\n")
        child.stdin.flush()
        assert _until(child, "OK") == "OK"
        page.wait_for_selector("text=epoch 1: loss 0.50", timeout=15000)  # live: no reload
        assert page.locator(".cs-line").count() == 3
        page.fill(".cs-filter", "careful")
        assert page.locator(".cs-line:visible").count() == 1
        page.fill(".cs-filter", "")
        page.click(".seg button[data-shown=stdout]")
        assert page.locator(".cs-line:visible").count() == 2 and page.locator(".cs-line.stderr:visible").count() == 0
        assert "Code" in page.locator(".cs-card h3").first.inner_text() and page.locator(".cs-facts").count() == 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "live.png"), full_page=True)
        assert not page.errors
    finally:
        if child.poll() is None:
            child.stdin.write("quit\n")
            child.stdin.flush()
            child.wait(30)
        if server is not None:
            server.stop()
    out = build_report(dir, tmp_path / "console.html", panels=["console"], progress=None)
    with offline_report(page.context.browser, out) as report:
        report.click("text=Console")
        report.wait_for_selector("text=epoch 1: loss 0.50")
        assert report.locator(".cs-line").count() == 3 and not report.errors
