#!/usr/bin/env bash
# Benchmark (not a test): partfs and, with BENCH_PEERS=1, s3fs and rclone mount, side by side with
# boto3 baselines, in one run on one local S3 server (started and stopped here). See
# docs/PERFORMANCE.md for what each row measures.
#
#   bash scripts/bench.sh [--quick] [--no-build] [--files N] [--size-mib N] [--entries N]
#                         [--big-gib N] [--systems "partfs partfs-wb s3fs rclone"]
#
# Environment: BENCH_PEERS=1 adds s3fs and rclone (apt-get installs them when missing);
# BENCH_RTT_MS=30 sends every request (baselines included) through a proxy adding that round trip
# (scripts/lib/delay_proxy.py), with smaller default sizes; PARTFS_BENCH_PORT (default 19080) is
# the server's first port (it takes 5, the proxy the 6th); BENCH_OUT (default
# build/bench-result.md) gets the markdown tables, which also go to stdout; BENCH_TIMEOUT bounds
# each workload (seconds, default 1800). Progress goes to stderr. Every mount, server, proxy and
# temporary directory is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
LIB=$ROOT/scripts/lib

RTT_MS=${BENCH_RTT_MS:-0}
PEERS=${BENCH_PEERS:-0}
PORT=${PARTFS_BENCH_PORT:-19080}
PROXY_PORT=$((PORT + 5))
OUT=${BENCH_OUT:-build/bench-result.md}
TIMEOUT=${BENCH_TIMEOUT:-1800}
readonly BUCKET=bench SEED=12 PUT_THREADS=16 MPU_PART_MIB=8 MPU_THREADS=4
readonly MOUNT_TIMEOUT_S=30 UNMOUNT_TIMEOUT_S=600 SAMPLE_S=0.15

QUICK=0 BUILD=1 FILES="" SIZE_MIB="" ENTRIES="" BIG_GIB="" SYSTEMS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; shift ;;
    --no-build) BUILD=0; shift ;;
    --files) FILES=$2; shift 2 ;;
    --size-mib) SIZE_MIB=$2; shift 2 ;;
    --entries) ENTRIES=$2; shift 2 ;;
    --big-gib) BIG_GIB=$2; shift 2 ;;
    --systems) SYSTEMS=$2; shift 2 ;;
    *) echo "bench.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
# Defaults: the issue's sizes; smaller with latency (every round trip costs RTT_MS) or --quick.
if [ "$QUICK" = 1 ]; then
  : "${FILES:=200}" "${SIZE_MIB:=64}" "${ENTRIES:=1000}" "${BIG_GIB:=0}"
elif [ "$RTT_MS" != 0 ]; then
  : "${FILES:=300}" "${SIZE_MIB:=128}" "${ENTRIES:=1000}" "${BIG_GIB:=0}"
else
  : "${FILES:=2000}" "${SIZE_MIB:=1024}" "${ENTRIES:=10000}" "${BIG_GIB:=10}"
fi
if [ -z "$SYSTEMS" ]; then
  SYSTEMS="partfs partfs-wb"
  [ "$PEERS" = 1 ] && SYSTEMS="$SYSTEMS s3fs rclone"
fi

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

install_peer() {  # apt-get installs Debian package $1 when command $1 is missing
  command -v "$1" >/dev/null && return 0
  log "installing $1"
  export DEBIAN_FRONTEND=noninteractive
  timeout 600 apt-get install -y -q "$1" >&2 ||
    { timeout 300 apt-get update -q >&2 && timeout 600 apt-get install -y -q "$1" >&2; } ||
    die "cannot install $1"
}
for sys in $SYSTEMS; do
  case $sys in
    partfs | partfs-wb) ;;
    s3fs | rclone) install_peer "$sys" ;;
    *) die "unknown system '$sys' (partfs, partfs-wb, s3fs, rclone)" ;;
  esac
done
command -v rsync >/dev/null || die "rsync missing (apt-get install rsync)"
python3 -c 'import boto3' 2>/dev/null || die "python3 boto3 missing (apt-get install python3-boto3)"

if [ "$BUILD" = 1 ]; then
  log "building partfs"
  bash scripts/build.sh --target partfs partfs_mpu_upload >/dev/null
fi
[ -x build/partfs ] || die "build/partfs missing (build it or drop --no-build)"

WORK=$(mktemp -d /var/tmp/partfs-bench.XXXXXX)
MNT=$WORK/mnt
CACHE=$WORK/cache
RESULTS=$WORK/results.tsv
mkdir -p "$MNT"
MOUNT_PID="" SAMPLER_PID="" PROXY_PID=""
cleanup() {
  set +e
  if declare -F unmount_system >/dev/null; then  # defined further down
    stop_sampler
    unmount_system
  fi
  [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
  bash scripts/s3-server.sh stop "$WORK/server" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "starting the S3 server on port $PORT"
bash scripts/s3-server.sh start "$WORK/server" "$PORT" --bucket "$BUCKET" >/dev/null
SERVER=http://127.0.0.1:$PORT
export AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=testing
ENDPOINT=$SERVER
if [ "$RTT_MS" != 0 ]; then
  log "starting the delay proxy: $RTT_MS ms round trip on port $PROXY_PORT"
  python3 "$LIB/delay_proxy.py" "$PROXY_PORT" "$PORT" "$RTT_MS" >"$WORK/proxy.out" 2>&1 &
  PROXY_PID=$!
  for _ in $(seq 1 100); do grep -q listening "$WORK/proxy.out" && break; sleep 0.1; done
  grep -q listening "$WORK/proxy.out" || die "delay proxy did not start: $(cat "$WORK/proxy.out")"
  ENDPOINT=http://127.0.0.1:$PROXY_PORT
fi

s3py() { timeout "$TIMEOUT" python3 "$LIB/bench_baseline.py" "$@"; }
record() { printf '%s\n' "$(IFS=$'\t'; echo "$*")" >>"$RESULTS"; }

# ---- test data and baselines ------------------------------------------------
log "generating ${SIZE_MIB} MiB of random data and a tree of $FILES files"
SRC=$WORK/src.bin
TREE=$WORK/tree
head -c "$((SIZE_MIB * 1048576))" /dev/urandom >"$SRC"
s3py gen-tree "$TREE" "$FILES" "$SEED" >/dev/null
log "creating $ENTRIES objects under ls/ (untimed)"
s3py fill "$SERVER" "$BUCKET" ls/ "$ENTRIES" "$PUT_THREADS" >/dev/null
sync

SIZE_BYTES=$((SIZE_MIB * 1048576))
TITLE="Measured $(date -u +%Y-%m-%d) on $(nproc) cores / $(awk '/MemTotal/ { printf "%d", $2 / 1048576 + 0.5 }' /proc/meminfo) GiB,"
TITLE="$TITLE local Swift s3api server on 127.0.0.1"
if [ "$RTT_MS" != 0 ]; then TITLE="$TITLE behind a proxy adding a ${RTT_MS} ms round trip"; fi
TITLE="$TITLE; $FILES files of 1-64 KiB, a ${SIZE_MIB} MiB file, $ENTRIES directory entries."
record T "$TITLE"
W_DD="${SIZE_MIB} MiB dd conv=fsync, until the object exists"
W_STREAM="${BIG_GIB} GiB generated stream, dd conv=fsync, until it exists"
W_CP="cp -r $FILES files, until all exist"
W_RSYNC="rsync -a of that tree, until all exist"
W_RSYNC2="rsync -a again, nothing changed"
W_RSYNC3="rsync -a again after a remount"
W_READ="${SIZE_MIB} MiB sequential read after a remount, emptied cache"
W_LS="ls -l of $ENTRIES entries after a remount"
record W dd "$W_DD"
[ "$BIG_GIB" -gt 0 ] && record W stream "$W_STREAM"
record W cp "$W_CP"
record W rsync "$W_RSYNC"
record W rsync2 "$W_RSYNC2"
record W rsync3 "$W_RSYNC3"
record W read "$W_READ"
record W ls "$W_LS"

log "baselines (boto3)"
BASE_MPU=$(s3py mpu "$ENDPOINT" "$BUCKET" "$SRC" base/mpu.bin "$MPU_PART_MIB" "$MPU_THREADS")
record V baseline dd "$BASE_MPU"
BASE_PUT=$(s3py put-tree "$ENDPOINT" "$BUCKET" "$TREE" base/tree/ "$PUT_THREADS")
record V baseline cp "$BASE_PUT"
record V baseline rsync "$BASE_PUT"
BASE_GET=$(s3py get "$ENDPOINT" "$BUCKET" base/mpu.bin)
record V baseline read "$BASE_GET"
BASE_LIST=$(s3py list "$ENDPOINT" "$BUCKET" ls/)
record V baseline ls "$BASE_LIST"
# partfs's own transfer layer, the same multipart upload (C++, with and without Content-MD5).
mpu_tool() {  # mpu_tool md5|nomd5 -> seconds
  local t0 t1
  t0=$(date +%s.%N)
  timeout "$TIMEOUT" build/partfs_mpu_upload "$ENDPOINT" "$BUCKET" "base/tool-$1.bin" "$SRC" \
    "$((MPU_PART_MIB << 20))" "$MPU_THREADS" "$1" >&2
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
if [ -x build/partfs_mpu_upload ]; then
  TOOL_MD5=$(mpu_tool md5)
  TOOL_NOMD5=$(mpu_tool nomd5)
  record N "Baselines: boto3 (multipart upload: ${MPU_PART_MIB} MiB parts, $MPU_THREADS threads, Content-MD5; tree: $PUT_THREADS parallel PUTs; one GET stream; ListObjectsV2 pages). partfs's transfer layer (tools/mpu_upload.cc) uploads the same ${SIZE_MIB} MiB file in $TOOL_MD5 s with Content-MD5, $TOOL_NOMD5 s without."
fi
s3py delete "$SERVER" "$BUCKET" base/mpu.bin base/tool-md5.bin base/tool-nomd5.bin >/dev/null 2>&1 || true

# ---- mounts ------------------------------------------------------------------
# mount_system SYS fresh|keep: mounts the whole bucket at $MNT (fresh: empty cache directory).
# Returns 1 when the mount does not come up (its log is in $WORK/SYS.log).
mount_system() {
  local sys=$1 mode=$2
  [ "$mode" = fresh ] && rm -rf "$CACHE"
  mkdir -p "$CACHE"
  case $sys in
    partfs | partfs-wb)
      local opts="endpoint=$ENDPOINT,cache_dir=$CACHE"
      [ "$sys" = partfs-wb ] && opts="$opts,writeback"
      build/partfs "$BUCKET" "$MNT" -f -o "$opts" >>"$WORK/$sys.log" 2>&1 &
      ;;
    s3fs)
      s3fs "$BUCKET" "$MNT" -f -o "url=$ENDPOINT,use_path_request_style,use_cache=$CACHE" \
        -o multipart_size=8,parallel_count=8 >>"$WORK/$sys.log" 2>&1 &
      ;;
    rclone)
      # env -u: the AWS SDK in rclone fails on an AWS_CA_BUNDLE its HTTP transport cannot take.
      env -u AWS_CA_BUNDLE RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other \
        RCLONE_CONFIG_BENCH_ENDPOINT="$ENDPOINT" RCLONE_CONFIG_BENCH_REGION=us-east-1 \
        RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" \
        RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" \
        RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true \
        rclone mount "bench:$BUCKET" "$MNT" --config "$WORK/rclone.conf" \
        --vfs-cache-mode writes --cache-dir "$CACHE" >>"$WORK/$sys.log" 2>&1 &
      ;;
  esac
  MOUNT_PID=$!
  local deadline=$((SECONDS + MOUNT_TIMEOUT_S))
  until mountpoint -q "$MNT"; do
    if ! kill -0 "$MOUNT_PID" 2>/dev/null || ((SECONDS >= deadline)); then
      log "$sys did not mount; last lines of $WORK/$sys.log:"
      tail -5 "$WORK/$sys.log" >&2
      unmount_system
      return 1
    fi
    sleep 0.1
  done
}

unmount_system() {  # bounded: lazy unmount and SIGKILL when the clean way hangs
  if mountpoint -q "$MNT"; then
    timeout 60 fusermount3 -u "$MNT" 2>/dev/null || timeout 10 umount -l "$MNT" 2>/dev/null || true
  fi
  [ -n "$MOUNT_PID" ] || return 0
  local deadline=$((SECONDS + UNMOUNT_TIMEOUT_S))
  while kill -0 "$MOUNT_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  kill -9 "$MOUNT_PID" 2>/dev/null || true
  wait "$MOUNT_PID" 2>/dev/null || true
  MOUNT_PID=""
}

# Peak allocated bytes of the cache directory, sampled every SAMPLE_S into $WORK/cache-peak.
start_sampler() {
  echo 0 >"$WORK/cache-peak"
  (
    peak=0
    while true; do
      b=$(du -sx -B1 "$CACHE" 2>/dev/null | cut -f1)
      if [ "${b:-0}" -gt "$peak" ]; then peak=$b; echo "$peak" >"$WORK/cache-peak"; fi
      sleep "$SAMPLE_S"
    done
  ) &
  SAMPLER_PID=$!
}
stop_sampler() {
  [ -n "$SAMPLER_PID" ] || return 0
  kill "$SAMPLER_PID" 2>/dev/null || true
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=""
}

# measure SYS WORKLOAD [timed options] -- CMD...: one row; resets the mount's peak RSS first
# (clear_refs 5) and reads VmHWM after the objects exist.
measure() {
  local sys=$1 workload=$2 secs rss
  shift 2
  log "$sys: $workload"
  echo 5 >"/proc/$MOUNT_PID/clear_refs" 2>/dev/null || true
  start_sampler
  secs=$(s3py timed --poll "$SERVER" --bucket "$BUCKET" --timeout "$TIMEOUT" "$@") || secs=error
  stop_sampler
  rss=$(awk '/VmHWM/ { print $2 }' "/proc/$MOUNT_PID/status" 2>/dev/null || true)
  record V "$sys" "$workload" "$secs" "${rss:-}" "$(cat "$WORK/cache-peak")"
  log "$sys: $workload: $secs s"
}

mark_all() {  # mark_all SYS TEXT: every workload of SYS gets TEXT instead of a time
  local w
  for w in dd stream cp rsync rsync2 rsync3 read ls; do record V "$1" "$w" "$2"; done
}

# ---- the workloads, per system -------------------------------------------------
run_system() {
  local sys=$1 dir=$MNT/$1
  if ! mount_system "$sys" fresh; then
    if [ "$sys" = partfs-wb ]; then mark_all "$sys" "n/a (option not available)"; else mark_all "$sys" "mount failed"; fi
    return 0
  fi
  mkdir -p "$dir"
  measure "$sys" dd --wait-key "$sys/dd.bin" --size "$SIZE_BYTES" -- \
    dd if="$SRC" of="$dir/dd.bin" bs=1M conv=fsync status=none
  measure "$sys" cp --wait-tree "$TREE" --prefix "$sys/cp/" -- cp -r "$TREE" "$dir/cp"
  measure "$sys" rsync --wait-tree "$TREE" --prefix "$sys/rsync/" -- rsync -a "$TREE/" "$dir/rsync/"
  measure "$sys" rsync2 -- rsync -a "$TREE/" "$dir/rsync/"
  unmount_system
  mount_system "$sys" keep || { record V "$sys" rsync3 "mount failed"; return 0; }
  measure "$sys" rsync3 -- rsync -a "$TREE/" "$dir/rsync/"
  unmount_system
  mount_system "$sys" fresh || { record V "$sys" read "mount failed"; return 0; }
  measure "$sys" read -- dd if="$dir/dd.bin" of=/dev/null bs=1M status=none
  measure "$sys" ls --stdout "$WORK/ls.out" -- ls -l "$MNT/ls"
  local lines
  lines=$(($(wc -l <"$WORK/ls.out") - 1))  # "total N" first
  [ "$lines" = "$ENTRIES" ] || record N "$sys: ls -l listed $lines entries, not $ENTRIES."
  unmount_system
  if [ "$BIG_GIB" -gt 0 ] && [ "$sys" != s3fs ] && [ "$sys" != rclone ]; then
    mount_system "$sys" fresh || { record V "$sys" stream "mount failed"; return 0; }
    measure "$sys" stream --wait-key "$sys/stream.bin" --size "$((BIG_GIB << 30))" -- \
      bash -c "head -c $((BIG_GIB << 30)) /dev/zero | dd of='$dir/stream.bin' bs=1M iflag=fullblock conv=fsync status=none"
    unmount_system
  fi
  s3py delete "$SERVER" "$BUCKET" "$sys/dd.bin" "$sys/stream.bin" >/dev/null 2>&1 || true
}

: >"$WORK/rclone.conf"
for sys in $SYSTEMS; do
  case $sys in
    partfs) record S partfs "partfs" ;;
    partfs-wb) record S partfs-wb "partfs -o writeback" ;;
    s3fs) record S s3fs "s3fs $(s3fs --version 2>/dev/null | grep -o -m1 'V[0-9.]*' | tr -d V)" ;;
    rclone) record S rclone "rclone $(rclone version 2>/dev/null | awk 'NR == 1 { print $2 }' | tr -d v)" ;;
  esac
done
for sys in $SYSTEMS; do run_system "$sys"; done
record N "Peak RSS: VmHWM of the mount process (reset before each workload). Peak cache disk: du of the cache directory every ${SAMPLE_S} s."
[ "$BIG_GIB" -gt 0 ] && record N "The ${BIG_GIB} GiB stream runs on partfs only (memory and cache disk must not grow with the file)."

mkdir -p "$(dirname "$OUT")"
python3 "$LIB/bench_report.py" "$RESULTS" | tee "$OUT"
