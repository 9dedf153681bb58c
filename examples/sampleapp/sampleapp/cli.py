"""The ``flask deploy`` command: migrate the schema, then seed data."""

from __future__ import annotations

import socket

import click
from alembic.runtime.migration import MigrationContext
from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy.dialects.postgresql import insert

from .extensions import db
from .models import DeployRun, Greeting

SEED_GREETINGS = ("Hello from PostgreSQL", "Deployed by Ansible")


def seed_greetings(texts: tuple[str, ...] = SEED_GREETINGS) -> list[str]:
    """Insert each greeting unless it exists already; return the ones added.

    ``ON CONFLICT DO NOTHING`` keeps this idempotent even when two deploys
    race each other.
    """
    added = []
    for greeting in texts:
        statement = (
            insert(Greeting)
            .values(text=greeting)
            .on_conflict_do_nothing(index_elements=[Greeting.text])
            .returning(Greeting.id)
        )
        if db.session.execute(statement).first() is not None:
            added.append(greeting)
    db.session.commit()
    return added


def current_revision() -> str | None:
    """Return the alembic revision the database is at."""
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def record_run(revision: str | None) -> None:
    """Log this run in ``deploy_run`` (release, host, schema revision)."""
    db.session.add(
        DeployRun(
            release=current_app.config["RELEASE_ID"],
            revision=revision,
            host=socket.gethostname(),
        )
    )
    db.session.commit()


def register_commands(app: Flask) -> None:
    """Attach the CLI commands to *app*."""

    @app.cli.command("deploy")
    def deploy() -> None:
        """Upgrade the database schema to head, seed the initial data and
        record the run in ``deploy_run``."""
        upgrade()
        revision = current_revision()
        click.echo(f"Database schema at revision {revision}")
        added = seed_greetings()
        for greeting in SEED_GREETINGS:
            state = "Added" if greeting in added else "Already present"
            click.echo(f"{state}: greeting {greeting!r}")
        record_run(revision)
        click.echo(f"Deploy finished: {len(added)} greeting(s) added")
