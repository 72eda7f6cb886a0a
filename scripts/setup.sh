#!/usr/bin/env bash
# Create .venv and install qframe with every first-party plugin listed in registry.toml.
#   scripts/setup.sh         what running experiments needs
#   scripts/setup.sh --dev   plus the test tools
# The first run on a machine compiles llama-cpp-python from source (about 9 minutes on 2 cores);
# pip caches the wheel, so later runs take well under a minute.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "setup: qframe needs Python 3.11 or newer ($python is $("$python" --version 2>&1))" >&2; exit 2; }
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check "$@"; }

pip install --quiet --upgrade "pip>=24" "setuptools>=77" wheel

# The semantic metrics need PyTorch: take the CPU build (2.13.0) where pip finds it locally, never
# a CUDA build from the index.
pip install --quiet "torch==2.13.0"

# Third-party requirements first, with build isolation: packages built from source (llama-cpp-python
# needs scikit-build-core and cmake) get their own build requirements.
mapfile -t requirements < <(.venv/bin/python scripts/requirements.py)
echo "setup: installing ${#requirements[@]} requirements (the first run compiles llama-cpp-python, ~9 min)" >&2
pip install --quiet "${requirements[@]}"

# First-party packages, editable, without build isolation or a second resolve: fast to re-run.
mapfile -t packages < <(.venv/bin/python scripts/requirements.py --first-party)
editable=()
for path in "${packages[@]}"; do editable+=(-e "$path"); done
pip install --quiet --no-build-isolation --no-deps "${editable[@]}"

if [ "${1:-}" = "--dev" ]; then
    pip install --quiet -r scripts/dev-requirements.txt
    for extra in scripts/extras/*.sh; do
        [ -e "$extra" ] || continue
        echo "setup: $extra" >&2
        bash "$extra"
    done
fi
.venv/bin/python -m pip check >&2 || { echo "setup: installed packages have unmet requirements (above)" >&2; exit 1; }
echo "qframe is installed in .venv ($(.venv/bin/qframe --version))" >&2
