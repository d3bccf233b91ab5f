"""The code state of a run: git commit, branch, remote, the uncommitted diff, the command line, and the
Python and package versions, as one ``run.code`` record (``ts.init(code=True)``).

Taken on the tracker's writer thread (git runs as a subprocess with a timeout; nothing here can fail
the run: what cannot be read is left empty and said in ``notes``). The diff is ``git diff HEAD``
(staged and unstaged changes to tracked files) cut at ``MAX_DIFF`` bytes; untracked files are listed,
not copied. A remote URL loses any user:password part.

Example::

    rec = capture()                  # in a git checkout
    rec.commit, rec.dirty, rec.packages["torch"]
"""

from __future__ import annotations

import dataclasses
import html
import os
import platform
import re
import subprocess
import sys
from typing import Any, ClassVar

from ..records import Record, register_record

__all__ = ["CodeSnapshot", "capture"]

MAX_DIFF = 1 << 20  # bytes of diff kept
MAX_UNTRACKED = 200
GIT_TIMEOUT = 10.0
_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")


@register_record
@dataclasses.dataclass
class CodeSnapshot(Record):
    """Where the code of a run stood: git state (empty outside a checkout), command line, versions."""

    kind: ClassVar[str] = "run.code"
    commit: str = ""
    branch: str = ""
    remote: str = ""
    root: str = ""
    dirty: bool = False
    diff: str = ""
    diff_truncated: bool = False
    untracked: list[str] = dataclasses.field(default_factory=list)
    argv: list[str] = dataclasses.field(default_factory=list)
    cwd: str = ""
    python: str = ""
    executable: str = ""
    platform: str = ""
    packages: dict[str, str] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)

    def figure(self) -> Any:
        """The commit, branch and command, whether the tree was dirty (and which files), the main versions."""
        from matplotlib.figure import Figure

        lines = [f"commit  {self.commit[:12] or 'not a git checkout'}" + (f"  ({self.branch})" if self.branch else ""),
                 f"state   {'uncommitted changes' if self.dirty else 'clean'}"
                 + (f", {len(self.diff.splitlines())} diff lines" if self.diff else ""),
                 f"command {' '.join(self.argv)[:100]}", f"python  {self.python}  {self.platform[:60]}"]
        lines += [f"untracked {', '.join(self.untracked[:6])}"] if self.untracked else []
        lines += [f"{name:<14}{version}" for name, version in list(self.packages.items())[:8]]
        fig = Figure(figsize=(7, 0.32 * len(lines) + 0.6))
        ax = fig.add_subplot()
        ax.axis("off")
        ax.set_title("code of the run", fontsize=10, loc="left")
        ax.text(0, 1, "\n".join(lines), va="top", family="monospace", fontsize=8, transform=ax.transAxes)
        return fig

    def _repr_html_(self) -> str:
        """The commit, the command and the diff (folded)."""
        head = (f"<b>code</b> {html.escape(self.commit[:12] or 'not a git checkout')}"
                f"{' (' + html.escape(self.branch) + ')' if self.branch else ''}"
                f"{' <b>+ uncommitted changes</b>' if self.dirty else ''}")
        cmd = html.escape(" ".join(self.argv))
        diff = (f"<details><summary>diff ({len(self.diff.splitlines())} lines)</summary><pre>{html.escape(self.diff)}"
                f"</pre></details>") if self.diff else ""
        return f"<div class='torchscope-record'>{head}<br/><code>{cmd}</code>{diff}</div>"


def _git(args: list[str], cwd: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT, check=False,
                             env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"})
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.decode("utf-8", "replace") if out.returncode == 0 else None


def packages() -> dict[str, str]:
    """Every installed distribution's version, by name (sorted): ``packages()["torch"]``."""
    from importlib import metadata

    out: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and name not in out:
            out[name] = dist.version
    return dict(sorted(out.items(), key=lambda kv: kv[0].lower()))


def capture(cwd: str | None = None, argv: list[str] | None = None) -> CodeSnapshot:
    """The code state of ``cwd`` (default: the working directory) and this process."""
    cwd = os.path.abspath(cwd or os.getcwd())
    rec = CodeSnapshot(argv=list(sys.argv if argv is None else argv), cwd=cwd, python=platform.python_version(),
                       executable=sys.executable, platform=platform.platform())
    try:
        rec.packages = packages()
    except Exception as exc:  # a broken distribution's metadata: versions left out, said
        rec.notes.append(f"package versions could not be read: {exc}")
    root = _git(["rev-parse", "--show-toplevel"], cwd)
    if root is None:
        rec.notes.append("not a git checkout (or git is not installed)")
        return rec
    rec.root = root.strip()
    rec.commit = (_git(["rev-parse", "HEAD"], cwd) or "").strip()
    rec.branch = (_git(["rev-parse", "--abbrev-ref", "HEAD"], cwd) or "").strip()
    remote = (_git(["config", "--get", "remote.origin.url"], cwd) or "").strip()
    rec.remote = _CREDENTIALS.sub("", remote)
    diff = _git(["diff", "HEAD", "--no-color", "--no-ext-diff"], cwd) if rec.commit else None
    if diff is None and rec.commit:
        rec.notes.append("git diff failed")
    diff = diff or ""
    raw = diff.encode()
    if len(raw) > MAX_DIFF:
        diff, rec.diff_truncated = raw[:MAX_DIFF].decode("utf-8", "ignore"), True
        rec.notes.append(f"the diff is {len(raw):,} bytes: the first {MAX_DIFF:,} are kept")
    rec.diff = diff
    untracked = (_git(["ls-files", "--others", "--exclude-standard"], cwd) or "").splitlines()
    rec.untracked = untracked[:MAX_UNTRACKED]
    if len(untracked) > MAX_UNTRACKED:
        rec.notes.append(f"{len(untracked):,} untracked files: the first {MAX_UNTRACKED} are listed")
    rec.dirty = bool(diff) or bool(untracked)
    return rec
