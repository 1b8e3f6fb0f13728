#!/usr/bin/env bash
# Installs the dependencies (scripts/install-deps.sh) and builds partfs and its
# tests into build/ (RelWithDebInfo; PARTFS_BUILD_DIR overrides the directory).
# Run from anywhere; extra arguments go to `cmake --build` (e.g. --target partfs).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
bash scripts/install-deps.sh
BUILD=${PARTFS_BUILD_DIR:-build}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD" -j"$(nproc)" "$@"
