# Copyright: flaskdeploy contributors
# MIT License
"""Print what a deploy, rollback or config change did, failed or not, and what
was inferred from the new releases."""

from __future__ import annotations

DOCUMENTATION = r"""
name: release_summary
type: aggregate
short_description: Summary of a rolling deploy, rollback or config change
description:
  - At the end of a playbook that recorded a release with C(ansible.builtin.set_stats)
    (the key C(flaskdeploy_release), as C(playbooks/deploy.yml), C(rollback.yml) and
    C(config.yml) do), prints the action, the release, the release each web host runs
    before and after, the host and task that failed or the hosts that could not be
    reached, and the time taken. Other playbooks print nothing more.
  - When new releases were built (C(site.yml), C(deploy.yml)), also prints what was inferred
    from each app's repository (key C(flaskdeploy_inferred)) - its dependency files, WSGI app,
    C(FLASK_APP), release command, gunicorn options, static folder, and where each came from.
  - Also writes the summary as JSON to the file named by E(FLASKDEPLOY_SUMMARY_FILE), and
    appends it to the app's release history on the db host (C(playbooks/history.yml), with
    the run's inventory and options; not for a run that changed nothing), and
    posts it to the webhook the run recorded (C(webhook) in C(flaskdeploy_release), from
    C(site_deploy_webhook_url)) as a Slack-compatible C(text) plus the summary under
    C(flaskdeploy). A webhook that fails is reported, never fails the run.
requirements:
  - enabled in C(callbacks_enabled) (the repository's ansible.cfg does it)
"""

import json
import os
import socket
import subprocess
import time
import urllib.parse
import urllib.request

from ansible import context
from ansible.plugins.callback import CallbackBase
from ansible.plugins.loader import callback_loader


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "release_summary"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.started = time.monotonic()
        self.last_failure = {}

    def v2_playbook_on_start(self, playbook):
        self.started = time.monotonic()

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if not ignore_errors:
            self.last_failure[result._host.get_name()] = {
                "task": result._task.get_name(),
                "msg": str(result._result.get("msg", "")).strip(),
            }

    def v2_runner_on_unreachable(self, result):
        self.last_failure[result._host.get_name()] = {
            "task": result._task.get_name(),
            "msg": "unreachable: " + str(result._result.get("msg", "")).strip(),
        }

    def v2_playbook_on_stats(self, stats):
        custom = stats.custom.get("_run", {})
        inferred = custom.get("flaskdeploy_inferred") or {}
        if inferred:
            self._display.banner("WHAT WAS INFERRED FROM THE NEW RELEASES")
            for line in self.render_inferred(inferred):
                self._display.display(line)
        release = custom.get("flaskdeploy_release")
        if not release:
            return
        summary = self.summarize(stats, release, custom.get("flaskdeploy_before", {}), custom.get("flaskdeploy_live", {}))
        summary["inferred"] = inferred
        self._display.banner("RELEASE SUMMARY")
        lines = list(self.render(summary))
        for line in lines:
            self._display.display(line, color="bright red" if not summary["ok"] and line.startswith("!") else None)
        target = os.environ.get("FLASKDEPLOY_SUMMARY_FILE")
        if target:
            with open(target, "w", encoding="utf-8") as handle:
                json.dump(summary, handle, indent=2)
        if release.get("webhook"):
            self.notify(release["webhook"], summary, lines)
        self.record(summary, release)

    def record(self, summary, release):
        """Append the run to the app's release history on the db host
        (playbooks/history.yml), unless it changed nothing."""
        if summary["ok"] and not any(entry["state"] in ("switched", "restarted") for entry in summary["hosts"].values()):
            return
        if os.environ.get("FLASKDEPLOY_HISTORY") == "off" or context.CLIARGS.get("check"):
            return
        first = next(iter(summary["failures"].items()), None)
        entry = {
            "at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
            "action": summary["action"], "app": summary["app"], "version": summary["version"],
            "releases": summary["releases"], "subject": release.get("subject", ""),
            "ok": summary["ok"], "failed": f"{first[0]}: {first[1]['task']}" if first else "",
            "by": os.environ.get("FLASKDEPLOY_BY") or self.who(), "seconds": summary["seconds"],
            "hosts": {host: entry["after"] for host, entry in summary["hosts"].items()},
            # Hosts whose turn failed and that got their previous release back.
            "rolled_back": [host for host, entry in summary["hosts"].items()
                            if entry["state"] == "failed" and entry["after"] == entry["before"] and entry["before"]],
        }
        replay = callback_loader.get("deploy_lock", class_only=True)
        done = replay.replay(replay.replay_argv("history.yml", json.dumps({"history_entry": entry})))
        if done.returncode != 0:
            self._display.warning("Could not add the run to the release history (playbooks/history.yml):\n"
                                  + done.stdout[-2000:])

    @staticmethod
    def who():
        """The git identity of the operator, else $USER@host."""
        try:
            name = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=5).stdout.strip()
        except OSError:
            name = ""
        return name or f"{os.environ.get('USER', 'someone')}@{socket.gethostname()}"

    def notify(self, url, summary, lines):
        """POST the summary (and its rendered LINES) to a Slack-compatible webhook, in a few seconds at most."""
        body = json.dumps({"text": "\n".join(lines), "flaskdeploy": summary}).encode()
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the operator's URL
                response.read()
            self._display.display(f"Posted the summary to the deploy webhook ({urllib.parse.urlsplit(url).netloc}).")
        except Exception as error:  # noqa: BLE001 - a notification never fails a deploy
            self._display.warning(f"Could not post the summary to the deploy webhook: {error}")

    def summarize(self, stats, release, before, live):
        hosts = {}
        for host in release.get("hosts", []):
            counts = stats.summarize(host)
            after = live.get(host, before.get(host, ""))
            if counts["unreachable"]:
                state = "unreachable"
            elif counts["failures"]:
                state = "failed"
            elif host in live:
                state = "switched" if after != before.get(host, "") else "restarted"
            else:
                state = "unchanged"
            hosts[host] = {"before": before.get(host, ""), "after": after, "state": state}
        failures = {
            host: self.last_failure.get(host, {"task": "?", "msg": ""})
            for host in sorted(stats.processed)
            if stats.summarize(host)["failures"] or stats.summarize(host)["unreachable"]
        }
        return {
            "action": release.get("action", "deploy"),
            "app": release.get("app", ""),
            "version": release.get("version", ""),
            "releases": release.get("releases", []),
            "ok": not failures,
            "seconds": round(time.monotonic() - self.started, 1),
            "hosts": hosts,
            "failures": failures,
        }

    @staticmethod
    def render_inferred(inferred):
        """What the build read from each app's repository (.flaskdeploy/inspect.json)."""
        for app, facts in sorted(inferred.items()):
            yield f"{app} {facts.get('release', '')}:"
            yield f"  dependencies   {facts.get('dependencies')} ({', '.join(facts.get('dependency_files') or [])})" + (
                ", project installed into the release" if facts.get("project_installed") else "")
            yield f"  WSGI app       {facts.get('wsgi_app')} (from {facts.get('wsgi_from')})"
            yield f"  FLASK_APP      {facts.get('flask_app') or '(flask discovers it)'} (from {facts.get('flask_app_from')})"
            yield (f"  release task   {facts.get('release_command') or 'none'}"
                   + (f" (from {facts.get('release_command_from')})" if facts.get("release_command") else ""))
            if facts.get("web_before_gunicorn"):
                yield f"  before gunicorn {facts['web_before_gunicorn']}"
            if facts.get("gunicorn_options") or facts.get("gunicorn_options_dropped"):
                yield (f"  gunicorn       kept {' '.join(facts.get('gunicorn_options') or []) or '-'}; "
                       f"dropped {', '.join(facts.get('gunicorn_options_dropped') or []) or '-'}")
            yield f"  static files   {facts.get('static_folder') or 'served by the app'}" + (
                f" at {facts.get('static_url_path')}" if facts.get("static_folder") else "")
            if facts.get("process_types"):
                yield f"  process types  {', '.join(facts['process_types'])}"
            for note in facts.get("notes") or []:
                yield f"  note: {note}"

    @staticmethod
    def render(summary):
        outcome = "done" if summary["ok"] else "FAILED"
        releases = ", ".join(summary["releases"]) or "nothing new"
        yield (f"{summary['action']} of {summary['app']} ({summary['version']}) -> {releases}: "
               f"{outcome} in {summary['seconds']} s")
        for host, entry in summary["hosts"].items():
            change = (f"{entry['before'] or 'none'} -> {entry['after']}" if entry["after"] != entry["before"]
                      else entry["after"] or "none")
            yield f"  {host:<12} {entry['state']:<12} {change}"
        # Hosts stopped for the same reason share one message.
        reasons = {}
        for host, failure in summary["failures"].items():
            reasons.setdefault((failure["task"], failure["msg"] or "failed"), []).append(host)
        for (task, msg), hosts in reasons.items():
            first, *rest = msg.splitlines()
            yield f"! {', '.join(hosts)}: {task}: {first}"
            for line in rest:
                yield f"!   {line}"
