#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine.
# Installs Debian's docker.io when dockerd is missing and starts dockerd in the
# background when nothing is listening (machines without systemd as PID 1).
set -euo pipefail

log() { printf '==> %s\n' "$*" >&2; }

if docker info >/dev/null 2>&1; then
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || { echo "ERROR: docker.io is not installed and installing it needs root" >&2; exit 1; }
  log "Installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || { echo "ERROR: the Docker engine is not running and starting it needs root" >&2; exit 1; }
  if [ -d /run/systemd/system ]; then
    log "Starting docker with systemd"
    systemctl start docker
  else
    log "Starting dockerd in the background (log: /var/log/dockerd.log)"
    nohup dockerd >/var/log/dockerd.log 2>&1 &
  fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
fi

docker info >/dev/null 2>&1 || { echo "ERROR: the Docker engine did not come up; see /var/log/dockerd.log" >&2; exit 1; }
log "Docker engine is up"
