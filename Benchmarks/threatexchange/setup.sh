#!/usr/bin/env bash
# Creates the Python environment for the python-threatexchange reference benchmarks
# (pdq_reference.py, hash_reference.py) and the fuzz seeds (fuzz_seeds.py) at
# Benchmarks/.venv-threatexchange. Idempotent: does nothing when the
# venv already imports the pinned versions. On success prints the venv's python path (one line,
# stdout); progress and errors go to stderr. Set PYTHON to choose the interpreter (default python3).
set -euo pipefail

THREATEXCHANGE_VERSION="1.2.17"
FAISS_VERSION="1.15.1"
NUMPY_VERSION="2.4.6"
# PyAV (FFmpeg's libraries, bundled): only to encode the tiny clips `fuzz-media` mutates.
AV_VERSION="18.1.0"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$(cd "$here/.." && pwd)/.venv-threatexchange"
py="$venv/bin/python"
python="${PYTHON:-python3}"

fail() { echo "threatexchange setup: error: $*" >&2; exit 1; }

check() {
    "$py" - "$THREATEXCHANGE_VERSION" "$FAISS_VERSION" "$AV_VERSION" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
import faiss, numpy, av
from threatexchange.signal_type.pdq.signal import PdqSignal
assert version("threatexchange") == sys.argv[1], version("threatexchange")
assert version("faiss-cpu") == sys.argv[2], version("faiss-cpu")
assert version("av") == sys.argv[3], version("av")
PdqSignal.get_index_cls()
EOF
}

if [[ -x "$py" ]] && check; then
    echo "$py"
    exit 0
fi

command -v "$python" >/dev/null 2>&1 || fail "'$python' not found (set PYTHON to a Python 3.9+ interpreter)"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' \
    || fail "'$python' is $("$python" -V 2>&1); Python 3.9 or newer is needed"

echo "threatexchange setup: creating $venv (threatexchange $THREATEXCHANGE_VERSION, faiss-cpu $FAISS_VERSION; about half a minute)" >&2
rm -rf "$venv"
"$python" -m venv "$venv" >&2 \
    || fail "'$python -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)"
"$py" -m pip install --quiet --disable-pip-version-check --no-input \
    "threatexchange==$THREATEXCHANGE_VERSION" "faiss-cpu==$FAISS_VERSION" "numpy==$NUMPY_VERSION" "av==$AV_VERSION" >&2 \
    || fail "pip install of threatexchange==$THREATEXCHANGE_VERSION faiss-cpu==$FAISS_VERSION failed (is PyPI reachable?)"
check || fail "the venv at $venv was installed but cannot import threatexchange/faiss at the pinned versions"
echo "$py"
