"""A real Celery worker process, on Redis and PostgreSQL, checks and imports an upload end to end, and a worker
killed half-way through an import leaves no rows behind and the job is finished by the next worker."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg2
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from controlroom.celery import app
from members import services
from members.models import Member, Upload
from tests.conftest import login
from tests.members.conftest import latest_upload, post_upload
from tests.members.corpus import HEAD, csv_text

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`celery -A controlroom worker` in its own process, against the test database."""

    def __init__(self, settings, log: Path):
        self.log = log
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "PRIVATE_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        }
        command = [sys.executable, "-m", "celery", "-A", "controlroom", "worker", "--pool=solo", "--loglevel=INFO"]
        with log.open("ab") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        self._wait_for("ready.")

    def _wait_for(self, text: str, timeout=60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log.read_text(errors="replace"):
                return
            assert self.process.poll() is None, self.log.read_text(errors="replace")
            time.sleep(0.1)
        raise AssertionError(f"worker never said {text!r}:\n{self.log.read_text(errors='replace')}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def start_worker(settings, tmp_path):
    app.conf.task_always_eager = False
    app.control.purge()
    workers = []

    def start() -> Worker:
        workers.append(Worker(settings, tmp_path / "worker.log"))
        return workers[-1]

    yield start
    for worker in workers:
        worker.kill()


def wait_for_status(upload, status, timeout=60) -> Upload:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        upload.refresh_from_db()
        if upload.status == status:
            return upload
        assert upload.status != Upload.Status.FAILED, upload.error_code
        time.sleep(0.1)
    raise AssertionError(f"upload stayed {upload.status}, expected {status}")


def _rows(count: int) -> bytes:
    return csv_text([HEAD] + [[f"सदस्य {i}", f"9{100000000 + i}", f"गांव {i % 300}", ""] for i in range(count)]).encode()


def test_a_worker_checks_and_imports_an_upload(client, cast, patna_president, start_worker):
    start_worker()
    login(client, patna_president)
    post_upload(client, _rows(500))
    upload = wait_for_status(latest_upload(), Upload.Status.VALIDATED)
    assert (upload.rows, upload.valid, upload.new_villages) == (500, 500, 300)

    client.post(reverse("members:upload_confirm", args=[upload.pk]))
    upload = wait_for_status(upload, Upload.Status.IMPORTED)
    assert upload.imported == Member.objects.filter(upload=upload).count() == 500


def _backend_waiting_on(statement: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND wait_event_type = 'Lock' AND query LIKE %s",
            [f"%{statement}%"],
        )
        return cursor.fetchone()[0] > 0


def _worker_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND state <> 'idle'"
        )
        return cursor.fetchone()[0]


def test_a_worker_killed_mid_import_leaves_no_rows_and_the_next_worker_imports_once(
    client, cast, patna, patna_president, start_worker
):
    worker = start_worker()
    login(client, patna_president)
    post_upload(client, _rows(2_000))
    upload = wait_for_status(latest_upload(), Upload.Status.VALIDATED)
    villages_before = patna.villages.count()

    # Hold up the import inside its transaction, just as it starts inserting members, then kill the worker.
    blocker = psycopg2.connect(_database_url().replace("postgres://", "postgresql://"))
    blocker.cursor().execute("LOCK TABLE members_member IN SHARE MODE")
    client.post(reverse("members:upload_confirm", args=[upload.pk]))
    deadline = time.monotonic() + 30
    while not _backend_waiting_on("INSERT INTO members_member"):
        assert time.monotonic() < deadline, "the import never reached the members"
        time.sleep(0.05)
    worker.kill()
    blocker.rollback()
    blocker.close()
    deadline = time.monotonic() + 30
    while _worker_backends():
        assert time.monotonic() < deadline
        time.sleep(0.05)

    upload.refresh_from_db()
    assert upload.status == Upload.Status.IMPORTING
    assert not Member.objects.filter(upload=upload).exists()
    assert patna.villages.count() == villages_before, "the villages it created went with the transaction"

    # Recovered before the next worker starts: once started, it may take the killed worker's task message back
    # first, and hold the upload's lock, which the recovery rightly passes over.
    assert services.uploads_recover_stuck(now=timezone.now() + timedelta(hours=1)) == {"retried": 1, "failed": 0}
    start_worker()
    upload = wait_for_status(upload, Upload.Status.IMPORTED)
    assert upload.imported == Member.objects.filter(upload=upload).count() == 2_000
    assert upload.attempts == 1
