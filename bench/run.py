#!/usr/bin/env python3
"""`make bench`: the benchmark suite, on a local cloud of its own.

Brings up lb1, web1, web2 and db1 (prefix flaskdeploy-bench-, network
flaskdeploy-bench, SSH on 127.0.0.1:2501-2504, the load balancer on
127.0.0.1:8380, app repository sampleapp-bench, inventory
.cache/bench/inventory), measures, tears it down (BENCH_KEEP_CLOUD=1 keeps it)
and writes docs/benchmarks.md and docs/benchmarks.json.

Every comparison is a ratio of two figures measured in the same run, one
right after the other, because the machine is shared and noisy:

1. cold bring-up: provision-local.yml + site.yml from nothing;
2. no-op site.yml, the project's ansible.cfg vs a stock one (generated into
   .cache/bench/ansible-stock.cfg), and the changed count of the re-run;
3. warm release deploy of a one-line commit (CHANGES.txt), deploy.yml vs
   bench/baseline-deploy.sh over the same SSH settings;
4. rollback.yml;
5. serving through the load balancer (wrk on the controller against
   127.0.0.1:8380), project settings vs the naive ones (one sync gunicorn
   worker, no upstream keepalive), and inside web1 gunicorn reached directly
   on its own 127.0.0.1:8001 vs through its nginx on 127.0.0.1:80;
6. a rolling deploy under a steady request stream (scripts/loadgen.py):
   failed requests, p99 during the deploy vs steady state.

Load only ever goes to 127.0.0.1 (the controller's published port, or a
host's own loopback). Every subprocess has a timeout and the whole suite a
budget (BENCH_BUDGET seconds, default 1700); steps that no longer fit are
reported as skipped. Ansible logs go to .cache/bench/logs/.

    bench/run.py [--reuse]   # --reuse: measure on a cloud kept by an earlier
                             # run (BENCH_KEEP_CLOUD=1), without the cold figure
    bench/run.py --render    # rewrite docs/benchmarks.md from docs/benchmarks.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import helpers as h  # noqa: E402
from helpers import ROOT, Cloud, Playbook, log  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
DATA = ROOT / "docs" / "benchmarks.json"
# A run kept from before a change (copy benchmarks.json here), compared
# figure by figure in a "Before and after" section.
BEFORE = ROOT / "docs" / "benchmarks-before.json"
STOCK_CFG = h.BENCH_DIR / "ansible-stock.cfg"
EXTRA = json.dumps(h.CLOUD)
TEARDOWN_RESERVE = 100
STREAM = {"rate": 100, "steady_seconds": 15}
DIRECT_BIND = "127.0.0.1:8001"
SOCKET_DROPIN = f"/etc/systemd/system/{h.APP}-gunicorn.socket.d/bench-direct.conf"
NAIVE_WEB = ["-e", "gunicorn_workers=1"]
NAIVE_LB = ["-e", "nginx_upstream_keepalive=1", "-e", "nginx_worker_connections=768"]


class Report:
    def __init__(self):
        self.figures: list[dict] = []
        self.top: dict[str, dict] = {}
        self.skipped: list[str] = []
        self.errors: list[str] = []
        self.facts: dict = {}

    def add(self, key, name, value, unit, *, compared=None, compared_value=None, compared_unit=None,
            ratio=None, target=None, reached=None, notes="", **extra):
        entry = {"key": key, "figure": name, "value": value, "unit": unit, "compared_with": compared,
                 "compared_value": compared_value, "compared_unit": compared_unit,
                 "ratio": None if ratio is None else round(ratio, 3), "target": target, "reached": reached,
                 "notes": notes, **extra}
        self.figures.append(entry)
        log(f"FIGURE {name}: {value} {unit}" + (f" vs {compared_value} {compared_unit} -> ratio {entry['ratio']}"
                                                if compared_value is not None else "")
            + (f" (target {target}: {'reached' if reached else 'NOT reached'})" if reached is not None else ""))
        return entry

    def profile(self, key, title, playbook: Playbook):
        tasks = playbook.profile()
        every = playbook.top_tasks(None)

        def total(*names):
            return round(sum(t["seconds"] for t in every if any(n in t["task"] for n in names)), 1)

        self.top[key] = {"title": title, "seconds": round(playbook.seconds, 1), "task_count": len(tasks),
                         "task_seconds": round(sum(t for _, t in tasks), 1), "tasks": every[:15],
                         "groups": {"connect.yml login probe (Try to log in as the admin user)": total("Try to log in as the admin user"),
                                    "fact gathering (Gathering Facts)": total("Gathering Facts"),
                                    "argument spec validation": total("Validating arguments against arg spec"),
                                    "tasks of 0.5 s or less": round(sum(t for _, t in tasks if t <= 0.5), 1)}}


def stock_config() -> Path:
    """ansible.cfg with only what a run needs: roles, inventory, the callback
    plugins (the same output callbacks, so the output is parsed the same way);
    Ansible's defaults for everything that tunes speed."""
    STOCK_CFG.parent.mkdir(parents=True, exist_ok=True)
    STOCK_CFG.write_text(
        "# Generated by bench/run.py: Ansible's defaults but for what a run needs.\n"
        "# No pipelining, stock ssh_args (-C -o ControlMaster=auto -o ControlPersist=60s),\n"
        "# no fact cache, gathering = implicit, forks = 5. (Becoming an unprivileged user\n"
        "# such as postgres without pipelining uses setfacl: the base role installs acl.)\n"
        "[defaults]\n"
        f"roles_path = {ROOT / 'roles'}\n"
        f"inventory = {h.INVENTORY}\n"
        f"callback_plugins = {ROOT / 'plugins' / 'callback'}\n"
        "callbacks_enabled = ansible.posix.profile_tasks, ansible.posix.timer, release_summary\n"
        "gathering = implicit\n"
        "forks = 5\n")
    return STOCK_CFG


def ratio(a, b):
    return (a / b) if a is not None and b else None


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- steps -------------------------------------------------------------------------------
def teardown(deadline: h.Deadline) -> None:
    h.run("ansible-playbook", "playbooks/teardown-local.yml", "-e", EXTRA, timeout=max(120, min(300, deadline.left() + 60)),
          check=False)


def prepare_inventory() -> None:
    h.INVENTORY.mkdir(parents=True, exist_ok=True)
    link = h.INVENTORY / "group_vars"
    if not link.is_symlink():
        link.symlink_to(os.path.relpath(ROOT / "inventories" / "local" / "group_vars", h.INVENTORY))


def step_cold(report: Report, cloud: Cloud, deadline: h.Deadline) -> None:
    prepare_inventory()
    log("tearing down any earlier bench cloud")
    teardown(deadline)
    shutil.rmtree(h.INVENTORY / ".secrets", ignore_errors=True)
    shutil.rmtree(h.FACTS, ignore_errors=True)
    cloud.close_ssh_masters()
    provision = Playbook("cold-provision", "playbooks/provision-local.yml", "-e", EXTRA, inventory=None)
    provision.run(deadline.timeout(600, TEARDOWN_RESERVE)).check()
    site = Playbook("cold-site", "site.yml").run(deadline.timeout(1500, TEARDOWN_RESERVE)).check()
    total = provision.seconds + site.seconds
    report.add("cold_bringup", "Cold bring-up: local cloud + site.yml from nothing", round(total, 1), "s",
               notes=f"provision-local.yml {provision.seconds:.1f} s + site.yml {site.seconds:.1f} s "
                     f"(apt and pip from the network, empty fact cache)",
               provision_seconds=round(provision.seconds, 1), site_seconds=round(site.seconds, 1))
    report.profile("cold", "Cold site.yml (first run on fresh hosts)", site)


def step_noop(report: Report, cloud: Cloud, deadline: h.Deadline) -> None:
    cloud.close_ssh_masters()
    tuned = Playbook("noop-tuned", "site.yml").run(deadline.timeout(420, TEARDOWN_RESERVE)).check()
    cloud.close_ssh_masters()
    stock = Playbook("noop-stock", "site.yml", env={"ANSIBLE_CONFIG": str(stock_config())})
    stock.run(deadline.timeout(600, TEARDOWN_RESERVE)).check()
    r = ratio(tuned.seconds, stock.seconds)
    report.add("noop_ratio", "No-op site.yml (lb + 2 web + db): project ansible.cfg vs stock settings",
               round(tuned.seconds, 1), "s", compared="stock settings (no pipelining, default ssh_args, "
               "no fact cache, gathering=implicit, forks=5)", compared_value=round(stock.seconds, 1),
               compared_unit="s", ratio=r, target="<= 0.5", reached=r is not None and r <= 0.5,
               notes="SSH masters closed before each run; the tuned run reads the facts cached by the cold run")
    changed = tuned.changed
    report.add("noop_changed", "Changed count of the no-op re-run (PLAY RECAP, every host)", changed, "tasks",
               compared="stock-settings re-run", compared_value=stock.changed, compared_unit="tasks",
               target="0", reached=changed == 0 and stock.changed == 0,
               notes=("changed: " + ", ".join(tuned.changed_tasks() + stock.changed_tasks())) if changed or stock.changed else "")
    report.profile("noop", "No-op site.yml with the project's ansible.cfg", tuned)
    report.profile("noop_stock", "No-op site.yml with stock settings", stock)


def under_stream(action):
    """action() while scripts/loadgen.py streams GET /healthz to the load
    balancer at a steady rate (from 2 s before to 3 s after)."""
    stream = h.stream(STREAM["rate"], h.loadgen.MAX_DURATION)
    try:
        time.sleep(2)
        result = action()
        time.sleep(3)
    finally:
        stream.stop()
    load = stream.report()
    log("stream: " + h.loadgen.summary(load))
    return result, load


def load_note(load: dict) -> str:
    return (f"stream {load['requests_sent']} requests, {load['requests_failed']} failed, "
            f"p50/p99 {load['p50_ms']}/{load['p99_ms']} ms")


def step_releases(report: Report, cloud: Cloud, deadline: h.Deadline) -> None:
    """Steady state, then deploy.yml, the baseline and rollback.yml, each under
    the same steady request stream (so the deploy and its baseline are timed
    under the same conditions, and the deploy's failed requests and p99 come
    from the timed run itself)."""
    steady_stream = h.stream(STREAM["rate"], STREAM["steady_seconds"])
    steady_stream.join()
    steady = steady_stream.report()
    log("steady: " + h.loadgen.summary(steady))

    before = cloud.releases_live()
    cloud.commit("bench: a one-line change (deploy.yml)", {"CHANGES.txt": f"bench deploy {time.time()}\n"})
    cloud.close_ssh_masters()
    deploy, during = under_stream(
        lambda: Playbook("deploy-warm", "playbooks/deploy.yml").run(deadline.timeout(480, TEARDOWN_RESERVE)))
    deploy.check()
    live = cloud.releases_live()
    if len(set(live.values())) != 1 or set(live.values()) & set(before.values()):
        raise RuntimeError(f"deploy.yml did not switch every web host: {before} -> {live}")
    report.profile("deploy", "Warm deploy.yml of a one-line commit", deploy)
    report.add("deploy_failed_requests", "Requests failed during a rolling deploy under a steady stream",
               during["requests_failed"], "requests", compared="requests sent", compared_value=during["requests_sent"],
               compared_unit="requests", target="0", reached=during["requests_failed"] == 0,
               notes=f"{STREAM['rate']}/s GET /healthz through the load balancer (scripts/loadgen.py, a new "
                     f"connection per request) during deploy.yml, {before['web1']} -> {live['web1']}; statuses "
                     f"{during['statuses']}, errors {during['errors'] or 'none'}", stream=during)
    r = ratio(during["p99_ms"], steady["p99_ms"])
    report.add("deploy_p99_ratio", "p99 latency during the deploy vs steady state", during["p99_ms"], "ms",
               compared=f"steady state ({STREAM['steady_seconds']} s at {STREAM['rate']}/s just before)",
               compared_value=steady["p99_ms"], compared_unit="ms", ratio=r, target="<= 2",
               reached=r is not None and r <= 2,
               notes=f"p50 {during['p50_ms']} ms during vs {steady['p50_ms']} ms steady", steady=steady)

    sha = cloud.commit("bench: a one-line change (baseline)", {"CHANGES.txt": f"bench baseline {time.time()}\n"})
    release = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H%M%S") + "-" + sha[:7]
    cloud.close_ssh_masters()
    baseline, during_baseline = under_stream(
        lambda: h.baseline_deploy(cloud, sha, release, timeout=deadline.timeout(300, TEARDOWN_RESERVE)))
    after = cloud.releases_live()
    if set(after.values()) != {release}:
        raise RuntimeError(f"the baseline did not switch every web host to {release}: {after}")
    health = h.run("curl", "-fsS", f"http://{h.LOOPBACK}:{h.HTTP_PORT}/healthz", timeout=20).stdout
    if release not in health:
        raise RuntimeError(f"the load balancer does not serve {release} after the baseline: {health}")
    r = ratio(deploy.seconds, baseline["seconds"])
    report.add("deploy_ratio", "Warm release deploy of a one-line commit, 2 web hosts: deploy.yml vs minimal baseline",
               round(deploy.seconds, 1), "s", compared="bench/baseline-deploy.sh over the same SSH (fetch, export, "
               "venv + pip from the wheelhouse, switch, restart gunicorn)", compared_value=round(baseline["seconds"], 1),
               compared_unit="s", ratio=r, target="<= 1.3", reached=r is not None and r <= 1.3,
               notes=f"both under the same stream; baseline: build on both hosts at once {baseline['build_seconds']:.1f} s, "
                     f"switch + restart one host at a time {baseline['switch_seconds']:.1f} s ({load_note(during_baseline)}); "
                     f"deploy.yml also runs preflight, the login probe, the release task, drain/undrain, health "
                     f"checks and restarts the Celery workers")

    cloud.close_ssh_masters()
    rollback, during_rollback = under_stream(
        lambda: Playbook("rollback", "playbooks/rollback.yml").run(deadline.timeout(420, TEARDOWN_RESERVE)))
    rollback.check()
    back = cloud.releases_live()
    if back != live:
        raise RuntimeError(f"rollback.yml did not roll every web host back to {live}: {back}")
    report.add("rollback", "Rollback of 2 web hosts (rollback.yml)", round(rollback.seconds, 1), "s",
               notes=f"{release} -> {back['web1']} (the baseline's release back to deploy.yml's), one host at a time "
                     f"with drain and health check, under the same stream: {load_note(during_rollback)}",
               stream=during_rollback)
    report.profile("rollback", "rollback.yml", rollback)


def gunicorn_workers(cloud: Cloud, host: str) -> str:
    return cloud.exec(host, "sh", "-c", f"grep -E '^workers' /etc/gunicorn/{h.APP}-gunicorn.conf.py", check=False)


def restart_socket(cloud: Cloud, host: str) -> None:
    """As the gunicorn role's handlers do for a new listening address."""
    cloud.exec(host, "systemctl", "daemon-reload")
    cloud.exec(host, "systemctl", "stop", f"{h.APP}-gunicorn.service")
    cloud.exec(host, "systemctl", "restart", f"{h.APP}-gunicorn.socket")
    cloud.exec(host, "systemctl", "start", f"{h.APP}-gunicorn.service", timeout=120)


LB_PATHS = {"/healthz": "/healthz (one SELECT 1)"}


def wrk_desc(where: str) -> str:
    return (f"wrk -t{h.WRK['threads']} -c{h.WRK['connections']} -d{h.WRK['duration']}s after a {h.WRK['warmup']} s "
            f"warm-up, {where}")


def step_serving(report: Report, cloud: Cloud, deadline: h.Deadline) -> None:
    lb = f"http://{h.LOOPBACK}:{h.HTTP_PORT}"
    report.facts["lb_tuned_before"] = {path: h.wrk(lb + path) for path in LB_PATHS}

    # Proxy overhead, from inside web1: gunicorn also listens on its own
    # loopback (a drop-in adding a ListenStream to its socket unit, so the
    # same gunicorn with the same workers serves both), wrk runs in web1.
    host = "web1"
    prefix = h.install_wrk(cloud, host)
    cloud.exec(host, "mkdir", "-p", os.path.dirname(SOCKET_DROPIN))
    cloud.exec(host, "sh", "-c", f"cat > {SOCKET_DROPIN}",
               input=f"# bench/run.py, removed after the measurement\n[Socket]\nListenStream={DIRECT_BIND}\n")
    try:
        restart_socket(cloud, host)
        both = h.wrk_rounds({"direct": f"http://{DIRECT_BIND}/healthz", "nginx": f"http://{h.LOOPBACK}:80/healthz"},
                            rounds=3, prefix=prefix)
    finally:
        cloud.exec(host, "rm", "-rf", SOCKET_DROPIN, "/var/tmp/bench-wrk", check=False)
        restart_socket(cloud, host)
    direct, via_nginx = both["direct"], both["nginx"]
    r = ratio(via_nginx["rps"], direct["rps"])
    overhead = None if r is None else 1 - r
    report.add("proxy_overhead", "Proxy overhead in web1: /healthz through its nginx vs gunicorn directly",
               via_nginx["rps"], "req/s", compared=f"gunicorn on {DIRECT_BIND} (the same gunicorn: an extra ListenStream)",
               compared_value=direct["rps"], compared_unit="req/s", ratio=r,
               target="overhead <= 15% (ratio >= 0.85)", reached=overhead is not None and overhead <= 0.15,
               notes=(f"overhead {overhead * 100:.1f}% of throughput{' (negative: faster through nginx)' if overhead < 0 else ''}; "
                      f"{wrk_desc('inside web1 against its own 127.0.0.1, 3 rounds alternating, median')}; p50/p99 via "
                      f"nginx {via_nginx['p50_ms']}/{via_nginx['p99_ms']} ms, direct {direct['p50_ms']}/{direct['p99_ms']} "
                      f"ms; CPU busy {direct['cpu_busy']:.0%} / {via_nginx['cpu_busy']:.0%}. wrk keeps its connections "
                      f"to nginx alive, while gunicorn's sync workers close every connection (a TCP connect per "
                      f"request direct, a unix-socket connect behind nginx)") if overhead is not None else "",
               overhead=None if overhead is None else round(overhead, 3), direct=direct, via_nginx=via_nginx)


def step_naive(report: Report, cloud: Cloud, deadline: h.Deadline) -> None:
    """The naive setup (one sync worker per web host, nginx without upstream
    keepalive to speak of), measured between two runs of the project's."""
    lb = f"http://{h.LOOPBACK}:{h.HTTP_PORT}"
    host = "web1"
    workers = gunicorn_workers(cloud, host)
    cloud.close_ssh_masters()
    Playbook("naive-web", "playbooks/web.yml", "--tags", "gunicorn", *NAIVE_WEB).run(
        deadline.timeout(300, TEARDOWN_RESERVE)).check()
    Playbook("naive-lb", "playbooks/lb.yml", *NAIVE_LB).run(deadline.timeout(300, TEARDOWN_RESERVE)).check()
    naive_workers = gunicorn_workers(cloud, host)
    if naive_workers == workers:
        raise RuntimeError(f"the naive settings did not apply on {host}: {naive_workers!r}")
    try:
        naive = {path: h.wrk(lb + path) for path in LB_PATHS}
    finally:
        # Back to the project's settings, unless the cloud goes next and the
        # budget is short (the restore is then reported as skipped).
        restored = False
        if os.environ.get("BENCH_KEEP_CLOUD") or deadline.left() > TEARDOWN_RESERVE + 150:
            Playbook("restore-web", "playbooks/web.yml", "--tags", "gunicorn").run(
                deadline.timeout(300, TEARDOWN_RESERVE / 2)).check()
            Playbook("restore-lb", "playbooks/lb.yml").run(deadline.timeout(300, TEARDOWN_RESERVE / 2)).check()
            if gunicorn_workers(cloud, host) != workers:
                raise RuntimeError(f"gunicorn settings not restored on {host}: {gunicorn_workers(cloud, host)!r}")
            restored = True
        else:
            report.skipped.append("restoring the project's settings after the naive run (time budget; the cloud goes next)")
    before = report.facts.get("lb_tuned_before") or {}
    after = {path: h.wrk(lb + path) for path in LB_PATHS} if restored else {}
    for path, label in LB_PATHS.items():
        runs = [x[path] for x in (before, after) if path in x]
        if not runs:
            continue
        t, n = h.mean_of(runs), naive[path]
        r = ratio(t["rps"], n["rps"])
        key = "healthz" if path == "/healthz" else "index"
        report.add(f"lb_rps_{key}", f"Throughput through the load balancer, {label}: project settings vs naive",
                   t["rps"], "req/s", compared=f"naive: one sync gunicorn worker per web host ({naive_workers}), "
                   "nginx upstream keepalive 1, worker_connections 768", compared_value=n["rps"], compared_unit="req/s",
                   ratio=r, target=">= 4" if key == "healthz" else None,
                   reached=(r is not None and r >= 4) if key == "healthz" else None,
                   notes=f"{wrk_desc(f'on the controller against 127.0.0.1:{h.HTTP_PORT}')}; project ({workers}) "
                         f"measured {'before and after the naive run, mean of both' if len(runs) == 2 else 'before the naive run'}; "
                         f"errors project {t['non_2xx'] + t['socket_errors']}, naive {n['non_2xx'] + n['socket_errors']}; "
                         f"CPU busy (whole machine) project {t['cpu_busy']:.0%}, naive {n['cpu_busy']:.0%}",
                   project=t, naive={k: v for k, v in n.items() if k != "output"})
        report.add(f"lb_latency_{key}", f"Latency through the load balancer, {label}: p99 (p50 in the notes)",
                   t["p99_ms"], "ms", compared="the naive setup's p99", compared_value=n["p99_ms"], compared_unit="ms",
                   ratio=ratio(t["p99_ms"], n["p99_ms"]),
                   notes=f"p50 {t['p50_ms']} ms (project) vs {n['p50_ms']} ms (naive)")


# -- the report ---------------------------------------------------------------------------
def fmt(value, unit=""):
    if value is None:
        return "-"
    if isinstance(value, float):
        value = f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return f"{value} {unit}".strip()


# The reason a target was missed, in the table's row; the Analysis section
# below the table has this run's numbers behind each.
WHY_NOT_REACHED = {
    "noop_ratio": "stock Ansible already keeps SSH connections open (ControlPersist) and 4 hosts fit in its 5 "
                  "forks, so only pipelining and the fact cache differ, and both runs are a few hundred small "
                  "module round trips",
    "deploy_ratio": "each of those safety steps is a task with its own round trip, and together they outnumber "
                    "the baseline's few commands many times over (profile under \"Where the time goes\")",
    "lb_rps_healthz": "the 2 cores are saturated by the whole cloud and the load generator, so more gunicorn workers "
                      "cannot add throughput; they cut the tail latency instead (the p99 row)",
    "proxy_overhead": "nginx and gunicorn compete for the same saturated cores",
    "deploy_p99_ratio": "the build and the restarts run on the cores that serve the requests",
}


def write_report(report: Report, meta: dict) -> None:
    DATA.parent.mkdir(parents=True, exist_ok=True)
    DATA.write_text(json.dumps({**meta, "figures": report.figures, "where_the_time_goes": report.top,
                                "skipped": report.skipped, "errors": report.errors}, indent=2) + "\n")
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `make bench` (`bench/run.py`) on {meta['date']}, on its own local cloud (lb1, web1, web2, db1 "
        f"as systemd containers; load balancer on 127.0.0.1:{h.HTTP_PORT}). Machine: {meta['machine']['nproc']} cores, "
        f"{meta['machine']['memory_gib']} GiB, {meta['machine']['platform']}; load average at start "
        f"{meta['machine']['loadavg_start']}, at the end {meta['machine']['loadavg_end']}; "
        f"{meta['machine']['other_containers']} other container(s) running (other tests share the machine). "
        f"The suite took {meta['seconds']:.0f} s.",
        "",
        "Each comparison is a ratio of two figures measured in the same run, one right after the other. "
        "Raw figures: `docs/benchmarks.json`; Ansible logs: `.cache/bench/logs/`.",
        "",
        "| Figure | Measured | Compared with | Ratio | Target | Reached | Notes |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in report.figures:
        compared = "-" if f["compared_with"] is None else f"{fmt(f['compared_value'], f['compared_unit'])} ({f['compared_with']})"
        reached = "-" if f["reached"] is None else ("yes" if f["reached"] else "**no**")
        notes = f["notes"]
        if f["reached"] is False and f["key"] in WHY_NOT_REACHED:
            notes += ("; " if notes else "") + f"**why not reached**: {WHY_NOT_REACHED[f['key']]} (see Analysis)"
        lines.append(f"| {f['figure']} | {fmt(f['value'], f['unit'])} | {compared} | {fmt(f['ratio'])} | "
                     f"{f['target'] or '-'} | {reached} | {notes.replace('|', '/')} |")
    for item in report.skipped:
        lines.append(f"| {item} | not measured | - | - | - | - | skipped |")
    if report.errors:
        lines += ["", "## Errors", ""] + [f"- {e}" for e in report.errors]
    lines += ["", "## How each figure is measured", ""] + [f"- {line}" for line in meta["method"]]
    lines += ["", "## Where the time goes", "",
              "ansible.posix.profile_tasks' times (each task from its start to the next one's, over every host), "
              "the runs of one task name added up (an imported file such as connect.yml runs in every playbook "
              "of site.yml)."]
    for key in ("noop", "deploy", "noop_stock", "rollback", "cold"):
        if key not in report.top:
            continue
        top = report.top[key]
        lines += ["", f"### {top['title']} ({top['seconds']} s)", "",
                  f"{top['task_count']} task runs, {top['task_seconds']} s in all; of that: "
                  + "; ".join(f"{name} {seconds} s" for name, seconds in top["groups"].items()) + ".", "",
                  "| # | Task | Seconds | Runs |", "| --- | --- | --- | --- |"]
        lines += [f"| {i} | {t['task'].replace('|', '/')} | {t['seconds']:.2f} | {t['runs']} |"
                  for i, t in enumerate(top["tasks"], 1)]
    lines += before_and_after(report)
    if meta.get("analysis"):
        lines += ["", "## Analysis", ""] + meta["analysis"]
    DOC.write_text("\n".join(lines) + "\n")
    log(f"wrote {DOC.relative_to(ROOT)} and {DATA.relative_to(ROOT)}")


# The changes made after the "before" run, from its profile of the slowest tasks.
SPEEDUPS = [
    "The release's requirements install with one `pip install` command instead of the pip module, whose "
    "`pip freeze` before and after cost seconds per host in a new virtualenv.",
    "The build (pip wheel, pip install, compileall) runs under nice(1), below the live release serving requests.",
    "A release whose requirements did not change links its `.venv` to the virtualenv already built for them "
    "(`shared/venvs/<key>/`) instead of creating a virtualenv and installing into it: a one-line commit builds "
    "no Python environment at all.",
]


def before_run() -> tuple[dict, dict[str, dict]]:
    """docs/benchmarks-before.json and its figures by key (empty without it)."""
    if not BEFORE.exists():
        return {}, {}
    before = json.loads(BEFORE.read_text())
    return before, {f["key"]: f for f in before.get("figures", [])}


def before_and_after(report: Report) -> list[str]:
    """Each figure of this run beside the same figure of docs/benchmarks-before.json."""
    before, old = before_run()
    if not before:
        return []
    lines = ["", "## Before and after the speed-ups", "",
             f"The run before them: {before.get('date', '?')}, load average at start "
             f"{before.get('machine', {}).get('loadavg_start', '?')} (`docs/benchmarks-before.json`). "
             "What changed in between:", ""] + [f"- {item}" for item in SPEEDUPS] + ["",
             "Seconds and requests per second follow the state of the machine, which other work shares "
             "(the cold bring-ups do nearly the same work): compare the ratios, each taken within one run.", "",
             "| Figure | Before | Ratio before | After | Ratio after |", "| --- | --- | --- | --- | --- |"]
    for f in report.figures:
        o = old.get(f["key"])
        if o is None:
            continue
        lines.append(f"| {f['figure']} | {fmt(o['value'], o['unit'])} | {fmt(o['ratio'])} | "
                     f"{fmt(f['value'], f['unit'])} | {fmt(f['ratio'])} |")
    return lines


METHOD = [
    "Cold bring-up: wall time of `playbooks/provision-local.yml` (bench prefix, network, ports) plus `site.yml`, "
    "after tearing down any earlier bench cloud and emptying its fact cache.",
    "No-op: `site.yml` again, with the project's `ansible.cfg`, then with `ANSIBLE_CONFIG` pointing at a generated "
    "stock config (roles_path, inventory, callback plugins only; Ansible's defaults otherwise). The SSH control "
    "masters are closed before each run. The changed count is the sum of `changed=` over the PLAY RECAP.",
    "Releases, all under one steady request stream: scripts/loadgen.py sends GET /healthz to 127.0.0.1:8380 at "
    "100/s (8 threads, a new connection per request), first 15 s alone (steady state), then from 2 s before to "
    "3 s after each of: `playbooks/deploy.yml` of a new commit to CHANGES.txt in the git fixture (timed; its "
    "failed requests and p99 are figure 6); `bench/baseline-deploy.sh` for another commit, piped over ssh with "
    "ansible.cfg's ssh_args and control path and the inventory's key and options (build on both web hosts at "
    "once: git fetch, git archive, venv, pip install from the wheelhouse; then per host: switch `current`, restart "
    "gunicorn); `playbooks/rollback.yml` (back from the baseline's release to deploy.yml's). The SSH control "
    "masters are closed before each.",
    "Serving: wrk (Debian's) with 2 threads and 16 connections, 10 s measured after a 2 s warm-up, on the "
    "controller against 127.0.0.1:8380, `/healthz` (one SELECT 1 in PostgreSQL; `/`, which writes a row, is "
    "left out to keep the suite within its budget). "
    "The project's settings are measured before and after the naive ones (the mean of both is reported), the "
    "naive ones in between: `web.yml --tags gunicorn -e gunicorn_workers=1` and `lb.yml -e "
    "nginx_upstream_keepalive=1 -e nginx_worker_connections=768` (keepalive 0 renders an nginx config that "
    "does not load), then both playbooks again without the overrides. CPU busy is the whole machine's share "
    "during the measurement (/proc/stat).",
    "Proxy overhead: the controller's wrk binary copied into web1 (with its libluajit), three rounds alternating "
    "(the median of each) between gunicorn's extra listener 127.0.0.1:8001 (a drop-in on its socket unit adding a ListenStream, so "
    "the very same gunicorn serves both; removed afterwards) and web1's nginx on 127.0.0.1:80, `/healthz`, "
    "from the same vantage point; overhead = 1 - (through nginx / direct).",
]


def render() -> int:
    """The report of the last run, with this version's method and analysis."""
    data = json.loads(DATA.read_text())
    report = Report()
    report.figures, report.top = data["figures"], data["where_the_time_goes"]
    report.skipped, report.errors = data["skipped"], data["errors"]
    meta = {k: data[k] for k in ("date", "produced_by", "seconds", "machine")}
    write_report(report, {**meta, "method": METHOD, "analysis": analysis(report)})
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reuse", action="store_true", help="measure on a kept cloud; no cold bring-up")
    parser.add_argument("--only", help="comma-separated steps (noop,releases,serving,naive)")
    parser.add_argument("--render", action="store_true",
                        help="measure nothing: write docs/benchmarks.md again from docs/benchmarks.json")
    args = parser.parse_args(argv)
    if args.render:
        return render()

    deadline = h.Deadline(float(os.environ.get("BENCH_BUDGET", 1700)))
    start_load = loadavg()
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    log(f"bench starts: load average {start_load}, budget {deadline.left():.0f} s")
    h.run("scripts/ensure-apt-packages.sh", "wrk", "curl", timeout=300)
    others = len(h.run("docker", "ps", "-q", timeout=30).stdout.split())
    report = Report()
    cloud = Cloud()
    # name, function, seconds it needs at least to be worth starting
    steps = [("noop", step_noop, 300), ("releases", step_releases, 300), ("serving", step_serving, 90),
             ("naive", step_naive, 150)]
    if args.only:
        steps = [s for s in steps if s[0] in args.only.split(",")]
    cloud_up = args.reuse
    try:
        if not args.reuse:
            try:
                step_cold(report, cloud, deadline)
                cloud_up = True
            except Exception as exc:  # noqa: BLE001 - reported, then the cloud goes
                report.errors.append(f"cold bring-up: {exc}".splitlines()[0])
                traceback.print_exc()
        for name, function, needs in steps:
            if not cloud_up:
                report.skipped.append(f"{name} (no cloud)")
                continue
            if deadline.left() - TEARDOWN_RESERVE < needs:
                log(f"skipping {name}: {deadline.left():.0f} s left")
                report.skipped.append(f"{name} (time budget)")
                continue
            log(f"--- {name} ({deadline.left():.0f} s left, load average {loadavg()})")
            try:
                function(report, cloud, deadline)
            except Exception as exc:  # noqa: BLE001 - one failed step does not hide the others
                report.errors.append(f"{name}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
                traceback.print_exc()
        tuned = report.facts.get("lb_tuned_before")
        if tuned and not any(f["key"] == "lb_rps_healthz" for f in report.figures):
            t = tuned["/healthz"]
            report.add("lb_rps_healthz", "Throughput through the load balancer, /healthz: project settings",
                       t["rps"], "req/s", target=">= 4 x naive", reached=None,
                       notes=f"the naive setup was not measured; p50/p99 {t['p50_ms']}/{t['p99_ms']} ms")
    finally:
        end_load = loadavg()
        if os.environ.get("BENCH_KEEP_CLOUD"):
            log(f"keeping the bench cloud (inventory {h.INVENTORY})")
        elif cloud_up or not args.reuse:
            log("tearing down the bench cloud")
            teardown(deadline)
        meta = {
            "date": date,
            "produced_by": "make bench (bench/run.py)",
            "seconds": round(time.monotonic() - deadline.started, 1),
            "machine": {"nproc": os.cpu_count(), "loadavg_start": start_load, "loadavg_end": end_load,
                        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
                        "platform": f"{platform.system()} {platform.release()}", "other_containers": others},
            "method": METHOD,
            "analysis": analysis(report),
        }
        write_report(report, meta)
    failed = [f for f in report.figures if f["reached"] is False]
    log(f"done in {meta['seconds']:.0f} s: {len(report.figures)} figures, {len(failed)} targets not reached, "
        f"{len(report.skipped)} skipped, {len(report.errors)} errors")
    return 1 if report.errors or not report.figures else 0


def analysis(report: Report) -> list[str]:
    """What this run's numbers say about the targets not reached."""
    by = {f["key"]: f for f in report.figures}
    out = []

    earlier = before_run()[1]

    def earlier_ratio(key):
        old = earlier.get(key)
        if not old or old.get("ratio") is None:
            return ""
        return (f" The run before the speed-ups measured a ratio of {fmt(old['ratio'])}: the spread between runs on this "
                "machine.")

    def task_seconds(key, group):
        return report.top.get(key, {}).get("groups", {}).get(group, 0.0)

    if "noop_ratio" in by:
        f = by["noop_ratio"]
        probe = task_seconds("noop", "connect.yml login probe (Try to log in as the admin user)")
        out.append(f"- No-op, ratio {fmt(f['ratio'])} (target <= 0.5): Ansible's stock settings already reuse SSH "
                   "connections (ControlPersist=60s is in the default ssh_args) and 4 hosts fit in the default 5 "
                   "forks, so the project's ansible.cfg differs by pipelining and the fact cache only. Through an "
                   "open SSH master, pipelining saves each task's extra round trips (temporary directory, file "
                   "transfer, chmod, clean-up: tens of milliseconds), against the 0.1-0.3 s each task spends "
                   "starting Python and running its module on the host; the cached facts save one gathering per "
                   "play. So the ratio stays well above 0.5 here: only fewer or cheaper tasks would halve it. Both "
                   "runs spend their time in a few hundred small tasks; the login probe of "
                   f"connect.yml (a fresh ssh per host, imported before every tier) alone took {probe:.1f} s of the "
                   f"tuned run.{earlier_ratio('noop_ratio')}")
    if "deploy_ratio" in by:
        f = by["deploy_ratio"]
        out.append(f"- Deploy, ratio {fmt(f['ratio'])} (target <= 1.3): deploy.yml does the baseline's work plus the "
                   "preflight and login plays, the release task (migrations) once, for each host a drain that waits for "
                   "its requests in flight, a health check and an undrain, and a rolling restart of the Celery workers, "
                   "each step a task with its own round trip; the table \"Warm deploy.yml\" above shows where. (The "
                   "baseline builds a virtualenv every time, as the issue defines it; deploy.yml reuses the one of "
                   "unchanged requirements.)")
    if "lb_rps_healthz" in by and by["lb_rps_healthz"].get("project"):
        f = by["lb_rps_healthz"]
        out.append(f"- Throughput, ratio {fmt(f['ratio'])} (target >= 4): the machine's CPUs were "
                   f"{f['project']['cpu_busy']:.0%} busy with the project's settings and {f['naive']['cpu_busy']:.0%} "
                   "with the naive ones: the whole cloud, the load generator and other tests share "
                   f"{os.cpu_count()} cores. More gunicorn workers only add throughput while a single worker leaves "
                   "CPU idle (waiting on PostgreSQL or the network); with none idle, the ratio is bounded near 1 "
                   "(below 1, the naive setup's 2 processes, one per web host, competed less for the 2 cores than "
                   "the project's 2 x 5 workers, sized at 2 x cores + 1 for hosts with cores of their own), and the "
                   "extra workers show in the tail latency instead: the naive setup queues (see the p99 rows)."
                   f"{earlier_ratio('lb_rps_healthz')}")
    if "proxy_overhead" in by:
        f = by["proxy_overhead"]
        overhead = f.get("overhead")
        if overhead is not None and overhead < 0:
            why = ("negative: faster through nginx, because wrk keeps its connections to nginx alive while "
                   "gunicorn's sync workers close every connection, so reaching gunicorn directly costs a TCP "
                   "handshake per request (behind nginx, a unix-socket connect)")
        else:
            why = "measured on a saturated machine, where nginx's CPU per request competes with gunicorn's"
        out.append(f"- Proxy overhead {'-' if overhead is None else f'{overhead:.0%}'} of throughput (target <= 15%): "
                   f"{why}; the spread between rounds (docs/benchmarks.json, `rounds`) shows how much of it is "
                   f"noise.{earlier_ratio('proxy_overhead')}")
    if "deploy_p99_ratio" in by and not by["deploy_p99_ratio"]["reached"]:
        out.append("- p99 during the deploy: pip, compileall and the gunicorn restarts run on the same cores that serve "
                   "the requests, and while a host is drained the other one serves everything.")
    return out


if __name__ == "__main__":
    sys.exit(main())
