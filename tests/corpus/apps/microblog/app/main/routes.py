from datetime import datetime

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from langdetect import DetectorFactory, LangDetectException, detect

from app import db
from app.main import bp
from app.main.forms import PostForm
from app.models import Post, User

DetectorFactory.seed = 0  # make language detection deterministic


def guess_language(text):
    try:
        return detect(text)
    except LangDetectException:
        return None


def paginate(query):
    page = request.args.get("page", 1, type=int)
    return db.paginate(query, page=page, per_page=current_app.config["POSTS_PER_PAGE"],
                       error_out=False)


@bp.route("/")
def explore():
    posts = paginate(sa.select(Post).order_by(Post.timestamp.desc()))
    return render_template("index.html", title="Explore", posts=posts.items)


@bp.route("/feed", methods=["GET", "POST"])
@login_required
def feed():
    form = PostForm()
    if form.validate_on_submit():
        post = Post(body=form.post.data, author=current_user,
                    language=guess_language(form.post.data))
        db.session.add(post)
        db.session.commit()
        flash("Your post is now live!")
        return redirect(url_for("main.feed"))
    posts = paginate(current_user.posts.select().order_by(Post.timestamp.desc()))
    return render_template("feed.html", title="Home", form=form, posts=posts.items)


@bp.route("/user/<username>")
def user(username):
    user = db.first_or_404(sa.select(User).where(User.username == username))
    posts = paginate(user.posts.select().order_by(Post.timestamp.desc()))
    return render_template("user.html", user=user, posts=posts.items)


@bp.route("/archive")
def archive():
    query = sa.select(Post).order_by(Post.timestamp.desc())
    month = request.args.get("month")
    if month:
        start = datetime.strptime(month, "%Y-%m")
        end = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
        query = query.where(Post.timestamp >= start, Post.timestamp < end)
    posts = paginate(query)
    return render_template("index.html", title=f"Archive {month or ''}", posts=posts.items)
