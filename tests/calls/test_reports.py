import io
import uuid

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from calls.models import CallAttempt, Campaign, Outcome
from calls.reports import daily_summary_send
from controlroom.models import AuditEvent
from districts import rollup
from members.models import Member, MemberStatus
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls_today(cast, operator, other_operator):
    campaign = Campaign.objects.create(name="सत्यापन", script_hi="नमस्ते")
    members = list(cast["rampur"].members.all()) + list(cast["sitapur"].members.all())
    outcomes = [
        (operator, Outcome.YES),
        (operator, Outcome.NO),
        (operator, Outcome.BUSY),
        (other_operator, Outcome.YES),
    ]
    for member, (who, outcome) in zip(members, outcomes, strict=True):
        CallAttempt.objects.create(
            member=member, operator=who, campaign=campaign, outcome=outcome, result_status=outcome,
            submission_key=uuid.uuid4(),
        )  # fmt: skip
    rollup.rebuild()


def test_productivity_shows_each_operators_day(client, calls_today, supervisor, operator):
    rows = login(client, supervisor).get(reverse("calls:productivity")).context["rows"]
    mine = next(row for row in rows if row.operator == operator)
    assert (mine.calls, mine.reached, mine.yes, mine.yes_rate) == (3, 2, 1, 0.5)


@pytest.mark.parametrize(
    ("calls", "minutes", "per_hour"), [(11, 1, None), (1, 0, None), (30, 45, 40.0), (100, 300, 20.0), (12, 15, 48.0)]
)
def test_calls_per_hour_are_counted_over_the_time_spent_calling(calls, minutes, per_hour):
    from datetime import timedelta

    from calls.selectors import OperatorDay

    first = timezone.now()
    row = OperatorDay(
        operator=None, calls=calls, reached=0, yes=0, first_call=first, last_call=first + timedelta(minutes=minutes)
    )
    assert row.per_hour == per_hour


def test_daily_activity_report_downloads_and_is_audited(client, calls_today, supervisor):
    response = login(client, supervisor).get(reverse("calls:productivity_export"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    *rows, total = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sorted(row[2] for row in rows) == [1, 3]
    assert total[1:5] == ("सभी ऑपरेटर", 4, 3, 2), "the floor's day under the operators'"
    assert {row[9] for row in rows} == {"पटना कंट्रोल रूम"}
    first_call = timezone.localtime(CallAttempt.objects.earliest("created_at").created_at)
    assert first_call.time().replace(second=0, microsecond=0) in {row[7] for row in rows}, "times, not text"
    assert {cell.number_format for cell in sheet["H"][1:]} == {"hh:mm"}, "09:05, not 9:05:00"
    assert AuditEvent.objects.get(action="export").rows == 2
    day = timezone.localdate()
    assert response["Content-Disposition"] == f'attachment; filename="activity-{day:%Y-%m-%d}.xlsx"', "one date"
    assert sheet.title == f"कामकाज {day:%Y-%m-%d}", "named in the reader's language"


def test_productivity_ends_with_the_floors_day_and_says_each_operators_call_centre(client, calls_today, supervisor):
    response = login(client, supervisor).get(reverse("calls:productivity"))
    total = response.context["total"]
    assert (total.name, total.calls, total.reached, total.yes, total.yes_rate) == ("सभी ऑपरेटर", 4, 3, 2, 2 / 3)
    html = response.content.decode()
    assert html.count("पटना कंट्रोल रूम") == 2 and "<tfoot>" in html


def test_productivity_of_a_day_without_calls_has_no_total(client, cast, supervisor):
    response = login(client, supervisor).get(reverse("calls:productivity"))
    assert response.context["total"] is None and "<tfoot>" not in response.content.decode()


def test_productivity_goes_a_day_back_and_forth_but_not_past_today(client, calls_today, supervisor):
    login(client, supervisor)
    today = timezone.localdate()
    html = client.get(reverse("calls:productivity")).content.decode()
    assert f'href="?day={today - timezone.timedelta(days=1):%Y-%m-%d}"' in html
    assert f'href="?day={today + timezone.timedelta(days=1):%Y-%m-%d}"' not in html
    earlier = client.get(reverse("calls:productivity"), {"day": f"{today - timezone.timedelta(days=2):%Y-%m-%d}"})
    assert f'href="?day={today - timezone.timedelta(days=1):%Y-%m-%d}"' in earlier.content.decode()


def test_state_leadership_reads_productivity_too(client, calls_today, state_leader):
    login(client, state_leader)
    assert client.get(reverse("calls:productivity")).status_code == 200
    assert client.get(reverse("calls:productivity_export")).status_code == 200


@pytest.mark.parametrize("who", ["operator", "patna_president"])
def test_only_supervisors_and_state_leadership_see_productivity(client, calls_today, request, who):
    login(client, request.getfixturevalue(who))
    assert client.get(reverse("calls:productivity")).status_code == 404
    assert client.get(reverse("calls:productivity_export")).status_code == 404


def test_the_daily_summary_goes_to_the_state_office(calls_today, settings):
    settings.DAILY_SUMMARY_EMAILS = ["office@example.org"]
    assert daily_summary_send() == 1
    message = mail.outbox[0]
    assert message.to == ["office@example.org"]
    assert "4" in message.body and "पटना" in message.body


def test_the_daily_summary_reads_as_the_dashboard_does(calls_today, settings):
    """In Hindi's alphabet (it listed districts by their English names), with the YES rate said to be of those
    reached, not left beside the members confirmed as if it were their share of the list."""
    from districts.models import District

    District.objects.create(code="BHO", name_en="Bhojpur", name_hi="भोजपुर")
    members = Member.objects.order_by("pk")
    for member, status in zip(members, [MemberStatus.YES, MemberStatus.YES, MemberStatus.NO], strict=False):
        Member.objects.filter(pk=member.pk).update(status=status)
    rollup.rebuild()
    settings.DAILY_SUMMARY_EMAILS = ["office@example.org"]
    daily_summary_send()
    body = mail.outbox[0].body
    assert body.index("गया:") < body.index("पटना:") < body.index("भोजपुर:")  # ग, प, भ; in English B, G, P
    assert "पुष्टि हुई (हाँ): 2\n" in body and "जिनसे बात हुई, उनमें से हाँ: 67%" in body
    assert "बाकी: " in body and "इंतज़ार" not in body, "pending, as the dashboard calls it"


def test_no_summary_without_recipients(calls_today, settings):
    settings.DAILY_SUMMARY_EMAILS = []
    assert daily_summary_send() == 0
    assert mail.outbox == []


def test_the_daily_summary_is_scheduled(settings):
    assert settings.CELERY_BEAT_SCHEDULE["calls-daily-summary"]["task"] == "calls.tasks.daily_summary_send"


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2026-13-45"])
def test_a_day_out_of_range_shows_today_and_says_why(client, calls_today, supervisor, day):
    login(client, supervisor)
    response = client.get(reverse("calls:productivity"), {"day": day})
    assert (response.status_code, response.context["day"]) == (200, timezone.localdate())
    assert response.context["form"].errors["day"]
    assert client.get(reverse("calls:productivity_export"), {"day": day}).status_code == 200
