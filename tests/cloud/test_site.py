"""The local cloud and the whole site on it: hosts that behave like fresh
droplets over SSH, site.yml end to end (tests/cloud/site_checks.yml). The
second site.yml, which must change nothing but the drift made by hand, is
test_contract.py's."""

from __future__ import annotations

import json
import socket
import subprocess

from conftest import CLOUD, INVENTORY, PREFIX, ROOT, run


def test_every_host_answers_over_ssh(cloud, drill):
    """The cloud's hosts answer Ansible over SSH, grouped by role"""
    # As the admin user: site.yml's base role turned root logins off.
    result = run("ansible", "all", "-i", str(INVENTORY), "-u", "deploy", "-m", "ansible.builtin.ping")
    assert result.stdout.count("SUCCESS") == 4, result.stdout
    graph = json.loads(run("ansible-inventory", "-i", str(INVENTORY), "--list").stdout)
    assert graph["lb"]["hosts"] == ["lb1"]
    assert sorted(graph["web"]["hosts"]) == ["web1", "web2"]
    assert graph["db"]["hosts"] == ["db1"]
    assert sorted(graph["local"]["children"]) == ["db", "lb", "web"]
    assert cloud.exec("web1", "systemctl", "is-system-running", "--wait", check=False) == "running"


def test_ports_are_published_on_loopback_only(cloud, drill):
    """Each host publishes SSH (and the load balancer HTTP/HTTPS) on 127.0.0.1 only"""
    for name in ("lb1", "web1", "web2", "db1"):
        ports = json.loads(subprocess.run(
            ["docker", "inspect", "-f", "{{json .NetworkSettings.Ports}}", f"{PREFIX}{name}"],
            capture_output=True, text=True, check=True).stdout)
        bindings = [b for spec in ports.values() if spec for b in spec]
        assert bindings, name
        assert {b["HostIp"] for b in bindings} == {"127.0.0.1"}, (name, bindings)
    with socket.create_connection(("127.0.0.1", CLOUD["local_cloud_ssh_port_base"] + 1), timeout=5) as sock:
        assert sock.recv(64).startswith(b"SSH-2.0-OpenSSH")
    assert (INVENTORY / ".ssh" / "id_ed25519").exists()
    ignored = subprocess.run(["git", "check-ignore", "-q", "inventories/local/.ssh/id_ed25519"], cwd=ROOT)
    assert ignored.returncode == 0, "the generated key must be git-ignored"


def test_the_whole_site_works_end_to_end(cloud, drill):
    """site.yml: the app through the load balancer from both web hosts, data, mail, jobs, ports"""
    checks = cloud.playbook("tests/cloud/site_checks.yml").run()
    assert checks.returncode == 0, checks.tail(120)
    assert all(counts["failed"] == 0 and counts["unreachable"] == 0 for counts in checks.recap.values()), checks.recap
    drill["releases_live"] = cloud.releases_live()


def test_the_app_verifies_the_database_server(cloud, drill):
    """The app reaches PostgreSQL over TLS and verifies the server against its own CA (sslmode=verify-full); a client without that CA is refused"""
    env = cloud.exec("web1", "cat", "/srv/sampleapp/shared/.env")
    assert "PGSSLMODE=verify-full" in env.replace("'", "") and \
        "PGSSLROOTCERT=/srv/sampleapp/shared/database-ca.crt" in env.replace("'", ""), "the app's environment verifies the server"
    probe = ("import os, psycopg; c = psycopg.connect(os.environ['DATABASE_URL']); "
             "print(c.execute('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()').fetchone()[0])")

    def connect(*env):
        return subprocess.run(["docker", "exec", f"{PREFIX}web1", "sampleapp-run", "env", *env, "python", "-c", probe],
                              capture_output=True, text=True, timeout=60)

    verified, other_ca, no_ca = (connect(), connect("PGSSLROOTCERT=/etc/ssl/certs/ca-certificates.crt"),
                                 connect("PGSSLROOTCERT=/nonexistent/ca.crt"))
    assert (verified.returncode, verified.stdout.strip()) == (0, "True"), verified.stderr[-2000:]
    assert other_ca.returncode != 0 and "certificate verify failed" in other_ca.stderr, other_ca.stderr[-2000:]
    assert no_ca.returncode != 0 and 'root certificate file "/nonexistent/ca.crt" does not exist' in no_ca.stderr, no_ca.stderr[-2000:]
    unverified = cloud.sql("SELECT count(*) FILTER (WHERE NOT ssl), count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) "
                           "WHERE usename = 'sampleapp'")
    assert unverified[0][0] == "0" and int(unverified[0][1]) > 0, f"the app's connections without TLS, of all: {unverified}"
