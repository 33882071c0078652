import datetime
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from calls.models import CallAttempt
from controlroom.roles import Role
from districts.models import District, User, Village
from members.models import Member, MemberStatus

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def development_mode(settings):
    """As `make run` and `make seed` seed: with DEBUG=1."""
    settings.DEBUG = True


def _snapshot():
    return {
        "districts": list(District.objects.values_list("code", "name_en", "name_hi")),
        "villages": Village.objects.count(),
        "members": list(Member.objects.values_list("mobile", "status", "updated_at").order_by("mobile")),
        "attempts": CallAttempt.objects.count(),
        "users": list(User.objects.values_list("username", "role", "password").order_by("username")),
    }


def test_seed_demo_builds_bihar_and_a_second_run_changes_nothing():
    call_command("seed_demo", stdout=None)
    first = _snapshot()
    call_command("seed_demo")
    assert _snapshot() == first

    assert len(first["districts"]) == 38
    assert all(re.search(r"[\u0900-\u097F]", name_hi) for _, _, name_hi in first["districts"])
    assert first["villages"] == 38 * 20
    assert len(first["members"]) == 5000
    assert all(re.fullmatch(r"[6-9]\d{9}", mobile) for mobile, _, _ in first["members"])
    roles = [role for _, role, _ in first["users"]]
    assert (roles.count(Role.OPERATOR), roles.count(Role.DISTRICT_PRESIDENT)) == (6, 2)
    assert (roles.count(Role.STATE_LEADER), roles.count(Role.SUPERVISOR)) == (1, 2)  # supervisor, admin


def test_seeding_again_after_a_number_was_corrected_enrols_nobody_twice(django_user_model):
    """`make run` seeds on every start: a demo member corrected on the rejects page is not enrolled again under
    their old number (which also crashed the seed, on the old number's call)."""
    from members import services

    call_command("seed_demo")
    wrong = Member.objects.filter(status=MemberStatus.WRONG_NUMBER).first()
    president = django_user_model.objects.get(username="president.patna")
    services.member_correct_number(member_id=wrong.pk, mobile="7000012345", actor=president)
    members = Member.objects.count()

    call_command("seed_demo")

    assert Member.objects.count() == members
    assert not Member.objects.filter(mobile=wrong.mobile).exists()


def test_seeded_presidents_lead_different_districts():
    call_command("seed_demo")
    presidents = User.objects.filter(role=Role.DISTRICT_PRESIDENT)
    assert sorted(d.code for p in presidents for d in p.districts.all()) == ["GAY", "PAT"]


def test_seed_demo_prints_a_login_per_role(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    for username in ("supervisor", "admin", "state.leader", "president.patna", "operator1"):
        assert username in out


def test_the_demo_supervisor_has_a_real_supervisors_rights_and_the_superuser_is_apart():
    """A superuser supervisor showed nobody what a supervisor added in the admin can and cannot do."""
    call_command("seed_demo")
    supervisor, admin = User.objects.get(username="supervisor"), User.objects.get(username="admin")
    assert (supervisor.is_staff, supervisor.is_superuser, admin.is_superuser) == (True, False, True)
    assert supervisor.has_perm("districts.change_callcentre") and not supervisor.has_perm("members.delete_member")


def test_demo_members_were_enrolled_before_they_were_called():
    call_command("seed_demo")
    attempts = CallAttempt.objects.select_related("member")
    assert attempts.exists()
    assert all(attempt.member.created_at < attempt.created_at for attempt in attempts)
    assert Member.objects.filter(attempt_count=0).exists(), "some are still waiting for their first call"


def test_demo_calls_were_made_within_calling_hours_and_none_in_the_future():
    call_command("seed_demo")
    times = [timezone.localtime(when) for when in CallAttempt.objects.values_list("created_at", flat=True)]
    assert all(datetime.time(9) <= when.time() < datetime.time(21) for when in times)
    assert max(times) < timezone.now()
    assert timezone.localdate() - min(times).date() == datetime.timedelta(days=13), "two weeks of trend"


def test_seed_demo_refuses_when_debug_is_off_and_writes_nothing(settings):
    """A production database must not get logins whose password is in the repository, a superuser among them."""
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--allow-production"):
        call_command("seed_demo")
    assert (District.objects.count(), User.objects.count(), Member.objects.count()) == (0, 0, 0)


def test_seed_demo_on_the_command_line_says_why_in_one_line_and_fails(tmp_path):
    database = tmp_path / "production.sqlite3"
    env = {key: value for key, value in os.environ.items() if key not in ("DEBUG", "REDIS_URL")}
    env.update(DEBUG="0", SECRET_KEY="seed-demo-test-" + "x" * 40, DATABASE_URL=f"sqlite:///{database}")
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "DEBUG is off" in result.stderr and "--allow-production" in result.stderr
    assert result.stdout == ""
    assert not database.exists() or database.stat().st_size == 0, "nothing written"


def test_seed_demo_seeds_a_trial_stack_with_debug_off_when_allowed(settings, capsys):
    settings.DEBUG = False
    call_command("seed_demo", "--allow-production")
    assert User.objects.filter(username="admin", is_superuser=True).exists()
    assert Member.objects.count() == 5000
    assert "Demo logins" in capsys.readouterr().out
