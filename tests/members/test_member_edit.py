"""A district president corrects a member's name, address or village from the village page or a search."""

import uuid

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calls.models import CallAttempt, CallBatch, Campaign, Outcome
from controlroom.models import AuditEvent
from districts import services as district_services
from districts.models import DistrictStats, VillageStats
from members import pipeline, services
from members.models import Member, MemberChange, MemberStatus
from tests.conftest import login, make_member, make_village, while_merging
from tests.districts.test_rollup import assert_rollup_matches_group_by

pytestmark = pytest.mark.django_db


@pytest.fixture
def sita(cast):
    """A confirmed member of रामपुर, with a typo in her name, who lives in शिवपुर."""
    return make_member(cast["rampur"], "9876500001", name="सीता देबी", status=MemberStatus.YES)


@pytest.fixture
def shivpur(patna):
    return make_village(patna, "शिवपुर", target=1)


def edit_url(member, **query):
    url = reverse("members:member_edit", args=[member.pk])
    return f"{url}?next={query['next']}" if query else url


def test_a_president_corrects_the_name_and_moves_the_member_to_her_village(
    client, cast, sita, shivpur, patna, patna_president
):
    village_page = reverse("districts:village", args=["PAT", cast["rampur"].pk])
    login(client, patna_president)
    assert edit_url(sita) in client.get(village_page).content.decode(), "the name links to the form"
    page = client.get(edit_url(sita, next=village_page))
    assert page.context["form"].initial == {
        "name": "सीता देबी",
        "mobile": sita.mobile,
        "address": "",
        "village": "रामपुर",
    }
    assert "mobile" not in page.context["form"].fields, "she has been called: her number is fixed from the rejects"

    data = {"name": " सीता  देवी ", "village": "शिवपुर", "address": "वार्ड 4", "next": village_page}
    response = client.post(edit_url(sita), data, follow=True)
    assert response.redirect_chain[-1][0] == village_page, "back where the page was opened from"
    sita.refresh_from_db()
    assert (sita.name, sita.village, sita.address, sita.status) == ("सीता देवी", shivpur, "वार्ड 4", "yes")
    assert (VillageStats.objects.get(village=shivpur).yes, VillageStats.objects.get(village=cast["rampur"]).yes) == (
        1,
        0,
    )
    assert DistrictStats.objects.get(district=patna).villages_at_target == 1, "शिवपुर reached its target of 1"
    event = AuditEvent.objects.get(action=AuditEvent.Action.MEMBER_EDIT)
    assert (event.actor, event.detail["fields"]) == (patna_president, ["name", "address", "village_id"])
    assert_rollup_matches_group_by()
    change = MemberChange.objects.get(member=sita)
    assert (change.kind, change.actor) == (MemberChange.Kind.EDITED, patna_president)
    assert change.details == {
        "name": ["सीता देबी", "सीता देवी"],
        "village": ["रामपुर", "शिवपुर"],
        "address": ["", "वार्ड 4"],
    }
    history = client.get(reverse("members:member_detail", args=[sita.pk])).content.decode()
    assert "ब्योरा सुधारा गया" in history and "नाम: सीता देबी → सीता देवी" in history
    assert "गाँव: रामपुर → शिवपुर" in history and "पता: — → वार्ड 4" in history


def test_the_village_may_be_written_by_a_merged_villages_name(client, cast, sita, shivpur, patna, patna_president):
    typo = make_village(patna, "शिवपुरर")
    district_services.village_merge(village_id=typo.pk, into_id=shivpur.pk, actor=patna_president)
    login(client, patna_president).post(edit_url(sita), {"name": sita.name, "village": "शिवपुरर"})
    sita.refresh_from_db()
    assert sita.village == shivpur


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "123", "village": "रामपुर"}, "name"),
        ({"name": "", "village": "रामपुर"}, "name"),
        ({"name": "सीता", "village": "सीतापुर"}, "village"),  # Gaya's village
        ({"name": "सीता", "village": "कहीं नहीं"}, "village"),
    ],
    ids=["no-letters", "empty-name", "another-districts-village", "unknown-village"],
)
def test_what_an_upload_would_refuse_is_refused(client, cast, sita, patna_president, data, field):
    response = login(client, patna_president).post(edit_url(sita), data)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    sita.refresh_from_db()
    assert (sita.name, sita.village) == ("सीता देबी", cast["rampur"])


def test_saving_nothing_new_writes_nothing(client, cast, sita, patna_president):
    login(client, patna_president).post(edit_url(sita), {"name": "सीता देबी", "village": "रामपुर"})
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.MEMBER_EDIT).exists()
    assert not MemberChange.objects.exists()


def test_a_new_number_alone_is_kept_as_a_number_change_only(client, cast, patna_president):
    member = make_member(cast["rampur"], "9876500002", name="गीता")
    data = {"name": "गीता", "village": "रामपुर", "mobile": "9876500003"}
    login(client, patna_president).post(edit_url(member), data)
    assert list(MemberChange.objects.values_list("kind", flat=True)) == [MemberChange.Kind.RETYPED]


def test_a_member_enrolled_with_a_number_now_refused_as_made_up_can_still_have_the_name_fixed(
    client, cast, patna_president, superuser
):
    """9876543210 was taken before the rules refused it: the member's number is kept as it is, not a reason
    to refuse fixing their name, here or in the admin."""
    member = make_member(cast["rampur"], "9876543210", name="गीता देबी")
    data = {"name": "गीता देवी", "village": "रामपुर", "mobile": "9876543210"}
    assert login(client, patna_president).post(edit_url(member), data).status_code == 302
    member.refresh_from_db()
    assert (member.name, member.mobile) == ("गीता देवी", "9876543210")
    retyped = {**data, "mobile": "98765 43210"}
    assert client.post(edit_url(member), retyped).status_code == 302, "as people write it"

    login(client, superuser)
    change_url = reverse("admin:members_member_change", args=[member.pk])
    form = client.get(change_url).context["adminform"].form
    admin_data = {**{name: form[name].value() or "" for name in form.fields}, "name": "गीता"}
    assert client.post(change_url, admin_data).status_code == 302
    other = make_member(cast["rampur"], "9876500009", name="नई")
    typed = {**data, "name": "नई", "mobile": "9876543210"}
    assert login(client, patna_president).post(edit_url(other), typed).status_code == 422, "not given to another"


def test_staff_corrections_in_the_admin_are_kept_in_the_members_history(client, cast, sita, superuser):
    login(client, superuser)
    change_url = reverse("admin:members_member_change", args=[sita.pk])
    form = client.get(change_url).context["adminform"].form
    data = {**{name: form[name].value() or "" for name in form.fields}, "name": "सीता देवी"}
    response = client.post(change_url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    change = MemberChange.objects.get(member=sita)
    assert (change.kind, change.details, change.actor) == ("edited", {"name": ["सीता देबी", "सीता देवी"]}, superuser)


def test_a_next_address_elsewhere_is_not_followed(client, cast, sita, patna_president):
    data = {"name": "सीता देवी", "village": "रामपुर", "next": "https://example.com/"}
    response = login(client, patna_president).post(edit_url(sita), data)
    assert response["Location"] == reverse("districts:village", args=["PAT", cast["rampur"].pk])


def test_search_results_link_to_the_form_for_those_who_may_correct(client, cast, sita, patna_president, state_leader):
    search = reverse("districts:member_search", args=["PAT"])
    assert edit_url(sita) in login(client, patna_president).get(search, {"q": "सीता"}).content.decode()
    page = login(client, state_leader).get(search, {"q": "सीता"}).content.decode()
    assert edit_url(sita) not in page and f'href="{detail_url(sita)}"' in page, "to the member's page, to read"


# --- the member's page: every call and change, to read ---------------------------------------------------


def detail_url(member):
    return reverse("members:member_detail", args=[member.pk])


def test_state_leadership_reads_a_members_calls_and_changes(client, cast, sita, state_leader, operator):
    campaign = Campaign.objects.create(name="सत्यापन", script_hi="नमस्ते {name} जी")
    CallAttempt.objects.create(
        member=sita, operator=operator, campaign=campaign, outcome=Outcome.YES,
        result_status=MemberStatus.YES, note="पार्टी के साथ हैं", submission_key=uuid.uuid4(),
    )  # fmt: skip
    Member.objects.filter(pk=sita.pk).update(attempt_count=1)
    village_page = reverse("districts:village", args=["PAT", cast["rampur"].pk])
    login(client, state_leader)
    assert f'href="{detail_url(sita)}"' in client.get(village_page).content.decode()
    page = client.get(detail_url(sita)).content.decode()
    assert "पार्टी के साथ हैं" in page and "98765 00001" in page
    assert edit_url(sita) not in page, "read-only"


def test_a_president_reads_a_member_taken_off_the_list_and_corrects_one_still_on_it(
    client, cast, sita, patna_president
):
    login(client, patna_president)
    assert edit_url(sita) in client.get(detail_url(sita)).content.decode()
    services.member_withdraw(
        member_id=make_member(cast["rampur"], "9876500002").pk, reason="दो बार", actor=patna_president
    )
    gone = Member.objects.get(mobile="9876500002")
    page = client.get(detail_url(gone)).content.decode()
    assert "दो बार" in page, "why it was taken off"
    assert edit_url(gone) not in page


@pytest.mark.parametrize("who", ["gaya_president", "operator"])
def test_others_do_not_read_a_member(client, cast, sita, request, who):
    assert login(client, request.getfixturevalue(who)).get(detail_url(sita)).status_code == 404


def test_the_members_page_needs_a_login_and_is_read_only(client, cast, sita, patna_president):
    assert client.get(detail_url(sita))["Location"].startswith("/login/")
    assert login(client, patna_president).post(detail_url(sita)).status_code == 405


def test_the_supervisor_corrects_in_any_district(client, cast, sita, supervisor):
    login(client, supervisor).post(edit_url(sita), {"name": "सीता देवी", "village": "रामपुर"})
    sita.refresh_from_db()
    assert sita.name == "सीता देवी"


@pytest.mark.parametrize("who", ["gaya_president", "state_leader", "operator"])
def test_others_cannot_correct(client, cast, sita, request, who):
    login(client, request.getfixturevalue(who))
    assert client.get(edit_url(sita)).status_code == 404
    assert client.post(edit_url(sita), {"name": "कोई और", "village": "रामपुर"}).status_code == 404
    sita.refresh_from_db()
    assert sita.name == "सीता देबी"


def test_staff_cannot_bring_a_member_taken_off_the_list_back_by_changing_the_number(client, cast, sita, superuser):
    """A new number is called afresh: the member taken off the list came back to it, to be called, beside whoever
    replaced them."""
    Member.objects.filter(pk=sita.pk).update(status=MemberStatus.REMOVED, attempt_count=1)
    login(client, superuser)
    change_url = reverse("admin:members_member_change", args=[sita.pk])
    form = client.get(change_url).context["adminform"].form
    data = {**{name: form[name].value() or "" for name in form.fields}, "mobile": "9876500099"}
    response = client.post(change_url, data, follow=True)
    assert "सूची से हटाया जा चुका है" in " ".join(str(m) for m in response.context["messages"])
    sita.refresh_from_db()
    assert (sita.status, sita.mobile) == (MemberStatus.REMOVED, "9876500001")


def test_a_member_taken_off_the_list_is_not_corrected(client, cast, sita, patna_president):
    Member.objects.filter(pk=sita.pk).update(status=MemberStatus.REMOVED)
    assert login(client, patna_president).get(edit_url(sita)).status_code == 404


def test_correcting_needs_a_login(client, cast, sita):
    response = client.post(edit_url(sita), {"name": "कोई और", "village": "रामपुर"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_move_into_a_village_being_merged_away_is_refused_not_a_crash(cast, sita, shivpur, patna_president):
    """The president moves Sita into शिवपुर while शिवपुर is being merged into रामपुर: the move waits for the merge,
    then says the village changed meanwhile, instead of failing on the deleted village."""
    from members import services

    def move():
        services.member_edit(
            member_id=sita.pk, name=sita.name, address="", village_id=shivpur.pk, actor=patna_president
        )

    raised = while_merging(shivpur, cast["rampur"], patna_president, move)
    assert isinstance(raised, services.RejectError), raised
    sita.refresh_from_db()
    assert sita.village == cast["rampur"]
    assert_rollup_matches_group_by()


# --- a number typed wrong, fixed before the first call --------------------------------------------------


def edit_data(member, **changes):
    return {"name": member.name, "village": member.village.name, "address": member.address, **changes}


def test_a_number_typed_wrong_is_fixed_before_the_first_call(client, cast, patna_president):
    typo = make_member(cast["rampur"], "9876500002", name="राधा")
    login(client, patna_president)
    page = client.get(edit_url(typo)).content.decode()
    assert 'inputmode="tel"' in page, "offered while not called yet"
    assert 'aria-describedby="id_mobile_help"' in page and 'id="id_mobile_help"' in page, "with its help read out"
    response = client.post(edit_url(typo), edit_data(typo, mobile="+91 98765-00020"))
    assert response.status_code == 302
    typo.refresh_from_db()
    assert (typo.mobile, typo.status, typo.attempt_count) == ("9876500020", MemberStatus.PENDING, 0)
    change = typo.changes.get()
    assert (change.kind, change.old_mobile, change.new_mobile, change.actor) == (
        "retyped",
        "9876500002",
        "9876500020",
        patna_president,
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.MEMBER_EDIT)
    assert event.detail["fields"] == ["mobile"]
    assert pipeline.enrolled(["9876500002"]) == {}, "typed wrong, not found wrong: it may be enrolled again"
    assert_rollup_matches_group_by()


def test_the_same_number_written_another_way_changes_nothing(client, cast, patna_president):
    member = make_member(cast["rampur"], "9876500002")
    login(client, patna_president).post(edit_url(member), edit_data(member, mobile="098765 00002"))
    assert not member.changes.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.MEMBER_EDIT).exists()


def test_a_number_an_upload_would_refuse_is_refused(client, cast, patna_president):
    member = make_member(cast["rampur"], "9876500002")
    login(client, patna_president)
    response = client.post(edit_url(member), edit_data(member, mobile="98765"))
    assert (response.status_code, list(response.context["form"].errors)) == (422, ["mobile"])
    response = client.post(edit_url(member), edit_data(member, mobile="+91 98123 45670"))
    assert response.status_code == 422
    (error,) = response.context["form"].non_field_errors()
    assert error.startswith("9812345670:") and "रामपुर" in error, "enrolled already: the error says where"
    member.refresh_from_db()
    assert member.mobile == "9876500002"
    assert not member.changes.exists()


@pytest.mark.parametrize(
    "state",
    [{"status": MemberStatus.IN_BATCH}, {"status": MemberStatus.RETRY, "attempt_count": 1}, {"attempt_count": 1}],
    ids=["in-a-batch", "to-call-again", "called-once"],
)
def test_a_number_called_since_the_form_was_opened_is_not_changed(client, cast, patna_president, operator, state):
    member = make_member(cast["rampur"], "9876500002", name="राधा")
    login(client, patna_president)
    assert "mobile" in client.get(edit_url(member)).context["form"].fields
    if state.get("status") == MemberStatus.IN_BATCH:  # handed to an operator, who may be dialling it now
        campaign = Campaign.objects.create(name="सत्यापन", script_hi="नमस्ते {name} जी")
        state["batch"] = CallBatch.objects.create(
            operator=operator, call_centre=operator.call_centre, campaign=campaign, expires_at=timezone.now()
        )
    Member.objects.filter(pk=member.pk).update(**state)
    response = client.post(edit_url(member), edit_data(member, mobile="9876500020", name="राधा देवी"))
    assert response.status_code == 422
    assert "कॉल सेंटर" in response.content.decode()
    member.refresh_from_db()
    assert (member.mobile, member.name) == ("9876500002", "राधा"), "nothing was saved"
    assert "mobile" not in client.get(edit_url(member)).context["form"].fields


def test_a_number_enrolled_by_an_upload_between_the_check_and_the_save_is_refused(
    client, cast, patna_president, monkeypatch
):
    member = make_member(cast["rampur"], "9876500002")
    make_member(cast["rampur"], "9876500020", name="अभी जुड़ीं")
    monkeypatch.setattr(pipeline, "enrolled", lambda mobiles: {})  # the check ran before the upload wrote it
    response = login(client, patna_president).post(edit_url(member), edit_data(member, mobile="9876500020"))
    assert response.status_code == 422
    assert "9876500020" in response.context["form"].non_field_errors()[0]
    member.refresh_from_db()
    assert member.mobile == "9876500002"
    assert not member.changes.exists(), "the history is not told of a number the member never had"


def test_the_service_refuses_a_member_called_after_the_form_was_checked(cast, patna_president):
    member = make_member(cast["rampur"], "9876500002")
    Member.objects.filter(pk=member.pk).update(attempt_count=1, status=MemberStatus.RETRY)
    with pytest.raises(services.RejectError):
        services.member_edit(
            member_id=member.pk,
            name=member.name,
            address="",
            village_id=member.village_id,
            mobile="9876500020",
            actor=patna_president,
        )
    member.refresh_from_db()
    assert member.mobile == "9876500002"


# --- taking a member off the list before any call -------------------------------------------------------


def withdraw_url(member):
    return reverse("members:member_withdraw", args=[member.pk])


def test_a_member_not_called_yet_is_taken_off_the_list_with_the_reason(client, cast, patna_president):
    mistake = make_member(cast["rampur"], "9876500002", name="दो बार")
    village_page = reverse("districts:village", args=["PAT", cast["rampur"].pk])
    login(client, patna_president)
    assert withdraw_url(mistake) in client.get(edit_url(mistake)).content.decode()
    response = client.post(withdraw_url(mistake), {"reason": "दो बार जुड़ गए", "next": village_page})
    assert response["Location"] == village_page
    mistake.refresh_from_db()
    assert mistake.status == MemberStatus.REMOVED
    change = mistake.changes.get()
    assert (change.kind, change.reason, change.actor) == ("removed", "दो बार जुड़ गए", patna_president)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REMOVE, what=f"member {mistake.pk}").exists()
    assert client.get(edit_url(mistake)).status_code == 404, "nothing left to correct"
    assert_rollup_matches_group_by()


@pytest.mark.parametrize(
    "state",
    [{"status": MemberStatus.YES}, {"status": MemberStatus.NO}, {"attempt_count": 1}],
    ids=["confirmed", "said-no", "called-once"],
)
def test_a_member_once_called_or_being_called_stays_on_the_list(client, cast, sita, patna_president, state):
    Member.objects.filter(pk=sita.pk).update(**state)
    login(client, patna_president)
    assert withdraw_url(sita) not in client.get(edit_url(sita)).content.decode()
    response = client.post(withdraw_url(sita), {"reason": "गलती"})
    assert response.status_code == 422
    sita.refresh_from_db()
    assert sita.status != MemberStatus.REMOVED


def test_a_reason_is_needed(client, cast, patna_president):
    mistake = make_member(cast["rampur"], "9876500002")
    response = login(client, patna_president).post(withdraw_url(mistake), {"reason": "  "})
    assert response.status_code == 422
    mistake.refresh_from_db()
    assert mistake.status == MemberStatus.PENDING


@pytest.mark.parametrize("who", ["gaya_president", "state_leader", "operator"])
def test_others_cannot_take_a_member_off(client, cast, request, who):
    mistake = make_member(cast["rampur"], "9876500002")
    login(client, request.getfixturevalue(who))
    assert client.post(withdraw_url(mistake), {"reason": "गलती"}).status_code == 404
    mistake.refresh_from_db()
    assert mistake.status == MemberStatus.PENDING


def test_taking_off_takes_a_post(client, cast, patna_president):
    mistake = make_member(cast["rampur"], "9876500002")
    assert login(client, patna_president).get(withdraw_url(mistake)).status_code == 405


def test_the_members_page_takes_the_same_queries_however_long_the_history(client, cast, patna_president, operator):
    member = make_member(cast["rampur"], "9876500002")
    campaign = Campaign.objects.create(name="सत्यापन", script_hi="नमस्ते {name} जी")
    login(client, patna_president)

    def grow(calls):
        for _ in range(calls):
            CallAttempt.objects.create(
                member=member, operator=operator, campaign=campaign, outcome=Outcome.BUSY,
                result_status=MemberStatus.RETRY, submission_key=uuid.uuid4(),
            )  # fmt: skip
        MemberChange.objects.create(
            member=member, kind=MemberChange.Kind.CORRECTED, old_mobile="9876500002", new_mobile="9876500003",
            actor=patna_president, replacement=make_member(cast["rampur"], f"98765000{10 + calls}"),
        )  # fmt: skip
        Member.objects.filter(pk=member.pk).update(attempt_count=F("attempt_count") + calls)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(edit_url(member))
        assert len(response.context["attempts"]) == member.attempts.count()
        return len(queries)

    assert grow(1) == grow(4)
