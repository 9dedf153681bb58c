from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func

from .. import db
from ..models import Book, User
from . import main
from .forms import BookForm


@main.route("/")
def index():
    recent = Book.query.order_by(Book.added_at.desc()).limit(
        current_app.config["BOOKSHELF_RECENT"]).all()
    return render_template("index.html", recent=recent, readers=User.query.count())


@main.route("/shelf", methods=["GET", "POST"])
@login_required
def shelf():
    form = BookForm()
    if form.validate_on_submit():
        book = Book(title=form.title.data, author=form.author.data,
                    year=form.year.data, owner=current_user._get_current_object())
        db.session.add(book)
        db.session.commit()
        flash(f"Added “{book.title}” to your shelf.")
        return redirect(url_for(".shelf"))
    books = current_user.books.order_by(Book.added_at.desc()).all()
    return render_template("shelf.html", form=form, books=books)


@main.route("/stats")
def stats():
    query = db.session.query(Book.author, func.count(Book.id)).group_by(Book.author)
    year = request.args.get("year")
    if year:
        query = query.filter(Book.year == int(year))
    rows = query.order_by(func.count(Book.id).desc()).limit(20).all()
    return render_template("stats.html", rows=rows, year=year)
