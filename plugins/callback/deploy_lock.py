# Copyright: flaskdeploy contributors
# MIT License
"""Give the deploy lock back when a run that took it fails."""

from __future__ import annotations

DOCUMENTATION = r"""
name: deploy_lock
type: aggregate
short_description: Give the deploy lock back when a run fails
description:
  - C(playbooks/tasks/lock.yml) takes the site's deploy lock and records its token with
    C(ansible.builtin.set_stats) (key C(flaskdeploy_lock)); the last play of a run that
    succeeds gives it back and clears the key.
  - A run that stops early (a failed host, an unreachable one, a failed batch) never reaches
    that play. At its end this plugin then runs C(playbooks/unlock.yml) with the run's
    inventory, extra variables and token, so that only a run that was killed leaves its lock
    behind.
requirements:
  - enabled in C(callbacks_enabled) (the repository's ansible.cfg does it)
"""

import os
import shutil
import subprocess
import sys

from ansible import context
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "deploy_lock"
    CALLBACK_NEEDS_ENABLED = True

    @staticmethod
    def replay_argv(playbook, *extra_vars):
        """ansible-playbook PLAYBOOK (under playbooks/) on db[0] with this run's
        inventory, extra variables, vault and login options, plus EXTRA_VARS."""
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "playbooks", playbook)
        beside = os.path.join(os.path.dirname(sys.argv[0]), "ansible-playbook")
        command = beside if os.access(beside, os.X_OK) else shutil.which("ansible-playbook") or "ansible-playbook"
        argv = [command, os.path.normpath(path), "--limit", "db[0]"]
        args = context.CLIARGS
        for inventory in args.get("inventory") or ():
            argv += ["-i", inventory]
        for extra in [*(args.get("extra_vars") or ()), *extra_vars]:
            argv += ["-e", extra]
        for vault in args.get("vault_password_files") or ():
            argv += ["--vault-password-file", vault]
        for option, flag in (("private_key_file", "--private-key"), ("remote_user", "--user")):
            if args.get(option):
                argv += [flag, args[option]]
        return argv

    @staticmethod
    def replay(argv):
        env = {**os.environ, "FLASKDEPLOY_SUMMARY_FILE": ""}
        return subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)

    def v2_playbook_on_stats(self, stats):
        token = stats.custom.get("_run", {}).get("flaskdeploy_lock")
        if not token:
            return
        self._display.display("The run stopped: giving the deploy lock back (playbooks/unlock.yml)")
        done = self.replay(self.replay_argv("unlock.yml", f"lock_token={token}"))
        if done.returncode == 0:
            self._display.display("The deploy lock is given back.")
        else:
            self._display.warning("Could not give the deploy lock back; the next run will refuse to start until "
                                  "it is taken over with -e site_lock_break=true:\n" + done.stdout[-3000:])
