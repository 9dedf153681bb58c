#!/usr/bin/env python3
"""A bounded request stream for zero-downtime tests and benchmarks.

Sends GET requests to a URL on the loopback interface at a steady rate from a
few threads until a request count or a duration is reached (both bounded),
and reports how many were sent and how many failed (connection errors,
timeouts, 5xx), with latency percentiles and, when the response carries one,
which host answered (header X-Served-By or the JSON `host` field).

    scripts/loadgen.py http://127.0.0.1:8080/healthz --rate 150 --duration 60
    scripts/loadgen.py URL --requests 10000 --rate 200 --json report.json

SIGTERM ends a stream early; the report is still written.

As a library: `with Stream(url, rate=150) as stream: ...; report = stream.report()`
runs in the background while the caller deploys.
"""

import argparse
import http.client
import json
import signal
import sys
import threading
import time
import urllib.parse
from collections import Counter

MAX_DURATION = 900  # seconds: no stream runs longer, whatever is asked
MAX_REQUESTS = 200_000
ALLOWED_HOSTS = {"127.0.0.1", "localhost", "::1"}


class Stream:
    def __init__(self, url, rate=100.0, duration=None, requests=None, threads=8, timeout=10.0, host_header=None):
        parsed = urllib.parse.urlsplit(url)
        if parsed.hostname not in ALLOWED_HOSTS:
            raise ValueError(f"refusing to send load to {parsed.hostname}: loopback only")
        self.scheme, self.host, self.port = parsed.scheme, parsed.hostname, parsed.port
        self.path = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
        self.rate = float(rate)
        self.duration = min(duration or MAX_DURATION, MAX_DURATION)
        self.limit = min(requests or MAX_REQUESTS, MAX_REQUESTS)
        self.threads = threads
        self.timeout = timeout
        self.host_header = host_header
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._issued = 0
        self.sent = 0
        self.failed = 0
        self.statuses = Counter()
        self.errors = Counter()
        self.hosts = Counter()
        self.releases = Counter()
        self.latencies = []
        # (scheduled offset from the start, latency from the scheduled send, failed)
        self.samples = []
        self._workers = []
        self.started = self.finished = None

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        self.started = time.monotonic()
        self._workers = [threading.Thread(target=self._work, daemon=True) for _ in range(self.threads)]
        for worker in self._workers:
            worker.start()
        return self

    def stop(self):
        self._stop.set()
        self.join()

    def join(self):
        for worker in self._workers:
            worker.join()
        self.finished = self.finished or time.monotonic()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- work ----------------------------------------------------------------
    def _next_slot(self):
        """Claim the next request's scheduled time, or None when done."""
        with self._lock:
            if self._stop.is_set() or self._issued >= self.limit:
                return None
            slot = self.started + self._issued / self.rate
            if slot - self.started > self.duration:
                return None
            self._issued += 1
            return slot

    def _connection(self):
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        kwargs = {"timeout": self.timeout}
        if self.scheme == "https":
            import ssl

            kwargs["context"] = ssl._create_unverified_context()  # noqa: S323 - loopback test traffic only
        return cls(self.host, self.port, **kwargs)

    def _work(self):
        while True:
            slot = self._next_slot()
            if slot is None:
                return
            delay = slot - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._one(slot)

    def _one(self, slot=None):
        began = time.monotonic()
        status, error, host, release = None, None, None, None
        conn = self._connection()
        try:
            headers = {"Connection": "close"}
            if self.host_header:
                headers["Host"] = self.host_header
            conn.request("GET", self.path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            status = response.status
            host = response.getheader("X-Served-By")
            if response.getheader("Content-Type", "").startswith("application/json"):
                try:
                    data = json.loads(body)
                    host = host or data.get("host")
                    release = data.get("release")
                except ValueError:
                    pass
        except Exception as exc:  # noqa: BLE001 - every failure counts
            error = type(exc).__name__
        finally:
            conn.close()
        ended = time.monotonic()
        elapsed = ended - began
        failed = bool(error or status is None or status >= 500)
        with self._lock:
            self.sent += 1
            self.latencies.append(elapsed)
            if slot is not None:
                self.samples.append((slot - self.started, ended - slot, failed))
            if failed:
                self.failed += 1
            if error:
                self.errors[error] += 1
            else:
                self.statuses[status] += 1
            if host:
                self.hosts[host] += 1
            if release:
                self.releases[release] += 1

    # -- results ---------------------------------------------------------------
    def window(self, since=0.0):
        """Requests scheduled `since` seconds or more after the start: how many,
        how many failed, and the p99 latency timed from their scheduled send."""
        with self._lock:
            chosen = [sample for sample in self.samples if sample[0] >= since]
        latencies = sorted(latency for _, latency, _ in chosen)
        p99 = round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000, 1) if latencies else None
        return {"since_s": since, "requests": len(chosen), "failed": sum(1 for *_, bad in chosen if bad),
                "p99_ms": p99}

    def report(self):
        with self._lock:
            latencies = sorted(self.latencies)
            elapsed = (self.finished or time.monotonic()) - self.started

            def pct(p):
                return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1) if latencies else None

            return {
                "url": f"{self.scheme}://{self.host}:{self.port}{self.path}",
                "requests_sent": self.sent,
                "requests_failed": self.failed,
                "seconds": round(elapsed, 1),
                "rate": round(self.sent / elapsed, 1) if elapsed else 0.0,
                "p50_ms": pct(0.50),
                "p99_ms": pct(0.99),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "errors": dict(self.errors),
                "hosts": dict(self.hosts),
                "releases": dict(self.releases),
            }


def summary(report):
    return (f"requests sent: {report['requests_sent']}, failed: {report['requests_failed']} "
            f"({report['rate']}/s over {report['seconds']}s, p50 {report['p50_ms']} ms, p99 {report['p99_ms']} ms)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second (default 100)")
    parser.add_argument("--duration", type=float, help=f"seconds (at most {MAX_DURATION})")
    parser.add_argument("--requests", type=int, help=f"request count (at most {MAX_REQUESTS})")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--host-header")
    parser.add_argument("--json", help="write the report to this file")
    args = parser.parse_args(argv)
    if not args.duration and not args.requests:
        parser.error("give --duration or --requests")
    stream = Stream(args.url, args.rate, args.duration, args.requests, args.threads, host_header=args.host_header)
    # SIGTERM ends the stream early (e.g. once a deploy is over) and still reports.
    signal.signal(signal.SIGTERM, lambda *_: stream._stop.set())
    stream.start()
    stream.join()
    report = stream.report()
    print(summary(report))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)
    return 0 if report["requests_failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
