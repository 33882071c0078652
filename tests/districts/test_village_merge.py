"""A district president merges a village created under a misspelt name into the one its members belong in."""

import pytest
from django.urls import reverse

from controlroom.models import AuditEvent
from districts import services
from districts.models import DistrictStats, Village, VillageAlias, VillageStats
from members.models import Member, MemberStatus, Upload
from tests.conftest import login, make_member, make_village, while_merging
from tests.districts.test_rollup import assert_rollup_matches_group_by

pytestmark = pytest.mark.django_db


@pytest.fixture
def typo(cast, patna):
    """ "रामपुरर", a misspelling of the cast's "रामपुर", with two members: one confirmed, one waiting."""
    village = make_village(patna, "रामपुरर", target=1)
    make_member(village, "9876500001", status=MemberStatus.YES)
    make_member(village, "9876500002")
    return village


def merge_url(village):
    return reverse("districts:village_merge", args=[village.district.code, village.pk])


def test_a_president_merges_a_misspelt_village_into_the_right_one(client, cast, typo, patna_president):
    rampur = cast["rampur"]
    login(client, patna_president)
    page = client.get(merge_url(typo))
    assert [v.name for v in page.context["suggestions"]] == ["रामपुर"], "the look-alike is offered first"
    confirm = client.get(merge_url(typo), {"into": "रामपुर"})
    assert confirm.context["into"] == rampur
    assert "2 सदस्य" in confirm.content.decode(), "says how many members will move"
    assert Village.objects.filter(pk=typo.pk).exists(), "nothing changes before the merge is confirmed"

    response = client.post(merge_url(typo), {"into": "रामपुर"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("districts:village", args=["PAT", rampur.pk])
    assert "रामपुरर" in str(list(response.context["messages"])[0])
    assert not Village.objects.filter(pk=typo.pk).exists()
    assert Member.objects.filter(village=rampur).count() == 4
    assert VillageStats.objects.get(village=rampur).yes == 1
    event = AuditEvent.objects.get(action=AuditEvent.Action.VILLAGE_MERGE)
    assert (event.actor, event.rows, event.detail["into"]) == (patna_president, 2, "रामपुर")
    assert_rollup_matches_group_by()


def test_each_merged_members_history_says_the_village_changed_by_whom(cast, typo, patna_president):
    """A merge moved the members without a word in their own history: only the audit log, by village, knew."""
    from members.models import MemberChange

    moved = set(typo.members.values_list("pk", flat=True))
    services.village_merge(village_id=typo.pk, into_id=cast["rampur"].pk, actor=patna_president)
    changes = MemberChange.objects.filter(member__in=moved)
    assert {(c.member_id, c.kind, c.actor, tuple(c.details["village"])) for c in changes} == {
        (pk, MemberChange.Kind.EDITED, patna_president, ("रामपुरर", "रामपुर")) for pk in moved
    }


def test_the_district_figures_follow_the_merge(cast, typo, patna, patna_president):
    """The misspelt village was at its target (1 confirmed of 1); after the merge the district has one village
    fewer, and "रामपुर" (target 10) is not at its target yet."""
    before = DistrictStats.objects.get(district=patna)
    assert (before.villages, before.villages_at_target, before.yes) == (2, 1, 1)
    services.village_merge(village_id=typo.pk, into_id=cast["rampur"].pk, actor=patna_president)
    after = DistrictStats.objects.get(district=patna)
    assert (after.villages, after.villages_at_target, after.yes, after.listed) == (1, 0, 1, 4)
    assert_rollup_matches_group_by()


def test_merging_can_bring_the_village_to_its_target(cast, typo, patna, patna_president):
    rampur = cast["rampur"]
    for village, target in ((rampur, 1), (typo, 5)):  # the typo is below its target, रामपुर one short of it
        village.target = target
        services.village_admin_save(village=village, created=False, actor=patna_president)
    assert DistrictStats.objects.get(district=patna).villages_at_target == 0
    services.village_merge(village_id=typo.pk, into_id=rampur.pk, actor=patna_president)
    assert DistrictStats.objects.get(district=patna).villages_at_target == 1
    assert_rollup_matches_group_by()


@pytest.mark.parametrize(
    ("typed", "error"),
    [("रामपुरर", "This is this village"), ("सीतापुर", "no village"), ("कोई और", "no village")],
    ids=["itself", "another-districts-village", "unknown"],
)
def test_only_another_village_of_the_same_district_can_be_chosen(client, cast, typo, patna_president, typed, error):
    login(client, patna_president)
    client.cookies["django_language"] = "en"
    response = client.post(merge_url(typo), {"into": typed})
    assert response.status_code == 200
    assert response.context["into"] is None
    errors = " ".join(response.context["form"].errors["into"])
    assert error.lower().split()[-1] in errors.lower()
    assert Village.objects.filter(pk=typo.pk).exists()


def test_the_name_is_matched_as_uploads_match_it(client, cast, typo, patna_president):
    login(client, patna_president)
    client.post(merge_url(typo), {"into": "  रामपुर "})
    assert not Village.objects.filter(pk=typo.pk).exists()


def test_a_village_merged_meanwhile_is_not_merged_twice(client, cast, typo, patna_president):
    login(client, patna_president)
    services.village_merge(village_id=cast["rampur"].pk, into_id=typo.pk, actor=patna_president)
    response = client.post(merge_url(typo), {"into": "रामपुर"})
    assert response.status_code == 200, "the form says रामपुर is no longer there"
    assert Member.objects.filter(village=typo).count() == 4
    with pytest.raises(services.VillageError):
        services.village_merge(village_id=typo.pk, into_id=cast["rampur"].pk, actor=patna_president)


def test_villages_told_apart_by_a_number_are_not_suggested(cast, patna):
    first, second = make_village(patna, "रामपुर 1"), make_village(patna, "रामपुर 2")
    from districts.selectors import village_merge_suggestions

    assert second not in village_merge_suggestions(first)
    assert village_merge_suggestions(make_village(patna, "ग्राम रामपुर")) == [cast["rampur"]]


def test_the_village_page_offers_the_merge_to_those_who_may_do_it(client, cast, typo, patna_president, state_leader):
    url = reverse("districts:village", args=["PAT", typo.pk])
    assert merge_url(typo) in login(client, patna_president).get(url).content.decode()
    assert merge_url(typo) not in login(client, state_leader).get(url).content.decode()


def test_the_supervisor_merges_in_any_district(client, cast, typo, supervisor):
    login(client, supervisor).post(merge_url(typo), {"into": "रामपुर"})
    assert not Village.objects.filter(pk=typo.pk).exists()


@pytest.mark.parametrize("who", ["gaya_president", "state_leader", "operator"])
def test_others_cannot_merge(client, cast, typo, request, who):
    login(client, request.getfixturevalue(who))
    assert client.get(merge_url(typo)).status_code == 404
    assert client.post(merge_url(typo), {"into": "रामपुर"}).status_code == 404
    assert Village.objects.filter(pk=typo.pk).exists()


def test_merging_needs_a_login(client, cast, typo):
    response = client.post(merge_url(typo), {"into": "रामपुर"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert Village.objects.filter(pk=typo.pk).exists()


def test_a_get_never_merges(client, cast, typo, patna_president):
    login(client, patna_president).get(merge_url(typo), {"into": "रामपुर"})
    assert Village.objects.filter(pk=typo.pk).exists()


# --- the merged village's name, written again ----------------------------------------------------------


def upload_rows(client, capture, *villages):
    from tests.members.conftest import post_upload
    from tests.members.corpus import HEAD, csv_text

    rows = [HEAD, *([f"सदस्य {i}", f"91234567{i:02d}", village, ""] for i, village in enumerate(villages))]
    post_upload(client, csv_text(rows).encode(), capture=capture)
    return Upload.objects.latest("pk")


def confirm(client, upload, capture):
    with capture(execute=True):
        client.post(reverse("members:upload_confirm", args=[upload.pk]))
    upload.refresh_from_db()
    return upload


def test_an_upload_that_writes_a_merged_villages_name_puts_its_members_where_they_went(
    client, cast, typo, patna, patna_president, django_capture_on_commit_callbacks
):
    services.village_merge(village_id=typo.pk, into_id=cast["rampur"].pk, actor=patna_president)
    login(client, patna_president)
    upload = upload_rows(client, django_capture_on_commit_callbacks, "रामपुरर", " रामपुरर", "शिवनगर")
    assert upload.new_village_names == [["शिवनगर", "शिवनगर"]], "the old name is not a new village"
    upload = confirm(client, upload, django_capture_on_commit_callbacks)
    assert (upload.imported, upload.new_villages) == (3, 1)
    assert Member.objects.filter(upload=upload, village=cast["rampur"]).count() == 2
    assert not Village.objects.filter(district=patna, name="रामपुरर").exists()
    assert_rollup_matches_group_by()


def test_a_list_checked_before_the_merge_and_imported_after_it_follows_the_merge(
    client, cast, typo, patna_president, django_capture_on_commit_callbacks
):
    login(client, patna_president)
    upload = upload_rows(client, django_capture_on_commit_callbacks, "रामपुरर")
    services.village_merge(village_id=typo.pk, into_id=cast["rampur"].pk, actor=patna_president)
    upload = confirm(client, upload, django_capture_on_commit_callbacks)
    assert upload.imported == 1
    assert Member.objects.get(upload=upload).village == cast["rampur"]


def test_a_village_created_again_under_the_old_name_comes_first(client, cast, typo, patna, patna_president):
    services.village_merge(village_id=typo.pk, into_id=cast["rampur"].pk, actor=patna_president)
    again = make_village(patna, "रामपुरर")
    from members.rows import RowChecker

    checker = RowChecker.for_district(patna.pk)
    assert checker.check(2, "सीता", "9123456780", "रामपुरर", "")[3] == again.name_key


def test_names_merged_before_follow_their_village_into_the_next_merge(cast, typo, patna, patna_president):
    services.village_merge(village_id=typo.pk, into_id=cast["rampur"].pk, actor=patna_president)
    sahi = make_village(patna, "रामपुर सही")
    services.village_merge(village_id=cast["rampur"].pk, into_id=sahi.pk, actor=patna_president)
    from members.rows import RowChecker

    checker = RowChecker.for_district(patna.pk)
    for written in ("रामपुरर", "रामपुर"):
        assert checker.check(2, "सीता", "9123456780", written, "")[3] == sahi.name_key


def test_the_admin_import_follows_the_merge_too(cast, typo, patna, patna_president):
    import tablib

    from members.resources import MemberResource
    from tests.members.corpus import HEAD, csv_text

    services.village_merge(village_id=typo.pk, into_id=cast["rampur"].pk, actor=patna_president)
    dataset = tablib.Dataset().load(csv_text([HEAD, ["सीता", "9123456780", "रामपुरर", ""]]), format="csv")
    result = MemberResource(district=patna).import_data(dataset)
    assert not result.has_errors() and not result.invalid_rows
    assert Member.objects.get(mobile="9123456780").village == cast["rampur"]


# --- correcting the name ---------------------------------------------------------------------------------


def rename_url(village):
    return reverse("districts:village_rename", args=[village.district.code, village.pk])


def test_a_president_corrects_a_villages_spelling_and_the_old_one_still_comes_here(
    client, cast, typo, patna, patna_president, django_capture_on_commit_callbacks
):
    login(client, patna_president)
    response = client.post(rename_url(typo), {"name": "  रामपुर   खुर्द "}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("districts:village", args=["PAT", typo.pk])
    typo.refresh_from_db()
    assert (typo.name, typo.name_key) == ("रामपुर खुर्द", "रामपुर खुर्द")
    event = AuditEvent.objects.get(action=AuditEvent.Action.VILLAGE_RENAME)
    assert (event.actor, event.detail["from"], event.detail["to"]) == (patna_president, "रामपुरर", "रामपुर खुर्द")
    capture = django_capture_on_commit_callbacks
    upload = confirm(client, upload_rows(client, capture, "रामपुरर"), capture)
    assert (upload.imported, upload.new_villages) == (1, 0)
    assert Member.objects.get(upload=upload).village == typo


def test_a_name_another_village_has_is_refused_with_the_way_to_merge(client, cast, typo, patna_president):
    login(client, patna_president)
    client.cookies["django_language"] = "en"
    response = client.post(rename_url(typo), {"name": "रामपुर"})
    assert response.status_code == 422
    assert "Merge into it instead" in response.content.decode()
    typo.refresh_from_db()
    assert typo.name == "रामपुरर"


def test_a_name_that_leads_to_another_village_is_refused_not_taken_from_it(client, cast, typo, patna, patna_president):
    """Renamed to a merged village's old name, a village silently took the lists that write it from the village
    they had gone to."""
    rampur = cast["rampur"]
    services.village_merge(village_id=typo.pk, into_id=rampur.pk, actor=patna_president)
    other = make_village(patna, "कोठिया")
    login(client, patna_president)
    client.cookies["django_language"] = "en"
    response = client.post(rename_url(other), {"name": "रामपुरर"})
    assert response.status_code == 422
    assert "“रामपुरर” is an earlier name of रामपुर" in response.content.decode()
    other.refresh_from_db()
    assert other.name == "कोठिया"
    assert VillageAlias.objects.get(name_key="रामपुरर").village == rampur
    renamed_back = client.post(rename_url(rampur), {"name": "रामपुरर"})  # its own earlier name: still its to take
    assert renamed_back.status_code == 302


def test_a_blank_name_is_refused_in_the_words_an_upload_uses(client, cast, typo, patna_president):
    # Django's own Hindi for a required field ("यह क्षेत्र अपेक्षित हैं") is ungrammatical: the project's wins.
    response = login(client, patna_president).post(rename_url(typo), {"name": "   "})
    assert response.status_code == 422
    page = response.content.decode()
    assert "यह खाली है; इसे भरना ज़रूरी है।" in page and "अपेक्षित" not in page


@pytest.mark.parametrize("who", ["gaya_president", "state_leader", "operator"])
def test_others_cannot_rename(client, cast, typo, request, who):
    login(client, request.getfixturevalue(who))
    assert client.post(rename_url(typo), {"name": "नया नाम"}).status_code == 404
    typo.refresh_from_db()
    assert typo.name == "रामपुरर"


def test_renaming_takes_a_post(client, cast, typo, patna_president):
    assert login(client, patna_president).get(rename_url(typo)).status_code == 405


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_import_waits_for_a_merge_in_flight_and_follows_it(client, cast, typo, patna_president, monkeypatch):
    """The merge holds its villages while the confirmed list starts importing: the import waits, then puts the
    row written "रामपुरर" where that village's members went, instead of failing on the deleted village."""
    from members import services as member_services

    login(client, patna_president)
    upload = upload_rows(client, None, "रामपुरर")
    monkeypatch.setattr(member_services, "_enqueue", lambda *args: None)  # imported below, while merging
    assert member_services.upload_confirm(upload=upload, user=patna_president)

    def import_list():
        member_services.upload_import(upload_id=upload.pk)

    assert while_merging(typo, cast["rampur"], patna_president, import_list) is None
    upload.refresh_from_db()
    assert (upload.status, upload.imported, upload.new_villages) == (Upload.Status.IMPORTED, 1, 0)
    assert Member.objects.get(upload=upload).village == cast["rampur"]


def test_members_taken_off_the_list_move_too_but_are_not_counted_as_moved(cast, typo, patna_president):
    gone = make_member(typo, "9876500003", status=MemberStatus.REMOVED)
    moved = services.village_merge(village_id=typo.pk, into_id=cast["rampur"].pk, actor=patna_president)
    assert moved == 2, "the two on the list, as the confirmation said"
    gone.refresh_from_db()
    assert gone.village == cast["rampur"]
    assert_rollup_matches_group_by()


def test_a_merged_villages_old_links_and_a_second_tap_lead_to_where_it_went(
    client, cast, typo, patna, patna_president, gaya_president
):
    rampur = cast["rampur"]
    login(client, patna_president)
    client.post(merge_url(typo), {"into": "रामपुर"}, follow=True)

    again = client.post(merge_url(typo), {"into": "रामपुर"}, follow=True)  # Back, then the button once more
    assert again.redirect_chain == [(reverse("districts:village", args=["PAT", rampur.pk]), 302)]
    assert [str(m) for m in again.context["messages"]] == ["यह गाँव “रामपुर” में मिला दिया गया है: इसके सदस्य यहाँ हैं।"]
    assert Member.objects.filter(village=rampur).count() == 4, "nothing merged twice"
    for url in (
        reverse("districts:village", args=["PAT", typo.pk]),
        reverse("districts:village_export", args=["PAT", typo.pk]),
    ):
        assert client.get(url)["Location"] == reverse("districts:village", args=["PAT", rampur.pk])

    later = make_village(patna, "नया रामपुर")
    services.village_merge(village_id=rampur.pk, into_id=later.pk, actor=patna_president)
    assert client.get(reverse("districts:village", args=["PAT", typo.pk]))["Location"].endswith(f"/{later.pk}/")

    login(client, gaya_president)  # outside their districts it stays "not found", as any other village
    assert client.get(reverse("districts:village", args=["PAT", typo.pk])).status_code == 404
    assert client.get(reverse("districts:village", args=["PAT", 999_999])).status_code == 404
