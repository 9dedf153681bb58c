"""Migrations and the ``flask deploy`` command against real PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade
from sqlalchemy import inspect, text

from sampleapp.cli import SEED_GREETINGS
from sampleapp.config import APP_ROOT
from sampleapp.extensions import db

SCRIPTS = ScriptDirectory(str(APP_ROOT / "migrations"))


def snapshot(app) -> dict:
    """Full contents of every table, including alembic_version."""
    with app.app_context():
        tables = sorted(inspect(db.engine).get_table_names())
        return {
            table: db.session.execute(text(f'SELECT * FROM "{table}" ORDER BY 1')).all()
            for table in tables
        }


def test_revisions_form_one_chain():
    revisions = list(SCRIPTS.walk_revisions())
    assert len(revisions) == 4
    assert revisions[-1].down_revision is None
    for newer, older in zip(revisions, revisions[1:]):
        assert newer.down_revision == older.revision
    assert SCRIPTS.get_heads() == [revisions[0].revision]


def test_deploy_twice_is_idempotent(app):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["deploy"])
    assert first.exit_code == 0, first.output
    for greeting in SEED_GREETINGS:
        assert f"Added: greeting {greeting!r}" in first.output
    after_first = snapshot(app)

    second = runner.invoke(args=["deploy"])
    assert second.exit_code == 0, second.output
    assert "Deploy finished: 0 greeting(s) added" in second.output
    after_second = snapshot(app)
    # Only the log of runs grows: one row per run.
    runs = after_second.pop("deploy_run")
    assert after_second == {k: v for k, v in after_first.items() if k != "deploy_run"}

    assert set(after_first) == {
        "alembic_version",
        "deploy_run",
        "greeting",
        "job_run",
        "visit",
    }
    assert after_first["alembic_version"] == [(SCRIPTS.get_current_head(),)]
    assert [row.text for row in after_first["greeting"]] == list(SEED_GREETINGS)
    assert after_first["visit"] == []
    assert after_first["job_run"] == []
    assert [(run.release, run.revision) for run in runs] == [("test-release-42", SCRIPTS.get_current_head())] * 2


def test_models_match_migrations(deployed_app):
    with deployed_app.app_context(), db.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diffs == []


def test_downgrade_to_base(deployed_app):
    with deployed_app.app_context():
        downgrade(revision="base")
    assert snapshot(deployed_app) == {"alembic_version": []}


def test_flask_deploy_command_line(database_url):
    """The Procfile's release command, with a ``postgres://`` URL as Heroku gives."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url.replace("postgresql+psycopg://", "postgres://"),
        "SECRET_KEY": "test-secret",
    }
    command = [sys.executable, "-m", "flask", "--app", "sampleapp", "deploy"]
    outputs = [
        subprocess.run(
            command,
            cwd=APP_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        for _ in range(2)
    ]
    for result in outputs:
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"at revision {SCRIPTS.get_current_head()}" in result.stdout
    assert "Deploy finished: 2 greeting(s) added" in outputs[0].stdout
    assert "Deploy finished: 0 greeting(s) added" in outputs[1].stdout
    assert "Running upgrade" in outputs[0].stderr
    assert "Running upgrade" not in outputs[1].stderr
