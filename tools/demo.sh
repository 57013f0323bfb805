#!/usr/bin/env bash
# Throwaway demo: one container provisioned by the site playbook, then requests through the front door.
# Prints one line per step and a short summary; everything else goes to the log named at the start.
# usage: tools/demo.sh up [chained|split]  |  tools/demo.sh down  |  tools/demo.sh clean
set -euo pipefail
cd "$(dirname "$0")/.."

action="${1:-up}"
topology="${2:-chained}"
name=demo.webstack.test
log="${WEBSTACK_DEMO_LOG:-$PWD/demo.log}"
cache="${WEBSTACK_CACHE_DIR:-/var/cache/webstack-tiers}"
export NO_COLOR=1 ANSIBLE_NOCOLOR=1 PY_COLORS=0

# Molecule looks for a scenario called default on every run and says it found none; there is none on purpose.
molecule_quiet() { molecule "$@" 2>&1 | sed -u "/molecule\/default\/molecule.yml' glob failed/d"; }

failed() {  # the end of the log, where to find the rest, and exit
  printf 'FAILED\n\n'
  tail -n 30 "$log"
  printf '\n==> the whole log: %s\n' "$log"
  exit 1
}

step() {  # step LABEL COMMAND...: run a command with its output in the log, print the label, ok and the time
  local label="$1" t0=$SECONDS
  shift
  printf '==> %-58s' "$label"
  "$@" >>"$log" 2>&1 || failed
  printf 'ok (%ds)\n' $((SECONDS - t0))
}

# The play names of the site playbook as they start, each once: the run's progress on one screen.
converge() {
  molecule_quiet converge -s demo | tee -a "$log" \
    | awk '/PLAY \[/ { sub(/.*PLAY \[/, ""); sub(/\].*/, ""); if (!seen[$0]++) { print "      " $0; fflush() } }'
}

field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

case "$action" in
  up)
    case "$topology" in chained|split) ;; *) echo "demo: TOPOLOGY must be chained or split" >&2; exit 2 ;; esac
    : >"$log"
    echo "==> webstack.tiers demo: the $topology stack in one container (full log: $log)"
    step "the host: Docker engine, package cache" tools/bootstrap-host.sh
    step "the test image (Debian ${WEBSTACK_DEBIAN:-bookworm}, built once)" tools/build-image.sh "${WEBSTACK_DEBIAN:-bookworm}"
    echo "==> the container and the site playbook (about 2 minutes the first time)"
    t0=$SECONDS
    WEBSTACK_TOPOLOGY="$topology" converge || { printf '==> '; failed; }
    echo "    done in $((SECONDS - t0)) s: $(grep -E '^\s*(│ *)?webstack-demo +:' "$log" | tail -n 1 | sed -E 's/.*(ok=[0-9]+ +changed=[0-9]+).*/\1/')"

    ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' webstack-demo)
    front() { curl -sk --resolve "$name:443:$ip" "$@"; }
    whoami=$(front -H 'X-Forwarded-For: 203.0.113.1' "https://$name/api/whoami")
    echo
    echo "==> through the front door: https://$name at $ip (self-signed certificate)"
    echo "    GET /api/whoami, sent with a forged X-Forwarded-For: 203.0.113.1. The app saw:"
    for key in client_ip scheme host request_id served_by; do
      printf '      %-11s %s\n' "$key" "$(field "$key" <<<"$whoami")"
    done
    echo "      (the client is this machine, not the forged address; every hop logged the request id)"
    echo "    HEAD /static/style.css, served by nginx:"
    front -I "https://$name/static/style.css" | grep -iE '^(HTTP|cache-control|content-type|strict-transport)' \
      | sed 's/^/      /'
    if [[ "$topology" == split ]]; then
      echo "    GET /index.php: answered by PHP $(front "https://$name/index.php" | field php_version) through Apache"
    fi
    echo
    echo "==> try it:  curl -k --resolve $name:443:$ip https://$name/api/health"
    echo "==> when done: make demo-destroy (the container), make demo-clean (everything the demo added)"
    ;;
  down)
    molecule_quiet destroy -s demo >>"$log"
    echo "demo: container webstack-demo and its network removed"
    ;;
  clean)
    molecule_quiet destroy -s demo >>"$log"
    mapfile -t images < <(docker image ls --format '{{.Repository}}:{{.Tag}}' webstack-tiers/debian)
    # An image that other test containers still run stays (docker refuses), and is named below.
    removed=() kept=()
    for image in "${images[@]}"; do
      if docker image rm "$image" >>"$log" 2>&1; then removed+=("$image"); else kept+=("$image"); fi
    done
    rm -rf "$cache"
    [[ -d /var/cache/apt-cacher-ng ]] && find /var/cache/apt-cacher-ng -mindepth 1 -delete
    rm -f "$log"
    echo "demo: removed the demo container and network, the test images (${removed[*]:-none}), the pip cache"
    echo "      ($cache), the packages apt-cacher-ng kept, and $log."
    ((${#kept[@]} == 0)) || echo "      Kept, because containers still use them: ${kept[*]}"
    echo "      Left as they were: the Debian packages the bootstrap installed and their services (see README,"
    echo "      Prerequisites) and the virtualenv .venv (make clean removes it)."
    ;;
  *) echo "usage: $0 up [chained|split] | down | clean" >&2; exit 2 ;;
esac
