# Copyright: flaskdeploy contributors
# MIT License
"""Ansible's linear strategy, run over Mitogen when it is installed."""

from __future__ import annotations

DOCUMENTATION = r"""
name: flaskdeploy
short_description: The linear strategy, over Mitogen when it is installed
description:
  - Runs tasks exactly as Ansible's C(linear) strategy does. When Mitogen for Ansible is
    installed on the controller (the repository's C(.venv) pins it, see C(make setup)), each host
    keeps one Python interpreter for the whole run instead of starting one per task, which
    cuts the time of every task and the controller's CPU. Without Mitogen it is C(linear).
  - Connections named by their full name (C(community.docker.docker), as molecule writes
    them, C(ansible.builtin.ssh)) go over Mitogen as their short names do. Plays whose
    connection is C(local) (molecule's create and destroy) run as plain C(linear).
  - C(FLASKDEPLOY_MITOGEN=0) in the environment turns Mitogen off for a run.
"""

import os

from ansible.plugins.loader import strategy_loader

_linear = strategy_loader.get("linear", class_only=True)
StrategyModule = _linear
# Full names of the connections Mitogen has a plug-in of its own for.
_SHORT_NAMES = {"community.docker.docker": "docker", "ansible.builtin.ssh": "ssh", "ansible.legacy.ssh": "ssh",
                "ansible.builtin.local": "local", "ansible.legacy.local": "local"}

if os.environ.get("FLASKDEPLOY_MITOGEN", "1") != "0":
    try:
        import ansible_mitogen.loaders  # noqa: F401 - Mitogen's own loader hooks
        import ansible_mitogen.strategy as _mitogen
    except ImportError:
        pass
    else:
        _redirect = _mitogen.wrap_connection_loader__get_with_context

        def _redirect_full_names(name, *args, **kwargs):
            return _redirect(_SHORT_NAMES.get(name, name), *args, **kwargs)

        _mitogen.wrap_connection_loader__get_with_context = _redirect_full_names
        _mitogen.REDIRECTED_CONNECTION_PLUGINS = tuple(_mitogen.REDIRECTED_CONNECTION_PLUGINS) + tuple(_SHORT_NAMES)

        class StrategyModule(_mitogen.StrategyMixin, _linear):  # noqa: F811
            """linear, over Mitogen; plays on the controller itself (connection:
            local: molecule's create and destroy, which wait on async jobs)
            run as plain linear."""

            def run(self, iterator, play_context):
                # The play's own connection keyword: play_context has not applied it yet.
                if getattr(iterator._play, "connection", None) in ("local", "ansible.builtin.local", "ansible.legacy.local"):
                    return _linear.run(self, iterator, play_context)
                return super().run(iterator, play_context)
