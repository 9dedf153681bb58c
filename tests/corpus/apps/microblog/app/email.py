from threading import Thread

from flask import current_app
from flask_mail import Message

from app import mail


def send_async_email(app, msg):
    with app.app_context():
        mail.send(msg)


def send_email(subject, recipients, text_body, sender=None):
    app = current_app._get_current_object()
    if not app.config["MAIL_SERVER"]:
        app.logger.info("MAIL_SERVER not set, not sending %r", subject)
        return
    msg = Message(subject, sender=sender, recipients=recipients)
    msg.body = text_body
    Thread(target=send_async_email, args=(app, msg)).start()
