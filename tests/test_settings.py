"""Production settings: `check --deploy` is clean, and what it does not check is checked here."""

import datetime
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.core import checks
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "prod-like-" + "k3Y9-x7Qz!m2Wv8#pL4s" * 3,
    "ALLOWED_HOSTS": "controlroom.example.org",
    "DATABASE_URL": "sqlite:////tmp/controlroom-settings-test.sqlite3",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
PRINT_SETTINGS = """
from django.conf import settings as s
print(s.ALLOWED_HOSTS, s.SESSION_COOKIE_AGE, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,
      s.SESSION_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT, s.CELERY_TASK_ALWAYS_EAGER, s.TIME_ZONE, s.LANGUAGE_CODE,
      s.PASSWORD_HASHERS[0].rsplit('.', 1)[-1], sep='|')
"""


def _manage(*args, env_overrides):
    dropped = ("DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_no_issues():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_production_values_that_check_deploy_does_not_cover():
    result = _manage("shell", "-c", PRINT_SETTINGS, env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    hosts, age, session_secure, csrf_secure, httponly, ssl, eager, tz, lang, hasher = result.stdout.strip().split("|")
    assert "*" not in hosts
    assert 8 * 3600 <= int(age) <= 12 * 3600, "a session should last about one shift"
    assert (session_secure, csrf_secure, httponly, ssl) == ("True", "True", "True", "True")
    assert eager == "False", "with REDIS_URL set, tasks go to the broker"
    assert (tz, lang) == ("Asia/Kolkata", "hi")
    assert hasher == "Argon2PasswordHasher"


@pytest.mark.parametrize("command", ["check", "makemigrations", "migrate"])
def test_secret_key_is_required_when_debug_is_off(command):
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = _manage(command, env_overrides=env)
    assert result.returncode != 0
    assert result.stderr.strip() == "Settings: SECRET_KEY must be set when DEBUG is off (set DEBUG=1 for development)."


def test_celery_runs_eagerly_without_redis():
    env = {"DEBUG": "1", "DATABASE_URL": PRODUCTION_ENV["DATABASE_URL"]}
    result = _manage("shell", "-c", PRINT_SETTINGS, env_overrides=env)
    assert result.stdout.strip().split("|")[6] == "True"


@pytest.mark.parametrize("hour", [9, 21])
def test_the_system_check_passes_at_any_time_of_day_even_when_calling_hours_begin_or_end(hour):
    # A fixed time as a default warns (fields.W161) when the check runs within ten seconds of it.
    with time_machine.travel(datetime.datetime(2026, 12, 1, hour, 0, 3, tzinfo=datetime.UTC), tick=False):
        found = [message.id for message in checks.run_checks() if message.id == "fields.W161"]
    assert found == []


TWO_WRITERS = """
import threading, time
from django.db import connection, transaction

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE outcome (id integer PRIMARY KEY, operator text)")
holding = threading.Event()

def first_operator():
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO outcome (operator) VALUES ('first')")
        holding.set()
        time.sleep(0.5)
    connection.close()

thread = threading.Thread(target=first_operator)
thread.start()
holding.wait()
with transaction.atomic(), connection.cursor() as cursor:  # reads, then writes, as marking an outcome does
    cursor.execute("SELECT count(*) FROM outcome")
    cursor.execute("INSERT INTO outcome (operator) VALUES ('second')")
thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT operator FROM outcome ORDER BY id")
    print(",".join(row[0] for row in cursor.fetchall()))
"""


def test_the_embedded_database_makes_a_second_writer_wait_rather_than_fail(tmp_path):
    """`make run` serves everyone trying it from one SQLite file. Two operators marking at once: the second
    waits for the first's transaction, where it used to fail with "database is locked" (a 503 page)."""
    env = {"DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    result = _manage("shell", "-c", TWO_WRITERS, env_overrides=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "first,second"


def test_uploads_are_purged_on_the_clock_so_restarting_beat_never_puts_the_purge_off():
    """An interval restarts with beat, and every deploy restarts beat: frequent deploys kept personal data forever."""
    schedule = settings.CELERY_BEAT_SCHEDULE["members-purge-old-uploads"]["schedule"]
    assert isinstance(schedule, crontab)
    beat_started = datetime.datetime(2026, 12, 1, 15, 36, tzinfo=ZoneInfo("Asia/Kolkata"))
    with time_machine.travel(beat_started, tick=False):
        assert schedule.remaining_estimate(timezone.now()) == datetime.timedelta(minutes=29), "at 16:05, not 21:36"


@pytest.mark.parametrize("missing, check_id", [("DATABASE_URL", "controlroom.W001"), ("REDIS_URL", "controlroom.W002")])
def test_check_deploy_warns_when_production_would_fall_back_to_sqlite_or_inline_tasks(missing, check_id):
    env = {name: value for name, value in PRODUCTION_ENV.items() if name != missing}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=env)
    assert result.returncode != 0
    assert f"({check_id}) {missing} is not set" in result.stderr, result.stderr
    assert result.stderr.count("(controlroom.W00") == 1, "only the one that is missing"


def test_only_a_production_process_is_warned_of_a_missing_service_and_only_by_check_deploy(settings, monkeypatch):
    from controlroom.apps import check_production_services

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    settings.DEBUG = True
    assert check_production_services() == []
    settings.DEBUG = False
    assert [warning.id for warning in check_production_services()] == ["controlroom.W001", "controlroom.W002"]
    assert not [message for message in checks.run_checks() if message.id.startswith("controlroom.")], (
        "only `check --deploy` warns"
    )


@pytest.mark.parametrize("name", sorted(settings.CELERY_BEAT_SCHEDULE))
def test_a_periodic_job_queued_while_the_workers_were_down_expires_instead_of_piling_up(name):
    entry = settings.CELERY_BEAT_SCHEDULE[name]
    expires = entry.get("options", {}).get("expires")
    assert expires and expires > 0, f"{name} has no expires: a worker outage queues a copy of it every run"
    schedule = entry["schedule"]
    if isinstance(schedule, crontab):
        assert expires <= 6 * 60 * 60, f"{name} runs on the clock: a copy late by more than a few hours is stale"
    else:
        assert expires <= schedule, f"{name} every {schedule} s: expires by the time the next one is queued"
