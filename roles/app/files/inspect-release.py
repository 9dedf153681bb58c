#!/usr/bin/python3
"""What a release of a Flask app needs, worked out the way Heroku would.

Installed by the app role as /usr/local/libexec/flaskdeploy/inspect-release
and run in three phases of every build:

  plan RELEASE SETTINGS_JSON   as root, reading files only (no app code runs):
      the dependency files and the key of the virtualenv they make, the
      Procfile (web line: commands before gunicorn, gunicorn's options and
      module; release line), FLASK_APP unless the app sets it. Writes
      .flaskdeploy/plan.json, .flaskdeploy/env and, for pip,
      .flaskdeploy/requirements.txt; prints the plan.
  app                          as the app user, in the release, with the app's
      environment (through <app>-run): imports the app the way `flask` does and
      prints its static folder, its CLI commands and whether it uses
      Flask-Migrate.
  finish RELEASE APP_JSON      as root: decides the WSGI entry point, the
      release command and the static folder, writes .flaskdeploy/web.json (read
      by the gunicorn role's launcher), .flaskdeploy/public/ (what nginx
      serves) and .flaskdeploy/inspect.json; prints what was inferred.

Errors are printed in the JSON ("errors") with what to do; the caller fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import sys
from pathlib import Path

META = ".flaskdeploy"
SITE = META + "/site"
PROCFILE_LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.*?)\s*$")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
# gunicorn's options that take no value; every other option takes one.
GUNICORN_FLAGS = {
    "--reload", "--spew", "--check-config", "--print-config", "--preload", "--no-sendfile",
    "--reuse-port", "-D", "--daemon", "--capture-output", "-R", "--enable-stdio-inheritance",
    "--log-syslog", "--proxy-protocol", "--strip-header-spaces", "--suppress-ragged-eofs",
    "--do-handshake-on-connect", "--disable-redirect-access-to-syslog", "--initgroups",
    "--no-control-socket", "--permit-unconventional-http-method", "--permit-unconventional-http-version",
    "--casefold-http-method", "--permit-obsolete-folding", "-v", "--version", "-h", "--help",
}
# Options the deployment owns: the socket, the identity, the working
# directory, the logs (the journal). They are dropped from the Procfile line.
GUNICORN_OWNED = {
    "-b": "bind", "--bind": "bind", "--chdir": "chdir", "-D": "daemon", "--daemon": "daemon",
    "-p": "pid", "--pid": "pid", "-u": "user", "--user": "user", "-g": "group", "--group": "group",
    "--reload": "reload", "--reload-engine": "reload", "--reload-extra-file": "reload",
    "-c": "config", "--config": "config", "--access-logfile": "logs", "--error-logfile": "logs",
    "--log-file": "logs", "--log-syslog": "logs", "--log-syslog-to": "logs", "--log-syslog-prefix": "logs",
    "--log-syslog-facility": "logs", "--check-config": "check", "--print-config": "check",
    "--worker-tmp-dir": "tmp", "--control-socket": "control", "--no-control-socket": "control",
}
SHELL_SEPARATORS = ("&&", "||", ";", "|", "&")


# --- Dependency files -------------------------------------------------------

def requirement_lines(path: Path, root: Path, seen: set, files: list, errors: list) -> list[str]:
    """The lines of a requirements file with -r/-c includes inlined."""
    if path in seen:
        return []
    seen.add(path)
    if not path.is_file():
        errors.append(f"{path.relative_to(root)} is included but does not exist")
        return []
    files.append(str(path.relative_to(root)))
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        include = re.match(r"^(-r|--requirement|-c|--constraint)(=|\s+)(\S+)$", line)
        if include:
            target = (path.parent / include.group(3)).resolve()
            if root not in target.parents:
                errors.append(f"{path.relative_to(root)} includes {include.group(3)}, outside the repository")
                continue
            lines = requirement_lines(target, root, seen, files, errors)
            if include.group(1) in ("-c", "--constraint"):
                # Constraints stay constraints: kept in a file of their own.
                out.append(("constraint", lines))
            else:
                out.extend(lines)
            continue
        out.append(line)
    return out


def local_requirement(line: str) -> bool:
    """`-e .`, `.`, `./pkg`, `file:...`: the project itself or a local path."""
    target = re.sub(r"^(-e|--editable)\s+", "", line)
    return target.startswith((".", "/", "file:")) or target in (".", "./")


def python_version_ok(spec: str, version: str) -> bool | None:
    try:
        from packaging.specifiers import SpecifierSet
    except ImportError:  # python3-packaging is one of the role's packages
        return None
    return SpecifierSet(spec).contains(version, prereleases=True)


def dependencies(root: Path, settings: dict, plan: dict) -> None:
    errors, notes = plan["errors"], plan["notes"]
    requirements = settings.get("requirements") or "requirements.txt"
    pyproject = root / "pyproject.toml"
    project = {}
    if pyproject.is_file():
        import tomllib

        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            errors.append(f"pyproject.toml cannot be read: {error}")
    meta = project.get("project", {})
    packaged = "build-system" in project or (root / "setup.py").is_file()
    deps = {"kind": None, "files": [], "requirements": None, "project": False, "constraints": None}

    if (root / "uv.lock").is_file() and pyproject.is_file():
        deps["kind"] = "uv"
        deps["files"] = ["pyproject.toml", "uv.lock"]
        uv_package = project.get("tool", {}).get("uv", {}).get("package")
        deps["project"] = packaged if uv_package is None else bool(uv_package)
    elif (root / requirements).is_file():
        deps["kind"] = "pip"
        files: list[str] = []
        lines = requirement_lines(root / requirements, root, set(), files, errors)
        flat, constraints = [], []
        for line in lines:
            if isinstance(line, tuple):
                constraints.extend(line[1])
            elif local_requirement(line):
                target = re.sub(r"^(-e|--editable)\s+", "", line)
                if target.rstrip("/") in (".", "./", ""):
                    deps["project"] = True
                    notes.append(f"{requirements} installs the project itself ({line}): it is installed into each release")
                else:
                    errors.append(f"{requirements}: the local path requirement {line!r} is not supported "
                                  "(publish it as a package, or install it from git)")
            else:
                flat.append(line)
        deps["files"] = files
        deps["requirements"] = META + "/requirements.txt"
        deps["lines"] = flat
        deps["constraint_lines"] = constraints
    elif meta:
        deps["kind"] = "pyproject"
        deps["files"] = ["pyproject.toml"]
        if "dependencies" in meta.get("dynamic", []):
            errors.append("pyproject.toml declares its dependencies as dynamic: add a requirements.txt "
                          "(pip freeze) or a uv.lock")
        deps["requirements"] = META + "/requirements.txt"
        deps["lines"] = list(meta.get("dependencies", []))
        deps["constraint_lines"] = []
        deps["project"] = packaged
    else:
        found = [name for name in ("Pipfile", "Pipfile.lock", "poetry.lock", "setup.py", "environment.yml")
                 if (root / name).is_file()]
        advice = {
            "Pipfile": "export it: pipenv requirements > requirements.txt",
            "Pipfile.lock": "export it: pipenv requirements > requirements.txt",
            "poetry.lock": "export it: poetry export -f requirements.txt -o requirements.txt",
            "setup.py": "add a requirements.txt with `.` in it, or a pyproject.toml",
            "environment.yml": "conda environments are not supported: add a requirements.txt",
        }
        errors.append(
            f"no {requirements}, pyproject.toml or uv.lock in the repository"
            + (f" (found {', '.join(found)}: {advice[found[0]]})" if found else "")
            + "; set app_python_requirements if the requirements file has another name")

    # The Python the app asks for, the Heroku way or the uv/pyproject way.
    version = settings.get("python_version", "")
    asked = None
    for name in ("runtime.txt", ".python-version"):
        path = root / name
        if path.is_file():
            text = path.read_text(encoding="utf-8").strip()
            match = re.search(r"(\d+)\.(\d+)", text)
            if match:
                asked = (name, f"{match.group(1)}.{match.group(2)}")
                break
    if asked and version and asked[1] != version:
        errors.append(f"{asked[0]} asks for Python {asked[1]}; the hosts run Python {version} "
                      f"(Debian's): use {version}, or remove {asked[0]}")
    spec = meta.get("requires-python")
    if spec and version and python_version_ok(spec, version + ".0") is False:
        errors.append(f"pyproject.toml requires Python {spec}; the hosts run Python {version}")
    plan["python"] = {"version": version, "asked": asked[1] if asked else (spec or None),
                      "source": asked[0] if asked else ("pyproject.toml" if spec else None)}

    # The key of the virtualenv: everything that decides what is installed in it.
    digest = hashlib.sha256()
    for part in (version, deps["kind"] or "", " ".join(settings.get("extras", [])),
                 " ".join(settings.get("build_packages", []))):
        digest.update(part.encode() + b"\0")
    if deps["kind"] == "uv":
        for name in deps["files"]:
            digest.update(name.encode() + b"\0" + (root / name).read_bytes() + b"\0")
    elif deps["kind"]:
        digest.update("\n".join(deps["lines"]).encode() + b"\0" + "\n".join(deps["constraint_lines"]).encode())
    deps["key"] = digest.hexdigest()[:16]
    plan["deps"] = deps


# --- Procfile ---------------------------------------------------------------

def split_shell(command: str) -> list[tuple[str, str]]:
    """(text, separator before it) for each simple command of a shell line,
    splitting on ;, &&, ||, | and & outside quotes."""
    parts, current, separator = [], [], ""
    quote, i = None, 0
    while i < len(command):
        char = command[i]
        if quote:
            current.append(char)
            if char == "\\" and quote == '"' and i + 1 < len(command):
                current.append(command[i + 1])
                i += 1
            elif char == quote:
                quote = None
        elif char == "\\" and i + 1 < len(command):
            current.extend(command[i:i + 2])
            i += 1
        elif char in "'\"":
            quote = char
            current.append(char)
        else:
            for sep in SHELL_SEPARATORS:
                if command.startswith(sep, i):
                    parts.append(("".join(current).strip(), separator))
                    current, separator = [], sep
                    i += len(sep) - 1
                    break
            else:
                current.append(char)
        i += 1
    parts.append(("".join(current).strip(), separator))
    return [(text, sep) for text, sep in parts if text]


def gunicorn_words(words: list[str]) -> tuple[dict, list[str]] | None:
    """Environment assignments and gunicorn's arguments, if WORDS runs gunicorn."""
    env = {}
    while words and ASSIGNMENT.match(words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    if words and words[0] == "exec":
        words = words[1:]
    if not words:
        return None
    program = words[0].rsplit("/", 1)[-1]
    if program == "gunicorn":
        return env, words[1:]
    if re.match(r"^python(3(\.\d+)?)?$", program) and words[1:3] == ["-m", "gunicorn"]:
        return env, words[3:]
    return None


def parse_gunicorn(args: list[str], web: dict, errors: list) -> None:
    kept, dropped, module = [], [], None
    i = 0
    while i < len(args):
        word = args[i]
        if not word.startswith("-") or word == "-":
            if module is not None:
                errors.append(f"the Procfile web line gives gunicorn two applications: {module} and {word}")
            module = word
            i += 1
            continue
        name, attached, value = word.partition("=")
        takes_value = name not in GUNICORN_FLAGS and not attached
        short_attached = len(name) > 2 and not name.startswith("--")  # -w3
        if short_attached:
            name, value, takes_value = name[:2], name[2:], False
        option = [word] if not takes_value else args[i:i + 2]
        if takes_value and i + 1 >= len(args):
            errors.append(f"the Procfile web line ends with {word}, which needs a value")
        i += len(option)
        if name == "--paste":
            errors.append("gunicorn --paste (PasteDeploy) is not supported: give the WSGI module:app")
        if name in GUNICORN_OWNED:
            dropped.append(" ".join(option))
            if GUNICORN_OWNED[name] == "config":
                web["config_file"] = option[-1] if takes_value else value
        else:
            kept.extend(option)
    web["wsgi_app"] = module
    web["options"] = kept
    web["dropped"] = dropped
    if module is None:
        errors.append("the Procfile web line runs gunicorn without an application (MODULE:APP)")


def procfile(root: Path, plan: dict) -> None:
    errors = plan["errors"]
    path = root / "Procfile"
    types: dict[str, str] = {}
    if path.is_file():
        for raw in path.read_text(encoding="utf-8").splitlines():
            match = PROCFILE_LINE.match(raw.strip())
            if match and not raw.lstrip().startswith("#"):
                types[match.group(1)] = match.group(2)
    plan["procfile"] = {"present": path.is_file(), "types": sorted(types), "release": types.get("release") or None}
    web = {"line": types.get("web"), "wsgi_app": None, "options": [], "dropped": [], "pre": "",
           "pre_required": False, "env": {}, "config_file": None}
    plan["web"] = web
    line = types.get("web")
    if not line:
        return
    commands = split_shell(line)
    found = None
    for index, (text, _) in enumerate(commands):
        try:
            words = shlex.split(text)
        except ValueError as error:
            errors.append(f"the Procfile web line cannot be read: {error}")
            return
        parsed = gunicorn_words(words)
        if parsed:
            found = index, parsed
    if found is None:
        program = (shlex.split(commands[-1][0]) or ["?"])[0]
        errors.append(
            f"the Procfile web line runs {program!r}, not gunicorn: flaskdeploy serves apps with gunicorn. "
            "Set site_app_wsgi (the app's apps entry: wsgi) to the WSGI application, e.g. app:app")
        return
    index, (env, args) = found
    if index != len(commands) - 1:
        errors.append("the Procfile web line runs commands after gunicorn: only commands before it are supported")
    separator = commands[index][1]
    if separator in ("|", "&", "||"):
        errors.append(
            f"the Procfile web line starts gunicorn after {separator!r}: run the other command as a process "
            "type of its own (a Procfile line such as `worker: ...`)")
    if index:
        # The text before gunicorn, as written, minus the separator before it.
        head = line[: line.rfind(commands[index][0])].rstrip()
        web["pre"] = head[: -len(separator)].rstrip() if head.endswith(separator) else head
        web["pre_required"] = separator == "&&"
    web["env"] = env
    parse_gunicorn(args, web, errors)


# --- FLASK_APP ---------------------------------------------------------------

def flaskenv_app(root: Path) -> str | None:
    path = root / ".flaskenv"
    if not path.is_file():
        return None
    for raw in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*(?:export\s+)?FLASK_APP\s*=\s*(.*?)\s*$", raw)
        if match:
            return match.group(1).strip("'\"") or None
    return None


def flask_app(root: Path, settings: dict, plan: dict) -> None:
    """FLASK_APP for the flask command, unless the app sets it itself."""
    if settings.get("flask_app"):
        value, source, write = settings["flask_app"], "your settings (FLASK_APP)", False
    elif flaskenv_app(root):
        value, source, write = flaskenv_app(root), ".flaskenv", False
    elif settings.get("wsgi"):
        value, source, write = settings["wsgi"], "site_app_wsgi (wsgi)", True
    elif plan["web"]["wsgi_app"]:
        value, source, write = plan["web"]["wsgi_app"], "the Procfile web line", True
    else:
        value, source, write = None, "flask's own discovery (wsgi.py, app.py)", False
    plan["flask_app"] = {"value": value, "source": source, "inferred": write}


def write_env(root: Path, plan: dict) -> None:
    env = {}
    if plan["flask_app"]["inferred"]:
        env["FLASK_APP"] = plan["flask_app"]["value"]
    if plan["deps"]["project"]:
        env["PYTHONPATH"] = str(root / SITE)
    env.update({name: value for name, value in plan["web"]["env"].items() if name not in env})
    plan["env"] = env
    lines = [f"{name}={shlex.quote(value)}" for name, value in sorted(env.items())]
    (root / META / "env").write_text(
        "# Inferred for this release by flaskdeploy (see inspect.json).\n" + "".join(line + "\n" for line in lines),
        encoding="utf-8")


def command_plan(release: str, settings_json: str) -> int:
    root = Path(release).resolve()
    settings = json.loads(settings_json)
    (root / META).mkdir(mode=0o755, exist_ok=True)
    plan: dict = {"errors": [], "notes": []}
    dependencies(root, settings, plan)
    procfile(root, plan)
    flask_app(root, settings, plan)
    write_env(root, plan)
    deps = plan["deps"]
    if deps.get("requirements"):
        text = "".join(line + "\n" for line in deps["lines"])
        if deps.get("constraint_lines"):
            (root / META / "constraints.txt").write_text(
                "".join(line + "\n" for line in deps["constraint_lines"]), encoding="utf-8")
            text = "-c constraints.txt\n" + text
        (root / deps["requirements"]).write_text(text, encoding="utf-8")
    (root / META / "plan.json").write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(plan))
    return 0


# --- The app itself (as the app user) -----------------------------------------

def find_wsgi(module_name: str):
    """gunicorn's spelling of the app flask's discovery finds in MODULE_NAME."""
    import importlib

    from flask import Flask

    module = importlib.import_module(module_name)
    for attr in ("app", "application"):
        if isinstance(getattr(module, attr, None), Flask):
            return f"{module_name}:{attr}"
    apps = [name for name, value in vars(module).items() if isinstance(value, Flask)]
    if len(apps) == 1:
        return f"{module_name}:{apps[0]}"
    for attr in ("create_app", "make_app"):
        if callable(getattr(module, attr, None)):
            return f"{module_name}:{attr}()"
    return None


def command_app() -> int:
    result: dict = {"error": None}
    try:
        from flask.cli import ScriptInfo, load_dotenv

        load_dotenv()
        import_path = os.environ.get("FLASK_APP") or None
        app = ScriptInfo(app_import_path=import_path).load_app()
        if import_path is None:
            for name in ("wsgi", "app"):
                if Path(name + ".py").is_file():
                    result["wsgi_app"] = find_wsgi(name)
                    break
        commands = set(app.cli.commands)
        try:
            from importlib.metadata import entry_points

            commands |= {entry.name for entry in entry_points(group="flask.commands")}
        except Exception:  # noqa: BLE001 - old metadata: the app's own commands are enough
            pass
        migrate = app.extensions.get("migrate")
        directory = getattr(migrate, "directory", None) if migrate is not None else None
        result.update(
            import_name=app.import_name,
            static_folder=app.static_folder if app.has_static_folder else None,
            static_url_path=app.static_url_path,
            commands=sorted(commands),
            migrate=migrate is not None,
            migrations=directory if directory and Path(directory).is_dir() else None,
        )
    except BaseException as error:  # noqa: BLE001 - any failure to load is reported, not raised
        import traceback

        lines = traceback.format_exception(error)
        result["error"] = "".join(lines[-6:]).strip()
    print(json.dumps(result))
    return 0


# --- Decisions and the files the services read ------------------------------------

def command_finish(release: str, app_json: str, settings_json: str) -> int:
    root = Path(release).resolve()
    plan = json.loads((root / META / "plan.json").read_text(encoding="utf-8"))
    app = json.loads(app_json or "{}")
    settings = json.loads(settings_json)
    errors, notes = [], list(plan["notes"])
    web = plan["web"]

    wsgi, wsgi_source = settings.get("wsgi") or None, "your settings (site_app_wsgi)"
    if not wsgi and web["wsgi_app"]:
        wsgi, wsgi_source = web["wsgi_app"], "the Procfile web line"
    if not wsgi and app.get("wsgi_app"):
        wsgi, wsgi_source = app["wsgi_app"], "flask's discovery (" + app["wsgi_app"].split(":")[0] + ".py)"
    if not wsgi and plan["flask_app"]["value"]:
        value = plan["flask_app"]["value"]
        module = re.sub(r"\.py$", "", value.split(":")[0]).replace("/", ".")
        wsgi = module + (":" + value.split(":", 1)[1] if ":" in value else ":app")
        wsgi_source = "FLASK_APP (" + plan["flask_app"]["source"] + ")"
    if not wsgi:
        errors.append("no WSGI application found: no Procfile `web: gunicorn MODULE:APP` line, no wsgi.py or app.py "
                      "with an app, and no site_app_wsgi setting" + (f". Loading the app failed: {app['error']}"
                                                                    if app.get("error") else ""))

    commands = app.get("commands") or []
    if settings.get("release_command"):
        release, release_source = settings["release_command"], "your settings (release_command)"
    elif plan["procfile"]["release"]:
        release, release_source = plan["procfile"]["release"], "the Procfile release line"
    elif "deploy" in commands:
        release, release_source = "flask deploy", "the app's `flask deploy` command"
    elif app.get("migrate") and app.get("migrations"):
        release, release_source = "flask db upgrade", "Flask-Migrate (" + app["migrations"] + ")"
    else:
        release, release_source = "", "none: no release line, no `flask deploy`, no Flask-Migrate migrations"
    if app.get("error") and not settings.get("release_command") and not plan["procfile"]["release"]:
        notes.append("the app could not be loaded to look for `flask deploy` or Flask-Migrate: " + app["error"].splitlines()[-1])

    static, static_source = None, None
    if settings.get("static_dir"):
        static, static_source = settings["static_dir"].strip("/"), "your settings (static_dir)"
    elif app.get("static_folder"):
        folder = Path(app["static_folder"]).resolve()
        try:
            static = str(folder.relative_to(root.resolve()))
            static_source = "the app's static_folder"
        except ValueError:
            notes.append(f"the app's static folder {folder} is outside the release: nginx leaves it to the app")
    if static and not (root / static).is_dir():
        notes.append(f"the static folder {static} does not exist: nginx leaves /static to the app")
        static = None
    url_path = app.get("static_url_path")
    url_path = "/" + ("/static" if url_path is None else url_path).strip("/")
    if static and url_path == "/":
        notes.append("the app serves its static files at the root URL: nginx leaves them to the app")
        static = None

    public = root / META / "public"
    public.mkdir(mode=0o755, exist_ok=True)
    if static:
        link = public / url_path.strip("/")
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink():
            link.unlink()
        link.symlink_to(os.path.relpath(root / static, link.parent))

    launch = {"wsgi_app": wsgi, "options": web["options"], "pre": web["pre"], "pre_required": web["pre_required"],
              "env": plan["env"], "config_file": web["config_file"]}
    (root / META / "web.json").write_text(json.dumps(launch, indent=2) + "\n", encoding="utf-8")
    inferred = {
        "dependencies": plan["deps"]["kind"], "dependency_files": plan["deps"]["files"],
        "project_installed": plan["deps"]["project"], "venv_key": plan["deps"]["key"],
        "wsgi_app": wsgi, "wsgi_from": wsgi_source,
        "flask_app": plan["flask_app"]["value"], "flask_app_from": plan["flask_app"]["source"],
        "release_command": release, "release_command_from": release_source,
        "web_before_gunicorn": web["pre"] or None, "gunicorn_options": web["options"],
        "gunicorn_options_dropped": web["dropped"], "static_folder": static, "static_url_path": url_path,
        "static_from": static_source, "process_types": [t for t in plan["procfile"]["types"] if t not in ("web", "release")],
        "notes": notes, "errors": errors,
    }
    (root / META / "inspect.json").write_text(json.dumps(inferred, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(inferred))
    return 0


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "plan":
        return command_plan(argv[1], argv[2])
    if argv == ["app"]:
        return command_app()
    if len(argv) >= 3 and argv[0] == "finish":
        return command_finish(argv[1], sys.stdin.read(), argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
