#!/usr/bin/env bash
# Install Debian packages on the controller when they are missing.
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" -eq 0 ] || { echo "ERROR: installing ${missing[*]} needs root" >&2; exit 1; }
echo "==> Installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
