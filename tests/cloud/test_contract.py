"""The operator's contract for site.yml (issue 22), on the `cloud` cloud:
hosts another checkout left are named and recreated, a host that refuses the
run's key or does not answer says what to do, and a site that drifted (files
edited by hand, a link replaced by a file, units stopped or disabled) is shown
exactly by `--check --diff` and repaired by `site.yml` under a request stream.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from conftest import BEFORE_PROVISION, DRILL_RATE, PREFIX, ROOT, fill, run

# The checkout that "left" lb1: another clone of this repository.
ELSEWHERE = "/srv/another-checkout/flaskdeploy"


def leave_lb1_as_another_checkout_would(cloud_vars: dict) -> None:
    """lb1 as a second checkout's `make local-cloud` leaves it: the same
    container name, that checkout's label and SSH key."""
    image = run(str(ROOT / "scripts" / "build-base-image.sh")).stdout.strip()
    name = PREFIX + "lb1"
    run("docker", "rm", "-f", name, check=False)
    run("docker", "run", "-d", "--name", name, "--hostname", "lb1",
        "--label", "flaskdeploy.local-cloud=true", "--label", f"flaskdeploy.checkout={ELSEWHERE}",
        "--cap-add", "SYS_ADMIN", "--cgroupns", "host", "--tmpfs", "/run", "--tmpfs", "/run/lock",
        "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--stop-signal", "SIGRTMIN+3", image, "/sbin/init")
    run("docker", "exec", name, "sh", "-c",
        "mkdir -p /root/.ssh && echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0000000000000000000000000000000000000000000 "
        "another-checkout' > /root/.ssh/authorized_keys")


BEFORE_PROVISION.append(leave_lb1_as_another_checkout_would)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_hosts_another_checkout_left_are_named_and_recreated(cloud, drill):
    """make local-cloud over hosts of another checkout: names them, recreates them with this checkout's key"""
    if cloud.provision_output is None:
        pytest.skip("CLOUD_REUSE: this run did not provision the cloud")
    assert (f"lb1 was made by another checkout ({ELSEWHERE}) with its own SSH key: recreating it for {ROOT}."
            in flat(cloud.provision_output)), cloud.provision_output[-3000:]
    labels = json.loads(run("docker", "inspect", "-f", "{{json .Config.Labels}}", PREFIX + "lb1").stdout)
    assert labels["flaskdeploy.checkout"] == str(ROOT)
    # The first converge logged in to it with this checkout's key.
    assert cloud.first_converge.recap["lb1"]["unreachable"] == 0 and cloud.first_converge.recap["lb1"]["failed"] == 0
    assert "another-checkout" not in cloud.exec("lb1", "cat", "/root/.ssh/authorized_keys", check=False)


def test_a_host_that_refuses_the_key_says_what_to_do(cloud, drill, tmp_path):
    """A key the host does not know: the run stops naming the key, both users and the fix"""
    key = tmp_path / "not-this-clouds-key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    refused = cloud.playbook("playbooks/connect.yml", "--limit", "web2",
                             "-e", f"ansible_ssh_private_key_file={key}").run(timeout=120)
    assert refused.returncode != 0, refused.tail()
    out = flat(refused.output)
    assert (f"web2 refused the SSH key of this run ({key}) as deploy and as root (Permission denied): "
            "the host only knows other keys.") in out, refused.tail(40)
    assert "`make local-cloud` recreates them with the key of this checkout." in out, refused.tail(40)


def test_a_host_that_does_not_answer_says_what_to_do(cloud, drill):
    """No sshd where the inventory points: the run names the address and what to check"""
    # Port 1 on 127.0.0.1: refused at once, and nothing else is asked.
    silent = cloud.playbook("playbooks/connect.yml", "--limit", "web2", "-e", "ansible_port=1").run(timeout=120)
    assert silent.returncode != 0, silent.tail()
    out = flat(silent.output)
    assert "web2 does not answer SSH at 127.0.0.1:1 (" in out and "Connection refused" in out, silent.tail(40)
    assert "is it running, and are ansible_host and ansible_port right?" in out, silent.tail(40)


# -- Drift: made by hand, shown by --check --diff, repaired by site.yml --------

class Drift:
    """One thing changed by hand on one host: the shell that changes it, the
    shell that exits 0 while it is as the site wants it (the file, the unit,
    what the service runs), the tasks (with their loop item) that must report
    it, and the shell that finds the copy kept of an edited file."""

    def __init__(self, host: str, what: str, drift: str, repaired: str, tasks: set[tuple[str, str | None]],
                 kept: str = "true"):
        self.host, self.what, self.drift, self.repaired, self.tasks, self.kept = host, what, drift, repaired, tasks, kept

    def sh(self, script: str) -> bool:
        return run("docker", "exec", PREFIX + self.host, "sh", "-c", script, check=False).returncode == 0

    def is_repaired(self) -> bool:
        return self.sh(self.repaired)

    def is_kept(self) -> bool:
        return self.sh(self.kept)


SITE_LINK = "/etc/nginx/sites-enabled/sampleapp.conf"
WORKER_UNIT = "/etc/systemd/system/sampleapp-worker@.service"
GUNICORN_CONF = "/etc/gunicorn/sampleapp-gunicorn.conf.py"
PG_CONF = "/etc/postgresql/15/main/conf.d/50-postgresql-role.conf"
PSQL = "runuser -u postgres -- psql -Atc"

DRIFTS = [
    Drift("lb1", "the site's link replaced by an edited file (sed -i on sites-enabled)",
          f"sed -i '1i # edited by hand' {SITE_LINK}",
          f"test -L {SITE_LINK} && ! grep -q 'edited by hand' {SITE_LINK}",
          {("nginx : Keep the file put where the site's link belongs", None), ("nginx : Enable the site", None)},
          kept="grep -q 'edited by hand' /var/backups/nginx/sampleapp.conf.*"),
    Drift("lb1", "nginx.conf edited and nginx reloaded onto it",
          "sed -i 's/server_tokens off;/server_tokens on;/' /etc/nginx/nginx.conf && nginx -s reload 2>/dev/null",
          "grep -q 'server_tokens off;' /etc/nginx/nginx.conf"
          " && curl -sI http://localhost/healthz | grep -qx 'Server: nginx.'",
          {("nginx : Write nginx.conf", None)}, kept="grep -q 'server_tokens on;' /etc/nginx/nginx.conf.*~"),
    Drift("lb1", "the apt upgrade timer stopped", "systemctl stop apt-daily-upgrade.timer",
          "systemctl is-active -q apt-daily-upgrade.timer",
          {("base : Enable the apt timers", "apt-daily-upgrade.timer")}),
    Drift("lb1", "the firewall's unit disabled", "systemctl disable -q nftables",
          "systemctl is-enabled -q nftables", {("base : Enable and start nftables", None)}),
    Drift("web1", "the worker's unit edited and loaded (daemon-reload)",
          f"sed -i 's/^\\[Service\\]/[Service]\\nEnvironment=EDITED_BY_HAND=1/' {WORKER_UNIT} && systemctl daemon-reload",
          f"! grep -q EDITED_BY_HAND {WORKER_UNIT}"
          " && systemctl show -p NeedDaemonReload --value sampleapp-worker@1 | grep -qx no"
          " && ! systemctl show -p Environment --value sampleapp-worker@1 | grep -q EDITED_BY_HAND",
          {("app : Install the unit of each process type", "worker")}, kept=f"grep -q EDITED_BY_HAND {WORKER_UNIT}.*~"),
    Drift("web1", "the worker stopped", "systemctl stop sampleapp-worker@1",
          "systemctl is-active -q sampleapp-worker@1",
          {("app : Enable and start the process instances", "sampleapp-worker@1.service")}),
    Drift("web1", "gunicorn's socket disabled", "systemctl disable -q sampleapp-gunicorn.socket",
          "systemctl is-enabled -q sampleapp-gunicorn.socket", {("gunicorn : Enable and start the socket", None)}),
    Drift("web1", "gunicorn's settings edited",
          f"sed -i 's/^timeout = 30$/timeout = 31/' {GUNICORN_CONF} && grep -q '^timeout = 31' {GUNICORN_CONF}",
          # ... and the gunicorn serving now started after the file was written back
          f"grep -qx 'timeout = 30' {GUNICORN_CONF} && [ $(stat -c %Y {GUNICORN_CONF}) -le"
          " $(date -d \"$(systemctl show -p ActiveEnterTimestamp --value sampleapp-gunicorn)\" +%s) ]",
          {("gunicorn : Write the gunicorn settings", None)}, kept=f"grep -qx 'timeout = 31' {GUNICORN_CONF}.*~"),
    Drift("db1", "PostgreSQL's settings edited and reloaded onto them",
          f"sed -i \"s/^work_mem = .*/work_mem = '77MB'/\" {PG_CONF} && systemctl reload postgresql@15-main"
          f" && sleep 1 && [ \"$({PSQL} 'SHOW work_mem')\" = 77MB ]",
          f"! grep -q \"work_mem = '77MB'\" {PG_CONF} && grep -qx \"work_mem = '$({PSQL} 'SHOW work_mem')'\" {PG_CONF}",
          {("postgresql : Write the PostgreSQL settings", None)}, kept=f"grep -q \"work_mem = '77MB'\" {PG_CONF}.*~"),
    Drift("db1", "the differential backup timer stopped", "systemctl stop pgbackrest-backup-diff.timer",
          "systemctl is-active -q pgbackrest-backup-diff.timer",
          {("postgresql : Enable and start the backup timers", "diff")}),
    Drift("db1", "the full backup timer disabled", "systemctl disable -q pgbackrest-backup-full.timer",
          "systemctl is-enabled -q pgbackrest-backup-full.timer",
          {("postgresql : Enable and start the backup timers", "full")}),
]
# What applying a repair sets off (handlers), reported with it.
CONSEQUENCES = {("nginx : Reload nginx", None), ("nginx : Compare the configuration nginx runs with its files", None),
                ("gunicorn : Restart gunicorn", None), ("postgresql : Reload postgresql", None)}


def changed_tasks(output: str) -> set[tuple[str, str, str | None]]:
    """(host, task, loop item) of every `changed:` line of a run."""
    found, task = set(), None
    for line in output.splitlines():
        header = re.match(r"^(?:TASK|RUNNING HANDLER) \[(.*?)\]", line)
        if header:
            task = header.group(1)
            continue
        changed = re.match(r"^changed: \[([^\]]+)\](?: => \(item=(.*)\))?", line)
        if changed:
            found.add((changed.group(1), task, changed.group(2)))
    return found


def test_drift_is_shown_by_check_mode_and_repaired_by_a_converge(cloud, drill):
    """Hand edits, a link replaced by a file, units stopped and disabled on three tiers: --check --diff shows exactly them, site.yml repairs exactly them under load (asked for another version: nothing deployed)"""
    assert all(d.is_repaired() for d in DRIFTS), [d.what for d in DRIFTS if not d.is_repaired()]
    live = cloud.releases_live()
    # site.yml keeps the live release: a new commit on main and another
    # site_app_version change nothing (deploy.yml ships versions).
    untested = cloud.commit("An untested commit on main", files={"CHANGES.txt": "untested\n"})
    for d in DRIFTS:
        run("docker", "exec", PREFIX + d.host, "sh", "-c", d.drift)
    assert not [d.what for d in DRIFTS if d.is_repaired()], "every drift is in place"
    expected = {(d.host, *task) for d in DRIFTS for task in d.tasks}
    allowed = expected | {(host, *task) for host in {d.host for d in DRIFTS} for task in CONSEQUENCES}

    check = cloud.playbook("site.yml", "--check", "--diff", "-e", f"site_app_version={untested}").run()
    assert check.returncode == 0, check.tail(120)
    shown = changed_tasks(check.output)
    assert expected <= shown, f"check mode misses drift: {sorted(expected - shown)}"
    assert shown <= allowed, f"check mode reports what did not drift: {sorted(shown - allowed)}"
    assert check.recap["web2"]["changed"] == 0, check.recap
    for line in ("-    server_tokens on;", "+    server_tokens off;", "-work_mem = '77MB'", "-timeout = 31", "+timeout = 30"):
        assert line in check.output, f"no {line!r} in the diff:\n{check.tail(200)}"
    env = cloud.exec("web1", "cat", "/srv/sampleapp/shared/.env")
    secrets = re.findall(r"^SECRET_KEY=['\"]?([^'\"\n]+)", env, re.M) + re.findall(r"postgres\w*://[^:/]+:([^@]+)@", env)
    assert secrets and not [s for s in secrets if s in check.output], "a secret in check mode's output"
    assert not [d.what for d in DRIFTS if d.is_repaired()], "check mode changed nothing"

    repair, report = cloud.under_load(
        lambda: cloud.playbook("site.yml", "--diff", "-e", f"site_app_version={untested}").run(), rate=DRILL_RATE)
    fill(drill, report, cloud)
    assert repair.returncode == 0, repair.tail(120)
    # Exactly the drift changed: every other task of the four hosts is idempotent.
    changed = changed_tasks(repair.output)
    assert expected <= changed, f"not repaired: {sorted(expected - changed)}"
    assert changed <= allowed, f"changed but not drifted (not idempotent): {sorted(changed - allowed)}\n{repair.tail(200)}"
    assert set(repair.recap) >= {"lb1", "web1", "web2", "db1"} and repair.recap["web2"]["changed"] == 0, repair.recap
    repaired = [d for d in DRIFTS if d.is_repaired()]
    print(f"\nrepaired {len(repaired)} of {len(DRIFTS)} drifted items "
          f"({', '.join(sorted({d.host for d in DRIFTS}))}), {report['requests_failed']} of "
          f"{report['requests_sent']} requests failed")
    drill["repaired"] = f"{len(repaired)}/{len(DRIFTS)}"
    assert len(repaired) == len(DRIFTS), [f"{d.host}: {d.what}" for d in DRIFTS if d not in repaired]
    assert not [d.what for d in DRIFTS if not d.is_kept()], "each edited file is kept beside the repaired one"
    assert cloud.releases_live() == live, "a converge keeps the live release"
    assert not cloud.releases_of(untested), "nothing of the untested commit reached a host"
    assert report["requests_failed"] == 0, report
