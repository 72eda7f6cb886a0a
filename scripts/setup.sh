#!/usr/bin/env bash
# Create .venv and install qframe with every first-party plugin listed in registry.toml.
#   scripts/setup.sh         what running experiments needs
#   scripts/setup.sh --dev   plus the test tools
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check "$@"; }

pip install --quiet --upgrade "pip>=24" "setuptools>=77" wheel

# The semantic metrics need PyTorch: take the CPU build (2.13.0) that pip finds locally, never a
# CUDA build from the index.
pip install --quiet "torch==2.13.0"

mapfile -t plugins < <(.venv/bin/python -c '
import tomllib
for entry in tomllib.load(open("registry.toml", "rb"))["plugin"]:
    print(entry["path"])')
editable=(-e core)
for path in "${plugins[@]}"; do editable+=(-e "$path"); done
pip install --quiet --no-build-isolation "${editable[@]}"

if [ "${1:-}" = "--dev" ]; then
    pip install --quiet "pytest>=8" "statsmodels>=0.14"  # statistics are checked against statsmodels
fi
echo "qframe is installed in .venv ($(.venv/bin/qframe --version))" >&2
