#!/usr/bin/env bash
# Try partfs on this machine: installs the dependencies, builds, starts the
# local S3 server with a bucket "partfs" and mounts it.
#
#   scripts/run.sh [MOUNTPOINT]        mount (default /mnt/partfs)
#   scripts/run.sh stop [MOUNTPOINT]   unmount (waits for pending uploads), stop the server
#
# Environment: PARTFS_RUN_DIR (default /tmp/partfs-run: server data, cache,
# log), PARTFS_PORT (default 8080), PARTFS_MOUNT_OPTIONS (extra -o options),
# PARTFS_BUILD_DIR (default build).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_DIR=${PARTFS_RUN_DIR:-/tmp/partfs-run}
PORT=${PARTFS_PORT:-8080}
BUCKET=partfs
S3_DIR=$RUN_DIR/s3
CACHE_DIR=$RUN_DIR/cache
LOG_FILE=$RUN_DIR/partfs.log
BUILD=${PARTFS_BUILD_DIR:-build}
UNMOUNT_TIMEOUT=300  # seconds to wait for partfs to finish its uploads

die() {
  echo "run.sh: $*" >&2
  exit 1
}

# The pid of the partfs process that holds the cache directory ("" if none).
cache_owner() {
  local pid
  pid=$(tr -dc '0-9' <"$CACHE_DIR/LOCK" 2>/dev/null || true)
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q partfs; then
    echo "$pid"
  fi
}

cmd_stop() {
  local mnt=$1 pid
  pid=$(cache_owner)
  if mountpoint -q "$mnt"; then
    echo "run.sh: unmounting $mnt"
    fusermount3 -u "$mnt" || umount "$mnt" || die "cannot unmount $mnt (busy? close files there)"
  fi
  if [[ -n $pid ]]; then
    echo "run.sh: waiting for partfs (pid $pid) to finish its uploads"
    local deadline=$((SECONDS + UNMOUNT_TIMEOUT))
    while kill -0 "$pid" 2>/dev/null; do
      ((SECONDS < deadline)) || die "partfs (pid $pid) still running after ${UNMOUNT_TIMEOUT}s; see $LOG_FILE"
      sleep 0.2
    done
  fi
  bash "$ROOT/scripts/s3-server.sh" stop "$S3_DIR"
}

cmd_start() {
  local mnt=$1
  cd "$ROOT"
  bash scripts/build.sh --target partfs
  [[ -x $BUILD/partfs ]] || die "$BUILD/partfs was not built"
  mkdir -p "$RUN_DIR"
  bash scripts/s3-server.sh start "$S3_DIR" "$PORT" --bucket "$BUCKET"

  if mountpoint -q "$mnt"; then
    echo "run.sh: $mnt is already mounted"
  else
    mkdir -p "$mnt"
    local opts="endpoint=http://127.0.0.1:$PORT,cache_dir=$CACHE_DIR,log_file=$LOG_FILE"
    [[ -n ${PARTFS_MOUNT_OPTIONS:-} ]] && opts+=",$PARTFS_MOUNT_OPTIONS"
    # Daemon mode: partfs returns once the mount is up (or fails with a message).
    AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=testing \
      "$BUILD/partfs" "$BUCKET" "$mnt" -o "$opts" || die "partfs failed to mount; see $LOG_FILE"
    local deadline=$((SECONDS + 30))
    until mountpoint -q "$mnt"; do
      ((SECONDS < deadline)) || die "$mnt is not mounted after 30s; see $LOG_FILE"
      sleep 0.2
    done
  fi
  cat <<EOF

partfs: bucket "$BUCKET" on http://127.0.0.1:$PORT is mounted at $mnt
  write:   cp bigfile $mnt/            (uploaded in parts while it is written)
  status:  $ROOT/$BUILD/partfs status --cache-dir $CACHE_DIR
  log:     $LOG_FILE   server log: $S3_DIR/log/swift.log
  S3 API:  endpoint http://127.0.0.1:$PORT, access key test:tester, secret testing, path-style
  stop:    bash $ROOT/scripts/run.sh stop $mnt
EOF
}

if [[ ${1:-} == stop ]]; then
  cmd_stop "${2:-/mnt/partfs}"
else
  cmd_start "${1:-/mnt/partfs}"
fi
