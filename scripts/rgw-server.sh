#!/usr/bin/env bash
# A second local S3 server for partfs's tests: a throwaway single-node Ceph
# cluster (one mon, one bluestore OSD on a sparse file, radosgw) from Debian
# packages, one instance per DATA_DIR, all on 127.0.0.1.
#
#   rgw-server.sh start  DATA_DIR PORT [--bucket NAME]...
#   rgw-server.sh stop   DATA_DIR
#   rgw-server.sh status DATA_DIR
#
# Ports: PORT radosgw (the S3 endpoint), PORT+1 the monitor, PORT+2..PORT+7
# the OSD's messengers. Everything lives in DATA_DIR: ceph.conf, keyring,
# run/ (pid files, admin sockets), log/<daemon>.log (Ceph's logs) and
# log/<daemon>.out (stdout/stderr), mon/ and osd/ (the stores; the OSD's data
# in the sparse file osd/osd.0.block, up to 8 GiB, freed by RGW's gc a minute
# after deletes). RGW_SERVER_STORE=memstore keeps the data in the OSD's RAM
# instead (starts ~5 s faster, but its RSS keeps the high-water mark of what
# was stored). Every start makes a fresh cluster. Credentials: access key
# test:tester, secret testing, any region.
# Processes are started with setsid and stopped by their recorded PIDs (TERM,
# then KILL after 10 s), never by name. Start on a running instance is a no-op.
set -euo pipefail

readonly START_TIMEOUT=90
readonly STOP_TIMEOUT=10
readonly DAEMONS=(mon osd rgw)
STORE=${RGW_SERVER_STORE:-bluestore}  # or memstore, see store_config

die() {
  echo "rgw-server: $*" >&2
  exit 1
}

usage() {
  echo "usage: $0 start DATA_DIR PORT [--bucket NAME]... | stop DATA_DIR | status DATA_DIR" >&2
  exit 2
}

# ---- process bookkeeping -------------------------------------------------

pid_of() {
  local f="$RUN/$1.pid"
  [[ -s $f ]] && cat "$f"
  return 0
}

pid_alive() {  # running and not a zombie
  local stat
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

alive() {
  local pid
  pid=$(pid_of "$1")
  [[ -n $pid ]] && pid_alive "$pid"
}

launch() {  # launch NAME CMD...: a new session, output to log/NAME.out
  local name=$1
  shift
  setsid "$@" </dev/null >>"$LOG/$name.out" 2>&1 &
  echo $! >"$RUN/$name.pid"
  disown $!
}

# TERM the daemons $@, wait (bounded) for them to go, KILL what is left.
stop_daemons() {
  local name pid pids=()
  for name in "$@"; do
    pid=$(pid_of "$name")
    [[ -n $pid ]] || continue
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
  done
  local deadline=$((SECONDS + STOP_TIMEOUT)) left
  while [[ ${#pids[@]} -gt 0 ]]; do
    left=()
    for pid in "${pids[@]}"; do pid_alive "$pid" && left+=("$pid"); done
    [[ ${#left[@]} -eq 0 ]] && break
    if ((SECONDS >= deadline)); then
      for pid in "${left[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
      sleep 0.2
      break
    fi
    pids=("${left[@]}")
    sleep 0.05
  done
  for name in "$@"; do rm -f "$RUN/$name.pid"; done
}

stop_all() {
  stop_daemons rgw
  stop_daemons osd
  stop_daemons mon
}

logs_hint() {
  echo "see $LOG/mon.a.log $LOG/osd.0.log $LOG/client.rgw.a.log and $LOG/*.out"
}

fail_start() {
  stop_all
  die "$* ($(logs_hint))"
}

# ---- setup ----------------------------------------------------------------

ceph_cmd() { timeout 30 ceph -c "$CONF" --connect-timeout 20 "$@"; }

# The OSD's object store. Measured after the integration and Resume* tests:
# bluestore OSD RSS ~200 MiB, 2.4 GiB of the sparse file used; memstore OSD
# RSS 4.2 GiB (it keeps its high-water mark).
store_config() {
  if [[ $STORE == bluestore ]]; then
    printf '%s\n' "osd objectstore = bluestore" "bluestore block path = $DATA/osd/\$name.block" \
      "bluestore block create = true" "bluestore block size = 8589934592" \
      "bluestore fsck on mkfs = false" "bluestore fsck on mount = false"
  else
    printf '%s\n' "osd objectstore = memstore" "memstore device bytes = 8589934592"
  fi
}

write_config() {
  local fsid
  fsid=$(cat /proc/sys/kernel/random/uuid)
  cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon host = [v1:127.0.0.1:$((PORT + 1))]
mon initial members = a
ms bind msgr2 = false
ms bind ipv6 = false
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind port min = $((PORT + 2))
ms bind port max = $((PORT + 7))
keyring = $DATA/keyring
run dir = $RUN
admin socket = $RUN/\$name.asok
pid file = $RUN/\$name.ceph-pid
log file = $LOG/\$name.log
log to stderr = false
err to stderr = true
mon data = $DATA/mon/\$name
osd data = $DATA/osd/\$name
rgw data = $DATA/rgw/\$name
crash dir = $DATA/crash
mon cluster log file = $LOG/cluster.log
$(store_config)
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
paxos propose interval = 0.05
osd memory target = 1073741824
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw gc obj min wait = 60
rgw gc processor period = 60
rgw enable usage log = false

[osd]
keyring = $DATA/osd/\$name/keyring

[client.rgw.a]
keyring = $DATA/rgw/\$name/keyring
EOF
}

bootstrap() {
  mkdir -p "$DATA/mon/mon.a" "$DATA/osd/osd.0" "$DATA/rgw/client.rgw.a" "$DATA/crash"
  local tmp=$DATA/tmp
  mkdir -p "$tmp"
  ceph-authtool --create-keyring "$tmp/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring "$DATA/keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$tmp/mon.keyring" --import-keyring "$DATA/keyring" >/dev/null
  monmaptool --create --fsid "$(awk '$1 == "fsid" { print $3 }' "$CONF")" \
    --addv a "[v1:127.0.0.1:$((PORT + 1))]" "$tmp/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$tmp/monmap" --keyring "$tmp/mon.keyring" \
    >>"$LOG/mkfs.out" 2>&1 || fail_start "ceph-mon --mkfs failed"
}

# Creates osd.0 (once) and its key in the monitor.
make_osd() {
  [[ -f $DATA/osd/osd.0/made ]] && return 0
  local id
  id=$(ceph_cmd osd create 2>>"$LOG/mkfs.out") || fail_start "ceph osd create failed"
  [[ $id == 0 ]] || fail_start "ceph osd create gave id '$id', expected 0"
  ceph-osd -c "$CONF" -i 0 --mkfs --mkkey --no-mon-config >>"$LOG/mkfs.out" 2>&1 ||
    fail_start "ceph-osd --mkfs failed"
  ceph_cmd auth add osd.0 osd 'allow *' mon 'allow profile osd' \
    -i "$DATA/osd/osd.0/keyring" >>"$LOG/mkfs.out" 2>&1 || fail_start "ceph auth add osd.0 failed"
  ceph_cmd osd crush add osd.0 1.0 host=localhost root=default >>"$LOG/mkfs.out" 2>&1 || true
  touch "$DATA/osd/osd.0/made"
}

wait_until() {  # wait_until WHAT DAEMON CMD...: retries CMD until it succeeds
  local what=$1 daemon=$2
  shift 2
  local deadline=$((SECONDS + START_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    alive "$daemon" || fail_start "$daemon exited while waiting for $what"
    ((SECONDS < deadline)) || fail_start "$what not reached after ${START_TIMEOUT}s"
    sleep 0.2
  done
}

osd_up() { ceph_cmd osd dump 2>/dev/null | grep -q '^osd\.0 up'; }

# A signed ListBuckets (SigV4, path-style) answers 200.
s3_request() {  # s3_request METHOD PATH: prints the HTTP status
  /usr/bin/python3 - "$PORT" "$1" "$2" <<'EOF'
import datetime, hashlib, hmac, sys, urllib.request, urllib.error
port, method, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
now = datetime.datetime.utcnow()
amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
host = "127.0.0.1:%d" % port
empty = hashlib.sha256(b"").hexdigest()
canonical = "\n".join([method, path, "", "host:" + host, "x-amz-content-sha256:" + empty,
                       "x-amz-date:" + amz_date, "", "host;x-amz-content-sha256;x-amz-date",
                       empty])
scope = day + "/us-east-1/s3/aws4_request"
to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(canonical.encode()).hexdigest()])
key = b"AWS4testing"
for part in (day, "us-east-1", "s3", "aws4_request"):
    key = hmac.new(key, part.encode(), hashlib.sha256).digest()
sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
auth = ("AWS4-HMAC-SHA256 Credential=test:tester/%s, "
        "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=%s" % (scope, sig))
req = urllib.request.Request("http://" + host + path, method=method, headers={
    "x-amz-date": amz_date, "x-amz-content-sha256": empty, "Authorization": auth})
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        print(r.status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print(0)
EOF
}

list_buckets_ok() { [[ $(s3_request GET /) == 200 ]]; }

make_user() {
  [[ -f $DATA/rgw/user-made ]] && return 0
  local deadline=$((SECONDS + START_TIMEOUT))
  until timeout 30 radosgw-admin -c "$CONF" user create --uid=test --display-name=test \
    --access-key=test:tester --secret=testing >>"$LOG/mkfs.out" 2>&1; do
    alive rgw || fail_start "radosgw exited while creating the user"
    ((SECONDS < deadline)) || fail_start "radosgw-admin user create failed"
    sleep 0.5
  done
  touch "$DATA/rgw/user-made"
}

# ---- commands ---------------------------------------------------------------

set_paths() {
  [[ -n ${1:-} ]] || usage
  if [[ $ACTION == start ]]; then mkdir -p "$1"; fi
  if [[ -d $1 ]]; then DATA=$(cd "$1" && pwd); else DATA=$1; fi
  CONF=$DATA/ceph.conf RUN=$DATA/run LOG=$DATA/log
}

cmd_start() {
  local buckets=()
  while [[ $# -gt 0 ]]; do
    case $1 in
      --bucket)
        [[ ${2:-} =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || die "invalid S3 bucket name '${2:-}'"
        buckets+=("$2")
        shift 2
        ;;
      *) usage ;;
    esac
  done
  if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT + 7 > 65535)); then die "bad port: $PORT"; fi
  local cmd
  for cmd in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool; do
    command -v "$cmd" >/dev/null || die "$cmd not found; run scripts/install-deps.sh"
  done
  local asok="$RUN/client.rgw.a.asok"
  ((${#asok} < 100)) || die "DATA_DIR path too long for Ceph's admin sockets: $asok"
  mkdir -p "$RUN" "$LOG"
  local all_alive=1 name
  for name in "${DAEMONS[@]}"; do alive "$name" || all_alive=0; done
  if ((all_alive)) && [[ $(cat "$RUN/port" 2>/dev/null) == "$PORT" ]] && list_buckets_ok; then
    echo "rgw-server: already running in $DATA"
  else
    stop_all
    # A throwaway cluster: always a fresh one (memstore keeps nothing anyway).
    rm -rf "$DATA/mon" "$DATA/osd" "$DATA/rgw" "$DATA/tmp" "$DATA/keyring"
    local p
    for ((p = PORT; p <= PORT + 7; p++)); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is in use"; fi
    done
    echo "$PORT" >"$RUN/port"
    write_config
    bootstrap
    launch mon ceph-mon -c "$CONF" -f -i a
    wait_until "the monitor answering" mon ceph_cmd mon stat
    make_osd
    launch osd ceph-osd -c "$CONF" -f -i 0
    wait_until "osd.0 up" osd osd_up
    ceph_cmd auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' \
      -o "$DATA/rgw/client.rgw.a/keyring" >>"$LOG/mkfs.out" 2>&1 ||
      fail_start "creating the radosgw key failed"
    launch rgw radosgw -c "$CONF" -f -n client.rgw.a
    make_user
    wait_until "a signed ListBuckets on port $PORT" rgw list_buckets_ok
    echo "rgw-server: started in $DATA (logs in $LOG)"
  fi
  local b code
  for b in "${buckets[@]}"; do
    code=$(s3_request PUT "/$b")
    [[ $code == 200 || $code == 409 ]] || die "creating bucket $b: HTTP $code ($(logs_hint))"
    echo "rgw-server: bucket $b ready"
  done
  echo "S3 endpoint: http://127.0.0.1:$PORT (access key test:tester, secret testing)"
}

cmd_status() {
  local name pid rc=0
  for name in "${DAEMONS[@]}"; do
    pid=$(pid_of "$name")
    if alive "$name"; then
      echo "$name: running (pid $pid)"
    else
      echo "$name: stopped"
      rc=1
    fi
  done
  if ((rc == 0)); then
    PORT=$(cat "$RUN/port")
    if list_buckets_ok; then echo "S3 endpoint: http://127.0.0.1:$PORT"; else rc=1; fi
  fi
  return $rc
}

cmd_stop() {
  [[ -d $RUN ]] || {
    echo "rgw-server: nothing to stop in $DATA"
    return 0
  }
  stop_all
  echo "rgw-server: stopped ($DATA)"
}

ACTION=${1:-}
case $ACTION in
  start)
    [[ $# -ge 3 ]] || usage
    set_paths "$2"
    PORT=$3
    shift 3
    cmd_start "$@"
    ;;
  stop)
    [[ $# -eq 2 ]] || usage
    set_paths "$2"
    cmd_stop
    ;;
  status)
    [[ $# -eq 2 ]] || usage
    set_paths "$2"
    cmd_status
    ;;
  *) usage ;;
esac
