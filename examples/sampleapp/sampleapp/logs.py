"""Logging: INFO and above to stderr (journald), ERROR and above by mail."""

from __future__ import annotations

import logging
import socket
import sys
from logging.handlers import SMTPHandler

from flask import Flask, has_request_context, request
from flask.logging import default_handler

STDERR_HANDLER = "sampleapp-stderr"
MAIL_HANDLER = "sampleapp-mail"


class RequestFormatter(logging.Formatter):
    """Formatter that adds the request URL and client address when available."""

    def format(self, record: logging.LogRecord) -> str:
        if has_request_context():
            record.url = request.url
            record.remote_addr = request.remote_addr
        else:
            record.url = record.remote_addr = "-"
        return super().format(record)


def configure_logging(app: Flask) -> None:
    """(Re)attach this app's handlers to ``app.logger``.

    ``app.logger`` is shared by every app built in one process, so handlers
    from an earlier :func:`sampleapp.create_app` call are replaced, not added to.
    """
    logger = app.logger
    for handler in list(logger.handlers):
        if handler is default_handler or handler.name in (STDERR_HANDLER, MAIL_HANDLER):
            logger.removeHandler(handler)
    logger.setLevel(logging.DEBUG if app.debug else logging.INFO)

    stderr = logging.StreamHandler(sys.stderr)
    stderr.set_name(STDERR_HANDLER)
    stderr.setLevel(logging.INFO)
    stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(stderr)

    mail = mail_handler(app)
    if mail is not None:
        logger.addHandler(mail)


def mail_handler(app: Flask) -> SMTPHandler | None:
    """Return an ERROR-level SMTP handler, or None if mail is not configured.

    Error mail needs ``MAIL_SERVER`` and ``ADMINS`` and is never sent in debug
    or testing mode.  ``SMTPHandler`` only logs in, and only uses STARTTLS
    (``MAIL_USE_TLS``), when ``MAIL_USERNAME`` is set.
    """
    config = app.config
    if not (config["MAIL_SERVER"] and config["ADMINS"]) or app.debug or app.testing:
        return None
    credentials = None
    secure = None
    if config["MAIL_USERNAME"]:
        credentials = (config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        if config["MAIL_USE_TLS"]:
            secure = ()
    handler = SMTPHandler(
        mailhost=(config["MAIL_SERVER"], config["MAIL_PORT"]),
        fromaddr=config["MAIL_SENDER"],
        toaddrs=config["ADMINS"],
        subject=f"sampleapp error on {socket.gethostname()}",
        credentials=credentials,
        secure=secure,
        timeout=10.0,
    )
    handler.set_name(MAIL_HANDLER)
    handler.setLevel(logging.ERROR)
    handler.setFormatter(
        RequestFormatter(
            "%(asctime)s %(levelname)s in %(module)s\n"
            "URL: %(url)s\nClient: %(remote_addr)s\n\n%(message)s"
        )
    )
    return handler
