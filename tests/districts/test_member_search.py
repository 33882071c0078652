import io
import uuid

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from calls.models import CallAttempt, Campaign, Outcome
from controlroom.models import AuditEvent
from members.models import Member, MemberStatus
from tests.conftest import login, make_member

pytestmark = pytest.mark.django_db


def search(client, query, code="PAT"):
    return client.get(reverse("districts:member_search", args=[code]), {"q": query})


def found(response):
    return [member.mobile for member in response.context["page"]]


@pytest.mark.parametrize(
    "query",
    ["9876543211", "+91 98765-43211", "098765 43211", "९८७६५४३२११", "43211", "5432 11"],
    ids=["as-stored", "with-prefix-and-dash", "trunk-zero", "devanagari-digits", "last-digits", "part-with-space"],
)
def test_a_president_finds_a_member_by_the_number_as_people_write_it(client, cast, patna_president, query):
    assert found(search(login(client, patna_president), query)) == ["9876543211"]


@pytest.mark.parametrize(
    ("written", "typed"),
    [("लालमुनी देवी", "लालमुनि"), ("सुनीता", "सुनिता"), ("फ़ूलमती", "फुलमति"), ("चाँदनी", "चांदनी"), ("ईश्वर राम", "इश्वर")],
)
def test_a_name_is_found_however_its_vowels_nukta_or_chandrabindu_were_written(
    client, cast, patna_president, written, typed
):
    """Lists and people spell one name both ways: लालमुनी and लालमुनि, फ़ूलमती and फुलमति, चाँदनी and चांदनी."""
    make_member(cast["rampur"], "9876543212", name=written)
    login(client, patna_president)
    assert found(search(client, typed)) == ["9876543212"]
    assert found(search(client, written)) == ["9876543212"], "as written, too"


def test_a_president_finds_members_by_words_of_the_name_in_any_order(client, cast, patna_president):
    make_member(cast["rampur"], "9876543212", name="सीता  देवी")
    make_member(cast["rampur"], "9876543213", name="Sita Kumari")
    login(client, patna_president)
    assert found(search(client, "देवी सीता")) == ["9876543212"]
    assert found(search(client, "sita")) == ["9876543213"], "English names match whatever the case"
    assert len(found(search(client, "कुमार"))) == 2, "the cast's two राम कुमार"


@pytest.mark.parametrize("query", ["", "   ", "98", "12"])
def test_too_little_to_search_by_finds_nobody(client, cast, patna_president, query):
    response = search(login(client, patna_president), query)
    assert response.status_code == 200
    assert found(response) == []


def test_a_president_never_finds_another_districts_members(client, cast, patna_president):
    login(client, patna_president)
    assert found(search(client, "8712345609")) == [], "Gaya's member, searched from Patna's page"
    assert search(client, "8712345609", code="GAY").status_code == 404


@pytest.mark.parametrize("who", ["state_leader", "supervisor"])
def test_the_state_and_the_floor_search_any_district(client, cast, request, who):
    assert found(search(login(client, request.getfixturevalue(who)), "8712345609", code="GAY")) == ["8712345609"]


def test_operators_cannot_search_members(client, cast, operator):
    assert search(login(client, operator), "9812345670").status_code == 404


def test_a_found_member_shows_their_status_village_and_last_call_with_its_note(client, cast, patna_president, operator):
    member = cast["rampur"].members.get(mobile="9812345670")
    member.status = MemberStatus.NO
    member.save()
    campaign = Campaign.objects.create(name="सत्यापन", script_hi="नमस्ते {name} जी")
    for outcome, note in [(Outcome.BUSY, "पहली बार"), (Outcome.NO, "अभी नहीं\nअगले महीने")]:
        CallAttempt.objects.create(
            member=member, operator=operator, campaign=campaign, outcome=outcome, note=note, result_status="no",
            submission_key=uuid.uuid4(),
        )  # fmt: skip
    page = search(login(client, patna_president), "9812345670").content.decode()
    assert "अभी नहीं<br>अगले महीने" in page, "the last call's note, its line break kept"
    assert "पहली बार" not in page
    assert reverse("districts:village", args=["PAT", cast["rampur"].pk]) in page
    assert "नहीं" in page and "रामपुर" in page


def test_results_come_a_page_at_a_time_and_the_pages_keep_the_search(client, cast, patna_president):
    for i in range(55):
        make_member(cast["rampur"], f"70000000{i:02d}", name=f"मोहन {i:02d}")
    login(client, patna_president)
    first = search(client, "मोहन")
    assert (first.context["page"].paginator.count, len(found(first))) == (55, 50)
    assert "?q=%E0%A4%AE%E0%A5%8B%E0%A4%B9%E0%A4%A8&amp;page=2" in first.content.decode()
    second = client.get(reverse("districts:member_search", args=["PAT"]), {"q": "मोहन", "page": 2})
    assert len(found(second)) == 5


def test_the_district_page_offers_the_search(client, cast, patna_president):
    page = login(client, patna_president).get("/districts/PAT/").content.decode()
    assert f'action="{reverse("districts:member_search", args=["PAT"])}"' in page


@pytest.mark.parametrize("url", ["/districts/", "/districts/PAT/", "/districts/PAT/members/"])
def test_the_search_boxs_example_is_in_the_pages_language(client, cast, state_leader, url):
    client.cookies["django_language"] = "en"
    page = login(client, state_leader).get(url).content.decode()
    assert 'placeholder="Ram Kumar · 98123 45670"' in page
    assert "राम कुमार · " not in page


def search_all(client, query):
    return client.get(reverse("members:search"), {"q": query})


@pytest.mark.parametrize("who", ["state_leader", "supervisor"])
def test_the_state_and_the_floor_find_a_number_without_knowing_its_district(client, cast, request, who):
    login(client, request.getfixturevalue(who))
    response = search_all(client, "+91 87123 45609")
    assert found(response) == ["8712345609"]
    page = response.content.decode()
    assert reverse("districts:village", args=["GAY", cast["sitapur"].pk]) in page
    assert "गया" in page, "the district is named, as the search spans them all"
    assert sorted(found(search_all(client, "कुमार"))) == ["8712345609", "8765432108", "9812345670", "9876543211"]


def test_a_president_searching_every_district_still_finds_only_their_own(client, cast, patna_president):
    login(client, patna_president)
    assert found(search_all(client, "8712345609")) == []
    assert sorted(found(search_all(client, "कुमार"))) == ["9812345670", "9876543211"]


def test_operators_cannot_search_every_district_either(client, cast, operator):
    assert search_all(login(client, operator), "9812345670").status_code == 404


def test_the_district_list_offers_the_search_of_every_district(client, cast, state_leader):
    page = login(client, state_leader).get("/districts/").content.decode()
    assert f'action="{reverse("members:search")}"' in page


# --- by status, and the download of what was found ---


def test_the_last_calls_outcome_is_not_said_twice_where_the_status_says_it(client, cast, patna_president, operator):
    wrong, busy = cast["rampur"].members.all()[:2]
    campaign = Campaign.objects.create(name="सत्यापन", script_hi="नमस्ते {name} जी")
    for member, outcome, status in [(wrong, Outcome.WRONG_NUMBER, "wrong"), (busy, Outcome.BUSY, "retry")]:
        Member.objects.filter(pk=member.pk).update(status=status)
        CallAttempt.objects.create(
            member=member, operator=operator, campaign=campaign, outcome=outcome, result_status=status,
            submission_key=uuid.uuid4(),
        )  # fmt: skip
    response = login(client, patna_president).get(reverse("districts:member_search", args=["PAT"]), {"q": "राम"})
    labels = {member.pk: member.last_outcome_label for member in response.context["page"]}
    assert labels == {wrong.pk: "", busy.pk: "व्यस्त"}, "a wrong number's status alone says it"
    table = response.content.decode().split("<tbody>")[1]
    assert table.count("गलत नंबर") == 1


def by_status(client, status, query="", code="PAT"):
    return client.get(reverse("districts:member_search", args=[code]), {"q": query, "status": status})


@pytest.fixture
def said_no(cast, operator):
    """Two of Patna's members said NO; the last call of one has a note for the president."""
    member = make_member(cast["rampur"], "9876543212", name="सीता देवी", status=MemberStatus.NO)
    make_member(cast["rampur"], "9876543213", name="=cmd|' /C calc'!A0", status=MemberStatus.NO)
    make_member(cast["sitapur"], "8765432107", status=MemberStatus.NO)  # Gaya's
    campaign = Campaign.objects.create(name="सत्यापन", script_hi="नमस्ते {name} जी")
    CallAttempt.objects.create(
        member=member, operator=operator, campaign=campaign, outcome=Outcome.NO, note="=अगले महीने फिर पूछें",
        result_status="no", submission_key=uuid.uuid4(),
    )  # fmt: skip
    return member


def test_a_president_lists_everyone_of_a_status_in_the_district(client, cast, patna_president, said_no):
    response = by_status(login(client, patna_president), MemberStatus.NO)
    assert sorted(found(response)) == ["9876543212", "9876543213"], "Patna's alone"
    page = response.content.decode()
    assert "“मना किया (नहीं)” स्थिति वाले 2 सदस्य।" in page
    assert '<option value="no" selected>' in page, "the status chosen stays chosen"


def test_a_status_narrows_a_search_by_name(client, cast, patna_president, said_no):
    login(client, patna_president)
    assert found(by_status(client, MemberStatus.NO, query="सीता")) == ["9876543212"]
    assert found(by_status(client, MemberStatus.PENDING, query="सीता")) == []
    assert len(found(by_status(client, MemberStatus.PENDING))) == 2, "the cast's two, not yet called"


def test_a_status_that_is_not_one_is_ignored(client, cast, patna_president, said_no):
    response = by_status(login(client, patna_president), "everyone", query="9812345670")
    assert found(response) == ["9812345670"]
    assert found(by_status(client, "everyone")) == []


def test_everyone_of_a_status_is_listed_a_district_at_a_time(client, cast, state_leader, said_no):
    login(client, state_leader)
    assert found(client.get(reverse("members:search"), {"status": "no"})) == [], "across districts: by name or number"
    across = client.get(reverse("members:search"), {"q": "9812345670", "status": "no"})
    assert found(across) == ["9812345670"], "the status is not asked there, and not applied"
    assert len(found(by_status(client, MemberStatus.NO, code="GAY"))) == 1


def test_the_district_page_offers_the_status(client, cast, patna_president):
    page = login(client, patna_president).get("/districts/PAT/").content.decode()
    assert '<select name="status"' in page


def test_the_members_found_download_with_their_last_call(client, cast, patna_president, said_no):
    login(client, patna_president)
    page = by_status(client, MemberStatus.NO).content.decode()
    url = reverse("districts:member_search_export", args=["PAT"]) + "?q=&amp;status=no"
    assert f'href="{url}"' in page
    response = client.get(reverse("districts:member_search_export", args=["PAT"]), {"status": "no"})
    assert response.status_code == 200
    assert "members-PAT-no" in response["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0].values)
    assert rows[0][:5] == ("सदस्य आईडी", "नाम", "मोबाइल", "गाँव", "ज़िला")
    by_mobile = {row[2]: row for row in rows[1:]}
    assert set(by_mobile) == {"9876543212", "9876543213"}
    row = by_mobile["9876543212"]
    assert (row[3], row[4]) == ("रामपुर", "पटना")
    assert (row[6], row[8], row[10]) == ("मना किया (नहीं)", "नहीं", "'=अगले महीने फिर पूछें")
    assert row[9] is not None, "when it was called"
    assert by_mobile["9876543213"][1] == "'=cmd|' /C calc'!A0", "a name that would run as a formula is text"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, what="members-PAT-no", rows=2).exists()


def test_nothing_searched_downloads_nothing(client, cast, patna_president):
    response = login(client, patna_president).get(reverse("districts:member_search_export", args=["PAT"]))
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0].values)
    assert len(rows) == 1, "the headings alone"


@pytest.mark.parametrize("who", ["patna_president", "operator"])
def test_another_districts_members_are_not_downloaded(client, cast, request, who, said_no):
    response = login(client, request.getfixturevalue(who)).get(
        reverse("districts:member_search_export", args=["GAY"]), {"status": "no"}
    )
    assert response.status_code == 404


def test_a_member_is_found_by_the_number_they_had_before_it_was_corrected(client, cast, patna_president):
    """The president's paper list still has the old number."""
    from districts import rollup
    from members import services

    member = cast["rampur"].members.get(mobile="9812345670")
    member.status, member.attempt_count = MemberStatus.WRONG_NUMBER, 1
    member.save(update_fields=["status", "attempt_count"])
    rollup.rebuild()
    services.member_correct_number(member_id=member.pk, mobile="7000012345", actor=patna_president)
    login(client, patna_president)
    assert found(search(client, "+91 98123 45670")) == ["7000012345"]
    assert found(search(client, "7000012345")) == ["7000012345"]
