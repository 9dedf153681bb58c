import logging
import os
from logging.handlers import SMTPHandler

basedir = os.path.abspath(os.path.dirname(__file__))


def database_url(name, default=None):
    url = os.environ.get(name, default)
    if url:
        # Heroku (and many hosts since) still hand out postgres:// URLs,
        # which SQLAlchemy 1.4+ no longer accepts.
        url = url.replace("postgres://", "postgresql://", 1)
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY") or "hard to guess string"
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "false").lower() in ["true", "on", "1"]
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Bookshelf <bookshelf@localhost>")
    ADMINS = [a.strip() for a in os.environ.get("ADMINS", "").split(",") if a.strip()]
    BOOKSHELF_RECENT = 10

    @staticmethod
    def init_app(app):
        pass


class DevelopmentConfig(Config):
    DEBUG = True
    SQLALCHEMY_DATABASE_URI = database_url("DEV_DATABASE_URL") or \
        "sqlite:///" + os.path.join(basedir, "data-dev.sqlite")


class TestingConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = False
    SQLALCHEMY_DATABASE_URI = database_url("TEST_DATABASE_URL") or "sqlite://"


class ProductionConfig(Config):
    SQLALCHEMY_DATABASE_URI = database_url("DATABASE_URL")

    @classmethod
    def init_app(cls, app):
        Config.init_app(app)

        # email errors to the administrators
        if app.debug or app.testing or not cls.MAIL_SERVER:
            return
        credentials = None
        secure = None
        if cls.MAIL_USERNAME:
            credentials = (cls.MAIL_USERNAME, cls.MAIL_PASSWORD)
            if cls.MAIL_USE_TLS:
                secure = ()
        mail_handler = SMTPHandler(
            mailhost=(cls.MAIL_SERVER, cls.MAIL_PORT),
            fromaddr=cls.MAIL_SENDER,
            toaddrs=cls.ADMINS,
            subject="bookshelf failure",
            credentials=credentials,
            secure=secure,
        )
        mail_handler.setLevel(logging.ERROR)
        app.logger.addHandler(mail_handler)


config = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
    "default": ProductionConfig,
}
