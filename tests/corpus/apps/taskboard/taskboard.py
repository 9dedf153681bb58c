import click

from taskboard_app import create_app, db
from taskboard_app.models import Task, User

app = create_app()

DEMO_TASKS = [
    "Drag a card to Done",
    "Invite your team",
    "Let the robot finish a task for you",
]


@app.cli.command("seed-demo")
def seed_demo():
    """Create the sample tasks shown on the front page (once)."""
    if Task.query.filter_by(owner_id=None).count():
        click.echo("Demo tasks already there.")
        return
    for title in DEMO_TASKS:
        db.session.add(Task(title=title))
    db.session.commit()
    click.echo(f"Added {len(DEMO_TASKS)} demo tasks.")


@app.shell_context_processor
def make_shell_context():
    return {"db": db, "User": User, "Task": Task}
