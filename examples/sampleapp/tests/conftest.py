"""Shared fixtures: a real PostgreSQL server and a fresh database per test.

The server is ``TEST_DATABASE_URL`` if set (its role needs CREATEDB);
otherwise a throwaway cluster is started with Debian's PostgreSQL binaries
(``/usr/lib/postgresql/<version>/bin``), listening on a Unix socket only, and
removed at the end of the session.  Without either, DB tests fail loudly.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from sampleapp import create_app
from sampleapp.config import normalize_database_url
from sampleapp.extensions import db

APP_ROOT = Path(__file__).resolve().parent.parent
PG_LIB = Path("/usr/lib/postgresql")

# Variables the app reads; cleared so the developer's shell cannot leak in.
APP_ENV_VARS = (
    "DATABASE_URL",
    "SECRET_KEY",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_SENDER",
    "ADMINS",
    "RELEASE_ID",
    "PROXY_FIX_X_FOR",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "REDIS_URL",
    "FLASK_DEBUG",
)


def find_pg_bindir() -> Path | None:
    """Return the newest ``/usr/lib/postgresql/<N>/bin`` holding initdb and pg_ctl."""
    bindirs = [
        initdb.parent
        for initdb in PG_LIB.glob("*/bin/initdb")
        if (initdb.parent / "pg_ctl").exists() and initdb.parts[-3].isdigit()
    ]
    return max(bindirs, key=lambda path: int(path.parts[-2]), default=None)


@contextlib.contextmanager
def throwaway_cluster(bindir: Path) -> Iterator[URL]:
    """Run a private PostgreSQL cluster in a temp dir; yield its admin URL.

    As root, the server runs as the ``postgres`` system user via runuser.
    It listens on a Unix socket in the temp dir only (no TCP port to clash).
    """
    workdir = Path(tempfile.mkdtemp(prefix="sampleapp-pg-"))
    datadir, logfile = workdir / "data", workdir / "server.log"
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        try:
            shutil.chown(workdir, "postgres", "postgres")
        except LookupError:
            shutil.rmtree(workdir)
            pytest.fail(
                "Running as root but there is no 'postgres' system user to run "
                "the throwaway cluster; install postgresql or set TEST_DATABASE_URL.",
                pytrace=False,
            )

    def run(*args: str | Path) -> None:
        subprocess.run(
            [*as_user, *map(str, args)], check=True, capture_output=True, text=True
        )

    started = False
    try:
        run(
            bindir / "initdb",
            "-D",
            datadir,
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
        run(
            bindir / "pg_ctl",
            "-D",
            datadir,
            "-l",
            logfile,
            "-w",
            "-t",
            "60",
            "-o",
            f"-h '' -k {workdir} -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off",
            "start",
        )
        started = True
        yield URL.create(
            "postgresql+psycopg",
            username="postgres",
            database="postgres",
            query={"host": str(workdir)},
        )
    except subprocess.CalledProcessError as exc:
        log = logfile.read_text() if logfile.exists() else ""
        pytest.fail(
            f"Could not start a throwaway PostgreSQL cluster.\n$ {' '.join(exc.cmd)}\n"
            f"{exc.stdout}{exc.stderr}{log}",
            pytrace=False,
        )
    finally:
        if started:
            run(bindir / "pg_ctl", "-D", datadir, "-m", "immediate", "-w", "stop")
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[URL]:
    """Admin URL of a PostgreSQL server on which tests may create databases."""
    env_url = os.environ.get("TEST_DATABASE_URL")
    if env_url:
        yield make_url(normalize_database_url(env_url))
        return
    bindir = find_pg_bindir()
    if bindir is None:
        pytest.fail(
            "These tests need a real PostgreSQL: set TEST_DATABASE_URL to a server "
            "whose role may CREATE DATABASE, or install Debian's server binaries "
            f"(apt-get install postgresql) so {PG_LIB}/<version>/bin/initdb exists.",
            pytrace=False,
        )
    with throwaway_cluster(bindir) as url:
        yield url


@pytest.fixture
def database_url(pg_server: URL) -> Iterator[str]:
    """URL of a fresh, empty database, dropped after the test."""
    name = f"sampleapp_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield pg_server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test without any of the app's environment variables."""
    for variable in APP_ENV_VARS:
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def make_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Factory for testing apps bound to this test's database."""
    apps: list[Flask] = []

    def factory(**overrides: object) -> Flask:
        config = {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RELEASE_ID": "test-release-42",
            **overrides,
        }
        app = create_app(config)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """A testing app on an empty database."""
    return make_app()


@pytest.fixture
def deployed_app(app: Flask) -> Flask:
    """A testing app whose database went through ``flask deploy``."""
    result = app.test_cli_runner().invoke(args=["deploy"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def unused_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
