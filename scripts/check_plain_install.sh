#!/usr/bin/env bash
# What `pip install torchscope` gives a user must work: install the package WITHOUT extras (no httpx,
# no pytest: only its own dependencies, resolved by pip) into a fresh virtual environment, then run
# the main commands there on a small store: `torchscope demo --quick`, `torchscope report`, and
# `torchscope serve` up to its first API answer. Prints how long each took. .ci/run calls it first.
# torch is installed before the package (the CPU build, $TORCH_VERSION), as the README says, so that
# resolving torchscope's `torch>=2.1` never pulls a CUDA build. pip's cache is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/torchscope-plain.XXXXXX")
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
now() { "$PY" -c 'import time; print(time.monotonic())'; }
took() { "$PY" -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.1f} s")' "$1" "$(now)"; }

t=$(now)
"$PY" -m venv "$WORK/venv"
V="$WORK/venv/bin"
"$V/python" -m pip install -q --no-compile "torch==${TORCH_VERSION:-2.13.0}"   # bytecode is compiled on first import
# build from a copy of what a fresh clone has (tracked and new files, nothing ignored): an in-tree
# build would reuse build/, where files deleted since the last build linger
"$PY" - "$WORK/src" <<'PYTHON'
import shutil, subprocess, sys
from pathlib import Path

dest = Path(sys.argv[1])
try:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, check=True).stdout.decode().split("\0")
except (OSError, subprocess.CalledProcessError):  # not a git checkout: everything but the usual outputs
    skip = {".git", ".venv", "build", "dist", "site", "tsruns", "test-artifacts", "__pycache__"}
    listed = [str(f) for f in Path().rglob("*") if not skip & set(f.parts)]
for name in filter(None, listed):
    if Path(name).is_file() and ".egg-info" not in name:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(name, dest / name)
PYTHON
"$V/python" -m pip install -q --no-compile "$WORK/src"   # no extras: what `pip install torchscope` installs
"$V/python" -m pip check
"$V/python" - <<'PYTHON'
import importlib.util
dev = [m for m in ("httpx", "httpx2", "pytest", "playwright") if importlib.util.find_spec(m) is not None]
assert not dev, f"a plain install must not bring the [dev] extras, found {dev}"
PYTHON
echo "plain install: a fresh venv with torch and torchscope (no extras) in $(took "$t")"

cd "$WORK"   # run the installed package, not the source tree
t=$(now)
"$V/torchscope" demo --quick --no-serve --dir store > demo.log 2>&1 || { cat demo.log; exit 1; }
echo "plain install: torchscope demo --quick in $(took "$t")"

t=$(now)
"$V/torchscope" report store -o report.html -q
"$V/python" - <<'PYTHON'
html = open("report.html", encoding="utf-8").read()
assert len(html) > 100_000 and '"name":"scalars"' in html, "report.html is incomplete"
PYTHON
echo "plain install: torchscope report in $(took "$t") ($(wc -c < report.html) bytes)"

PORT=$("$V/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
t=$(now)
"$V/torchscope" serve store --port "$PORT" > serve.log 2>&1 &
SERVER=$!
"$V/python" - "$PORT" "$SERVER" "$t" <<'PYTHON' || { cat serve.log; exit 1; }
import json, os, sys, time, urllib.request

port, pid, started = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
deadline = time.monotonic() + 60
while True:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/runs", timeout=5) as r:
            runs = json.loads(r.read())["runs"]
        break
    except OSError:
        os.kill(pid, 0)  # raises when the server has died
        if time.monotonic() > deadline:
            sys.exit("torchscope serve did not answer /api/runs within 60 s")
        time.sleep(0.05)
assert runs, "torchscope serve answered, but with no runs"
print(f"plain install: torchscope serve answered /api/runs {time.monotonic() - started:.2f} s after start")
PYTHON
