#!/usr/bin/env bash
# Install summarizer with its extras into ./.venv (created if missing).
#   EXTRAS: pip extras to install (default "dev,local").
# llama-cpp-python is built portable (no -march=native): on some CPUs the native
# build crashes in AMX kernels. pip caches the built wheel, so this is slow once.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="${EXTRAS:-dev,local}"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON}"
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[${EXTRAS}]"
