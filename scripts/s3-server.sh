#!/usr/bin/env bash
# The local S3 server for partfs's tests, benchmarks and scripts/run.sh:
# OpenStack Swift with its s3api middleware (Debian packages, see
# scripts/install-deps.sh), one instance per DATA_DIR, all on 127.0.0.1.
#
#   s3-server.sh start  DATA_DIR PORT [--bucket NAME]...
#   s3-server.sh stop   DATA_DIR
#   s3-server.sh status DATA_DIR
#
# Ports: PORT proxy (the S3 endpoint), PORT+1 object, PORT+2 container,
# PORT+3 account, PORT+4 memcached (TCP); the log receiver also takes UDP PORT.
# Everything the instance creates lives in DATA_DIR: etc/ (config, rings),
# run/ (pid files, log socket), log/swift.log (all servers' log lines, including
# the proxy's access lines and one object-server line per stored part),
# log/<server>.out (stdout/stderr, for crashes), srv/d1 (object data; an ext4
# loop mount at srv/ when DATA_DIR's filesystem lacks user xattrs).
# Processes are started with setsid (each leads its own process group, so they
# survive the caller's shell) and stopped by the recorded PIDs' groups, never by
# name. Credentials: access key test:tester, secret testing, region us-east-1.
# Start again on a stopped DATA_DIR keeps the stored objects.
set -euo pipefail

readonly PYTHON=/usr/bin/python3  # Debian's python: has the swift modules
readonly START_TIMEOUT=60
readonly STOP_TIMEOUT=10
readonly SERVERS=(memcached syslog account container object proxy)

die() {
  echo "s3-server: $*" >&2
  exit 1
}

usage() {
  echo "usage: $0 start DATA_DIR PORT [--bucket NAME]... | stop DATA_DIR | status DATA_DIR" >&2
  exit 2
}

# ---- process bookkeeping -------------------------------------------------

pid_of() {  # prints the recorded pid of server $1, or nothing
  local f="$RUN/$1.pid"
  [[ -s $f ]] && cat "$f"
  return 0
}

# State and process group of pid $1 from /proc ("" when gone). Zombies count as
# gone: the init process of some containers reaps orphans only now and then.
proc_state() {
  local stat
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 0
  stat=${stat##*) }  # after "pid (comm) ": state ppid pgrp ...
  local fields
  read -r -a fields <<<"$stat"
  echo "${fields[0]} ${fields[2]}"
}

pid_alive() {
  local st
  st=$(proc_state "$1")
  [[ -n $st && ${st%% *} != Z ]]
}

alive() {  # server $1's recorded pid is running
  local pid
  pid=$(pid_of "$1")
  [[ -n $pid ]] && pid_alive "$pid"
}

live_groups() {  # process groups with a live (non-zombie) member, one a line
  ps -eo pgid=,stat= | awk '$2 !~ /^Z/ { print $1 }' | sort -u
}

# Runs "$@" as the leader of a new session/process group, output to
# log/<name>.out, pid recorded in run/<name>.pid.
launch() {
  local name=$1
  shift
  setsid "$@" </dev/null >>"$LOG/$name.out" 2>&1 &
  echo $! >"$RUN/$name.pid"
  disown $!
}

# Sends signal $1 to the process groups of servers $2... and waits (bounded)
# until they are gone, then SIGKILLs what is left.
signal_and_wait() {
  local sig=$1 name pid pids=()
  shift
  for name in "$@"; do
    pid=$(pid_of "$name")
    [[ -n $pid ]] || continue
    # The whole group: swift servers fork workers.
    kill "-$sig" -- "-$pid" 2>/dev/null || kill "-$sig" "$pid" 2>/dev/null || true
    pids+=("$pid")
  done
  local deadline=$((SECONDS + STOP_TIMEOUT)) left groups
  while [[ ${#pids[@]} -gt 0 ]]; do
    left=()
    groups=$(live_groups)
    for pid in "${pids[@]}"; do
      if grep -qx "$pid" <<<"$groups" || pid_alive "$pid"; then left+=("$pid"); fi
    done
    [[ ${#left[@]} -eq 0 ]] && break
    if ((SECONDS >= deadline)); then
      for pid in "${left[@]}"; do
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      done
      sleep 0.2
      break
    fi
    pids=("${left[@]}")
    sleep 0.05
  done
}

stop_all() {
  # memcached holds only tokens and caches: no need to wait for a clean exit.
  # The log receiver goes last so that it records the servers' last lines.
  signal_and_wait KILL memcached
  signal_and_wait TERM proxy object container account
  signal_and_wait TERM syslog
  local name
  for name in "${SERVERS[@]}"; do rm -f "$RUN/$name.pid"; done
  rm -f "$RUN/log.sock"
  if [[ -f $RUN/loop-mounted ]]; then
    if mountpoint -q "$DATA/srv"; then
      umount "$DATA/srv" || umount -l "$DATA/srv" || true
    fi
    rm -f "$RUN/loop-mounted"
  fi
}

# ---- setup ----------------------------------------------------------------

# Swift keeps object metadata in user xattrs; where DATA_DIR's filesystem has
# none (some tmpfs/overlay), put srv/ on an ext4 image inside DATA_DIR.
ensure_xattrs() {
  mkdir -p "$DATA/srv"
  if [[ -f $RUN/loop-mounted ]] && ! mountpoint -q "$DATA/srv"; then
    rm -f "$RUN/loop-mounted"
  fi
  mkdir -p "$DATA/srv/d1"
  # S3_SERVER_FORCE_LOOP=1 takes the loop-mount path anyway (to test it).
  if [[ ${S3_SERVER_FORCE_LOOP:-0} != 1 || -f $RUN/loop-mounted ]] &&
    setfattr -n user.partfs-test -v 1 "$DATA/srv/d1" 2>/dev/null; then
    setfattr -x user.partfs-test "$DATA/srv/d1" 2>/dev/null || true
    return
  fi
  echo "s3-server: $DATA/srv lacks user xattrs, loop-mounting an ext4 image"
  local img="$DATA/srv.ext4"
  if [[ ! -f $img ]]; then
    truncate -s 20G "$img"
    mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 "$img" || die "mkfs.ext4 $img failed"
  fi
  mount -o loop "$img" "$DATA/srv" || die "cannot loop-mount $img (needs root)"
  touch "$RUN/loop-mounted"
  mkdir -p "$DATA/srv/d1"
  setfattr -n user.partfs-test -v 1 "$DATA/srv/d1" || die "no user xattrs even on $img"
}

write_configs() {
  local me
  me=$(id -un)
  cat >"$ETC/swift.conf" <<EOF
[swift-hash]
swift_hash_path_prefix = partfs-prefix
swift_hash_path_suffix = partfs-suffix

[storage-policy:0]
name = Policy-0
default = yes

[swift-constraints]
max_file_size = 5368709122
EOF
  # Shared by all servers. log_address: our receiver's socket.
  local common="[DEFAULT]
bind_ip = 127.0.0.1
user = $me
swift_dir = $ETC
devices = $DATA/srv
mount_check = false
disable_fallocate = true
recon_cache_path = $RUN
log_address = $RUN/log.sock
log_level = INFO
"
  local kind port workers
  for kind in account container object; do
    case $kind in
      object) port=$((PORT + 1)) workers=2 ;;
      container) port=$((PORT + 2)) workers=1 ;;
      account) port=$((PORT + 3)) workers=1 ;;
    esac
    cat >"$ETC/$kind-server.conf" <<EOF
$common
bind_port = $port
workers = $workers
log_name = $kind-server

[pipeline:main]
pipeline = healthcheck $kind-server

[app:$kind-server]
use = egg:swift#$kind

[filter:healthcheck]
use = egg:swift#healthcheck
EOF
  done
  # proxy-logging ignores log_address for its access lines (Swift 2.30 passes
  # only log_udp_* on), so those go to the receiver's UDP port.
  cat >"$ETC/proxy-server.conf" <<EOF
$common
bind_port = $PORT
workers = 2
log_name = proxy-server

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging
access_log_udp_host = 127.0.0.1
access_log_udp_port = $PORT

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$((PORT + 4))

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:bulk]
use = egg:swift#bulk

[filter:s3api]
use = egg:swift#s3api
location = us-east-1
s3_acl = false
max_upload_part_num = 10000
min_segment_size = 5242880
allowable_clock_skew = 900

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo
max_manifest_segments = 10000

[filter:dlo]
use = egg:swift#dlo
EOF
  cat >"$ETC/syslog_receiver.py" <<'EOF'
# Appends the syslog datagrams arriving on a unix socket and a UDP port to a
# file, one line each, without the "<priority>" prefix. Flushes every line.
import os, re, select, signal, socket, sys

sock_path, udp_port, out_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
try:
    os.unlink(sock_path)
except FileNotFoundError:
    pass
socks = []
for family, addr in ((socket.AF_UNIX, sock_path), (socket.AF_INET, ("127.0.0.1", udp_port))):
    s = socket.socket(family, socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE (root)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(addr)
    socks.append(s)
prio = re.compile(rb"^<\d+>")
with open(out_path, "ab", buffering=0) as out:
    while True:
        for s in select.select(socks, [], [])[0]:
            data = prio.sub(b"", s.recv(65536)).rstrip(b"\0\n")
            out.write(data + b"\n")
EOF
}

# Rings with one replica and one device each; rebuilt only when the port changed.
build_rings() {
  if [[ -f $ETC/rings.port && $(cat "$ETC/rings.port") == "$PORT" &&
    -f $ETC/object.ring.gz && -f $ETC/container.ring.gz && -f $ETC/account.ring.gz ]]; then
    return
  fi
  "$PYTHON" - "$ETC" "$PORT" <<'EOF' || die "building rings failed"
import os, sys
from swift.common.ring import RingBuilder
etc, port = sys.argv[1], int(sys.argv[2])
for kind, offset in (("object", 1), ("container", 2), ("account", 3)):
    b = RingBuilder(8, 1, 1)
    b.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1", "port": port + offset,
               "device": "d1", "weight": 100, "meta": ""})
    b.rebalance(seed=1)
    b.save(os.path.join(etc, kind + ".builder"))
    b.get_ring().save(os.path.join(etc, kind + ".ring.gz"))
EOF
  echo "$PORT" >"$ETC/rings.port"
}

# ---- readiness --------------------------------------------------------------

http_code() {  # prints the HTTP status of GET $1 (extra curl args after it)
  local url=$1
  shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "$url" 2>/dev/null || true
}

check_alive_or_die() {
  local name
  for name in "${SERVERS[@]}"; do
    alive "$name" && continue
    local why="$LOG/$name.out"
    stop_all
    die "$name exited during start; see $why and $LOG/swift.log"
  done
}

wait_ready() {
  local deadline=$((SECONDS + START_TIMEOUT)) port
  for port in $((PORT + 3)) $((PORT + 2)) $((PORT + 1)) $PORT; do
    until [[ $(http_code "http://127.0.0.1:$port/healthcheck") == 200 ]]; do
      check_alive_or_die
      if ((SECONDS >= deadline)); then
        stop_all
        die "server on port $port not healthy after ${START_TIMEOUT}s; see $LOG/swift.log"
      fi
      sleep 0.1
    done
  done
  until [[ $(http_code "http://127.0.0.1:$PORT/auth/v1.0" -H 'X-Storage-User: test:tester' \
    -H 'X-Storage-Pass: testing') == 200 ]]; do
    check_alive_or_die
    if ((SECONDS >= deadline)); then
      stop_all
      die "auth on port $PORT not ready after ${START_TIMEOUT}s; see $LOG/swift.log"
    fi
    sleep 0.1
  done
}

# Creates the buckets (Swift containers = S3 buckets) and checks each is then
# visible through the S3 API (a SigV4-signed HEAD bucket).
create_buckets() {
  [[ $# -gt 0 ]] || return 0
  "$PYTHON" - "$PORT" "$@" <<'EOF' || die "creating buckets failed; see $LOG/swift.log"
import datetime, hashlib, hmac, sys, urllib.request
port, buckets = int(sys.argv[1]), sys.argv[2:]
base = "http://127.0.0.1:%d" % port
req = urllib.request.Request(base + "/auth/v1.0",
                             headers={"X-Storage-User": "test:tester", "X-Storage-Pass": "testing"})
with urllib.request.urlopen(req, timeout=10) as r:
    token, storage_url = r.headers["X-Auth-Token"], r.headers["X-Storage-Url"]

def s3_head_bucket(bucket):
    now = datetime.datetime.utcnow()
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    host = "127.0.0.1:%d" % port
    empty = hashlib.sha256(b"").hexdigest()
    canonical = "\n".join(["HEAD", "/" + bucket, "", "host:" + host,
                           "x-amz-content-sha256:" + empty, "x-amz-date:" + amz_date, "",
                           "host;x-amz-content-sha256;x-amz-date", empty])
    scope = day + "/us-east-1/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = b"AWS4testing"
    for part in (day, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    auth = ("AWS4-HMAC-SHA256 Credential=test:tester/%s, "
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=%s" % (scope, sig))
    r = urllib.request.Request(base + "/" + bucket, method="HEAD", headers={
        "Host": host, "x-amz-date": amz_date, "x-amz-content-sha256": empty,
        "Authorization": auth})
    with urllib.request.urlopen(r, timeout=10) as resp:
        return resp.status

for b in buckets:
    try:
        r = urllib.request.Request(storage_url + "/" + b, method="PUT",
                                   headers={"X-Auth-Token": token})
        with urllib.request.urlopen(r, timeout=10):
            pass
        s3_head_bucket(b)
    except Exception as e:  # one line, not a traceback
        sys.exit("s3-server: bucket %s: %s" % (b, e))
    print("s3-server: bucket %s ready" % b)
EOF
}

# ---- commands ---------------------------------------------------------------

set_paths() {
  [[ -n ${1:-} ]] || usage
  if [[ $ACTION == start ]]; then mkdir -p "$1"; fi
  if [[ -d $1 ]]; then DATA=$(cd "$1" && pwd); else DATA=$1; fi
  ETC=$DATA/etc RUN=$DATA/run LOG=$DATA/log
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
  if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT + 4 > 65535)); then die "bad port: $PORT"; fi
  local cmd
  for cmd in swift-proxy-server swift-object-server memcached setfattr curl "$PYTHON"; do
    command -v "$cmd" >/dev/null || die "$cmd not found; run scripts/install-deps.sh"
  done
  mkdir -p "$ETC" "$RUN" "$LOG"
  local all_alive=1 name
  for name in "${SERVERS[@]}"; do alive "$name" || all_alive=0; done
  if ((all_alive)) && [[ $(cat "$RUN/port" 2>/dev/null) == "$PORT" ]]; then
    echo "s3-server: already running in $DATA"
  else
    stop_all  # leftovers of a crashed or partial instance
    local p
    for ((p = PORT; p <= PORT + 4; p++)); do
      # Swift would retry a busy port for 30 s; say it at once.
      if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is in use"; fi
    done
    local sock="$RUN/log.sock"
    ((${#sock} < 100)) || die "DATA_DIR path too long for a unix socket: $sock"
    ensure_xattrs
    write_configs
    build_rings
    echo "$PORT" >"$RUN/port"
    launch syslog "$PYTHON" "$ETC/syslog_receiver.py" "$sock" "$PORT" "$LOG/swift.log"
    launch memcached memcached -u "$(id -un)" -l 127.0.0.1 -p $((PORT + 4)) -U 0 -m 64 -c 1024
    local deadline=$((SECONDS + 10))
    until [[ -S $sock ]]; do
      alive syslog || { stop_all; die "log receiver exited; see $LOG/syslog.out"; }
      ((SECONDS < deadline)) || { stop_all; die "log receiver did not start; see $LOG/syslog.out"; }
      sleep 0.05
    done
    for name in account container object proxy; do
      launch "$name" "swift-$name-server" "$ETC/$name-server.conf"
    done
    wait_ready
    echo "s3-server: started in $DATA (log $LOG/swift.log)"
  fi
  create_buckets "${buckets[@]}"
  echo "S3 endpoint: http://127.0.0.1:$PORT (access key test:tester, secret testing)"
}

cmd_status() {
  local name pid rc=0
  for name in "${SERVERS[@]}"; do
    pid=$(pid_of "$name")
    if alive "$name"; then
      echo "$name: running (pid $pid)"
    else
      echo "$name: stopped"
      rc=3
    fi
  done
  if ((rc == 0)); then
    PORT=$(cat "$RUN/port")
    local code
    code=$(http_code "http://127.0.0.1:$PORT/healthcheck")
    echo "proxy healthcheck: HTTP $code"
    [[ $code == 200 ]] || rc=3
    echo "S3 endpoint: http://127.0.0.1:$PORT (access key test:tester, secret testing)"
  fi
  return $rc
}

[[ $# -ge 2 ]] || usage
ACTION=$1
set_paths "$2"
case $ACTION in
  start)
    [[ $# -ge 3 ]] || usage
    PORT=$3
    shift 3
    cmd_start "$@"
    ;;
  stop)
    [[ -d $RUN ]] || exit 0
    stop_all
    echo "s3-server: stopped $DATA"
    ;;
  status) cmd_status ;;
  *) usage ;;
esac
