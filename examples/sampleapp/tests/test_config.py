"""Configuration from the environment, without touching a database."""

from __future__ import annotations

import logging
import socket
from logging.handlers import SMTPHandler

import pytest

from sampleapp import create_app
from sampleapp.config import normalize_database_url, read_release_id
from sampleapp.extensions import db

DB_URL = "postgres://app:secret@db.example.org:5432/sampleapp"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (DB_URL, "postgresql+psycopg://app:secret@db.example.org:5432/sampleapp"),
        ("postgresql://app@/sampleapp", "postgresql+psycopg://app@/sampleapp"),
        ("postgresql+psycopg://app@h/db", "postgresql+psycopg://app@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_normalize_database_url(url: str, expected: str) -> None:
    assert normalize_database_url(url) == expected


def test_postgres_url_from_environment_uses_psycopg3(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", DB_URL)
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == normalize_database_url(DB_URL)
    with app.app_context():
        assert db.engine.url.drivername == "postgresql+psycopg"
        assert db.engine.url.host == "db.example.org"


@pytest.mark.parametrize("missing", ["DATABASE_URL", "SECRET_KEY"])
def test_required_variables_outside_testing(monkeypatch, missing):
    monkeypatch.setenv("DATABASE_URL", DB_URL)
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.delenv(missing)
    with pytest.raises(RuntimeError, match=missing):
        create_app()


def test_defaults(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", DB_URL)
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("ADMINS", " ops@example.org, ,dev@example.org ")
    config = create_app().config
    assert config["MAIL_PORT"] == 25
    assert config["MAIL_USE_TLS"] is False
    assert config["MAIL_SENDER"] == f"sampleapp@{socket.gethostname()}"
    assert config["ADMINS"] == ["ops@example.org", "dev@example.org"]
    assert config["PROXY_FIX_X_FOR"] == 1


@pytest.mark.parametrize("name", ["MAIL_PORT", "MAIL_USE_TLS", "PROXY_FIX_X_FOR"])
def test_invalid_values_are_reported(monkeypatch, name):
    monkeypatch.setenv(name, "bogus")
    with pytest.raises(RuntimeError, match=name):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": DB_URL})


def test_release_id_sources(tmp_path):
    assert read_release_id({"RELEASE_ID": " r2024.1 "}, tmp_path) == "r2024.1"
    assert read_release_id({}, tmp_path) == "unknown"
    (tmp_path / "REVISION").write_text("3f2c1ab\n", encoding="utf-8")
    assert read_release_id({}, tmp_path) == "3f2c1ab"
    assert read_release_id({"RELEASE_ID": "v7"}, tmp_path) == "v7"


def mail_handlers(app):
    return [h for h in app.logger.handlers if isinstance(h, SMTPHandler)]


def test_mail_handler_configuration(monkeypatch):
    for name, value in {
        "DATABASE_URL": DB_URL,
        "SECRET_KEY": "s3cret",
        "MAIL_SERVER": "smtp.example.org",
        "MAIL_PORT": "587",
        "MAIL_USE_TLS": "true",
        "MAIL_USERNAME": "mailer",
        "MAIL_PASSWORD": "pw",
        "MAIL_SENDER": "noreply@example.org",
        "ADMINS": "ops@example.org",
    }.items():
        monkeypatch.setenv(name, value)
    (handler,) = mail_handlers(create_app())
    assert handler.level == logging.ERROR
    assert (handler.mailhost, handler.mailport) == ("smtp.example.org", 587)
    assert handler.fromaddr == "noreply@example.org"
    assert handler.toaddrs == ["ops@example.org"]
    assert (handler.username, handler.password) == ("mailer", "pw")
    assert handler.secure == ()

    # A testing app built afterwards must not inherit the handler.
    assert mail_handlers(create_app({"TESTING": True})) == []


def test_logs_to_stderr_at_info(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", DB_URL)
    app = create_app({"TESTING": True})
    streams = [h for h in app.logger.handlers if type(h) is logging.StreamHandler]
    assert [h.level for h in streams] == [logging.INFO]
    assert app.logger.getEffectiveLevel() == logging.INFO
