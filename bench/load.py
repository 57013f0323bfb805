"""Run wrk against one URL and account for the CPU every part of the stack spent meanwhile.

The load generator shares the cores with the stack, so a figure alone says little; the CPU profile
says where each request's time went: nginx, Apache, Uvicorn, php-fpm, wrk itself, or the kernel.
"""

import json
import os
import re
import resource
import subprocess
from pathlib import Path

WRK_SCRIPT = Path(__file__).with_name("wrk-report.lua")
TICK_US = 1_000_000 / os.sysconf("SC_CLK_TCK")
# systemd units of the stack, as the profile names them.
UNITS = {
    "nginx.service": "nginx",
    "apache2.service": "apache",
    "webstack-app.service": "uvicorn",
}
PHP_UNIT = re.compile(r"^php[0-9.]+-fpm\.service$")
CGROUP = re.compile(r"/docker/([0-9a-f]{64})/(?:[^/]+\.slice/)?([^/]+)$")


def wrk(url, seconds, connections, threads, host_header):
    """One wrk run; returns the parsed summary, with wrk's own CPU time."""
    cmd = ["wrk", f"-d{seconds}s", f"-c{connections}", f"-t{threads}", "--timeout", "5s",
           "-s", str(WRK_SCRIPT), "-H", f"Host: {host_header}", url]
    before = children_cpu()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    spent = children_cpu() - before
    line = next((x for x in out.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary for {url}:\n{out}")
    result = json.loads(line.removeprefix("WRK_JSON "))
    result["wrk_cpu_us"] = spent
    return result


def children_cpu():
    """CPU microseconds that the finished children of this process (and theirs) have used so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (used.ru_utime + used.ru_stime) * 1e6


def host_cpu():
    """(busy, softirq) CPU time of the whole machine, in microseconds."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields[:8]
    busy = user + nice + system + irq + softirq + steal
    return busy * TICK_US, softirq * TICK_US


def _unit_cpu(containers):
    """{pid: (part of the stack, CPU microseconds)} for every process in the stack's units."""
    ids = {cid: name for name, cid in containers.items()}
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cgroup = (proc / "cgroup").read_text()
            stat = (proc / "stat").read_text()
        except OSError:
            continue  # the process ended meanwhile
        match = next((m for m in map(CGROUP.search, cgroup.splitlines()) if m and m.group(1) in ids), None)
        if not match:
            continue
        unit = match.group(2)
        part = UNITS.get(unit) or ("php-fpm" if PHP_UNIT.match(unit) else "other")
        utime, stime = stat.rsplit(")", 1)[1].split()[11:13]
        found[int(proc.name)] = (part, (int(utime) + int(stime)) * TICK_US)
    return found


def containers_cpu(containers):
    """CPU microseconds that the containers ({name: id}) have used so far, all their processes together."""
    total = 0
    for cid in containers.values():
        v1 = Path(f"/sys/fs/cgroup/cpuacct/docker/{cid}/cpuacct.usage")
        if v1.exists():
            total += int(v1.read_text()) / 1000
            continue
        stat = Path(f"/sys/fs/cgroup/system.slice/docker-{cid}.scope/cpu.stat").read_text()
        total += int(next(line.split()[1] for line in stat.splitlines() if line.startswith("usage_usec ")))
    return total


def container_ids(names):
    out = subprocess.run(["docker", "inspect", "-f", "{{.Name}} {{.Id}}", *names],
                         capture_output=True, text=True, check=True).stdout
    return {name.lstrip("/"): cid for name, cid in (line.split() for line in out.splitlines())}


def profiled_wrk(url, seconds, connections, threads, host_header, containers):
    """wrk plus the CPU microseconds per request that each part of the stack and the kernel spent."""
    units_before, (busy_before, softirq_before) = _unit_cpu(containers), host_cpu()
    result = wrk(url, seconds, connections, threads, host_header)
    units_after, (busy_after, softirq_after) = _unit_cpu(containers), host_cpu()
    requests = max(result["requests"], 1)
    parts = {}
    # A process that started during the run counts from zero; one that ended is lost to "rest".
    for pid, (part, spent) in units_after.items():
        parts[part] = parts.get(part, 0) + spent - units_before.get(pid, (None, 0))[1]
    parts["wrk"] = result["wrk_cpu_us"]
    parts["kernel softirq"] = softirq_after - softirq_before
    busy = busy_after - busy_before
    # Whatever the machine did besides: short-lived processes, other containers, kernel threads.
    parts["rest"] = max(busy - sum(parts.values()), 0)
    result["cpu_us_per_request"] = {k: round(v / requests, 1) for k, v in parts.items()}
    result["cpu_busy_pct"] = round(100 * busy / (result["duration_us"] * os.cpu_count()), 1)
    return result
