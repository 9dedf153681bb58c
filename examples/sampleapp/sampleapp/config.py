"""Settings read from environment variables.

Every setting comes from the process environment, so the same code runs
unchanged under gunicorn, ``flask deploy`` and the test-suite.  See the
README for the full table.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

APP_ROOT = Path(__file__).resolve().parent.parent
"""Directory holding the ``sampleapp`` package, ``migrations/`` and ``REVISION``."""

_PG_SCHEMES = ("postgres://", "postgresql://")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def normalize_database_url(url: str) -> str:
    """Rewrite ``postgres://`` and ``postgresql://`` URLs to use psycopg 3.

    SQLAlchemy picks psycopg2 for a bare ``postgresql://`` URL and rejects
    ``postgres://`` altogether; only psycopg 3 is installed.  Other URLs are
    returned unchanged.
    """
    for scheme in _PG_SCHEMES:
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def parse_bool(name: str, value: str | None) -> bool:
    """Parse a yes/no environment value; unset or empty means False."""
    normalized = (value or "").strip().lower()
    if normalized in _TRUE:
        return True
    if normalized in _FALSE:
        return False
    raise RuntimeError(f"{name} must be a boolean (true/false), got {value!r}")


def parse_int(name: str, value: str | None, default: int) -> int:
    """Parse a non-negative integer environment value, with a default."""
    if value is None or not value.strip():
        return default
    try:
        number = int(value)
    except ValueError:
        raise RuntimeError(f"{name} must be an integer, got {value!r}") from None
    if number < 0:
        raise RuntimeError(f"{name} must not be negative, got {value!r}")
    return number


def parse_list(value: str | None) -> list[str]:
    """Split a comma-separated value, dropping blanks."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def read_release_id(environ: Mapping[str, str], root: Path = APP_ROOT) -> str:
    """Return ``RELEASE_ID``, else the first line of ``<root>/REVISION``.

    Falls back to "unknown" when neither is available.
    """
    release = environ.get("RELEASE_ID", "").strip()
    if release:
        return release
    try:
        revision = (root / "REVISION").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        revision = ""
    return revision.splitlines()[0].strip() if revision else "unknown"


def result_backend_url(environ: Mapping[str, str]) -> str | None:
    """Return Celery's result backend: ``CELERY_RESULT_BACKEND``, else ``REDIS_URL``."""
    for variable in ("CELERY_RESULT_BACKEND", "REDIS_URL"):
        url = environ.get(variable, "").strip()
        if url:
            return url
    return None


def missing_job_settings(config: Mapping[str, Any]) -> list[str]:
    """Name the variables still needed to run background jobs (none: ready).

    Jobs need a broker to send them through and a result backend to read
    their state back from, whichever process enqueued them.
    """
    missing = []
    if not config.get("CELERY_BROKER_URL"):
        missing.append("CELERY_BROKER_URL")
    if not config.get("CELERY_RESULT_BACKEND"):
        missing.append("REDIS_URL")
    return missing


def settings_from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from *environ* (default: ``os.environ``)."""
    env = os.environ if environ is None else environ
    database_url = env.get("DATABASE_URL", "").strip()
    return {
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(database_url) or None,
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": True,
            "connect_args": {"connect_timeout": 5},
        },
        "SECRET_KEY": env.get("SECRET_KEY") or None,
        "MAIL_SERVER": env.get("MAIL_SERVER", "").strip() or None,
        "MAIL_PORT": parse_int("MAIL_PORT", env.get("MAIL_PORT"), default=25),
        "MAIL_USE_TLS": parse_bool("MAIL_USE_TLS", env.get("MAIL_USE_TLS")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_SENDER": env.get("MAIL_SENDER", "").strip()
        or f"sampleapp@{socket.gethostname()}",
        "ADMINS": parse_list(env.get("ADMINS")),
        "RELEASE_ID": read_release_id(env),
        "PROXY_FIX_X_FOR": parse_int(
            "PROXY_FIX_X_FOR", env.get("PROXY_FIX_X_FOR"), default=1
        ),
        "CELERY_BROKER_URL": env.get("CELERY_BROKER_URL", "").strip() or None,
        "CELERY_RESULT_BACKEND": result_backend_url(env),
    }


def finalize(config: MutableMapping[str, Any]) -> None:
    """Normalise the database URL and insist on required settings.

    Outside testing, ``DATABASE_URL`` and ``SECRET_KEY`` must be set; there is
    deliberately no built-in fallback secret.
    """
    uri = config.get("SQLALCHEMY_DATABASE_URI")
    if isinstance(uri, str):
        config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(uri)
    if config.get("TESTING"):
        return
    missing = [
        variable
        for variable, key in (
            ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI"),
            ("SECRET_KEY", "SECRET_KEY"),
        )
        if not config.get(key)
    ]
    if missing:
        raise RuntimeError(
            "Required environment variable(s) not set: " + ", ".join(missing)
        )
