"""HTTP routes."""

from __future__ import annotations

import socket

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .models import Greeting, Visit

bp = Blueprint("main", __name__)


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
