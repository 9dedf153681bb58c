import os

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from . import db
from .forms import LoginForm, PhotoForm, RegisterForm, WatermarkForm
from .models import Photo, User, Watermark
from .tasks import mirror_watermark

bp = Blueprint("views", __name__)


def caption_path(photo):
    return os.path.join(current_app.config["CAPTIONS_DIR"], f"{photo.id}.txt")


def read_caption(photo):
    try:
        with open(caption_path(photo), encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return ""


@bp.route("/")
def index():
    photos = Photo.query.order_by(Photo.created_at.desc()).limit(12).all()
    return render_template("index.html", photos=photos)


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        if User.query.filter_by(username=form.username.data).first():
            flash("That username is taken.")
        else:
            user = User(username=form.username.data)
            user.set_password(form.password.data)
            db.session.add(user)
            db.session.commit()
            flash("Registered. Please log in.")
            return redirect(url_for("views.login"))
    return render_template("form.html", form=form, title="Register")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = User.query.filter_by(username=form.username.data).first()
        if user is None or not user.check_password(form.password.data):
            flash("Invalid credentials.")
            return redirect(url_for("views.login"))
        login_user(user)
        return redirect(url_for("views.photos"))
    return render_template("form.html", form=form, title="Log in")


@bp.route("/logout")
def logout():
    logout_user()
    return redirect(url_for("views.index"))


@bp.route("/photos", methods=["GET", "POST"])
@login_required
def photos():
    form = PhotoForm()
    if form.validate_on_submit():
        photo = Photo(title=form.title.data, user=current_user)
        db.session.add(photo)
        db.session.commit()
        with open(caption_path(photo), "w", encoding="utf-8") as f:
            f.write(form.caption.data)
        return redirect(url_for("views.photos"))
    mine = Photo.query.filter_by(user_id=current_user.id).order_by(Photo.id.desc()).all()
    captions = {photo.id: read_caption(photo) for photo in mine}
    return render_template("photos.html", form=form, photos=mine, captions=captions)


@bp.route("/watermarks", methods=["GET", "POST"])
@login_required
def watermarks():
    form = WatermarkForm()
    if form.validate_on_submit():
        watermark = Watermark(text=form.text.data, user_id=current_user.id)
        db.session.add(watermark)
        db.session.commit()
        mirror_watermark.delay(watermark.id)
        flash("Rendering in the background.")
        return redirect(url_for("views.watermarks"))
    rows = Watermark.query.filter_by(user_id=current_user.id).order_by(Watermark.id.desc())
    return render_template("watermarks.html", form=form, watermarks=rows.all())


@bp.route("/thumbs")
def thumbs():
    size = int(request.args.get("size", 200))
    photos = Photo.query.order_by(Photo.created_at.desc()).limit(50).all()
    return render_template("index.html", photos=photos, size=size)
