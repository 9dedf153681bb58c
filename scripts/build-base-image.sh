#!/usr/bin/env bash
# Build the base test image without any registry: debootstrap Debian bookworm
# with systemd as PID 1, sshd, python3 and sudo, trust the controller's extra CA
# certificates, and `docker import` it.
#
# The image is cached: its tag carries a hash of this script and of the CA
# certificates, so it is rebuilt only when either changes. Downloaded .debs are
# kept in .cache/debootstrap/ for faster rebuilds.
#
#   scripts/build-base-image.sh            build when missing, print the image name
#   FORCE=1 scripts/build-base-image.sh    rebuild
set -euo pipefail

IMAGE_REPO=${BASE_IMAGE_REPO:-flaskdeploy-base}
IMAGE_ALIAS=${BASE_IMAGE:-${IMAGE_REPO}:bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
CA_DIR=${EXTRA_CA_DIR:-/usr/local/share/ca-certificates}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
cache="$top/.cache/debootstrap"

log() { printf '==> %s\n' "$*" >&2; }

"$here/ensure-docker.sh"

shopt -s nullglob
ca_files=("$CA_DIR"/*.crt)
shopt -u nullglob
hash=$( { cat "$0"; [ ${#ca_files[@]} -eq 0 ] || cat "${ca_files[@]}"; } | sha256sum | cut -c1-12)
image="${IMAGE_REPO}:bookworm-${hash}"

if [ -z "${FORCE:-}" ] && docker image inspect "$image" >/dev/null 2>&1; then
  docker tag "$image" "$IMAGE_ALIAS"
  log "Base image $image is cached (alias $IMAGE_ALIAS)"
  echo "$IMAGE_ALIAS"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || { echo "ERROR: building the base image needs root (debootstrap)" >&2; exit 1; }
if ! command -v debootstrap >/dev/null 2>&1; then
  log "Installing debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

rootfs=$(mktemp -d /var/tmp/flaskdeploy-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$cache"

log "Bootstrapping Debian bookworm into $rootfs (a few minutes on a cold cache)"
debootstrap --variant=minbase --cache-dir="$cache" \
  --include=systemd,systemd-sysv,dbus,openssh-server,python3,python3-apt,sudo,ca-certificates,iproute2,procps,curl,gnupg,less \
  bookworm "$rootfs" "$MIRROR" >"$cache/debootstrap.log" 2>&1 \
  || { tail -30 "$cache/debootstrap.log" >&2; exit 1; }

log "Configuring the image"
rm -f "$rootfs/etc/apt/sources.list"
cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES

# Trust the controller's extra CA certificates (TLS-inspecting proxies).
for crt in "${ca_files[@]}"; do
  install -m 0644 "$crt" "$rootfs/usr/local/share/ca-certificates/"
done
chroot "$rootfs" update-ca-certificates >/dev/null

# A container is not a VM: units that need real hardware only fail there.
for unit in systemd-udevd.service systemd-udev-trigger.service systemd-udev-settle.service \
            systemd-udevd-control.socket systemd-udevd-kernel.socket \
            getty@tty1.service console-getty.service getty.target \
            systemd-remount-fs.service systemd-firstboot.service \
            sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
            dev-hugepages.mount systemd-modules-load.service; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done

# docker import cannot set STOPSIGNAL: containers are run with --stop-signal SIGRTMIN+3.
# Each container gets its own SSH host keys and machine id at first boot.
rm -f "$rootfs"/etc/ssh/ssh_host_*
cat >"$rootfs/etc/systemd/system/ssh-host-keys.service" <<'UNIT'
[Unit]
Description=Generate SSH host keys on first boot
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/ssh-host-keys.service \
  "$rootfs/etc/systemd/system/multi-user.target.wants/ssh-host-keys.service"
install -d -m 0700 "$rootfs/root/.ssh"
: >"$rootfs/etc/machine-id"
echo 'LANG=C.UTF-8' >"$rootfs/etc/default/locale"
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/periodic/*
# Stale package lists, as on a fresh droplet: the first apt task must update.
touch -d @0 "$rootfs/var/lib/apt/lists"

log "Importing $image"
tar -C "$rootfs" -c . | docker import \
  -c 'ENV container=docker' \
  -c 'CMD ["/sbin/init"]' \
  - "$image" >/dev/null
docker tag "$image" "$IMAGE_ALIAS"
log "Built $image (alias $IMAGE_ALIAS)"
echo "$IMAGE_ALIAS"
