"""How a test drives each app of the corpus (tests/corpus/apps/<name>/).

Plain data, no third-party imports. APPS maps the app's name (also its Linux
user, database, RabbitMQ vhost) to a descriptor; apps/README.md says what
each one copies and what in it is hard for a deployer.

- "letter", "shape": its place in the corpus and the real-world pattern.
- "settings": the per-app deployer settings for the inventory, using only
  the keys db_url_scheme, env, env_names, packages, redis, rabbitmq,
  database, shared_dirs (a missing key: the site default). "database" is
  the site_apps setting "db". No WSGI module, FLASK_APP or release command
  here: the deployer must infer those from the repository.
- URLs are paths on the app's site. "fields" are form fields without the
  CSRF token: GET the form's page first (the "url" of register/login, the
  "form_url" of post/job) and send back the value of its hidden input
  named csrf_token. Placeholders: "{user}", "{password}" (any password of
  8+ characters; guestbook: env ADMIN_PASSWORD) and "{token}", a unique
  value the test chooses: lowercase letters and digits starting with a
  letter (e.g. "t" + hex), since the error routes fail on non-numeric input
  and the token must come back untouched in HTML and in mail.
- Every POST answers a redirect (302) on success, 400 without the
  csrf_token. Over HTTPS, Flask-WTF also wants a Referer header of the same
  origin (WTF_CSRF_SSL_STRICT): send Referer: https://<host><form page>.
- "user": the username to use, or None: the test invents one (lowercase
  letters and digits starting with a letter, 3 to 30 characters: every
  app's sign-up form accepts that).
- "register": None when the app has no sign-up (log in as "user" then).
  A registration redirects; log in afterwards with "login" in any case.
- "protected": a login-required page; "expect" appears in it when logged in.
- "post": after the POST, GET "expect_url": "expect" appears in it.
- "static": a static file's URL path, "static_text" a string in it;
  "static_folder": that folder relative to the repository root.
- "job": None, or a background job: POST it like "post", then poll
  "result_url" until "expect" appears (the worker ran it). With
  "expect_reversed": True, "{token}" in "expect" stands for the token
  reversed.
- "error": GET "url" answers 500 and mails ADMINS a message whose Subject
  contains "mail_subject" and whose body (a traceback; decode its
  quoted-printable transfer encoding) contains the token.
- "procfile_web": the command of the Procfile's web line (after "web: "),
  None without a Procfile. "release_expected": what a deployer following
  Heroku's conventions runs once per release (None: nothing).
  "wsgi_expected": the gunicorn app spec. "flask_app_expected": what
  FLASK_APP must be when the app sets none (None: .flaskenv sets it); any
  equivalent spelling works (e.g. "bookshelf.py" for "bookshelf:app").
"""

APPS = {
    "bookshelf": {
        "letter": "a",
        "shape": "flasky (Flask Web Development book): app/ package with create_app(config_name), "
                 "config.py classes picked by FLASK_CONFIG, main+auth blueprints, Flask-Migrate, "
                 "bookshelf.py defining app, Procfile web only",
        "settings": {
            "env": {"FLASK_CONFIG": "production"},
        },
        "register": {
            "url": "/auth/register",
            "fields": {"email": "{user}@example.org", "username": "{user}",
                       "password": "{password}", "password2": "{password}"},
        },
        "login": {
            "url": "/auth/login",
            "fields": {"email": "{user}@example.org", "password": "{password}"},
        },
        "user": None,
        "protected": {"url": "/shelf", "expect": "Signed in as {user}"},
        "post": {
            "form_url": "/shelf",
            "url": "/shelf",
            "fields": {"title": "{token}", "author": "Ursula K. Le Guin", "year": "1969"},
            "expect_url": "/shelf",
            "expect": "<em>{token}</em>",
        },
        "static": "/static/style.css",
        "static_text": "Bookshelf stylesheet",
        "job": None,
        "error": {"url": "/stats?year={token}", "mail_subject": "bookshelf failure"},
        "procfile_web": "gunicorn bookshelf:app",
        "release_expected": "flask db upgrade",
        "wsgi_expected": "bookshelf:app",
        "flask_app_expected": "bookshelf:app",
        "static_folder": "app/static",
    },
    "microblog": {
        "letter": "b",
        "shape": "Miguel Grinberg's Flask Mega-Tutorial microblog, 2023 vintage: app/ package with "
                 "create_app(), microblog.py, Flask-Migrate and a `flask deploy` command, "
                 "old pins (Flask 2.3, gunicorn 20.1) and sdist-only / source-built dependencies",
        "settings": {
            "env_names": {"MAIL_SENDER": "MAIL_DEFAULT_SENDER"},
            "packages": ["libpq-dev", "gcc", "python3-dev"],
        },
        "register": {
            "url": "/auth/register",
            "fields": {"username": "{user}", "email": "{user}@example.org",
                       "password": "{password}", "password2": "{password}"},
        },
        "login": {
            "url": "/auth/login",
            "fields": {"username": "{user}", "password": "{password}"},
        },
        "user": None,
        "protected": {"url": "/feed", "expect": "Hi, {user}!"},
        "post": {
            "form_url": "/feed",
            "url": "/feed",
            "fields": {"post": "Hello everyone, this is my first post {token}"},
            "expect_url": "/feed",
            "expect": "this is my first post {token}",
        },
        "static": "/static/style.css",
        "static_text": "microblog styles",
        "job": None,
        "error": {"url": "/archive?month={token}", "mail_subject": "microblog failure"},
        "procfile_web": "gunicorn microblog:app",
        "release_expected": "flask deploy",
        "wsgi_expected": "microblog:app",
        "flask_app_expected": "microblog:app",
        "static_folder": "app/static",
    },
    "notely": {
        "letter": "c",
        "shape": "modern uv-managed pyproject.toml project, src layout, hatchling, uv.lock, "
                 "psycopg 3, Procfile with a release line",
        "settings": {
            "db_url_scheme": "postgresql+psycopg",
        },
        "register": {
            "url": "/register",
            "fields": {"username": "{user}", "password": "{password}", "confirm": "{password}"},
        },
        "login": {
            "url": "/login",
            "fields": {"username": "{user}", "password": "{password}"},
        },
        "user": None,
        "protected": {"url": "/notes", "expect": "Signed in as {user}"},
        "post": {
            "form_url": "/notes",
            "url": "/notes",
            "fields": {"title": "Groceries {token}", "body": "eggs, flour, milk"},
            "expect_url": "/notes",
            "expect": "<h2>Groceries {token}</h2>",
        },
        "static": "/static/notely.css",
        "static_text": "notely's one stylesheet",
        "job": None,
        "error": {"url": "/notes/export?format={token}", "mail_subject": "notely failure"},
        "procfile_web": 'gunicorn "notely:create_app()"',
        "release_expected": "flask --app notely db upgrade",
        "wsgi_expected": "notely:create_app()",
        "flask_app_expected": "notely",
        "static_folder": "src/notely/static",
    },
    "taskboard": {
        "letter": "d",
        "shape": "Heroku-era app: nested requirements files, .flaskenv, compound Procfile web line "
                 "(migrate; seed && gunicorn on $PORT), RQ worker on Redis, env flags read by presence",
        "settings": {
            "redis": True,
        },
        "register": {
            "url": "/signup",
            "fields": {"username": "{user}", "password": "{password}", "confirm": "{password}"},
        },
        "login": {
            "url": "/login",
            "fields": {"username": "{user}", "password": "{password}"},
        },
        "user": None,
        "protected": {"url": "/board", "expect": "Signed in as {user}"},
        "post": {
            "form_url": "/board",
            "url": "/board",
            "fields": {"title": "Buy milk {token}"},
            "expect_url": "/board",
            "expect": "Buy milk {token}",
        },
        "static": "/static/board.css",
        "static_text": "taskboard board.css",
        "job": {
            "form_url": "/board",
            "url": "/board/robot",
            "fields": {"title": "{token}"},
            "result_url": "/jobs",
            "expect": "done by worker: {token}",
            "expect_reversed": True,
        },
        "error": {"url": "/stats?days={token}", "mail_subject": "taskboard failure"},
        "procfile_web": "flask db upgrade; flask seed-demo && "
                        "gunicorn -w 3 --timeout 60 --bind 0.0.0.0:$PORT taskboard:app",
        "release_expected": "flask db upgrade",
        "wsgi_expected": "taskboard:app",
        "flask_app_expected": None,
        "static_folder": "taskboard_app/static",
    },
    "gallery": {
        "letter": "e",
        "shape": "factory app with a Celery worker on RabbitMQ, static files outside the package "
                 "(assets/ at the repo root), runtime writes under instance/, "
                 "SQLALCHEMY_DATABASE_URI instead of DATABASE_URL",
        "settings": {
            "env_names": {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"},
            "rabbitmq": True,
            "shared_dirs": ["instance"],
        },
        "register": {
            "url": "/register",
            "fields": {"username": "{user}", "password": "{password}",
                       "password_again": "{password}"},
        },
        "login": {
            "url": "/login",
            "fields": {"username": "{user}", "password": "{password}"},
        },
        "user": None,
        "protected": {"url": "/photos", "expect": "Signed in as {user}"},
        "post": {
            "form_url": "/photos",
            "url": "/photos",
            "fields": {"title": "Harbour at dusk", "caption": "Caption {token}, shot on film"},
            "expect_url": "/photos",
            "expect": "Caption {token}, shot on film",
        },
        "static": "/static/gallery.css",
        "static_text": "gallery.css, built from the design kit",
        "job": {
            "form_url": "/watermarks",
            "url": "/watermarks",
            "fields": {"text": "{token}"},
            "result_url": "/watermarks",
            "expect": "processed: {token}",
            "expect_reversed": True,
        },
        "error": {"url": "/thumbs?size={token}", "mail_subject": "gallery failure"},
        "procfile_web": 'gunicorn "gallery:create_app()"',
        "release_expected": "flask --app gallery:create_app db upgrade",
        "wsgi_expected": "gallery:create_app()",
        "flask_app_expected": "gallery:create_app",
        "static_folder": "assets",
    },
    "guestbook": {
        "letter": "f",
        "shape": "single-module app.py with a module-level app, requirements.txt without gunicorn, "
                 "no Procfile, no database, one admin account from the environment",
        "settings": {
            "database": False,
            "env": {"ADMIN_USERNAME": "curator", "ADMIN_PASSWORD": "test-only-Lkq83vZr"},
        },
        "register": None,
        "login": {
            "url": "/login",
            "fields": {"username": "{user}", "password": "{password}"},
        },
        "user": "curator",
        "protected": {"url": "/admin", "expect": "Signed in as {user}"},
        "post": {
            "form_url": "/sign",
            "url": "/sign",
            "fields": {"name": "A visitor", "message": "Lovely site {token}"},
            "expect_url": "/",
            "expect": "Lovely site {token}",
        },
        "static": "/static/guestbook.css",
        "static_text": "guestbook paper theme",
        "job": None,
        "error": {"url": "/archive?page={token}", "mail_subject": "guestbook failure"},
        "procfile_web": None,
        "release_expected": None,
        "wsgi_expected": "app:app",
        "flask_app_expected": "app:app",
        "static_folder": "static",
    },
}
