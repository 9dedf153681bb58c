"""Background jobs: settings, the ``/jobs`` routes and real Celery workers.

Most tests run a Celery worker in a thread of the test process (Celery's
``start_worker``), with the in-memory broker and the in-memory result cache,
which threads of one process share.  One test runs the Procfile's worker
command as a process, with PostgreSQL standing in for both RabbitMQ and Redis.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator

import celery.contrib.testing.tasks  # noqa: F401  (celery.ping, for start_worker)
import pytest
from celery.app.trace import reset_worker_optimizations, setup_worker_optimizations
from celery.contrib.testing.worker import start_worker
from flask import Flask
from sqlalchemy import select

from sampleapp import create_app
from sampleapp.config import APP_ROOT, missing_job_settings, settings_from_env
from sampleapp.extensions import db
from sampleapp.models import JobRun
from sampleapp.tasks import TASK_NAME, check_job_arguments

DB_URL = "postgres://app:secret@db.example.org:5432/sampleapp"
WORKER = "sampleapp-test-worker@testhost"
NOT_CONFIGURED = "background jobs are not configured"


def memory_jobs(**celery: object) -> dict[str, object]:
    """Config overrides for jobs through the in-process broker and backend.

    Each test gets a queue of its own: the memory broker is process-wide.
    """
    return {
        "CELERY_BROKER_URL": "memory://",
        "CELERY_RESULT_BACKEND": "cache+memory://",
        "CELERY": {
            "task_default_queue": f"test-{uuid.uuid4().hex}",
            "worker_hijack_root_logger": False,
            "broker_transport_options": {"polling_interval": 0.05},
            **celery,
        },
    }


def deploy(app: Flask) -> Flask:
    """Run ``flask deploy`` on *app*'s database."""
    result = app.test_cli_runner().invoke(args=["deploy"])
    assert result.exit_code == 0, result.output
    return app


def wait_for_job(
    client, job_id: str, until: str = "SUCCESS", timeout: float = 20.0
) -> dict:
    """Poll ``GET /jobs/<id>`` until the job's status is *until*."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/jobs/{job_id}")
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        if body["status"] == until:
            return body
        assert body["status"] in {"PENDING", "STARTED"}, body
        assert (
            time.monotonic() < deadline
        ), f"job still {body['status']} after {timeout}s"
        time.sleep(0.02)


@pytest.fixture
def jobs_app(make_app: Callable[..., Flask]) -> Flask:
    """A deployed testing app whose jobs go through the memory broker."""
    return deploy(make_app(**memory_jobs()))


@pytest.fixture
def worker(jobs_app: Flask) -> Iterator[object]:
    """A Celery worker consuming *jobs_app*'s jobs, in a thread.

    Like the ``celery worker`` command (and unlike a bare embedded worker),
    it sets up the worker optimisations, which is what gives tasks the
    worker's node name as ``self.request.hostname``.
    """
    celery_app = jobs_app.extensions["celery"]
    setup_worker_optimizations(celery_app, WORKER)
    try:
        with start_worker(celery_app, hostname=WORKER) as running:
            yield running
    finally:
        reset_worker_optimizations(celery_app)


# --- settings --------------------------------------------------------------


def test_job_settings_from_environment():
    env = {
        "CELERY_BROKER_URL": " amqp://app:pw@mq.example.org:5672/app ",
        "REDIS_URL": "redis://:pw@redis.example.org:6379/0",
    }
    config = settings_from_env(env)
    assert config["CELERY_BROKER_URL"] == "amqp://app:pw@mq.example.org:5672/app"
    assert config["CELERY_RESULT_BACKEND"] == "redis://:pw@redis.example.org:6379/0"
    assert missing_job_settings(config) == []

    override = {**env, "CELERY_RESULT_BACKEND": "redis://other.example.org/1"}
    assert settings_from_env(override)["CELERY_RESULT_BACKEND"] == (
        "redis://other.example.org/1"
    )
    blank = {**env, "CELERY_RESULT_BACKEND": "  "}
    assert settings_from_env(blank)["CELERY_RESULT_BACKEND"] == env["REDIS_URL"]


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, ["CELERY_BROKER_URL", "REDIS_URL"]),
        ({"CELERY_BROKER_URL": "amqp://mq//", "REDIS_URL": " "}, ["REDIS_URL"]),
        ({"REDIS_URL": "redis://r/0"}, ["CELERY_BROKER_URL"]),
        ({"CELERY_RESULT_BACKEND": "redis://r/0"}, ["CELERY_BROKER_URL"]),
    ],
)
def test_missing_job_settings(env, missing):
    config = settings_from_env(env)
    assert missing_job_settings(config) == missing


def test_celery_app_from_environment(monkeypatch):
    """The URLs as the playbook composes them, with URL-encoded passwords."""
    monkeypatch.setenv("DATABASE_URL", DB_URL)
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("CELERY_BROKER_URL", "amqp://app:p%2Fw%40rd@10.0.0.5:5672/app")
    monkeypatch.setenv("REDIS_URL", "redis://:r%2Fpw%3A@10.0.0.6:6379/0")
    celery_app = create_app().extensions["celery"]

    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_connection_retry_on_startup is True
    assert conf.result_expires.total_seconds() == 24 * 60 * 60
    assert conf.task_track_started is True
    assert TASK_NAME in celery_app.tasks

    with celery_app.connection_for_write() as connection:
        assert (connection.transport_cls, connection.hostname) == ("amqp", "10.0.0.5")
        assert (connection.userid, connection.password) == ("app", "p/w@rd")
        assert connection.virtual_host == "app"
    params = celery_app.backend.connparams
    assert (params["host"], params["port"], params["db"]) == ("10.0.0.6", 6379, 0)
    assert params["password"] == "r/pw:"


def test_jobs_off_without_settings(monkeypatch, caplog):
    monkeypatch.setenv("CELERY_BROKER_URL", "amqp://mq//")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": DB_URL})
    assert "celery" not in app.extensions
    assert "Background jobs are off: REDIS_URL is not set" in caplog.text


def test_worker_entry_point_needs_settings(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", DB_URL)
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    import sampleapp.tasks

    with pytest.raises(RuntimeError, match="set CELERY_BROKER_URL, REDIS_URL"):
        sampleapp.tasks.app  # noqa: B018
    with pytest.raises(AttributeError):
        sampleapp.tasks.no_such_thing  # noqa: B018


@pytest.mark.parametrize(
    ("text", "seconds", "expected"),
    [
        ("hi", None, ("hi", 0.0)),
        ("hi", "", ("hi", 0.0)),
        ("hi", "1.5", ("hi", 1.5)),
        ("hi", 60, ("hi", 60.0)),
    ],
)
def test_check_job_arguments(text, seconds, expected):
    assert check_job_arguments(text, seconds) == expected


@pytest.mark.parametrize(
    ("text", "seconds", "message"),
    [
        (None, 0, "text is required"),
        ("   ", 0, "text is required"),
        (7, 0, "text is required"),
        ("x" * 201, 0, "at most 200 characters"),
        ("hi", "soon", "seconds must be a number"),
        ("hi", True, "seconds must be a number"),
        ("hi", [1], "seconds must be a number"),
        ("hi", 61, "between 0 and 60"),
        ("hi", -1, "between 0 and 60"),
        ("hi", "nan", "between 0 and 60"),
    ],
)
def test_check_job_arguments_rejects(text, seconds, message):
    with pytest.raises(ValueError, match=message):
        check_job_arguments(text, seconds)


# --- routes without a worker -------------------------------------------------


def test_jobs_answer_503_when_not_configured(deployed_app):
    client = deployed_app.test_client()
    for method, url in [("GET", "/jobs"), ("POST", "/jobs"), ("GET", "/jobs/abc")]:
        response = client.open(url, method=method, json={"text": "hi"})
        assert response.status_code == 503, url
        assert response.get_json() == {
            "error": NOT_CONFIGURED,
            "missing": ["CELERY_BROKER_URL", "REDIS_URL"],
        }
    # Every other page still works.
    assert client.get("/").status_code == 200
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"json": {}},
        {"json": {"text": "hi", "seconds": 61}},
        {"json": ["hi"]},
        {"data": {"text": "hi", "seconds": "later"}},
        {"data": "text=hi", "content_type": "application/json"},
    ],
)
def test_enqueue_rejects_bad_input(jobs_app, body):
    response = jobs_app.test_client().post("/jobs", **body)
    assert response.status_code == 400
    assert "error" in response.get_json()


def test_unreachable_broker_answers_503(make_app, unused_port):
    config = memory_jobs()
    config["CELERY_BROKER_URL"] = f"amqp://guest:guest@127.0.0.1:{unused_port}//"
    response = make_app(**config).test_client().post("/jobs", json={"text": "hi"})
    assert response.status_code == 503
    assert response.get_json() == {"error": "broker or result backend unreachable"}


def test_unreachable_redis_answers_503(make_app, unused_port):
    # Fewer reconnection attempts than Celery's 20, to keep the test short.
    config = memory_jobs(
        result_backend_transport_options={"retry_policy": {"max_retries": 1}}
    )
    config["CELERY_RESULT_BACKEND"] = f"redis://:pw@127.0.0.1:{unused_port}/0"
    client = make_app(**config).test_client()
    unreachable = {"error": "broker or result backend unreachable"}
    response = client.post("/jobs", json={"text": "hi"})
    assert (response.status_code, response.get_json()) == (503, unreachable)
    response = client.get("/jobs/0f8fad5b-d9cb-469f-a165-70867728950e")
    assert (response.status_code, response.get_json()) == (503, unreachable)


# --- a worker in a thread ----------------------------------------------------


def test_job_runs_on_worker(jobs_app, worker):
    client = jobs_app.test_client()
    response = client.post("/jobs", json={"text": "Hello, Celery"})
    assert response.status_code == 202
    body = response.get_json()
    job_id = body["id"]
    assert body == {"id": job_id, "status": "PENDING"}
    assert response.headers["Location"] == f"/jobs/{job_id}"

    done = wait_for_job(client, job_id)
    assert done == {
        "id": job_id,
        "status": "SUCCESS",
        "result": {
            "text": "Hello, Celery",
            "reversed": "yreleC ,olleH",
            "seconds": 0.0,
            "worker": WORKER,
            "host": socket.gethostname(),
            "release": "test-release-42",
        },
    }
    with jobs_app.app_context():
        (run,) = db.session.scalars(select(JobRun)).all()
    assert (run.task_id, run.text, run.result) == (
        job_id,
        "Hello, Celery",
        "yreleC ,olleH",
    )
    assert (run.worker, run.release) == (WORKER, "test-release-42")


def test_job_in_flight_reports_started(jobs_app, worker):
    client = jobs_app.test_client()
    response = client.post("/jobs", data={"text": "slow", "seconds": "1"})
    assert response.status_code == 202
    job_id = response.get_json()["id"]

    started = wait_for_job(client, job_id, until="STARTED")
    assert started == {"id": job_id, "status": "STARTED", "worker": WORKER}
    assert wait_for_job(client, job_id)["result"]["reversed"] == "wols"


def test_failed_job_reports_error(jobs_app, worker):
    """A job sent around the route's checks fails on the worker, visibly."""
    job = jobs_app.extensions["celery"].tasks[TASK_NAME].delay(text="x", seconds=99)
    body = wait_for_job(jobs_app.test_client(), job.id, until="FAILURE")
    assert body == {
        "id": job.id,
        "status": "FAILURE",
        "error": "ValueError: seconds must be between 0 and 60",
    }


def test_jobs_page_enqueues_and_shows_result(jobs_app, worker):
    client = jobs_app.test_client()
    page = client.get("/jobs").get_data(as_text=True)
    assert '<form method="post" action="/jobs">' in page
    assert "No job has finished yet." in page

    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    response = client.post(
        "/jobs", data={"text": "page", "seconds": ""}, headers=browser
    )
    assert response.status_code == 303
    match = re.fullmatch(r"/jobs\?id=([0-9a-f-]{36})", response.headers["Location"])
    assert match, response.headers["Location"]
    job_id = match.group(1)

    wait_for_job(client, job_id)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<dd id="status">SUCCESS</dd>' in page
    assert '<dd id="result">egap</dd>' in page
    assert f'<dd id="worker">{WORKER}</dd>' in page
    assert 'http-equiv="refresh"' not in page
    assert f'<a href="/jobs/{job_id}">{job_id}</a>:' in page
    assert '<span class="result">egap</span>' in page


# --- the Procfile's worker command -----------------------------------------


# kombu's SQLAlchemy transport uses a loader strategy SQLAlchemy 2.1 deprecates.
@pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy")
def test_procfile_worker_runs_jobs(make_app, database_url):
    """``celery --app sampleapp.tasks worker`` as a process, with PostgreSQL
    standing in for RabbitMQ (kombu's SQLAlchemy transport) and Redis
    (Celery's database result backend); only the URLs differ."""
    broker, backend = f"sqla+{database_url}", f"db+{database_url}"
    app = deploy(make_app(CELERY_BROKER_URL=broker, CELERY_RESULT_BACKEND=backend))
    procfile = (APP_ROOT / "Procfile").read_text(encoding="utf-8")
    (command,) = re.findall(r"^worker: (.+)$", procfile, flags=re.MULTILINE)
    assert command == (
        "celery --app sampleapp.tasks worker --loglevel INFO --concurrency 2"
        ' --hostname "${DYNO:-worker.1}@%h"'
    )
    # The shell's expansion with DYNO unset; the node name is overridden below.
    arguments = shlex.split(command.replace("${DYNO:-worker.1}", "worker.1"))[1:]
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "RELEASE_ID": "worker-release",
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": backend,
        "REDIS_URL": "redis://unused.invalid/0",
    }
    worker_process = subprocess.Popen(
        [sys.executable, "-m", "celery", *arguments[:-2], "--hostname", "procfile@%h"],
        cwd=APP_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        client = app.test_client()
        response = client.post("/jobs", json={"text": "abc", "seconds": 0.1})
        assert response.status_code == 202
        job_id = response.get_json()["id"]
        result = wait_for_job(client, job_id, timeout=60)["result"]
        assert result["reversed"] == "cba"
        assert result["worker"] == f"procfile@{socket.gethostname()}"
        assert result["release"] == "worker-release"
    finally:
        worker_process.send_signal(signal.SIGTERM)
        _, stderr = worker_process.communicate(timeout=60)
    assert f"Task {TASK_NAME}[{job_id}] succeeded" in stderr
