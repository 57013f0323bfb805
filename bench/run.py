#!/usr/bin/env python3
"""`make bench`: provision the stacks on fresh containers with the site playbook, load them with wrk,
then print the figures and write them as JSON, Markdown and a PNG chart.

Figures on a shared machine drift by 25 % or more from run to run, so every stack figure is also given as
a ratio to Uvicorn measured directly in the same run, and repetitions of all cases are interleaved.
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import load
import report

ROOT = Path(__file__).resolve().parent.parent
SERVER_NAME = "bench.webstack.test"
# Inventories under bench/inventories/, provisioned in this order.
STACKS = {
    "chained": {"hosts": ["bench-chained"], "front": "bench-chained",
                "about": "chained on one host: nginx -> Apache on loopback -> Uvicorn on a UNIX socket"},
    "split": {"hosts": ["bench-split"], "front": "bench-split",
              "about": "split on one host: nginx -> Uvicorn on a UNIX socket for /api/, Apache for PHP"},
    "chained-3": {"hosts": ["bench-edge", "bench-mid", "bench-app"], "front": "bench-edge",
                  "about": "chained on three hosts, every hop over TCP"},
    # What more sites cost a run: chained on one host, as `chained`, serving three sites (provisioning only).
    "sites-3": {"hosts": ["bench-sites"], "front": "bench-sites",
                "about": "chained on one host serving three sites (webstack_sites), timed but not loaded"},
    # Variants of the stacks above, to show what one setting is worth; provisioned once, not timed.
    "plain": {"hosts": ["bench-plain"], "front": "bench-plain", "variant": True,
              "about": "chained on one host with plain settings: no upstream keep-alive, Apache's stock keep-alive"},
    "split-ncpu": {"hosts": ["bench-split-ncpu"], "front": "bench-split-ncpu", "variant": True,
                   "about": "split on one host with one nginx worker per CPU, where the role's auto starts "
                            "CPUs / (1 + the tiers beside it)"},
    "chained-3-open": {"hosts": ["bench-open-edge", "bench-open-mid", "bench-open-app"], "front": "bench-open-edge",
                       "variant": True, "about": "chained-3 with the firewall off (webstack_firewall: false)"},
    # Not loaded by wrk: the deploy and rollback playbooks move its two app servers while a client waits.
    "deploy-2": {"hosts": ["bench-roll-edge", "bench-roll-app1", "bench-roll-app2"], "front": "bench-roll-edge",
                 "variant": True, "about": "nginx and Apache on one host, two app servers over TCP: a rolling deploy"},
}
# Uvicorn measured without a proxy: the app server of chained-3, on TCP.
DIRECT_HOST = "bench-app"
ENDPOINTS = {"tiny": "/api/health", "payload": "/api/payload"}
RECAP = re.compile(r"^(\S+)\s*: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)


def say(text):
    print(f"==> {text}", flush=True)


def sh(*cmd, **kwargs):
    return subprocess.run(cmd, cwd=ROOT, check=True, text=True, **kwargs)


def container_ip(name):
    return sh("docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name,
              capture_output=True).stdout.strip()


def playbook(stack):
    """One site playbook run; returns wall seconds, tasks run, and changed/failed counts over all hosts."""
    # profile_roles prints only its summary at the end: seconds per role (report.tier_breakdown).
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_roles", PROFILE_ROLES_SUMMARY_ONLY="true")
    # The CPU it took: the controller's (ansible-playbook, its workers and their docker execs), the hosts'
    # (every process in the stack's containers) and the whole machine's, which they share.
    containers = load.container_ids(STACKS[stack]["hosts"])
    controller, hosts, machine_busy = load.children_cpu(), load.containers_cpu(containers), load.host_cpu()[0]
    start = time.monotonic()
    run = subprocess.run(["ansible-playbook", "-i", f"bench/inventories/{stack}", "playbooks/site.yml"],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    controller = load.children_cpu() - controller
    hosts = load.containers_cpu(containers) - hosts
    machine_busy = load.host_cpu()[0] - machine_busy
    if run.returncode:
        sys.exit(f"bench: the site playbook failed on stack {stack}:\n{run.stdout[-4000:]}{run.stderr[-2000:]}")
    recap = RECAP.findall(run.stdout)
    tiers = report.tier_breakdown(run.stdout)
    return {
        "seconds": round(seconds, 1),
        "tasks": sum(part["tasks"] for part in tiers.values()),
        "changed": sum(int(r[2]) for r in recap),
        "failed": sum(int(r[4]) for r in recap),
        "tiers": tiers,
        "cpu_s": {"controller": round(controller / 1e6, 1), "hosts": round(hosts / 1e6, 1),
                  "machine_busy_pct": round(100 * machine_busy / (seconds * 1e6 * os.cpu_count()))},
    }


def provision(reruns, stacks):
    """First converge of each stack on fresh containers, then `reruns` idempotent runs."""
    results = {}
    for stack in stacks:
        spec = STACKS[stack]
        say(f"provisioning {stack}: first converge")
        first = playbook(stack)
        if spec.get("variant"):
            continue
        runs = []
        for i in range(reruns):
            say(f"provisioning {stack}: idempotent run {i + 1}/{reruns}")
            runs.append(playbook(stack))
        results[stack] = {
            "hosts": len(STACKS[stack]["hosts"]),
            "first": first,
            "reruns": runs,
            "rerun_median_s": statistics.median(r["seconds"] for r in runs),
            "rerun_changed": max(r["changed"] for r in runs),
        }
        say(f"{stack}: first {first['seconds']} s ({first['tasks']} tasks), "
            f"re-run {results[stack]['rerun_median_s']} s (changed={results[stack]['rerun_changed']})")
    return results


def cases(ip, connections):
    """The load cases: (name, url, connections, threads, baseline case for the ratio)."""
    direct = f"http://{ip[DIRECT_HOST]}:8000"
    front = {stack: f"https://{ip[spec['front']]}" for stack, spec in STACKS.items()}
    listed = []
    for endpoint, path in ENDPOINTS.items():
        listed.append((f"direct {endpoint}", direct + path, connections, 2, f"direct {endpoint}"))
        for stack in ("split", "chained", "chained-3", "plain"):
            listed.append((f"{stack} {endpoint}", front[stack] + path, connections, 2, f"direct {endpoint}"))
    listed.append(("split-ncpu tiny", front["split-ncpu"] + ENDPOINTS["tiny"], connections, 2, "direct tiny"))
    listed.append(("chained-3-open tiny", front["chained-3-open"] + ENDPOINTS["tiny"], connections, 2, "direct tiny"))
    listed.append(("static file", front["split"] + "/static/style.css", connections, 2, "direct tiny"))
    listed.append(("php page", front["split"] + "/index.php", connections, 2, "direct tiny"))
    for stack in ("direct", "split", "split-ncpu", "chained", "chained-3", "plain"):
        url = (direct if stack == "direct" else front[stack]) + ENDPOINTS["tiny"]
        listed.append((f"{stack} tiny 1c", url, 1, 1, "direct tiny 1c"))
    return [dict(zip(("name", "url", "connections", "threads", "baseline"), c)) for c in listed]


def measure(all_cases, containers, seconds, warmup, reps):
    """Warm every case up, then run all cases `reps` times, one repetition of each case after another."""
    for case in all_cases:
        say(f"warm-up {warmup} s: {case['name']}")
        load.wrk(case["url"], warmup, case["connections"], case["threads"], SERVER_NAME)
    runs = {case["name"]: [] for case in all_cases}
    for rep in range(reps):
        for case in all_cases:
            result = load.profiled_wrk(case["url"], seconds, case["connections"], case["threads"],
                                       SERVER_NAME, containers)
            runs[case["name"]].append(result)
            rps = result["requests"] * 1e6 / result["duration_us"]
            errors = sum(result["errors"].values())
            say(f"rep {rep + 1}/{reps} {case['name']:<18} {rps:9.0f} req/s  p50 {result['latency_us']['p50']} us"
                + (f"  ERRORS {errors}" if errors else ""))
    return runs


def rolling_deploy(front_ip):
    """Stack deploy-2 goes to a new release with the deploy playbook and back with the rollback playbook, while
    a client keeps four keep-alive connections busy on the front door: wall time, answers, failed answers and
    the longest time without a good answer, per run."""
    os.environ.setdefault("MOLECULE_PROJECT_DIRECTORY", str(ROOT))
    sys.path.insert(0, str(ROOT / "molecule" / "shared"))
    from webstack_testlib import FrontDoorLoad

    app = Path(tempfile.mkdtemp(prefix="webstack-bench-app-"))
    shutil.copytree(ROOT / "roles/uvicorn/files/sample_app/webstack_sample", app / "webstack_sample",
                    ignore=shutil.ignore_patterns("__pycache__"))
    init = app / "webstack_sample" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "1.0.0"', '__version__ = "2.0.0-bench"'))
    figures = {}
    try:
        for name, play, extra in (
                ("deploy", "deploy.yml", {"uvicorn_app_source": "directory", "uvicorn_app_directory": str(app)}),
                ("rollback", "rollback.yml", {})):
            say(f"rolling {name} on deploy-2, under load")
            with FrontDoorLoad(front_ip, SERVER_NAME, ENDPOINTS["tiny"]) as client:
                time.sleep(1)
                start = time.monotonic()
                run = subprocess.run(["ansible-playbook", "-i", "bench/inventories/deploy-2", f"playbooks/{play}",
                                      "-e", json.dumps(extra)], cwd=ROOT, capture_output=True, text=True)
                seconds = time.monotonic() - start
                time.sleep(1)
            if run.returncode:
                sys.exit(f"bench: the {name} playbook failed on deploy-2:\n{run.stdout[-4000:]}{run.stderr[-2000:]}")
            figures[name] = {"hosts": 2, "seconds": round(seconds, 1), "answers": len(client.answers),
                             "failed": len(client.failures()), "longest_gap_s": round(client.longest_gap(), 3)}
            say(f"{name}: {figures[name]}")
    finally:
        shutil.rmtree(app)
    return figures


def machine(containers):
    def first_line(*cmd):
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            return (run.stdout or run.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "unknown"

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    os_name = next((line.split("=", 1)[1].strip('"') for line in Path("/etc/os-release").read_text().splitlines()
                    if line.startswith("PRETTY_NAME=")), platform.system())
    front = STACKS["split"]["front"]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 2**20, 1),
        "os": os_name,
        "kernel": platform.release(),
        "docker": first_line("docker", "version", "-f", "{{.Server.Version}}"),
        "wrk": first_line("wrk", "--version"),
        "ansible": first_line("ansible-playbook", "--version"),
        "container_debian": os.environ.get("WEBSTACK_DEBIAN", "bookworm"),
        "nginx": first_line("docker", "exec", front, "nginx", "-v"),
        "apache": first_line("docker", "exec", front, "apache2", "-v"),
        "uvicorn": first_line("docker", "exec", DIRECT_HOST, "/opt/webstack-app/current/venv/bin/uvicorn", "--version"),
        "containers": sorted(containers),
    }


def provision_only(stacks, reruns, out, keep):
    """Fresh containers, then the site playbook's first and idempotent runs on the stacks named."""
    say("fresh containers (molecule scenario bench)")
    sh("molecule", "destroy", "-s", "bench", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sh("molecule", "create", "-s", "bench")
    sh("molecule", "prepare", "-s", "bench")
    results = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "reruns": reruns,
               "ansible": subprocess.run(["ansible-playbook", "--version"], capture_output=True,
                                         text=True).stdout.splitlines()[0],
               "provisioning": provision(reruns, stacks)}
    if "deploy-2" in stacks:
        results["deploy"] = rolling_deploy(container_ip(STACKS["deploy-2"]["front"]))
    out.mkdir(parents=True, exist_ok=True)
    (out / "provisioning.json").write_text(json.dumps(results, indent=2) + "\n")
    if results["provisioning"]:
        print("\n".join(report.provisioning_tables(results["provisioning"], os.cpu_count())))
    if results.get("deploy"):
        print()
        print("\n".join(report.deploy_table(results["deploy"])))
    if {"chained", "sites-3"} <= set(stacks):
        p = results["provisioning"]
        print(f"\nre-run of three sites vs one: {p['sites-3']['rerun_median_s'] / p['chained']['rerun_median_s']:.2f}x")
    say(f"wrote {out}/provisioning.json")
    if not keep:
        sh("molecule", "destroy", "-s", "bench", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured wrk run (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds per case (default 3)")
    parser.add_argument("--reps", type=int, default=3, help="interleaved repetitions of every case (default 3)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections under load (default 64)")
    parser.add_argument("--reruns", type=int, default=3, help="idempotent site runs per stack (default 3)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="where results go")
    parser.add_argument("--reuse", action="store_true",
                        help="keep converged containers from a previous --keep run (no provisioning figures)")
    parser.add_argument("--keep", action="store_true", help="leave the containers running afterwards")
    parser.add_argument("--provisioning-only", metavar="STACKS",
                        help="only time the site playbook on these stacks (comma-separated, e.g. chained,sites-3): "
                             "no load; figures to provisioning.json")
    args = parser.parse_args()
    if args.reps < 3:
        parser.error("--reps must be at least 3: a median of fewer says little")
    for tool in ("wrk", "docker", "molecule", "ansible-playbook"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is not on PATH; run `make setup` (it installs wrk) and use `make bench`")

    started = time.time()
    if args.provisioning_only:
        stacks = args.provisioning_only.split(",")
        unknown = sorted(set(stacks) - set(STACKS))
        if unknown:
            parser.error(f"--provisioning-only: no stack {', '.join(unknown)}; there are {', '.join(STACKS)}")
        provision_only(stacks, args.reruns, args.out, args.keep)
        return
    provisioning = None
    if not args.reuse:
        say("fresh containers (molecule scenario bench)")
        sh("molecule", "destroy", "-s", "bench", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sh("molecule", "create", "-s", "bench")
        sh("molecule", "prepare", "-s", "bench")
        provisioning = provision(args.reruns, list(STACKS))
    names = sorted({h for spec in STACKS.values() for h in spec["hosts"]})
    containers = load.container_ids(names)
    ip = {name: container_ip(name) for name in names}
    all_cases = cases(ip, args.connections)
    runs = measure(all_cases, containers, args.seconds, args.warmup, args.reps)
    deploy = rolling_deploy(ip[STACKS["deploy-2"]["front"]])
    results = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)),
        "minutes": None,
        "settings": {"seconds": args.seconds, "warmup": args.warmup, "reps": args.reps,
                     "connections": args.connections, "reruns": args.reruns},
        "machine": machine(containers),
        "stacks": {name: spec["about"] for name, spec in STACKS.items()},
        "provisioning": provisioning,
        "cases": report.summarise(all_cases, runs),
        "deploy": deploy,
    }
    results["targets"] = report.targets(results)
    results["budgets"] = report.budgets(results)
    results["minutes"] = round((time.time() - started) / 60, 1)
    report.write(results, args.out)
    print()
    print(report.markdown(results))
    say(f"wrote {args.out}/bench.json, bench.md and bench.png in {results['minutes']} min")
    if not args.keep:
        sh("molecule", "destroy", "-s", "bench", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
