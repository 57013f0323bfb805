#!/usr/bin/env bash
# Throwaway demo: containers provisioned by the site playbook, then one request through the front door.
# usage: tools/demo.sh up [chained|split]  |  tools/demo.sh down
set -euo pipefail
cd "$(dirname "$0")/.."

action="${1:-up}"
topology="${2:-chained}"

if [[ ! -f playbooks/site.yml || ! -f molecule/demo/molecule.yml ]]; then
  echo "demo: not available yet: the site playbook (playbooks/site.yml) and its demo scenario do not exist." >&2
  exit 1
fi

case "$action" in
  up)
    WEBSTACK_TOPOLOGY="$topology" molecule converge -s demo
    WEBSTACK_TOPOLOGY="$topology" molecule verify -s demo
    ;;
  down) molecule destroy -s demo ;;
  *) echo "usage: $0 up [chained|split] | down" >&2; exit 2 ;;
esac
