"""End-to-end fixtures: a real logging process, ``torchscope serve`` in a subprocess, headless Chromium.

Skips cleanly when Debian's chromium (/usr/bin/chromium) is not installed.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..conftest import ROOT, child_env

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "dashboard"
LOGGER = Path(__file__).with_name("logger.py")


class Logger:
    """The logging child: fills the store, keeps one run open, logs on request."""

    def __init__(self, dir: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-u", str(LOGGER), str(dir)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env())
        line = self.proc.stdout.readline()
        if not line.startswith("READY"):
            raise RuntimeError(f"logger failed: {line}{self.proc.stderr.read()}")
        self.live_id = line.split()[1]

    def log(self, step: int, value: float) -> None:
        self.proc.stdin.write(f"log {step} {value!r}\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "OK"

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(20)


class Server:
    """``torchscope serve DIR --port P`` in a child process; restartable on the same port."""

    def __init__(self, dir: Path, port: int | None = None) -> None:
        self.dir, self.port = dir, port or 0
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "torchscope", "serve", str(self.dir), "--port",
                                      str(self.port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=child_env())
        line, deadline = "", time.time() + 30
        while "http://" not in line and time.time() < deadline:
            line = self.proc.stdout.readline()
        self.url = re.search(r"(http://\S+)", line).group(1)
        self.port = int(self.url.rsplit(":", 1)[1].strip("/"))
        for _ in range(200):
            try:
                if httpx.get(self.url + "api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("torchscope serve did not answer")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Debian chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[tuple[Logger, Server]]:
    dir = tmp_path_factory.mktemp("e2e") / "tsruns"
    logger = Logger(dir)
    server = Server(dir)
    yield logger, server
    server.stop()
    logger.close()


@pytest.fixture(scope="session")
def tour_store(quick_tour: dict[str, Any], chromium_path: str) -> Path:
    """The tour's store (``torchscope demo --quick``), written once per session (tests/conftest.py's
    ``quick_tour``): tests that share it must not change it (one that logs into it copies it)."""
    return quick_tour["dir"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.alerts = []
    pg.errors = []
    pg.on("dialog", lambda d: (pg.alerts.append(d.message), d.dismiss()))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    ctx.close()


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@contextlib.contextmanager
def offline_report(browser: Any, path: Path) -> Iterator[Any]:
    """A static report opened from file:// with the network off, ready; ``page.errors`` collects page
    errors: ``with offline_report(browser, path) as page: ...``."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    try:
        page = ctx.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.goto(path.resolve().as_uri())
        page.wait_for_selector("#report[data-state=ready]", timeout=30000)
        yield page
    finally:
        ctx.close()
