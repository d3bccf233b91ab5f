#!/usr/bin/env bash
# Set up torchscope for development on a fresh machine: a virtual environment in .venv with the
# CPU build of PyTorch installed first (so nothing pulls a multi-GB CUDA build), torchscope in
# editable mode with its [dev] extras, and Debian's chromium for the dashboard's browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -c "import torch" 2>/dev/null || .venv/bin/python -m pip install -q "torch==${TORCH_VERSION:-2.13.0}"
# the dev extras (MONAI wants torch>=2.8, lightning, transformers...) must not replace that torch:
# the installed one is pinned by a constraint, so pip picks versions that fit it (or fails) instead
TORCH_PIN=$(.venv/bin/python -c "import torch; print(torch.__version__)")
.venv/bin/python -m pip install -q -e ".[dev]" -c <(echo "torch==$TORCH_PIN")
.venv/bin/python -c "import torch, torchscope; print('torchscope', torchscope.__version__, 'with torch', torch.__version__)"
if [ "${SKIP_BROWSER:-0}" != "1" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "setup: could not install chromium; browser tests will be skipped" >&2
  else
    echo "setup: chromium not found (install Debian's chromium for the browser tests)" >&2
  fi
fi
# the team store's tests use a real PostgreSQL server on loopback (Debian's postgresql, as root)
if [ "${SKIP_POSTGRES:-0}" != "1" ]; then
  if [ "$(id -u)" = "0" ]; then
    bash scripts/postgres.sh >/dev/null || echo "setup: could not start PostgreSQL; the team-store tests will be skipped" >&2
  else
    echo "setup: not root: start PostgreSQL yourself (scripts/postgres.sh) for the team-store tests" >&2
  fi
fi
