import uuid

import pytest
from django.urls import reverse

from calls.models import CallAttempt, Campaign, Outcome
from members.models import MemberStatus
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
    assert found(search(client, "8765432109")) == [], "Gaya's member, searched from Patna's page"
    assert search(client, "8765432109", code="GAY").status_code == 404


@pytest.mark.parametrize("who", ["state_leader", "supervisor"])
def test_the_state_and_the_floor_search_any_district(client, cast, request, who):
    assert found(search(login(client, request.getfixturevalue(who)), "8765432109", code="GAY")) == ["8765432109"]


def test_operators_cannot_search_members(client, cast, operator):
    assert search(login(client, operator), "9876543210").status_code == 404


def test_a_found_member_shows_their_status_village_and_last_call_with_its_note(client, cast, patna_president, operator):
    member = cast["rampur"].members.get(mobile="9876543210")
    member.status = MemberStatus.NO
    member.save()
    campaign = Campaign.objects.create(name="सत्यापन", script_hi="नमस्ते {name} जी")
    for outcome, note in [(Outcome.BUSY, "पहली बार"), (Outcome.NO, "अभी नहीं\nअगले महीने")]:
        CallAttempt.objects.create(
            member=member, operator=operator, campaign=campaign, outcome=outcome, note=note, result_status="no",
            submission_key=uuid.uuid4(),
        )  # fmt: skip
    page = search(login(client, patna_president), "9876543210").content.decode()
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


def search_all(client, query):
    return client.get(reverse("members:search"), {"q": query})


@pytest.mark.parametrize("who", ["state_leader", "supervisor"])
def test_the_state_and_the_floor_find_a_number_without_knowing_its_district(client, cast, request, who):
    login(client, request.getfixturevalue(who))
    response = search_all(client, "+91 87654 32109")
    assert found(response) == ["8765432109"]
    page = response.content.decode()
    assert reverse("districts:village", args=["GAY", cast["sitapur"].pk]) in page
    assert "गया" in page, "the district is named, as the search spans them all"
    assert sorted(found(search_all(client, "कुमार"))) == ["8765432108", "8765432109", "9876543210", "9876543211"]


def test_a_president_searching_every_district_still_finds_only_their_own(client, cast, patna_president):
    login(client, patna_president)
    assert found(search_all(client, "8765432109")) == []
    assert sorted(found(search_all(client, "कुमार"))) == ["9876543210", "9876543211"]


def test_operators_cannot_search_every_district_either(client, cast, operator):
    assert search_all(login(client, operator), "9876543210").status_code == 404


def test_the_district_list_offers_the_search_of_every_district(client, cast, state_leader):
    page = login(client, state_leader).get("/districts/").content.decode()
    assert f'action="{reverse("members:search")}"' in page
