#!/usr/bin/env python3
"""What an nginx hop costs at the least, against what the role's edge costs: the split floor's question.

Runs on the containers that `bench/run.py --provisioning-only split,chained-3 --keep` leaves. It adds two bare
servers to the nginx of `bench-split` (a throwaway bench container): the same upstream (the app's UNIX socket,
kept alive) and nothing else, no access log, no headers added or hidden, one over TLS with the role's
certificate and one over plain HTTP. Then it loads, interleaved, Uvicorn directly (chained-3's app host, as
`make bench` does), the role's front door and the two bare servers, and prints each as a ratio to direct
Uvicorn in the same repetition, with the CPU profile. The bare servers are removed at the end.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import load
import report
from run import DIRECT_HOST, ENDPOINTS, container_ip, measure

HOST = "bench-split"
BARE_CONF = "/etc/nginx/sites-enabled/zz-webstack-bench-bare"
BARE = """server {
    listen 8081;
    access_log off;
    location / {
        proxy_pass http://webstack_default_app;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
    }
}
server {
    listen 8444 ssl;
    access_log off;
    ssl_certificate /etc/nginx/tls/webstack-default.crt;
    ssl_certificate_key /etc/nginx/tls/webstack-default.key;
    location / {
        proxy_pass http://webstack_default_app;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
    }
}
"""


def in_split(script, stdin=None):
    subprocess.run(["docker", "exec", "-i", HOST, "sh", "-ec", script], input=stdin, text=True, check=True,
                   capture_output=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured wrk run (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds per case (default 3)")
    parser.add_argument("--reps", type=int, default=5, help="interleaved repetitions (default 5)")
    parser.add_argument("--out", type=Path, default=Path("bench/results"), help="where hop-floor.json goes")
    args = parser.parse_args()
    split, direct = container_ip(HOST), container_ip(DIRECT_HOST)
    path = ENDPOINTS["tiny"]
    # As bench/run.py's cases, each a ratio to direct Uvicorn in the same repetition.
    cases = [{"name": name, "url": url, "connections": 64, "threads": 2, "baseline": "direct"} for name, url in (
        ("direct", f"http://{direct}:8000{path}"),
        ("split, the role's edge", f"https://{split}{path}"),
        ("bare nginx, TLS", f"https://{split}:8444{path}"),
        ("bare nginx, plain HTTP", f"http://{split}:8081{path}"),
    )]
    in_split(f"cat > {BARE_CONF} && nginx -t -q && systemctl reload nginx", stdin=BARE)
    try:
        runs = measure(cases, load.container_ids([HOST, DIRECT_HOST]), args.seconds, args.warmup, args.reps)
    finally:
        in_split(f"rm -f {BARE_CONF} && systemctl reload nginx")
    summary = report.summarise(cases, runs)
    failed = {name: s["errors"] for name, s in summary.items() if s["errors"]}
    if failed:
        sys.exit(f"hop_floor: errors under load, by case: {failed}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hop-floor.json").write_text(json.dumps({"settings": vars(args) | {"out": str(args.out)},
                                                         "cases": summary, "runs": runs}, indent=2) + "\n")
    print("\n| case, tiny | req/s | x direct (range) | CPU µs per request |\n|---|--:|--:|---|")
    base = summary["direct"]["rps_runs"]
    for name, s in summary.items():
        ratios = [own / b for own, b in zip(s["rps_runs"], base)]
        profile = ", ".join(f"{part} {us:.0f}" for part, us in s["cpu_us_per_request"].items() if us >= 1)
        print(f"| {name} | {s['rps']} | {s['ratio']:.2f} ({min(ratios):.2f}-{max(ratios):.2f}) | {profile} |")
    print(f"==> wrote {args.out}/hop-floor.json")


if __name__ == "__main__":
    main()
