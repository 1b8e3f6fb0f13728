#!/usr/bin/env bash
# Installs the dependencies (scripts/install-deps.sh) and builds partfs and its
# tests into build/ (RelWithDebInfo). Run from anywhere; extra arguments go to
# `cmake --build` (e.g. --target partfs).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)" "$@"
