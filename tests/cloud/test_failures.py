"""Apps that cannot serve: they leave rotation within seconds, and a
converge that starts one fails, naming the host and what the unit logged.
Run last: they break an app on purpose (and mend it)."""

from __future__ import annotations

import re
import time

from conftest import WEB_HOSTS, log

# A gunicorn hook in the app's own gunicorn.conf.py (which the role loads):
# every worker exits as it boots, so gunicorn gives up and exits too.
BROKEN_HOOK = '''
def post_fork(server, worker):
    """Drill: this worker cannot boot."""
    raise SystemExit(3)
'''


def test_a_host_whose_app_cannot_serve_leaves_rotation_within_seconds(cloud, drill):
    """One web host's app breaks (its workers exit at boot): no 5xx after 5 s, p99 under 1 s"""
    stream = cloud.stream(rate=100)
    try:
        time.sleep(3)
        broken_at = time.monotonic() - stream.started
        log("breaking the sample app on web1: its workers exit at boot")
        cloud.exec("web1", "sh", "-c", "cat > /srv/sampleapp/current/gunicorn.conf.py && "
                   "systemctl restart sampleapp-gunicorn", input=BROKEN_HOOK)
        time.sleep(40)
    finally:
        stream.stop()
    report = stream.report()
    after = stream.window(since=broken_at + 5)
    drill.update(requests_sent=report["requests_sent"], requests_failed=report["requests_failed"],
                 p99_ms=report["p99_ms"], after_first_5s=after, releases_live=cloud.releases_live())
    log(f"broken host: {report['requests_failed']} of {report['requests_sent']} failed; after 5 s: {after}")
    journal = cloud.exec("web1", "journalctl", "--no-pager", "--output=cat", "--lines=200", "--unit=sampleapp-gunicorn")
    assert "resetting the connections waiting" in journal, "the crash was seen and the queued connections reset"

    # Mend it: the converge's restart clears the failed state and the host serves again.
    cloud.exec("web1", "rm", "-f", "/srv/sampleapp/current/gunicorn.conf.py")
    cloud.exec("web1", "sh", "-c", "systemctl reset-failed sampleapp-gunicorn; systemctl restart sampleapp-gunicorn")
    cloud.wait_for(lambda: "release" in cloud.exec("web1", "curl", "-s", "--unix-socket", "/run/sampleapp/gunicorn.sock",
                                                   "http://localhost/healthz", check=False), timeout=60, what="web1 to serve")

    assert after["requests"] >= 2500, after
    assert after["failed"] == 0, f"5xx after the first 5 s: {after}"
    assert after["p99_ms"] < 1000, f"p99 {after['p99_ms']} ms after the first 5 s"


def test_a_converge_of_an_app_that_cannot_boot_fails_with_the_units_log(cloud, drill):
    """site.yml with an app that cannot boot exits non-zero, naming the host and the unit's last log lines"""
    name = "guestbook"
    repo = f"corpus-{name}"
    cloud.commit("A release whose workers cannot boot", files={"gunicorn.conf.py": BROKEN_HOOK}, repo=repo)
    site = cloud.playbook("site.yml", "-e", f"app={name}").run(timeout=2400)
    drill["releases_live"] = cloud.releases_live(name)
    assert site.returncode != 0, "site.yml must fail when an app cannot serve"
    assert re.search(rf"{name} on web[12] does not serve", site.output), site.tail(120)
    assert "Last lines of the journal of guestbook-gunicorn.service" in site.output, site.tail(120)
    assert re.search(r"Worker failed to boot|Shutting down: Master|SystemExit", site.output), site.tail(120)

    cloud.commit("Workers boot again", remove=["gunicorn.conf.py"], repo=repo)
    mended = cloud.playbook("web.yml", "-e", f"app={name}").run()
    assert mended.returncode == 0, mended.tail(120)
    for host in WEB_HOSTS:
        assert cloud.exec(host, "systemctl", "is-active", f"{name}-gunicorn") == "active"
