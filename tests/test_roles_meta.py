"""Every role documents its interface the same way, and the three places agree.

- meta/argument_specs.yml describes every variable of defaults/main.yml,
- the defaults given in the spec equal those of defaults/main.yml,
- the role README's variable table lists every public variable.
"""

import re
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


def tags_in(paths) -> set[str]:
    """Every tag a task, block, role or include names in these YAML files
    (tags: [...], and apply: tags of includes), `always` left out."""
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "tags":
                    values = value if isinstance(value, list) else [value]
                    # (a module's own `tags:` option, e.g. RabbitMQ's user tags, is no tag name)
                    found.update(v for v in values if isinstance(v, str) and re.fullmatch(r"[a-z][a-z0-9-]*", v))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for path in paths:
        walk(yaml.safe_load(path.read_text()))
    return found - {"always"}


def readme_tags(text: str) -> set[str]:
    """The `tags` of a README's Tags section (a role's) or table (the site's)."""
    return set(re.findall(r"`([a-z][a-z0-9-]*)`", text))


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_readme_lists_every_tag_of_the_role(role):
    """A role's README names each tag its tasks carry (and no tag that is gone)."""
    used = {tag for tag in tags_in(sorted((role / "tasks").rglob("*.yml"))) if tag.startswith(role.name)}
    text = (role / "README.md").read_text()
    section = text.split("## Tags", 1)[1].split("\n## ", 1)[0]
    documented = {tag for tag in readme_tags(section) if tag.startswith(role.name)}
    assert used <= documented, f"{role.name}: tags missing from README's Tags: {sorted(used - documented)}"
    assert documented <= used | {"postgresql-restore"}, f"{role.name}: README names tags no task has: {sorted(documented - used)}"


def test_the_site_readme_tags_table_names_every_tag():
    """The README's tier table names every tag of the roles and the playbooks."""
    root = Path(__file__).parent.parent
    used = tags_in(sorted(root.glob("roles/*/tasks/**/*.yml")) + sorted(root.glob("playbooks/*.yml")) + [root / "site.yml"])
    text = (root / "README.md").read_text()
    table = text.split("| Tier (playbook) | Tier tags |", 1)[1].split("\n\n", 1)[0]
    missing = sorted(used - readme_tags(table))
    assert not missing, f"tags not in the README's table: {missing}"
