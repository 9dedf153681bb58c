"""The app role's release inspection (roles/app/files/inspect-release.py):
what it reads from a repository the way Heroku would, without running it."""

import importlib.util
import json
from pathlib import Path

import pytest

from conftest import ROOT

SPEC = importlib.util.spec_from_file_location("inspect_release", ROOT / "roles/app/files/inspect-release.py")
inspect_release = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(inspect_release)

SETTINGS = {"requirements": "requirements.txt", "python_version": "3.11", "extras": ["gunicorn==27.0.1"],
            "build_packages": ["pip==26.3"]}


def plan(tmp_path: Path, files: dict, capsys, **settings) -> dict:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    inspect_release.command_plan(str(tmp_path), json.dumps({**SETTINGS, **settings}))
    return json.loads(capsys.readouterr().out)


def finish(tmp_path: Path, app: dict, capsys, **settings) -> dict:
    import io
    import sys

    inspect_release.command_finish(str(tmp_path), json.dumps(app), json.dumps({**SETTINGS, **settings}))
    _ = sys, io
    return json.loads(capsys.readouterr().out)


def test_compound_web_line_keeps_the_commands_before_gunicorn_and_its_options(tmp_path, capsys):
    result = plan(tmp_path, {
        "requirements.txt": "Flask==3.1.3\n",
        "Procfile": "web: flask db upgrade; flask seed-demo && gunicorn -w 3 --timeout 60 --bind 0.0.0.0:$PORT taskboard:app\n"
                    "worker: rq worker --url $REDIS_URL taskboard\n",
    }, capsys)
    web = result["web"]
    assert result["errors"] == []
    assert web["pre"] == "flask db upgrade; flask seed-demo"
    assert web["pre_required"] is True
    assert web["wsgi_app"] == "taskboard:app"
    assert web["options"] == ["-w", "3", "--timeout", "60"]
    assert web["dropped"] == ["--bind 0.0.0.0:$PORT"]
    assert result["procfile"]["types"] == ["web", "worker"]
    assert result["flask_app"] == {"value": "taskboard:app", "source": "the Procfile web line", "inferred": True}
    assert "FLASK_APP='taskboard:app'" in (tmp_path / ".flaskdeploy/env").read_text() or \
        "FLASK_APP=taskboard:app" in (tmp_path / ".flaskdeploy/env").read_text()


@pytest.mark.parametrize("line, wsgi, options, env", [
    ('web: gunicorn "notely:create_app()"', "notely:create_app()", [], {}),
    ("web: exec gunicorn -k gthread --threads=4 -w3 app:app", "app:app", ["-k", "gthread", "--threads=4", "-w3"], {}),
    ("web: WEB_CONCURRENCY=3 gunicorn --preload wsgi:application", "wsgi:application", ["--preload"],
     {"WEB_CONCURRENCY": "3"}),
    ("web: python -m gunicorn -c gunicorn.conf.py --reload app:app", "app:app", [], {}),
])
def test_gunicorn_lines(tmp_path, capsys, line, wsgi, options, env):
    result = plan(tmp_path, {"requirements.txt": "Flask\n", "Procfile": line + "\n"}, capsys)
    assert result["errors"] == []
    assert (result["web"]["wsgi_app"], result["web"]["options"], result["web"]["env"]) == (wsgi, options, env)
    assert result["web"]["pre"] == ""


@pytest.mark.parametrize("line, message", [
    ("web: python app.py", "runs 'python', not gunicorn"),
    ("web: uwsgi --http :$PORT app.ini", "runs 'uwsgi', not gunicorn"),
    ("web: celery -A app worker & gunicorn app:app", "process type of its own"),
    ("web: gunicorn app:app && echo started", "commands after gunicorn"),
    ("web: gunicorn --paste production.ini", "PasteDeploy"),
    ("web: gunicorn -w 3", "without an application"),
])
def test_unsupported_web_lines_say_what_to_do(tmp_path, capsys, line, message):
    result = plan(tmp_path, {"requirements.txt": "Flask\n", "Procfile": line + "\n"}, capsys)
    assert any(message in error for error in result["errors"]), result["errors"]


def test_nested_requirement_includes_are_followed_and_keyed(tmp_path, capsys):
    files = {"requirements.txt": "-r requirements/prod.txt\n",
             "requirements/prod.txt": "-r common.txt\ngunicorn==21.2.0  # pinned\n",
             "requirements/common.txt": "# the web stack\nFlask==3.1.3\n-e .\n"}
    first = plan(tmp_path, files, capsys)
    assert first["errors"] == []
    assert first["deps"]["kind"] == "pip"
    assert first["deps"]["files"] == ["requirements.txt", "requirements/prod.txt", "requirements/common.txt"]
    assert (tmp_path / ".flaskdeploy/requirements.txt").read_text() == "Flask==3.1.3\ngunicorn==21.2.0\n"
    assert first["deps"]["project"] is True
    again = plan(tmp_path, files, capsys)
    assert again["deps"]["key"] == first["deps"]["key"]
    changed = plan(tmp_path, {**files, "requirements/common.txt": "Flask==3.1.2\n"}, capsys)
    assert changed["deps"]["key"] != first["deps"]["key"], "an included file changes the virtualenv"


def test_uv_projects_and_pyproject_projects(tmp_path, capsys):
    pyproject = ('[project]\nname = "notely"\nversion = "1.0"\nrequires-python = ">=3.11"\n'
                 'dependencies = ["Flask==3.1.3"]\n[build-system]\nrequires = ["hatchling"]\n'
                 'build-backend = "hatchling.build"\n')
    uv = plan(tmp_path, {"pyproject.toml": pyproject, "uv.lock": "version = 1\n"}, capsys)
    assert (uv["deps"]["kind"], uv["deps"]["files"], uv["deps"]["project"]) == ("uv", ["pyproject.toml", "uv.lock"], True)
    assert "PYTHONPATH" in uv["env"] and uv["env"]["PYTHONPATH"].endswith(".flaskdeploy/site")
    (tmp_path / "uv.lock").unlink()
    only = plan(tmp_path, {}, capsys)
    assert only["deps"]["kind"] == "pyproject"
    assert (tmp_path / ".flaskdeploy/requirements.txt").read_text() == "Flask==3.1.3\n"
    old = plan(tmp_path, {"pyproject.toml": pyproject.replace(">=3.11", ">=3.12")}, capsys)
    assert any("requires Python >=3.12" in error for error in old["errors"])


@pytest.mark.parametrize("files, message", [
    ({"poetry.lock": "", "app.py": ""}, "poetry export"),
    ({"Pipfile": ""}, "pipenv requirements"),
    ({"app.py": ""}, "no requirements.txt, pyproject.toml or uv.lock"),
    ({"requirements.txt": "Flask\n", "runtime.txt": "python-3.12.1\n"}, "runtime.txt asks for Python 3.12"),
    ({"requirements.txt": "-r missing.txt\n"}, "missing.txt is included but does not exist"),
    ({"requirements.txt": "./vendor/mylib\n"}, "local path requirement"),
])
def test_unsupported_dependency_files_say_what_to_do(tmp_path, capsys, files, message):
    result = plan(tmp_path, files, capsys)
    assert any(message in error for error in result["errors"]), result["errors"]


def test_flask_app_from_settings_flaskenv_or_procfile(tmp_path, capsys):
    files = {"requirements.txt": "Flask\n", "Procfile": "web: gunicorn flasky:app\n"}
    assert plan(tmp_path, files, capsys)["flask_app"]["value"] == "flasky:app"
    assert plan(tmp_path, files, capsys, flask_app="other:app")["flask_app"]["inferred"] is False
    assert plan(tmp_path, files, capsys, wsgi="wsgi:app")["flask_app"]["value"] == "wsgi:app"
    with_env = plan(tmp_path, {**files, ".flaskenv": "FLASK_APP=taskboard.py\n"}, capsys)
    assert with_env["flask_app"] == {"value": "taskboard.py", "source": ".flaskenv", "inferred": False}
    assert "FLASK_APP" not in (tmp_path / ".flaskdeploy/env").read_text()


def test_finish_chooses_release_command_wsgi_and_static_folder(tmp_path, capsys):
    plan(tmp_path, {"requirements.txt": "Flask\n", "app.py": "", "assets/site.css": "body{}"}, capsys)
    app = {"wsgi_app": "app:app", "commands": ["db", "routes", "run", "shell"], "migrate": True,
           "migrations": "migrations", "static_folder": str(tmp_path / "assets"), "static_url_path": "/static"}
    (tmp_path / "migrations").mkdir()
    inferred = finish(tmp_path, app, capsys)
    assert inferred["errors"] == []
    assert (inferred["wsgi_app"], inferred["wsgi_from"]) == ("app:app", "flask's discovery (app.py)")
    assert inferred["release_command"] == "flask db upgrade"
    assert inferred["static_folder"] == "assets"
    assert (tmp_path / ".flaskdeploy/public/static/site.css").read_text() == "body{}"
    launch = json.loads((tmp_path / ".flaskdeploy/web.json").read_text())
    assert launch["wsgi_app"] == "app:app"


@pytest.mark.parametrize("procfile, app, settings, expected", [
    ("web: gunicorn a:app\nrelease: ./bin/migrate\n", {"commands": ["deploy"]}, {}, "./bin/migrate"),
    ("web: gunicorn a:app\n", {"commands": ["deploy", "db"], "migrate": True, "migrations": "migrations"}, {},
     "flask deploy"),
    ("web: gunicorn a:app\n", {"commands": ["deploy"]}, {"release_command": "make release"}, "make release"),
    ("web: gunicorn a:app\n", {"commands": ["db"], "migrate": True, "migrations": None}, {}, ""),
    ("web: gunicorn a:app\n", {"commands": []}, {}, ""),
])
def test_release_command_defaults(tmp_path, capsys, procfile, app, settings, expected):
    plan(tmp_path, {"requirements.txt": "Flask\n", "Procfile": procfile}, capsys)
    assert finish(tmp_path, app, capsys, **settings)["release_command"] == expected


def test_no_wsgi_application_is_an_error_with_the_load_failure(tmp_path, capsys):
    plan(tmp_path, {"requirements.txt": "Flask\n"}, capsys)
    inferred = finish(tmp_path, {"error": "ImportError: no module named app"}, capsys)
    assert any("no WSGI application found" in error and "ImportError" in error for error in inferred["errors"])
