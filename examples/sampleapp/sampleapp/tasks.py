"""Background jobs with Celery: ``celery --app sampleapp.tasks worker``.

The web app and the worker are built by the same factory from the same
environment.  :func:`init_celery` gives every Flask app whose settings name a
broker (``CELERY_BROKER_URL``) and a result backend (``REDIS_URL`` or
``CELERY_RESULT_BACKEND``) a Celery app of its own, kept in
``app.extensions["celery"]``; its tasks run inside that Flask app's
application context, so they can use the database.

``celery --app sampleapp.tasks`` looks up :data:`app` in this module, which
builds the Flask app from the environment on first use (the worker needs
``DATABASE_URL`` and ``SECRET_KEY`` like the web app).  Importing the module
builds nothing.
"""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from celery import Celery, Task, shared_task, states
from flask import Flask, current_app
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import OperationalError

from .config import missing_job_settings
from .extensions import db
from .models import JobRun

TASK_NAME = "sampleapp.tasks.reverse_text"
MAX_SECONDS = 60
MAX_TEXT_LENGTH = 200

RELIABLE_DELIVERY: dict[str, Any] = {
    # Acknowledge a message only once its task has finished, so that a job
    # whose worker dies half-way is delivered again instead of being lost...
    "task_acks_late": True,
    "task_reject_on_worker_lost": True,
    # ...and on losing the broker connection, stop the tasks whose message
    # goes back to the queue anyway, rather than running them twice.
    "worker_cancel_long_running_tasks_on_connection_loss": True,
    # Reserve one message at a time: a busy worker holds back no others.
    "worker_prefetch_multiplier": 1,
    # Keep retrying when the broker is not up yet as the worker starts.
    "broker_connection_retry_on_startup": True,
    # Report STARTED while a job runs; keep results for a day.
    "task_track_started": True,
    "result_expires": timedelta(days=1),
}
"""Celery settings of every app built here (``CELERY`` config entries win)."""

UNREACHABLE = (BrokerError, RedisError, OSError)
"""What sending a job or reading its state raises when the broker or the
result backend cannot be reached."""


def celery_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Celery's settings from the Flask *config*.

    ``CELERY_BROKER_URL`` and ``CELERY_RESULT_BACKEND`` come from the
    environment (see :mod:`sampleapp.config`); an optional ``CELERY`` mapping
    of Celery setting names overrides anything, e.g. in the tests.
    """
    return {
        "broker_url": config["CELERY_BROKER_URL"],
        "result_backend": config["CELERY_RESULT_BACKEND"],
        **RELIABLE_DELIVERY,
        **config.get("CELERY", {}),
    }


def init_celery(app: Flask) -> Celery | None:
    """Attach a Celery app to *app* as ``app.extensions["celery"]``.

    Returns None, leaving background jobs off, unless both the broker and
    the result backend are configured; half a configuration is logged.
    """
    missing = missing_job_settings(app.config)
    if missing:
        if len(missing) == 1:
            app.logger.warning("Background jobs are off: %s is not set", missing[0])
        return None

    class FlaskTask(Task):
        """A task that runs inside the Flask app's application context."""

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.import_name, task_cls=FlaskTask)
    celery_app.conf.update(celery_settings(app.config))
    app.extensions["celery"] = celery_app
    return celery_app


def check_job_arguments(text: object, seconds: object = None) -> tuple[str, float]:
    """Validate a job's *text* and *seconds* (as given by a form or JSON).

    *text* must be a non-blank string of at most 200 characters; *seconds*
    a number from 0 to 60, a numeric string, or None/"" for 0.  Raises
    ValueError with a message fit for the client.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text is required")
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"text must be at most {MAX_TEXT_LENGTH} characters")
    if seconds is None or seconds == "":
        return text, 0.0
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float, str)):
        raise ValueError("seconds must be a number")
    try:
        number = float(seconds)
    except ValueError:
        raise ValueError("seconds must be a number") from None
    if not (math.isfinite(number) and 0 <= number <= MAX_SECONDS):
        raise ValueError(f"seconds must be between 0 and {MAX_SECONDS}")
    return text, number


def record_job(task_id: str, text: str, result: str, worker: str) -> None:
    """Log a finished job in ``job_run``, once per task id.

    A job can run twice (late acknowledgement redelivers it when its worker
    dies before acknowledging); ``ON CONFLICT DO NOTHING`` keeps one row.
    """
    statement = (
        insert(JobRun)
        .values(
            task_id=task_id,
            text=text,
            result=result,
            worker=worker[:255],
            release=current_app.config["RELEASE_ID"],
        )
        .on_conflict_do_nothing(index_elements=[JobRun.task_id])
    )
    db.session.execute(statement)
    db.session.commit()


@shared_task(
    name=TASK_NAME,
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def reverse_text(self: Task, text: str, seconds: float = 0) -> dict[str, Any]:
    """Sleep *seconds* (at most 60), then return *text* reversed.

    The result names the worker (Celery node name), its host and release,
    so a caller can tell the job ran on a worker; the run is also recorded in
    ``job_run``.  A database outage is retried three times.
    """
    text, seconds = check_job_arguments(text, seconds)
    time.sleep(seconds)
    reversed_text = text[::-1]
    worker = self.request.hostname or socket.gethostname()
    record_job(self.request.id, text, reversed_text, worker)
    return {
        "text": text,
        "reversed": reversed_text,
        "seconds": seconds,
        "worker": worker,
        "host": socket.gethostname(),
        "release": current_app.config["RELEASE_ID"],
    }


def is_unreachable(exc: BaseException) -> bool:
    """Tell whether *exc* means the broker or the result backend is down.

    Celery's Redis result backend subscribes to each job's result as it is
    sent, and reports a failure to reconnect as a RuntimeError caused by the
    Redis error, so the cause counts too.
    """
    return isinstance(exc, UNREACHABLE) or isinstance(exc.__cause__, UNREACHABLE)


def enqueue_job(celery_app: Celery, text: str, seconds: float = 0) -> str:
    """Send a :func:`reverse_text` job through *celery_app*; return its id."""
    task = celery_app.tasks[TASK_NAME]
    return task.apply_async(kwargs={"text": text, "seconds": seconds}).id


def job_state(celery_app: Celery, job_id: str) -> dict[str, Any]:
    """Describe a job from the result backend, as ``GET /jobs/<id>`` shows it.

    ``status`` is Celery's state (an unknown id reads as PENDING); ``result``
    is there once it succeeded, ``error`` once it failed, and ``worker``
    while it runs.
    """
    meta = celery_app.backend.get_task_meta(job_id)  # one consistent read
    status, value = meta["status"], meta.get("result")
    state: dict[str, Any] = {"id": job_id, "status": status}
    if status == states.SUCCESS:
        state["result"] = value
    elif status in states.PROPAGATE_STATES:
        state["error"] = f"{type(value).__name__}: {value}"
    elif status == states.STARTED and isinstance(value, dict):
        state["worker"] = value.get("hostname")
    return state


def worker_app() -> Celery:
    """Build the Flask app from the environment and return its Celery app."""
    from . import create_app  # here, not at the top: create_app imports us

    flask_app = create_app()
    celery_app = flask_app.extensions.get("celery")
    if celery_app is None:
        missing = ", ".join(missing_job_settings(flask_app.config))
        raise RuntimeError(f"Background jobs are not configured: set {missing}")
    return celery_app


def __getattr__(name: str) -> Any:
    """Build :data:`app`, the worker's Celery app, on first access (PEP 562)."""
    if name == "app":
        celery_app = globals()["app"] = worker_app()
        return celery_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
