from datetime import datetime, timedelta, timezone
from uuid import uuid4

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from . import db
from .forms import RobotForm, TaskForm
from .models import Task

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    demo = Task.query.filter_by(owner_id=None).order_by(Task.id).all()
    return render_template("index.html", demo=demo)


@bp.route("/board", methods=["GET", "POST"])
@login_required
def board():
    form = TaskForm()
    if form.validate_on_submit():
        db.session.add(Task(title=form.title.data, owner=current_user))
        db.session.commit()
        return redirect(url_for("main.board"))
    tasks = current_user.tasks.order_by(Task.created_at.desc()).all()
    return render_template("board.html", form=form, robot=RobotForm(), tasks=tasks)


@bp.route("/board/robot", methods=["POST"])
@login_required
def robot():
    form = RobotForm()
    if form.validate_on_submit():
        task = Task(title=form.title.data, owner=current_user, status="queued",
                    job_id=str(uuid4()))
        db.session.add(task)
        db.session.commit()
        current_app.task_queue.enqueue("taskboard_app.jobs.finish_task", task.id,
                                       job_id=task.job_id)
        flash("The robot is on it.")
    return redirect(url_for("main.jobs"))


@bp.route("/jobs")
@login_required
def jobs():
    tasks = current_user.tasks.filter(Task.job_id.isnot(None)).order_by(Task.id.desc()).all()
    return render_template("jobs.html", tasks=tasks)


@bp.route("/stats")
def stats():
    days = request.args.get("days", "7")
    since = datetime.now(timezone.utc) - timedelta(days=int(days))
    done = Task.query.filter(Task.finished_at >= since).count()
    return render_template("stats.html", days=days, done=done)
