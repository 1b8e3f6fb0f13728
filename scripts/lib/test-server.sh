# Sourced by scripts/test.sh and scripts/soak.sh: starts one throwaway local S3
# server (scripts/s3-server.sh) for a test run and stops it on exit.
#
#   start_test_server NAME DEFAULT_PORT
#
# takes the first free block of 5 ports from PARTFS_TEST_S3_PORT (or
# DEFAULT_PORT), starts the server in a new /tmp/partfs-NAME-s3-* directory,
# exports PARTFS_TEST_S3_ENDPOINT and PARTFS_TEST_S3_LOG, and installs an EXIT
# trap that stops the server by PID, keeps its log in $BUILD/NAME-s3-server.log
# when the run failed, and removes the directory. Needs ROOT-relative cwd and
# $BUILD and a step() function.
#
#   start_rgw_test_server NAME DEFAULT_PORT
#
# also starts a Ceph RGW (scripts/rgw-server.sh; PORT..PORT+7, the first free
# block from PARTFS_TEST_RGW_PORT or DEFAULT_PORT) in /tmp/partfs-NAME-rgw-*,
# sets RGW_ENDPOINT and RGW_LOG (not exported: the caller passes them to the
# runs meant for RGW), and test_server_cleanup stops it too (its logs kept in
# $BUILD/NAME-rgw-logs/ when the run failed).

test_server_port_busy() {  # something listens on 127.0.0.1:$1
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

test_server_block_free() {  # test_server_block_free PORT [COUNT=5]
  local p
  for ((p = $1; p < $1 + ${2:-5}; p++)); do
    if test_server_port_busy "$p"; then return 1; fi
  done
}

start_test_server() {
  local name=$1 i
  PORT=${PARTFS_TEST_S3_PORT:-$2}
  for ((i = 0; i < 20; i++)); do
    test_server_block_free "$PORT" && break
    PORT=$((PORT + 10))
  done
  S3_DIR=$(mktemp -d "/tmp/partfs-$name-s3-XXXXXX")
  TEST_SERVER_NAME=$name
  trap test_server_cleanup EXIT
  trap 'exit 130' INT TERM
  step "starting the $name S3 server on port $PORT"
  bash scripts/s3-server.sh start "$S3_DIR" "$PORT"
  export PARTFS_TEST_S3_ENDPOINT=http://127.0.0.1:$PORT
  export PARTFS_TEST_S3_LOG=$S3_DIR/log/swift.log
}

start_rgw_test_server() {
  local name=$1 i
  RGW_PORT=${PARTFS_TEST_RGW_PORT:-$2}
  for ((i = 0; i < 20; i++)); do
    test_server_block_free "$RGW_PORT" 8 && break
    RGW_PORT=$((RGW_PORT + 10))
  done
  RGW_DIR=$(mktemp -d "/tmp/partfs-$name-rgw-XXXXXX")
  step "starting the $name Ceph RGW server on port $RGW_PORT"
  bash scripts/rgw-server.sh start "$RGW_DIR" "$RGW_PORT"
  RGW_ENDPOINT=http://127.0.0.1:$RGW_PORT
  RGW_LOG=$RGW_DIR/log/client.rgw.a.log
}

# test_server_cleanup [RC]: RC is the run's exit status (default: $?).
test_server_cleanup() {
  local rc=$?
  if [[ $# -gt 0 ]]; then rc=$1; fi
  if [[ -n ${RGW_DIR:-} ]]; then
    bash scripts/rgw-server.sh stop "$RGW_DIR" >/dev/null 2>&1 || true
    if [[ $rc -ne 0 && -d $RGW_DIR/log ]]; then
      local kept_rgw="$BUILD/$TEST_SERVER_NAME-rgw-logs"
      rm -rf "$kept_rgw"
      cp -r "$RGW_DIR/log" "$kept_rgw" 2>/dev/null && echo "RGW logs kept in $kept_rgw"
    fi
    rm -rf "$RGW_DIR"
  fi
  bash scripts/s3-server.sh stop "$S3_DIR" >/dev/null 2>&1 || true
  if [[ $rc -ne 0 && -f $S3_DIR/log/swift.log ]]; then
    local kept="$BUILD/$TEST_SERVER_NAME-s3-server.log"
    cp "$S3_DIR/log/swift.log" "$kept" 2>/dev/null && echo "server log kept in $kept"
  fi
  rm -rf "$S3_DIR"
  exit $rc
}
