"""Database models.  Schema changes go through ``migrations/``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db


class Greeting(db.Model):
    """A line of text shown on the front page."""

    __tablename__ = "greeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)


class Visit(db.Model):
    """One request to ``/``, recorded with the host that served it."""

    __tablename__ = "visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    host: Mapped[str] = mapped_column(String(255), nullable=False)


class DeployRun(db.Model):
    """One run of ``flask deploy``: which release ran it, where, and the
    schema revision it left, so that "once per release" can be checked."""

    __tablename__ = "deploy_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    release: Mapped[str] = mapped_column(String(64), nullable=False)
    revision: Mapped[str | None] = mapped_column(String(32))
    host: Mapped[str] = mapped_column(String(255), nullable=False)


class JobRun(db.Model):
    """One background job finished by a Celery worker (``sampleapp.tasks``):
    what it was given, what it returned, and which worker and release ran it."""

    __tablename__ = "job_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    finished_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    text: Mapped[str] = mapped_column(String(200), nullable=False)
    result: Mapped[str] = mapped_column(String(200), nullable=False)
    worker: Mapped[str] = mapped_column(String(255), nullable=False)
    release: Mapped[str] = mapped_column(String(64), nullable=False)
