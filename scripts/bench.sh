#!/usr/bin/env bash
# Throughput and memory benchmark (not a test): a direct multipart upload with the transfer layer
# (the baseline) versus `dd ... conv=fsync` through a partfs mount, on the local S3 server, in one run.
#
#   bash scripts/bench.sh [--size-mib 1024] [--big-gib 10] [--part-size 8M] [--threads 4] [--no-build]
#
# Prints a markdown table (also written to $BENCH_OUT, default build/bench-result.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SIZE_MIB=1024
BIG_GIB=10
PART_SIZE=8M
THREADS=4
BUILD=1
PORT=${PARTFS_BENCH_PORT:-19080}
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) SIZE_MIB=$2; shift 2 ;;
    --big-gib) BIG_GIB=$2; shift 2 ;;
    --part-size) PART_SIZE=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    *) echo "bench.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
to_bytes() { numfmt --from=iec "$1"; }
PART_BYTES=$(to_bytes "$PART_SIZE")

[ "$BUILD" = 1 ] && bash scripts/build.sh >/dev/null

WORK=$(mktemp -d /var/tmp/partfs-bench.XXXXXX)
MNT=$WORK/mnt
CACHE=$WORK/cache
mkdir -p "$MNT"
PARTFS_PID=""
SAMPLER_PID=""
cleanup() {
  set +e
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null
  if mountpoint -q "$MNT"; then fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT"; fi
  if [ -n "$PARTFS_PID" ]; then
    for _ in $(seq 1 100); do kill -0 "$PARTFS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$PARTFS_PID" 2>/dev/null
  fi
  bash scripts/s3-server.sh stop "$WORK/server" "$PORT" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

bash scripts/s3-server.sh start "$WORK/server" "$PORT" --bucket bench >/dev/null
ENDPOINT=http://127.0.0.1:$PORT
export AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=testing

echo "generating ${SIZE_MIB} MiB of random data" >&2
head -c "$((SIZE_MIB * 1048576))" /dev/urandom > "$WORK/src"
sync

now() { date +%s.%N; }
mib_per_s() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / 1048576 / s }'; }

# Baselines: best of two direct multipart uploads with the same part size and parallelism, with
# Content-MD5 on every part (as the mount sends) and without it.
baseline() {  # baseline md5|nomd5 -> best MiB/s of two runs
  local best=0 run t0 t1 r
  for run in 1 2; do
    t0=$(now)
    build/partfs_mpu_upload "$ENDPOINT" bench "baseline-$1-$run" "$WORK/src" "$PART_BYTES" "$THREADS" "$1" >&2
    t1=$(now)
    r=$(mib_per_s "$((SIZE_MIB * 1048576))" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')")
    best=$(awk -v a="$best" -v b="$r" 'BEGIN { print (b > a) ? b : a }')
  done
  echo "$best"
}
BASE_BEST=$(baseline md5)
BASE_NOMD5=$(baseline nomd5)

mount_partfs() {
  rm -rf "$CACHE"
  build/partfs bench "$MNT" -f -o "endpoint=$ENDPOINT,cache_dir=$CACHE,part_size=$PART_SIZE,upload_threads=$THREADS" \
    2>>"$WORK/partfs.log" &
  PARTFS_PID=$!
  for _ in $(seq 1 200); do mountpoint -q "$MNT" && return 0; sleep 0.1; done
  echo "bench.sh: mount did not appear; log: $WORK/partfs.log" >&2
  cat "$WORK/partfs.log" >&2
  exit 1
}
unmount_partfs() {
  fusermount3 -u "$MNT"
  for _ in $(seq 1 300); do kill -0 "$PARTFS_PID" 2>/dev/null || break; sleep 0.1; done
  PARTFS_PID=""
}
start_sampler() {  # peak bytes of part files in the cache, sampled every 100 ms
  ( peak=0; while true; do
      b=$(du -sb "$CACHE/files" 2>/dev/null | cut -f1); b=${b:-0}
      [ "$b" -gt "$peak" ] && peak=$b && echo "$peak" > "$WORK/cache-peak"
      sleep 0.1
    done ) &
  SAMPLER_PID=$!
}
stop_sampler() { kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=""; }
hwm_kib() { awk '/VmHWM/ { print $2 }' "/proc/$PARTFS_PID/status"; }

# 1) the same file through the mount; time until dd returns (includes fsync and Complete).
mount_partfs
echo 0 > "$WORK/cache-peak"; start_sampler
t0=$(now)
dd if="$WORK/src" of="$MNT/dd.bin" bs=1M conv=fsync status=none
t1=$(now)
stop_sampler
MOUNT_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')
MOUNT_RATE=$(mib_per_s "$((SIZE_MIB * 1048576))" "$MOUNT_SECS")
HWM_1=$(hwm_kib)
CACHE_PEAK_1=$(cat "$WORK/cache-peak")
unmount_partfs

# 2) a generated stream of BIG_GIB GiB (memory must not grow with the file size).
BIG_RATE=n/a; HWM_BIG=n/a; CACHE_PEAK_BIG=n/a
if [ "$BIG_GIB" -gt 0 ]; then
  mount_partfs
  echo 0 > "$WORK/cache-peak"; start_sampler
  t0=$(now)
  head -c "$((BIG_GIB * 1073741824))" /dev/zero | dd of="$MNT/big.bin" bs=1M iflag=fullblock conv=fsync status=none
  t1=$(now)
  stop_sampler
  BIG_RATE=$(mib_per_s "$((BIG_GIB * 1073741824))" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')")
  HWM_BIG=$(hwm_kib)
  CACHE_PEAK_BIG=$(cat "$WORK/cache-peak")
  unmount_partfs
fi

RATIO=$(awk -v m="$MOUNT_RATE" -v b="$BASE_BEST" 'BEGIN { printf "%.2f", m / b }')
RATIO_NOMD5=$(awk -v m="$MOUNT_RATE" -v b="$BASE_NOMD5" 'BEGIN { printf "%.2f", m / b }')
OUT=${BENCH_OUT:-build/bench-result.md}
mkdir -p "$(dirname "$OUT")"
{
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, local Swift s3api server on 127.0.0.1,"
  echo "part size $PART_SIZE, $THREADS parallel part uploads."
  echo
  echo "| measurement | value |"
  echo "|---|---|"
  echo "| baseline: direct multipart upload of ${SIZE_MIB} MiB with Content-MD5 (best of 2) | ${BASE_BEST} MiB/s |"
  echo "| baseline without Content-MD5 (best of 2) | ${BASE_NOMD5} MiB/s |"
  echo "| mount: dd bs=1M conv=fsync of the same file (until dd returns) | ${MOUNT_RATE} MiB/s |"
  echo "| ratio mount / baseline (same integrity: Content-MD5) | ${RATIO} |"
  echo "| ratio mount / baseline without Content-MD5 | ${RATIO_NOMD5} |"
  echo "| mount peak RSS (VmHWM), ${SIZE_MIB} MiB file | $((HWM_1 / 1024)) MiB |"
  echo "| peak cache disk use (part files), ${SIZE_MIB} MiB file | $((CACHE_PEAK_1 / 1048576)) MiB |"
  if [ "$BIG_GIB" -gt 0 ]; then
    echo "| mount: ${BIG_GIB} GiB generated stream, dd conv=fsync | ${BIG_RATE} MiB/s |"
    echo "| mount peak RSS (VmHWM), ${BIG_GIB} GiB stream | $((HWM_BIG / 1024)) MiB |"
    echo "| peak cache disk use, ${BIG_GIB} GiB stream | $((CACHE_PEAK_BIG / 1048576)) MiB |"
  fi
} | tee "$OUT"
