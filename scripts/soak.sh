#!/usr/bin/env bash
# Soak run: N rounds of the randomized crash torture (ctest label `torture`,
# tests/torture/) and then the fault-injection tests (label `fault`,
# tests/fault/), on a private local S3 server. Installs the dependencies and
# builds first (scripts/build.sh), starts the server (scripts/s3-server.sh) on a
# free port block, and always stops it (by its recorded PIDs) and removes its
# data directory at the end. Exits non-zero when any round found a violation or
# any fault test failed; the seeds of failing rounds are listed at the end
# (replay one with PARTFS_TORTURE_SEED=<seed> PARTFS_TORTURE_ROUNDS=1).
#
#   bash scripts/soak.sh [N]        N torture rounds (default 50)
#
# Environment (all optional):
#   PARTFS_TEST_S3_PORT   first port of the server's block (default 18280; the
#                         next free block is taken when it is busy)
#   PARTFS_SOAK_FAULT     0 skips the fault tests
#   PARTFS_SOAK_RANDOM_OPS operations per seed of the random-operations run
#                         against a shadow file (default 20000; 0 skips it)
#   PARTFS_TORTURE_SEED   replay one seed (then N is ignored: one round)
#   PARTFS_BUILD_DIR      build directory (default build)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
START=$SECONDS
BUILD=${PARTFS_BUILD_DIR:-build}
ROUNDS=${1:-50}
if ! [[ $ROUNDS =~ ^[0-9]+$ ]] || ((ROUNDS < 1)); then
  echo "usage: $0 [ROUNDS]   (a positive number of torture rounds)" >&2
  exit 2
fi

step() { echo "=== [$((SECONDS - START))s] $*"; }

step "dependencies and build"
bash scripts/build.sh --target partfs torture_tests fault_tests

# ---- a private S3 server ----------------------------------------------------
# shellcheck source=scripts/lib/test-server.sh
source scripts/lib/test-server.sh
start_test_server soak 18280

# ---- torture rounds ------------------------------------------------------------
failed=0
step "crash torture: $ROUNDS rounds"
# The binary directly, not ctest: ctest's per-test TIMEOUT (sized for the
# default 10 rounds) would cut a long soak. Bounded here instead.
if ! PARTFS_TORTURE_ROUNDS=$ROUNDS timeout --kill-after=30 $((ROUNDS * 150 + 300)) \
  "$BUILD/tests/torture_tests" 2>&1 | tee "$BUILD/soak-torture.log"; then
  failed=1
fi

RANDOM_OPS=${PARTFS_SOAK_RANDOM_OPS:-20000}
if [[ $RANDOM_OPS != 0 ]]; then
  step "random operations against a shadow file: 3 seeds x $RANDOM_OPS"
  if ! PARTFS_RANDOM_OPS=$RANDOM_OPS timeout --kill-after=30 $((RANDOM_OPS / 5 + 600)) \
    "$BUILD/tests/fuse_tests" --gtest_filter='FsModifyTest.RandomOperationsMatchAShadowFile' \
    2>&1 | tee "$BUILD/soak-random-ops.log"; then
    failed=1
  fi
fi

if [[ ${PARTFS_SOAK_FAULT:-1} != 0 ]]; then
  step "fault-injection tests (ctest -L fault)"
  if ! ctest --test-dir "$BUILD" -L fault --output-on-failure 2>&1 |
    tee "$BUILD/soak-fault.log"; then
    failed=1
  fi
fi

step "done"
rounds_run=$(grep -c -E '^\[torture\] round [0-9]+ seed [0-9]+: [0-9]+ violations' \
  "$BUILD/soak-torture.log" || true)
bad=$(grep -E '^\[torture\] round [0-9]+ seed [0-9]+: [1-9][0-9]* violations' \
  "$BUILD/soak-torture.log" || true)
echo "torture: $rounds_run rounds run, $(grep -c . <<<"$bad" || true) with violations"
if [[ -n $bad ]]; then echo "$bad"; fi
grep -h -E '^[0-9]+% tests passed|tests failed out of' "$BUILD/soak-fault.log" 2>/dev/null || true
if ((failed)); then
  echo "soak.sh: FAILED (logs: $BUILD/soak-torture.log, $BUILD/soak-fault.log)"
  exit 1
fi
echo "soak.sh: all rounds and fault tests passed"
