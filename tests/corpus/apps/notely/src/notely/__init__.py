"""Notely: a small, fast place for your notes."""
import logging
import os
from importlib.metadata import version
from logging.handlers import SMTPHandler
from pathlib import Path

from flask import Flask
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase
from werkzeug.middleware.proxy_fix import ProxyFix

__version__ = version("notely")


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
csrf = CSRFProtect()


def _migrations_dir() -> str:
    # migrations/ lives at the project root, beside src/ (uv installs the
    # project editable); otherwise use the working directory, where the
    # Procfile's release command runs.
    root = Path(__file__).resolve().parents[2] / "migrations"
    return str(root if root.is_dir() else Path.cwd() / "migrations")


migrate = Migrate(directory=_migrations_dir())


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("DATABASE_URL is not set")
    # We use psycopg 3: postgres:// (Heroku style) gets the right driver here;
    # otherwise give us postgresql+psycopg://...
    return url.replace("postgres://", "postgresql+psycopg://", 1)


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("SECRET_KEY"),
        SQLALCHEMY_DATABASE_URI=_database_url() if test_config is None else None,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        MAIL_SERVER=os.environ.get("MAIL_SERVER"),
        MAIL_PORT=int(os.environ.get("MAIL_PORT", 25)),
        MAIL_USE_TLS=os.environ.get("MAIL_USE_TLS", "").lower() in {"1", "true", "yes"},
        MAIL_USERNAME=os.environ.get("MAIL_USERNAME"),
        MAIL_PASSWORD=os.environ.get("MAIL_PASSWORD"),
        MAIL_SENDER=os.environ.get("MAIL_SENDER", "notely@localhost"),
        ADMINS=[a.strip() for a in os.environ.get("ADMINS", "").split(",") if a.strip()],
    )
    if test_config:
        app.config.update(test_config)

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    db.init_app(app)
    migrate.init_app(app, db)
    login_manager.init_app(app)
    csrf.init_app(app)

    from . import models  # noqa: F401
    from .views import auth, notes

    app.register_blueprint(auth)
    app.register_blueprint(notes)
    app.jinja_env.globals["notely_version"] = __version__

    _setup_error_mail(app)
    return app


def _setup_error_mail(app: Flask) -> None:
    if app.debug or app.testing or not app.config["MAIL_SERVER"]:
        return
    credentials = secure = None
    if app.config["MAIL_USERNAME"]:
        credentials = (app.config["MAIL_USERNAME"], app.config["MAIL_PASSWORD"])
        if app.config["MAIL_USE_TLS"]:
            secure = ()
    handler = SMTPHandler(
        mailhost=(app.config["MAIL_SERVER"], app.config["MAIL_PORT"]),
        fromaddr=app.config["MAIL_SENDER"],
        toaddrs=app.config["ADMINS"],
        subject=f"notely failure (v{__version__})",
        credentials=credentials,
        secure=secure,
    )
    handler.setLevel(logging.ERROR)
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s in %(module)s: %(message)s"))
    app.logger.addHandler(handler)
