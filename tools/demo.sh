#!/usr/bin/env bash
# Throwaway demo: one container provisioned by the site playbook, then requests through the front door.
# usage: tools/demo.sh up [chained|split]  |  tools/demo.sh down
set -euo pipefail
cd "$(dirname "$0")/.."

action="${1:-up}"
topology="${2:-chained}"
name=demo.webstack.test

case "$action" in
  up)
    case "$topology" in chained|split) ;; *) echo "demo: TOPOLOGY must be chained or split" >&2; exit 2 ;; esac
    tools/build-image.sh "${WEBSTACK_DEBIAN:-bookworm}"
    WEBSTACK_TOPOLOGY="$topology" molecule converge -s demo
    ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' webstack-demo)
    front() { curl -sk --resolve "$name:443:$ip" "$@"; }
    echo
    echo "==> $topology stack on container webstack-demo ($ip), certificate self-signed for $name"
    echo "==> curl -k https://$name/api/whoami -H 'X-Forwarded-For: 203.0.113.1'   (a forged header)"
    front -H 'X-Forwarded-For: 203.0.113.1' "https://$name/api/whoami" | python3 -m json.tool
    echo "==> curl -k -I https://$name/static/style.css"
    front -I "https://$name/static/style.css"
    if [[ "$topology" == split ]]; then
      echo "==> curl -k https://$name/index.php"
      front "https://$name/index.php" | python3 -m json.tool
    fi
    echo "==> try it:  curl -k --resolve $name:443:$ip https://$name/api/health    (make demo-destroy when done)"
    ;;
  down) molecule destroy -s demo ;;
  *) echo "usage: $0 up [chained|split] | down" >&2; exit 2 ;;
esac
