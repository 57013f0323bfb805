"""bench/report.py: medians, ratios taken within one repetition, and the targets' verdicts."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import report  # noqa: E402


def run(requests, p50_us, nginx_us=0.0, apache_us=0.0):
    return {
        "requests": requests, "duration_us": 1_000_000, "bytes": requests * 100,
        "errors": {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0},
        "latency_us": {"mean": p50_us, "p50": p50_us, "p90": p50_us, "p99": p50_us * 2, "max": p50_us * 3},
        "cpu_busy_pct": 99.0,
        "cpu_us_per_request": {"uvicorn": 100.0 + apache_us / 2, "nginx": nginx_us, "apache": apache_us},
    }


# req/s per repetition; the machine's speed drifts between repetitions. Paired with direct in the same
# repetition, split is 0.85, 0.95 and 0.80 of it (median 0.85); its median over direct's would be 0.80.
RPS = {
    "direct tiny": [10000, 5000, 7000], "split tiny": [8500, 4750, 5600], "chained tiny": [5000, 2500, 5000],
    "chained-3 tiny": [4000, 2000, 2800],
    "plain tiny": [4000, 2000, 4000], "static file": [70000, 35000, 70000],
    "direct tiny 1c": [6000] * 3, "split tiny 1c": [4000] * 3, "chained tiny 1c": [2500] * 3,
}
P50 = {"direct tiny 1c": 150, "split tiny 1c": 230, "chained tiny 1c": 600}
# Apache's CPU per request; behind it, Uvicorn spends half as much again (see run()).
APACHE = {"chained tiny": 80.0, "chained-3 tiny": 60.0}


def summary():
    cases = [{"name": name, "url": "http://x/", "connections": 1 if name.endswith("1c") else 64,
              "baseline": "direct tiny 1c" if name.endswith("1c") else "direct tiny"} for name in RPS]
    runs = {name: [run(rps, P50.get(name, 4000), nginx_us=40.0, apache_us=APACHE.get(name, 0.0)) for rps in series]
            for name, series in RPS.items()}
    return report.summarise(cases, runs)


def test_ratios_compare_runs_of_the_same_repetition():
    cases = summary()
    assert cases["split tiny"]["ratio"] == pytest.approx(0.85)
    assert cases["split tiny"]["rps"] == 5600
    assert cases["chained tiny"]["latency_us"]["p50"] == 4000
    assert cases["chained tiny"]["cpu_us_per_request"] == {"nginx": 40.0, "apache": 80.0, "uvicorn": 140.0}


def test_targets_say_which_hold():
    results = {"cases": summary(), "provisioning": {"chained-3": {"rerun_median_s": 19.5, "first": {"seconds": 50}},
                                                    "chained": {"rerun_median_s": 20.0},
                                                    "sites-3": {"rerun_median_s": 25.0}}}
    verdicts = {t["target"]: t for t in report.targets(results)}
    assert verdicts["split /api/ req/s vs direct Uvicorn (tiny)"]["holds"]
    assert verdicts["split /api/ req/s vs direct Uvicorn (tiny)"]["goal"] == ">= 0.82 x (goal 0.85)"
    assert verdicts["chained req/s vs direct Uvicorn (tiny)"]["holds"]
    assert not verdicts["chained-3 req/s vs direct Uvicorn (tiny)"]["holds"]
    assert verdicts["chained with the roles' defaults vs plain settings"]["measured"] == pytest.approx(1.25)
    assert verdicts["p50 latency added by nginx (1 connection)"]["measured"] == pytest.approx(0.08)
    assert not verdicts["p50 latency added by Apache (1 connection)"]["holds"]
    assert verdicts["static file req/s vs the app's (direct Uvicorn, tiny)"]["holds"]
    assert not verdicts["Apache's CPU per proxied request (chained tiny)"]["holds"]
    behind_apache = verdicts["Uvicorn's CPU per request behind Apache vs behind nginx (chained vs split, tiny)"]
    assert behind_apache["measured"] == pytest.approx(1.4) and not behind_apache["holds"]
    assert verdicts["idempotent re-run of chained on three hosts"]["holds"]
    assert not verdicts["first converge of chained on three hosts"]["holds"]
    three_sites = verdicts["idempotent re-run of three sites vs one (chained, one host)"]
    assert three_sites["measured"] == pytest.approx(1.25) and three_sites["holds"]


MARKDOWN_RESULTS = {
    "started": "now", "settings": {"seconds": 10, "warmup": 3, "reps": 3, "connections": 64},
    "machine": {"cores": 2, "cpu": "cpu", "memory_gib": 24, "os": "Debian", "kernel": "6", "docker": "20",
                "container_debian": "bookworm", "nginx": "nginx", "apache": "apache", "uvicorn": "uvicorn",
                "wrk": "wrk"},
    "provisioning": None,
}


def test_markdown_marks_missed_targets():
    results = {**MARKDOWN_RESULTS, "cases": summary()}
    results["targets"] = report.targets(results)
    text = report.markdown(results)
    assert "| chained-3 req/s vs direct Uvicorn (tiny) | >= 0.42 x | 0.4 x | **no** |" in text
    assert "| chained req/s vs direct Uvicorn (tiny) | >= 0.5 x (goal 0.6) | 0.5 x | yes |" in text
    assert "| split tiny | 5600 | 0.85 |" in text
    assert "idempotent" not in text


def test_budgets_say_what_each_floor_asks_of_the_cpu_per_request():
    cases = summary()
    # direct tiny: uvicorn 100 + nginx 40 = 140 µs; chained tiny: uvicorn 140 + nginx 40 + apache 80 = 260 µs.
    budgets = {(b["case"], b["of"]): b for b in report.budgets({"cases": cases})}
    chained = budgets[("chained tiny", "direct tiny")]
    assert chained["cpu_us"] == 260 and chained["cpu_us_at_floor"] == 280 and chained["to_cut_us"] == 0
    assert chained["profile_ratio"] == pytest.approx(140 / 260, abs=0.001)
    assert chained["proxies_us"] == 120 and chained["measured"] == pytest.approx(0.5)
    chained_3 = budgets[("chained-3 tiny", "direct tiny")]  # apache 60: 130 + 40 + 60 = 230 µs
    assert chained_3["cpu_us_at_floor"] == pytest.approx(140 / 0.42, abs=0.1) and chained_3["to_cut_us"] == 0
    tuned = budgets[("chained tiny", "plain tiny")]  # plain tiny: 140 µs; 1.5 times its rate allows 93.3 µs
    assert tuned["to_cut_us"] == pytest.approx(260 - 140 / 1.5, abs=0.1)
    assert tuned["measured"] == pytest.approx(1.25)
    text = report.markdown({**MARKDOWN_RESULTS, "cases": cases, "targets": [],
                            "budgets": report.budgets({"cases": cases})})
    assert "| chained tiny >= 1.5 x plain tiny | 1.25 | 0.54 | 260 | 93 | 167 | 120 |" in text


# The end of a site playbook run with the profile_roles callback, summary only (its format, shortened).
SITE_RUN = """TASK [Learn the address of each host in this run] ******
TASK [webstack.tiers.nginx : Check ports, names, sizes and timeouts] ******
TASK [webstack.tiers.firewall : Write the rules] ******
TASK [webstack.tiers.uvicorn : Write the socket unit] ******
TASK [webstack.tiers.uvicorn : Write the service unit] ******
TASK [webstack.tiers.apache : Write each site] ******
TASK [webstack.tiers.nginx : Write each site] ******
RUNNING HANDLER [webstack.tiers.nginx : Reload nginx (webstack.tiers)] ******

PLAY RECAP *********************************************************************
bench-chained              : ok=7    changed=0    unreachable=0    failed=0    skipped=0

ROLES RECAP ********************************************************************
Friday 27 November 2026  21:10:28 +0000 (0:00:00.511)       0:00:44.570 *******
===============================================================================
nginx ---------------------------------------------------------------- 14.02s
uvicorn -------------------------------------------------------------- 12.50s
ansible.builtin.setup ------------------------------------------------- 1.00s
apache ---------------------------------------------------------------- 9.30s
firewall -------------------------------------------------------------- 4.55s
ansible.builtin.set_fact ---------------------------------------------- 0.25s
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
total ----------------------------------------------------------------- 41.62s
"""


def test_a_site_run_is_broken_down_by_tier():
    parts = report.tier_breakdown(SITE_RUN)
    assert parts == {
        "plan": {"tasks": 1, "seconds": 1.2}, "firewall": {"tasks": 1, "seconds": 4.5},
        "uvicorn": {"tasks": 2, "seconds": 12.5}, "apache": {"tasks": 1, "seconds": 9.3},
        "nginx": {"tasks": 2, "seconds": 14.0},
    }
    assert sum(p["tasks"] for p in parts.values()) == SITE_RUN.count("\nTASK [") + 1


def test_the_tier_table_shows_the_first_converge_and_the_median_rerun():
    runs = [{"seconds": s, "tiers": report.tier_breakdown(SITE_RUN.replace("14.02s", f"{s}s"))}
            for s in (30.0, 10.0, 20.0, 80.0)]
    lines = report.tier_table({"chained": {"first": runs[3], "reruns": runs[:3]}})
    assert lines[0] == "| run by part | plan | firewall | uvicorn | apache | nginx |"
    assert lines[2].startswith("| chained, first converge | 1.2 s, 1 tasks | 4.5 s, 1 tasks |")
    assert lines[2].endswith("| 80.0 s, 2 tasks |")
    assert lines[3].startswith("| chained, re-run (median) | 1.2 s, 1 tasks |")
    assert lines[3].endswith("| 20.0 s, 2 tasks |")


def test_the_deploy_table_has_a_row_per_run():
    deploy = {"deploy": {"hosts": 2, "seconds": 61.2, "answers": 9000, "failed": 0, "longest_gap_s": 0.6},
              "rollback": {"hosts": 2, "seconds": 30.5, "answers": 4000, "failed": 1, "longest_gap_s": 1.25}}
    assert report.deploy_table(deploy)[2:] == ["| deploy | 2 | 61.2 | 9000 | 0 | 0.600 |",
                                               "| rollback | 2 | 30.5 | 4000 | 1 | 1.250 |"]


def test_the_cpu_table_puts_the_controller_and_the_hosts_beside_the_wall_time():
    def run(seconds, controller):
        return {"seconds": seconds, "cpu_s": {"controller": controller, "hosts": 12.5, "machine_busy_pct": 81}}
    provisioning = {"chained-3": {"first": run(50.0, 30.1), "reruns": [run(22.0, 9.0), run(19.0, 8.0), run(30.0, 7.0)]},
                    "older": {"hosts": 1, "first": {"seconds": 60.0, "tasks": 9}, "reruns": [{"seconds": 20.0, "tasks": 9}],
                              "rerun_median_s": 20.0, "rerun_changed": 0}}
    lines = report.cpu_table(provisioning, 2)
    assert lines[0] == "| CPU of a run | wall time s | controller CPU s | hosts' CPU s | machine busy |"
    assert lines[2:] == ["| chained-3, first converge | 50.0 | 30.1 | 12.5 | 81 % of 2 cores |",
                         "| chained-3, re-run (median) | 22.0 | 9.0 | 12.5 | 81 % of 2 cores |"]
    assert report.cpu_table({"older": provisioning["older"]}, 2) == []
    assert report.provisioning_tables({"older": provisioning["older"]}, 2).count("") == 2
