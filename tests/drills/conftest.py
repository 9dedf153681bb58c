"""The local cloud the release drills run on, and the drills' report.

A cloud of its own (prefix, network, fixed private addresses, ports and
inventory directory), so a demo and the other tests are left alone: lb1,
web1, web2 and db1 with the sample app deployed by site.yml from the git
repository `sampleapp-drills`. Its load balancer answers on 127.0.0.1:8280;
every request stream goes there and nowhere else.

Each test records one entry (`drill` fixture); at the end the entries are
printed as a table and written to reports/drills.json. DRILLS_KEEP_CLOUD=1
leaves the cloud running afterwards (a later run starts from scratch anyway).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import loadgen  # noqa: E402
from fixtures import GitServer  # noqa: E402

INVENTORY = ROOT / ".cache" / "drills" / "inventory"
REPORT = ROOT / "reports" / "drills.json"
PREFIX = "flaskdeploy-drill-"
REPO = "sampleapp-drills"
HTTP_PORT = 8280
LB_URL = f"http://127.0.0.1:{HTTP_PORT}/healthz"
WEB_HOSTS = ("web1", "web2")
CLOUD = {
    "local_cloud_prefix": PREFIX,
    "local_cloud_network": "flaskdeploy-drill",
    "local_cloud_subnet": "10.213.42.0/24",
    "local_cloud_ssh_port_base": 2400,
    "local_cloud_http_port": HTTP_PORT,
    "local_cloud_https_port": 8643,
    "local_cloud_app_repo": REPO,
    "local_cloud_inventory_dir": str(INVENTORY),
}
ENTRIES: dict[str, dict] = {}
# Facts are cached by host name, and the demo's hosts have the same names.
FACTS = ROOT / ".cache" / "drills" / "facts"
os.environ["ANSIBLE_CACHE_PLUGIN_CONNECTION"] = str(FACTS)


def log(message: str) -> None:
    print(f"[drills {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(*argv: str, check: bool = True, timeout: int = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, "ANSIBLE_NOCOLOR": "true", "ANSIBLE_FORCE_COLOR": "false", **(env or {})})
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {result.returncode}\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")
    return result


class Playbook:
    """A finished or running ansible-playbook with its release summary."""

    def __init__(self, name: str, *args: str):
        self.name = name
        handle, self.summary_file = tempfile.mkstemp(prefix="drill-summary-", suffix=".json")
        os.close(handle)
        os.unlink(self.summary_file)
        self.argv = ["ansible-playbook", "-i", str(INVENTORY), f"playbooks/{name}", *args]
        self.env = {**os.environ, "ANSIBLE_NOCOLOR": "true", "ANSIBLE_FORCE_COLOR": "false",
                    "FLASKDEPLOY_SUMMARY_FILE": self.summary_file}
        self.process = None
        self.returncode = None
        self.output = ""

    def start(self) -> "Playbook":
        log(f"ansible-playbook playbooks/{self.name} {' '.join(self.argv[4:])}")
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        return self

    def wait(self, timeout: int = 900) -> "Playbook":
        self.output, _ = self.process.communicate(timeout=timeout)
        self.returncode = self.process.returncode
        log(f"playbooks/{self.name} exited {self.returncode}")
        return self

    def run(self) -> "Playbook":
        return self.start().wait()

    @property
    def summary(self) -> dict:
        try:
            return json.loads(Path(self.summary_file).read_text())
        except FileNotFoundError:
            return {}

    def tail(self, lines: int = 80) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


class Cloud:
    """Helpers to drive the drill cloud from the tests."""

    git = GitServer()

    @staticmethod
    def container(host: str) -> str:
        return PREFIX + host

    def exec(self, host: str, *argv: str, check: bool = True) -> str:
        return run("docker", "exec", self.container(host), *argv, check=check).stdout.strip()

    def live_release(self, host: str) -> str:
        return Path(self.exec(host, "readlink", "/srv/sampleapp/current")).name

    def releases_live(self) -> dict[str, str]:
        return {host: self.live_release(host) for host in WEB_HOSTS}

    def release_dirs(self, host: str) -> list[str]:
        return sorted(self.exec(host, "ls", "/srv/sampleapp/releases").split())

    def releases_of(self, commit: str) -> dict[str, list[str]]:
        """The release directories of a commit, per web host that has one."""
        found = {host: [r for r in self.release_dirs(host) if r.endswith("-" + commit[:7])] for host in WEB_HOSTS}
        return {host: releases for host, releases in found.items() if releases}

    def sql(self, query: str) -> list[list[str]]:
        out = self.exec("db1", "runuser", "-u", "postgres", "--", "psql", "-d", "sampleapp", "-AtF", "\t", "-c", query)
        return [line.split("\t") for line in out.splitlines() if line]

    def backends(self) -> dict[str, str]:
        """Load balancer backends: address -> enabled | drained."""
        out = self.exec("lb1", "nginx-backend", "sampleapp", "status")
        return dict(line.split() for line in out.splitlines())

    @staticmethod
    def address(host: str) -> str:
        index = ["lb1", "web1", "web2", "db1"].index(host)
        return f"10.213.42.{11 + index}"

    def stop(self, host: str) -> None:
        run("docker", "stop", "--time", "20", self.container(host), timeout=60)

    def start(self, host: str) -> None:
        """Start a stopped host and wait until systemd and sshd are up."""
        import socket

        run("docker", "start", self.container(host))
        port = CLOUD["local_cloud_ssh_port_base"] + 1 + ["lb1", "web1", "web2", "db1"].index(host)

        def sshd_answers():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                    return sock.recv(16).startswith(b"SSH-")
            except OSError:
                return False

        self.wait_for(sshd_answers, timeout=120, interval=1, what=f"sshd on {host}")
        state = self.exec(host, "systemctl", "is-system-running", "--wait", check=False)
        log(f"{host} is back: systemd {state}")

    def commit(self, message: str, files: dict | None = None, append: dict | None = None, remove=()) -> str:
        sha = self.git.commit(REPO, files or {}, message, remove=remove, append=append)
        log(f"committed {sha[:7]} to {REPO}: {message}")
        return sha

    def playbook(self, name: str, *args: str) -> Playbook:
        return Playbook(name, *args)

    def wait_for(self, condition, timeout: float = 300, interval: float = 0.3, what: str = "condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    @staticmethod
    def enqueue_job(text: str, seconds: float = 0) -> str:
        """POST /jobs through the load balancer; returns the job's id."""
        import urllib.request

        request = urllib.request.Request(f"http://127.0.0.1:{HTTP_PORT}/jobs", method="POST",
                                         data=json.dumps({"text": text, "seconds": seconds}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["id"]

    @staticmethod
    def jobs_done(ids) -> dict | None:
        """Every job's state (GET /jobs/<id>) once none is pending or running, else None."""
        import urllib.request

        states = {}
        for job in ids:
            with urllib.request.urlopen(f"http://127.0.0.1:{HTTP_PORT}/jobs/{job}", timeout=10) as response:
                states[job] = json.load(response)
            if states[job]["status"] in ("PENDING", "STARTED", "RETRY"):
                return None
        return states

    def stream(self, rate: float = 150, threads: int = 32) -> loadgen.Stream:
        return loadgen.Stream(LB_URL, rate=rate, duration=loadgen.MAX_DURATION, threads=threads).start()

    def under_load(self, action, min_requests: int = 0, rate: float = 150, tail: float = 3.0):
        """Run action() while a bounded request stream flows to the load
        balancer; keep the stream going until min_requests were sent and
        `tail` seconds past the action. Returns (action's result, report)."""
        stream = self.stream(rate=rate)
        try:
            time.sleep(2)
            result = action()
            ended = time.monotonic()
            while stream.sent < min_requests or time.monotonic() - ended < tail:
                if time.monotonic() - stream.started > loadgen.MAX_DURATION - 5:
                    break
                time.sleep(0.25)
        finally:
            stream.stop()
        report = stream.report()
        log(loadgen.summary(report))
        return result, report


@pytest.fixture(scope="session")
def cloud():
    INVENTORY.mkdir(parents=True, exist_ok=True)
    link = INVENTORY / "group_vars"
    if not link.is_symlink():
        link.symlink_to(os.path.relpath(ROOT / "inventories" / "local" / "group_vars", INVENTORY))
    extra = json.dumps(CLOUD)
    log("tearing down any earlier drill cloud")
    run("ansible-playbook", "playbooks/teardown-local.yml", "-e", extra, timeout=300)
    for leftover in (INVENTORY / ".secrets", FACTS):
        if leftover.exists():
            run("rm", "-rf", str(leftover))
    log("provisioning the drill cloud")
    run("ansible-playbook", "playbooks/provision-local.yml", "-e", extra, timeout=600)
    log("deploying the site with site.yml")
    site = run("ansible-playbook", "-i", str(INVENTORY), "site.yml", check=False, timeout=1500)
    assert site.returncode == 0, site.stdout[-8000:]
    yield Cloud()
    if os.environ.get("DRILLS_KEEP_CLOUD"):
        log(f"keeping the drill cloud (inventory {INVENTORY})")
        return
    log("tearing down the drill cloud")
    run("ansible-playbook", "playbooks/teardown-local.yml", "-e", extra, timeout=300)


@pytest.fixture
def drill(request):
    """The report entry of this test; `passed` is set from its outcome."""
    entry = {"case": request.node.name.removeprefix("test_"), "description": (request.function.__doc__ or "").strip().split("\n")[0],
             "requests_sent": None, "requests_failed": None, "releases_live": {}, "passed": False}
    ENTRIES[request.node.nodeid] = entry
    return entry


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    entry = ENTRIES.get(item.nodeid)
    if entry is not None and report.when == "call":
        entry["passed"] = report.passed
    elif entry is not None and report.failed:
        entry["passed"] = False


def pytest_sessionfinish(session, exitstatus):
    if not ENTRIES:
        return
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(list(ENTRIES.values()), indent=2) + "\n")


def pytest_terminal_summary(terminalreporter):
    if not ENTRIES:
        return
    write = terminalreporter.write_line
    write("")
    write(f"Release drills (load balancer 127.0.0.1:{HTTP_PORT}; written to {REPORT.relative_to(ROOT)})")
    header = f"{'case':<44} {'sent':>7} {'failed':>7}  {'live at the end':<52} result"
    write(header)
    write("-" * len(header))
    for entry in ENTRIES.values():
        live = ", ".join(f"{host} {release}" for host, release in entry["releases_live"].items())
        sent = "-" if entry["requests_sent"] is None else entry["requests_sent"]
        failed = "-" if entry["requests_failed"] is None else entry["requests_failed"]
        write(f"{entry['case']:<44} {sent:>7} {failed:>7}  {live:<52} {'PASS' if entry['passed'] else 'FAIL'}")
