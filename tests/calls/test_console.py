import datetime
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from calls import services
from calls.forms import MarkForm
from calls.models import CallAttempt, CallBatch, Campaign, Outcome, Shift
from calls.views import ERRORS
from districts import rollup
from members.models import Member, MemberStatus
from tests.calls.conftest import IST, mark
from tests.conftest import login

pytestmark = pytest.mark.django_db


def current(client):
    return client.get("/calls/console/", HTTP_HX_REQUEST="true").context["member"]


@pytest.fixture
def calling(client, operator, pool):
    login(client, operator).post("/calls/console/start/")
    return client


def test_start_hands_the_operator_a_batch_fair_across_districts(calling, operator, pool):
    batch = CallBatch.objects.get(operator=operator, closed_at=None)
    held = list(batch.members.order_by("id"))
    assert len(held) == 25
    by_district = {code: sum(m.district.code == code for m in held) for code in ("PAT", "GAY")}
    assert abs(by_district["PAT"] - by_district["GAY"]) <= 1
    assert set(held) <= set(pool["PAT"][:13] + pool["GAY"][:13]), "oldest first in each district"


def test_with_more_districts_than_room_in_a_batch_the_oldest_members_go_first_whatever_their_district(
    client, clock, centre, campaign, operator
):
    """A centre serving all 38 districts of a state, a batch of 25: one member from each district per turn, and
    in a turn the longest waiting first. Not the districts early in the list every time: those late in it were
    never called."""
    from districts.models import District
    from tests.conftest import make_member, make_village

    districts = [
        District.objects.create(code=f"D{n:02d}", name_en=f"District {n}", name_hi=f"ज़िला {n}") for n in range(30)
    ]
    centre.districts.set(districts)
    enrolled = timezone.now() - datetime.timedelta(days=30)
    oldest_first = []
    for age, district in enumerate(reversed(districts)):  # the districts listed last enrolled first
        member = make_member(make_village(district, "गाँव"), f"700000{age:04d}")
        Member.objects.filter(pk=member.pk).update(created_at=enrolled + datetime.timedelta(minutes=age))
        oldest_first.append(member)

    login(client, operator).post("/calls/console/start/")

    assert set(CallBatch.objects.get(operator=operator, closed_at=None).members.all()) == set(oldest_first[:25])


def test_a_batch_is_filled_from_the_other_districts_when_one_runs_low(client, clock, centre, campaign, operator):
    """Each district was given an equal share of the batch and no more: with one member left in Gaya, a batch
    of 25 got 13 from Patna and that one."""
    from tests.calls.conftest import fill_district

    patna, gaya = centre.districts.order_by("code").reverse()
    fill_district(patna, 30, "98765")
    fill_district(gaya, 1, "87654")
    login(client, operator).post("/calls/console/start/")
    held = CallBatch.objects.get(operator=operator, closed_at=None).members
    assert (held.filter(district=gaya).count(), held.count()) == (1, 25)


def test_two_centres_serving_one_district_are_both_handed_its_members(clock, centre, campaign, operator, gaya):
    """The periodic build gave a district served by two centres to one of them only: the other centre's
    operators waited for numbers its district had plenty of."""
    from calls.models import Shift
    from controlroom.roles import Role
    from districts.models import CallCentre, User
    from tests.calls.conftest import fill_district

    fill_district(gaya, 60, "87654")
    second = CallCentre.objects.create(name="गया कंट्रोल रूम")
    second.districts.add(gaya)
    other = User.objects.create_user(username="gaya.operator", role=Role.OPERATOR, call_centre=second)
    for on_shift in (operator, other):
        Shift.objects.create(operator=on_shift, started_at=timezone.now())
    services.batch_build()
    held = Member.objects.filter(status=MemberStatus.IN_BATCH)
    assert (held.filter(batch__operator=operator).count(), held.filter(batch__operator=other).count()) == (25, 25)
    assert held.values("pk").distinct().count() == 50


def test_console_shows_one_member_with_a_tel_link_and_the_script(calling, operator):
    response = calling.get("/calls/console/")
    member = response.context["member"]
    html = response.content.decode()
    assert f'href="tel:+91{member.mobile}"' in html
    assert f"नमस्ते {member.name} जी" in html
    assert response.context["progress"].position == 1
    assert response.context["progress"].total == 25


def test_marking_yes_confirms_and_shows_the_next_member(calling, operator):
    first = current(calling)
    response = mark(calling, first, "yes", note="खुश हैं")
    first.refresh_from_db()
    assert (first.status, first.attempt_count, first.batch_id) == (MemberStatus.YES, 1, None)
    assert first.status_changed_by == operator
    attempt = CallAttempt.objects.get(member=first)
    assert (attempt.outcome, attempt.note, attempt.operator) == (Outcome.YES, "खुश हैं", operator)
    assert response.context["member"] not in (None, first)
    assert response.context["progress"].position == 2


def test_handing_out_and_taking_back_numbers_say_who_and_when(calling, operator, supervisor, clock):
    """A member handed out, or back in the pool after a release, kept the who and when of its last call (or
    none): "pending" with no time, or "retry" by the operator who last called it, hours before."""

    def just_now(when):
        return abs(timezone.now() - when) < datetime.timedelta(seconds=5)

    member = current(calling)
    member.refresh_from_db()
    assert (member.status, member.status_changed_by) == (MemberStatus.IN_BATCH, operator)
    assert just_now(member.status_changed_at)
    clock.shift(datetime.timedelta(minutes=21))
    services.batch_release_stale()  # idle: the floor's own rule, nobody's
    member.refresh_from_db()
    assert (member.status, member.status_changed_by) == (MemberStatus.PENDING, None)
    assert just_now(member.status_changed_at)
    calling.post("/calls/console/start/")
    services.shift_stop(operator=operator, by=supervisor)
    released = Member.objects.filter(status=MemberStatus.PENDING, status_changed_by=supervisor)
    assert released.count() == 25, "released from the floor by the supervisor"


def test_the_periodic_top_up_leaves_a_batch_alone_until_it_runs_low(calling, operator):
    """Every 30 seconds it filled every batch back to 25, so after each call "number 2 of 25" became "2 of 26",
    and the batch never emptied."""
    from calls.tasks import batch_build_all

    for _ in range(3):
        mark(calling, current(calling), "yes")
    batch_build_all()
    progress = calling.get("/calls/console/").context["progress"]
    assert (progress.position, progress.total) == (4, 25)
    while progress.remaining >= 5:  # down to the mark: four left
        progress = mark(calling, current(calling), "yes").context["progress"]
    batch_build_all()
    assert CallBatch.objects.get(operator=operator, closed_at=None).members.count() == 25, "topped up"


@pytest.mark.parametrize("outcome, status", [("no", MemberStatus.NO), ("wrong", MemberStatus.WRONG_NUMBER)])
def test_final_outcomes(calling, outcome, status):
    member = current(calling)
    mark(calling, member, outcome)
    member.refresh_from_db()
    assert member.status == status


def test_a_double_submit_stores_one_attempt(calling):
    member, key = current(calling), uuid.uuid4()
    mark(calling, member, "yes", key=key)
    response = mark(calling, member, "yes", key=key)
    assert response.status_code == 200
    assert CallAttempt.objects.filter(member=member).count() == 1
    member.refresh_from_db()
    assert member.attempt_count == 1


def test_a_form_key_already_used_for_another_member_stores_nothing(calling, operator):
    first, key = current(calling), uuid.uuid4()
    mark(calling, first, "yes", key=key)
    second = current(calling)
    response = mark(calling, second, "no", key=key)
    assert response.status_code == 200
    assert str(ERRORS["duplicate"]) in response.content.decode()
    assert list(CallAttempt.objects.filter(submission_key=key).values_list("member", flat=True)) == [first.pk]
    second.refresh_from_db()
    assert (second.status, second.attempt_count) == (MemberStatus.IN_BATCH, 0)
    assert current(calling) == second


def test_no_answer_waits_for_the_cooldown_then_becomes_unreachable(calling, operator, clock):
    member = current(calling)
    for attempt in range(1, 4):
        assert mark(calling, member, "no_answer").status_code == 200
        member.refresh_from_db()
        if attempt < 3:
            assert member.status == MemberStatus.RETRY
            assert member.next_call_at - datetime.datetime.now(tz=IST) > datetime.timedelta(minutes=119)
            services.shift_stop(operator=operator)
            clock.shift(datetime.timedelta(hours=2, minutes=1))
            services.shift_start(operator=operator)
            member.refresh_from_db()
            assert member.batch.operator == operator, "handed out again after the cooldown"
            CallBatch.objects.filter(pk=member.batch_id).update(current=member)
    assert member.status == MemberStatus.UNREACHABLE
    assert member.attempt_count == 3


def test_a_member_in_cooldown_is_not_handed_out(calling, operator, other_operator, pool):
    member = current(calling)
    mark(calling, member, "busy")
    services.shift_stop(operator=operator)
    Member.objects.exclude(pk=member.pk).update(status=MemberStatus.YES)
    services.shift_start(operator=other_operator)
    assert not Member.objects.filter(batch__isnull=False).exists()


def test_call_back_later_goes_to_anyone_at_the_chosen_time(calling, operator, other_operator, clock):
    member = current(calling)
    when = (datetime.datetime.now(tz=IST) + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    mark(calling, member, "call_back", call_back_at=when)
    member.refresh_from_db()
    assert (member.status, member.reserved_for) == (MemberStatus.RETRY, None)
    services.shift_stop(operator=operator)
    Member.objects.exclude(pk=member.pk).update(status=MemberStatus.YES)
    services.shift_start(operator=other_operator)
    assert not Member.objects.filter(batch__isnull=False).exists()
    clock.shift(datetime.timedelta(hours=1, minutes=1))
    services.batch_build()
    member.refresh_from_db()
    assert member.batch.operator == other_operator


def test_a_saved_call_back_is_confirmed_with_its_day_and_time_in_indias_time(calling, operator):
    """The next member came up with no word: the operator could not tell the call-back had been saved, nor
    check the time it was saved for."""
    operator.language = "en"
    operator.save(update_fields=["language"])
    member = current(calling)
    response = mark(calling, member, "call_back", call_back_at="2026-11-24T13:00")
    assert response.context["member"] not in (None, member), "the next member, as before"
    assert [str(m) for m in response.context["messages"]] == ["Call-back saved for 24 Nov, 13:00."]
    assert '<ul class="messages"><li class="info">Call-back saved for 24 Nov, 13:00.</li></ul>' in (
        response.content.decode()
    ), "in the console's message slot, as the page swaps in"


def _at(day, hour, minute=0):
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=IST)


@pytest.mark.parametrize(
    "now, hours, expected",
    [
        # 11:07 on Monday the 23rd, calling 09:00 to 21:00: an hour on, rounded up to the quarter hour.
        (_at(23, 11, 7), ("09:00", "21:00"), [_at(23, 12, 15), _at(23, 18), _at(24, 10), _at(24, 18)]),
        # Late in the day: this evening has gone, and an hour on is past the calling hours.
        (_at(23, 20, 30), ("09:00", "21:00"), [_at(24, 10), _at(24, 18)]),
        # A centre that calls only in the mornings is offered no evening.
        (_at(23, 11, 0), ("09:00", "14:00"), [_at(23, 12), _at(24, 10)]),
    ],
)
def test_the_call_back_times_offered_with_one_click_are_within_the_calling_hours(centre, now, hours, expected):
    from calls.forms import call_back_choices

    centre.calling_starts, centre.calling_ends = (datetime.time.fromisoformat(hour) for hour in hours)
    assert [when for _label, when in call_back_choices(centre, now)] == expected


def test_the_console_offers_call_back_times_to_pick_with_one_click(calling):
    """Only the browser's date box, which shows the PC's own order of day and month (3/4 reads as the 4th of
    March on many an office PC) and takes a while to fill in: "call me this evening" is one click now."""
    response = calling.get(reverse("calls:console"))
    page = response.content.decode()
    for when in ("2026-11-23T12:00", "2026-11-23T18:00", "2026-11-24T10:00", "2026-11-24T18:00"):
        assert f'data-call-back-at="{when}"' in page
    assert "आज शाम · 18:00" in page and "कल सुबह · 10:00" in page


def test_a_personal_call_back_comes_back_only_to_its_operator(calling, operator, other_operator, clock):
    member = current(calling)
    when = (datetime.datetime.now(tz=IST) + datetime.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    mark(calling, member, "call_back", call_back_at=when, personal="on")
    clock.shift(datetime.timedelta(minutes=31))
    services.shift_start(operator=other_operator)
    assert not Member.objects.filter(pk=member.pk, batch__operator=other_operator).exists()
    services.shift_stop(operator=operator)
    services.shift_start(operator=operator)
    assert Member.objects.filter(pk=member.pk, batch__operator=operator).exists()


def test_a_call_back_coming_due_says_when_it_was_asked_for_and_for_whom(calling, operator, clock):
    member = current(calling)
    when = datetime.datetime.now(tz=IST) + datetime.timedelta(minutes=30)
    mark(calling, member, "call_back", call_back_at=when.strftime("%Y-%m-%dT%H:%M"), personal="on")
    Member.objects.filter(batch__isnull=False).exclude(pk=member.pk).update(batch=None, status=MemberStatus.YES)
    clock.shift(datetime.timedelta(minutes=31))
    services.shift_stop(operator=operator)
    calling.post("/calls/console/start/")
    response = calling.get("/calls/console/")
    assert response.context["member"] == member
    html = response.content.decode()
    assert f"{when:%H:%M}" in html.split("attempts")[1] and "आपके लिए रखा गया" in html, (
        "the operator it is kept for reads: for you"
    )
    assert "बाद में कॉल करने को कहा" in html.split("attempts")[1], "what the member said, not an instruction"


def test_a_personal_call_back_handed_out_and_released_still_comes_back_to_its_operator(
    calling, operator, other_operator, clock
):
    member = current(calling)
    when = (datetime.datetime.now(tz=IST) + datetime.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    mark(calling, member, "call_back", call_back_at=when, personal="on")
    clock.shift(datetime.timedelta(minutes=31))
    services.shift_stop(operator=operator)
    services.shift_start(operator=operator)
    assert Member.objects.get(pk=member.pk).batch.operator == operator, "due: handed to its operator"
    services.shift_stop(operator=operator)  # before calling it: stopped, logged out, or released by a supervisor
    member.refresh_from_db()
    assert (member.status, member.reserved_for, member.batch) == (MemberStatus.RETRY, operator, None)
    services.shift_start(operator=other_operator)
    assert not Member.objects.filter(pk=member.pk, batch__operator=other_operator).exists()
    services.shift_start(operator=operator)
    assert Member.objects.get(pk=member.pk).batch.operator == operator, "not stranded: its operator gets it again"


def test_a_personal_call_back_marked_by_mistake_and_undone_is_still_kept_for_its_operator(
    calling, operator, other_operator, clock
):
    """Undo puts the member back as before the call: the call-back kept for its operator, not one for anyone."""
    member = current(calling)
    when = (datetime.datetime.now(tz=IST) + datetime.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    mark(calling, member, "call_back", call_back_at=when, personal="on")
    clock.shift(datetime.timedelta(minutes=31))
    calling.post("/calls/console/stop/")
    calling.post("/calls/console/start/")
    assert current(calling) == member, "due: its operator calls it first"
    mark(calling, member, "no_answer")
    calling.post("/calls/console/undo/", HTTP_HX_REQUEST="true")
    assert Member.objects.get(pk=member.pk).reserved_for == operator
    services.shift_stop(operator=operator)  # before calling it again
    member.refresh_from_db()
    assert (member.status, member.reserved_for, member.batch) == (MemberStatus.RETRY, operator, None)
    services.shift_start(operator=other_operator)
    assert not Member.objects.filter(pk=member.pk, batch__operator=other_operator).exists()
    assert member.next_call_at == datetime.datetime.fromisoformat(when).replace(tzinfo=IST), "due when it was"
    services.shift_start(operator=operator)
    assert Member.objects.get(pk=member.pk).batch.operator == operator, "not stranded: its operator gets it again"


def test_a_personal_call_back_its_operator_does_not_come_back_for_goes_to_anyone(
    calling, operator, other_operator, clock, settings
):
    member = current(calling)
    when = (datetime.datetime.now(tz=IST) + datetime.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    mark(calling, member, "call_back", call_back_at=when, personal="on")
    services.shift_stop(operator=operator)  # and does not come back that day
    Member.objects.exclude(pk=member.pk).update(status=MemberStatus.YES)  # nobody else left to call
    clock.shift(datetime.timedelta(minutes=30 + settings.CALLS_PERSONAL_GRACE_MINUTES - 1))
    services.shift_start(operator=other_operator)
    assert not Member.objects.filter(pk=member.pk, batch__isnull=False).exists(), "still waiting for its operator"
    clock.shift(datetime.timedelta(minutes=2))
    services.batch_build()
    assert Member.objects.get(pk=member.pk).batch.operator == other_operator, "past the grace: anyone calls it"


def test_a_call_back_is_for_the_coming_weeks_not_a_year_typed_by_mistake(calling):
    member = current(calling)
    response = mark(calling, member, "call_back", call_back_at="9999-12-31T23:59")
    assert response.status_code == 422
    assert not CallAttempt.objects.exists()


def test_a_note_keeps_no_invisible_or_direction_reversing_characters(calling):
    member = current(calling)
    mark(calling, member, "wrong", note="बेटे\u200b का \u202eनंबर\x01")
    assert CallAttempt.objects.get(member=member).note == "बेटे का नंबर"


def test_call_back_needs_a_future_time(calling):
    member = current(calling)
    response = mark(calling, member, "call_back", call_back_at="2020-01-01T10:00")
    assert response.status_code == 422
    assert response.context["form"].errors["call_back_at"] == ["दोबारा कॉल के लिए आगे का कोई समय चुनें।"]
    assert not CallAttempt.objects.exists()


@pytest.mark.parametrize(
    ("typed", "said"),
    [("", "दोबारा कॉल का दिन और समय चुनें।"), ("कल सुबह", "दोबारा कॉल का दिन और समय चुनें।")],
)
def test_call_back_without_a_time_asks_for_one_once(calling, typed, said):
    response = mark(calling, current(calling), "call_back", call_back_at=typed)
    assert response.status_code == 422
    assert response.context["form"].errors["call_back_at"] == [said]
    assert not CallAttempt.objects.exists()


@pytest.mark.parametrize("when", ["2026-11-23T23:30", "2026-11-24T06:00", "2026-11-23T21:00"])
def test_a_call_back_outside_calling_hours_is_refused_and_the_note_kept(calling, when):
    member = current(calling)
    note = "बेटा बोला\nरात को फोन करना"
    response = mark(calling, member, "call_back", call_back_at=when, note=note)
    assert response.status_code == 422
    assert response.context["form"].has_error("call_back_at", "outside_hours")
    html = response.content.decode()
    assert str(response.context["form"].errors["call_back_at"][0]) in html.split("data-callback")[1]
    assert f"{note}</textarea>" in html.replace("\r\n", "\n")
    assert response.context["member"] == member
    assert not CallAttempt.objects.exists()


def test_the_refusal_names_the_centres_calling_hours(calling, operator, centre):
    centre.calling_starts, centre.calling_ends = datetime.time(10), datetime.time(18, 30)
    centre.save()
    operator.language = "en"
    operator.save(update_fields=["language"])
    response = mark(calling, current(calling), "call_back", call_back_at="2026-11-23T19:00")
    assert "Choose a time within calling hours, 10:00 to 18:30." in response.content.decode()


@pytest.mark.parametrize("when", ["2026-11-24T09:00", "2026-11-23T20:59"])
def test_a_call_back_within_calling_hours_is_saved(calling, when):
    member = current(calling)
    mark(calling, member, "call_back", call_back_at=when)
    member.refresh_from_db()
    assert f"{member.next_call_at.astimezone(IST):%Y-%m-%dT%H:%M}" == when


def test_the_mark_form_without_a_call_centre_checks_only_the_time_is_soon(clock):
    data = {"member": 1, "submission_key": uuid.uuid4(), "outcome": "call_back", "call_back_at": "2026-11-23T23:30"}
    assert MarkForm(data).is_valid()
    assert not MarkForm({**data, "call_back_at": "2026-11-23T10:00"}).is_valid()


def test_the_periodic_build_passes_over_operators_who_never_pressed_start(calling, operator, other_operator):
    assert not other_operator.shifts.exists()
    services.batch_build()  # what beat and every import run, for all operators on shift
    assert set(CallBatch.objects.values_list("operator", flat=True)) == {operator.pk}


def test_no_numbers_are_handed_out_outside_calling_hours(client, operator, pool, clock):
    clock.move_to(datetime.datetime(2026, 11, 23, 21, 30, tzinfo=IST))
    login(client, operator).post("/calls/console/start/")
    response = client.get("/calls/console/")
    assert response.context["member"] is None
    assert not response.context["in_hours"]
    assert not Member.objects.filter(batch__isnull=False).exists()


def test_an_operator_who_starts_before_calling_hours_is_told_the_numbers_will_come_by_themselves(
    client, operator, pool, clock
):
    """The page said only when calling hours were: operators pressed Start again and again, or logged out,
    not knowing they were on shift and that the page would bring the numbers once the hours began."""
    clock.move_to(datetime.datetime(2026, 11, 23, 8, 30, tzinfo=IST))
    operator.language = "en"
    operator.save(update_fields=["language"])
    login(client, operator).post("/calls/console/start/")
    html = client.get("/calls/console/").content.decode()
    assert "Numbers are handed out only during calling hours, 09:00–21:00." in html
    assert "You are on shift. Numbers will appear here by themselves when calling hours begin." in html
    assert 'hx-trigger="every 30s"' in html, "as it says, the page asks again"


def yes_as_the_hours_end(calling, centre, clock):
    """YES pressed half a minute after calling hours ended (11:30), for the member handed out a minute before."""
    centre.calling_ends = datetime.time(11, 30)
    centre.save()
    clock.move_to(datetime.datetime(2026, 11, 23, 11, 29, tzinfo=IST))
    member = current(calling)
    clock.move_to(datetime.datetime(2026, 11, 23, 11, 30, 30, tzinfo=IST))
    return member, mark(calling, member, "yes")


def test_when_calling_hours_end_the_next_member_is_not_handed_out(calling, operator, centre, clock):
    member, response = yes_as_the_hours_end(calling, centre, clock)
    assert response.context["member"] is None and not response.context["in_hours"]
    member.refresh_from_db()
    assert member.status == MemberStatus.YES, "the call on screen when the hours ended is still saved"
    assert not Member.objects.filter(status=MemberStatus.IN_BATCH).exists(), "the rest went back to the pool"
    assert Shift.objects.filter(operator=operator, ended_at=None).exists()


def test_a_shift_ends_with_the_calling_hours_and_nobody_absent_is_handed_numbers_the_next_morning(
    calling, operator, centre, clock
):
    """Most operators go home without pressing Stop. Their shift stayed open all night (the floor showed them on
    it), and the next morning's top-up handed each a batch that waited twenty minutes for nobody."""
    from calls.tasks import batch_build_all

    yes_as_the_hours_end(calling, centre, clock)  # the hours end at 11:30; the last call gives the batch back
    assert Shift.objects.filter(operator=operator, ended_at=None).exists()
    clock.move_to(datetime.datetime(2026, 11, 23, 11, 31, tzinfo=IST))
    services.batch_release_stale()  # every minute
    assert not Shift.objects.filter(operator=operator, ended_at=None).exists()
    clock.move_to(datetime.datetime(2026, 11, 24, 9, 1, tzinfo=IST))
    batch_build_all()
    assert not CallBatch.objects.filter(operator=operator, closed_at=None).exists()


def test_a_shift_holding_numbers_when_the_hours_end_ends_when_they_go_back(calling, operator, centre, clock):
    current(calling)  # at 11:00: the lease runs to 11:20
    centre.calling_ends = datetime.time(11, 10)
    centre.save()
    clock.move_to(datetime.datetime(2026, 11, 23, 11, 11, tzinfo=IST))
    services.batch_release_stale()
    assert Shift.objects.filter(operator=operator, ended_at=None).exists(), "on the phone with their last call"
    clock.move_to(datetime.datetime(2026, 11, 23, 11, 21, tzinfo=IST))
    services.batch_release_stale()  # idle past the lease: the numbers go back, and the shift ends
    assert not Shift.objects.filter(operator=operator, ended_at=None).exists()
    assert not CallBatch.objects.filter(operator=operator, closed_at=None).exists()


def test_a_shift_started_before_the_hours_begin_waits_for_them(client, operator, centre, clock, pool):
    centre.calling_starts = datetime.time(11, 30)
    centre.save()
    login(client, operator).post("/calls/console/start/")  # at 11:00, half an hour early
    services.batch_release_stale()
    assert Shift.objects.filter(operator=operator, ended_at=None).exists()
    clock.move_to(datetime.datetime(2026, 11, 23, 11, 30, 30, tzinfo=IST))
    assert current(client) is not None


def test_an_operator_still_on_shift_gets_numbers_when_the_hours_begin(calling, operator, centre, clock):
    member = current(calling)
    centre.calling_starts, centre.calling_ends = datetime.time(11, 30), datetime.time(21, 0)
    centre.save()  # as if the day's hours ended while the member was on screen
    mark(calling, member, "yes")
    assert calling.get("/calls/console/", HTTP_HX_REQUEST="true").context["member"] is None
    assert not CallBatch.objects.filter(closed_at=None).exists()
    clock.move_to(datetime.datetime(2026, 11, 23, 11, 30, 30, tzinfo=IST))
    response = calling.get("/calls/console/", HTTP_HX_REQUEST="true")  # the waiting page asks every 30 s
    assert response.context["member"] is not None
    assert Member.objects.filter(batch__operator=operator, status=MemberStatus.IN_BATCH).count() == 25


def test_a_console_showing_a_member_checks_in_the_background_that_the_number_is_still_theirs(calling, operator, clock):
    html = calling.get("/calls/console/").content.decode()
    assert 'hx-get="/calls/console/check/" hx-trigger="every 30s" hx-swap="none" data-background' in html
    lease = CallBatch.objects.get(operator=operator, closed_at=None).expires_at
    clock.shift(datetime.timedelta(minutes=5))
    response = calling.get("/calls/console/check/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204, "still theirs: nothing changes on screen"
    assert CallBatch.objects.get(operator=operator, closed_at=None).expires_at == lease, "a check is not activity"


def test_a_console_whose_numbers_were_released_goes_back_to_the_start_page_saying_why(calling, operator):
    current(calling)
    services.shift_stop(operator=operator)  # Stop in another tab
    response = calling.get("/calls/console/check/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == "/calls/console/"
    shown = [str(m) for m in calling.get("/calls/console/").context["messages"]]
    assert shown == [str(ERRORS["shift ended"])]


def test_a_console_whose_calling_hours_ended_reloads_to_say_so(calling, operator):
    current(calling)
    services.batch_release(batches=CallBatch.objects.filter(operator=operator))  # as when the hours end
    response = calling.get("/calls/console/check/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == "/calls/console/"
    assert not calling.get("/calls/console/").context["messages"], "still on shift: the console itself says why"


def test_the_waiting_page_asks_again_outside_calling_hours_too(client, operator, pool, clock):
    clock.move_to(datetime.datetime(2026, 11, 23, 21, 30, tzinfo=IST))
    login(client, operator).post("/calls/console/start/")
    html = client.get("/calls/console/").content.decode()
    assert 'hx-trigger="every 30s"' in html


def test_waiting_for_numbers_is_not_being_idle(client, operator, centre, campaign, clock):
    login(client, operator).post("/calls/console/start/")  # nothing to call: the batch is empty
    for _ in range(3):
        clock.shift(datetime.timedelta(minutes=15))
        client.get("/calls/console/", HTTP_HX_REQUEST="true")
        services.batch_release_stale()
    assert Shift.objects.filter(operator=operator, ended_at=None).exists()


def test_a_note_refused_by_the_server_says_why(calling):
    member = current(calling)
    note = "ज़" * 300  # typed as one character each, more than 500 once cleaned into letter and dot
    response = mark(calling, member, "no", note=note)
    assert response.status_code == 422
    assert response.context["form"].errors["note"]
    assert str(response.context["form"].errors["note"][0]) in response.content.decode()


def test_a_note_keeps_its_lines_each_cleaned(calling):
    member = current(calling)
    note = "  बेटे का   नंबर \r\n\r\n\u200b\r\n\r\nशाम को\t फोन करें  \r\n\r\n"
    mark(calling, member, "wrong", note=note)
    assert CallAttempt.objects.get(member=member).note == "बेटे का नंबर\n\nशाम को फोन करें"


def test_earlier_calls_show_a_notes_lines_and_no_markup(calling, operator, campaign):
    member = current(calling)
    CallAttempt.objects.create(
        member=member,
        operator=operator,
        campaign=campaign,
        outcome=Outcome.BUSY,
        note="पहली <b>लाइन</b>\nदूसरी",
        result_status=MemberStatus.RETRY,
        submission_key=uuid.uuid4(),
    )
    Member.objects.filter(pk=member.pk).update(attempt_count=1)
    html = calling.get("/calls/console/").content.decode()
    assert "पहली &lt;b&gt;लाइन&lt;/b&gt;<br>दूसरी" in html


def test_a_pasted_note_is_not_cut_by_the_browser_and_its_length_is_shown(calling):
    html = calling.get("/calls/console/").content.decode()
    textarea = html.split("<textarea")[1].split(">")[0]
    assert "maxlength" not in textarea
    assert 'data-note-count data-limit="500"' in html


def test_a_note_too_long_once_cleaned_is_refused_and_kept_in_the_box(calling):
    member = current(calling)
    note = "अ" * 300 + "\n" + "ब" * 200
    response = mark(calling, member, "no", note=note)
    assert response.status_code == 422
    error = response.context["form"].errors["note"][0]
    assert "500" in error and "501" in error
    html = response.content.decode()
    assert error in html.split("data-note-count")[1].split("data-callback")[0]
    assert f"{note}</textarea>" in html.replace("\r\n", "\n")
    assert not CallAttempt.objects.exists()


def test_a_note_within_the_limit_once_cleaned_is_saved(calling):
    member = current(calling)
    note = "अ" * 250 + "      \r\n" + "ब" * 249  # 507 characters typed, 500 kept
    mark(calling, member, "no", note=note)
    assert len(CallAttempt.objects.get(member=member).note) == 500


def test_an_idle_batch_goes_back_to_the_pool(calling, operator, clock):
    clock.shift(datetime.timedelta(minutes=21))
    released = services.batch_release_stale()
    assert released == 25
    assert not Member.objects.filter(status=MemberStatus.IN_BATCH).exists()
    assert not Shift.objects.filter(operator=operator, ended_at=None).exists()


def test_activity_keeps_the_lease(calling, operator, clock):
    clock.shift(datetime.timedelta(minutes=15))
    mark(calling, current(calling), "yes")
    clock.shift(datetime.timedelta(minutes=15))
    assert services.batch_release_stale() == 0


def test_a_call_back_without_its_time_is_never_stored(calling, operator):
    """The console's form asks for the time; without one the member would wait in retry for no batch, for ever."""
    member = current(calling)
    request = services.MarkRequest(member.pk, Outcome.CALL_BACK, submission_key=uuid.uuid4())
    with pytest.raises(ValueError):
        services.call_record_outcome(operator=operator, request=request)
    member.refresh_from_db()
    assert member.status == MemberStatus.IN_BATCH and not CallAttempt.objects.exists()


def test_a_late_submit_for_a_member_given_to_someone_else_stores_nothing(
    calling, client, operator, other_operator, clock
):
    member = current(calling)
    clock.shift(datetime.timedelta(minutes=21))
    services.batch_release_stale()
    services.shift_start(operator=other_operator)
    assert Member.objects.get(pk=member.pk).batch.operator == other_operator
    response = mark(calling, member, "yes")
    assert response["HX-Redirect"] == "/calls/console/", "their shift ended: back to the start page"
    shown = [str(m) for m in calling.get("/calls/console/").context["messages"]]
    assert shown == [str(ERRORS["taken back"])]
    assert not CallAttempt.objects.exists()


def test_a_late_submit_for_a_released_member_nobody_took_is_kept(calling, operator, clock, campaign):
    member = current(calling)
    clock.shift(datetime.timedelta(minutes=21))
    services.batch_release_stale()
    Campaign.objects.update(is_active=False)  # the drive ended meanwhile: the call still belongs to it
    mark(calling, member, "yes")
    member.refresh_from_db()
    assert member.status == MemberStatus.YES
    attempt = CallAttempt.objects.get(member=member)
    assert (attempt.campaign, attempt.batch) == (campaign, None)


def test_two_pages_of_one_released_call_store_one_attempt(calling, operator, supervisor):
    """After a release, the call's member could be marked from every page still showing it (two tabs, an older
    page), each with its own key: two attempts for one call, and a member made unreachable by calls never made."""
    member = current(calling)
    services.shift_stop(operator=operator, by=supervisor)  # released while the operator is on the phone
    mark(calling, member, "no_answer")
    mark(calling, member, "busy")  # the same member's page in another tab
    assert list(CallAttempt.objects.filter(member=member).values_list("outcome", flat=True)) == ["no_answer"]


def test_two_pages_of_the_call_that_ended_the_calling_hours_store_one_attempt(calling, operator, centre, clock):
    """The batch went back to the pool still showing the member just marked: another tab of it was taken for a
    late outcome of a released call and stored as a second call, counting towards unreachable."""
    centre.calling_ends = datetime.time(11, 30)
    centre.save()
    clock.move_to(datetime.datetime(2026, 11, 23, 11, 29, tzinfo=IST))
    member = current(calling)
    clock.move_to(datetime.datetime(2026, 11, 23, 11, 30, 30, tzinfo=IST))
    mark(calling, member, "no_answer")
    mark(calling, member, "busy")  # the same member's page in another tab
    assert list(CallAttempt.objects.filter(member=member).values_list("outcome", flat=True)) == ["no_answer"]


def test_a_late_submit_for_a_member_someone_else_called_meanwhile_stores_nothing(
    calling, operator, other_operator, clock
):
    """Released, handed to another operator, called and back in the pool before the late outcome came: it was
    stored all the same, over the other operator's call."""
    member = current(calling)
    clock.shift(datetime.timedelta(minutes=21))
    services.batch_release_stale()
    services.shift_start(operator=other_operator)
    CallBatch.objects.filter(operator=other_operator, closed_at=None).update(current=member)
    other = login(Client(), other_operator)
    mark(other, member, "no_answer")
    assert Member.objects.get(pk=member.pk).status == MemberStatus.RETRY
    response = mark(calling, member, "yes")
    assert response["HX-Redirect"] == "/calls/console/"
    assert [str(m) for m in calling.get("/calls/console/").context["messages"]] == [str(ERRORS["taken back"])]
    assert list(CallAttempt.objects.filter(member=member).values_list("operator", flat=True)) == [other_operator.pk]


def test_a_late_submit_for_the_operators_own_released_call_back_is_kept(calling, operator, clock):
    """A personal call-back released while its operator was on the phone stays theirs, and so does the call's
    outcome: it was refused as taken back."""
    member = current(calling)
    when = (timezone.localtime() + datetime.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    mark(calling, member, "call_back", call_back_at=when, personal="on")
    clock.shift(datetime.timedelta(minutes=31))
    calling.post("/calls/console/stop/")
    calling.post("/calls/console/start/")
    assert current(calling) == member, "the due personal call-back comes first"
    clock.shift(datetime.timedelta(minutes=21))  # a long call: the idle lease runs out
    services.batch_release_stale()
    member.refresh_from_db()
    assert (member.status, member.reserved_for, member.batch) == (MemberStatus.RETRY, operator, None)
    mark(calling, member, "yes")
    member.refresh_from_db()
    assert member.status == MemberStatus.YES


@pytest.mark.parametrize("by", ["admin", "president"])
def test_an_outcome_for_a_number_changed_while_it_was_called_is_not_stored(
    calling, operator, supervisor, patna_president, by
):
    """Staff changed the number of the member on an operator's screen; the operator's "wrong number", for the old
    number, was stored against the new one, never dialled, and sent it to the rejects."""
    from members import services as member_services

    member = current(calling)
    if by == "admin":
        changed = Member.objects.get(pk=member.pk)
        changed.mobile = "9000012345"
        member_services.member_admin_save(member=changed, created=False, actor=supervisor)
    else:
        services.shift_stop(operator=operator, by=supervisor)
        member_services.member_edit(
            member_id=member.pk, actor=patna_president, name=member.name, mobile="9000012345",
            village_id=member.village_id, address=member.address,
        )  # fmt: skip
    response = mark(calling, member, "wrong")
    shown = [str(message) for message in response.context["messages"]] if response.context else []
    shown = shown or [str(m) for m in calling.get("/calls/console/").context["messages"]]
    assert shown == [str(ERRORS["number changed"])]
    assert not CallAttempt.objects.filter(member=member).exists()
    assert Member.objects.get(pk=member.pk).status == MemberStatus.PENDING, "called again, on the new number"


def test_an_outcome_sent_long_after_the_numbers_went_back_is_not_stored(calling, operator, clock):
    """A call may outlast the idle release, and is kept; a form sent hours after Stop, past calling hours, is
    not a call."""
    member = current(calling)
    calling.post("/calls/console/stop/", follow=True)
    clock.shift(datetime.timedelta(minutes=21))
    response = mark(calling, member, "yes")
    assert response["HX-Redirect"] == "/calls/console/"
    shown = [str(m) for m in calling.get("/calls/console/").context["messages"]]
    assert shown == [str(ERRORS["taken back"])]
    assert not CallAttempt.objects.exists()
    assert Member.objects.get(pk=member.pk).status == MemberStatus.PENDING


def test_undo_brings_the_member_back(calling):
    member = current(calling)
    mark(calling, member, "wrong", note="बेटे का नंबर")
    response = calling.post("/calls/console/undo/", HTTP_HX_REQUEST="true")
    assert response.context["member"] == member
    (message,) = response.context["messages"]
    assert "“गलत नंबर”" in str(message), "says what was taken back"
    assert response.context["form"]["note"].value() == "बेटे का नंबर", "the note typed with it is kept"
    member.refresh_from_db()
    assert (member.status, member.attempt_count) == (MemberStatus.IN_BATCH, 0)
    assert CallAttempt.objects.get(member=member).undone_at is not None, "the attempt is kept, marked undone"
    mark(calling, member, "yes")
    member.refresh_from_db()
    assert member.status == MemberStatus.YES


def test_undoing_a_call_back_offers_its_time_again(calling, operator, clock):
    member = current(calling)
    when = (datetime.datetime.now(tz=IST) + datetime.timedelta(hours=2)).replace(second=0, microsecond=0)
    mark(calling, member, "call_back", call_back_at=when.strftime("%Y-%m-%dT%H:%M"), personal="on", note="शाम को")
    response = calling.post("/calls/console/undo/", HTTP_HX_REQUEST="true")
    form = response.context["form"]
    assert (form["note"].value(), form["personal"].value()) == ("शाम को", True)
    assert f'value="{when:%Y-%m-%dT%H:%M}"' in str(form["call_back_at"]), "the time, in India's time"
    assert '<details class="callback" open' in response.content.decode()


def test_a_form_retried_after_its_outcome_was_undone_stores_nothing(calling):
    member, key = current(calling), uuid.uuid4()
    mark(calling, member, "yes", key=key)
    calling.post("/calls/console/undo/", HTTP_HX_REQUEST="true")
    response = mark(calling, member, "yes", key=key)  # the first request, retried late by the network
    assert response.status_code == 200
    assert CallAttempt.objects.get(member=member).undone_at is not None, "one attempt, still undone"
    member.refresh_from_db()
    assert (member.status, member.attempt_count) == (MemberStatus.IN_BATCH, 0)
    assert response.context["member"] == member, "the member is still the one to call"


def test_undo_is_offered_only_while_a_call_of_this_shift_can_be_taken_back(calling, operator, clock):
    """Undo was offered on the first member of a shift, after its window and on an empty queue, where pressing it
    could only say there was nothing to undo, or that it was too late."""

    def offered(response):
        return 'data-key="u"' in response.content.decode()

    first = current(calling)
    assert not offered(calling.get("/calls/console/", HTTP_HX_REQUEST="true")), "no call yet"
    response = mark(calling, first, "yes")
    assert offered(response), "the call just made"
    clock.shift(datetime.timedelta(minutes=3))
    assert not offered(calling.get("/calls/console/", HTTP_HX_REQUEST="true")), "past the undo window"
    assert offered(mark(calling, response.context["member"], "no"))
    response = calling.post("/calls/console/undo/", HTTP_HX_REQUEST="true")
    assert not offered(response), "the one call still in the window was taken back"
    mark(calling, response.context["member"], "no")
    calling.post("/calls/console/stop/")
    calling.post("/calls/console/start/")
    assert not offered(calling.get("/calls/console/")), "the last shift's call is not this shift's to undo"


def test_undo_is_refused_after_the_window_saying_so(calling, clock, operator):
    operator.language = "en"
    operator.save(update_fields=["language"])
    member = current(calling)
    mark(calling, member, "no")
    clock.shift(datetime.timedelta(minutes=3))
    response = calling.post("/calls/console/undo/", HTTP_HX_REQUEST="true")
    member.refresh_from_db()
    assert member.status == MemberStatus.NO
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["Too late to undo: an outcome can be undone only within 2 minutes of marking it."]


def test_undo_with_no_outcome_marked_says_there_is_nothing_to_undo(calling):
    response = calling.post("/calls/console/undo/", HTTP_HX_REQUEST="true")
    assert [str(m) for m in response.context["messages"]] == [str(ERRORS["nothing to undo"])]


def test_undo_after_the_batch_was_released_only_says_the_calling_stopped(calling, operator):
    mark(calling, current(calling), "yes")
    services.shift_stop(operator=operator)  # the supervisor's release
    response = calling.post("/calls/console/undo/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == "/calls/console/"
    shown = [str(m) for m in calling.get("/calls/console/").context["messages"]]
    assert shown == [str(ERRORS["shift ended"])], "not also 'nothing to undo'"
    assert CallAttempt.objects.get().undone_at is None


def test_a_refused_undo_without_javascript_is_reported_once(calling):
    response = calling.post("/calls/console/undo/", follow=True)
    assert response.content.decode().count('<ul class="messages">') == 1


def test_stop_puts_unfinished_numbers_back(calling, operator):
    mark(calling, current(calling), "yes")
    calling.post("/calls/console/stop/")
    assert Member.objects.filter(status=MemberStatus.PENDING).count() == 59
    assert not CallBatch.objects.filter(closed_at=None).exists()


def test_logging_out_puts_unfinished_numbers_back(calling):
    calling.post("/logout/")
    assert not Member.objects.filter(status=MemberStatus.IN_BATCH).exists()


def test_it_rejects_marking_someone_elses_member(calling, client, other_operator, pool):
    services.shift_start(operator=other_operator)
    theirs = Member.objects.filter(batch__operator=other_operator).first()
    assert mark(calling, theirs, "yes").status_code == 404
    assert not CallAttempt.objects.exists()


def test_it_rejects_marking_a_member_never_handed_out(calling, pool):
    assert mark(calling, pool["PAT"][-1], "yes").status_code == 404


def test_it_rejects_marking_a_member_of_the_batch_the_console_has_not_shown(calling, operator):
    """Only the member on the screen was called: another of the batch's (their ids run in order) never was."""
    shown = current(calling)
    unseen = Member.objects.filter(batch__operator=operator).exclude(pk=shown.pk).first()
    assert mark(calling, unseen, "yes").status_code == 404
    assert not CallAttempt.objects.exists()
    assert Member.objects.get(pk=unseen.pk).status == MemberStatus.IN_BATCH
    mark(calling, shown, "yes")
    assert list(CallAttempt.objects.values_list("member", flat=True)) == [shown.pk]


@pytest.mark.parametrize("name", ["start", "stop", "mark", "undo"])
def test_console_actions_need_post(calling, name):
    assert calling.get(reverse(f"calls:{name}")).status_code == 405


@pytest.mark.parametrize("name", ["start", "stop", "mark", "undo"])
def test_console_actions_need_login(client, name):
    response = client.post(reverse(f"calls:{name}"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("who", ["patna_president", "state_leader", "supervisor"])
@pytest.mark.parametrize("name", ["start", "stop", "mark", "undo"])
def test_only_operators_use_the_console(client, request, who, name, pool):
    assert login(client, request.getfixturevalue(who)).post(reverse(f"calls:{name}")).status_code == 404


def test_supervisor_releases_an_operators_batch(calling, client, operator, supervisor):
    response = login(client, supervisor).post(reverse("calls:release", args=[operator.pk]))
    assert response.status_code == 302
    assert not Member.objects.filter(status=MemberStatus.IN_BATCH).exists()
    assert not Shift.objects.filter(operator=operator, ended_at=None).exists()


def test_floor_shows_who_is_on_shift_and_what_they_hold(calling, client, operator, supervisor):
    response = login(client, supervisor).get("/calls/floor/")
    row = next(op for op in response.context["operators"] if op == operator)
    assert (row.on_shift, row.holding) == (True, 25)
    assert "<strong>सत्यापन 2026</strong>" in response.content.decode(), "the drive being called for"


@pytest.mark.parametrize("who", ["patna_president", "state_leader", "operator"])
def test_only_supervisors_release_batches(client, request, who, operator):
    url = reverse("calls:release", args=[operator.pk])
    assert login(client, request.getfixturevalue(who)).post(url).status_code == 404


def test_release_needs_post(client, supervisor, operator):
    assert login(client, supervisor).get(reverse("calls:release", args=[operator.pk])).status_code == 405


def test_console_load_and_mark_take_a_fixed_number_of_queries(calling, django_assert_num_queries, session_query):
    rollup.rebuild()  # the summary rows exist, as they do on any floor that has been running
    with django_assert_num_queries(8 + session_query):
        member = current(calling)
    with django_assert_num_queries(13 + session_query):
        mark(calling, member, "yes")


def test_htmx_settles_a_swap_without_the_style_attribute_the_pages_security_policy_refuses(calling):
    """By default htmx copies "style" too as it settles a swap, with setAttribute: an inline style, which the
    policy (style-src 'self') refuses, with an error in the browser's console at every mark."""
    import json
    import re

    response = calling.get("/calls/console/")
    meta = re.search(r"""<meta name="htmx-config" content='([^']*)'>""", response.content.decode())
    config = json.loads(meta.group(1))
    assert config["attributesToSettle"] == ["class", "width", "height"]
    assert (config["includeIndicatorStyles"], config["allowEval"]) == (False, False), "as before"
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["style-src"] == "'self'"  # in whichever order the directives come


def test_the_worker_is_asked_once_to_top_up_and_an_emptied_batch_is_refilled_on_the_spot(
    calling, operator, monkeypatch, django_capture_on_commit_callbacks
):
    from calls import tasks

    asked = []
    monkeypatch.setattr(tasks.batch_top_up, "delay", asked.append)  # asked, but no worker builds
    response = calling.get("/calls/console/", HTTP_HX_REQUEST="true")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(25):
            response = mark(calling, response.context["member"], "yes")
    assert asked == [operator.pk]
    assert response.context["member"] is not None
    assert response.context["progress"].remaining == 25  # a new batch's worth, built by the last outcome


def test_outcomes_are_saved_and_the_page_loads_while_the_broker_is_down(
    calling, operator, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from calls import tasks

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    settings.CALLS_TOP_UP_BELOW = settings.CALLS_BATCH_SIZE  # the first outcome takes the batch below the mark
    monkeypatch.setattr(tasks.batch_top_up, "delay", broker_down)
    member = current(calling)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = mark(calling, member, "yes")
    assert callbacks, "the outcome asked the worker for a top-up"
    assert response.status_code == 200
    assert response.context["member"] != member
    assert CallAttempt.objects.filter(member=member, operator=operator, outcome=Outcome.YES).count() == 1


def test_a_mark_after_the_session_ran_out_sends_the_whole_page_to_login_and_back(calling):
    member = current(calling)
    calling.logout()
    response = calling.post(
        "/calls/console/mark/",
        {"member": member.pk, "outcome": "yes", "submission_key": uuid.uuid4()},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/calls/console/",
    )
    # Not the login page swapped into the console: a full-page redirect, back to the console afterwards.
    assert (response.status_code, response["HX-Redirect"]) == (200, "/login/?next=/calls/console/")
    assert not CallAttempt.objects.exists()


def test_back_never_shows_a_console_page_from_the_browsers_cache(calling):
    assert "no-store" in calling.get("/calls/console/")["Cache-Control"]
    member = current(calling)
    assert "no-store" in mark(calling, member, "yes")["Cache-Control"]


def test_an_operator_whose_numbers_were_taken_back_is_told_why(calling, operator, supervisor, client):
    member = current(calling)
    services.shift_stop(operator=operator)  # as the supervisor's release or the idle timeout does
    response = mark(calling, member, "yes")
    assert response["HX-Redirect"] == reverse("calls:console")
    page = calling.get(response["HX-Redirect"])
    (message,) = page.context["messages"]
    assert str(message) == str(ERRORS["saved, shift ended"]), "the call on screen was saved, and says so"
    assert CallAttempt.objects.filter(member=member, outcome="yes").exists()


def test_progress_counts_calls_so_a_member_back_in_the_batch_moves_it_on_without_counting_twice(
    calling, operator, clock, settings
):
    first = current(calling)
    when = datetime.datetime.now(tz=IST) + datetime.timedelta(minutes=30)
    response = mark(calling, first, "call_back", call_back_at=when.strftime("%Y-%m-%dT%H:%M"), personal="on")
    assert (response.context["progress"].position, response.context["progress"].total) == (2, 25)
    clock.shift(datetime.timedelta(minutes=31))
    batch = CallBatch.objects.get(operator=operator, closed_at=None)
    Member.objects.filter(batch=batch).exclude(pk=first.pk).update(batch=None, status=MemberStatus.YES)
    settings.CALLS_BATCH_SIZE = 30
    services.batch_build(operator_ids=[operator.pk])  # the top-up brings the call-back due into the same batch
    assert Member.objects.filter(pk=first.pk, batch=batch).exists()

    progress = calling.get("/calls/console/").context["progress"]
    remaining = Member.objects.filter(batch=batch).count()
    assert (progress.done, progress.remaining) == (1, remaining), "one call made; the member back is still to do"
    assert (progress.position, progress.total) == (2, 1 + remaining)
    assert current(calling) == first  # due, it comes up next
    after = mark(calling, first, "yes").context["progress"]
    assert (after.position, after.total) == (3, 1 + remaining), "called again: one more call, the total stays"


def test_the_floor_shows_an_operator_idle_since_pressing_start_and_keeps_itself_up_to_date(
    calling, client, operator, supervisor, clock
):
    clock.shift(datetime.timedelta(minutes=12))  # started, then never marked a call
    response = login(client, supervisor).get("/calls/floor/")
    row = next(op for op in response.context["operators"] if op == operator)
    assert row.last_call_at is None
    assert datetime.timedelta(minutes=11) < timezone.now() - row.last_active_at < datetime.timedelta(minutes=13)
    html = response.content.decode()
    assert "12\xa0मिनट पहले" in html  # timesince keeps the number with its unit
    clock.shift(datetime.timedelta(minutes=-12))  # back to when Start was pressed
    assert "<td>अभी</td>" in client.get("/calls/floor/").content.decode(), "not '0 minutes ago'"
    assert 'hx-trigger="every 30s"' in html and 'hx-select="#floor-figures"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_floors_last_activity_is_the_operators_latest_not_their_last_call_hours_ago(
    client, operator, supervisor, campaign, pool, clock, django_assert_num_queries
):
    """The floor counted only the last call and an open batch's lease: an operator who pressed Start before
    calling hours, waiting for numbers, showed as last active at their last call the evening before, and one
    whose batch was released jumped back to that call, however recently their console had taken numbers."""
    from calls import selectors

    def last_active():
        with django_assert_num_queries(1):  # one query for the whole floor, as before
            operators = selectors.floor_operators()
        return next(op for op in operators if op == operator).last_active_at

    evening = datetime.datetime(2026, 11, 22, 18, 0, tzinfo=IST)
    CallAttempt.objects.create(
        member=pool["PAT"][0], operator=operator, campaign=campaign, outcome=Outcome.BUSY,
        result_status=MemberStatus.RETRY, submission_key=uuid.uuid4(), created_at=evening,
    )  # fmt: skip
    clock.move_to(datetime.datetime(2026, 11, 23, 8, 30, tzinfo=IST))  # half an hour before calling hours
    login(client, operator).post("/calls/console/start/")
    clock.move_to(datetime.datetime(2026, 11, 23, 8, 32, tzinfo=IST))
    assert timezone.now() - last_active() < datetime.timedelta(minutes=3), "pressed Start two minutes ago"

    clock.move_to(datetime.datetime(2026, 11, 23, 9, 0, 30, tzinfo=IST))
    assert current(client) is not None  # the waiting page asks again, and the console takes numbers
    clock.move_to(datetime.datetime(2026, 11, 23, 9, 5, tzinfo=IST))
    services.shift_stop(operator=operator, by=supervisor)  # released from the floor
    assert datetime.timedelta(minutes=4) < timezone.now() - last_active() < datetime.timedelta(minutes=5)


def test_when_calling_hours_end_the_last_call_is_said_saved_and_undo_says_why_it_cannot(
    calling, operator, centre, clock
):
    member, response = yes_as_the_hours_end(calling, centre, clock)
    assert [str(m) for m in response.context["messages"]] == [str(ERRORS["saved"])]
    assert 'data-key="u"' not in response.content.decode(), "no Undo offered once the numbers are back"

    response = calling.post("/calls/console/undo/", HTTP_HX_REQUEST="true")
    assert [str(m) for m in response.context["messages"]] == [str(ERRORS["hours over"])]
    member.refresh_from_db()
    assert member.status == MemberStatus.YES


def test_undo_at_the_start_of_a_shift_does_not_speak_of_an_earlier_shifts_call(calling, operator, clock):
    mark(calling, current(calling), "no")
    calling.post("/calls/console/stop/")
    clock.shift(datetime.timedelta(hours=3))  # after a break
    calling.post("/calls/console/start/")
    calling.get("/calls/console/")  # the page that says the calling stopped, and starts again
    response = calling.post("/calls/console/undo/", HTTP_HX_REQUEST="true")
    assert [str(m) for m in response.context["messages"]] == [str(ERRORS["nothing to undo"])]


def test_a_call_marked_in_another_tab_says_how_it_was_saved_and_shows_the_member_now(calling, operator):
    first = current(calling)
    mark(calling, first, "yes")  # the first tab
    response = mark(calling, first, "no")  # the second tab, still showing the same member, with its own form
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert shown == [str(ERRORS["already marked"]) % {"outcome": "हाँ"}]
    assert response.context["member"] not in (None, first), "the member the operator is on now"
    assert list(CallAttempt.objects.filter(member=first).values_list("outcome", flat=True)) == [Outcome.YES]


def test_a_call_back_that_came_due_is_handed_out_before_the_members_listed_earlier(calling, operator):
    batch = CallBatch.objects.get(operator=operator, closed_at=None)
    first, *_rest, last = batch.members.order_by("id")
    assert current(calling) == first
    # Meanwhile the last of the batch is a call-back that came due (its time is kept while it waits in the batch).
    Member.objects.filter(pk=last.pk).update(next_call_at=timezone.now() - datetime.timedelta(minutes=5))
    assert current(calling) == first, "the member on screen stays"
    response = mark(calling, first, "yes")
    assert response.context["member"] == last, "the member promised a call at a time is called next"


def test_a_corrected_number_comes_back_saying_the_earlier_calls_were_to_another_number(
    calling, operator, patna_president
):
    from members import services as member_services

    member = current(calling)
    old = member.mobile
    mark(calling, member, "wrong", note="किसी और का नंबर")
    member_services.member_correct_number(member_id=member.pk, mobile="7000012345", actor=patna_president)
    calling.post("/calls/console/stop/")
    calling.post("/calls/console/start/")
    page = calling.get("/calls/console/")
    assert page.context["member"] == member
    html = page.content.decode()
    assert f"पहले की कॉल {old[:5]} {old[5:]} पर थीं" in html and "किसी और का नंबर" in html


def test_a_console_released_by_a_supervisor_says_it_was_the_supervisor(calling, client, operator, supervisor):
    from django.test import Client

    current(calling)
    floor = Client()
    login(floor, supervisor).post(reverse("calls:release", args=[operator.pk]))
    response = calling.get("/calls/console/check/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == "/calls/console/"
    shown = [str(m) for m in calling.get("/calls/console/").context["messages"]]
    assert shown == [
        f"आपके सुपरवाइज़र ({supervisor.username}) ने आपके नंबर वापस कतार में डाल दिए। जारी रखने के लिए “कॉल करना शुरू करें” दबाएँ।"
    ]


def test_an_operators_own_call_back_coming_due_is_called_at_the_next_call_not_at_the_next_top_up(
    calling, operator, clock
):
    promised = current(calling)
    when = datetime.datetime.now(tz=IST) + datetime.timedelta(minutes=30)
    mark(calling, promised, "call_back", call_back_at=when.strftime("%Y-%m-%dT%H:%M"), personal="on")
    mark(calling, current(calling), "yes")
    clock.shift(datetime.timedelta(minutes=31))
    assert Member.objects.filter(batch__operator=operator).count() > 5, "far from needing a top-up"

    response = mark(calling, current(calling), "yes")

    assert response.context["member"] == promised, "the member promised a call at that time is next"


def test_undo_right_after_stop_and_start_does_not_take_back_the_last_shifts_call(calling, operator):
    member = current(calling)
    mark(calling, member, "yes")
    calling.post("/calls/console/stop/")
    calling.post("/calls/console/start/")
    calling.get("/calls/console/")  # the page that says the calling stopped, and starts again
    response = calling.post("/calls/console/undo/", HTTP_HX_REQUEST="true")
    assert [str(m) for m in response.context["messages"]] == [str(ERRORS["before stop"])], "not 'nothing to undo'"
    member.refresh_from_db()
    assert member.status == MemberStatus.YES


def test_a_new_drive_switched_on_in_the_admin_reaches_operators_already_calling(calling, operator, superuser, campaign):
    """Not only operators who press Start after it: those on shift call for it from their next member, with its
    script, and their calls are stored for it."""
    from django.test import Client

    first = current(calling)
    admin = login(Client(), superuser)
    old = {"name": campaign.name, "kind": campaign.kind, "script_hi": campaign.script_hi}  # "active" unticked
    assert admin.post(reverse("admin:calls_campaign_change", args=[campaign.pk]), old).status_code == 302
    new = {"name": "सत्यापन दिसंबर", "kind": "verification", "script_hi": "नमस्ते {name} जी, आपकी राय", "is_active": "on"}
    assert admin.post(reverse("admin:calls_campaign_add"), new).status_code == 302
    drive = Campaign.objects.get(name="सत्यापन दिसंबर")

    response = mark(calling, first, "no_answer")

    assert "आपकी राय" in response.content.decode(), "the next member is called with the new drive's script"
    second = response.context["member"]
    mark(calling, second, "yes")
    assert CallAttempt.objects.get(member=second).campaign == drive
    assert CallBatch.objects.get(operator=operator, closed_at=None).campaign == drive
