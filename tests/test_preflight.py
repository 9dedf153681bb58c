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


# -- Every failure names its fix (issue 22) ------------------------------------

REAL = {"vault_site_db_password": "a-real-password-0123456789", "vault_site_secret_key": "a-real-key-0123456789",
        "vault_site_mail_password": "a-real-mail-password", "vault_site_backup_s3_key": "AKIAREALKEY0123",
        "vault_site_backup_s3_key_secret": "a-real-s3-secret-0123",
        "vault_site_backup_cipher_pass": "a-real-backup-passphrase-0123456789"}


def encrypt_vault(inventory, password):
    """The vault as an operator keeps it: real values, encrypted with ansible-vault."""
    vault = inventory / "group_vars/prod/vault.yml"
    vault.write_text(yaml.safe_dump(REAL))
    (inventory / "vault_pass").write_text(password + "\n")
    ansible("ansible-vault", "encrypt", "--vault-password-file", str(inventory / "vault_pass"), str(vault))
    assert vault.read_text().startswith("$ANSIBLE_VAULT;")
    return vault


def test_a_missing_vault_password_says_how_to_give_it(inventory, public_key):
    vault = encrypt_vault(inventory, "the-vault-password")
    result = preflight(inventory, admin_ssh_public_keys=[public_key])
    assert result.returncode != 0
    out = " ".join((result.stdout + result.stderr).split())
    assert f'"{vault}" is encrypted with ansible-vault and no vault password was given.' in out, out[-3000:]
    assert "--vault-password-file .vault_pass" in out and "--ask-vault-pass" in out, out[-3000:]

    (inventory / "wrong_pass").write_text("another-environments-password\n")
    wrong = ansible("ansible-playbook", "-i", str(inventory / "hosts.yml"), "playbooks/preflight.yml",
                    "--vault-password-file", str(inventory / "wrong_pass"), "-e",
                    yaml.safe_dump({"admin_ssh_public_keys": [public_key]}, default_flow_style=True), check=False)
    out = " ".join((wrong.stdout + wrong.stderr).split())
    assert wrong.returncode != 0
    assert f'"{vault}" is encrypted with ansible-vault and the vault password given does not open it' in out, out[-3000:]

    opened = ansible("ansible-playbook", "-i", str(inventory / "hosts.yml"), "playbooks/preflight.yml",
                     "--vault-password-file", str(inventory / "vault_pass"), "-e",
                     yaml.safe_dump({"admin_ssh_public_keys": [public_key]}, default_flow_style=True), check=False)
    assert opened.returncode == 0, opened.stdout[-3000:] + opened.stderr[-3000:]


def test_an_unset_required_setting_is_named_with_where_to_set_it(inventory, public_key):
    result = preflight(inventory, admin_ssh_public_keys=[public_key], site_app_repo_url="", **REAL)
    assert result.returncode != 0
    out = " ".join(result.stdout.split())
    assert ("site_app_repo_url is empty: set the git URL of your app in "
            "inventories/<env>/group_vars/<env>/vars.yml.") in out, out[-3000:]


@pytest.mark.parametrize("group", ["web", "db"])
def test_a_host_missing_from_a_group_is_named(inventory, public_key, group):
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text())
    del hosts["all"]["children"]["prod"]["children"][group]
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))
    result = preflight(inventory, admin_ssh_public_keys=[public_key], **REAL)
    assert result.returncode != 0
    out = " ".join(result.stdout.split())
    assert ('The inventory needs at least one host in the "web" group and exactly one in "db" '
            '(one host may be in several groups). See inventories/prod/hosts.yml.example.') in out, out[-3000:]
