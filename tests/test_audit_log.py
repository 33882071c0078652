"""The audit log: read-only in the admin for everyone, append-only in PostgreSQL, kept a year, then purged."""

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from controlroom.models import AuditEvent
from controlroom.tasks import audit_purge_task
from districts.models import User
from tests.conftest import login

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
ADMIN = "/admin/controlroom/auditevent/"


def event(days_old=0, **fields):
    """An event created `days_old` days ago: the clock is moved, since the database refuses to backdate a row."""
    fields = {"action": AuditEvent.Action.EXPORT, "what": "rollup", **fields}
    with time_machine.travel(timezone.now() - timedelta(days=days_old), tick=False):
        return AuditEvent.objects.create(**fields)


def call_command_output(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- the admin ------------------------------------------------------------------------------------------


def test_a_supervisor_reads_the_log_in_the_admin(client, supervisor, patna_president):
    event(actor=patna_president, action=AuditEvent.Action.CORRECT, what="member 17")
    event(action=AuditEvent.Action.LOGIN_FAILED, what="someone")
    login(client, supervisor)
    assert client.get("/admin/").status_code == 200
    response = client.get(ADMIN)
    assert response.status_code == 200
    assert "member 17" in response.content.decode()
    filtered = client.get(ADMIN, {"action": "correct", "actor__role": "president"})
    assert [e.what for e in filtered.context["cl"].result_list] == ["member 17"]
    searched = client.get(ADMIN, {"q": "president.patna"})
    assert [e.what for e in searched.context["cl"].result_list] == ["member 17"]


def test_staff_who_are_not_supervisors_do_not_see_the_log(client, state_leader):
    state_leader.is_staff = True
    state_leader.save(update_fields=["is_staff"])
    assert login(client, state_leader).get(ADMIN).status_code == 403


@pytest.mark.parametrize("who", ["supervisor", "superuser"])
def test_the_change_form_has_no_save_and_no_delete(client, request, who):
    shown = event(what="rollup export")
    login(client, request.getfixturevalue(who))
    response = client.get(f"{ADMIN}{shown.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "rollup export" in html
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert "/delete/" not in html
    assert client.post(f"{ADMIN}{shown.pk}/change/", {"what": "changed"}).status_code == 403
    shown.refresh_from_db()
    assert shown.what == "rollup export"


@pytest.mark.parametrize("who", ["supervisor", "superuser"])
def test_nobody_adds_or_deletes_events_in_the_admin(client, request, who):
    kept = event()
    login(client, request.getfixturevalue(who))
    assert client.get(f"{ADMIN}{kept.pk}/delete/").status_code == 403
    assert client.post(f"{ADMIN}{kept.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{ADMIN}add/").status_code == 403
    assert client.get(ADMIN).context["action_form"] is None, "no actions, so no bulk delete"
    client.post(ADMIN, {"action": "delete_selected", "_selected_action": [kept.pk], "post": "yes"})
    assert AuditEvent.objects.filter(pk=kept.pk).exists()


# --- users who appear in the log --------------------------------------------------------------------------


def test_a_user_in_the_log_cannot_be_deleted_only_deactivated(client, superuser, patna_president):
    event(actor=patna_president, action=AuditEvent.Action.CORRECT, what="member 17")
    login(client, superuser)
    page = client.get(f"/admin/districts/user/{patna_president.pk}/delete/")
    assert page.status_code == 200
    assert page.context["protected"], "the page lists the audit events that keep the user"
    assert client.post(f"/admin/districts/user/{patna_president.pk}/delete/", {"post": "yes"}).status_code == 200
    assert User.objects.filter(pk=patna_president.pk).exists()
    with pytest.raises(ProtectedError):
        patna_president.delete()


def test_a_user_who_never_appears_in_the_log_can_be_deleted(client, superuser):
    newcomer = User.objects.create_user(username="newcomer", password="x" * 12)
    login(client, superuser)
    response = client.post(f"/admin/districts/user/{newcomer.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=newcomer.pk).exists()


# --- retention ----------------------------------------------------------------------------------------------


def test_audit_purge_deletes_only_events_past_the_retention_period(patna_president):
    old = event(days_old=400, actor=patna_president)
    almost = event(days_old=364)
    fresh = event()
    out = call_command_output("audit_purge")
    assert set(AuditEvent.objects.values_list("pk", flat=True)) == {almost.pk, fresh.pk}
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert "1 audit events older than 365 days deleted" in out
    assert "0 audit events" in call_command_output("audit_purge"), "a rerun finds nothing"


def test_a_longer_retention_keeps_more(settings):
    settings.AUDIT_RETENTION_DAYS = 500
    kept, gone = event(days_old=400), event(days_old=501)
    call_command_output("audit_purge")
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not AuditEvent.objects.filter(pk=gone.pk).exists()


def test_the_purge_runs_every_night_from_beat(settings):
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "controlroom.tasks.audit_purge_task")
    assert not entry.get("args") and not entry.get("kwargs")
    event(days_old=400)
    assert audit_purge_task.delay().get() == 1


def test_the_settings_refuse_a_retention_under_a_year():
    env = {**os.environ, "DEBUG": "1", "AUDIT_RETENTION_DAYS": "364"}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "AUDIT_RETENTION_DAYS must be at least 365" in result.stderr


# --- the database itself (PostgreSQL) --------------------------------------------------------------------


@pytest.mark.postgres
def test_the_trigger_is_installed():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'controlroom_auditevent'::regclass AND NOT tgisinternal"
        )
        assert [row[0] for row in cursor.fetchall()] == ["controlroom_auditevent_guard"]


@pytest.mark.postgres
def test_the_database_refuses_to_change_an_event(patna_president):
    fresh, old = event(actor=patna_president), event(days_old=400)
    for change in (
        lambda: AuditEvent.objects.filter(pk=fresh.pk).update(what="edited"),
        lambda: AuditEvent.objects.filter(pk=old.pk).update(what="edited"),
        lambda: AuditEvent.objects.filter(pk=fresh.pk).update(actor=None),
        lambda: AuditEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=800)),
    ):
        with pytest.raises(DatabaseError, match="cannot be changed"), transaction.atomic():
            change()
    fresh.what = "edited"
    with pytest.raises(DatabaseError), transaction.atomic():
        fresh.save()
    fresh.refresh_from_db()
    assert (fresh.what, fresh.actor) == ("rollup", patna_president)


@pytest.mark.postgres
def test_the_database_refuses_to_delete_an_event_younger_than_a_year():
    fresh, almost = event(), event(days_old=364)
    for delete in (
        fresh.delete,
        almost.delete,
        lambda: AuditEvent.objects.all().delete(),
        lambda: connection.cursor().execute("DELETE FROM controlroom_auditevent"),
    ):
        with pytest.raises(DatabaseError, match="kept for 365 days"), transaction.atomic():
            delete()
    assert AuditEvent.objects.count() == 2


@pytest.mark.postgres
def test_the_database_lets_an_event_older_than_a_year_go():
    old = event(days_old=400)
    old.delete()
    assert not AuditEvent.objects.exists()


def test_an_event_is_named_in_local_time_and_words_as_its_list_shows_it(db):
    """Its page's title and breadcrumb said "2026-12-01 15:20 login": the time in UTC, the action as stored."""
    import datetime

    from django.utils import translation

    from controlroom.models import AuditEvent

    with time_machine.travel(datetime.datetime(2026, 12, 1, 15, 20, tzinfo=datetime.UTC), tick=False):
        event = AuditEvent.objects.create(action=AuditEvent.Action.LOGIN_FAILED, what="operator1")
    with translation.override("en"):
        assert str(event) == "2026-12-01 20:50 Failed login operator1"
