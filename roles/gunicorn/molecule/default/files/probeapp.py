"""A tiny WSGI application for the gunicorn role's tests.

It reports who runs it, from which release and with which environment, and
what the sandbox lets it do: GET /sandbox?path=/some/file tries to write
each path given. GET /slow?seconds=N answers after N seconds (a request in
flight during a restart).
"""

import json
import os
import pwd
import time
from importlib.metadata import version
from pathlib import Path
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parent


def process_status():
    wanted = ("NoNewPrivs", "CapEff", "CapBnd", "CapPrm", "Seccomp")
    status = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in wanted:
            status[key] = value.strip()
    return status


def try_write(path):
    try:
        with open(path, "w", encoding="ascii") as handle:
            handle.write("probe\n")
        return "ok"
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def create_app():
    release = (ROOT / "REVISION").read_text().strip()

    def app(environ, start_response):
        query = parse_qs(environ.get("QUERY_STRING", ""))
        path = environ.get("PATH_INFO", "/")
        if path == "/slow":
            time.sleep(float(query.get("seconds", ["1"])[0]))
        body = {
            "release": release,
            "pid": os.getpid(),
            "cwd": os.getcwd(),
            "user": pwd.getpwuid(os.getuid()).pw_name,
            "greeting": os.environ.get("PROBE_GREETING"),
            "gunicorn": version("gunicorn"),
            "launched": os.environ.get("PROBE_LAUNCHED"),
        }
        if path == "/sandbox":
            body["status"] = process_status()
            body["writes"] = {target: try_write(target) for target in query.get("path", [])}
        data = json.dumps(body).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    return app
