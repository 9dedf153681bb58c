"""playbooks/preflight.yml refuses the example's placeholders (CHANGE-ME
secrets, the example SSH key) before anything touches a host, naming the
settings and never their values."""

import shutil
import subprocess

import pytest
import yaml

from conftest import ROOT, ansible

PROD = ROOT / "inventories/prod/group_vars/prod"
HOSTS = {"all": {"children": {"prod": {"children": {"web": {"hosts": {"web1": {}}}, "db": {"hosts": {"db1": {}}}}}},
                 "vars": {"ansible_connection": "local"}}}


@pytest.fixture
def inventory(tmp_path):
    """The prod environment's settings as its examples ship them, on a web and a db host."""
    (tmp_path / "group_vars/prod").mkdir(parents=True)
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(HOSTS))
    shutil.copy(PROD / "vars.yml", tmp_path / "group_vars/prod/vars.yml")
    shutil.copy(PROD / "vault.yml.example", tmp_path / "group_vars/prod/vault.yml")
    return tmp_path


@pytest.fixture
def public_key(tmp_path):
    """A public key of a key pair made for the test: what an operator puts in admin_ssh_public_keys."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "key")], check=True)
    return (tmp_path / "key.pub").read_text().strip()


def preflight(inventory, **extra):
    return ansible("ansible-playbook", "-i", str(inventory / "hosts.yml"), "playbooks/preflight.yml",
                   *(["-e", yaml.safe_dump(extra, default_flow_style=True)] if extra else []), check=False)


def test_the_examples_placeholders_are_refused_by_name(inventory):
    result = preflight(inventory)
    assert result.returncode != 0
    assert "Still the example's placeholder" in result.stdout, result.stdout[-3000:]
    for name in ("site_db_password", "site_secret_key", "site_mail_password", "site_backup_cipher_pass",
                 "site_backup_s3_key_secret", "admin_ssh_public_keys[0]"):
        assert name in result.stdout, (name, result.stdout[-3000:])
    assert "CHANGE-ME" not in result.stdout.replace("(CHANGE-ME, or not a public key)", ""), "values are never printed"


def test_real_values_pass(inventory, public_key):
    secrets = {name: f"{name}-s3cr3t-value-0123456789" for name in
               ("vault_site_db_password", "vault_site_secret_key", "vault_site_mail_password",
                "vault_site_backup_s3_key", "vault_site_backup_s3_key_secret", "vault_site_backup_cipher_pass")}
    result = preflight(inventory, admin_ssh_public_keys=[public_key], **secrets)
    assert "Still the example's placeholder" not in result.stdout, result.stdout[-3000:]
    assert result.returncode == 0, result.stdout[-3000:]


def test_an_app_entrys_placeholder_secret_is_refused(inventory, public_key):
    result = preflight(inventory, admin_ssh_public_keys=[public_key],
                       vault_site_db_password="a-real-password-0123456789", vault_site_secret_key="a-real-key-0123456789",
                       vault_site_mail_password="a-real-mail-password",
                       vault_site_backup_s3_key="AKIAREALKEY0123", vault_site_backup_s3_key_secret="a-real-s3-secret-0123",
                       vault_site_backup_cipher_pass="a-real-backup-passphrase-0123456789",
                       site_apps=[{"name": "yourapp", "repo_url": "https://github.com/example/yourapp.git",
                                   "db_password": "Replace me with a password"}])
    assert result.returncode != 0
    assert "site_apps[yourapp].db_password" in result.stdout, result.stdout[-3000:]
