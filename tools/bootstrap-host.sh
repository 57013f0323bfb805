#!/usr/bin/env bash
# Make sure this machine can run the container test rig: a Docker engine that answers,
# debootstrap to build test images, and Python's venv module.
# On Debian as root, missing pieces are installed from the Debian archive and dockerd is started.
# Anywhere else the script says exactly what is missing and stops.
set -euo pipefail

say() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: %s\n' "$*" >&2; exit 1; }

missing_packages=()
# An engine is needed, not only a client: some images ship a docker CLI without dockerd.
docker_answers() { timeout 10 docker info >/dev/null 2>&1; }
docker_answers || command -v dockerd >/dev/null 2>&1 || missing_packages+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing_packages+=(debootstrap)
[[ -x /usr/sbin/apt-cacher-ng ]] || missing_packages+=(apt-cacher-ng)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing_packages+=(python3-venv)
# The installed scenario reaches its hosts over SSH, as users reach servers.
command -v ssh >/dev/null 2>&1 || missing_packages+=(openssh-client)
# Load generators for the reliability scenario (and the benchmarks).
command -v wrk >/dev/null 2>&1 || missing_packages+=(wrk)
command -v ab >/dev/null 2>&1 || missing_packages+=(apache2-utils)

is_debian_root() { [[ -r /etc/debian_version && "$(id -u)" == 0 ]]; }

if ((${#missing_packages[@]})); then
  if is_debian_root; then
    say "installing from the Debian archive: ${missing_packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >/dev/null
  else
    die "missing: ${missing_packages[*]}. Install them (Debian package names shown), then run this again."
  fi
fi

if ! docker_answers; then
  is_debian_root || die "the Docker engine does not answer ('docker info' fails). Start dockerd, or make its socket usable by $(id -un), then run this again."
  if [[ -d /run/systemd/system ]]; then
    say "starting docker.service"
    systemctl start docker.service
  else
    # No systemd on this machine (a CI sandbox, a container): run the engine in the background.
    say "starting dockerd (log: /var/log/webstack-dockerd.log)"
    nohup dockerd >/var/log/webstack-dockerd.log 2>&1 &
  fi
  for _ in $(seq 1 60); do docker_answers && break; sleep 1; done
  docker_answers || { tail -n 20 /var/log/webstack-dockerd.log 2>/dev/null >&2 || true; die "dockerd did not come up within 60 s"; }
fi

# apt-cacher-ng is the package cache every test container shares: each .deb is downloaded once per
# machine, and unlike a shared archives directory it is safe when several containers run apt at once.
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
apt_cache_fetches() {
  curl -sf -o /dev/null --max-time 30 -x http://127.0.0.1:3142 "${mirror%/}/dists/bookworm/Release"
}
if is_debian_root && [[ -d /etc/apt-cacher-ng ]]; then
  # Fetch from the mirror the images use; the package's default backend may be unreachable. Listen on
  # loopback and on the default Docker bridge only: containers on any Docker network reach the host at that
  # address (molecule/shared/create.yml points apt there), and nobody else needs the cache. The package may
  # already have started the daemon with its defaults, so a changed setting always means a restart.
  bridge_address() { ip -4 -o addr show dev docker0 2>/dev/null | awk '{ sub("/.*", "", $4); print $4; exit }'; }
  for _ in $(seq 1 20); do bridge="$(bridge_address)"; [[ -n "$bridge" ]] && break; sleep 0.5; done
  [[ -n "$bridge" ]] || die "Docker's default bridge docker0 has no IPv4 address; the test containers reach the package cache there"
  wanted="Remap-debrep: file:deb_mirror*.gz /debian ; ${mirror%/}/
BindAddress: 127.0.0.1 ${bridge}"
  if [[ "$(cat /etc/apt-cacher-ng/zz_webstack.conf 2>/dev/null)" != "$wanted" ]] || ! apt_cache_fetches; then
    printf '%s\n' "$wanted" >/etc/apt-cacher-ng/zz_webstack.conf
    say "starting apt-cacher-ng (shared package cache for test containers)"
    if [[ -d /run/systemd/system ]]; then
      systemctl restart apt-cacher-ng.service
    else
      /etc/init.d/apt-cacher-ng restart >/dev/null
    fi
    for _ in $(seq 1 20); do apt_cache_fetches && break; sleep 0.5; done
  fi
fi
apt_cache_fetches || die "apt-cacher-ng on port 3142 does not fetch ${mirror}; see /var/log/apt-cacher-ng/"

say "docker $(docker version -f '{{.Server.Version}}'), storage $(docker info -f '{{.Driver}}'), cgroup v$(docker info -f '{{.CgroupVersion}}')"
