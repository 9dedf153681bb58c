"""Jobs run by `rq worker taskboard`, outside any request."""
from datetime import datetime, timezone

_app = None


def _get_app():
    global _app
    if _app is None:
        from . import create_app

        _app = create_app()
    return _app


def finish_task(task_id):
    """The robot 'does' the task: it writes its title backwards."""
    from . import db
    from .models import Task

    with _get_app().app_context():
        task = db.session.get(Task, task_id)
        task.result = task.title[::-1]
        task.status = "done by worker"
        task.finished_at = datetime.now(timezone.utc)
        db.session.commit()
        return task.result
