"""Local clouds for the tests that need a whole site, one per pytest run,
named by CLOUD_NAME: `cloud` (make cloud: the site itself, test_site.py, and
the release drills, test_drills.py) and `corpus` (make cloud-corpus: the
corpus of real-world app shapes, test_corpus.py, then the failure drills,
test_failures.py, which break and remove corpus apps). Both run at once in
`make test`: each waits on hosts most of the time.

Each cloud has its own prefix, network, fixed private addresses, ports and
inventory directory, so a demo, the other cloud and the other tests are left
alone: lb1, web1, web2 and db1, the sample app deployed by site.yml from the
git repository `sampleapp-<name>`; apps a test module registers
(BEFORE_FIRST_CONVERGE) join it on the same hosts in its first converge
(listed in the inventory's apps.yml). Its load balancer answers on
127.0.0.1:8280 (`cloud`) or 8281 (`corpus`); every request goes there and
nowhere else.

Each test records one entry (`drill` fixture); at the end the entries are
printed as a table and written to reports/<CLOUD_NAME>.json. CLOUD_KEEP=1 leaves the
cloud running afterwards (a later run starts from scratch anyway), and
CLOUD_REUSE=1 runs the tests on the cloud such a run left.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookies
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))

import loadgen  # noqa: E402
from fixtures import GitServer, SmtpSink  # noqa: E402

CLOUDS = ("cloud", "corpus")
CLOUD_NAME = os.environ.get("CLOUD_NAME", "cloud")
if CLOUD_NAME not in CLOUDS:
    raise SystemExit(f"CLOUD_NAME must be one of {', '.join(CLOUDS)}, not {CLOUD_NAME!r}")
_INDEX = CLOUDS.index(CLOUD_NAME)
INVENTORY = ROOT / ".cache" / CLOUD_NAME / "inventory"
REPORT = ROOT / "reports" / f"{CLOUD_NAME}.json"
PLAYBOOK_LOGS = ROOT / "reports" / "logs" / CLOUD_NAME
PREFIX = f"flaskdeploy-{CLOUD_NAME}-"


def app_repo(name: str) -> str:
    """The git server's repository of app NAME for this cloud (the git server
    is shared by every cloud)."""
    return f"{name}-{CLOUD_NAME}"


REPO = app_repo("sampleapp")
# The request rate of drills that only need a steady stream to see a failed
# request: a light one leaves the CPU to the playbooks.
DRILL_RATE = 40
HTTP_PORT = 8280 + _INDEX
LB_URL = f"http://127.0.0.1:{HTTP_PORT}/healthz"
WEB_HOSTS = ("web1", "web2")
HOSTS = ("lb1", "web1", "web2", "db1")
CLOUD = {
    "local_cloud_prefix": PREFIX,
    "local_cloud_network": f"flaskdeploy-{CLOUD_NAME}",
    "local_cloud_subnet": f"10.213.{42 + _INDEX}.0/24",
    "local_cloud_ssh_port_base": 2400 + 20 * _INDEX,
    "local_cloud_http_port": HTTP_PORT,
    "local_cloud_https_port": 8643 + _INDEX,
    "local_cloud_app_repo": REPO,
    "local_cloud_inventory_dir": str(INVENTORY),
}
ENTRIES: dict[str, dict] = {}
# Facts are cached by host name, and the demo's hosts have the same names.
FACTS = ROOT / ".cache" / CLOUD_NAME / "facts"
# What test modules do before the cloud's first converge (at import): e.g.
# publish apps and list them in the inventory's apps.yml, so that one site.yml
# deploys them all.
BEFORE_FIRST_CONVERGE: list = []
# ... and before the cloud is provisioned (e.g. leave hosts as another
# checkout would); called with the provisioning's extra variables.
BEFORE_PROVISION: list = []
os.environ["ANSIBLE_CACHE_PLUGIN_CONNECTION"] = str(FACTS)


def log(message: str) -> None:
    print(f"[cloud {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(*argv: str, check: bool = True, timeout: int = 600, env: dict | None = None,
        input: str | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout, input=input,
                            env={**os.environ, "ANSIBLE_NOCOLOR": "true", "ANSIBLE_FORCE_COLOR": "false", **(env or {})})
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {result.returncode}\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")
    return result


def fill(entry: dict, report: dict, cloud) -> None:
    """A drill's request counts and the releases live after it, for the table."""
    entry["requests_sent"] = report["requests_sent"]
    entry["requests_failed"] = report["requests_failed"]
    entry["rate"] = report["rate"]
    entry["p99_ms"] = report["p99_ms"]
    entry["releases_live"] = cloud.releases_live()


def assert_failed_with(playbook, *patterns: str) -> None:
    assert playbook.returncode != 0, "the deploy should have failed:\n" + playbook.tail()
    for pattern in patterns:
        assert re.search(pattern, playbook.output), f"no {pattern!r} in the output:\n{playbook.tail(120)}"


def recap(output: str) -> dict[str, dict[str, int]]:
    """The PLAY RECAP of an ansible-playbook run: host -> counts."""
    counts = {}
    for host, fields in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output, re.M):
        counts[host] = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", fields)}
    return counts


class Playbook:
    """A finished or running ansible-playbook with its release summary."""

    numbers = itertools.count(1)

    def __init__(self, name: str, *args: str, argv: list[str] | None = None, env: dict | None = None):
        """ansible-playbook NAME ARGS on the cloud's inventory, or ARGV (a
        command line that runs playbooks itself: bin/flaskdeploy...)."""
        self.name = name
        handle, self.summary_file = tempfile.mkstemp(prefix="cloud-summary-", suffix=".json")
        os.close(handle)
        os.unlink(self.summary_file)
        path = name if name == "site.yml" or "/" in name else f"playbooks/{name}"
        self.argv = argv or ["ansible-playbook", "-i", str(INVENTORY), path, *args]
        self.label = Path(path).stem if argv is None else name
        self.env = {**os.environ, "ANSIBLE_NOCOLOR": "true", "ANSIBLE_FORCE_COLOR": "false",
                    "FLASKDEPLOY_SUMMARY_FILE": self.summary_file, **(env or {})}
        self.process = None
        self.returncode = None
        self.output = ""

    def start(self) -> "Playbook":
        self.busy = machine_busy()
        log(" ".join(self.argv[:1] + self.argv[3:]) if self.argv[0] == "ansible-playbook" else " ".join(self.argv))
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        return self

    def wait(self, timeout: int = 1500) -> "Playbook":
        try:
            self.output, _ = self.process.communicate(timeout=timeout)
        finally:
            self.busy.close()
        self.returncode = self.process.returncode
        # Every run's whole output, for when a test fails (CI keeps reports/).
        saved = PLAYBOOK_LOGS / f"{next(Playbook.numbers):03d}-{self.label}.log"
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(" ".join(self.argv) + "\n\n" + self.output)
        log(f"{self.label} exited {self.returncode} ({saved.relative_to(ROOT)})")
        return self

    def run(self, timeout: int = 1500) -> "Playbook":
        return self.start().wait(timeout)

    @property
    def summary(self) -> dict:
        try:
            return json.loads(Path(self.summary_file).read_text())
        except FileNotFoundError:
            return {}

    @property
    def recap(self) -> dict:
        return recap(self.output)

    def tail(self, lines: int = 80) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


class Response:
    def __init__(self, status: int, body: str, headers: dict, request_id: str | None):
        self.status, self.body, self.headers, self.request_id = status, body, headers, request_id

    def __repr__(self):
        return f"<{self.status} {self.body[:200]!r}>"


class Browser:
    """One user's browser on one app, through the load balancer on 127.0.0.1:
    the app's domain in the Host header, cookies kept, redirects followed,
    the CSRF token of a form read from the page that holds it."""

    def __init__(self, domain: str):
        self.domain = domain
        self.cookies: dict[str, str] = {}
        self.request_ids: list[str] = []

    def request(self, method: str, path: str, form: dict | None = None, follow: bool = True) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=30)
        headers = {"Host": self.domain, "Connection": "close", "User-Agent": "flaskdeploy-corpus-test"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{self.domain}{path}"
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            text = raw.read().decode(errors="replace")
            pairs = raw.getheaders()
        finally:
            conn.close()
        for name, value in pairs:
            if name.lower() == "set-cookie":
                cookie = http.cookies.SimpleCookie()
                cookie.load(value)
                for key, morsel in cookie.items():
                    if morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"]):
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = morsel.value
        response = Response(raw.status, text, {k.lower(): v for k, v in pairs}, raw.getheader("X-Request-ID"))
        if response.request_id:
            self.request_ids.append(response.request_id)
        if follow and raw.status in (301, 302, 303, 307, 308):
            location = urllib.parse.urlsplit(raw.getheader("Location"))
            target = (location.path or "/") + (f"?{location.query}" if location.query else "")
            return self.request("GET", target)
        return response

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def csrf_token(self, path: str) -> str:
        page = self.get(path)
        assert page.status == 200, f"GET {path}: {page}"
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"', page.body)
        assert match, f"no csrf_token in the form at {path}: {page.body[:500]}"
        return match.group(1) or match.group(2)

    def submit(self, form_url: str, action: str, fields: dict) -> Response:
        token = self.csrf_token(form_url)
        return self.request("POST", action, form={**fields, "csrf_token": token})


class Cloud:
    """Helpers to drive the cloud from the tests."""

    git = GitServer()
    smtp = SmtpSink()
    # What provision-local.yml printed (None on a CLOUD_REUSE run, which does not provision).
    provision_output: str | None = None

    @staticmethod
    def container(host: str) -> str:
        return PREFIX + host

    def exec(self, host: str, *argv: str, check: bool = True, input: str | None = None) -> str:
        command = ("docker", "exec", "-i", self.container(host), *argv) if input is not None else \
            ("docker", "exec", self.container(host), *argv)
        return run(*command, check=check, input=input).stdout.strip()

    def live_release(self, host: str, app: str = "sampleapp") -> str:
        return Path(self.exec(host, "readlink", f"/srv/{app}/current")).name

    def releases_live(self, app: str = "sampleapp") -> dict[str, str]:
        return {host: self.live_release(host, app) for host in WEB_HOSTS}

    def release_dirs(self, host: str, app: str = "sampleapp") -> list[str]:
        return sorted(self.exec(host, "ls", f"/srv/{app}/releases").split())

    def releases_of(self, commit: str, app: str = "sampleapp") -> dict[str, list[str]]:
        """The release directories of a commit, per web host that has one."""
        found = {host: [r for r in self.release_dirs(host, app) if r.endswith("-" + commit[:7])] for host in WEB_HOSTS}
        return {host: releases for host, releases in found.items() if releases}

    def sql(self, query: str, database: str = "sampleapp") -> list[list[str]]:
        out = self.exec("db1", "runuser", "-u", "postgres", "--", "psql", "-d", database, "-AtF", "\t", "-c", query)
        return [line.split("\t") for line in out.splitlines() if line]

    def backends(self, app: str = "sampleapp") -> dict[str, str]:
        """Load balancer backends: address -> enabled | drained."""
        out = self.exec("lb1", "nginx-backend", app, "status")
        return dict(line.split() for line in out.splitlines())

    @contextlib.contextmanager
    def watch_backends(self, app: str = "sampleapp", interval: float = 0.2, limit: int = 5000):
        """Samples of backends() taken in the background while the block runs (at most `limit`)."""
        samples, done = [], threading.Event()

        def sample():
            while not done.is_set() and len(samples) < limit:
                samples.append(self.backends(app))
                done.wait(interval)

        watcher = threading.Thread(target=sample, daemon=True)
        watcher.start()
        try:
            yield samples
        finally:
            done.set()
            watcher.join(timeout=30)

    def served_by(self, app: str, request_ids) -> dict[str, int]:
        """How many of these requests each web host's nginx served (its access log)."""
        wanted = set(filter(None, request_ids))
        counts = {}
        for host in WEB_HOSTS:
            lines = self.exec(host, "cat", f"/var/log/nginx/{app}.access.log").splitlines()
            counts[host] = sum(1 for line in lines if any(request_id in line for request_id in wanted))
        return counts

    @staticmethod
    def address(host: str) -> str:
        # The n-th host of the layout gets .(10 + n); web3 comes last (layout "scaled").
        return f"10.213.{42 + _INDEX}.{11 + (*HOSTS, 'web3').index(host)}"

    def stop(self, host: str) -> None:
        run("docker", "stop", "--time", "20", self.container(host), timeout=60)

    def start(self, host: str) -> None:
        """Start a stopped host and wait until systemd and sshd are up."""
        import socket

        run("docker", "start", self.container(host))
        port = CLOUD["local_cloud_ssh_port_base"] + 1 + HOSTS.index(host)

        def sshd_answers():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                    return sock.recv(16).startswith(b"SSH-")
            except OSError:
                return False

        self.wait_for(sshd_answers, timeout=120, interval=1, what=f"sshd on {host}")
        state = self.exec(host, "systemctl", "is-system-running", "--wait", check=False)
        log(f"{host} is back: systemd {state}")

    def commit(self, message: str, files: dict | None = None, append: dict | None = None, remove=(),
               repo: str = REPO) -> str:
        sha = self.git.commit(repo, files or {}, message, remove=remove, append=append)
        log(f"committed {sha[:7]} to {repo}: {message}")
        return sha

    def cli(self, verb: str, *args: str, env: dict | None = None) -> Playbook:
        """bin/flaskdeploy VERB <the cloud's inventory> ARGS, as a Playbook to start or run."""
        return Playbook("flaskdeploy-" + verb.replace(":", "-"), argv=[
            sys.executable, str(ROOT / "bin" / "flaskdeploy"), verb, str(INVENTORY), *args], env=env)

    def ci_deploy(self, version: str = "") -> Playbook:
        """scripts/ci-deploy.sh as the example CI workflows call it, the
        SSH key and the environment's name in the environment."""
        key = INVENTORY / ".ssh" / "id_ed25519"
        env = {"FLASKDEPLOY_ENV": str(INVENTORY), "APP_VERSION": version,
               "SSH_PRIVATE_KEY": key.read_text() if key.exists() else ""}
        return Playbook("ci-deploy", argv=[str(ROOT / "scripts" / "ci-deploy.sh")], env=env)

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

    def stream(self, rate: float = 150, threads: int = 32, url: str = LB_URL, host: str | None = None) -> loadgen.Stream:
        return loadgen.Stream(url, rate=rate, duration=loadgen.MAX_DURATION, threads=threads, host_header=host).start()

    def under_load(self, action, min_requests: int = 0, rate: float = 150, tail: float = 3.0,
                   url: str = LB_URL, host: str | None = None):
        """Run action() while a bounded request stream flows to the load
        balancer; keep the stream going until min_requests were sent and
        `tail` seconds past the action. Returns (action's result, report)."""
        stream = self.stream(rate=rate, url=url, host=host)
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


# The two clouds of `make test` share the machine's two cores. A drill that
# measures latency (a p99) measures the product, not the other cloud's
# deploys: it waits, for up to QUIET_WAIT seconds, until no playbook of either
# cloud runs, and none starts until it ends (machine_quiet). Playbooks hold
# BUSY shared while they run; GATE, held by a quiet drill, stops new ones
# from starting while it waits, so that it is not starved.
BUSY = Path("/tmp/flaskdeploy-cloud-busy.lock")
GATE = Path("/tmp/flaskdeploy-cloud-gate.lock")
QUIET_WAIT = 900


def machine_busy():
    """Hold BUSY shared (close the returned file to let go); waits while a quiet drill runs."""
    import fcntl

    with open(GATE, "a") as gate:
        fcntl.flock(gate, fcntl.LOCK_EX)
        busy = open(BUSY, "a")
        fcntl.flock(busy, fcntl.LOCK_SH)
    return busy


@contextlib.contextmanager
def machine_quiet():
    """No playbook of any cloud runs inside the block (waits up to QUIET_WAIT s for those running)."""
    import fcntl

    with open(GATE, "a") as gate, open(BUSY, "a") as busy:
        fcntl.flock(gate, fcntl.LOCK_EX)
        deadline = time.monotonic() + QUIET_WAIT
        while True:
            try:
                fcntl.flock(busy, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    log(f"the machine is still busy after {QUIET_WAIT} s: going on")
                    break
                time.sleep(1)
        log("no playbook runs on the machine now")
        yield


def converge(what: str) -> Playbook:
    site = Playbook("site.yml").run(timeout=2400)
    assert site.returncode == 0, f"site.yml ({what}) failed:\n{site.tail(150)}"
    return site


@pytest.fixture(scope="session")
def cloud():
    if os.environ.get("CLOUD_REUSE"):
        # While developing: the cloud a CLOUD_KEEP=1 run left, as it is.
        log(f"reusing the cloud of {INVENTORY}")
        yield Cloud()
        return
    INVENTORY.mkdir(parents=True, exist_ok=True)
    link = INVENTORY / "group_vars"
    if not link.is_symlink():
        link.symlink_to(os.path.relpath(ROOT / "inventories" / "local" / "group_vars", INVENTORY))
    (INVENTORY / "apps.yml").unlink(missing_ok=True)
    shutil.rmtree(PLAYBOOK_LOGS, ignore_errors=True)
    # A test cloud's data is throwaway: its teardown asks for no backup
    # (test_data.py proves the refusal without the flag).
    extra = json.dumps({**CLOUD, "teardown_without_backup": True})
    log("tearing down any earlier cloud")
    run("ansible-playbook", "playbooks/teardown-local.yml", "-e", extra, timeout=300)
    for leftover in (INVENTORY / ".secrets", FACTS):
        if leftover.exists():
            run("rm", "-rf", str(leftover))
    for prepare in BEFORE_PROVISION:
        prepare(CLOUD)
    log("provisioning the cloud")
    provisioned = run("ansible-playbook", "playbooks/provision-local.yml", "-e", extra, timeout=600)
    the_cloud = Cloud()
    the_cloud.provision_output = provisioned.stdout
    for prepare in BEFORE_FIRST_CONVERGE:
        prepare(the_cloud)
    log("deploying the site with site.yml")
    the_cloud.first_converge = converge("first converge")
    yield the_cloud
    if os.environ.get("CLOUD_KEEP"):
        log(f"keeping the cloud (inventory {INVENTORY})")
        return
    log("tearing down the cloud")
    run("ansible-playbook", "playbooks/teardown-local.yml", "-e", extra, timeout=300)


@pytest.fixture
def webhook_sink():
    """An HTTP server on 127.0.0.1 keeping the JSON bodies POSTed to it
    (a Slack-compatible deploy webhook): yields (url, bodies)."""
    import http.server

    bodies: list[dict] = []

    class Sink(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            length = int(self.headers.get("Content-Length", 0))
            bodies.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/deploys", bodies
    server.shutdown()


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
    write(f"Cloud tests (load balancer 127.0.0.1:{HTTP_PORT}; written to {REPORT.relative_to(ROOT)})")
    header = f"{'case':<52} {'sent':>7} {'failed':>7}  {'live at the end':<52} result"
    write(header)
    write("-" * len(header))
    for entry in ENTRIES.values():
        live = ", ".join(f"{host} {release}" for host, release in entry["releases_live"].items())
        sent = "-" if entry["requests_sent"] is None else entry["requests_sent"]
        failed = "-" if entry["requests_failed"] is None else entry["requests_failed"]
        write(f"{entry['case'][:52]:<52} {sent:>7} {failed:>7}  {live:<52} {'PASS' if entry['passed'] else 'FAIL'}")
