#!/usr/bin/env bash
# Create .venv and install qframe with every first-party plugin listed in registry.toml.
#   scripts/setup.sh         what running experiments needs
#   scripts/setup.sh --dev   plus the test tools
# The first run on a machine compiles llama-cpp-python from source (about 9 minutes on 2 cores) with
# CPU options chosen for this machine (CMAKE_ARGS overrides them); the wheel is kept in pip's cache
# folder, so later runs take well under a minute. Setup ends with a self-test of the llama.cpp build.
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

mapfile -t requirements < <(.venv/bin/python scripts/requirements.py)

# llama-cpp-python compiles from source. llama.cpp's default (-march=native) builds its AMX kernels
# on Intel CPUs that have AMX, and those crash on the first decode of any quantized model; so
# build_flags.py names this CPU's instruction sets explicitly and leaves AMX off (set CMAKE_ARGS to
# choose your own). pip's wheel cache does not key on CMAKE_ARGS, so the wheel is kept in a folder
# named after the requirement and the options, and reinstalled when either changes.
llama_requirement=$(printf '%s\n' "${requirements[@]}" | grep -m1 '^llama-cpp-python' || true)
if [ -n "$llama_requirement" ]; then
    build_flags=plugins/backends/llamacpp/src/qframe_llamacpp/build_flags.py
    { read -r llama_args; read -r llama_key; } < <(.venv/bin/python "$build_flags" "$llama_requirement")
    wheels="$(pip cache dir 2>/dev/null || echo .venv/cache)/qframe-llama-wheels/$llama_key"
    if ! compgen -G "$wheels/llama_cpp_python-*.whl" >/dev/null; then
        echo "setup: compiling $llama_requirement (~9 min) with CMAKE_ARGS=\"$llama_args\"" >&2
        CMAKE_ARGS="$llama_args" pip wheel --quiet --no-deps --no-cache-dir -w "$wheels" "$llama_requirement"
    fi
    record=.venv/qframe-llama-build.txt
    if [ "$(cat "$record" 2>/dev/null)" != "$llama_key $llama_args" ]; then
        pip install --quiet --no-deps --force-reinstall "$wheels"/llama_cpp_python-*.whl
        echo "$llama_key $llama_args" > "$record"
    fi
fi

# The other third-party requirements, with build isolation: a package built from source gets its
# own build requirements.
echo "setup: installing ${#requirements[@]} requirements" >&2
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
# Self-test: each quant family decodes in a child process on this CPU (a crash names the fix).
.venv/bin/qframe doctor --quiet --check llamacpp || { echo "setup: the llama.cpp build does not run on this CPU (above)" >&2; exit 1; }
echo "qframe is installed in .venv ($(.venv/bin/qframe --version))" >&2
