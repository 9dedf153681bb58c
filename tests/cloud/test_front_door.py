"""The front door on the second cloud of `make test` (make cloud-corpus),
before the failure drills: the maintenance switch, and an nginx
configuration that fails its test then is fixed. Each keeps the sample app
serving; they sit here to balance the two clouds' times."""

from __future__ import annotations

import json

from conftest import DRILL_RATE, HTTP_PORT, assert_failed_with, fill


def test_maintenance_switches_the_front_door(cloud, drill):
    """flaskdeploy maintenance:on|off: every page 503 with the maintenance page, health checks still answer"""
    import urllib.error
    import urllib.request

    def get(path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{HTTP_PORT}{path}", timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    on = cloud.cli("maintenance:on").run()
    drill["releases_live"] = cloud.releases_live()
    assert on.returncode == 0, on.tail()
    status, body = get("/")
    assert status == 503 and "Down for maintenance" in body
    assert get("/healthz")[0] == 200
    # A converge of the front door during maintenance leaves it on.
    converge = cloud.playbook("lb.yml").run()
    assert converge.returncode == 0, converge.tail()
    assert get("/")[0] == 503, "lb.yml must not end the maintenance"
    off = cloud.cli("maintenance:off").run()
    assert off.returncode == 0, off.tail()
    assert get("/")[0] == 200
    bad = cloud.playbook("maintenance.yml", "-e", "state=maybe").run()
    assert_failed_with(bad, r"-e state=on or -e state=off")


def test_nginx_runs_its_files_after_a_failed_test_is_fixed(cloud, drill):
    """An nginx configuration that fails its test: nginx keeps the old one; fixed, the next run makes nginx run the files"""
    import urllib.request

    def drill_header():
        with urllib.request.urlopen(f"http://127.0.0.1:{HTTP_PORT}/", timeout=5) as response:
            return response.headers.get("X-Drill-Nginx")

    header = ["-e", json.dumps({"nginx_security_headers": {"X-Drill-Nginx": "on", "X-Content-Type-Options": "nosniff"}})]
    broken_file = "/etc/nginx/conf.d/zz-drill-broken.conf"

    def break_then_fix():
        cloud.exec("lb1", "sh", "-c", f"echo 'this is not an nginx directive;' > {broken_file}")
        broken = cloud.playbook("lb.yml", *header).run()
        seen = {"while_broken": drill_header()}
        cloud.exec("lb1", "rm", "-f", broken_file)
        fixed = cloud.playbook("lb.yml", *header).run()
        seen["fixed"] = drill_header()
        restored = cloud.playbook("lb.yml").run()
        seen["restored"] = drill_header()
        return broken, fixed, restored, seen

    (broken, fixed, restored, seen), report = cloud.under_load(break_then_fix, rate=DRILL_RATE)
    fill(drill, report, cloud)
    drill["headers"] = seen

    assert_failed_with(broken, r"zz-drill-broken.conf")
    assert seen["while_broken"] is None, "nginx kept the configuration it ran"
    assert fixed.returncode == 0 and restored.returncode == 0, fixed.tail() + restored.tail()
    assert seen["fixed"] == "on", "the fixed run reloads the change the failed run could not"
    assert seen["restored"] is None
    assert report["requests_failed"] == 0, report
