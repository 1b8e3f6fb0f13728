#!/usr/bin/env bash
# Installs what partfs needs to build, test and run on Debian 12: the build
# dependencies and the local S3 servers (OpenStack Swift + s3api, memcached;
# Ceph RGW).
# Idempotent and fast when everything is present (one dpkg-query, no network).
# Debian's own swift/memcached services are kept from starting while installing
# (a temporary /usr/sbin/policy-rc.d that exits 101); scripts/s3-server.sh runs
# its own instances instead.
set -euo pipefail

PACKAGES=(
  # build and test
  cmake g++ pkg-config libfuse3-dev fuse3 libcurl4-openssl-dev libssl-dev
  libpugixml-dev liblmdb-dev lmdb-utils libmicrohttpd-dev libgtest-dev libgmock-dev
  rsync python3 python3-boto3 curl attr e2fsprogs util-linux clang-format clang
  # tools the fuse tests drive (git, borg backups)
  git borgbackup
  # local S3 server
  swift-proxy swift-account swift-container swift-object python3-swift memcached
  # second local S3 server (scripts/rgw-server.sh): single-node Ceph RGW
  ceph-mon ceph-osd radosgw ceph-common
)

missing_packages() {
  local installed
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null |
    awk '$2 == "ii" { print $1 }' || true)
  local p
  for p in "${PACKAGES[@]}"; do
    grep -qx -- "$p" <<<"$installed" || echo "$p"
  done
}

mapfile -t missing < <(missing_packages)
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi

echo "install-deps: installing ${missing[*]}"

# Keep services from starting during the install; restore whatever was there.
POLICY=/usr/sbin/policy-rc.d
POLICY_BACKUP=""
if [[ -e $POLICY ]]; then
  POLICY_BACKUP=$(mktemp)
  $SUDO cp -p "$POLICY" "$POLICY_BACKUP"
fi
restore_policy() {
  if [[ -n $POLICY_BACKUP ]]; then
    $SUDO cp -p "$POLICY_BACKUP" "$POLICY"
    rm -f "$POLICY_BACKUP"
  else
    $SUDO rm -f "$POLICY"
  fi
}
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
$SUDO chmod 755 "$POLICY"

export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
  --no-install-recommends)
# Update the package lists only when the missing packages are unknown to apt.
if ! $SUDO apt-get install "${APT_OPTS[@]}" "${missing[@]}"; then
  $SUDO apt-get update -q
  $SUDO apt-get install "${APT_OPTS[@]}" "${missing[@]}"
fi

# Installing memcached may have started Debian's own instance in environments
# without policy-rc.d support; stop it so it does not hold port 11211 needlessly.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet memcached 2>/dev/null; then
  $SUDO systemctl stop memcached || true
fi

left=$(missing_packages)
if [[ -n $left ]]; then
  echo "install-deps: still missing after install: $left" >&2
  exit 1
fi
echo "install-deps: done"
