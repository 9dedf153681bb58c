"""Repository-wide promises: pinned tools, collections, variables, secrets."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from conftest import ROOT, ansible


def test_tools_are_pinned():
    lines = [
        line.split("#")[0].strip()
        for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
        if line.split("#")[0].strip()
    ]
    assert lines
    assert all("==" in line for line in lines), lines
    pins = {re.split(r"[\[=]", line)[0].lower(): line.split("==")[1] for line in lines}
    assert pins["ansible"].startswith("12.")
    assert pins["molecule"].startswith("26.")
    assert pins["ansible-lint"].startswith("26.")


def test_requirements_yml_ranges_match_the_installed_bundle():
    wanted = yaml.safe_load((ROOT / "requirements.yml").read_text())["collections"]
    listed = json.loads(subprocess.run(
        ["ansible-galaxy", "collection", "list", "--format", "json"], capture_output=True, text=True, check=True
    ).stdout)
    installed = {}
    for collections in listed.values():
        for name, info in collections.items():
            installed.setdefault(name, info["version"])
    for entry in wanted:
        assert entry["name"] in installed, f"{entry['name']} is not in the ansible bundle"
        spec = SpecifierSet(entry["version"].replace(",", ", "))
        assert installed[entry["name"]] in spec, (entry, installed[entry["name"]])


def test_used_collections_are_listed_in_requirements_yml():
    listed = {c["name"] for c in yaml.safe_load((ROOT / "requirements.yml").read_text())["collections"]}
    used = set()
    for path in ROOT.glob("**/*.y*ml"):
        if any(part in {".venv", ".cache", "examples"} for part in path.parts):
            continue
        used.update(re.findall(r"\b((?:community|ansible|amazon)\.[a-z_]+)\.[a-z_]+", path.read_text()))
    used.discard("ansible.builtin")
    assert used <= listed, f"used but not in requirements.yml: {sorted(used - listed)}"


def test_variables_resolve_the_same_from_site_or_a_single_playbook():
    """playbooks/group_vars is the top-level group_vars: same values either way."""
    values = {}
    for playbook_dir in (".", "playbooks"):
        result = ansible("ansible", "localhost", "-i", "inventories/prod", "--playbook-dir", playbook_dir,
                         "-m", "ansible.builtin.debug", "-a", "var=site_timezone")
        values[playbook_dir] = result.stdout
    assert "Etc/UTC" in values["."]
    assert values["."] == values["playbooks"]
    assert (ROOT / "playbooks" / "group_vars").resolve() == (ROOT / "group_vars").resolve()


def test_environment_settings_win_over_shared_defaults():
    result = ansible("ansible-inventory", "-i", "inventories/staging", "--playbook-dir", ".", "--host", "staging.example.com")
    host = json.loads(result.stdout)
    assert host["admin_ssh_public_keys"] and host["admin_ssh_public_keys"][0].startswith("ssh-ed25519 ")


def test_no_privileged_containers_anywhere():
    offenders = []
    for path in ROOT.rglob("*"):
        if not path.is_file() or any(p in {".venv", ".cache", ".git"} for p in path.parts) or path.name == Path(__file__).name:
            continue
        try:
            text = path.read_text()
        except (UnicodeDecodeError, PermissionError):
            continue
        if re.search(r"--privileged|privileged:\s*true", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders


def test_no_plaintext_vault_files_committed():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in tracked:
        if Path(name).name.startswith("vault") and name.endswith((".yml", ".yaml")):
            head = (ROOT / name).read_text()[:20]
            assert head.startswith("$ANSIBLE_VAULT;"), f"{name} is not encrypted"
    assert not [n for n in tracked if Path(n).name == ".vault_pass"]


@pytest.mark.parametrize("plugin", sorted(p.relative_to(ROOT / "plugins").as_posix() for p in (ROOT / "plugins").glob("*/*.py") if p.parent.name != "filter"))
def test_plugin_documentation_parses(plugin):
    """ansible-core loads every plugin's DOCUMENTATION as YAML; one that does
    not parse stops every playbook (callbacks are loaded at start)."""
    kind, name = plugin.removesuffix(".py").split("/")
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-doc"), "-t", kind, "--json", name],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    doc = json.loads(result.stdout)[name]["doc"]
    assert doc["short_description"] and doc["description"], doc
