import logging
import os
from logging.handlers import SMTPHandler

from flask import Flask
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

db = SQLAlchemy()
migrate = Migrate()
login_manager = LoginManager()
login_manager.login_view = "views.login"
csrf = CSRFProtect()


def create_app():
    # The front-end build writes to assets/ at the top of the repository.
    app = Flask(__name__, static_folder="../assets", static_url_path="/static")
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY"),
        SQLALCHEMY_DATABASE_URI=os.environ.get("SQLALCHEMY_DATABASE_URI", "").replace(
            "postgres://", "postgresql://", 1),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        CAPTIONS_DIR=os.path.join(app.instance_path, "captions"),
        MAIL_SERVER=os.environ.get("MAIL_SERVER"),
        MAIL_PORT=int(os.environ.get("MAIL_PORT", 25)),
        MAIL_USE_TLS=os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes", "on"),
        MAIL_USERNAME=os.environ.get("MAIL_USERNAME"),
        MAIL_PASSWORD=os.environ.get("MAIL_PASSWORD"),
        MAIL_SENDER=os.environ.get("MAIL_SENDER", "gallery@localhost"),
        ADMINS=[a.strip() for a in os.environ.get("ADMINS", "").split(",") if a.strip()],
    )
    os.makedirs(app.config["CAPTIONS_DIR"], exist_ok=True)
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    db.init_app(app)
    migrate.init_app(app, db)
    login_manager.init_app(app)
    csrf.init_app(app)

    from . import models  # noqa: F401
    from .views import bp

    app.register_blueprint(bp)

    if not app.debug and not app.testing and app.config["MAIL_SERVER"]:
        credentials = secure = None
        if app.config["MAIL_USERNAME"]:
            credentials = (app.config["MAIL_USERNAME"], app.config["MAIL_PASSWORD"])
            if app.config["MAIL_USE_TLS"]:
                secure = ()
        handler = SMTPHandler(
            (app.config["MAIL_SERVER"], app.config["MAIL_PORT"]),
            app.config["MAIL_SENDER"], app.config["ADMINS"], "gallery failure",
            credentials=credentials, secure=secure)
        handler.setLevel(logging.ERROR)
        app.logger.addHandler(handler)

    return app
