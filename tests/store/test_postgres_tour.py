"""Every capability on the team store: the whole tour (`torchscope demo --quick`) written into
PostgreSQL, then the static report of it, with every panel answering what the SQLite store answers."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import child_env


def _demo(where: str) -> None:
    out = subprocess.run([sys.executable, "-m", "torchscope", "demo", "--quick", "--no-serve", "--dir", where],
                         env=child_env(), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert ":torchscope@" not in out.stdout + out.stderr  # the URL's password is never printed


def test_the_tour_and_its_report_on_postgres_as_on_sqlite(pg_url, tmp_path):
    from torchscope.report import build_report

    _demo(pg_url)
    _demo(str(tmp_path / "tsruns"))
    said: dict[str, list[str]] = {"pg": [], "lite": []}
    build_report(pg_url, tmp_path / "pg.html", progress=said["pg"].append)
    build_report(tmp_path / "tsruns", tmp_path / "lite.html", progress=said["lite"].append)

    def panels(lines: list[str]) -> dict[str, str]:  # "  Title: summary (0.1 s, ...)" -> {title: summary}
        return {ln.split(":")[0].strip(): ln.split(":", 1)[1].rsplit("(", 1)[0].strip()
                for ln in lines if ln.startswith("  ")}

    pg, lite = panels(said["pg"]), panels(said["lite"])
    assert not any("left out" in s for s in pg.values()), said["pg"]
    assert len(pg) >= 12 and pg.keys() == lite.keys()
    def same(a: str) -> str:  # the system monitor logs by time: point counts differ from run to run
        return re.sub(r"[\d,]+ points?", "N points", a)

    for title in pg:  # the same counts of charts, records, images... (GAN samples and alarms vary too)
        if title not in ("GAN", "GAN lab", "Health"):
            assert same(pg[title]) == same(lite[title]), (title, pg[title], lite[title])
