"""HTTP routes."""

from __future__ import annotations

import socket
from typing import Any

from celery import Celery
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from .config import missing_job_settings
from .extensions import db
from .models import Greeting, JobRun, Visit
from .tasks import (
    MAX_SECONDS,
    MAX_TEXT_LENGTH,
    UNREACHABLE,
    check_job_arguments,
    enqueue_job,
    is_unreachable,
    job_state,
)

bp = Blueprint("main", __name__)
jobs_bp = Blueprint("jobs", __name__, url_prefix="/jobs")

RECENT_JOBS = 10


@bp.get("/")
def index():
    """List the greetings and show who served the request; record a visit."""
    host = socket.gethostname()
    db.session.add(Visit(host=host))
    db.session.commit()
    greetings = db.session.scalars(select(Greeting).order_by(Greeting.id)).all()
    visits = db.session.scalar(select(func.count()).select_from(Visit))
    return render_template(
        "index.html",
        greetings=greetings,
        visits=visits,
        host=host,
        release=current_app.config["RELEASE_ID"],
        remote_addr=request.remote_addr,
        scheme=request.scheme,
    )


@bp.get("/healthz")
def healthz():
    """Report 200 if the database answers ``SELECT 1``, else 503."""
    body = {"release": current_app.config["RELEASE_ID"], "host": socket.gethostname()}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        current_app.logger.warning(
            "Health check failed: %s", getattr(exc, "orig", None) or exc
        )
        return {"status": "error", "error": "database unreachable", **body}, 503
    return {"status": "ok", **body}


@bp.get("/whoami")
def whoami():
    """Echo what the app sees of the client after ProxyFix (for proxy tests)."""
    return {
        "remote_addr": request.remote_addr,
        "scheme": request.scheme,
        "host": request.host,
        "x_forwarded_for": request.headers.get("X-Forwarded-For"),
        "request_id": request.headers.get("X-Request-ID"),
    }


@bp.get("/boom")
def boom():
    """Fail on purpose, so that error mail can be tested end to end."""
    raise RuntimeError("sampleapp test exception")


def job_queue() -> Celery:
    """The app's Celery app (the jobs routes only run when there is one)."""
    return current_app.extensions["celery"]


def queue_unreachable(exc: BaseException) -> tuple[dict[str, str], int]:
    """Log *exc* and answer 503: the broker or result backend is down."""
    current_app.logger.warning("Background jobs unavailable: %r", exc)
    return {"error": "broker or result backend unreachable"}, 503


def wants_html() -> bool:
    """Tell a browser's form post (answered with a page) from an API call."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return not request.is_json and best == "text/html"


@jobs_bp.before_request
def require_job_queue() -> tuple[dict[str, Any], int] | None:
    """Answer 503 on every jobs route while background jobs are not configured."""
    if "celery" in current_app.extensions:
        return None
    return {
        "error": "background jobs are not configured",
        "missing": missing_job_settings(current_app.config),
    }, 503


@jobs_bp.post("")
def enqueue():
    """Enqueue a job from form or JSON fields ``text`` and ``seconds``.

    Answers 202 ``{"id": ..., "status": "PENDING"}`` with the status URL in
    ``Location``; a browser's form post is redirected to the jobs page.
    """
    fields = request.get_json(silent=True) if request.is_json else request.form
    if not isinstance(fields, dict):  # form data is a MultiDict, a dict too
        return {"error": "expected a JSON object or form fields"}, 400
    try:
        job_text, seconds = check_job_arguments(
            fields.get("text"), fields.get("seconds")
        )
    except ValueError as exc:
        return {"error": str(exc)}, 400
    try:
        job_id = enqueue_job(job_queue(), job_text, seconds)
    except (*UNREACHABLE, RuntimeError) as exc:
        if not is_unreachable(exc):
            raise
        return queue_unreachable(exc)
    if wants_html():
        return redirect(url_for("jobs.page", id=job_id), 303)
    location = url_for("jobs.status", job_id=job_id)
    return {"id": job_id, "status": "PENDING"}, 202, {"Location": location}


@jobs_bp.get("/<job_id>")
def status(job_id: str):
    """Report a job's Celery state, and its result or error once done."""
    try:
        return job_state(job_queue(), job_id)
    except UNREACHABLE as exc:
        return queue_unreachable(exc)


@jobs_bp.get("")
def page():
    """A form that enqueues a job, the job given by ``?id=`` and the recent
    runs that workers recorded in ``job_run``."""
    job_id = request.args.get("id", "").strip()
    job, error = None, None
    if job_id:
        try:
            job = job_state(job_queue(), job_id)
        except UNREACHABLE as exc:
            error = queue_unreachable(exc)[0]["error"]
    runs = db.session.scalars(
        select(JobRun).order_by(JobRun.id.desc()).limit(RECENT_JOBS)
    ).all()
    return render_template(
        "jobs.html",
        job=job,
        error=error,
        runs=runs,
        max_seconds=MAX_SECONDS,
        max_text_length=MAX_TEXT_LENGTH,
    )
