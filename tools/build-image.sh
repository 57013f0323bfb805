#!/usr/bin/env bash
# Build a systemd-ready Debian test image from the Debian archive and import it into Docker.
# No registry is needed: debootstrap fetches packages, `docker import` turns the root into an image.
# The image is rebuilt only when it is missing or this recipe changed (its hash is an image label).
#
# usage: tools/build-image.sh SUITE        (SUITE: bookworm | trixie)
set -euo pipefail

suite="${1:?usage: $0 bookworm|trixie}"
case "$suite" in
  bookworm|trixie) ;;
  *) echo "build-image: unknown suite '$suite' (expected bookworm or trixie)" >&2; exit 2 ;;
esac

mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
tag="webstack-tiers/debian:${suite}"
packages="systemd,systemd-sysv,dbus,python3,python3-apt,sudo,ca-certificates,iproute2,procps,curl"
# The recipe is this file plus the inputs that change its output.
recipe="$(cat "$0"; echo "$suite $mirror"; sha256sum /etc/ssl/certs/ca-certificates.crt)"
recipe_hash="$(printf '%s' "$recipe" | sha256sum | cut -c1-16)"

# `docker import` takes no LABEL, so the recipe hash travels as an environment variable.
current="$(docker image inspect -f '{{ range .Config.Env }}{{ println . }}{{ end }}' "$tag" 2>/dev/null \
  | sed -n 's/^WEBSTACK_IMAGE_RECIPE=//p' || true)"
if [[ "$current" == "$recipe_hash" ]]; then
  echo "build-image: $tag is up to date (recipe $recipe_hash)"
  exit 0
fi

workdir="$(mktemp -d /var/tmp/webstack-image.XXXXXX)"
trap 'rm -rf "$workdir"' EXIT
root="$workdir/root"

echo "build-image: debootstrap $suite from $mirror (takes a minute or two)"
# Through the shared package cache when it runs (tools/bootstrap-host.sh starts it).
if curl -s -o /dev/null --max-time 3 http://127.0.0.1:3142/acng-report.html; then
  export http_proxy=http://127.0.0.1:3142
fi
debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" \
  >"$workdir/debootstrap.log" 2>&1 || { tail -n 30 "$workdir/debootstrap.log" >&2; exit 1; }

# Trust whatever CAs the build host trusts, so apt and pip work behind a TLS-intercepting proxy.
mkdir -p "$root/usr/local/share/ca-certificates/build-host"
awk -v dir="$root/usr/local/share/ca-certificates/build-host" '
  /-----BEGIN CERTIFICATE-----/ { n++; file = sprintf("%s/host-%04d.crt", dir, n) }
  file { print > file }
  /-----END CERTIFICATE-----/ { close(file); file = "" }
' /etc/ssl/certs/ca-certificates.crt
chroot "$root" update-ca-certificates >/dev/null 2>&1
printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$root/etc/pip.conf"

cat >"$root/etc/apt/apt.conf.d/90webstack-test-image" <<'APT'
Acquire::Languages "none";
APT
# Documentation is dead weight in a throwaway test container.
cat >"$root/etc/dpkg/dpkg.cfg.d/90webstack-test-image" <<'DPKG'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/locale/*
DPKG
echo "deb $mirror $suite main" >"$root/etc/apt/sources.list"

# systemd as PID 1 in a container: no consoles, no udev, no kernel-facing mounts.
for unit in getty.target console-getty.service systemd-udevd.service systemd-udev-trigger.service \
            systemd-remount-fs.service sys-kernel-debug.mount sys-kernel-tracing.mount \
            systemd-firstboot.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
: >"$root/etc/machine-id"
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/log/"*.log
unset http_proxy

echo "build-image: importing $tag"
tar -C "$root" -c . | docker import \
  --change 'ENV container=docker' \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change "ENV WEBSTACK_IMAGE_RECIPE=$recipe_hash" \
  --change "ENV WEBSTACK_IMAGE_SUITE=$suite" \
  - "$tag" >/dev/null
echo "build-image: built $tag (recipe $recipe_hash)"
