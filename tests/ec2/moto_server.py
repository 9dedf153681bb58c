"""A moto server on 127.0.0.1 that plays AWS EC2 for the provisioning tests.

It starts with the AMIs of ``amis.json`` only (MOTO_AMIS_PATH): Debian's
images under Debian's real owner id, so the playbook's default owner and name
pattern are the ones tested, plus decoys the lookup must not pick. Every API
request is recorded (MOTO_ENABLE_RECORDING), so a test can prove that a run
sent none. Credentials are fake and only ever in the environment of the
commands the tests start; nothing leaves 127.0.0.1.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3

HERE = Path(__file__).resolve().parent
REGION = "eu-central-1"
PROJECT_TAG = "flaskdeploy_project"

# Variables that could make a run reach real AWS, pick up someone's real
# credentials or route 127.0.0.1 through a proxy.
_SCRUBBED = (
    "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_URL", "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_EC2", "AWS_REGION", "AWS_DEFAULT_REGION", "FLASKDEPLOY_PROJECT",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
)


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoServer:
    """moto_server in a child process; stop() ends it."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.recording = self.workdir / "moto-requests.jsonl"
        self.log = self.workdir / "moto-server.log"
        self.process = None

    def start(self, timeout=30):
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
        env.update(
            MOTO_AMIS_PATH=str(HERE / "amis.json"),
            MOTO_ENABLE_RECORDING="true",
            MOTO_RECORDER_FILEPATH=str(self.recording),
        )
        self.recording.touch()
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto server exited {self.process.returncode}:\n{self.log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"moto server did not answer on port {self.port} within {timeout}s")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def api_requests(self):
        """Number of AWS API requests the server has received so far."""
        lines = [json.loads(line) for line in self.recording.read_text().splitlines() if line.strip()]
        return len([entry for entry in lines if "/moto-api/" not in entry["url"]])

    def ec2(self):
        return boto3.client(
            "ec2", endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )

    @contextlib.contextmanager
    def environment(self, credentials=True, **extra):
        """os.environ as the commands run by conftest.ansible() should see it.

        credentials=False leaves every AWS credential out (but keeps the
        inventory's endpoint pointed here, so a stray call would be recorded).
        """
        saved = dict(os.environ)
        try:
            for name in _SCRUBBED:
                os.environ.pop(name, None)
            os.environ.update(
                AWS_REGION=REGION,
                AWS_EC2_METADATA_DISABLED="true",
                AWS_CONFIG_FILE=str(self.workdir / "no-aws-config"),
                AWS_SHARED_CREDENTIALS_FILE=str(self.workdir / "no-aws-credentials"),
                NO_PROXY="127.0.0.1,localhost",
                no_proxy="127.0.0.1,localhost",
            )
            if credentials:
                os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
            os.environ.update({k: str(v) for k, v in extra.items()})
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)


def tagged(items, key="Tags"):
    """{tag: value} of a boto3 resource description."""
    return {tag["Key"]: tag["Value"] for tag in items.get(key, [])}


def project_filter(project):
    return [{"Name": f"tag:{PROJECT_TAG}", "Values": [project]}]


def live_instances(ec2, filters):
    reservations = ec2.describe_instances(
        Filters=filters + [{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}]
    )["Reservations"]
    return [instance for reservation in reservations for instance in reservation["Instances"]]


def recap(stdout):
    """The PLAY RECAP counters of localhost: {'ok': 30, 'changed': 0, ...}."""
    for line in stdout.splitlines():
        if line.startswith("localhost") and "changed=" in line:
            return {key: int(value) for key, value in (field.split("=") for field in line.split()[2:])}
    raise AssertionError(f"no PLAY RECAP line for localhost in:\n{stdout[-3000:]}")
