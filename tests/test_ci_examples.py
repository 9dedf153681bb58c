"""The push-to-deploy examples (examples/ci/) against the CI services'
published schemas (check-jsonschema's copies), and the script they call
(the local cloud's drills deploy through it)."""

import subprocess
from pathlib import Path

import pytest

from conftest import ROOT

EXAMPLES = {"github/deploy.yml": "vendor.github-workflows", "gitlab-ci.yml": "vendor.gitlab-ci"}
CHECK = str(ROOT / ".venv" / "bin" / "check-jsonschema")


def validate(path, schema):
    return subprocess.run([CHECK, "--builtin-schema", schema, str(path)], capture_output=True, text=True, check=False)


@pytest.mark.parametrize("name, schema", EXAMPLES.items())
def test_the_workflow_follows_its_schema(name, schema):
    result = validate(ROOT / "examples" / "ci" / name, schema)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name, schema", EXAMPLES.items())
def test_a_broken_workflow_is_caught(tmp_path, name, schema):
    """The check can fail: a runner or a needs of the wrong type is refused."""
    text = (ROOT / "examples" / "ci" / name).read_text()
    broken = text.replace("runs-on: ubuntu-24.04", "runs-on: [42]") if "github" in name else \
        text.replace("needs: [test]", "needs: 42")
    assert broken != text
    path = tmp_path / Path(name).name
    path.write_text(broken)
    assert validate(path, schema).returncode != 0


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_workflows_deploy_one_at_a_time_with_secrets_from_ci(name):
    text = (ROOT / "examples" / "ci" / name).read_text()
    assert "scripts/ci-deploy.sh" in text
    assert ("concurrency:" in text and "cancel-in-progress: false" in text) or "resource_group:" in text
    assert "ANSIBLE_VAULT_PASSWORD" in text and "SSH_PRIVATE_KEY" in text


def test_the_deploy_script_keeps_secrets_in_private_files_it_removes(tmp_path):
    """FLASKDEPLOY_DRY_RUN prints the command; the files it wrote are gone after."""
    env = {"PATH": "/usr/bin:/bin", "FLASKDEPLOY_ENV": "prod", "APP_VERSION": "v2", "FLASKDEPLOY_DRY_RUN": "1",
           "ANSIBLE_VAULT_PASSWORD": "vault-secret-for-test", "SSH_PRIVATE_KEY": "not-a-real-key", "TMPDIR": str(tmp_path)}
    result = subprocess.run([str(ROOT / "scripts" / "ci-deploy.sh")], cwd=ROOT, env=env, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "playbooks/deploy.yml" in result.stdout and '"app_version":"v2"' in result.stdout
    assert "vault-secret-for-test" not in result.stdout + result.stderr
    assert list(tmp_path.iterdir()) == [], "the secret files are removed"
