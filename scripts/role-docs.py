#!/usr/bin/env python3
"""Render each role README's variable table from meta/argument_specs.yml.

The table sits between `<!-- BEGIN VARIABLES -->` and `<!-- END VARIABLES -->`.

    scripts/role-docs.py            rewrite the tables of every role
    scripts/role-docs.py --check    exit 1 if any table is out of date
"""

import json
import sys
from pathlib import Path

import yaml

BEGIN, END = "<!-- BEGIN VARIABLES -->", "<!-- END VARIABLES -->"
ROOT = Path(__file__).resolve().parent.parent


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def render_default(spec):
    if spec.get("required"):
        return "**required**"
    if "default" not in spec:
        return "(unset)"
    return f"`{json.dumps(spec['default'])}`"


def table(role):
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    rows = ["| Variable | Type | Default | Description |", "| --- | --- | --- | --- |"]
    for entry_name, entry in specs.items():
        for name, spec in entry.get("options", {}).items():
            kind = spec.get("type", "str")
            if kind == "list" and "elements" in spec:
                kind = f"list of {spec['elements']}"
            if "choices" in spec:
                kind += " (" + ", ".join(f"`{c}`" for c in spec["choices"]) + ")"
            description = spec.get("description", "")
            if isinstance(description, list):
                description = " ".join(description)
            if entry_name != "main":
                description = f"*({entry_name})* {description}"
            rows.append(f"| `{name}` | {cell(kind)} | {cell(render_default(spec))} | {cell(description)} |")
    return "\n".join(rows)


def main(check):
    stale = []
    for role in sorted((ROOT / "roles").iterdir()):
        readme = role / "README.md"
        if not (role / "meta" / "argument_specs.yml").exists() or not readme.exists():
            continue
        text = readme.read_text()
        if BEGIN not in text or END not in text:
            stale.append(f"{readme}: no {BEGIN} ... {END} markers")
            continue
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        new = f"{head}{BEGIN}\n{table(role)}\n{END}{tail}"
        if new != text:
            if check:
                stale.append(f"{readme}: variable table out of date (run scripts/role-docs.py)")
            else:
                readme.write_text(new)
    for line in stale:
        print(line, file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main("--check" in sys.argv[1:]))
