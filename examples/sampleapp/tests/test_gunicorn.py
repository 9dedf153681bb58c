"""Smoke test: the Procfile's web command serves the app under gunicorn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

from sampleapp.config import APP_ROOT


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_for(url: str, server: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited early with code {server.returncode}")
        try:
            fetch(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer on {url} within {timeout}s")


def test_gunicorn_serves_app(deployed_app, database_url, unused_port):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "RELEASE_ID": "gunicorn-release",
    }
    base = f"http://127.0.0.1:{unused_port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{unused_port}",
            "sampleapp:create_app()",
        ],
        cwd=APP_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(f"{base}/healthz", server)
        status, body = fetch(f"{base}/healthz")
        assert status == 200
        assert json.loads(body)["release"] == "gunicorn-release"

        status, body = fetch(f"{base}/", {"X-Forwarded-For": "203.0.113.9"})
        assert status == 200
        assert b"Deployed by Ansible" in body
        assert b'<dd id="remote-addr">203.0.113.9</dd>' in body
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    assert b"Booting worker" in stderr
