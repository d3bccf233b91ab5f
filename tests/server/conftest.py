"""Fixtures for the dashboard API tests: one real store on disk and a real server over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from torchscope.server import create_app

from .util import ServerThread, fill_store


@pytest.fixture(scope="session")
def filled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    dir = tmp_path_factory.mktemp("dash") / "tsruns"
    return dir, fill_store(dir)


@pytest.fixture(scope="session")
def server(filled: tuple[Path, dict[str, Any]]) -> Iterator[str]:
    with ServerThread(create_app(filled[0], poll_interval=0.2)) as url:
        yield url


@pytest.fixture
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=10) as c:
        yield c
