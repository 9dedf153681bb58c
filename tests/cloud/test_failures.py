"""Apps that cannot serve: they leave rotation within seconds, and a
converge that starts one fails, naming the host and what the unit logged;
an app removed from the site leaves no broken configuration. Run last: they
break an app on purpose (and mend it), and remove one. The latency check
(p99 of a host whose app cannot serve) comes last, when the other cloud of
`make test` is most likely done."""

from __future__ import annotations

import re
import time

import yaml

from conftest import INVENTORY, WEB_HOSTS, Browser, app_repo, log, machine_quiet

# A gunicorn hook in the app's own gunicorn.conf.py (which the role loads):
# every worker exits as it boots, so gunicorn gives up and exits too.
BROKEN_HOOK = '''
def post_fork(server, worker):
    """Drill: this worker cannot boot."""
    raise SystemExit(3)
'''


def test_a_converge_of_an_app_that_cannot_boot_fails_with_the_units_log(cloud, drill):
    """site.yml with an app that cannot boot exits non-zero, naming the host and the unit's last log lines"""
    name = "guestbook"
    repo = app_repo(name)
    cloud.commit("A release whose workers cannot boot", files={"gunicorn.conf.py": BROKEN_HOOK}, repo=repo)
    # The health gate gives up after site_health_timeout: 20 s is plenty here.
    site = cloud.playbook("site.yml", "-e", f"app={name}", "-e", "app_version=main",
                          "-e", "site_health_timeout=20").run(timeout=2400)
    drill["releases_live"] = cloud.releases_live(name)
    assert site.returncode != 0, "site.yml must fail when an app cannot serve"
    assert re.search(rf"{name} on web[12] does not serve", site.output), site.tail(120)
    assert "Last lines of the journal of guestbook-gunicorn.service" in site.output, site.tail(120)
    assert re.search(r"Worker failed to boot|Shutting down: Master|SystemExit", site.output), site.tail(120)

    cloud.commit("Workers boot again", remove=["gunicorn.conf.py"], repo=repo)
    mended = cloud.playbook("web.yml", "-e", f"app={name}", "-e", "app_version=main").run()
    assert mended.returncode == 0, mended.tail(120)
    for host in WEB_HOSTS:
        assert cloud.exec(host, "systemctl", "is-active", f"{name}-gunicorn") == "active"


def test_an_app_removed_from_the_site_leaves_no_broken_configuration(cloud, drill):
    """An app dropped from the site: its sites are disabled by the next run, remove-app.yml removes it, its data stays"""
    name = "taskboard"
    listed = yaml.safe_load((INVENTORY / "apps.yml").read_text())
    (INVENTORY / "apps.yml").write_text(yaml.safe_dump([a for a in listed if a["name"] != name], sort_keys=False))

    # A run of the web and lb tiers, even for another app, disables its sites.
    for tier in ("web.yml", "lb.yml"):
        converge = cloud.playbook(tier, "-e", "app=sampleapp").run()
        assert converge.returncode == 0, converge.tail(120)
        assert f"no longer serves {name}: not in the list of apps" in " ".join(converge.output.split()), converge.tail(80)
    for host in ("lb1", *WEB_HOSTS):
        cloud.exec(host, "nginx", "-t", "-q")  # raises unless the configuration is valid
        assert cloud.exec(host, "sh", "-c", f"test -e /etc/nginx/sites-enabled/{name}.conf && echo enabled || echo gone") == "gone"

    refused = cloud.playbook("remove-app.yml", "-e", f"remove_app={name}").run()
    assert refused.returncode != 0 and "confirm it by typing its name again" in " ".join(refused.output.split())
    removed = cloud.playbook("remove-app.yml", "-e", f"remove_app={name}", "-e", f"confirm_remove={name}").run()
    assert removed.returncode == 0, removed.tail(120)
    for host in WEB_HOSTS:
        assert cloud.exec(host, "sh", "-c", f"test -e /srv/{name} && echo left || echo gone") == "gone"
        units = cloud.exec(host, "systemctl", "list-units", "--all", "--plain", "--no-legend", f"{name}-*", check=False)
        assert units == "", f"{host} still has {units}"
        archives = cloud.exec(host, "sh", "-c", f"ls /var/backups/flaskdeploy/{name}-*.tar.gz")
        assert archives, f"the files {name} wrote are archived on {host}"
    assert cloud.sql("SELECT count(*) FROM alembic_version", database=name) == [["1"]], "its database stays"
    # The other apps still serve.
    assert Browser("bookshelf.test").get("/").status == 200
    drill["releases_live"] = cloud.releases_live()


def test_a_host_whose_app_cannot_serve_leaves_rotation_within_seconds(cloud, drill):
    """One web host's app breaks (its workers exit at boot): no 5xx after 5 s, p99 under 1 s"""
    # The p99 is the product's: measured while the other cloud runs no playbook.
    with machine_quiet():
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
