# Copyright: flaskdeploy contributors
# MIT License
"""The apps of a site: every setting of every entry of site_apps, checked."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: flaskdeploy_apps
short_description: Complete and check the entries of site_apps
description:
  - Gives every entry of C(site_apps) every setting (README, "Several apps on one site"), from the
    site-wide defaults passed in and from the app's name, and stops with a message naming the
    entry and the setting when one is wrong.
"""

NAME = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")
DOMAIN = re.compile(r"^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$")
# Setting -> default; None: computed from the app's name or position.
SETTINGS = {
    "name": None, "repo_url": None, "version": "main", "wsgi": "", "env": {}, "env_names": {},
    "secret_key": "", "domains": [], "default_server": None, "db": True, "db_name": None, "db_user": None,
    "db_password": "", "db_url_scheme": None, "redis": None, "redis_db": None, "rabbitmq": None,
    "rabbitmq_vhost": None, "rabbitmq_user": None, "rabbitmq_password": "", "release_command": "",
    "static_dir": "", "packages": [], "requirements": "requirements.txt",
    "shared_dirs": ["log", "tmp", "uploads", "instance"], "processes": {}, "process_counts": {},
    "workers": 0, "health_path": None, "health_release_field": None,
}
SITE_DEFAULTS = ("db_url_scheme", "redis", "rabbitmq", "health_path", "health_release_field")


def flaskdeploy_apps(site_apps, site_defaults):
    """Every app of SITE_APPS with every setting."""
    if not isinstance(site_apps, list) or not site_apps:
        raise AnsibleFilterError("site_apps must be a list of apps, each with at least a name and a repo_url")
    apps = []
    for index, entry in enumerate(site_apps):
        if not isinstance(entry, dict) or not entry.get("name"):
            raise AnsibleFilterError(f"site_apps[{index}] needs a name (and a repo_url): got {entry!r}")
        name = str(entry["name"])
        unknown = sorted(set(entry) - set(SETTINGS))
        if unknown:
            raise AnsibleFilterError(
                f"site_apps entry {name}: unknown setting(s) {', '.join(unknown)}; the settings are "
                + ", ".join(sorted(SETTINGS)))
        if not NAME.match(name):
            raise AnsibleFilterError(
                f"site_apps entry {name!r}: an app name is a lower-case system name (a letter, then letters, "
                "digits, - or _; at most 31 characters): it names a user, a database, units and directories")
        app = {key: (value.copy() if isinstance(value, (dict, list)) else value) for key, value in SETTINGS.items()}
        app.update(db_name=name, db_user=name, rabbitmq_vhost=name, rabbitmq_user=name, redis_db=index)
        app.update({key: site_defaults[key] for key in SITE_DEFAULTS if key in site_defaults})
        app.update({key: value for key, value in entry.items()})
        if not app["repo_url"]:
            raise AnsibleFilterError(f"site_apps entry {name}: repo_url is empty: set the git URL of the app")
        for key in ("domains", "packages", "shared_dirs"):
            if not isinstance(app[key], list):
                raise AnsibleFilterError(f"site_apps entry {name}: {key} must be a list, got {app[key]!r}")
        for key in ("env", "env_names", "processes", "process_counts"):
            if not isinstance(app[key], dict):
                raise AnsibleFilterError(f"site_apps entry {name}: {key} must be a mapping, got {app[key]!r}")
        bad = [domain for domain in app["domains"] if not DOMAIN.match(str(domain))]
        if bad:
            raise AnsibleFilterError(f"site_apps entry {name}: {', '.join(map(str, bad))} is not a domain name")
        apps.append(app)

    names = [app["name"] for app in apps]
    for name in sorted({n for n in names if names.count(n) > 1}):
        raise AnsibleFilterError(f"site_apps: two apps are named {name}: names must be unique")
    single = len(apps) == 1
    for app in apps:
        if app["default_server"] is None:
            app["default_server"] = single
    defaults = [app["name"] for app in apps if app["default_server"]]
    if len(defaults) > 1:
        raise AnsibleFilterError(
            f"site_apps: {' and '.join(defaults)} are both default_server: at most one app answers the "
            "names no app lists (an IP address)")
    if not single:
        for app in apps:
            if not app["domains"] and not app["default_server"]:
                raise AnsibleFilterError(
                    f"site_apps entry {app['name']}: with several apps each is reached by its domains: set "
                    "its domains, or make it the default_server (the app answering any other name)")
    seen = {}
    for app in apps:
        for domain in app["domains"]:
            if domain in seen:
                raise AnsibleFilterError(f"site_apps: {domain} is a domain of both {seen[domain]} and {app['name']}")
            seen[domain] = app["name"]
    databases = {}
    for app in apps:
        if app["redis"]:
            index = app["redis_db"]
            if not isinstance(index, int) or not 0 <= index <= 15:
                raise AnsibleFilterError(f"site_apps entry {app['name']}: redis_db must be 0 to 15, got {index!r}")
            if index in databases:
                raise AnsibleFilterError(
                    f"site_apps: {databases[index]} and {app['name']} both use Redis database {index}: "
                    "set redis_db of one of them")
            databases[index] = app["name"]
    for key in ("db_name", "rabbitmq_vhost"):
        values = [app[key] for app in apps if app["db" if key == "db_name" else "rabbitmq"]]
        for value in sorted({v for v in values if values.count(v) > 1}):
            raise AnsibleFilterError(f"site_apps: two apps share the {key} {value}: each app needs its own")
    return apps


def flaskdeploy_app(apps, name=""):
    """The app named NAME (-e app=NAME), or the first one."""
    if not name:
        return apps[0]
    for app in apps:
        if app["name"] == name:
            return app
    raise AnsibleFilterError(f"-e app={name}: no such app; the apps of this site are {', '.join(a['name'] for a in apps)}")


def flaskdeploy_databases(apps):
    """The PostgreSQL databases of the apps that have one, as the postgresql role takes them."""
    return [{"database": a["db_name"], "user": a["db_user"], "password": a["db_password"]} for a in apps if a["db"]]


def flaskdeploy_vhosts(apps):
    """The RabbitMQ vhosts of the apps that use it, as the rabbitmq role takes them."""
    return [{"vhost": a["rabbitmq_vhost"], "user": a["rabbitmq_user"], "password": a["rabbitmq_password"]}
            for a in apps if a["rabbitmq"]]


def _slurped(results):
    """App name -> key, from the results of a slurp loop over apps (missing files left out)."""
    keys = {}
    for result in results or []:
        content = result.get("content")
        if content:
            key = base64.b64decode(content).decode().strip()
            if key:
                keys[result["item"]["name"]] = key
    return keys


def fingerprint(key):
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def flaskdeploy_secret_keys(names, stored_results, host_results, hosts):
    """Each app's fleet-wide SECRET_KEY: the one stored on the db host, else the
    first app host's (in play order), else a new one. Returns {keys: {app: key},
    store: [apps whose key the store lacks], report: [what happened, by fingerprint]}."""
    stored = _slurped(stored_results)
    on_hosts = [(host, _slurped(results.get("results") if isinstance(results, dict) else results))
                for host, results in zip(hosts, host_results)]
    keys, store, report = {}, [], []
    for name in names:
        found = [(host, found[name]) for host, found in on_hosts if name in found]
        if name in stored:
            keys[name] = stored[name]
            differing = sorted(host for host, key in found if key != stored[name])
            if differing:
                report.append(f"SECRET_KEY of {name}: {', '.join(differing)} had another key; they get the fleet's "
                              f"key (sha256 {fingerprint(stored[name])}) kept on the db host")
            continue
        store.append(name)
        if found:
            host, key = found[0]
            keys[name] = key
            others = sorted({h for h, k in found if k != key})
            if others:
                report.append(
                    f"SECRET_KEY of {name}: the app hosts had different keys ("
                    + ", ".join(f"{h}: sha256 {fingerprint(k)}" for h, k in found)
                    + f"); kept {host}'s (sha256 {fingerprint(key)}), now stored on the db host and given to every app host")
            else:
                report.append(f"SECRET_KEY of {name}: kept the key the app hosts share (sha256 {fingerprint(key)}), "
                              "now stored on the db host")
        else:
            keys[name] = secrets.token_urlsafe(48)
            report.append(f"SECRET_KEY of {name}: generated (sha256 {fingerprint(keys[name])}), stored on the db host")
    return {"keys": keys, "store": store, "report": report}


# What the example files hold where a secret or a key goes: CHANGE-ME,
# "ReplaceWithYourOwn...".
_PLACEHOLDER = re.compile(r"change[-_ ]?me|replace[-_ ]?(me|with)|your[-_ ]?own", re.I)
_SECRET_FIELDS = ("db_password", "secret_key", "rabbitmq_password")
# Public key types OpenSSH accepts in authorized_keys, and the size of the
# key material after the type for the fixed-size ones.
_KEY_TYPES = {"ssh-ed25519": 36, "ssh-rsa": None, "ecdsa-sha2-nistp256": None, "ecdsa-sha2-nistp384": None,
              "ecdsa-sha2-nistp521": None, "sk-ssh-ed25519@openssh.com": None,
              "sk-ecdsa-sha2-nistp256@openssh.com": None}


def _is_public_key(line):
    """Whether LINE is an OpenSSH public key: a known type, then base64 of a blob that names that type."""
    parts = str(line).split()
    if len(parts) < 2 or parts[0] not in _KEY_TYPES:
        return False
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return False
    size = int.from_bytes(blob[:4], "big")
    if len(blob) < 4 + size + 4 or blob[4:4 + size] != parts[0].encode():
        return False
    rest = _KEY_TYPES[parts[0]]
    return rest is None or len(blob) - 4 - size == rest


def flaskdeploy_placeholders(settings, apps=(), ssh_public_keys=()):
    """The names of the settings that still hold an example's placeholder (CHANGE-ME...), and of the
    SSH public keys that are not public keys (the example's), for preflight to refuse. Never values."""
    found = [name for name, value in settings.items() if isinstance(value, str) and _PLACEHOLDER.search(value)]
    for app in apps:
        found += [f"site_apps[{app['name']}].{field}" for field in _SECRET_FIELDS
                  if _PLACEHOLDER.search(str(app.get(field) or ""))]
    found += [f"admin_ssh_public_keys[{number}]" for number, key in enumerate(ssh_public_keys)
              if not _is_public_key(key)]
    return found


def flaskdeploy_merge_logs(results, host, lines=50):
    """The lines of several journalctl --output=short-iso-precise runs (a loop's
    results, each item naming its source), prefixed "HOST SOURCE | ", merged in
    time order; the newest LINES kept."""
    merged = []
    for result in results or []:
        for line in result.get("stdout_lines", []):
            if line and not line.startswith("-- "):
                merged.append((line.split(" ", 1)[0], f"{host} {result.get('item', '?')} | {line}"))
    merged.sort(key=lambda entry: entry[0])
    return [text for _, text in merged][-int(lines):] if int(lines) > 0 else []


def flaskdeploy_ps(show_output, host):
    """`systemctl show --property=Id,ActiveState,SubState,ActiveEnterTimestamp,MainPID`
    of several units, as one line each: "HOST UNIT STATE/SUB since TIME (pid N)"."""
    lines = []
    for block in (show_output or "").strip().split("\n\n"):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if not props.get("Id"):
            continue
        since = f" since {props['ActiveEnterTimestamp']}" if props.get("ActiveEnterTimestamp") else ""
        pid = f" (pid {props['MainPID']})" if props.get("MainPID", "0") != "0" else ""
        lines.append(f"{host} {props['Id']} {props.get('ActiveState', '?')}/{props.get('SubState', '?')}{since}{pid}")
    return lines


def flaskdeploy_history_lines(entries):
    """Release history entries (newest first) as one line each:
    "WHEN ACTION RELEASE RESULT by WHO in Ns: subject (host release, ...)"."""
    lines = []
    for entry in entries or []:
        releases = ", ".join(entry.get("releases") or []) or "-"
        result = "done" if entry.get("ok") else "FAILED " + (entry.get("failed") or "")
        if entry.get("rolled_back"):
            result += f" ({', '.join(entry['rolled_back'])} back on the previous release)"
        hosts = ", ".join(f"{host} {release or 'none'}" for host, release in (entry.get("hosts") or {}).items())
        subject = f": {entry['subject']}" if entry.get("subject") else ""
        lines.append(f"{entry.get('at', '?')} {entry.get('action', '?')} {releases} ({entry.get('version', '')}) "
                     f"{result.strip()} by {entry.get('by', '?')} in {entry.get('seconds', '?')} s{subject}"
                     + (f" [{hosts}]" if hosts else ""))
    return lines


class FilterModule:
    def filters(self):
        return {"flaskdeploy_apps": flaskdeploy_apps, "flaskdeploy_app": flaskdeploy_app,
                "flaskdeploy_databases": flaskdeploy_databases, "flaskdeploy_vhosts": flaskdeploy_vhosts,
                "flaskdeploy_secret_keys": flaskdeploy_secret_keys, "flaskdeploy_placeholders": flaskdeploy_placeholders,
                "flaskdeploy_merge_logs": flaskdeploy_merge_logs, "flaskdeploy_ps": flaskdeploy_ps,
                "flaskdeploy_history_lines": flaskdeploy_history_lines}
