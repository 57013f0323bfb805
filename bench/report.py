"""Medians, ratios and targets of a bench run, and the same as JSON, a Markdown table and a PNG chart."""

import json
import re
import statistics
import sys
from pathlib import Path

# Parts of the CPU profile, in the order the table and chart show them.
PARTS = ["nginx", "apache", "uvicorn", "php-fpm", "other", "wrk", "kernel softirq", "rest"]
# The floors of the two front doors against direct Uvicorn (tiny): targets() checks them, the chart draws them.
SPLIT_FLOOR, CHAINED_FLOOR = 0.82, 0.50
# The issue's other throughput floors: chained on three hosts and the static file against direct Uvicorn,
# chained with the roles' defaults against plain settings.
CHAINED_3_FLOOR, STATIC_FLOOR, TUNED_FLOOR = 0.42, 6.0, 1.5
# Each throughput floor as (case, the case it is a multiple of, floor): budgets() works out what it asks.
THROUGHPUT_FLOORS = [("split tiny", "direct tiny", SPLIT_FLOOR), ("chained tiny", "direct tiny", CHAINED_FLOOR),
                     ("chained-3 tiny", "direct tiny", CHAINED_3_FLOOR), ("static file", "direct tiny", STATIC_FLOOR),
                     ("chained tiny", "plain tiny", TUNED_FLOOR)]
# The parts of the profile that are a proxy's own work.
PROXIES = ("nginx", "apache")


def _rps(run):
    return run["requests"] * 1e6 / run["duration_us"]


def summarise(cases, runs):
    """Per case: medians over the repetitions, and the median of the per-repetition ratios to its baseline
    (the baseline's run in the same repetition, seconds apart)."""
    summary = {}
    for case in cases:
        own, base = runs[case["name"]], runs[case["baseline"]]
        profile = {part: statistics.median(r["cpu_us_per_request"].get(part, 0) for r in own) for part in PARTS}
        summary[case["name"]] = {
            "url": case["url"],
            "connections": case["connections"],
            "baseline": case["baseline"],
            "rps": round(statistics.median(_rps(r) for r in own)),
            "rps_runs": [round(_rps(r)) for r in own],
            "ratio": round(statistics.median(_rps(r) / _rps(b) for r, b in zip(own, base)), 3),
            "latency_us": {q: statistics.median(r["latency_us"][q] for r in own) for q in ("p50", "p90", "p99")},
            "bytes_per_request": round(statistics.median(r["bytes"] / max(r["requests"], 1) for r in own)),
            "errors": sum(sum(r["errors"].values()) for r in own),
            "cpu_busy_pct": statistics.median(r["cpu_busy_pct"] for r in own),
            "cpu_us_per_request": {part: round(v, 1) for part, v in profile.items() if v >= 0.5},
        }
    return summary


def _paired_ratio(cases, name, other):
    """Median over repetitions of name's req/s over other's, both taken in the same repetition."""
    return round(statistics.median(a / b for a, b in zip(cases[name]["rps_runs"], cases[other]["rps_runs"])), 3)


def targets(results):
    """Each figure against its floor, the figure a change must reach, and the issue's goal beyond it where it
    names one."""
    cases = results["cases"]

    def p50(name):
        return cases[name]["latency_us"]["p50"]

    def cpu(name, part):
        return cases[name]["cpu_us_per_request"].get(part, 0)

    # (target, measured, op, floor, goal or None, unit)
    listed = [
        ("split /api/ req/s vs direct Uvicorn (tiny)", cases["split tiny"]["ratio"], ">=", SPLIT_FLOOR, 0.85, "x"),
        ("chained req/s vs direct Uvicorn (tiny)", cases["chained tiny"]["ratio"], ">=", CHAINED_FLOOR, 0.60, "x"),
        ("chained-3 req/s vs direct Uvicorn (tiny)", cases["chained-3 tiny"]["ratio"], ">=", CHAINED_3_FLOOR, None,
         "x"),
        ("chained with the roles' defaults vs plain settings", _paired_ratio(cases, "chained tiny", "plain tiny"),
         ">=", TUNED_FLOOR, None, "x"),
        ("p50 latency added by nginx (1 connection)", (p50("split tiny 1c") - p50("direct tiny 1c")) / 1000,
         "<=", 0.1, None, "ms"),
        ("p50 latency added by Apache (1 connection)", (p50("chained tiny 1c") - p50("split tiny 1c")) / 1000,
         "<=", 0.3, None, "ms"),
        ("static file req/s vs the app's (direct Uvicorn, tiny)", cases["static file"]["ratio"], ">=", STATIC_FLOOR,
         8.0, "x"),
        ("Apache's CPU per proxied request (chained tiny)", cpu("chained tiny", "apache"), "<=", 70, None, "µs"),
        ("Uvicorn's CPU per request behind Apache vs behind nginx (chained vs split, tiny)",
         cpu("chained tiny", "uvicorn") / max(cpu("split tiny", "uvicorn"), 1), "<=", 1.0, None, "x"),
    ]
    if "chained-3-open tiny" in cases:
        listed.append(("chained-3 with the firewall vs without (tiny)",
                       _paired_ratio(cases, "chained-3 tiny", "chained-3-open tiny"), ">=", 0.98, None, "x"))
    provisioning = results["provisioning"]
    if provisioning:
        listed.append(("first converge of chained on three hosts",
                       provisioning["chained-3"]["first"]["seconds"], "<=", 45, None, "s"))
        listed.append(("idempotent re-run of chained on three hosts",
                       provisioning["chained-3"]["rerun_median_s"], "<=", 20, None, "s"))
        listed.append(("idempotent re-run of three sites vs one (chained, one host)",
                       provisioning["sites-3"]["rerun_median_s"] / provisioning["chained"]["rerun_median_s"],
                       "<=", 1.3, None, "x"))
    return [{"target": name, "measured": round(value, 3), "unit": unit,
             "goal": f"{op} {floor} {unit}" + (f" (goal {goal})" if goal is not None else ""),
             "holds": value >= floor if op == ">=" else value <= floor}
            for name, value, op, floor, goal, unit in listed]


def budgets(results):
    """What each throughput floor asks of the CPU per request. With every core busy, a case serves about
    cores / its CPU per request, so a floor of r times another case allows that case's CPU per request / r.
    Per floor: the ratio measured, the ratio the profile alone gives (the other case's CPU per request over
    this one's, to show the model holds), the CPU per request now and at the floor, what would have to go,
    and how much of it the proxies spend now."""
    cases = results["cases"]

    def total(name):
        return sum(cases[name]["cpu_us_per_request"].values())

    rows = []
    for name, other, floor in THROUGHPUT_FLOORS:
        if name not in cases or other not in cases:
            continue
        now, allowed = total(name), total(other) / floor
        rows.append({"case": name, "of": other, "floor": floor,
                     "measured": cases[name]["ratio"] if other == cases[name]["baseline"]
                     else _paired_ratio(cases, name, other),
                     "profile_ratio": round(total(other) / now, 3), "cpu_busy_pct": cases[name]["cpu_busy_pct"],
                     "cpu_us": round(now, 1), "cpu_us_at_floor": round(allowed, 1),
                     "to_cut_us": round(max(now - allowed, 0), 1),
                     "proxies_us": round(sum(cases[name]["cpu_us_per_request"].get(p, 0) for p in PROXIES), 1)})
    return rows


def budget_table(budgets):
    """budgets() as Markdown table lines."""
    lines = ["| floor | measured | from the profile | CPU µs per request | at the floor | to cut | proxies now |",
             "|---|--:|--:|--:|--:|--:|--:|"]
    for b in budgets:
        lines.append(f"| {b['case']} >= {b['floor']:g} x {b['of']} | {b['measured']:.2f} | {b['profile_ratio']:.2f} "
                     f"| {b['cpu_us']:.0f} | {b['cpu_us_at_floor']:.0f} | {b['to_cut_us']:.0f} | "
                     f"{b['proxies_us']:.0f} |")
    return lines


# The site playbook's parts: the plan (tasks outside the roles), then the tiers in the order they run.
TIERS = ["plan", "firewall", "uvicorn", "apache", "nginx"]
_TASK = re.compile(r"^TASK \[(?:webstack\.tiers\.(\w+) : )?", re.M)
# A line of ansible.posix.profile_roles' summary: "<role, or the action of a task outside a role> ---- 1.23s".
_ROLE_TIME = re.compile(r"^(\S+) -+ (\d+(?:\.\d+)?)s$", re.M)


def tier_breakdown(output):
    """Tasks and seconds per part of a site playbook run, from its output with the profile_roles callback
    (summary only). The plan's checks of each role (the role's preflight) count with the role; a role's
    handlers count in its seconds but not in its tasks, as in the run's own task count."""
    parts = {tier: {"tasks": 0, "seconds": 0.0} for tier in TIERS}
    for role in _TASK.findall(output):
        parts[role if role in parts else "plan"]["tasks"] += 1
    summary = output[output.rfind("ROLES RECAP"):] if "ROLES RECAP" in output else ""
    for name, seconds in _ROLE_TIME.findall(summary):
        if name == "total":
            continue
        role = name.removeprefix("webstack.tiers.")
        parts[role if role in parts else "plan"]["seconds"] += float(seconds)
    return {tier: {"tasks": p["tasks"], "seconds": round(p["seconds"], 1)} for tier, p in parts.items()}


def tier_table(provisioning):
    """The first converge and the median re-run of each stack by part, as Markdown table lines."""
    lines = ["| run by part | " + " | ".join(TIERS) + " |", "|---|" + "--:|" * len(TIERS)]
    for stack, p in provisioning.items():
        median = sorted(p["reruns"], key=lambda r: r["seconds"])[(len(p["reruns"]) - 1) // 2]
        for run, which in ((p.get("first", {}), "first converge"), (median, "re-run (median)")):
            if "tiers" in run:
                cells = [f"{run['tiers'][t]['seconds']} s, {run['tiers'][t]['tasks']} tasks" for t in TIERS]
                lines.append(f"| {stack}, {which} | " + " | ".join(cells) + " |")
    return lines


def cpu_table(provisioning, cores):
    """The CPU of each stack's first converge and median re-run, beside the machine's, as Markdown table lines.
    Runs measured before the bench counted CPU have none and give no row."""
    lines = ["| CPU of a run | wall time s | controller CPU s | hosts' CPU s | machine busy |",
             "|---|--:|--:|--:|--:|"]
    for stack, p in provisioning.items():
        median = sorted(p["reruns"], key=lambda r: r["seconds"])[(len(p["reruns"]) - 1) // 2]
        for run, which in ((p.get("first", {}), "first converge"), (median, "re-run (median)")):
            if "cpu_s" in run:
                cpu = run["cpu_s"]
                lines.append(f"| {stack}, {which} | {run['seconds']} | {cpu['controller']} | {cpu['hosts']} | "
                             f"{cpu['machine_busy_pct']} % of {cores} cores |")
    return lines if len(lines) > 2 else []


def provisioning_tables(provisioning, cores):
    """Every provisioning table, with a blank line before each."""
    tables = [provisioning_table(provisioning), tier_table(provisioning), cpu_table(provisioning, cores)]
    return [line for table in tables if table for line in ["", *table]]


def provisioning_table(provisioning):
    """The provisioning figures as Markdown table lines."""
    lines = ["| provisioning | hosts | first converge s | tasks | re-run s (median) | tasks | changed on re-run |",
             "|---|--:|--:|--:|--:|--:|--:|"]
    for stack, p in provisioning.items():
        lines.append(f"| {stack} | {p['hosts']} | {p['first']['seconds']} | {p['first']['tasks']} | "
                     f"{p['rerun_median_s']} | {p['reruns'][0]['tasks']} | {p['rerun_changed']} |")
    return lines


def deploy_table(deploy):
    """The rolling deploy's figures (bench/run.py rolling_deploy) as a Markdown table."""
    return ["| run on deploy-2, under load | hosts | wall time s | answers | failed | longest gap s |",
            "|---|--:|--:|--:|--:|--:|"] + [
        f"| {name} | {d['hosts']} | {d['seconds']} | {d['answers']} | {d['failed']} | {d['longest_gap_s']:.3f} |"
        for name, d in deploy.items()]


def markdown(results):
    m, cases = results["machine"], results["cases"]
    s = results["settings"]
    lines = [
        f"Run {results['started']} on {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, {m['os']}, "
        f"kernel {m['kernel']}, Docker {m['docker']}; containers: Debian {m['container_debian']}, "
        f"{m['nginx']}, {m['apache']}, {m['uvicorn']}. Load: {m['wrk']}, on the same cores.",
        f"wrk: {s['seconds']} s per run after a {s['warmup']} s warm-up, median of {s['reps']} interleaved "
        f"repetitions; {s['connections']} connections (2 threads) or 1 connection (\"1c\").",
        "",
        "- **direct**: Uvicorn of chained-3's app host, over TCP, no proxy",
        *(f"- **{name}**: {about}" for name, about in results.get("stacks", {}).items()),
        "- **tiny** is `/api/health`, **payload** `/api/payload` (about 6 KB of JSON)",
        "",
        "| case | req/s | x direct | p50 ms | p99 ms | CPU µs per request (where the time goes) |",
        "|---|--:|--:|--:|--:|---|",
    ]
    for name, c in cases.items():
        profile = ", ".join(f"{part} {us:.0f}" for part, us in c["cpu_us_per_request"].items())
        errors = f" **{c['errors']} errors**" if c["errors"] else ""
        lines.append(f"| {name}{errors} | {c['rps']} | {c['ratio']:.2f} | {c['latency_us']['p50'] / 1000:.2f} "
                     f"| {c['latency_us']['p99'] / 1000:.2f} | {profile} |")
    if results["provisioning"]:
        lines += provisioning_tables(results["provisioning"], m["cores"])
    if results.get("deploy"):
        lines += [""] + deploy_table(results["deploy"])
    lines += ["", "| target | goal | measured | holds |", "|---|---|--:|---|"]
    for t in results["targets"]:
        lines.append(f"| {t['target']} | {t['goal']} | {t['measured']} {t['unit']} | "
                     f"{'yes' if t['holds'] else '**no**'} |")
    if results.get("budgets"):
        lines += [""] + budget_table(results["budgets"])
    return "\n".join(lines) + "\n"


def chart(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    cases = results["cases"]
    stacks = ["direct", "split", "split-ncpu", "chained", "chained-3", "plain"]
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(17, 5.2), gridspec_kw={"width_ratios": [5, 3, 5]})

    width = 0.38
    for offset, endpoint in ((-width / 2, "tiny"), (width / 2, "payload")):
        shown = [(i, cases[f"{s} {endpoint}"]["ratio"]) for i, s in enumerate(stacks) if f"{s} {endpoint}" in cases]
        label = {"tiny": "/api/health", "payload": "/api/payload"}[endpoint]
        ax1.bar([i + offset for i, _ in shown], [ratio for _, ratio in shown], width, label=label)
    ax1.bar([len(stacks)], [cases["static file"]["ratio"]], width, color="tab:green", label="static file")
    ax1.bar([len(stacks) + 1], [cases["php page"]["ratio"]], width, color="tab:purple", label="PHP page")
    ax1.axhline(SPLIT_FLOOR, color="grey", linestyle="--", linewidth=0.8)
    ax1.axhline(CHAINED_FLOOR, color="grey", linestyle=":", linewidth=0.8)
    ax1.set_xticks(range(len(stacks) + 2), stacks + ["static", "php"])
    ax1.set_yscale("log")
    plain_numbers = matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}")
    ax1.yaxis.set_major_formatter(plain_numbers)
    ax1.yaxis.set_minor_formatter(plain_numbers)
    ax1.set_ylabel("req/s as a multiple of direct Uvicorn (log)")
    ax1.set_title(f"Throughput, {results['settings']['connections']} connections")
    ax1.legend(fontsize=8)

    p50 = [cases[f"{s} tiny 1c"]["latency_us"]["p50"] / 1000 for s in stacks]
    ax2.bar(stacks, p50, color="tab:orange")
    ax2.set_ylabel("p50 latency, ms")
    ax2.set_title("Unloaded latency, 1 connection")
    ax2.tick_params(axis="x", labelrotation=30)

    shown = [f"{s} tiny" for s in stacks] + ["static file", "php page"]
    bottom = [0.0] * len(shown)
    for part in [p for p in PARTS if any(cases[n]["cpu_us_per_request"].get(p) for n in shown)]:
        values = [cases[n]["cpu_us_per_request"].get(part, 0) for n in shown]
        ax3.bar([n.replace(" tiny", "") for n in shown], values, bottom=bottom, label=part)
        bottom = [b + v for b, v in zip(bottom, values)]
    ax3.set_ylabel("CPU µs per request")
    ax3.set_title("Where the time goes (tiny endpoint under load)")
    ax3.tick_params(axis="x", labelrotation=30)
    ax3.legend(fontsize=8)

    fig.suptitle(f"webstack.tiers bench, {results['started']}, {results['machine']['cores']} cores")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write(results, out):
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "bench.md").write_text(markdown(results))
    chart(results, out / "bench.png")


if __name__ == "__main__":
    # Renders a run's bench.json again with this report (its targets and budgets worked out anew):
    # python bench/report.py bench/results
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results")
    saved = json.loads((directory / "bench.json").read_text())
    saved["targets"], saved["budgets"] = targets(saved), budgets(saved)
    write(saved, directory)
    print(markdown(saved))
