"""Behaviour of the base role on a systemd container, probed from the controller."""

import os
import socket
import subprocess

import pytest

EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
KEY = os.path.join(EPHEMERAL, "id_test")
LISTEN_PORTS = (80, 8080, 9000, 9001)


@pytest.fixture(scope="module")
def address(host):
    name = host.backend.get_hostname()
    out = subprocess.run(
        ["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", name],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    assert out, f"no address for container {name}"
    return out[0]


@pytest.fixture(scope="module")
def listeners(host):
    """Throwaway TCP listeners on the ports the firewall must open or drop."""
    with host.sudo():
        for port in LISTEN_PORTS:
            host.run(f"systemd-run --unit=probe-{port} python3 -m http.server {port}")
        for port in LISTEN_PORTS:
            host.run(f"timeout 10 sh -c 'until ss -Htln sport = :{port} | grep -q .; do sleep 0.2; done'")
    yield
    with host.sudo():
        for port in LISTEN_PORTS:
            host.run(f"systemctl stop probe-{port}")


def can_connect(address, port, timeout=2.0):
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def ssh(address, user, command):
    return subprocess.run(
        ["ssh", "-i", KEY, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
         f"{user}@{address}", command],
        capture_output=True, text=True, timeout=30,
    )


def test_sshd_effective_config_forbids_root_and_passwords(host):
    effective = host.check_output("sshd -T").lower().splitlines()
    assert "permitrootlogin no" in effective
    assert "passwordauthentication no" in effective
    assert "kbdinteractiveauthentication no" in effective


def test_deploy_user_logs_in_with_key_and_can_sudo(address):
    result = ssh(address, "deploy", "sudo -n id -u")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"


def test_root_login_is_refused_even_with_an_authorized_key(address):
    result = ssh(address, "root", "true")
    assert result.returncode != 0
    assert "Permission denied" in result.stderr


def test_firewall_opens_only_listed_ports(address, listeners):
    assert can_connect(address, 22)
    assert can_connect(address, 80)
    assert not can_connect(address, 8080), "8080 is not in the allowed list"


def test_firewall_source_rules_match_the_source(address, listeners):
    assert can_connect(address, 9000), "9000 is open to the controller"
    assert not can_connect(address, 9001), "9001 is open to 192.0.2.1 only"


def test_firewall_survives_a_restart(host):
    with host.sudo():
        host.check_output("systemctl restart nftables")
        ruleset = host.check_output("nft list table inet base_filter")
    assert "policy drop" in ruleset
    assert host.service("nftables").is_enabled


def test_time_zone(host):
    assert host.file("/etc/localtime").linked_to.endswith("/Europe/Paris")
    assert host.check_output("date +%Z") in ("CET", "CEST")


def test_unattended_upgrades_take_security_updates_daily(host):
    periodic = host.check_output("apt-config dump APT::Periodic")
    assert 'APT::Periodic::Unattended-Upgrade "1";' in periodic
    origins = host.check_output("apt-config dump Unattended-Upgrade::Origins-Pattern")
    assert "label=Debian-Security" in origins
    assert "origin=Debian,codename=${distro_codename},label=Debian\n" not in origins
    assert host.service("apt-daily-upgrade.timer").is_enabled
    with host.sudo():
        dry_run = host.run("unattended-upgrade --dry-run --debug 2>&1 | head -40")
    assert "Allowed origins are:" in dry_run.stdout


def test_swap_file_is_formatted_and_in_fstab(host):
    swapfile = host.file("/swapfile")
    assert swapfile.exists and swapfile.mode == 0o600
    assert swapfile.size == 16 * 1024 * 1024
    with host.sudo():
        signature = host.check_output("dd if=/swapfile bs=1 skip=4086 count=10 status=none")
    assert signature == "SWAPSPACE2"
    assert host.file("/etc/fstab").contains("^/swapfile none swap sw")


def test_extra_ca_is_trusted_system_wide(host):
    for name in ("flaskdeploy-test-ca", "test-ca"):  # from content, from a file
        assert host.file(f"/usr/local/share/ca-certificates/{name}.crt").contains("BEGIN CERTIFICATE")
    ca = open(os.path.join(EPHEMERAL, "test-ca.crt"), encoding="ascii").read()
    host.run(f"printf '%s' '{ca}' > /tmp/test-ca.crt")
    result = host.run("openssl verify /tmp/test-ca.crt")
    assert result.rc == 0 and result.stdout.strip().endswith("OK"), result.stdout + result.stderr
