"""Helpers of the benchmark suite (bench/run.py): its own local cloud, timed
ansible-playbook runs with their PLAY RECAP and profile_tasks summary, the
hand-written baseline deploy over SSH, and wrk runs against 127.0.0.1 only.

Modelled on tests/drills/conftest.py (Cloud, Playbook), with the bench
cloud's own prefix, network, ports, git repository and inventory directory.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import OrderedDict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import loadgen  # noqa: E402
from fixtures import GitServer  # noqa: E402

BENCH_DIR = ROOT / ".cache" / "bench"
INVENTORY = BENCH_DIR / "inventory"
LOGS = BENCH_DIR / "logs"
FACTS = BENCH_DIR / "facts"
PREFIX = "flaskdeploy-bench-"
REPO = "sampleapp-bench"
SSH_PORT_BASE = 2500
HTTP_PORT = 8380
HOSTS = ("lb1", "web1", "web2", "db1")
WEB_HOSTS = ("web1", "web2")
APP = "sampleapp"
CLOUD = {
    "local_cloud_prefix": PREFIX,
    "local_cloud_network": "flaskdeploy-bench",
    "local_cloud_subnet": "10.213.43.0/24",
    "local_cloud_ssh_port_base": SSH_PORT_BASE,
    "local_cloud_http_port": HTTP_PORT,
    "local_cloud_https_port": 8743,
    "local_cloud_app_repo": REPO,
    "local_cloud_inventory_dir": str(INVENTORY),
}
# Load goes to these addresses and nowhere else.
LOOPBACK = "127.0.0.1"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Deadline:
    """The suite's time budget: every subprocess gets at most what is left."""

    def __init__(self, seconds: float):
        self.started = time.monotonic()
        self.ends = self.started + seconds

    def left(self) -> float:
        return self.ends - time.monotonic()

    def timeout(self, wanted: float, reserve: float = 0) -> float:
        return max(5.0, min(wanted, self.left() - reserve))


def base_env(**extra: str) -> dict:
    return {**os.environ, "ANSIBLE_NOCOLOR": "true", "ANSIBLE_FORCE_COLOR": "false",
            # The bench cloud's facts apart from the demo's and the drills' (their
            # hosts have the same names; the cache is keyed by host name only).
            "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(FACTS),
            # Every task in profile_tasks' summary: it is aggregated here.
            "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "all",
            "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
            **extra}


def run(*argv: str, timeout: float = 600, check: bool = True, env: dict | None = None,
        input: str | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                            env=env or base_env(), input=input)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-3000:]}")
    return result


# -- ansible-playbook runs ---------------------------------------------------------
RECAP_LINE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)"
                        r"\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)")
PROFILE_LINE = re.compile(r"^(.*\S) -+ (\d+\.\d+)s$")


class Playbook:
    """One ansible-playbook run: wall time, PLAY RECAP, profile_tasks summary."""

    def __init__(self, label: str, playbook: str, *args: str, inventory: Path | None = INVENTORY,
                 env: dict | None = None):
        self.label = label
        handle, self.summary_file = tempfile.mkstemp(prefix="bench-summary-", suffix=".json")
        os.close(handle)
        os.unlink(self.summary_file)
        self.argv = ["ansible-playbook", *(["-i", str(inventory)] if inventory else []), playbook, *args]
        self.env = base_env(FLASKDEPLOY_SUMMARY_FILE=self.summary_file, **(env or {}))
        self.process = None
        self.output = ""
        self.returncode = None
        self.seconds = None
        self._started = None

    def start(self) -> "Playbook":
        log(f"[{self.label}] {' '.join(self.argv)}")
        self._started = time.monotonic()
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        return self

    def wait(self, timeout: float) -> "Playbook":
        try:
            self.output, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.output, _ = self.process.communicate()
            self.output += f"\n[bench] killed after {timeout:.0f}s\n"
        self.seconds = time.monotonic() - self._started
        self.returncode = self.process.returncode
        LOGS.mkdir(parents=True, exist_ok=True)
        (LOGS / f"{self.label}.log").write_text(self.output)
        log(f"[{self.label}] exited {self.returncode} after {self.seconds:.1f}s; changed={self.changed} "
            f"(log: {(LOGS / f'{self.label}.log').relative_to(ROOT)})")
        return self

    def run(self, timeout: float) -> "Playbook":
        return self.start().wait(timeout)

    def check(self) -> "Playbook":
        if self.returncode != 0 or self.recap_totals()["failed"] or self.recap_totals()["unreachable"]:
            raise RuntimeError(f"{self.label}: ansible-playbook exited {self.returncode}\n{self.tail()}")
        return self

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output.splitlines()[-lines:])

    def recap(self) -> dict[str, dict[str, int]]:
        hosts: dict[str, dict[str, int]] = {}
        in_recap = False
        for line in self.output.splitlines():
            if line.startswith("PLAY RECAP"):
                in_recap = True
                continue
            if in_recap:
                match = RECAP_LINE.match(line.strip())
                if match:
                    keys = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")
                    hosts[match.group(1)] = dict(zip(keys, map(int, match.groups()[1:])))
                elif line.strip() and hosts:
                    in_recap = False
        return hosts

    def recap_totals(self) -> dict[str, int]:
        totals = {"ok": 0, "changed": 0, "unreachable": 0, "failed": 0, "skipped": 0, "rescued": 0, "ignored": 0}
        for counts in self.recap().values():
            for key, value in counts.items():
                totals[key] += value
        return totals

    @property
    def changed(self) -> int | None:
        return self.recap_totals()["changed"] if self.recap() else None

    def changed_tasks(self) -> list[str]:
        """The task names that reported a change (for a no-op run that was not one)."""
        names, task = [], None
        for line in self.output.splitlines():
            if line.startswith(("TASK [", "RUNNING HANDLER [")):
                task = line.split("[", 1)[1].rsplit("]", 1)[0]
            elif line.startswith("changed:") and task and task not in names:
                names.append(task)
        return names

    def profile(self) -> list[tuple[str, float]]:
        """profile_tasks' per-task times (the TASKS RECAP), in its order."""
        tasks, in_summary = [], False
        for line in self.output.splitlines():
            if line.startswith("TASKS RECAP"):
                in_summary = True
                continue
            if in_summary:
                match = PROFILE_LINE.match(line.rstrip())
                if match:
                    tasks.append((match.group(1), float(match.group(2))))
        return tasks

    def top_tasks(self, count: int | None = 15) -> list[dict]:
        """The slowest tasks, the runs of one task name (an imported file run
        several times, a task in a loop of includes) added up."""
        total: OrderedDict[str, list] = OrderedDict()
        for name, seconds in self.profile():
            entry = total.setdefault(name, [0.0, 0])
            entry[0] += seconds
            entry[1] += 1
        ranked = sorted(total.items(), key=lambda item: item[1][0], reverse=True)[:count]
        return [{"task": name, "seconds": round(seconds, 2), "runs": runs} for name, (seconds, runs) in ranked]

    @property
    def summary(self) -> dict:
        try:
            return json.loads(Path(self.summary_file).read_text())
        except (FileNotFoundError, ValueError):
            return {}


# -- the cloud -----------------------------------------------------------------------
class Cloud:
    git = GitServer()

    @staticmethod
    def container(host: str) -> str:
        return PREFIX + host

    @staticmethod
    def ssh_port(host: str) -> int:
        return SSH_PORT_BASE + 1 + HOSTS.index(host)

    def exec(self, host: str, *argv: str, check: bool = True, timeout: float = 120, input: str | None = None) -> str:
        return run("docker", "exec", *(["-i"] if input is not None else []), self.container(host), *argv,
                   check=check, timeout=timeout, input=input).stdout.strip()

    def live_release(self, host: str) -> str:
        return Path(self.exec(host, "readlink", f"/srv/{APP}/current")).name

    def releases_live(self) -> dict[str, str]:
        return {host: self.live_release(host) for host in WEB_HOSTS}

    def commit(self, message: str, files: dict) -> str:
        sha = self.git.commit(REPO, files, message)
        log(f"committed {sha[:7]} to {REPO}: {message}")
        return sha

    def close_ssh_masters(self) -> None:
        """End the ControlPersist masters of earlier runs, so that every timed
        run opens its connections itself (as a run minutes later would)."""
        control = Path.home() / ".ansible" / "cp" / "%C"
        for host in HOSTS:
            for user in ("root", admin_user()):
                subprocess.run(["ssh", "-o", f"ControlPath={control}", "-p", str(self.ssh_port(host)),
                                "-O", "exit", f"{user}@{LOOPBACK}"], capture_output=True, timeout=20, check=False)


def admin_user() -> str:
    text = (ROOT / "group_vars" / "all" / "main.yml").read_text()
    match = re.search(r"^site_admin_user:\s*(\S+)", text, re.M)
    return match.group(1) if match else "deploy"


def ssh_argv(host: str) -> list[str]:
    """ssh as Ansible runs it for this host: ansible.cfg's ssh_args and
    control_path_dir, the inventory's key and common args, the admin login."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "ansible.cfg")
    ssh_args = config.get("ssh_connection", "ssh_args", fallback="")
    control_dir = os.path.expanduser(config.get("ssh_connection", "control_path_dir", fallback="~/.ansible/cp"))
    common = "-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no"
    hosts_yml = INVENTORY / "hosts.yml"
    match = re.search(r"ansible_ssh_common_args:\s*(.+)", hosts_yml.read_text()) if hosts_yml.exists() else None
    if match:
        common = match.group(1).strip()
    return ["ssh", *shlex.split(ssh_args), *shlex.split(common), "-o", f"ControlPath={control_dir}/%C",
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "PasswordAuthentication=no",
            "-i", str(INVENTORY / ".ssh" / "id_ed25519"), "-p", str(Cloud.ssh_port(host)),
            f"{admin_user()}@{LOOPBACK}"]


def baseline_deploy(cloud: Cloud, commit: str, release: str, timeout: float) -> dict:
    """The minimal hand-written deploy (bench/baseline-deploy.sh) over the same
    SSH settings as Ansible: build on both web hosts at once, then switch and
    restart gunicorn one host at a time. Returns seconds per phase."""
    script = (ROOT / "bench" / "baseline-deploy.sh").read_text()
    began = time.monotonic()

    def remote(host: str, *args: str, results: dict) -> None:
        argv = ssh_argv(host) + ["sudo", "-n", "bash", "-s", "--", *args]
        results[host] = subprocess.run(argv, input=script, capture_output=True, text=True, timeout=timeout)

    builds: dict = {}
    threads = [threading.Thread(target=remote, args=(host, "build", release, commit), kwargs={"results": builds})
               for host in WEB_HOSTS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    built = time.monotonic()
    for host, result in builds.items():
        if result.returncode != 0:
            raise RuntimeError(f"baseline build on {host} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    for host in WEB_HOSTS:
        switched: dict = {}
        remote(host, "switch", release, results=switched)
        if switched[host].returncode != 0:
            raise RuntimeError(f"baseline switch on {host} exited {switched[host].returncode}:\n{switched[host].stderr}")
    done = time.monotonic()
    return {"seconds": done - began, "build_seconds": built - began, "switch_seconds": done - built}


# -- load ------------------------------------------------------------------------------
WRK = {"threads": 2, "connections": 16, "duration": 10, "warmup": 2}
WRK_LATENCY = re.compile(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$")


def _loopback_only(url: str) -> None:
    if urllib.parse.urlsplit(url).hostname != LOOPBACK:
        raise ValueError(f"refusing to send load to {url}: {LOOPBACK} only")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(output: str) -> dict:
    result = {"rps": None, "p50_ms": None, "p99_ms": None, "requests": None, "non_2xx": 0, "socket_errors": 0}
    for line in output.splitlines():
        if line.startswith("Requests/sec:"):
            result["rps"] = float(line.split()[1])
        elif (match := WRK_LATENCY.match(line)) and match.group(1) in ("50", "99"):
            result[f"p{match.group(1)}_ms"] = round(_ms(match.group(2), match.group(3)), 2)
        elif "requests in" in line:
            result["requests"] = int(line.split()[0])
        elif "Non-2xx or 3xx responses:" in line:
            result["non_2xx"] = int(line.split(":")[1])
        elif "Socket errors:" in line:
            result["socket_errors"] = sum(int(n) for n in re.findall(r"\d+", line))
    return result


def wrk_argv(url: str, duration: int) -> list[str]:
    _loopback_only(url)
    return ["-t", str(WRK["threads"]), "-c", str(WRK["connections"]), "-d", f"{duration}s", "--timeout", "10s",
            "--latency", url]


def wrk(url: str, prefix: tuple[str, ...] = ("wrk",)) -> dict:
    """A warm-up, then one measured wrk run; prefix runs it elsewhere
    (docker exec into a host, against that host's own loopback)."""
    run(*prefix, *wrk_argv(url, WRK["warmup"]), timeout=WRK["warmup"] + 30, check=False)
    cpu = cpu_times()
    out = run(*prefix, *wrk_argv(url, WRK["duration"]), timeout=WRK["duration"] + 60).stdout
    result = parse_wrk(out)
    result.update(url=url, cpu_busy=cpu_busy(cpu), output=out.strip())
    log(f"wrk {url}: {result['rps']} req/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
        f"non-2xx {result['non_2xx']}, socket errors {result['socket_errors']}, CPU busy {result['cpu_busy']:.0%}")
    return result


def wrk_rounds(urls: dict[str, str], rounds: int, prefix: tuple[str, ...] = ("wrk",)) -> dict[str, dict]:
    """wrk against each URL in turn, `rounds` times (A B A B...), so that a
    change in the machine's load hits both alike; each URL's figures are the
    median over its rounds (the rounds themselves are kept)."""
    runs: dict[str, list] = {name: [] for name in urls}
    for _ in range(rounds):
        for name, url in urls.items():
            runs[name].append(wrk(url, prefix))
    return {name: mean_of(results) for name, results in runs.items()}


def mean_of(results: list[dict]) -> dict:
    def avg(key):  # the median: one round hit by another test's burst does not decide
        values = sorted(r[key] for r in results if r.get(key) is not None)
        if not values:
            return None
        middle = len(values) // 2
        return round(values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2, 2)

    return {"url": results[0]["url"], "rps": avg("rps"), "p50_ms": avg("p50_ms"), "p99_ms": avg("p99_ms"),
            "cpu_busy": avg("cpu_busy"), "requests": sum(r["requests"] or 0 for r in results),
            "non_2xx": sum(r["non_2xx"] for r in results), "socket_errors": sum(r["socket_errors"] for r in results),
            "rounds": [{k: v for k, v in r.items() if k != "output"} for r in results]}


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine (containers included)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def cpu_busy(before: tuple[int, int]) -> float:
    busy, total = cpu_times()
    return (busy - before[0]) / max(1, total - before[1])


def install_wrk(cloud: Cloud, host: str) -> tuple[str, ...]:
    """Debian's wrk in a host, copied from the controller's package (same
    Debian 12) with the one library the host lacks; returns the command prefix."""
    target = "/var/tmp/bench-wrk"  # not /tmp: docker cp cannot write into a tmpfs mount
    cloud.exec(host, "mkdir", "-p", target)
    wrk_bin = run("sh", "-c", "command -v wrk").stdout.strip()
    luajit = run("sh", "-c", "ldd \"$(command -v wrk)\" | awk '/libluajit/ {print $3}'").stdout.strip()
    for path in (wrk_bin, os.path.realpath(luajit)):
        run("docker", "cp", "-L", path, f"{cloud.container(host)}:{target}/", timeout=60)
    cloud.exec(host, "ln", "-sf", f"{target}/{Path(os.path.realpath(luajit)).name}", f"{target}/{Path(luajit).name}")
    prefix = ("docker", "exec", "-e", f"LD_LIBRARY_PATH={target}", cloud.container(host), f"{target}/wrk")
    run(*prefix, "--version", check=False)
    return prefix


def stream(rate: float, seconds: float) -> loadgen.Stream:
    url = f"http://{LOOPBACK}:{HTTP_PORT}/healthz"
    _loopback_only(url)
    return loadgen.Stream(url, rate=rate, duration=seconds, threads=8).start()
