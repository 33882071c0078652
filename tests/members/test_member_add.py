"""A district president enrols one member by hand into a village, checked as an upload checks a row."""

import pytest
from django.urls import reverse

from controlroom.models import AuditEvent
from districts.models import VillageStats
from members.models import Member, MemberChange, MemberStatus
from tests.conftest import login, make_member
from tests.districts.test_rollup import assert_rollup_matches_group_by

pytestmark = pytest.mark.django_db


def add_url(village):
    return reverse("members:member_add", args=[village.pk])


def test_a_president_adds_a_member_who_waits_for_the_call_and_adds_the_next(
    client, cast, patna_president, django_capture_on_commit_callbacks
):
    rampur = cast["rampur"]
    login(client, patna_president)
    assert add_url(rampur) in client.get(reverse("districts:village", args=["PAT", rampur.pk])).content.decode()
    data = {"name": " सीता  देवी ", "mobile": "+91 70000-12345", "address": "वार्ड 4"}
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(add_url(rampur), data, follow=True)
    assert response.redirect_chain[-1][0] == add_url(rampur), "the form again, for the next member"
    assert "सीता देवी" in str(list(response.context["messages"])[0])
    member = Member.objects.get(mobile="7000012345")
    assert (member.name, member.village, member.district, member.status) == ("सीता देवी", rampur, rampur.district,
                                                                            MemberStatus.PENDING)  # fmt: skip
    assert VillageStats.objects.get(village=rampur).listed == 3
    event = AuditEvent.objects.get(action=AuditEvent.Action.MEMBER_ADD)
    assert (event.actor, event.what) == (patna_president, f"member {member.pk}")
    assert len(callbacks) == 1, "batching is asked for once the member is saved"
    assert_rollup_matches_group_by()


@pytest.mark.parametrize(
    ("mobile", "says"),
    [
        ("12345", "10"),
        ("9.87654E+09", "एक्सेल"),
        ("8712345609", "सीतापुर"),  # a Gaya member's number: says where it is enrolled
    ],
    ids=["too-short", "destroyed-by-excel", "enrolled-elsewhere"],
)
def test_a_number_an_upload_would_refuse_is_refused_with_the_reason(client, cast, patna_president, mobile, says):
    login(client, patna_president)
    response = client.post(add_url(cast["rampur"]), {"name": "सीता", "mobile": mobile})
    assert response.status_code == 422
    assert says in response.content.decode()
    assert Member.objects.count() == 4


def test_a_number_corrected_away_is_refused(client, cast, patna_president):
    member = make_member(cast["rampur"], "9876500001", status=MemberStatus.WRONG_NUMBER)
    MemberChange.objects.create(
        member=member, kind=MemberChange.Kind.CORRECTED, old_mobile="7000012345", actor=patna_president
    )
    response = login(client, patna_president).post(add_url(cast["rampur"]), {"name": "सीता", "mobile": "7000012345"})
    assert response.status_code == 422
    assert not Member.objects.filter(mobile="7000012345").exists()


def test_a_name_without_letters_is_refused(client, cast, patna_president):
    response = login(client, patna_president).post(add_url(cast["rampur"]), {"name": "123", "mobile": "7000012345"})
    assert response.status_code == 422
    assert "name" in response.context["form"].errors


def test_the_supervisor_adds_in_any_district(client, cast, supervisor):
    login(client, supervisor).post(add_url(cast["sitapur"]), {"name": "सीता", "mobile": "7000012345"})
    assert Member.objects.get(mobile="7000012345").village == cast["sitapur"]


@pytest.mark.parametrize("who", ["gaya_president", "state_leader", "operator"])
def test_others_cannot_add(client, cast, request, who):
    login(client, request.getfixturevalue(who))
    assert client.get(add_url(cast["rampur"])).status_code == 404
    assert client.post(add_url(cast["rampur"]), {"name": "सीता", "mobile": "7000012345"}).status_code == 404
    assert not Member.objects.filter(mobile="7000012345").exists()


def test_adding_needs_a_login(client, cast):
    response = client.post(add_url(cast["rampur"]), {"name": "सीता", "mobile": "7000012345"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_number_enrolled_between_the_check_and_the_save_is_refused_not_a_crash(
    client, cast, patna_president, monkeypatch
):
    from members import services

    monkeypatch.setattr(services, "_check_enrollable", lambda mobile: None)  # an upload enrols it just after
    response = login(client, patna_president).post(add_url(cast["rampur"]), {"name": "सीता", "mobile": "9812345670"})
    assert response.status_code == 422
    assert "9812345670" in response.content.decode()
    assert Member.objects.filter(mobile="9812345670").count() == 1
    assert_rollup_matches_group_by()
