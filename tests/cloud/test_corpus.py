"""Conventional apps, unmodified: the corpus of real-world app shapes
(tests/corpus/apps/, described in tests/corpus/catalog.py) deployed on the
cloud's hosts beside the sample app, with settings alone (name, repository,
domain, the variables the app documents).

For each app, through the load balancer on 127.0.0.1 and its own domain:
what was inferred from the repository, a login that stays valid across 24
requests served by both web hosts, a CSRF-protected POST (and the same POST
without its token refused), a static file served by nginx (the app never
sees it), the background job where the app has one, the error mail in the
SMTP sink. Then deploy.yml of a second commit of every app, three at a time
(apps are deployed independently), each under a request stream of its own,
with no request failed, and the users still signed in.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from conftest import BEFORE_FIRST_CONVERGE, HTTP_PORT, app_repo, INVENTORY, ROOT, WEB_HOSTS, Browser, log
from corpus.catalog import APPS

SOURCES = ROOT / "tests" / "corpus" / "apps"
PASSWORD = "correct horse battery staple 7"
SETTING_KEYS = {"db_url_scheme", "env", "env_names", "packages", "redis", "rabbitmq", "shared_dirs"}
DEFAULT_SHARED_DIRS = ["log", "tmp", "uploads", "instance"]
# Each app's browser, signed in by its test, for the check after the deploys.
SIGNED_IN: dict = {}


def domain(name: str) -> str:
    return f"{name}.test"


def site_entry(name: str, spec: dict) -> dict:
    """The app's site_apps entry: what a user would write for it."""
    settings = spec["settings"]
    entry = {"name": name, "repo_url": f"git://gitserver/{app_repo(name)}.git", "domains": [domain(name)],
             "workers": 2, **{key: value for key, value in settings.items() if key in SETTING_KEYS}}
    if "database" in settings:
        entry["db"] = settings["database"]
    if "shared_dirs" in settings:
        entry["shared_dirs"] = sorted(set(DEFAULT_SHARED_DIRS) | set(settings["shared_dirs"]))
    return entry


def publish_and_list(cloud) -> None:
    """Every corpus app on the git server and in the inventory's apps.yml,
    so that the cloud's first converge (site.yml) deploys them all."""
    for name in APPS:
        cloud.git.publish(app_repo(name), SOURCES / name)
    entries = [site_entry(name, spec) for name, spec in sorted(APPS.items())]
    (INVENTORY / "apps.yml").write_text(yaml.safe_dump(entries, sort_keys=False))
    log(f"the first converge deploys the corpus too: {', '.join(APPS)}")


BEFORE_FIRST_CONVERGE.append(publish_and_list)


@pytest.fixture(scope="module")
def corpus(cloud):
    """site.yml's run that deployed every corpus app (the cloud's first converge)."""
    listed = yaml.safe_load((INVENTORY / "apps.yml").read_text())
    assert sorted(entry["name"] for entry in listed) == sorted(APPS), "the corpus is in apps.yml"
    return cloud.first_converge


def fill(fields: dict, **values) -> dict:
    return {key: str(value).format(**values) for key, value in fields.items()}


def password(spec: dict) -> str:
    return spec["settings"].get("env", {}).get("ADMIN_PASSWORD", PASSWORD)


def sign_in(name: str, spec: dict, browser: Browser, user: str) -> None:
    """Register (when the app has registration) and log in, through CSRF forms."""
    if spec["register"]:
        form = spec["register"]
        browser.submit(form["url"], form["url"], fill(form["fields"], user=user, password=password(spec)))
    form = spec["login"]
    page = browser.submit(form["url"], form["url"], fill(form["fields"], user=user, password=password(spec)))
    assert page.status == 200, f"{name}: login answered {page}"


def mail_text(message) -> str:
    """A message's subject and decoded body (tracebacks come quoted-printable)."""
    parts = message.walk() if message.is_multipart() else [message]
    bodies = [part.get_payload(decode=True) or b"" for part in parts if not part.is_multipart()]
    return str(message["Subject"]) + "\n" + "\n".join(body.decode(errors="replace") for body in bodies)


def session_holds(name: str, spec: dict, cloud, requests: int = 24) -> tuple[bool, dict, str]:
    """Log in, then ask the login-only page REQUESTS times: is the user still
    signed in every time, and which web hosts answered?"""
    browser = Browser(domain(name))
    user = spec["user"] or f"u{secrets.token_hex(4)}"
    expect = spec["protected"]["expect"].format(user=user)
    try:
        sign_in(name, spec, browser, user)
    except AssertionError as error:
        return False, {}, f"could not log in: {str(error)[:300]}"
    start = len(browser.request_ids)
    misses = [i for i in range(requests) if expect not in browser.get(spec["protected"]["url"]).body]
    served = cloud.served_by(name, browser.request_ids[start:])
    detail = f"{len(misses)} of {requests} requests not signed in; served by {served}"
    return not misses, served, detail


@pytest.mark.parametrize("name", sorted(APPS))
def test_corpus_app(name, corpus, cloud, drill):
    """A real-world app shape: inferred settings, sessions over both hosts, CSRF, static, job, mail, rolling deploy"""
    spec = APPS[name]
    drill["case"] = f"corpus {spec['letter']} {name}"
    drill["description"] = spec["shape"]
    token = "t" + secrets.token_hex(6)

    # What the build inferred from the repository alone.
    inferred = json.loads(cloud.exec("web1", "cat", f"/srv/{name}/current/.flaskdeploy/inspect.json"))
    drill["inferred"] = {key: inferred[key] for key in ("wsgi_app", "flask_app", "release_command", "static_folder")}
    assert inferred["wsgi_app"] == spec["wsgi_expected"], inferred
    assert inferred["release_command"] == (spec["release_expected"] or ""), inferred
    # A packaged project serves the static folder of its installed copy.
    installed = (inferred["static_folder"] or "").removeprefix(".flaskdeploy/site/")
    assert inferred["static_folder"] == spec["static_folder"] or spec["static_folder"].endswith("/" + installed), inferred
    release_env = cloud.exec("web1", "cat", f"/srv/{name}/current/.flaskdeploy/env")
    if spec["flask_app_expected"] is None:
        assert "FLASK_APP" not in release_env, f"{name} sets FLASK_APP itself (.flaskenv): {release_env}"
    # Whatever spelling was inferred, the flask command finds the app.
    routes = cloud.exec("web1", f"{name}-run", "flask", "routes", check=False)
    assert spec["protected"]["url"] in routes, f"{name}-run flask routes: {routes[-800:]}"

    browser = Browser(domain(name))
    assert browser.get("/").status == 200

    # A login valid across requests spread over both web hosts.
    ok, served, detail = session_holds(name, spec, cloud)
    drill["sessions"] = detail
    assert ok, f"{name}: {detail}"
    assert all(served[host] > 0 for host in WEB_HOSTS), f"{name}: not spread over both web hosts: {served}"

    # A CSRF-protected POST while logged in, and the same POST without its token.
    user = spec["user"] or f"u{token}"
    sign_in(name, spec, browser, user)
    post = spec["post"]
    answer = browser.submit(post["form_url"], post["url"], fill(post["fields"], token=token, user=user))
    assert answer.status == 200, answer
    assert post["expect"].format(token=token, user=user) in browser.get(post["expect_url"]).body
    refused = browser.request("POST", post["url"], form=fill(post["fields"], token=token, user=user), follow=False)
    assert refused.status == 400, f"{name}: a POST without its CSRF token answered {refused}"

    # A static file, served by nginx from the release: gunicorn never sees it.
    static = browser.get(f"{spec['static']}?v={token}")
    assert static.status == 200 and spec["static_text"] in static.body, static
    assert "max-age=3600" in static.headers.get("cache-control", ""), static.headers
    for host in WEB_HOSTS:
        journal = cloud.exec(host, "journalctl", "--no-pager", "--output=cat", f"--unit={name}-gunicorn", check=False)
        assert token not in journal, f"{name}: the app on {host} served the static file itself"

    # The background job, where the app has one.
    if spec["job"]:
        job = spec["job"]
        browser.submit(job["form_url"], job["url"], fill(job["fields"], token=token, user=user))
        expect = job["expect"].format(token=token[::-1] if job.get("expect_reversed") else token, user=user)
        cloud.wait_for(lambda: expect in browser.get(job["result_url"]).body, timeout=90, interval=2,
                       what=f"{name}'s job to run on a worker")

    # The error mail, in the SMTP sink.
    error = browser.get(spec["error"]["url"].format(token=token))
    assert error.status == 500, error
    cloud.wait_for(lambda: any(token in mail_text(message) and spec["error"]["mail_subject"] in str(message["Subject"])
                               for message in cloud.smtp.messages()),
                   timeout=60, interval=2, what=f"{name}'s error mail")

    SIGNED_IN[name] = (browser, user)


def deploy_second_commit(name: str, cloud) -> dict:
    """deploy.yml of a second commit of NAME under a request stream to it."""
    before = cloud.releases_live(name)
    cloud.commit(f"A second release of {name}", files={"CHANGES.txt": f"second release {secrets.token_hex(4)}\n"},
                 repo=app_repo(name))
    deploy, report = cloud.under_load(lambda: cloud.playbook("deploy.yml", "-e", f"app={name}").run(),
                                      rate=10, url=f"http://127.0.0.1:{HTTP_PORT}/", host=domain(name))
    return {"deploy": deploy, "report": report, "before": before, "after": cloud.releases_live(name)}


def test_corpus_deploys_under_load(corpus, cloud, drill):
    """deploy.yml of a second commit of every corpus app, three at a time, each under a stream of its own"""
    names = sorted(APPS)
    # Three at a time: apps deploy independently of each other, and six at
    # once on two shared cores starve the apps serving the streams.
    with ThreadPoolExecutor(3) as pool:
        results = dict(zip(names, pool.map(lambda name: deploy_second_commit(name, cloud), names)))
    drill["apps"] = {name: {"requests_sent": result["report"]["requests_sent"],
                            "requests_failed": result["report"]["requests_failed"],
                            "p99_ms": result["report"]["p99_ms"], "releases_live": result["after"],
                            "deploy_exit": result["deploy"].returncode}
                     for name, result in results.items()}
    drill["requests_sent"] = sum(result["report"]["requests_sent"] for result in results.values())
    drill["requests_failed"] = sum(result["report"]["requests_failed"] for result in results.values())
    for name, result in results.items():
        deploy, report = result["deploy"], result["report"]
        assert deploy.returncode == 0, f"{name}:\n{deploy.tail(150)}"
        (new,) = deploy.summary["releases"]
        assert result["after"] == {host: new for host in WEB_HOSTS} and new != result["before"]["web1"], (name, result)
        assert report["requests_failed"] == 0, f"{name}: {json.dumps(report)}"
        assert report["requests_sent"] >= 200, f"{name}: {json.dumps(report)}"
        # The user stays signed in across the release (the same key everywhere).
        if name in SIGNED_IN:
            browser, user = SIGNED_IN[name]
            assert APPS[name]["protected"]["expect"].format(user=user) in browser.get(APPS[name]["protected"]["url"]).body


def test_sessions_fail_when_keys_differ_and_a_converge_gives_one_key(corpus, cloud, drill):
    """One SECRET_KEY per app: hosts with different keys break sessions; site's web tier converges them"""
    name = "bookshelf"
    spec = APPS[name]
    # What an earlier version left: each web host generated a key of its own.
    for host in WEB_HOSTS:
        key = f"{host}-{secrets.token_hex(16)}"
        cloud.exec(host, "sh", "-c", f"printf '%s\\n' '{key}' > /srv/{name}/shared/secret_key && "
                                     f"sed -i \"s/^SECRET_KEY=.*/SECRET_KEY={key}/\" /srv/{name}/shared/.env && "
                                     f"systemctl restart {name}-gunicorn")
    cloud.exec("db1", "rm", "-f", f"/var/lib/flaskdeploy/secrets/{name}.secret_key")
    ok, served, detail = session_holds(name, spec, cloud)
    drill["with_two_keys"] = detail
    assert not ok, f"the session check must fail when the hosts' keys differ: {detail}"

    web = cloud.playbook("web.yml", "-e", f"app={name}").run()
    assert web.returncode == 0, web.tail(150)
    # The report as the YAML callback prints it: folded, quotes doubled.
    said = " ".join(web.output.split()).replace("''", "'")
    assert re.search(rf"SECRET_KEY of {name}: the app hosts had different keys \(web1: sha256 \w+, web2: sha256 \w+\); "
                     r"kept web1's", said), web.tail(200)
    keys = {host: cloud.exec(host, "sh", "-c", f"grep ^SECRET_KEY= /srv/{name}/shared/.env") for host in WEB_HOSTS}
    assert len(set(keys.values())) == 1 and "web1-" in keys["web1"], "every host has web1's key"
    for line in keys.values():
        assert line.split("=", 1)[1].strip("'") not in web.output, "keys are never printed"
    ok, served, detail = session_holds(name, spec, cloud)
    drill["after_converge"] = detail
    assert ok, detail
    drill["releases_live"] = cloud.releases_live(name)
