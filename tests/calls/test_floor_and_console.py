import datetime
import uuid

import pytest
from django.utils import timezone

from calls.models import CallAttempt, CallBatch, Campaign, Outcome
from calls.tasks import batch_build_all
from districts.models import User
from tests.calls.conftest import IST
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(db):
    return Campaign.objects.create(name="सत्यापन", script_hi="नमस्ते")


def _attempt(member, operator, campaign, outcome):
    return CallAttempt.objects.create(
        member=member, operator=operator, campaign=campaign, outcome=outcome, submission_key=uuid.uuid4()
    )


def test_console_home_shows_my_calls_today_and_the_queue(client, cast, operator, other_operator, campaign):
    members = list(cast["rampur"].members.all())
    _attempt(members[0], operator, campaign, Outcome.YES)
    _attempt(members[1], other_operator, campaign, Outcome.NO)
    response = login(client, operator).get("/calls/console/")
    assert response.context["today_total"] == 1
    assert dict(response.context["today"])[Outcome.YES] == 1
    assert {d.code: n for d, n in response.context["queue"]} == {"PAT": 2, "GAY": 2}


def test_ready_to_call_leaves_out_a_personal_call_back_kept_for_another_operator(
    client, cast, operator, other_operator, supervisor
):
    """It counted one no batch would take: the floor said 54 ready where 53 could be handed to anyone."""
    from members.models import Member, MemberStatus

    kept = cast["rampur"].members.first()
    due = timezone.now() - timezone.timedelta(minutes=1)
    Member.objects.filter(pk=kept.pk).update(status=MemberStatus.RETRY, next_call_at=due, reserved_for=other_operator)
    response = login(client, supervisor).get("/calls/floor/")
    assert {d.code: n for d, n in response.context["queue"]} == {"PAT": 1, "GAY": 2}


def test_floor_shows_each_operators_recent_calls(client, cast, operator, other_operator, supervisor, campaign):
    first, second = cast["rampur"].members.all()[:2]
    _attempt(first, operator, campaign, Outcome.BUSY)
    undone = _attempt(second, operator, campaign, Outcome.YES)
    CallAttempt.objects.filter(pk=undone.pk).update(undone_at=timezone.now())
    response = login(client, supervisor).get("/calls/floor/")
    by_name = {op.username: op.calls_last_hour for op in response.context["operators"]}
    assert by_name == {"operator": 1, "operator2": 0}, "an outcome undone is not a call"
    last = {op.username: op.last_call_at for op in response.context["operators"]}
    assert last["operator"] < undone.created_at


@pytest.mark.parametrize("who", ["patna_president", "state_leader", "operator"])
def test_only_supervisors_see_the_floor(client, cast, request, who):
    assert login(client, request.getfixturevalue(who)).get("/calls/floor/").status_code == 404


@pytest.mark.parametrize("who", ["patna_president", "state_leader", "supervisor"])
def test_only_operators_have_a_console(client, cast, request, who):
    assert login(client, request.getfixturevalue(who)).get("/calls/console/").status_code == 404


def test_staff_see_batches_and_attempts_in_the_admin_but_never_change_them(client, cast, operator, superuser, campaign):
    batch = CallBatch.objects.create(
        operator=operator, call_centre=operator.call_centre, campaign=campaign, expires_at=timezone.now()
    )
    attempt = _attempt(cast["rampur"].members.first(), operator, campaign, Outcome.BUSY)
    login(client, superuser)
    for path, pk in (("/admin/calls/callbatch/", batch.pk), ("/admin/calls/callattempt/", attempt.pk)):
        assert client.get(path).status_code == 200
        assert client.get(f"{path}{pk}/change/").status_code == 200  # shown, without a save button
        assert client.get(f"{path}add/").status_code == 403
        assert client.post(f"{path}{pk}/change/", {"closed_at": "2026-01-01 00:00"}).status_code == 403
        assert client.post(f"{path}{pk}/delete/", {"post": "yes"}).status_code == 403
    batch.refresh_from_db()
    assert batch.closed_at is None
    assert CallAttempt.objects.filter(pk=attempt.pk).exists()


def test_with_no_drive_running_the_operator_and_the_floor_are_told_why_no_numbers_come(
    client, cast, operator, supervisor, campaign, clock
):
    Campaign.objects.update(is_active=False)
    User.objects.update(language="en")
    login(client, operator).post("/calls/console/start/")
    page = client.get("/calls/console/")
    assert (page.context["member"], page.context["campaign"]) == (None, None)
    assert "No calling drive is running" in page.content.decode()
    assert 'hx-trigger="every 30s"' in page.content.decode(), "and it keeps checking"
    floor = login(client, supervisor).get("/calls/floor/").content.decode()
    assert "No calling drive is active" in floor
    Campaign.objects.update(is_active=True)
    assert "No calling drive is active" not in client.get("/calls/floor/").content.decode()
    batch_build_all()  # beat's periodic build, within half a minute
    assert login(client, operator).get("/calls/console/").context["member"] is not None


def test_one_calling_drive_runs_at_a_time(client, campaign, superuser):
    data = {"name": "सत्यापन 2027", "kind": "verification", "script_hi": "नमस्ते", "is_active": "on"}
    response = login(client, superuser).post("/admin/calls/campaign/add/", data)
    assert response.status_code == 200, "refused, with the form shown again"
    assert response.context["adminform"].form.non_field_errors()
    data.pop("is_active")
    login(client, superuser).post("/admin/calls/campaign/add/", data)
    assert list(Campaign.objects.filter(is_active=True)) == [campaign]


def test_a_feedback_drive_is_prepared_but_not_run_while_outcomes_are_verification(client, campaign, superuser):
    """Run, its answers were written to the members' verification: a YES to a question about a scheme confirmed
    a member, and counted in the state's figures."""
    feedback = {"name": "योजना फीडबैक", "kind": "feedback", "script_hi": "नमस्ते", "is_active": "on"}
    Campaign.objects.update(is_active=False)
    response = login(client, superuser).post("/admin/calls/campaign/add/", feedback)
    assert response.status_code == 200 and response.context["adminform"].form.errors["is_active"]
    feedback.pop("is_active")
    assert client.post("/admin/calls/campaign/add/", feedback).status_code == 302, "prepared, with its script"
    drive = Campaign.objects.get(name="योजना फीडबैक")
    data = {"action": "run_this_drive", "_selected_action": [drive.pk]}
    response = client.post("/admin/calls/campaign/", data, follow=True)
    assert "सदस्यता सत्यापन" in str(list(response.context["messages"])[-1])
    assert not Campaign.objects.filter(is_active=True).exists()


def test_a_new_drive_starts_active_only_when_none_is_running(client, campaign, superuser):
    """Ticked by default beside the running drive, the new drive's form was refused as it stood."""
    form = login(client, superuser).get("/admin/calls/campaign/add/").context["adminform"].form
    assert form["is_active"].value() is False
    Campaign.objects.update(is_active=False)
    assert client.get("/admin/calls/campaign/add/").context["adminform"].form["is_active"].value() is True


def test_a_supervisor_switches_drives_in_one_step_and_batches_follow(
    client, cast, operator, campaign, supervisor, clock
):
    """With two saves (the running one off, then the new one on) no drive ran in between."""
    from calls import services

    services.shift_start(operator=operator)
    feedback = Campaign.objects.create(name="योजना फीडबैक", script_hi="नमस्ते", is_active=False)
    data = {"action": "run_this_drive", "_selected_action": [feedback.pk]}
    response = login(client, supervisor).post("/admin/calls/campaign/", data, follow=True)
    assert "“योजना फीडबैक” अब चल रहा है" in response.content.decode()
    assert list(Campaign.objects.filter(is_active=True)) == [feedback]
    assert CallBatch.objects.get(operator=operator, closed_at=None).campaign == feedback


def test_calls_just_after_midnight_count_as_today(client, cast, operator, campaign):
    import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    with time_machine.travel(datetime.datetime(2026, 12, 1, 0, 15, tzinfo=ZoneInfo("Asia/Kolkata")), tick=False):
        _attempt(cast["rampur"].members.first(), operator, campaign, Outcome.YES)
        assert login(client, operator).get("/calls/console/").context["today_total"] == 1


def test_a_call_at_midnight_itself_counts_as_the_new_days(client, cast, operator, campaign):
    import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    midnight = datetime.datetime(2026, 12, 1, 0, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    with time_machine.travel(midnight, tick=False):
        _attempt(cast["rampur"].members.first(), operator, campaign, Outcome.YES)
    with time_machine.travel(midnight + datetime.timedelta(minutes=30), tick=False):
        assert login(client, operator).get("/calls/console/").context["today_total"] == 1


def test_an_operator_deactivated_in_the_admin_gives_their_numbers_back_at_once(
    client, cast, operator, superuser, campaign, clock
):
    from calls import services
    from calls.models import Shift
    from members.models import Member, MemberStatus

    services.shift_start(operator=operator)
    assert Member.objects.filter(status=MemberStatus.IN_BATCH).exists()
    login(client, superuser)
    change_url = f"/admin/districts/user/{operator.pk}/change/"
    joined = timezone.localtime(operator.date_joined)
    data = {  # is_active left out: unticked
        "username": operator.username, "role": "operator", "call_centre": operator.call_centre_id, "language": "",
        "date_joined_0": f"{joined:%Y-%m-%d}", "date_joined_1": f"{joined:%H:%M:%S}",
    }  # fmt: skip
    response = client.post(change_url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    operator.refresh_from_db()
    assert not operator.is_active
    assert not Member.objects.filter(status=MemberStatus.IN_BATCH).exists(), "back in the pool"
    assert not Shift.objects.filter(operator=operator, ended_at=None).exists()


def test_a_scripts_unknown_placeholder_is_refused_in_the_admin_and_the_known_ones_explained(client, superuser):
    login(client, superuser)
    page = client.get("/admin/calls/campaign/add/").content.decode()
    assert "{name}" in page and "{village}" in page, "the form says which places are filled in"
    data = {"name": "सत्यापन", "kind": "verification", "script_hi": "नमस्ते {नाम} जी, {village} से?", "script_en": ""}
    response = client.post("/admin/calls/campaign/add/", data)
    assert response.status_code == 200
    assert "{नाम}" in str(response.context["adminform"].form.errors["script_hi"])
    assert not Campaign.objects.exists()
    data["script_hi"] = "नमस्ते {{name}} जी, {{ village }} से?"  # as other tools write them: read "{राम कुमार}"
    errors = str(client.post("/admin/calls/campaign/add/", data).context["adminform"].form.errors["script_hi"])
    assert "{{name}}, {{ village }}" in errors and "एक ही जोड़ी" in errors
    data["script_hi"] = "नमस्ते {name} जी, {village} से?"
    assert client.post("/admin/calls/campaign/add/", data).status_code == 302


def test_the_admins_call_pages_are_in_hindi_too(client, cast, operator, superuser, campaign):
    member = cast["rampur"].members.first()
    attempt = _attempt(member, operator, campaign, Outcome.YES)
    CallAttempt.objects.filter(pk=attempt.pk).update(result_status="yes")
    page = login(client, superuser).get(f"/admin/calls/callattempt/{attempt.pk}/change/").content.decode()
    for english in ("Campaign:", "Batch:", "Result status:", "Undone at:", "Submission key:", f"{member.pk} yes"):
        assert english not in page, english
    assert "सदस्य की स्थिति" in page and f"{member.name}" in page
    aliases = client.get("/admin/districts/villagealias/").content.decode()
    assert "district के हिसाब से" not in aliases


def test_the_drive_and_the_call_centre_are_named_in_the_readers_language(
    client, cast, operator, supervisor, campaign, centre
):
    """Each had one name: a Hindi one showed on the English pages. Without an English name, the one name shows."""
    Campaign.objects.filter(pk=campaign.pk).update(name_en="Verification 2026")
    login(client, supervisor)
    floor = client.get("/calls/floor/").content.decode()
    assert "<strong>सत्यापन</strong>" in floor and "पटना कंट्रोल रूम" in floor and "Verification 2026" not in floor
    client.cookies["django_language"] = "en"
    floor = client.get("/calls/floor/").content.decode()
    assert "<strong>Verification 2026</strong>" in floor and "सत्यापन<" not in floor
    assert "पटना कंट्रोल रूम" in floor, "no English name given: the one name"
    type(centre).objects.filter(pk=centre.pk).update(name_en="Patna control room")
    console = login(client, operator).get("/calls/console/").content.decode()
    assert "Patna control room" in console and "पटना कंट्रोल रूम" not in console


def test_the_floor_shows_the_calling_hours_and_says_when_calling_is_closed(
    client, cast, operator, supervisor, campaign, clock, django_assert_num_queries, session_query
):
    """Before calling hours an operator who pressed Start showed on shift making no calls, and nothing on the floor
    said why."""
    User.objects.update(language="en")
    clock.move_to(datetime.datetime(2026, 11, 23, 8, 30, tzinfo=IST))
    login(client, operator).post("/calls/console/start/")
    login(client, supervisor)
    # (session,) user, operators with their centres, served districts, queue, drive: the centres cost no query
    with django_assert_num_queries(5 + session_query):
        before = client.get("/calls/floor/").content.decode()
    assert "Calling is closed at पटना कंट्रोल रूम." in before
    assert "Numbers are handed out only during calling hours, 09:00–21:00." in before
    assert "पटना कंट्रोल रूम · calling hours 09:00–21:00" in before
    clock.move_to(datetime.datetime(2026, 11, 23, 9, 0, tzinfo=IST))
    during = client.get("/calls/floor/").content.decode()
    assert "Calling is closed" not in during
    assert "पटना कंट्रोल रूम · calling hours 09:00–21:00" in during, "the hours are shown all day"
