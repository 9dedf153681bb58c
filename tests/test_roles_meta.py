"""Every role documents its interface the same way, and the three places agree.

- meta/argument_specs.yml describes every variable of defaults/main.yml,
- the defaults given in the spec equal those of defaults/main.yml,
- the role README's variable table lists every public variable.
"""

from pathlib import Path

import pytest
import yaml

ROLES = sorted(p for p in (Path(__file__).parent.parent / "roles").iterdir() if (p / "tasks").is_dir())


def load(path):
    return yaml.safe_load(path.read_text()) or {}


def public_options(role):
    specs = load(role / "meta" / "argument_specs.yml")["argument_specs"]
    options = {}
    for entry in specs.values():
        options.update(entry.get("options", {}))
    return options


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_spec_describes_every_default(role):
    defaults = load(role / "defaults" / "main.yml")
    missing = sorted(set(defaults) - set(public_options(role)))
    assert not missing, f"{role.name}: defaults without an argument spec: {missing}"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_spec_defaults_equal_role_defaults(role):
    defaults = load(role / "defaults" / "main.yml")
    drift = {
        name: (spec["default"], defaults[name])
        for name, spec in public_options(role).items()
        if "default" in spec and name in defaults and spec["default"] != defaults[name]
    }
    assert not drift, f"{role.name}: spec default != defaults/main.yml: {drift}"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_variables_are_prefixed_with_the_role_name(role):
    prefix = role.name.replace("-", "_") + "_"
    odd = [name for name in public_options(role) if not name.startswith(prefix)]
    assert not odd, f"{role.name}: variables without the {prefix} prefix: {odd}"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_readme_table_lists_every_variable(role):
    readme = (role / "README.md").read_text()
    missing = [name for name in public_options(role) if f"`{name}`" not in readme]
    assert not missing, f"{role.name}: README variable table lacks {missing}"


def test_readme_tables_are_generated_from_the_specs():
    import subprocess
    import sys

    script = Path(__file__).parent.parent / "scripts" / "role-docs.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
