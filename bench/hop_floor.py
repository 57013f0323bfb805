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
import statistics
import subprocess
import sys
from pathlib import Path

import load
from run import DIRECT_HOST, ENDPOINTS, SERVER_NAME, container_ip

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
    parser.add_argument("--reps", type=int, default=5, help="interleaved repetitions (default 5)")
    parser.add_argument("--out", type=Path, default=Path("bench/results"), help="where hop-floor.json goes")
    args = parser.parse_args()
    split, direct = container_ip(HOST), container_ip(DIRECT_HOST)
    path = ENDPOINTS["tiny"]
    cases = {
        "direct": (f"http://{direct}:8000{path}", DIRECT_HOST),
        "split, the role's edge": (f"https://{split}{path}", HOST),
        "bare nginx, TLS": (f"https://{split}:8444{path}", HOST),
        "bare nginx, plain HTTP": (f"http://{split}:8081{path}", HOST),
    }
    in_split(f"cat > {BARE_CONF} && nginx -t -q && systemctl reload nginx", stdin=BARE)
    runs = {name: [] for name in cases}
    try:
        for rep in range(args.reps):
            for name, (url, host) in cases.items():
                load.wrk(url, 2, 64, 2, SERVER_NAME)
                result = load.profiled_wrk(url, args.seconds, 64, 2, SERVER_NAME, load.container_ids([host]))
                if sum(result["errors"].values()):
                    sys.exit(f"hop_floor: {name} had errors: {result['errors']}")
                runs[name].append(result)
                print(f"==> {rep + 1}/{args.reps} {name}: {rate(result):.0f} req/s", flush=True)
    finally:
        in_split(f"rm -f {BARE_CONF} && systemctl reload nginx")
    summary = {}
    for name, results in runs.items():
        ratios = [rate(r) / rate(d) for r, d in zip(results, runs["direct"])]
        parts = {part for r in results for part in r["cpu_us_per_request"]}
        profile = {part: statistics.median(r["cpu_us_per_request"].get(part, 0) for r in results) for part in parts}
        summary[name] = {"url": cases[name][0], "rps": round(statistics.median(map(rate, results))),
                         "ratio": round(statistics.median(ratios), 3),
                         "ratio_range": [round(min(ratios), 3), round(max(ratios), 3)],
                         "cpu_us_per_request": {p: round(us, 1) for p, us in sorted(profile.items()) if us >= 1}}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hop-floor.json").write_text(json.dumps({"settings": vars(args) | {"out": str(args.out)},
                                                         "cases": summary, "runs": runs}, indent=2) + "\n")
    print("\n| case, tiny | req/s | x direct (range) | CPU µs per request |\n|---|--:|--:|---|")
    for name, s in summary.items():
        profile = ", ".join(f"{part} {us:.0f}" for part, us in s["cpu_us_per_request"].items())
        low, high = s["ratio_range"]
        print(f"| {name} | {s['rps']} | {s['ratio']:.2f} ({low:.2f}-{high:.2f}) | {profile} |")
    print(f"==> wrote {args.out}/hop-floor.json")


def rate(result):
    return result["requests"] * 1e6 / result["duration_us"]


if __name__ == "__main__":
    main()
