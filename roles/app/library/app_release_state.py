#!/usr/bin/python
# -*- coding: utf-8 -*-
"""The release state of one app on one host, read in one call."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: app_release_state
short_description: Read the release state of an app deployed by the app role
description:
  - Reads, in one call and without changing anything, what the app role's
    entry points decide on: the release C(current) points to (live), the one
    C(next) points to, the complete releases (those with their revision
    file), the release each one replaced, and what the cleanup needs
    (every release directory, the virtualenv each links, the virtualenvs).
  - What is derived from it (the rollback target) is computed by the role
    (vars/main.yml), so that the phases can update the state as they go.
  - The one place C(current) and C(next) are read; every phase consumes its
    result (C(state)), which the entry points update as they switch.
options:
  base_dir:
    description: The app's base directory (releases/, shared/, current, next).
    type: path
    required: true
  revision_file:
    description: The file written last into a release, which makes it complete.
    type: str
    default: REVISION
  previous_file:
    description: The file, in a release that went live, naming the release it replaced.
    type: str
    default: .flaskdeploy/previous
  release_task_marker:
    description: The file, in a release, that records its release task ran.
    type: str
    default: .release-task-done
  spec_file:
    description: The launch spec a release built by this version of the role has.
    type: str
    default: .flaskdeploy/web.json
  venv_link:
    description: The link, in a release, to the virtualenv it was built with.
    type: str
    default: .venv
  venvs_dir:
    description: The directory of the shared virtualenvs.
    type: path
    required: true
  python:
    description:
      - The Python the virtualenvs are made with, whose version is returned;
        omitted, nothing is run (only builds need it).
    type: path
author: flaskdeploy
"""

EXAMPLES = r"""
- name: Read the release state
  app_release_state:
    base_dir: /srv/blog
    venvs_dir: /srv/blog/shared/venvs
  register: release_state
"""

RETURN = r"""
state:
  description: The release state.
  returned: always
  type: dict
  contains:
    live: {description: "The live release's id, '' when nothing is live.", type: str}
    next: {description: "The id of the release waiting to go live, ''.", type: str}
    releases: {description: The complete releases' ids, oldest first (ids sort by build time)., type: list}
    dirs: {description: Every release directory's name, complete or not., type: list}
    recorded: {description: "Release id to the release it replaced when it went live (recorded then).", type: dict}
    task_done: {description: The releases whose release task ran., type: list}
    live_has_spec: {description: Whether the live release has the launch spec (false for one an earlier role version built)., type: bool}
    venv_links: {description: Release directory name to the virtualenv it links., type: dict}
    venvs: {description: The virtualenv directories., type: list}
    python_version: {description: "The major.minor version of I(python), '' when it is not given or does not run.", type: str}
"""

import os
import subprocess

from ansible.module_utils.basic import AnsibleModule


def link_target(path: str) -> str:
    """The release a link in the base directory names, '' when it is no link."""
    try:
        return os.path.basename(os.readlink(path).rstrip("/"))
    except OSError:
        return ""


def read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def subdirectories(path: str) -> list[str]:
    try:
        return sorted(entry.name for entry in os.scandir(path) if entry.is_dir(follow_symlinks=False))
    except OSError:
        return []


def python_version(python: str | None) -> str:
    if not python:
        return ""
    try:
        return subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def release_state(params: dict) -> dict:
    releases_dir = os.path.join(params["base_dir"], "releases")
    dirs = subdirectories(releases_dir)
    complete = [name for name in dirs if os.path.isfile(os.path.join(releases_dir, name, params["revision_file"]))]
    live = link_target(os.path.join(params["base_dir"], "current"))
    upcoming = link_target(os.path.join(params["base_dir"], "next"))
    links = {name: os.readlink(os.path.join(releases_dir, name, params["venv_link"]))
             for name in dirs if os.path.islink(os.path.join(releases_dir, name, params["venv_link"]))}
    recorded = {name: read_text(os.path.join(releases_dir, name, params["previous_file"])) for name in complete}
    return {
        "live": live,
        "next": upcoming,
        "releases": complete,
        "dirs": dirs,
        "recorded": {name: previous for name, previous in recorded.items() if previous},
        "task_done": [name for name in dirs if os.path.exists(os.path.join(releases_dir, name, params["release_task_marker"]))],
        "live_has_spec": bool(live) and os.path.exists(os.path.join(releases_dir, live, params["spec_file"])),
        "venv_links": links,
        "venvs": [os.path.join(params["venvs_dir"], name) for name in subdirectories(params["venvs_dir"])],
        "python_version": python_version(params["python"]),
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "base_dir": {"type": "path", "required": True},
            "revision_file": {"type": "str", "default": "REVISION"},
            "previous_file": {"type": "str", "default": ".flaskdeploy/previous"},
            "release_task_marker": {"type": "str", "default": ".release-task-done"},
            "spec_file": {"type": "str", "default": ".flaskdeploy/web.json"},
            "venv_link": {"type": "str", "default": ".venv"},
            "venvs_dir": {"type": "path", "required": True},
            "python": {"type": "path"},
        },
        supports_check_mode=True,
    )
    module.exit_json(changed=False, state=release_state(module.params))


if __name__ == "__main__":
    main()
