"""Celery app and tasks: celery --app gallery.tasks worker"""
import os

from celery import Celery

celery = Celery("gallery", broker=os.environ.get("CELERY_BROKER_URL", "amqp://localhost//"))
celery.conf.update(task_ignore_result=True, broker_connection_retry_on_startup=True)

_flask_app = None


def flask_app():
    global _flask_app
    if _flask_app is None:
        from . import create_app

        _flask_app = create_app()
    return _flask_app


@celery.task
def mirror_watermark(watermark_id):
    from . import db
    from .models import Watermark

    with flask_app().app_context():
        watermark = db.session.get(Watermark, watermark_id)
        watermark.result = watermark.text[::-1]
        watermark.processed = True
        db.session.commit()
