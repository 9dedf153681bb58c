"""HTTP routes against a deployed (migrated and seeded) database."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import func, select

from sampleapp.cli import SEED_GREETINGS
from sampleapp.extensions import db
from sampleapp.models import Visit


def test_index_lists_greetings_and_facts(deployed_app):
    response = deployed_app.test_client().get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for greeting in SEED_GREETINGS:
        assert f"<li>{greeting}</li>" in page
    assert f'<dd id="host">{socket.gethostname()}</dd>' in page
    assert '<dd id="release">test-release-42</dd>' in page
    assert '<dd id="remote-addr">127.0.0.1</dd>' in page
    assert '<dd id="scheme">http</dd>' in page
    assert 'href="/static/style.css"' in page


def test_index_records_visits(deployed_app):
    client = deployed_app.test_client()
    client.get("/")
    page = client.get("/").get_data(as_text=True)
    assert '<dd id="visits">2</dd>' in page
    with deployed_app.app_context():
        hosts = db.session.scalars(select(Visit.host)).all()
        assert db.session.scalar(select(func.min(Visit.created_at))) is not None
    assert hosts == [socket.gethostname()] * 2


def test_stylesheet_is_served(deployed_app):
    response = deployed_app.test_client().get("/static/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"


def test_healthz_ok(deployed_app):
    response = deployed_app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "release": "test-release-42",
        "host": socket.gethostname(),
    }


def test_healthz_reports_dead_database(make_app, unused_port):
    app = make_app(
        SQLALCHEMY_DATABASE_URI=f"postgresql://nobody@127.0.0.1:{unused_port}/none"
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error"
    assert body["release"] == "test-release-42"
    assert body["host"] == socket.gethostname()


def test_whoami_without_proxy(app):
    body = app.test_client().get("/whoami").get_json()
    assert body == {
        "remote_addr": "127.0.0.1",
        "scheme": "http",
        "host": "localhost",
        "x_forwarded_for": None,
        "request_id": None,
    }


def test_whoami_honours_forwarded_headers(app):
    headers = {
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "app.example.org",
        "X-Request-ID": "req-123",
    }
    body = app.test_client().get("/whoami", headers=headers).get_json()
    assert body == {
        "remote_addr": "203.0.113.7",
        "scheme": "https",
        "host": "app.example.org",
        "x_forwarded_for": "203.0.113.7",
        "request_id": "req-123",
    }


@pytest.mark.parametrize(
    ("hops", "expected"), [("1", "10.0.0.2"), ("2", "198.51.100.1")]
)
def test_proxy_fix_x_for_count(make_app, monkeypatch, hops, expected):
    monkeypatch.setenv("PROXY_FIX_X_FOR", hops)
    client = make_app().test_client()
    headers = {"X-Forwarded-For": "198.51.100.1, 10.0.0.2"}
    assert client.get("/whoami", headers=headers).get_json()["remote_addr"] == expected


def test_boom_raises(app):
    with pytest.raises(RuntimeError, match="sampleapp test exception"):
        app.test_client().get("/boom")
