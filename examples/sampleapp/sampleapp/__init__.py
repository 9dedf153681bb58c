"""sampleapp: a small Flask + PostgreSQL application for deployment tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as settings
from .cli import register_commands
from .extensions import db, migrate
from .logs import configure_logging
from .tasks import init_celery
from .views import bp, jobs_bp


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application.

    Settings come from the environment (see :mod:`sampleapp.config`); entries
    in *config* override them, e.g. ``{"TESTING": True,
    "SQLALCHEMY_DATABASE_URI": ...}`` in the tests.
    """
    app = Flask(__name__)
    app.config.from_mapping(settings.settings_from_env())
    if config:
        app.config.from_mapping(config)
    settings.finalize(app.config)

    configure_logging(app)
    app.wsgi_app = ProxyFix(
        app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1, x_host=1
    )

    db.init_app(app)
    migrate.init_app(app, db, directory=str(settings.APP_ROOT / "migrations"))
    init_celery(app)
    app.register_blueprint(bp)
    app.register_blueprint(jobs_bp)
    register_commands(app)
    return app
