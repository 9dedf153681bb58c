import os


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "").replace(
        "postgres://", "postgresql://", 1)
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    REDIS_URL = os.environ.get("REDIS_URL", "redis://")

    # Flags are switched on by setting the variable at all (heroku config:set
    # COOKIE_SECURE=1), whatever its value.
    SESSION_COOKIE_SECURE = "COOKIE_SECURE" in os.environ
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    DEBUG = "FLASK_DEBUG" in os.environ

    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS") is not None
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "taskboard@localhost")
    ADMINS = [a.strip() for a in os.environ.get("ADMINS", "").split(",") if a.strip()]
