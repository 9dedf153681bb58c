"""The local cloud: containers that behave like fresh droplets, over SSH.

Runs a second, separate cloud (own prefix, network, ports and inventory
directory) so a running demo is left alone.
"""

import json
import socket
import subprocess

import pytest

from conftest import ansible

EXTRA = {
    "local_cloud_prefix": "flaskdeploy-test-",
    "local_cloud_network": "flaskdeploy-test",
    "local_cloud_ssh_port_base": 2300,
    "local_cloud_http_port": 8180,
    "local_cloud_https_port": 8543,
}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    inventory = tmp_path_factory.mktemp("inventory")
    extra = json.dumps({**EXTRA, "local_cloud_inventory_dir": str(inventory)})
    ansible("ansible-playbook", "playbooks/provision-local.yml", "-e", extra)
    yield inventory
    ansible("ansible-playbook", "playbooks/teardown-local.yml", "-e", extra)
    names = subprocess.run(["docker", "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True).stdout
    assert "flaskdeploy-test-" not in names, "teardown left containers behind"
    assert not (inventory / "hosts.yml").exists(), "teardown left the inventory behind"


def test_every_host_answers_over_ssh(cloud):
    result = ansible("ansible", "all", "-i", str(cloud), "-m", "ansible.builtin.ping")
    assert result.stdout.count("SUCCESS") == 4, result.stdout
    assert "lb1 | SUCCESS" in result.stdout and "db1 | SUCCESS" in result.stdout


def test_inventory_groups_hosts_by_role(cloud):
    graph = json.loads(ansible("ansible-inventory", "-i", str(cloud), "--list").stdout)
    assert graph["lb"]["hosts"] == ["lb1"]
    assert sorted(graph["web"]["hosts"]) == ["web1", "web2"]
    assert graph["db"]["hosts"] == ["db1"]
    assert sorted(graph["local"]["children"]) == ["db", "lb", "web"]


def test_hosts_run_systemd_and_reach_the_git_server(cloud):
    result = ansible("ansible", "web1", "-i", str(cloud), "-m", "ansible.builtin.command",
                     "-a", "systemctl is-system-running --wait")
    assert "running" in result.stdout
    probe = "import socket; socket.create_connection(('gitserver', 9418), timeout=5); print('reachable')"
    reach = ansible("ansible", "web1", "-i", str(cloud), "-m", "ansible.builtin.command",
                    "-a", f'python3 -c "{probe}"')
    assert "reachable" in reach.stdout


def test_ports_are_published_on_loopback_only():
    for name in ("lb1", "web1", "web2", "db1"):
        ports = json.loads(subprocess.run(
            ["docker", "inspect", "-f", "{{json .NetworkSettings.Ports}}", f"flaskdeploy-test-{name}"],
            capture_output=True, text=True, check=True).stdout)
        bindings = [b for spec in ports.values() if spec for b in spec]
        assert bindings, name
        assert {b["HostIp"] for b in bindings} == {"127.0.0.1"}, (name, bindings)


def test_ssh_key_stays_out_of_git(cloud):
    key = cloud / ".ssh" / "id_ed25519"
    assert key.exists()
    ignored = subprocess.run(["git", "check-ignore", "-q", "inventories/local/.ssh/id_ed25519"])
    assert ignored.returncode == 0, "the generated key must be git-ignored"


def test_sshd_answers_only_on_loopback(cloud):
    with socket.create_connection(("127.0.0.1", 2301), timeout=5) as sock:
        assert sock.recv(64).startswith(b"SSH-2.0-OpenSSH")
