"""A tiny guestbook. Entries live in the visitor's (signed) session cookie."""
import logging
import os
from datetime import datetime, timezone
from logging.handlers import SMTPHandler

from flask import Flask, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY")
app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
csrf = CSRFProtect(app)
login_manager = LoginManager(app)
login_manager.login_view = "login"

# One account, configured by the environment. No account, no login.
ADMIN_USERNAME = os.environ.get("ADMIN_USERNAME")
ADMIN_PASSWORD_HASH = (generate_password_hash(os.environ["ADMIN_PASSWORD"])
                       if os.environ.get("ADMIN_PASSWORD") else None)
LOGIN_ENABLED = bool(ADMIN_USERNAME and ADMIN_PASSWORD_HASH)
MAX_ENTRIES = 10  # a session cookie holds about 4 KB

if not app.debug and not app.testing and os.environ.get("MAIL_SERVER"):
    credentials = secure = None
    if os.environ.get("MAIL_USERNAME"):
        credentials = (os.environ["MAIL_USERNAME"], os.environ.get("MAIL_PASSWORD"))
        if os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes", "on"):
            secure = ()
    mail_handler = SMTPHandler(
        mailhost=(os.environ["MAIL_SERVER"], int(os.environ.get("MAIL_PORT", 25))),
        fromaddr=os.environ.get("MAIL_SENDER", "guestbook@localhost"),
        toaddrs=[a.strip() for a in os.environ.get("ADMINS", "").split(",") if a.strip()],
        subject="guestbook failure",
        credentials=credentials,
        secure=secure,
    )
    mail_handler.setLevel(logging.ERROR)
    app.logger.addHandler(mail_handler)


class Admin(UserMixin):
    def __init__(self, username):
        self.id = username
        self.username = username


@login_manager.user_loader
def load_user(user_id):
    if LOGIN_ENABLED and user_id == ADMIN_USERNAME:
        return Admin(user_id)
    return None


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])
    submit = SubmitField("Log in")


class EntryForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=40)])
    message = TextAreaField("Message", validators=[DataRequired(), Length(max=280)])
    submit = SubmitField("Sign the guestbook")


@app.route("/")
def index():
    return render_template("index.html", entries=reversed(session.get("entries", [])))


@app.route("/sign", methods=["GET", "POST"])
@login_required
def sign():
    form = EntryForm()
    if form.validate_on_submit():
        entries = session.get("entries", [])
        entries.append({
            "name": form.name.data,
            "message": form.message.data,
            "at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
        })
        session["entries"] = entries[-MAX_ENTRIES:]
        flash("Thanks for signing!")
        return redirect(url_for("index"))
    return render_template("sign.html", form=form)


@app.route("/archive")
def archive():
    page = int(request.args.get("page", 1))
    entries = session.get("entries", [])
    per_page = 5
    shown = entries[(page - 1) * per_page:page * per_page]
    return render_template("index.html", entries=shown, page=page)


@app.route("/admin")
@login_required
def admin():
    return render_template("admin.html", count=len(session.get("entries", [])))


@app.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        if (LOGIN_ENABLED and form.username.data == ADMIN_USERNAME
                and check_password_hash(ADMIN_PASSWORD_HASH, form.password.data)):
            login_user(Admin(ADMIN_USERNAME))
            return redirect(url_for("admin"))
        flash("Login failed." if LOGIN_ENABLED else "Login is disabled on this site.")
    return render_template("login.html", form=form, enabled=LOGIN_ENABLED)


@app.route("/logout")
def logout():
    logout_user()
    return redirect(url_for("index"))


if __name__ == "__main__":
    app.run(debug=True)
