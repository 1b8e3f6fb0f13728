#!/usr/bin/env bash
# Builds partfs the way a packager or user does — plain `cmake` with
# CMAKE_BUILD_TYPE Release, RelWithDebInfo and Debug, without PARTFS_WERROR —
# and fails when any of them prints a compiler warning. Not part of
# scripts/test.sh (three more full builds); run it after touching build flags
# or when a new compiler arrives.
#
#   scripts/check-build-types.sh [WORK_DIR]   (default /tmp/partfs-build-types)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${1:-/tmp/partfs-build-types}
bash "$ROOT/scripts/install-deps.sh"
failed=0
for type in Release RelWithDebInfo Debug; do
  dir=$WORK/$type
  log=$dir.log
  echo "=== $type"
  if ! { cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE="$type" &&
    cmake --build "$dir" -j"$(nproc)"; } >"$log" 2>&1; then
    echo "check-build-types: the $type build failed; see $log" >&2
    failed=1
    continue
  fi
  warnings=$(grep -c 'warning:' "$log" || true)
  if ((warnings > 0)); then
    grep -m 5 'warning:' "$log" >&2
    echo "check-build-types: the $type build printed $warnings warning(s); see $log" >&2
    failed=1
  else
    echo "$type: built, no warnings"
  fi
done
exit "$failed"
