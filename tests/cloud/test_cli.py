"""bin/flaskdeploy's verbs on the local cloud (`make cloud`, after the
drills): ps, ps:scale, logs, logs -t, run, config. deploy, rollback, releases, config:set/unset,
maintenance:on/off, backup and status run in the drills that use them
(test_drills.py, test_front_door.py, test_data.py); scripts/ci-deploy.sh
deploys drill a."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
import urllib.request
import uuid

from conftest import HTTP_PORT, INVENTORY, ROOT

CLI = [sys.executable, str(ROOT / "bin" / "flaskdeploy")]


def test_ps_lists_the_processes(cloud, drill):
    """flaskdeploy ps: gunicorn and each worker instance, per host, with their state"""
    ps = cloud.cli("ps").run()
    text = " ".join(ps.output.split())
    drill["processes"] = re.findall(r"web\d sampleapp-\S+ active/running", text)
    assert ps.returncode == 0, ps.tail()
    for host in ("web1", "web2"):
        assert re.search(rf"{host} sampleapp-gunicorn.service active/running since .*? \(pid \d+\)", text), text[-2000:]
        assert re.search(rf"{host} sampleapp-worker@1.service active/running", text), text[-2000:]


def test_ps_scale_starts_and_stops_instances(cloud, drill):
    """flaskdeploy ps:scale: worker=2 starts a second instance on each host (the first keeps running), worker=1 stops it"""
    def worker_pids(host):
        return {unit: cloud.exec(host, "systemctl", "show", "--value", "--property=MainPID", unit)
                for unit in ("sampleapp-worker@1.service", "sampleapp-worker@2.service")}

    before = {host: worker_pids(host) for host in ("web1", "web2")}
    up = cloud.cli("ps:scale", "worker=2").run()
    scaled = {host: worker_pids(host) for host in ("web1", "web2")}
    down = cloud.cli("ps:scale", "worker=1").run()
    after = {host: worker_pids(host) for host in ("web1", "web2")}
    drill.update(before=before, scaled=scaled, after=after)
    assert up.returncode == 0 and down.returncode == 0, up.tail() + down.tail()
    for host in ("web1", "web2"):
        assert scaled[host]["sampleapp-worker@2.service"] != "0", f"{host} runs a second worker"
        assert scaled[host]["sampleapp-worker@1.service"] == before[host]["sampleapp-worker@1.service"], "the first kept running"
        assert after[host]["sampleapp-worker@2.service"] == "0", f"{host} stopped the second worker"
        assert after[host]["sampleapp-worker@1.service"] == before[host]["sampleapp-worker@1.service"]


def test_logs_of_every_source(cloud, drill):
    """flaskdeploy logs: web, release, nginx and postgres lines, each prefixed with its host and source"""
    # The newest lines of all sources together: the release task's are older
    # than the requests' by now, so they are asked for alone as well.
    logs = cloud.cli("logs", "--type", "web", "--type", "nginx", "--type", "postgres", "-n", "400").run()
    releases = cloud.cli("logs", "--type", "release", "-n", "20").run()
    prefixes = set(re.findall(r"\b((?:web|lb|db)\d (?:web|release|nginx|postgres)) \| ", logs.output + releases.output))
    drill["sources"] = sorted(prefixes)
    assert logs.returncode == 0 and releases.returncode == 0, logs.tail() + releases.tail()
    assert {"web1 web", "web2 web", "lb1 nginx", "db1 postgres"} <= prefixes, logs.tail()
    assert re.search(r"web\d release \| .*sampleapp-release\[\d+\]: ", releases.output), \
        "the release task's output is in the journal: " + releases.tail()


def test_logs_tail_streams_a_new_line(cloud, drill):
    """flaskdeploy logs -t: a line the app writes after the command started shows within 5 s"""
    marker = f"cli-tail-{uuid.uuid4().hex[:12]}"
    tail = subprocess.Popen([*CLI, "logs", str(INVENTORY), "-t", "--type", "web", "-n", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen, waited = [], None
    try:
        time.sleep(4)  # both ssh sessions up and following
        sent = time.monotonic()
        for _ in range(2):  # the load balancer may pick either host
            urllib.request.urlopen(f"http://127.0.0.1:{HTTP_PORT}/healthz?{marker}", timeout=5).read()
        os.set_blocking(tail.stdout.fileno(), False)
        while time.monotonic() - sent < 5 and waited is None:
            select.select([tail.stdout], [], [], 0.2)
            for line in iter(tail.stdout.readline, ""):
                seen.append(line)
                if marker in line:
                    waited = round(time.monotonic() - sent, 2)
    finally:
        tail.terminate()
        tail.wait(timeout=10)
    drill["shown_after_s"] = waited
    assert waited is not None and waited <= 5, "".join(seen)[-2000:]
    line = next(line for line in seen if marker in line)
    assert re.match(r"web\d sampleapp-gunicorn.service \| ", line), line


def test_run_a_command_and_an_interactive_shell(cloud, drill):
    """flaskdeploy run: a one-off command; through a pseudo-terminal, flask shell answers print(6*7) with 42"""
    once = cloud.cli("run", "--no-tty", "flask", "--version").run()
    assert once.returncode == 0 and "Flask" in once.output, once.tail()

    pid, fd = pty.fork()
    if pid == 0:  # the child: flaskdeploy on a terminal
        os.chdir(ROOT)
        os.execv(CLI[0], [*CLI, "run", str(INVENTORY), "flask", "shell"])
    output, deadline, asked = b"", time.monotonic() + 90, False
    try:
        while time.monotonic() < deadline and b"\r\n42\r\n" not in output:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    output += os.read(fd, 4096)
                except OSError:
                    break
            if not asked and b">>>" in output:
                os.write(fd, b"print(6*7)\n")
                asked = True
        try:
            os.write(fd, b"exit()\n")
        except OSError:
            pass
    finally:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    text = output.decode(errors="replace")
    drill["interactive"] = asked and "42" in text
    assert asked, text[-2000:]
    assert re.search(r"print\(6\*7\)\r\n42\r\n", text), text[-2000:]


def test_config_lists_the_names(cloud, drill):
    """flaskdeploy config: the names set with config:set"""
    listed = cloud.cli("config").run()
    assert listed.returncode == 0, listed.tail()
    drill["listed"] = "DRILL_KEEP" in listed.output
    assert "DRILL_KEEP" in listed.output, listed.tail()  # set by the config drill, kept for the fleet
