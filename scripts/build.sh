#!/usr/bin/env bash
# Installs the dependencies (scripts/install-deps.sh) and builds partfs and its
# tests into build/ (RelWithDebInfo; PARTFS_BUILD_DIR overrides the directory).
# Run from anywhere; extra arguments go to `cmake --build` (e.g. --target partfs).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
bash scripts/install-deps.sh
BUILD=${PARTFS_BUILD_DIR:-build}
# PARTFS_WERROR=ON (scripts/test.sh) makes every warning an error; a plain
# build only warns, as a packager's build should.
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${PARTFS_WERROR:+-DPARTFS_WERROR=$PARTFS_WERROR}
cmake --build "$BUILD" -j"$(nproc)" "$@"
