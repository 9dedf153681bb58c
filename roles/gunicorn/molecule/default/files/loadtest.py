#!/usr/bin/env python3
"""Bounded concurrent HTTP load against gunicorn while an action runs.

Threads send GET requests over the unix socket (or to 127.0.0.1:PORT) for
--duration seconds or until --max-requests in total; --action (a shell
command, e.g. `systemctl restart ...`) starts after --action-at seconds,
together with one --slow-path request that is in flight while it runs.
Prints one JSON object with the counts; exits 0 when every request got a 2xx
answer, 1 otherwise.
"""

import argparse
import collections
import http.client
import json
import socket
import subprocess
import threading
import time


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


def connection(args):
    if args.socket:
        return UnixHTTPConnection(args.socket, args.timeout)
    host, port = args.tcp.rsplit(":", 1)
    return http.client.HTTPConnection(host, int(port), timeout=args.timeout)


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = 0
        self.statuses = collections.Counter()
        self.errors = collections.Counter()
        self.releases = collections.Counter()

    def claim(self, limit):
        with self.lock:
            if self.sent >= limit:
                return False
            self.sent += 1
            return True

    def record(self, status=None, release=None, error=None):
        with self.lock:
            if error is not None:
                self.errors[error] += 1
            else:
                self.statuses[status] += 1
                if release is not None:
                    self.releases[release] += 1


def fetch(args, path):
    conn = connection(args)
    try:
        conn.request("GET", path, headers={"Host": "localhost", "Connection": "close"})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    release = None
    try:
        release = json.loads(body).get("release")
    except (ValueError, AttributeError):
        pass
    return response.status, release, body


def worker(args, results, stop):
    while not stop.is_set() and results.claim(args.max_requests):
        try:
            status, release, _ = fetch(args, args.path)
            results.record(status=status, release=release)
        except Exception as exc:  # noqa: BLE001 - every failure is counted by type
            results.record(error=f"{type(exc).__name__}: {exc}"[:120])
        time.sleep(args.pause)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--socket", help="unix socket path")
    target.add_argument("--tcp", help="HOST:PORT")
    parser.add_argument("--path", default="/")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--max-requests", type=int, default=2000)
    parser.add_argument("--pause", type=float, default=0.01)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--action", help="shell command run during the load")
    parser.add_argument("--action-at", type=float, default=2.0)
    parser.add_argument("--slow-path", help="a slow request in flight when the action starts")
    args = parser.parse_args()

    results, stop = Results(), threading.Event()
    threads = [threading.Thread(target=worker, args=(args, results, stop)) for _ in range(args.concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()

    report = {"action": args.action}
    slow = {}
    if args.action:
        time.sleep(args.action_at)
        slow_thread = None
        if args.slow_path:
            def slow_request():
                try:
                    status, release, _ = fetch(args, args.slow_path)
                    slow.update(status=status, release=release)
                except Exception as exc:  # noqa: BLE001
                    slow.update(error=f"{type(exc).__name__}: {exc}")

            slow_thread = threading.Thread(target=slow_request)
            slow_thread.start()
            time.sleep(0.5)  # let a worker pick it up before the action
        action_start = time.monotonic()
        done = subprocess.run(args.action, shell=True, capture_output=True, text=True, timeout=120)
        report.update(action_rc=done.returncode, action_seconds=round(time.monotonic() - action_start, 2),
                      action_output=(done.stdout + done.stderr)[-2000:])
        if slow_thread is not None:
            slow_thread.join(args.timeout + 5)
            report["slow_request"] = slow

    remaining = args.duration - (time.monotonic() - started)
    if remaining > 0:
        stop.wait(remaining)
    stop.set()
    for thread in threads:
        thread.join(args.timeout + 5)

    ok = sum(n for status, n in results.statuses.items() if 200 <= status < 300)
    failed = sum(results.errors.values()) + sum(n for status, n in results.statuses.items() if not 200 <= status < 300)
    report.update(
        requests=results.sent, ok=ok, failed=failed, seconds=round(time.monotonic() - started, 2),
        statuses={str(k): v for k, v in results.statuses.items()}, errors=dict(results.errors),
        releases=dict(results.releases),
    )
    print(json.dumps(report, sort_keys=True))
    slow_ok = not args.slow_path or not args.action or 200 <= slow.get("status", 0) < 300
    return 0 if failed == 0 and ok > 0 and slow_ok and report.get("action_rc", 0) == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
