"""Data safety on the second cloud of `make test` (make cloud-corpus): the
database's continuous backups to the cloud's S3 store (moto, on the cloud's
network, over TLS), a point-in-time restore under load, what the bucket
holds, and the teardown that refuses without a recent backup."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
import uuid

from conftest import CLOUD, HTTP_PORT, INVENTORY, PLAYBOOK_LOGS, run
from fixtures import S3

DATABASE = "sampleapp"
BUCKET = "flaskdeploy-backups"
# The drill's writer: one row per transaction, each under advisory lock 42,
# so that a reader holding that lock sees no write half done.
WRITER = """#!/bin/sh
# drill_pitr writer, bounded: 4000 rows at most.
for i in $(seq 1 4000); do
    runuser -u postgres -- psql -qX -d {db} -c \
        "BEGIN; SELECT pg_advisory_xact_lock(42); INSERT INTO drill_pitr (note) VALUES ('row'); COMMIT;" \
        >/dev/null 2>&1 || exit 0
    sleep 0.03
done
"""


class Poller:
    """GET / on the load balancer every 50 ms (bounded): each answer's time,
    status and whether it is the maintenance page."""

    def __init__(self, limit: int = 6000):
        self.answers: list[tuple[float, int | str, bool]] = []
        self.limit = limit
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self.stopped.is_set() and len(self.answers) < self.limit:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{HTTP_PORT}/", timeout=5) as response:
                    self.answers.append((time.monotonic(), response.status, False))
            except urllib.error.HTTPError as error:
                body = error.read().decode(errors="replace")
                self.answers.append((time.monotonic(), error.code, "Down for maintenance" in body))
            except OSError as error:
                self.answers.append((time.monotonic(), type(error).__name__, False))
            time.sleep(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join(timeout=10)


def test_point_in_time_restore_under_load(cloud, drill):
    """PITR to T with rows written all along, the site in maintenance meanwhile: the count at T comes back, no other 5xx"""
    cloud.sql("DROP TABLE IF EXISTS drill_pitr; "
              "CREATE TABLE drill_pitr (id bigserial PRIMARY KEY, note text, at timestamptz DEFAULT clock_timestamp())",
              DATABASE)
    cloud.exec("db1", "sh", "-c", "cat > /root/drill-writer.sh", input=WRITER.format(db=DATABASE))
    run("docker", "exec", "-d", cloud.container("db1"), "sh", "/root/drill-writer.sh")
    cloud.wait_for(lambda: int(cloud.sql("SELECT count(*) FROM drill_pitr", DATABASE)[0][0]) > 20,
                   timeout=60, what="the writer's first rows")

    full = cloud.cli("backup", "--type", "full").run()
    assert full.returncode == 0, full.tail()
    time.sleep(3)
    # T and the count at T, read while no write is half done.
    out = cloud.exec("db1", "runuser", "-u", "postgres", "--", "psql", "-qXAt", "-d", DATABASE, "-c",
                     "SELECT pg_advisory_lock(42)", "-c",
                     "SELECT clock_timestamp()::text || '|' || count(*) FROM drill_pitr", "-c",
                     "SELECT pg_advisory_unlock(42)")
    moment, count_at_t = next(line for line in out.splitlines() if "|" in line).split("|")
    time.sleep(3)
    cloud.exec("db1", "pkill", "-f", "drill-writer", check=False)
    count_before_drop = int(cloud.sql("SELECT count(*) FROM drill_pitr", DATABASE)[0][0])
    cloud.sql("DROP TABLE drill_pitr", DATABASE)

    with Poller() as poller:
        time.sleep(1)
        began = time.monotonic()
        restore = cloud.playbook("postgresql-restore.yml", "-e", json.dumps(
            {"restore_target_time": moment, "confirm_restore": "yes"})).run()
        ended = time.monotonic()
        restore_s = round(ended - began, 1)
        time.sleep(4)
    restored = int(cloud.sql("SELECT count(*) FROM drill_pitr", DATABASE)[0][0])
    kept = [row[0] for row in cloud.sql("SELECT datname FROM pg_database WHERE datname LIKE 'sampleapp_before_restore_%'", "postgres")]
    statuses = {str(status) for _, status, maintenance in poller.answers if not maintenance}
    after = [status for at, status, _ in poller.answers if at > ended]
    took = re.search(r"restored in ([\d.]+) s", " ".join(restore.output.split()))
    print(f"\nPITR drill: {count_at_t} rows at T, {restored} after the restore; "
          f"the database restored in {took.group(1) if took else '?'} s, the playbook took {restore_s} s")
    drill.update(restore_s=float(took.group(1)) if took else None, playbook_s=restore_s, target_time=moment,
                 rows_at_t=int(count_at_t), rows_before_drop=count_before_drop,
                 rows_restored=restored, requests_sent=len(poller.answers),
                 requests_failed=sum(1 for _, status, m in poller.answers if status != 200 and not m),
                 maintenance_answers=sum(1 for *_, m in poller.answers if m))
    assert restore.returncode == 0, restore.tail()
    assert count_before_drop > int(count_at_t), "rows were written after T"
    assert restored == int(count_at_t), f"restored {restored} rows, {count_at_t} were there at {moment}"
    assert kept, "the replaced database is kept"
    assert drill["maintenance_answers"] > 0, "the maintenance page answered during the restore"
    assert statuses == {"200"}, f"only 200 or the maintenance page: {statuses}"
    assert after and set(after) == {200}, "every request answered once maintenance is off"
    for name in kept:
        cloud.sql(f'DROP DATABASE "{name}"', "postgres")


def test_the_bucket_holds_no_plain_text(cloud, drill):
    """Encryption: a known string written into a row is in the data files, in no object of the bucket"""
    canary = f"flaskdeploy-canary-{uuid.uuid4().hex}"
    cloud.sql(f"CREATE TABLE IF NOT EXISTS drill_canary (note text); INSERT INTO drill_canary VALUES ('{canary}'); "
              "CHECKPOINT", DATABASE)
    backup = cloud.playbook("backup.yml", "-e", "backup_type=full").run()
    assert backup.returncode == 0, backup.tail()
    in_data_files = cloud.exec("db1", "grep", "-rlF", canary, "/var/lib/postgresql/15/main/base", check=False)
    store = S3(CLOUD["local_cloud_network"]).client()
    keys, plain, total = [], [], 0
    for page in store.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            body = store.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
            keys.append(item["Key"])
            total += len(body)
            if canary.encode() in body or b"drill_canary" in body:
                plain.append(item["Key"])
    drill.update(objects=len(keys), bytes=total, objects_with_plain_text=len(plain))
    assert in_data_files, "the canary is in the database's own files (the search can find it)"
    assert any("/backup/" in key for key in keys) and any("/archive/" in key for key in keys), keys[:10]
    assert not plain, f"plain text in {plain[:5]}"


def test_teardown_refuses_without_a_recent_backup(cloud, drill):
    """Teardown: refused when the newest backup in the bucket is too old; allowed (check mode) when recent"""
    refused = run("ansible-playbook", "-i", str(INVENTORY), "playbooks/teardown-local.yml", "-e",
                  json.dumps({**CLOUD, "site_backup_max_age_minutes": 0}), check=False, timeout=300)
    output = refused.stdout + refused.stderr
    still_there = cloud.exec("db1", "true", check=False) == ""
    allowed = run("ansible-playbook", "-i", str(INVENTORY), "playbooks/teardown-local.yml", "--check", "-e",
                  json.dumps(CLOUD), check=False, timeout=300)
    drill.update(refused=refused.returncode != 0, allowed_in_check_mode=allowed.returncode == 0)
    assert refused.returncode != 0, output[-3000:]
    assert "Refusing to go on" in output and "s3://" + BUCKET in output, output[-3000:]
    assert still_there, "nothing was removed"
    assert allowed.returncode == 0, (allowed.stdout + allowed.stderr)[-3000:]
    assert f"in s3://{BUCKET}" in allowed.stdout


def test_status_shows_the_backups(cloud, drill):
    """flaskdeploy status: the last full backup, its age and the WAL archive's lag"""
    status = cloud.cli("status").run()
    assert status.returncode == 0, status.tail()
    text = " ".join(status.output.split())
    line = re.search(r"db1 backups: last full \d{8}-\d{6}F \d+ min ago \(last [^)]*\), WAL archived \d+ s ago, \d+ waiting, "
                     rf"in s3://{BUCKET}/\S+", text)
    drill["line"] = line.group(0) if line else None
    assert line, status.tail()


def test_release_task_leaves_a_restore_point(cloud, drill):
    """The release task is preceded by a restore point named after the release (the first converge's)"""
    first = getattr(cloud, "first_converge", None)
    output = first.output if first else (PLAYBOOK_LOGS / "001-site.log").read_text()
    marks = re.findall(r"TASK \[postgresql : Create the restore point (sampleapp-\d{14}-[0-9a-f]{7})\].*?\n(\w+): \[web\d -> db1",
                       output, re.S)
    drill["restore_points"] = [name for name, _ in marks]
    assert marks and all(result == "changed" for _, result in marks), output[-3000:]
    assert cloud.live_release("web1") in marks[0][0]


# Last: it destroys db1 and builds a new one from the bucket.
def test_rpo_when_the_database_host_is_lost(cloud, drill):
    """RPO: db1 destroyed mid-stream, a new db1 recovered from the bucket: the rows lost fit in the archive timeout"""
    import subprocess
    import threading

    cloud.sql("DROP TABLE IF EXISTS drill_rpo; "
              "CREATE TABLE drill_rpo (id bigserial PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())", DATABASE)
    writer = ("for i in $(seq 1 3000); do runuser -u postgres -- psql -qXAt -d " + DATABASE + " -c "
              "'INSERT INTO drill_rpo DEFAULT VALUES RETURNING id, extract(epoch FROM at)' -F ' ' || exit 0; "
              "sleep 0.05; done")
    # Each row the server acknowledged, as the controller saw it.
    stream = subprocess.Popen(["docker", "exec", cloud.container("db1"), "sh", "-c", writer],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    acked: list[tuple[int, float]] = []

    def read():
        for line in stream.stdout:
            fields = line.split()
            if len(fields) == 2:
                acked.append((int(fields[0]), float(fields[1])))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    # Longer than the archive timeout (20 s on the local cloud): some
    # segments reach the bucket on the timer, the rows after the last are lost.
    time.sleep(45)
    archiver = cloud.sql("SELECT last_archived_wal, last_archived_time, failed_count, last_failed_wal, "
                         "pg_walfile_name(pg_current_wal_lsn()) FROM pg_stat_archiver", "postgres")[0]
    run("docker", "rm", "-f", cloud.container("db1"))
    stream.wait(timeout=30)
    reader.join(timeout=10)
    began = time.monotonic()
    run("ansible-playbook", "playbooks/provision-local.yml", "-e", json.dumps(CLOUD), timeout=600)
    base = cloud.playbook("base.yml", "--limit", "db1").run()
    assert base.returncode == 0, base.tail()
    db = cloud.playbook("db.yml", "-e", "site_backup_recover=true").run()
    assert db.returncode == 0, db.tail()
    rebuilt_s = round(time.monotonic() - began, 1)
    count, last_id, last_at = cloud.sql(
        "SELECT count(*), coalesce(max(id), 0), coalesce(extract(epoch FROM max(at)), 0) FROM drill_rpo", DATABASE)[0]
    timeout = int(re.search(r"archive_timeout = '(\d+)'", cloud.exec(
        "db1", "cat", "/etc/postgresql/15/main/conf.d/50-postgresql-role.conf")).group(1))
    lost_rows = len(acked) - int(count)
    lost_s = round(acked[-1][1] - float(last_at), 1) if int(count) else None
    drill.update(archiver_at_loss=archiver, rows_acknowledged=len(acked), rows_recovered=int(count), rows_lost=lost_rows,
                 seconds_of_writes_lost=lost_s, archive_timeout_s=timeout, rebuild_s=rebuilt_s)
    print(f"\nRPO drill: {len(acked)} rows acknowledged, {count} recovered, {lost_rows} lost "
          f"({lost_s} s of writes; archive_timeout {timeout} s); new db1 rebuilt from the bucket in {rebuilt_s} s")
    assert acked and int(count) > 0, f"rows were written, and some came back (archiver at the loss: {archiver})"
    assert int(last_id) <= acked[-1][0] and int(count) == int(last_id) - (acked[0][0] - 1), \
        "the recovered rows are the first ones acknowledged, none missing in between"
    assert lost_s is not None and lost_s <= timeout + 5, f"{lost_s} s of writes lost, archive_timeout {timeout} s"
