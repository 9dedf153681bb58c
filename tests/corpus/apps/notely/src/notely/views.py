import csv
import io
import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select

from . import db
from .forms import LoginForm, NoteForm, RegisterForm
from .models import Note, User

auth = Blueprint("auth", __name__)
notes = Blueprint("notes", __name__)


@auth.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        if db.session.scalar(select(User).filter_by(username=form.username.data)):
            form.username.errors.append("That name is taken.")
        else:
            user = User(username=form.username.data)
            user.set_password(form.password.data)
            db.session.add(user)
            db.session.commit()
            flash("Account created. Welcome to Notely!")
            return redirect(url_for("auth.login"))
    return render_template("form.html", form=form, heading="Create an account")


@auth.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).filter_by(username=form.username.data))
        if user and user.check_password(form.password.data):
            login_user(user)
            return redirect(url_for("notes.list_notes"))
        flash("Wrong username or password.")
    return render_template("form.html", form=form, heading="Log in")


@auth.route("/logout")
def logout():
    logout_user()
    return redirect(url_for("notes.home"))


@notes.route("/")
def home():
    count = db.session.scalar(select(func.count(Note.id)))
    return render_template("home.html", count=count)


@notes.route("/notes", methods=["GET", "POST"])
@login_required
def list_notes():
    form = NoteForm()
    if form.validate_on_submit():
        db.session.add(Note(title=form.title.data, body=form.body.data or "", owner=current_user))
        db.session.commit()
        flash("Note saved.")
        return redirect(url_for("notes.list_notes"))
    return render_template("notes.html", form=form, notes=current_user.notes)


def _as_json(rows):
    return json.dumps([{"title": n.title, "body": n.body} for n in rows]), "application/json"


def _as_csv(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["title", "body"])
    writer.writerows([n.title, n.body] for n in rows)
    return out.getvalue(), "text/csv"


EXPORTERS = {"json": _as_json, "csv": _as_csv}


@notes.route("/notes/export")
def export():
    fmt = request.args.get("format", "json")
    exporter = EXPORTERS[fmt.lower()]
    rows = current_user.notes if current_user.is_authenticated else []
    body, mimetype = exporter(rows)
    return Response(body, mimetype=mimetype)
