#!/usr/bin/env bash
# Runs ALL of partfs's tests on this machine: installs the dependencies, builds,
# starts one shared local S3 server (scripts/s3-server.sh), runs every ctest
# label (unit, integration, fuse, torture, fault; the last three one test at a
# time), then, when time allows, the unit tests again under ASan+UBSan
# (<build>-asan/), and the upload pipeline's unit tests plus the concurrent fuse
# tests with the daemon under TSan (<build>-tsan/). The sanitizer builds run in
# the background (nice 19) while ctest runs. Before ctest: clang-format
# and clang -Wthread-safety over the sources. Exits non-zero on any failure.
#
# Environment (all optional):
#   PARTFS_TEST_S3_PORT     first port of the shared server's block (default 18080;
#                           the next free block is taken when it is busy)
#   PARTFS_SANITIZE_TESTS   0 skips the ASan+UBSan and TSan builds and passes
#   PARTFS_TEST_BUDGET      seconds the whole run may take (default 3000); the
#                           sanitizer passes are skipped when less than 4 min are left
#   PARTFS_CTEST_ARGS       extra ctest arguments (e.g. "-L unit")
#   PARTFS_BUILD_DIR        build directory (default build; the ASan one is <it>-asan)
#   PARTFS_TEST_SERVERS     which S3 servers: "swift,rgw" (default), "swift". With
#                           rgw, a Ceph RGW (scripts/rgw-server.sh) runs next to
#                           Swift and the integration tests (during ctest) and the
#                           crash-resume, O_EXCL (conditional create) and
#                           `partfs check` fuse tests (after it) run on it too
#   PARTFS_TEST_RGW_PORT    first port of the RGW block (default 18180)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
START=$SECONDS
BUDGET=${PARTFS_TEST_BUDGET:-3000}
JOBS=$(nproc)
BUILD=${PARTFS_BUILD_DIR:-build}
ASAN_BUILD=${BUILD%/}-asan

step() { echo "=== [$((SECONDS - START))s] $*"; }

step "dependencies and build (warnings are errors)"
PARTFS_WERROR=ON bash scripts/build.sh

# ---- the shared S3 server ---------------------------------------------------
# shellcheck source=scripts/lib/test-server.sh
source scripts/lib/test-server.sh
start_test_server test 18080
RGW_PASS=0
if [[ ,${PARTFS_TEST_SERVERS:-swift,rgw}, == *,rgw,* ]]; then
  RGW_PASS=1
  start_rgw_test_server test 18180
fi
# Runs a test binary against RGW: rgw_run LOG BINARY GTEST_ARGS...
rgw_run() {
  local log=$1
  shift
  PARTFS_TEST_S3_ENDPOINT=$RGW_ENDPOINT PARTFS_TEST_S3_KIND=rgw PARTFS_TEST_S3_LOG=$RGW_LOG \
    timeout 1800 "$@" >"$log" 2>&1
}

# ---- sanitizer builds, in the background ----------------------------------------
# They compile the code twice more (ASan+UBSan: unit_tests; TSan: unit_tests and
# the daemon), about as much CPU as the main build each. Started now at the
# lowest priority, they use the CPU ctest leaves idle (its fuse tests mostly wait
# on the server and the mounts) instead of adding their time after it.
SAN_STATE=$(mktemp -d)
SAN_PID=
TSAN_BUILD=${BUILD%/}-tsan
# -g1 (line tables only): reports keep file:line, the build skips most of the
# debug info that makes the gtest-heavy test files slow to compile.
# shellcheck disable=SC2086  # $targets is a list of targets
sanitizer_build() {
  local name=$1 value=$2 dir=$3 targets=$4 rc=0
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARTFS_SANITIZE="$value" -DPARTFS_WERROR=ON \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >"$SAN_STATE/$name.log" 2>&1 || rc=$?
  if ((rc == 0)); then
    nice -n 19 cmake --build "$dir" -j"$JOBS" --target $targets >>"$SAN_STATE/$name.log" 2>&1 ||
      rc=$?
  fi
  echo "$rc" >"$SAN_STATE/$name.rc"
}
# The builds run in a process group of their own (set -m): an early exit stops
# every compiler they started.
cleanup_sanitizer_builds() {
  if [[ -n $SAN_PID ]]; then kill -- -"$SAN_PID" 2>/dev/null || true; fi
  rm -rf "$SAN_STATE"
}
# (set -e would end the trap at a failing command before the server stops.)
trap 'rc=$?; cleanup_sanitizer_builds || true; test_server_cleanup "$rc"' EXIT
if [[ ${PARTFS_SANITIZE_TESTS:-1} != 0 ]]; then
  step "ASan+UBSan and TSan builds start in the background (nice 19)"
  set -m
  (
    sanitizer_build asan address "$ASAN_BUILD" unit_tests
    sanitizer_build tsan thread "$TSAN_BUILD" "concurrency_unit_tests partfs"
  ) &
  SAN_PID=$!
  set +m
fi

# ---- the tests ------------------------------------------------------------------
failed=0
step "clang-format --dry-run -Werror over the tracked sources"
if ! git ls-files '*.cc' '*.h' | xargs clang-format --dry-run -Werror; then
  echo "test.sh: sources differ from .clang-format (run: git ls-files '*.cc' '*.h' | xargs clang-format -i)"
  failed=1
fi
step "clang -Wthread-safety -Werror over base/ transfer/ cache/ fs/ (syntax only)"
if ! python3 scripts/lib/thread-safety-check.py "$BUILD" "$JOBS"; then
  echo "test.sh: lock annotations do not hold (clang -Wthread-safety)"
  failed=1
fi
# The integration tests on RGW run beside ctest (they mostly wait on the server).
RGW_INT_PID=
if ((RGW_PASS)); then
  step "RGW: integration tests start in the background (log $BUILD/rgw-integration.log)"
  rgw_run "$BUILD/rgw-integration.log" "$BUILD/tests/integration_tests" &
  RGW_INT_PID=$!
fi
step "ctest (unit, integration, fuse, torture, fault)"
# shellcheck disable=SC2086
if ! ctest --test-dir "$BUILD" --output-on-failure -j2 --timeout 900 ${PARTFS_CTEST_ARGS:-} \
  2>&1 | tee "$BUILD/ctest.log"; then
  failed=1
fi
if ((RGW_PASS)); then
  if ! wait "$RGW_INT_PID"; then
    failed=1
    tail -n 40 "$BUILD/rgw-integration.log"
  fi
  step "RGW: integration tests: $(grep -E '^\[  (PASSED|FAILED)  \]' "$BUILD/rgw-integration.log" | head -2 | tr '\n' ' ')"
  step "RGW: crash-resume, O_EXCL and check fuse tests (log $BUILD/rgw-resume.log)"
  RGW_RESUME_START=$SECONDS
  if ! rgw_run "$BUILD/rgw-resume.log" "$BUILD/tests/fuse_tests" \
    --gtest_filter='Resume*:FsExclusiveCreate*:FsSystemTool*'; then
    failed=1
    tail -n 40 "$BUILD/rgw-resume.log"
  fi
  step "RGW: resume tests took $((SECONDS - RGW_RESUME_START))s: $(grep -E '^\[  (PASSED|FAILED)  \]' "$BUILD/rgw-resume.log" | head -2 | tr '\n' ' ')"
fi

# A sanitizer pass: sanitizer_pass NAME STATE_NAME CTEST_DIR LOG CTEST_ARGS...
# (its build ran in the background; the tests run when it built and time allows).
sanitizer_pass() {
  local name=$1 state=$2 dir=$3 log=$4
  shift 4
  local left=$((BUDGET - (SECONDS - START)))
  if [[ ${PARTFS_SANITIZE_TESTS:-1} == 0 ]]; then
    step "$name pass skipped (PARTFS_SANITIZE_TESTS=0)"
    return 0
  elif [[ ! -f $SAN_STATE/$state.rc ]]; then
    step "$name pass skipped: its build did not finish"
    return 0
  elif [[ $(cat "$SAN_STATE/$state.rc") != 0 ]]; then
    tail -n 60 "$SAN_STATE/$state.log"
    echo "test.sh: the $name build failed"
    return 1
  elif ((left < 240)); then
    step "$name pass skipped: only ${left}s of the ${BUDGET}s budget left"
    return 0
  fi
  step "$name tests"
  ctest --test-dir "$dir" --output-on-failure --timeout 600 "$@" 2>&1 | tee "$log"
  return "${PIPESTATUS[0]}"
}

# Waits for the background build NAME to end (its .rc file), or for the
# background job to be gone.
wait_for_build() {
  [[ -n $SAN_PID ]] || return 0
  step "waiting for the $1 build"
  while [[ ! -f $SAN_STATE/$1.rc ]] && kill -0 "$SAN_PID" 2>/dev/null; do sleep 2; done
}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
# ASan's tests run while the TSan build goes on.
wait_for_build asan
sanitizer_pass "ASan+UBSan" asan "$ASAN_BUILD" "$ASAN_BUILD/ctest.log" -L unit -j2 || failed=1
# TSan on the concurrent parts: the upload pipeline, cache budget, journal and
# recovery (unit tests: the concurrency_unit_tests binary), and the daemon
# itself under a real mount: this build's fuse tests that drive concurrent
# writers, rsync/tar/cp and crash resume (the 1 GiB ones left out for time)
# mount the TSan binary. A race report in the
# daemon ends it, which fails the test.
wait_for_build tsan
sanitizer_pass "TSan (unit)" tsan "$TSAN_BUILD" "$TSAN_BUILD/ctest.log" -j2 -L tsan-unit ||
  failed=1
PARTFS_TEST_BINARY="$ROOT/$TSAN_BUILD/partfs" \
  sanitizer_pass "TSan (daemon)" tsan "$BUILD" "$TSAN_BUILD/ctest-daemon.log" -L fuse \
  -R '^(FsWrite|FsTools|FsSemantics|ResumeParallel|ResumeComplete)' -E 'OneGiB' || failed=1

step "done"
grep -h -E '^[0-9]+% tests passed|tests failed out of' "$BUILD/ctest.log" "$ASAN_BUILD/ctest.log" \
  "$TSAN_BUILD/ctest.log" "$TSAN_BUILD/ctest-daemon.log" 2>/dev/null || true
if ((failed)); then
  echo "test.sh: FAILED"
  exit 1
fi
echo "test.sh: all tests passed"
