"""Choosing what a report shows (``report/source.py``) and the ``torchscope report`` command, on small stores."""

from __future__ import annotations

from pathlib import Path

import pytest

import torchscope as ts
from torchscope.cli import main
from torchscope.report import select_runs


def _runs(dir: Path, *names: str) -> list[str]:
    ids = []
    for name in names:
        with ts.init(dir=dir, project="p", name=name, config={"lr": 0.1}) as run:
            for step in range(5):
                run.log({"loss": 1.0 / (step + 1)}, step=step)
            ids.append(run.id)
    return ids


def test_a_store_directory_gives_every_run_not_archived(tmp_path: Path) -> None:
    a, b, c = _runs(tmp_path / "s", "a", "b", "c")
    ts.open(tmp_path / "s").update_run(c, archived=True)
    assert {r.id for r in select_runs(tmp_path / "s").runs} == {a, b}
    assert [r.id for r in select_runs(tmp_path / "s", runs=["b", c]).runs] == [b, c]  # by name or id; archived if asked
    assert [r.id for r in select_runs(tmp_path / "s", runs=[a[:6]]).runs] == [a]  # an id prefix
    assert [r.id for r in select_runs(tmp_path / "s" / "torchscope.db").runs] == [b, a]  # the file itself
    with pytest.raises(ValueError, match="no run 'zzz'"):
        select_runs(tmp_path / "s", runs=["zzz"])


def test_run_directories_and_run_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (a,) = _runs(tmp_path / "runs" / "one", "one")
    (b,) = _runs(tmp_path / "runs" / "two", "two")
    assert {r.id for r in select_runs(tmp_path / "runs").runs} == {a, b}  # SummaryWriter's layout
    assert [r.id for r in select_runs(tmp_path / "runs" / "two").runs] == [b]  # one run directory
    monkeypatch.setenv("TORCHSCOPE_DIR", str(tmp_path / "runs" / "one"))
    monkeypatch.chdir(tmp_path)
    assert [r.id for r in select_runs(a).runs] == [a]  # a run id in the default store


def test_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such directory"):
        select_runs(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(FileNotFoundError, match="no torchscope store"):
        select_runs(tmp_path / "plain")
    assert not (tmp_path / "plain" / "torchscope.db").exists()  # looking made no store
    from torchscope.store import open_store

    open_store(tmp_path / "empty", create=True)
    with pytest.raises(ValueError, match="no runs in"):
        select_runs(tmp_path / "empty")


def test_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _runs(tmp_path / "s", "a", "b")
    out = tmp_path / "out" / "r.html"
    assert main(["report", str(tmp_path / "s"), "-o", str(out), "--panel", "scalars", "--panel", "config"]) == 0
    err = capsys.readouterr().err
    assert "report of 2 runs" in err and "Scalars: 1 key" not in err and "Scalars: 1 chart" in err
    assert f"wrote {out}" in err and out.read_text().startswith("<!doctype html>")
    assert main(["report", str(tmp_path / "nowhere"), "-o", str(out)]) == 2
    assert "torchscope report: error:" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "s"), "--panel", "nope", "-o", str(out)]) == 2
    assert "unknown panel(s) nope" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "s"), "-q", "-o", str(out), "--no-csv"]) == 0
    assert capsys.readouterr().err == ""


def test_csv_files_fit_a_budget_smallest_keys_first(tmp_path: Path) -> None:
    import re

    from torchscope.report import Limits, build_report

    with ts.init(dir=tmp_path / "s", name="r") as run:
        for step in range(20):
            run.log({"big": float(step)} | ({"small": 1.0} if step < 5 else {}), step=step)
    lines: list[str] = []
    out = build_report(tmp_path / "s", tmp_path / "r.html", limits=Limits(max_csv_points=10), progress=lines.append)
    assert "2 charts, 25 points, 1 CSV file (1 key without CSV: over the size limit)" in "\n".join(lines)
    html = out.read_text()
    csvs = re.findall(r'"url","scalars/csv",\[\["key","(\w+)"\]', html)
    assert csvs == ["small"]
