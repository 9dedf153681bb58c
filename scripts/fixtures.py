#!/usr/bin/env python3
"""Test fixtures that target hosts reach over the network, run as containers.

A fixture container joins the project's Docker networks under a fixed alias,
so hosts use it exactly as they would a real service, and publishes its port
on 127.0.0.1 only, so the controller can drive it.

    scripts/fixtures.py gitserver up [--network NET ...]
    scripts/fixtures.py gitserver publish NAME SRC_DIR
    scripts/fixtures.py gitserver down
    scripts/fixtures.py pebble up [--network NET]
    scripts/fixtures.py pebble roots [--network NET]
    scripts/fixtures.py pebble down [--network NET]
    scripts/fixtures.py smtp up [--network NET ...]
    scripts/fixtures.py smtp messages
    scripts/fixtures.py smtp down
    scripts/fixtures.py s3 up [--network NET] [--bucket NAME ...]
    scripts/fixtures.py s3 down [--network NET]

Hosts clone `git://gitserver/NAME.git`; the controller pushes to
`git://127.0.0.1:<port>/NAME.git`. Tests import this module to add commits
(`GitServer().commit(...)`).

Pebble, Let's Encrypt's ACME test server, runs once per network (it resolves
the names it validates through that network's DNS): hosts use the directory
`https://pebble:14000/dir` and must trust the CA that `pebble up` prints
(`ca_pem`, also written to `ca_file`); `Pebble(NET).root_ca()` is the root
that issued certificates chain to (regenerated at every start).

The SMTP sink (aiosmtpd) accepts every message on `smtp:25` and keeps it;
`SmtpSink().messages()` returns them as `email.message.Message` objects.

The S3 store (moto behind nginx's TLS, one per network) answers path-style
requests on `https://s3/<bucket>/...` with any access key; hosts trust the CA
that `s3 up` prints (`ca_file`); the controller reaches it on 127.0.0.1 with
`S3(NET).client()` (boto3). It keeps objects in memory: a restart empties it.
"""

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE_IMAGE = os.environ.get("BASE_IMAGE", "flaskdeploy-base:bookworm")
LABEL = "flaskdeploy.fixture"


def run(*args, check=True, capture=True, **kwargs):
    return subprocess.run(args, check=check, text=True, capture_output=capture, **kwargs)


def docker(*args, check=True):
    return run("docker", *args, check=check)


def ensure_engine():
    run(str(ROOT / "scripts" / "ensure-docker.sh"), capture=False)
    if docker("image", "inspect", BASE_IMAGE, check=False).returncode != 0:
        run(str(ROOT / "scripts" / "build-base-image.sh"), capture=False)


def build_image(name):
    """Build fixtures/<name>/Dockerfile on the base image; cached by content."""
    context = ROOT / "fixtures" / name
    base_id = docker("image", "inspect", "-f", "{{.Id}}", BASE_IMAGE).stdout.strip()
    digest = hashlib.sha256(base_id.encode())
    for path in sorted(context.rglob("*")):
        if path.is_file():
            digest.update(path.read_bytes())
    tag = f"flaskdeploy-{name}:{digest.hexdigest()[:12]}"
    if docker("image", "inspect", tag, check=False).returncode != 0:
        print(f"==> Building fixture image {tag}", file=sys.stderr)
        run("docker", "build", "-q", "--build-arg", f"BASE_IMAGE={BASE_IMAGE}", "-t", tag, str(context), capture=False,
            stdout=subprocess.DEVNULL)
    return tag


def ensure_network(network):
    if docker("network", "inspect", network, check=False).returncode != 0:
        docker("network", "create", "--label", f"{LABEL}=network", network)


def connect(container, network, alias):
    ensure_network(network)
    info = json.loads(docker("inspect", container).stdout)[0]
    if network not in info["NetworkSettings"]["Networks"]:
        docker("network", "connect", "--alias", alias, network, container)


def published_port(container, port):
    out = docker("port", container, f"{port}/tcp").stdout.split()
    for binding in out:
        if binding.startswith("127.0.0.1:"):
            return int(binding.rsplit(":", 1)[1])
    raise RuntimeError(f"{container}: port {port} is not published on 127.0.0.1")


def wait_for_port(port, timeout=30):
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port} after {timeout}s")


@contextlib.contextmanager
def locked(container):
    """Hold the machine-wide lock of CONTAINER: test runs share fixture
    containers (names are global to the engine) and may start or stop one at
    the same moment."""
    with open(f"/tmp/flaskdeploy-fixture-{container}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def start_service(container, fixture, port, networks, alias):
    """Run fixtures/<fixture> as CONTAINER unless it runs already, publish PORT
    on 127.0.0.1, join NETWORKS under ALIAS and wait until it answers."""
    ensure_engine()
    with locked(container):
        state = docker("inspect", "-f", "{{.State.Running}}", container, check=False)
        if state.returncode != 0 or state.stdout.strip() != "true":
            docker("rm", "-f", container, check=False)
            docker("run", "-d", "--name", container, "--label", f"{LABEL}={fixture}",
                   "-p", f"127.0.0.1::{port}", build_image(fixture))
        for network in networks:
            connect(container, network, alias)
    wait_for_port(published_port(container, port))


class Service:
    """A fixture container shared by every network it joins (see start_service)."""

    fixture = alias = None
    service_port = None

    @property
    def container(self):
        return f"flaskdeploy-{self.fixture}"

    def up(self, networks=()):
        start_service(self.container, self.fixture, self.service_port, networks, self.alias)
        return self

    def down(self, networks=()):
        """Leave NETWORKS; remove the container once it serves no other
        network (or at once when no network is named)."""
        with locked(self.container):
            for network in networks:
                docker("network", "disconnect", "-f", network, self.container, check=False)
            if networks:
                info = docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", self.container, check=False)
                if info.returncode == 0 and set(json.loads(info.stdout)) - {"bridge"}:
                    return
            docker("rm", "-f", self.container, check=False)

    @property
    def port(self):
        return published_port(self.container, self.service_port)


class GitServer(Service):
    """`git daemon` in a container; repositories under /srv/git."""

    fixture, alias, service_port = "gitserver", "gitserver", 9418

    def push_url(self, name):
        return f"git://127.0.0.1:{self.port}/{name}.git"

    @staticmethod
    def clone_url(name):
        """The URL target hosts use."""
        return f"git://gitserver/{name}.git"

    def ensure_repo(self, name):
        path = f"/srv/git/{name}.git"
        if docker("exec", self.container, "test", "-d", path, check=False).returncode != 0:
            docker("exec", self.container, "git", "init", "-q", "--bare", "-b", "main", path)

    def checkout(self, name, workdir):
        """A working copy of NAME's main branch (empty if it has no commit)."""
        self.ensure_repo(name)
        git = _git(workdir)
        git("init", "-q", "-b", "main")
        git("remote", "add", "origin", self.push_url(name))
        if run("git", "-C", str(workdir), "fetch", "-q", "origin", "main", check=False).returncode == 0:
            git("reset", "-q", "--hard", "origin/main")
        return git

    def publish(self, name, source):
        """Make NAME's main branch hold exactly SOURCE's files (git-ignored files
        excluded); commit only when something differs. Returns the commit id."""
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            git = self.checkout(name, work)
            for entry in work.iterdir():
                if entry.name != ".git":
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            _copy_tree(Path(source), work)
            return self._commit_and_push(git, f"Publish {Path(source).name}")

    def commit(self, name, files, message, remove=(), append=None):
        """Add a commit to NAME's main branch writing FILES ({path: text}),
        appending APPEND ({path: text}) to existing files and deleting REMOVE
        paths. Returns the commit id."""
        append = append or {}
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            git = self.checkout(name, work)
            for rel, text in files.items():
                target = work / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
            for rel, text in append.items():
                with (work / rel).open("a", encoding="utf-8") as target:
                    target.write(text)
            for rel in remove:
                (work / rel).unlink()
            return self._commit_and_push(git, message, allow_empty=not (files or append or remove))

    def head(self, name):
        out = run("git", "ls-remote", self.push_url(name), "refs/heads/main").stdout.split()
        return out[0] if out else None

    @staticmethod
    def _commit_and_push(git, message, allow_empty=False):
        git("add", "-A")
        if git("status", "--porcelain").stdout.strip() or allow_empty:
            git("commit", "-q", "--allow-empty", "-m", message)
            git("push", "-q", "origin", "HEAD:refs/heads/main")
        return git("rev-parse", "HEAD").stdout.strip()


class Pebble:
    """Let's Encrypt's ACME test server (Debian's `pebble`), one per network.

    It validates HTTP-01 challenges for real, on port 80 of the names it is
    asked for, resolved by the network's DNS: give the web server container
    those names as network aliases.
    """

    alias = "pebble"
    acme_port = 14000
    management_port = 15000
    # Pebble's own HTTPS certificate and its CA, made when the image is built.
    tls_ca_path = "/etc/pebble/ca.pem"

    def __init__(self, network=None):
        self.network = network or os.environ.get("MOLECULE_NETWORK") or "flaskdeploy-molecule"
        self.container = "flaskdeploy-pebble-" + self.network.removeprefix("flaskdeploy-")

    def up(self):
        ensure_engine()
        with locked(self.container):
            state = docker("inspect", "-f", "{{.State.Running}}", self.container, check=False)
            if state.returncode != 0 or state.stdout.strip() != "true":
                docker("rm", "-f", self.container, check=False)
                image = build_image("pebble")
                ensure_network(self.network)
                docker("run", "-d", "--name", self.container, "--label", f"{LABEL}=pebble",
                       "--network", self.network, "--network-alias", self.alias,
                       "-p", f"127.0.0.1::{self.acme_port}", "-p", f"127.0.0.1::{self.management_port}", image)
            else:
                connect(self.container, self.network, self.alias)
        self.root_ca()  # waits until the management API answers
        return self

    def down(self):
        with locked(self.container):
            docker("rm", "-f", self.container, check=False)
        self.ca_file.unlink(missing_ok=True)

    @property
    def directory_url(self):
        """The ACME directory, as hosts on the network see it."""
        return f"https://{self.alias}:{self.acme_port}/dir"

    @property
    def ca_pem(self):
        """The CA of pebble's own HTTPS certificate: ACME clients trust it."""
        return docker("exec", self.container, "cat", self.tls_ca_path).stdout

    @property
    def ca_file(self):
        return ROOT / ".cache" / "fixtures" / f"{self.container}-ca.pem"

    def write_ca_file(self):
        self.ca_file.parent.mkdir(parents=True, exist_ok=True)
        self.ca_file.write_text(self.ca_pem)
        return self.ca_file

    def _management(self, path, timeout=30):
        """GET https://127.0.0.1:<published 15000>/PATH, trusting pebble's CA."""
        import ssl
        import urllib.request

        context = ssl.create_default_context(cadata=self.ca_pem)
        url = f"https://127.0.0.1:{published_port(self.container, self.management_port)}{path}"
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(url, context=context, timeout=5) as response:
                    return response.read().decode()
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"pebble management API {url}: {exc}") from exc
                time.sleep(0.3)

    def root_ca(self):
        """PEM of the root that certificates issued by this pebble chain to."""
        return self._management("/roots/0")

    def intermediate_ca(self):
        """PEM of the intermediate that signs the issued certificates."""
        return self._management("/intermediates/0")

    def info(self):
        return {
            "container": self.container,
            "network": self.network,
            "alias": self.alias,
            "directory_url": self.directory_url,
            "ca_file": str(self.write_ca_file()),
            "ca_pem": self.ca_pem,
            "acme_port": published_port(self.container, self.acme_port),
            "management_port": published_port(self.container, self.management_port),
        }


class SmtpSink(Service):
    """aiosmtpd storing every message in a Maildir, read back with docker exec."""

    fixture, alias, service_port = "smtpsink", "smtp", 25

    def messages(self):
        import email

        listing = docker("exec", self.container, "sh", "-c",
                         "for f in /srv/mail/new/* /srv/mail/cur/*; do [ -f \"$f\" ] && echo \"$f\"; done",
                         check=False).stdout.split()
        return [email.message_from_string(docker("exec", self.container, "cat", path).stdout)
                for path in sorted(listing)]


class S3:
    """moto's S3 in server mode, behind nginx for TLS, one per network."""

    alias = "s3"
    https_port = 443
    region = "us-east-1"
    # moto accepts any key; pgBackRest and boto3 still sign with these.
    access_key = "flaskdeploy-test"
    secret_key = "flaskdeploy-test-secret"

    def __init__(self, network=None):
        self.network = network or os.environ.get("MOLECULE_NETWORK") or "flaskdeploy-molecule"
        self.container = "flaskdeploy-s3-" + self.network.removeprefix("flaskdeploy-")
        self.tls_dir = ROOT / ".cache" / "fixtures" / self.container

    def up(self, buckets=()):
        ensure_engine()
        with locked(self.container):
            state = docker("inspect", "-f", "{{.State.Running}}", self.container, check=False)
            if state.returncode != 0 or state.stdout.strip() != "true":
                docker("rm", "-f", self.container, check=False)
                self._make_certificate()
                ensure_network(self.network)
                docker("run", "-d", "--name", self.container, "--label", f"{LABEL}=s3",
                       "--network", self.network, "--network-alias", self.alias,
                       "-p", f"127.0.0.1::{self.https_port}", *self._python_mounts(),
                       "-v", f"{self.tls_dir}:/etc/s3:ro", build_image("s3"))
            # A store another checkout started has its own CA: keep a copy here.
            ca = docker("exec", self.container, "cat", "/etc/s3/ca.pem").stdout
            if not self.ca_file.exists() or self.ca_file.read_text() != ca:
                self.tls_dir.mkdir(parents=True, exist_ok=True)
                self.ca_file.write_text(ca)
        client = self.client()
        deadline = time.monotonic() + 30
        while True:
            try:
                existing = {b["Name"] for b in client.list_buckets()["Buckets"]}
                break
            except Exception:  # noqa: BLE001 - not answering yet
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.container} does not answer:\n"
                                       + docker("logs", "--tail", "20", self.container, check=False).stderr)
                time.sleep(0.3)
        for bucket in set(buckets) - existing:
            client.create_bucket(Bucket=bucket)
        return self

    def down(self):
        with locked(self.container):
            docker("rm", "-f", self.container, check=False)

    @staticmethod
    def _python_mounts():
        """The controller's virtualenv (moto) and the interpreter it was
        made from, read-only at the same paths; Debian's own /usr is the
        image's already."""
        venv = ROOT / ".venv"
        home = Path(dict(line.split(" = ", 1) for line in (venv / "pyvenv.cfg").read_text().splitlines()
                         if " = " in line)["home"])
        prefix = home.parent
        mounts = ["-v", f"{venv}:{venv}:ro", "-e", f"MOTO_PYTHON={venv}/bin/python3"]
        if not str(prefix).startswith("/usr"):
            mounts += ["-v", f"{prefix}:{prefix}:ro"]
        return mounts

    def _make_certificate(self):
        """A throwaway CA (its key deleted) and a server certificate for the
        names clients use: `s3` on the network, 127.0.0.1 for the controller."""
        if (self.tls_dir / "cert.pem").exists():
            return
        self.tls_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            (work / "server.ext").write_text(
                "basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n"
                "extendedKeyUsage = serverAuth\nsubjectAltName = DNS:s3, DNS:localhost, IP:127.0.0.1\n")
            ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
            run("openssl", "req", "-x509", *ec, "-days", "3650", "-subj", "/CN=flaskdeploy S3 fixture TLS CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout", str(work / "ca.key"), "-out", str(self.tls_dir / "ca.pem"))
            run("openssl", "req", "-new", *ec, "-subj", "/CN=s3", "-keyout", str(self.tls_dir / "key.pem"),
                "-out", str(work / "server.csr"))
            run("openssl", "x509", "-req", "-in", str(work / "server.csr"), "-CA", str(self.tls_dir / "ca.pem"),
                "-CAkey", str(work / "ca.key"), "-CAcreateserial", "-days", "3650",
                "-extfile", str(work / "server.ext"), "-out", str(self.tls_dir / "cert.pem"))
        for name in ("ca.pem", "cert.pem", "key.pem"):
            (self.tls_dir / name).chmod(0o644)

    @property
    def ca_file(self):
        return self.tls_dir / "ca.pem"

    @property
    def port(self):
        return published_port(self.container, self.https_port)

    def client(self):
        """boto3's S3 client, from the controller through the published port."""
        import boto3

        return boto3.client("s3", endpoint_url=f"https://127.0.0.1:{self.port}", region_name=self.region,
                            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
                            verify=str(self.ca_file))

    def info(self):
        return {"container": self.container, "network": self.network, "endpoint": self.alias,
                "port": self.port, "region": self.region, "ca_file": str(self.ca_file),
                "access_key": self.access_key, "secret_key": self.secret_key}


def _git(workdir):
    env = dict(os.environ, GIT_AUTHOR_NAME="flaskdeploy tests", GIT_AUTHOR_EMAIL="tests@flaskdeploy.invalid",
               GIT_COMMITTER_NAME="flaskdeploy tests", GIT_COMMITTER_EMAIL="tests@flaskdeploy.invalid")

    def git(*args):
        return run("git", "-C", str(workdir), *args, env=env)

    return git


def _copy_tree(source, dest):
    """Copy the files git would track in SOURCE (honours its .gitignore)."""
    listed = run("git", "-C", str(source), "ls-files", "--cached", "--others", "--exclude-standard", "-z", ".",
                 check=False)
    if listed.returncode == 0:
        files = [f for f in listed.stdout.split("\0") if f and (source / f).is_file()]
    else:
        files = [str(p.relative_to(source)) for p in source.rglob("*") if p.is_file()]
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, target)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="fixture", required=True)
    git = sub.add_parser("gitserver").add_subparsers(dest="action", required=True)
    up = git.add_parser("up")
    up.add_argument("--network", action="append", default=[])
    git.add_parser("down").add_argument("--network", action="append", default=[])
    publish = git.add_parser("publish")
    publish.add_argument("name")
    publish.add_argument("source")
    pebble = sub.add_parser("pebble").add_subparsers(dest="action", required=True)
    for action in ("up", "roots", "down"):
        pebble.add_parser(action).add_argument("--network", help="Docker network (default: $MOLECULE_NETWORK)")
    smtp = sub.add_parser("smtp").add_subparsers(dest="action", required=True)
    smtp.add_parser("up").add_argument("--network", action="append", default=[])
    smtp.add_parser("messages")
    smtp.add_parser("down").add_argument("--network", action="append", default=[])
    s3 = sub.add_parser("s3").add_subparsers(dest="action", required=True)
    s3_up = s3.add_parser("up")
    s3_up.add_argument("--network", help="Docker network (default: $MOLECULE_NETWORK)")
    s3_up.add_argument("--bucket", action="append", default=[], help="a bucket to create when missing")
    s3.add_parser("down").add_argument("--network", help="Docker network (default: $MOLECULE_NETWORK)")
    args = parser.parse_args(argv)

    if args.fixture == "pebble":
        return pebble_main(args)
    if args.fixture == "smtp":
        return smtp_main(args)
    if args.fixture == "s3":
        store = S3(args.network)
        if args.action == "up":
            print(json.dumps(store.up(args.bucket).info(), indent=2))
        else:
            store.down()
        return 0
    server = GitServer()
    if args.action == "up":
        server.up(args.network)
        print(json.dumps({"push_port": server.port, "alias": server.alias}))
    elif args.action == "down":
        server.down(args.network)
    elif args.action == "publish":
        print(server.publish(args.name, args.source))
    return 0


def pebble_main(args):
    acme = Pebble(args.network)
    if args.action == "up":
        print(json.dumps(acme.up().info(), indent=2))
    elif args.action == "roots":
        print(json.dumps({"root": acme.root_ca(), "intermediate": acme.intermediate_ca()}, indent=2))
    elif args.action == "down":
        acme.down()
    return 0


def smtp_main(args):
    sink = SmtpSink()
    if args.action == "up":
        sink.up(args.network)
        print(json.dumps({"alias": sink.alias, "port": 25}))
    elif args.action == "messages":
        for message in sink.messages():
            print(f"To: {message['To']}\nSubject: {message['Subject']}\n\n{message.get_payload()}\n---")
    elif args.action == "down":
        sink.down(args.network)
    return 0


if __name__ == "__main__":
    sys.exit(main())
