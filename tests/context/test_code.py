"""torchscope.context.code: the run.code record in a real git checkout and outside one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import torchscope as ts
from torchscope.context.code import CodeSnapshot, capture


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    try:
        _git(tmp_path, "init", "-q", "-b", "main")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("git is not installed")
    _git(tmp_path, "config", "user.email", "t@example.org")
    _git(tmp_path, "config", "user.name", "t")
    _git(tmp_path, "remote", "add", "origin", "https://user:secret@example.org/team/repo.git")
    (tmp_path / "train.py").write_text("lr = 0.1\n")
    _git(tmp_path, "add", "train.py")
    _git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path


def test_a_dirty_checkout(repo: Path) -> None:
    (repo / "train.py").write_text("lr = 0.01\n")
    (repo / "notes.txt").write_text("new\n")
    rec = capture(str(repo), argv=["train.py", "--lr", "0.01"])
    assert rec.commit == _git(repo, "rev-parse", "HEAD") and rec.branch == "main" and rec.dirty
    assert "-lr = 0.1" in rec.diff and "+lr = 0.01" in rec.diff and rec.untracked == ["notes.txt"]
    assert rec.remote == "https://example.org/team/repo.git"  # no credentials
    assert rec.argv == ["train.py", "--lr", "0.01"] and "numpy" in {k.lower() for k in rec.packages}


def test_a_clean_checkout_and_no_checkout(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    assert not capture(str(repo)).dirty
    outside = capture(str(tmp_path_factory.mktemp("plain")))
    assert outside.commit == "" and outside.notes and outside.python


def test_init_code_true_stores_the_record(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    with ts.init(project="c", dir=repo / "tsruns", code=True):
        pass
    store = ts.open(repo / "tsruns")
    rec = store.latest(store.runs()[0].id, "run.code")
    assert isinstance(rec, CodeSnapshot) and rec.commit and rec.root == str(repo.resolve())
    assert rec.dirty and not rec.diff and all(f.startswith("tsruns/") for f in rec.untracked)  # the store itself
    assert "uncommitted changes" in rec._repr_html_()
