"""WSGI entry point: ``gunicorn wsgi:app`` (same as ``sampleapp:create_app()``)."""

from sampleapp import create_app

app = create_app()
