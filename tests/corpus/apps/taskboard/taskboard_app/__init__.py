import logging
from logging.handlers import SMTPHandler

from flask import Flask
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from redis import Redis
from rq import Queue
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import Config

db = SQLAlchemy()
migrate = Migrate()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
csrf = CSRFProtect()


def create_app(config_class=Config):
    app = Flask(__name__)
    app.config.from_object(config_class)
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    db.init_app(app)
    migrate.init_app(app, db)
    login_manager.init_app(app)
    csrf.init_app(app)

    app.redis = Redis.from_url(app.config["REDIS_URL"])
    app.task_queue = Queue("taskboard", connection=app.redis)

    from .auth import bp as auth_bp
    from .views import bp as main_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)

    if not app.debug and not app.testing and app.config["MAIL_SERVER"]:
        credentials = secure = None
        if app.config["MAIL_USERNAME"]:
            credentials = (app.config["MAIL_USERNAME"], app.config["MAIL_PASSWORD"])
            if app.config["MAIL_USE_TLS"]:
                secure = ()
        mail_handler = SMTPHandler(
            mailhost=(app.config["MAIL_SERVER"], app.config["MAIL_PORT"]),
            fromaddr=app.config["MAIL_SENDER"],
            toaddrs=app.config["ADMINS"],
            subject="taskboard failure",
            credentials=credentials,
            secure=secure,
        )
        mail_handler.setLevel(logging.ERROR)
        app.logger.addHandler(mail_handler)

    return app
