"""Start gunicorn for the release in the working directory (ExecStart= of
<app>-gunicorn.service, run by the release's own Python).

Reads the role's settings (the JSON file named on the command line) and the
release's launch spec, .flaskdeploy/web.json, which the app role writes from
the app's Procfile `web:` line: the WSGI application, gunicorn's options, the
commands that run before gunicorn, the environment the release needs.
Then replaces itself with gunicorn, so systemd, socket activation and
READY=1 see gunicorn as the main process. The application is given on the
command line, which every gunicorn since 20.0 understands.
"""

import json
import os
import subprocess
import sys


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as handle:
        settings = json.load(handle)
    spec = {}
    if os.path.isfile(settings["launch_file"]):
        with open(settings["launch_file"], encoding="utf-8") as handle:
            spec = json.load(handle)
    env = dict(os.environ)
    for name, value in spec.get("env", {}).items():
        if name == "PYTHONPATH" and env.get(name):
            env[name] = value + os.pathsep + env[name]
        else:
            env.setdefault(name, value)
    env.setdefault("WEB_CONCURRENCY", str(settings["workers"]))
    venv = settings["venv"]
    env["VIRTUAL_ENV"] = venv
    env["PATH"] = os.path.join(venv, "bin") + os.pathsep + env.get("PATH", "/usr/bin:/bin")

    app = settings["wsgi_app"] or spec.get("wsgi_app")
    if not app:
        print("No WSGI application to serve: the release has no .flaskdeploy/web.json naming one (the app role "
              "writes it from the Procfile) and gunicorn_wsgi_app is empty.", file=sys.stderr)
        return 78  # EX_CONFIG

    use_app_options = settings["app_options"]
    if spec.get("pre") and use_app_options:
        print(f"Running what the Procfile runs before gunicorn: {spec['pre']}", flush=True)
        status = subprocess.call(["/bin/sh", "-c", spec["pre"]], env=env)
        if status and spec.get("pre_required"):
            print(f"The commands before gunicorn exited {status}: not starting gunicorn.", file=sys.stderr)
            return status
    options = [os.path.expandvars(option) for option in spec.get("options", [])] if use_app_options else []
    argv = [os.path.join(venv, "bin", "gunicorn"), "--config", settings["config"], *options, app]
    print("Starting " + " ".join(argv[1:]), flush=True)
    os.execve(argv[0], argv, env)
    return 1


if __name__ == "__main__":
    sys.exit(main())
