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
  - An encrypted file (the site's vault) that the run cannot open stops it with what to do, the
    file and the ways to give the vault's password named (Ansible's own message names neither).
"""

import os

from ansible.errors import AnsibleError
from ansible.parsing.vault import AnsibleVaultError
from ansible.plugins.loader import strategy_loader

try:  # where a value came from (ansible-core 2.19's data tags): the encrypted file's path
    from ansible._internal._datatag._tags import Origin
except ImportError:
    Origin = None

_linear = strategy_loader.get("linear", class_only=True)
# Full names of the connections Mitogen has a plug-in of its own for.
_SHORT_NAMES = {"community.docker.docker": "docker", "ansible.builtin.ssh": "ssh", "ansible.legacy.ssh": "ssh",
                "ansible.builtin.local": "local", "ansible.legacy.local": "local"}

VAULT_HELP = (
    "{file} is encrypted with ansible-vault and {problem}. Give the run the vault's password: "
    "--vault-password-file .vault_pass (a file holding only the password, chmod 600; .gitignore keeps "
    ".vault_pass out of git), --ask-vault-pass to type it, or ANSIBLE_VAULT_PASSWORD_FILE=<file> in the "
    "environment (what the flaskdeploy command and scripts/ci-deploy.sh use; flaskdeploy also finds .vault_pass "
    "by itself).")


def _vault_help(error: AnsibleVaultError) -> AnsibleError:
    """Ansible's vault errors, with the file and the fix named."""
    text = str(error)
    if "no vault secrets found" in text or "must be specified" in text:
        problem = "no vault password was given"
    elif "no vault secrets were found that could decrypt" in text:
        problem = "the vault password given does not open it (a password for another environment?)"
    else:
        return error
    origin = Origin.get_tag(getattr(error, "obj", None)) if Origin else None
    file = f'"{origin.path}"' if origin and origin.path else "A file of the inventory (its vault.yml)"
    return AnsibleError(VAULT_HELP.format(file=file, problem=problem))


def _vault_error(error: BaseException) -> AnsibleVaultError | None:
    """The vault error behind an error (host_group_vars wraps it in a parser error)."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, AnsibleVaultError):
            return error
        error, seen = error.__cause__ or error.__context__, seen + 1
    return None


class _ExplainVaultErrors:
    """Mixed into the strategy: a vault error raised while the hosts' variables are read
    (group_vars/<env>/vault.yml) comes out of run()."""

    def run(self, iterator, play_context):
        try:
            return super().run(iterator, play_context)
        except AnsibleError as error:
            vault = _vault_error(error)
            explained = _vault_help(vault) if vault is not None else None
            if explained is None or explained is vault:
                raise
            raise explained from None


class StrategyModule(_ExplainVaultErrors, _linear):
    """linear, explaining vault errors."""

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

        class _MitogenLinear(_mitogen.StrategyMixin, _linear):
            """linear, over Mitogen; plays on the controller itself (connection:
            local: molecule's create and destroy, which wait on async jobs)
            run as plain linear."""

            def run(self, iterator, play_context):
                # The play's own connection keyword: play_context has not applied it yet.
                if getattr(iterator._play, "connection", None) in ("local", "ansible.builtin.local", "ansible.legacy.local"):
                    return _linear.run(self, iterator, play_context)
                return super().run(iterator, play_context)

        class StrategyModule(_ExplainVaultErrors, _MitogenLinear):  # noqa: F811
            """linear over Mitogen, explaining vault errors."""
