"""bin/flaskdeploy: each verb's command line (--dry-run), and the errors
that say what to do. The verbs run for real on the local cloud
(tests/cloud/test_cli.py and the drills that go through them)."""

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

CLI = [sys.executable, str(ROOT / "bin" / "flaskdeploy")]
PROD = str(ROOT / "inventories" / "prod")


def dry(*args):
    # Right after the verb: after `run`'s command, options are the command's.
    result = subprocess.run([*CLI, args[0], "--dry-run", *args[1:]], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    return shlex.split(result.stdout.strip().splitlines()[-1])


def extra(argv):
    return json.loads(argv[argv.index("-e") + 1]) if "-e" in argv else {}


@pytest.mark.parametrize("args, playbook, expected", [
    (["deploy", "prod", "v1.4.0"], "deploy.yml", {"app_version": "v1.4.0"}),
    (["deploy", "prod"], "deploy.yml", {}),
    (["rollback", "prod", "20260101120000-1a2b3c4"], "rollback.yml", {"app_rollback_release": "20260101120000-1a2b3c4"}),
    (["rollback", "prod"], "rollback.yml", {}),
    (["status", "prod"], "status.yml", {}),
    (["releases", "prod", "-n", "5"], "history.yml", {"lines": 5}),
    (["ps", "prod"], "ps.yml", {}),
    (["ps:scale", "prod", "worker=3", "beat=0"], "scale.yml", {"scale": {"worker": 3, "beat": 0}}),
    (["config", "prod"], "config.yml", {}),
    (["config:unset", "prod", "A", "B"], "config.yml", {"unset": "A,B"}),
    (["maintenance:on", "prod"], "maintenance.yml", {"state": "on"}),
    (["maintenance:off", "prod"], "maintenance.yml", {"state": "off"}),
    (["backup", "prod", "--type", "full"], "backup.yml", {"backup_type": "full"}),
    (["run", "prod", "--no-tty", "flask", "db", "current"], "run.yml", {"cmd": "flask db current"}),
    (["run", "prod", "--no-tty", "flask", "--app", "x", "routes"], "run.yml", {"cmd": "flask --app x routes"}),
    (["logs", "prod", "--type", "nginx", "-n", "20"], "logs.yml", {"lines": 20, "log_types": ["nginx"]}),
    (["deploy", "prod", "--app", "blog"], "deploy.yml", {"app": "blog"}),
])
def test_each_verb_runs_its_playbook(args, playbook, expected):
    argv = dry(*args)
    assert argv[0].endswith("ansible-playbook")
    assert argv[argv.index("-i") + 1] == PROD
    assert argv[3].endswith(f"playbooks/{playbook}")
    assert extra(argv) == expected


def test_help_lists_every_verb():
    out = subprocess.run([*CLI, "--help"], capture_output=True, text=True, check=True).stdout
    for verb in ("deploy", "rollback", "releases", "status", "ps", "ps:scale", "logs", "run", "config", "config:set", "config:unset",
                 "maintenance:on", "maintenance:off", "backup"):
        assert f"    {verb}" in out, verb


@pytest.mark.parametrize("args, message", [
    (["deploy", "nowhere"], 'no inventory "nowhere": name one of'),
    (["config:set", "prod", "NOVALUE"], "config:set takes NAME=value pairs"),
    (["config:unset", "prod"], "config:unset takes the names to unset"),
    (["ps:scale", "prod", "worker"], "ps:scale takes TYPE=count pairs"),
    (["run", "prod", "--no-tty"], "say what to run"),
])
def test_mistakes_say_what_to_do(args, message):
    result = subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert message in result.stderr, result.stderr


def test_config_set_keeps_values_off_the_command_line():
    result = subprocess.run([*CLI, "config:set", "--dry-run", "prod", "A=s3cr3t", "B=x=y"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    argv = shlex.split(result.stdout.strip())
    assert argv[3].endswith("playbooks/config.yml")
    assert "s3cr3t" not in result.stdout + result.stderr
    vars_file = argv[argv.index("-e") + 1]
    assert vars_file.startswith("@")
    assert not Path(vars_file[1:]).exists(), "the file with the values is removed once the command ends"
