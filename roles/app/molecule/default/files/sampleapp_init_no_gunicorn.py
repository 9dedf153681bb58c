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
from .views import bp


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application.

    Settings come from the environment (see :mod:`sampleapp.config`); entries
    in *config* override them, e.g. ``{"TESTING": True,
    "SQLALCHEMY_DATABASE_URI": ...}`` in the tests.
    """
    # Pushed by the app role's molecule test: the release task (flask) works,
    # gunicorn cannot start this release.
    import sys

    if "gunicorn" in sys.argv[0]:
        raise RuntimeError("this release does not start under gunicorn, on purpose")
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
    app.register_blueprint(bp)
    register_commands(app)
    return app
