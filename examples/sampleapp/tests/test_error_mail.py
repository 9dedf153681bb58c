"""Unhandled exceptions are mailed to ADMINS through a real SMTP sink."""

from __future__ import annotations

import email
from email import policy

import pytest
from aiosmtpd.controller import Controller

from sampleapp import create_app
from sampleapp.extensions import db


class Sink:
    """aiosmtpd handler that keeps every envelope it receives."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_sink(unused_port):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=unused_port)
    controller.start()
    yield sink, unused_port
    controller.stop()


def test_boom_mails_admins(monkeypatch, database_url, smtp_sink):
    sink, port = smtp_sink
    for name, value in {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "ADMINS": "ops@example.org,dev@example.org",
        "MAIL_SENDER": "sampleapp@example.org",
    }.items():
        monkeypatch.setenv(name, value)
    app = create_app({"PROPAGATE_EXCEPTIONS": False})
    assert not app.testing

    response = app.test_client().get("/boom")
    assert response.status_code == 500

    (envelope,) = sink.envelopes
    assert envelope.mail_from == "sampleapp@example.org"
    assert envelope.rcpt_tos == ["ops@example.org", "dev@example.org"]
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"].startswith("sampleapp error on ")
    body = message.get_content()
    assert "RuntimeError: sampleapp test exception" in body
    assert "URL: http://localhost/boom" in body

    with app.app_context():
        db.engine.dispose()


def test_no_mail_when_testing(monkeypatch, make_app, smtp_sink):
    sink, port = smtp_sink
    monkeypatch.setenv("MAIL_SERVER", "127.0.0.1")
    monkeypatch.setenv("MAIL_PORT", str(port))
    monkeypatch.setenv("ADMINS", "ops@example.org")
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    assert app.test_client().get("/boom").status_code == 500
    assert sink.envelopes == []
