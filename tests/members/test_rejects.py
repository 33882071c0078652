import datetime
import io
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from calls import services as calls
from calls.models import CallAttempt, Campaign, Outcome
from controlroom.models import AuditEvent
from districts import rollup
from districts.models import DistrictStats
from members.models import Member, MemberChange, MemberStatus
from tests.conftest import login, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def wrong(cast, operator):
    """A Patna member the call centre marked as a wrong number, with the operator's note."""
    campaign = Campaign.objects.create(name="सत्यापन", script_hi="नमस्ते")
    member = cast["rampur"].members.get(mobile="9812345670")
    member.status, member.attempt_count = MemberStatus.WRONG_NUMBER, 1
    member.save()
    CallAttempt.objects.create(
        member=member, operator=operator, campaign=campaign, outcome=Outcome.WRONG_NUMBER,
        result_status=MemberStatus.WRONG_NUMBER, note="किसी और का नंबर", submission_key=uuid.uuid4(),
    )  # fmt: skip
    from districts import rollup

    rollup.rebuild()
    return member


def fix(client, member, action, **data):
    return client.post(reverse(f"members:reject_{action}", args=[member.pk]), data)


def refused(client, member, action, **data):
    """A fix refused: back on the rejects page (a redirect, so that Back never meets "confirm resubmission"),
    at the member's card, with the reason beside the form that was sent."""
    response = fix(client, member, action, **data)
    assert response.status_code == 302 and response["Location"].endswith(f"#member-{member.pk}"), response
    page = client.get(response["Location"])
    assert page.context["failed"]["member"] == member.pk
    return page


def test_rejects_page_lists_wrong_numbers_with_the_operators_note(client, wrong, patna_president):
    response = login(client, patna_president).get(reverse("members:rejects", args=["PAT"]))
    assert [m.pk for m in response.context["page"]] == [wrong.pk]
    assert "किसी और का नंबर" in response.content.decode()


def test_a_rejects_name_leads_to_every_call_and_change_of_the_member(client, wrong, patna_president, operator):
    earlier = {"member": wrong, "operator": operator, "campaign": Campaign.objects.get()}
    for note, undone_at in (("घंटी गई, किसी ने नहीं उठाया", None), ("गलती से दबाया", "2026-01-01T00:00Z")):
        CallAttempt.objects.create(
            **earlier, outcome=Outcome.NO_ANSWER, result_status=MemberStatus.RETRY, note=note, undone_at=undone_at,
            submission_key=uuid.uuid4(), created_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        )  # fmt: skip
    rejects = reverse("members:rejects", args=["PAT"])
    page = login(client, patna_president).get(rejects).content.decode()
    member_page = reverse("members:member_edit", args=[wrong.pk])
    assert f'href="{member_page}?next={rejects}%23member-{wrong.pk}"' in page, "and back to the member's card"

    response = client.get(member_page)
    assert [a.note for a in response.context["attempts"]] == ["किसी और का नंबर", "घंटी गई, किसी ने नहीं उठाया"]
    assert "गलती से दबाया" not in response.content.decode(), "an outcome undone is not a call"
    assert "किसी और का नंबर" in response.content.decode()

    back = f"{rejects}#member-{wrong.pk}"
    data = {"name": wrong.name, "village": wrong.village.name, "address": "", "next": back}
    assert client.post(member_page, data)["Location"] == back

    fix(client, wrong, "correct", mobile="+91 70000-12345")
    page = client.get(member_page).content.decode()
    assert "98123 45670 → 70000 12345" in page, "the number it had, and the one it has now"


def test_correcting_a_number_requeues_the_member_and_keeps_the_old_number(client, wrong, patna_president):
    response = fix(login(client, patna_president), wrong, "correct", mobile="+91 70000-12345")
    assert response.status_code == 302
    wrong.refresh_from_db()
    assert (wrong.mobile, wrong.status, wrong.number_since is not None) == ("7000012345", MemberStatus.PENDING, True)
    change = MemberChange.objects.get(member=wrong)
    assert (change.kind, change.old_mobile, change.new_mobile, change.actor) == (
        "corrected",
        "9812345670",
        "7000012345",
        patna_president,
    )
    assert DistrictStats.objects.get(district=wrong.district).wrong == 0
    assert AuditEvent.objects.filter(action="correct", actor=patna_president).exists()


def test_a_patna_landline_typed_as_the_correction_is_refused_as_one(client, wrong, patna_president):
    response = refused(login(client, patna_president), wrong, "correct", mobile="0612-2234567")
    assert "लैंडलाइन" in _card(response, wrong), "not stored as 61222 34567, a mobile nobody has"
    wrong.refresh_from_db()
    assert (wrong.mobile, wrong.status) == ("9812345670", MemberStatus.WRONG_NUMBER)


def test_a_number_enrolled_elsewhere_is_refused_beside_the_member_with_what_was_typed(
    client, wrong, patna_president, cast
):
    response = refused(login(client, patna_president), wrong, "correct", mobile="8712 345609")
    card = _card(response, wrong)
    assert "सीतापुर" in card.split('role="alert"')[1], "the reason is shown in the member's own card"
    assert 'value="8712 345609" autofocus' in card, "what was typed is kept, and the phone scrolls to it"
    wrong.refresh_from_db()
    assert (wrong.mobile, wrong.status) == ("9812345670", MemberStatus.WRONG_NUMBER)


def test_a_number_the_call_centre_could_not_use_before_is_not_taken_back(client, wrong, patna_president):
    fix(login(client, patna_president), wrong, "correct", mobile="7000012345")
    Member.objects.filter(pk=wrong.pk).update(status=MemberStatus.WRONG_NUMBER)  # the new one failed too
    rollup.rebuild()
    refused(client, wrong, "correct", mobile="9812345670")  # back to the first number, marked wrong
    wrong.refresh_from_db()
    assert wrong.mobile == "7000012345"


def test_a_refused_fix_comes_back_on_the_page_it_was_sent_from(client, wrong, patna_president, cast):
    for i in range(60):  # two pages of rejects; `wrong` sorts last, on page 2
        make_member(cast["rampur"], f"70000{i:05d}", name=f"अ {i:02d}", status=MemberStatus.UNREACHABLE)
    login(client, patna_president)
    sent = client.post(reverse("members:reject_replace", args=[wrong.pk]), {"name": "", "mobile": "1", "page": 2})
    rejects = reverse("members:rejects", args=["PAT"])
    assert sent["Location"] == f"{rejects}?page=2#member-{wrong.pk}"
    response = client.get(sent["Location"])
    assert response.context["page"].number == 2
    card = _card(response, wrong)
    assert "<details open>" in card, "the replace form that failed is open"
    assert 'role="alert"' in card
    page = response.content.decode()
    assert f'name="next" value="{rejects}?page=2"' in page, "the language switch"
    assert f'href="{rejects}?page=1"' in page, "the page links"
    assert 'role="alert"' not in _card(client.get(sent["Location"]), wrong), "said once: a reload shows the page"


@pytest.mark.parametrize("page", ["²", "9" * 5000], ids=["superscript two", "5000 digits"])
def test_a_fix_sent_with_a_page_that_is_not_a_page_number_is_saved_and_leads_to_the_first_page(
    client, wrong, patna_president, page
):
    """A page of "²", or a number of 5,000 digits, passed isdigit() and then made int() fail: a server error, with
    the fix already saved."""
    response = fix(login(client, patna_president), wrong, "correct", mobile="7000012345", page=page)
    assert response.status_code == 302
    assert response["Location"] == reverse("members:rejects", args=["PAT"]), "the first page (no other reject)"
    wrong.refresh_from_db()
    assert wrong.mobile == "7000012345"


def test_a_fix_sent_after_the_session_ran_out_leads_back_to_the_rejects_page(client, wrong):
    rejects = reverse("members:rejects", args=["PAT"])
    url = reverse("members:reject_correct", args=[wrong.pk])
    response = client.post(url, {"mobile": "7000012345"}, HTTP_REFERER=f"http://testserver{rejects}?page=2")
    assert response["Location"] == f"/login/?next={rejects}%3Fpage%3D2"
    (message,) = client.get(response["Location"]).context["messages"]
    assert "सेव नहीं हुआ" in str(message)
    response = client.post(url, {"mobile": "7000012345"}, HTTP_REFERER="https://elsewhere.example/")
    assert response["Location"] == "/login/?next=/", "never back to another site"


def test_a_reject_fixed_meanwhile_by_someone_else_is_reported_at_the_top(client, wrong, patna_president, supervisor):
    fix(login(client, supervisor), wrong, "correct", mobile="7000012345")
    response = fix(login(client, patna_president), wrong, "remove", reason="दोबारा")
    (message,) = client.get(response["Location"]).context["messages"]
    assert "किसी और ने पहले ही" in str(message)


def _card(response, member) -> str:
    page = response.content.decode()
    start = page.index(f'id="member-{member.pk}"')
    return page[start : page.index("</article>", start)]


def test_messages_naming_a_number_stay_on_the_server(client, wrong, patna_president, cast):
    response = fix(login(client, patna_president), wrong, "correct", mobile="8712345609")
    assert "messages" not in response.cookies
    assert not any("8712345609" in morsel.value for morsel in response.cookies.values())


@pytest.mark.parametrize(
    ("action", "data", "form_of"),
    [
        ("correct", {"mobile": "98765000"}, "reject_correct"),
        ("replace", {"name": "नया व्यक्ति", "mobile": "98765000"}, "reject_replace"),
        ("remove", {"reason": "\u200b"}, "reject_remove"),
    ],
)
def test_a_refused_fix_says_why_inside_the_form_that_was_sent(client, wrong, patna_president, action, data, form_of):
    response = refused(login(client, patna_president), wrong, action, **data)
    forms = _card(response, wrong).split("<form")[1:]
    with_alert = [form for form in forms if 'role="alert"' in form]
    assert len(with_alert) == 1
    assert reverse(f"members:{form_of}", args=[wrong.pk]) in with_alert[0]


@pytest.mark.parametrize("action, data", [("correct", {}), ("replace", {"name": "नया सदस्य"})])
def test_a_number_enrolled_by_someone_else_during_the_fix_is_refused_not_a_server_error(
    client, wrong, patna_president, cast, monkeypatch, action, data
):
    """Checked free, then enrolled by an upload before the fix was written: the database's refusal was a 500."""
    from members import services

    monkeypatch.setattr(services, "_check_free", lambda mobile, member: None)  # the check ran before the upload
    make_member(cast["sitapur"], "9123456780")
    page = refused(login(client, patna_president), wrong, action, mobile="9123456780", **data)
    assert "9123456780" in page.content.decode()
    assert Member.objects.get(pk=wrong.pk).status == MemberStatus.WRONG_NUMBER, "nothing was changed"


def test_a_number_that_is_not_a_mobile_is_refused(client, wrong, patna_president):
    fix(login(client, patna_president), wrong, "correct", mobile="12345")
    wrong.refresh_from_db()
    assert wrong.status == MemberStatus.WRONG_NUMBER
    assert not MemberChange.objects.exists()


def test_replacing_enrols_someone_else_in_the_same_village(client, wrong, patna_president):
    fix(login(client, patna_president), wrong, "replace", name="  सीता   देवी ", mobile="7000054321", address="वार्ड 3")
    wrong.refresh_from_db()
    new = Member.objects.get(mobile="7000054321")
    assert (wrong.status, new.status, new.village, new.name) == ("removed", "pending", wrong.village, "सीता देवी")
    assert MemberChange.objects.get(member=wrong).replacement == new
    stats = DistrictStats.objects.get(district=wrong.district)
    assert (stats.listed, stats.wrong) == (2, 0)
    page = client.get(reverse("members:member_detail", args=[wrong.pk])).content.decode()
    assert f'इनकी जगह: <a href="{reverse("members:member_detail", args=[new.pk])}">सीता देवी</a>' in page
    theirs = client.get(reverse("members:member_detail", args=[new.pk])).content.decode()
    assert f'href="{reverse("members:member_detail", args=[wrong.pk])}">{wrong.name}</a>' in theirs, "and back"


def test_removing_takes_the_member_off_with_a_reason(client, wrong, patna_president):
    fix(login(client, patna_president), wrong, "remove", reason="पार्टी छोड़ दी")
    wrong.refresh_from_db()
    assert wrong.status == MemberStatus.REMOVED
    assert MemberChange.objects.get(member=wrong).reason == "पार्टी छोड़ दी"
    assert DistrictStats.objects.get(district=wrong.district).listed == 1


def test_the_whole_loop_wrong_number_to_yes(client, wrong, patna_president, operator, centre):
    centre.calling_starts, centre.calling_ends = datetime.time(0), datetime.time(23, 59, 59, 999999)
    centre.save()
    fix(login(client, patna_president), wrong, "correct", mobile="7000012345")
    Member.objects.exclude(pk=wrong.pk).update(status=MemberStatus.YES)
    calls.shift_start(operator=operator)
    _, member = calls.console_next_member(operator=operator)
    assert member == wrong, "the corrected member is called again"
    request = calls.MarkRequest(member.pk, Outcome.YES, submission_key=uuid.uuid4())
    calls.call_record_outcome(operator=operator, request=request)
    response = client.get(reverse("districts:detail", args=["PAT"]))
    assert (response.context["summary"].yes, response.context["rejects"]) == (1, 0)


@pytest.mark.parametrize("action", ["correct", "replace", "remove"])
def test_it_rejects_fixing_another_districts_member(client, wrong, gaya_president, action):
    response = fix(login(client, gaya_president), wrong, action, mobile="7000012345", name="x", reason="x")
    assert response.status_code == 404
    wrong.refresh_from_db()
    assert wrong.status == MemberStatus.WRONG_NUMBER


@pytest.mark.parametrize("who", ["operator", "state_leader"])
def test_only_presidents_and_supervisors_fix_rejects(client, wrong, request, who):
    response = fix(login(client, request.getfixturevalue(who)), wrong, "correct", mobile="7000012345")
    assert response.status_code == 404


def test_fixing_needs_post_and_login(client, wrong, patna_president):
    url = reverse("members:reject_correct", args=[wrong.pk])
    assert client.post(url, {"mobile": "7000012345"})["Location"].startswith("/login/")
    assert login(client, patna_president).get(url).status_code == 405


def test_a_member_already_fixed_cannot_be_fixed_twice(client, wrong, patna_president):
    login(client, patna_president)
    fix(client, wrong, "correct", mobile="7000012345")
    fix(client, wrong, "remove", reason="दोबारा")
    wrong.refresh_from_db()
    assert wrong.status == MemberStatus.PENDING


@pytest.mark.parametrize("url", ["members:rejects", "members:rejects_export"])
def test_rejects_are_scoped_to_the_district(client, wrong, gaya_president, operator, url):
    assert login(client, gaya_president).get(reverse(url, args=["PAT"])).status_code == 404
    assert login(client, operator).get(reverse(url, args=["PAT"])).status_code == 404


def test_rejects_download_is_audited_and_carries_member_ids(client, wrong, patna_president):
    response = login(client, patna_president).get(reverse("members:rejects_export", args=["PAT"]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    event = AuditEvent.objects.get(action="export")
    assert (event.actor, event.what, event.rows) == (patna_president, "rejects-PAT", 1)
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=2, column=1).value == wrong.pk, "a number the spreadsheet sorts, not text"


def test_state_leader_sees_rejects_without_the_fix_forms(client, wrong, state_leader):
    response = login(client, state_leader).get(reverse("members:rejects", args=["PAT"]))
    assert response.status_code == 200
    assert reverse("members:reject_correct", args=[wrong.pk]) not in response.content.decode()


def test_rejects_page_query_count_does_not_grow(
    client, wrong, patna_president, django_assert_num_queries, session_query, cast
):
    for i in range(10):
        make_member(cast["rampur"], f"70000{i:05d}", status=MemberStatus.UNREACHABLE)
    login(client, patna_president)
    # (session,) user, district, count, the page of rejects with their last call, and their calls
    with django_assert_num_queries(5 + session_query):
        client.get(reverse("members:rejects", args=["PAT"]))


def test_uploader_rates_show_whose_lists_check_out(
    client, patna, patna_president, gaya_president, state_leader, tmp_path
):
    from members import services as member_services
    from members.models import Upload

    path = tmp_path / "list.csv"
    path.write_text("नाम,मोबाइल,गांव,पता\nराम,7000000001,रामपुर,\nसीता,7000000002,रामपुर,\n", encoding="utf-8")
    member_services.members_import_file(path=path, district=patna)
    Upload.objects.update(uploaded_by=patna_president)
    member = Member.objects.get(mobile="7000000001")
    before = (member.status, member.attempt_count)
    member.status, member.attempt_count = MemberStatus.YES, 1
    member.save()
    from districts import rollup

    rollup.member_moved(member, before=before, after=(member.status, 1))
    rows = login(client, state_leader).get(reverse("members:uploaders")).context["rows"]
    assert [(r.uploader, r.listed, r.yes, r.rate) for r in rows] == [(patna_president, 2, 1, 1.0)]
    assert login(client, gaya_president).get(reverse("members:uploaders")).context["rows"] == []


def test_uploader_wrong_share_counts_only_members_called_to_an_outcome(
    client, patna, gaya, patna_president, gaya_president, state_leader
):
    from members.models import Upload, UploadStats

    called = Upload.objects.create(district=patna, uploaded_by=patna_president, original_name="big.xlsx")
    UploadStats.objects.create(upload=called, listed=1000, called=10, yes=3, no=2, wrong=3, unreachable=2)
    fresh = Upload.objects.create(district=gaya, uploaded_by=gaya_president, original_name="new.xlsx")
    UploadStats.objects.create(upload=fresh, listed=40)
    response = login(client, state_leader).get(reverse("members:uploaders"))
    assert {r.uploader: r.wrong_share for r in response.context["rows"]} == {patna_president: 0.5, gaya_president: None}
    last_cells = re.findall(r'<td class="num">([^<]*)</td>\s*</tr>', response.content.decode())
    assert last_cells == ["50%", "—"], "5 of the 10 called, and nothing yet for a list nobody has called"


def corrections_file(tmp_path, client, code, fill):
    """Download the rejects as the president would, fill in the last column, save it."""
    workbook = load_workbook(io.BytesIO(client.get(reverse("members:rejects_export", args=[code])).content))
    sheet = workbook.active
    for row in sheet.iter_rows(min_row=2):
        row[-1].value = fill.get(str(row[0].value), row[-1].value)
    path = tmp_path / "fixed.xlsx"
    workbook.save(path)
    return path


def test_corrections_in_bulk_through_the_rejects_download(client, wrong, patna_president, cast, tmp_path):
    unreachable = make_member(cast["rampur"], "7000000009", status=MemberStatus.UNREACHABLE)
    login(client, patna_president)
    path = corrections_file(tmp_path, client, "PAT", {str(wrong.pk): "9123456780", str(unreachable.pk): "12"})
    with path.open("rb") as upload:
        response = client.post(reverse("members:rejects_upload", args=["PAT"]), {"file": upload})
    wrong.refresh_from_db()
    unreachable.refresh_from_db()
    assert (wrong.mobile, wrong.status) == ("9123456780", MemberStatus.PENDING)
    assert unreachable.status == MemberStatus.UNREACHABLE, "a bad number is reported, not applied"
    shown = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert len(shown) == 2


def test_bulk_corrections_cannot_touch_another_district(client, wrong, gaya_president, patna_president, tmp_path):
    path = corrections_file(tmp_path, login(client, patna_president), "PAT", {str(wrong.pk): "9123456780"})
    login(client, gaya_president)
    with path.open("rb") as upload:
        client.post(reverse("members:rejects_upload", args=["GAY"]), {"file": upload})
    wrong.refresh_from_db()
    assert wrong.status == MemberStatus.WRONG_NUMBER
    with path.open("rb") as upload:
        assert client.post(reverse("members:rejects_upload", args=["PAT"]), {"file": upload}).status_code == 404


def test_a_file_that_is_not_a_rejects_download_is_refused(client, wrong, patna_president, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    login(client, patna_president)
    with path.open("rb") as upload:
        response = client.post(reverse("members:rejects_upload", args=["PAT"]), {"file": upload})
    (message,) = client.get(response["Location"]).context["messages"]
    assert ".xlsx" in str(message) and "CSV" in str(message)  # says which file to send, in the user's language
    wrong.refresh_from_db()
    assert wrong.status == MemberStatus.WRONG_NUMBER


def test_a_name_or_reason_of_only_invisible_characters_is_refused(client, wrong, patna_president):
    login(client, patna_president)
    refused(client, wrong, "replace", name="\u200b", mobile="7000054321")
    refused(client, wrong, "remove", reason="\u200b\u200b")
    wrong.refresh_from_db()
    assert wrong.status == MemberStatus.WRONG_NUMBER
    assert not Member.objects.filter(mobile="7000054321").exists()


def test_a_member_list_sent_as_corrections_names_the_columns_in_the_readers_language(
    client, wrong, patna_president, tmp_path
):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["नाम / Name", "मोबाइल / Mobile", "गाँव / Village"])
    workbook.active.append(["सीता", "9123456780", "रामपुर"])
    path = tmp_path / "list.xlsx"
    workbook.save(path)
    login(client, patna_president)
    with path.open("rb") as upload:
        response = client.post(reverse("members:rejects_upload", args=["PAT"]), {"file": upload})
    (message,) = client.get(response["Location"]).context["messages"]
    assert "“सदस्य आईडी”" in str(message) and "member id" not in str(message).casefold()


def test_an_upload_refuses_a_number_corrected_away_as_one_the_call_centre_could_not_use(
    client, wrong, patna_president, patna, tmp_path
):
    from members import pipeline

    fix(login(client, patna_president), wrong, "correct", mobile="7000012345")
    path = tmp_path / "old-list.csv"
    path.write_text("नाम,मोबाइल,गांव\nपुराना नाम,9812345670,रामपुर\nनया,7000099999,रामपुर\n", encoding="utf-8")
    checked = pipeline.check_file(path, district=patna, workdir=tmp_path)
    assert (checked.valid, checked.duplicates, checked.marked_wrong) == (1, 1, 1)
    assert "corrected_away" in checked.refused_path.read_text(encoding="utf-8")


def test_an_upload_refuses_the_number_of_a_member_taken_off_the_list_saying_so(
    client, wrong, patna_president, patna, tmp_path
):
    from members import pipeline
    from members.rows import reason_text

    fix(login(client, patna_president), wrong, "remove", reason="गाँव छोड़ दिया")
    path = tmp_path / "old-list.csv"
    path.write_text("नाम,मोबाइल,गांव\nपुराना नाम,9812345670,रामपुर\n", encoding="utf-8")
    checked = pipeline.check_file(path, district=patna, workdir=tmp_path)
    assert (checked.valid, checked.duplicates) == (0, 1)
    assert checked.marked_wrong == 1, "counted with the numbers the call centre could not use"
    assert "removed_away" in checked.refused_path.read_text(encoding="utf-8")
    params = {"village": "रामपुर", "district_en": "Patna", "district_hi": "पटना"}
    with translation.override("en"):
        assert "taken off the list" in reason_text("removed_away", params), "not “already enrolled”: it is not"


def test_an_upload_refuses_the_number_of_a_member_withdrawn_before_any_call_without_blaming_the_call_centre(
    client, cast, patna_president, patna, tmp_path
):
    from members import pipeline, services

    mistake = make_member(cast["rampur"], "7000000077", name="दो बार")
    services.member_withdraw(member_id=mistake.pk, reason="दो बार जुड़ गए", actor=patna_president)
    path = tmp_path / "again.csv"
    path.write_text("नाम,मोबाइल,गांव\nदो बार,7000000077,रामपुर\n", encoding="utf-8")
    checked = pipeline.check_file(path, district=patna, workdir=tmp_path)
    assert (checked.valid, checked.duplicates, checked.marked_wrong) == (0, 1, 0), (
        "not a number the centre could not use"
    )
    refused = checked.refused_path.read_text(encoding="utf-8")
    assert "withdrawn_away" in refused and "removed_away" not in refused


# --- a new number typed over the Mobile column of the rejects download ---


def typed_over_file(tmp_path, client, code, typed, corrected=None):
    """Download the rejects, type over the Mobile column (the third) and perhaps fill in "Corrected mobile"."""
    workbook = load_workbook(io.BytesIO(client.get(reverse("members:rejects_export", args=[code])).content))
    for row in workbook.active.iter_rows(min_row=2):
        row[2].value = typed.get(str(row[0].value), row[2].value)
        row[-1].value = (corrected or {}).get(str(row[0].value), row[-1].value)
    path = tmp_path / "typed-over.xlsx"
    workbook.save(path)
    return path


def upload_corrections(client, path, code="PAT"):
    with path.open("rb") as upload:
        response = client.post(reverse("members:rejects_upload", args=[code]), {"file": upload})
    return [(message.level_tag, str(message)) for message in client.get(response["Location"]).context["messages"]]


def test_a_number_typed_over_the_mobile_column_is_taken_as_the_correction(client, wrong, patna_president, tmp_path):
    patna_president.language = "en"
    patna_president.save(update_fields=["language"])
    login(client, patna_president)
    path = typed_over_file(tmp_path, client, "PAT", {str(wrong.pk): "+91 91234 56780"})

    shown = upload_corrections(client, path)

    wrong.refresh_from_db()
    assert (wrong.mobile, wrong.status) == ("9123456780", MemberStatus.PENDING)
    change = MemberChange.objects.get(member=wrong)
    assert (change.old_mobile, change.new_mobile, change.actor) == ("9812345670", "9123456780", patna_president)
    assert shown == [("success", "1 number corrected; that member will be called again.")]


def test_mobile_cells_left_as_downloaded_are_skipped_without_a_word(client, wrong, patna_president, cast, tmp_path):
    unreachable = make_member(cast["rampur"], "7000000009", status=MemberStatus.UNREACHABLE)
    patna_president.language = "en"
    patna_president.save(update_fields=["language"])
    login(client, patna_president)
    # Excel may turn the number into a number cell: still the same number.
    path = typed_over_file(tmp_path, client, "PAT", {str(unreachable.pk): 7000000009}, {str(wrong.pk): "9123456780"})

    shown = upload_corrections(client, path)

    unreachable.refresh_from_db()
    assert (unreachable.mobile, unreachable.status) == ("7000000009", MemberStatus.UNREACHABLE)
    assert shown == [("success", "1 number corrected; that member will be called again.")]


def test_something_else_typed_over_the_mobile_column_is_reported_for_its_row(
    client, wrong, patna_president, cast, tmp_path
):
    enrolled_in_gaya = cast["sitapur"].members.first().mobile
    unreachable = make_member(cast["rampur"], "7000000009", status=MemberStatus.UNREACHABLE)
    patna_president.language = "en"
    patna_president.save(update_fields=["language"])
    login(client, patna_president)
    path = typed_over_file(tmp_path, client, "PAT", {str(wrong.pk): "98765", str(unreachable.pk): enrolled_in_gaya})
    rows = {str(row[0].value): row[0].row for row in load_workbook(path).active.iter_rows(min_row=2)}

    shown = upload_corrections(client, path)

    assert shown == [
        ("warning", "No number was corrected: the file's corrections could not be used (below)."),
        ("warning", f"Row {rows[str(wrong.pk)]} (राम कुमार): A mobile number has 10 digits; this one has 5."),
        (
            "warning",
            f"Row {rows[str(unreachable.pk)]} (राम कुमार): {enrolled_in_gaya}: Already enrolled in सीतापुर, Gaya.",
        ),
    ]
    assert not MemberChange.objects.exists()


def test_a_rejects_file_with_no_correction_in_it_says_where_to_type_them(client, wrong, patna_president, tmp_path):
    patna_president.language = "en"
    patna_president.save(update_fields=["language"])
    login(client, patna_president)

    shown = upload_corrections(client, corrections_file(tmp_path, client, "PAT", {}))

    assert shown == [
        ("warning", "No corrected number was found in the file: type each new number in its “Corrected mobile” column.")
    ]


def test_a_row_naming_another_districts_member_is_reported_without_a_name(
    client, wrong, patna_president, cast, tmp_path
):
    gaya_member = cast["sitapur"].members.first()
    patna_president.language = "en"
    patna_president.save(update_fields=["language"])
    login(client, patna_president)
    path = corrections_file(tmp_path, client, "PAT", {})
    workbook = load_workbook(path)
    workbook.active.append([gaya_member.pk] + [""] * (workbook.active.max_column - 2) + ["9123456780"])
    workbook.save(path)

    shown = upload_corrections(client, path)

    assert shown[1] == ("warning", f"Row 3: Member ID {gaya_member.pk} is not one of this district's members.")
    gaya_member.refresh_from_db()
    assert gaya_member.mobile != "9123456780"


def test_a_download_from_before_someone_else_fixed_the_member_changes_nothing(
    client, wrong, patna_president, supervisor, tmp_path
):
    login(client, patna_president)
    path = typed_over_file(tmp_path, client, "PAT", {})
    fix(login(client, supervisor), wrong, "correct", mobile="7000012345")
    Member.objects.filter(pk=wrong.pk).update(status=MemberStatus.WRONG_NUMBER)  # and that one failed too
    rollup.rebuild()

    shown = upload_corrections(login(client, patna_president), path)

    wrong.refresh_from_db()
    assert (wrong.mobile, wrong.status) == ("7000012345", MemberStatus.WRONG_NUMBER), "not set back to the old one"
    assert [level for level, _text in shown] == ["warning"], "only: no correction was found in the file"
    assert "सही मोबाइल नंबर" in shown[0][1]


def test_a_number_typed_over_the_mobile_column_cannot_touch_another_district(
    client, wrong, patna_president, gaya_president, tmp_path
):
    path = typed_over_file(tmp_path, login(client, patna_president), "PAT", {str(wrong.pk): "9123456780"})

    shown = upload_corrections(login(client, gaya_president), path, code="GAY")

    wrong.refresh_from_db()
    assert (wrong.mobile, wrong.status) == ("9812345670", MemberStatus.WRONG_NUMBER)
    assert [level for level, _text in shown] == ["warning"], "only: no correction was found in the file"
    assert wrong.name not in shown[0][1] and str(wrong.pk) not in shown[0][1], "nothing said of another district's"


def test_a_member_never_reached_is_called_again_on_the_same_number_once_checked(
    client, cast, wrong, patna_president, operator
):
    from calls.models import CallAttempt as Attempt

    unreachable = make_member(cast["rampur"], "7000000009", status=MemberStatus.UNREACHABLE, attempt_count=3)
    for _ in range(3):
        Attempt.objects.create(
            member=unreachable, operator=operator, campaign=Campaign.objects.get(), outcome=Outcome.NO_ANSWER,
            result_status=MemberStatus.RETRY, submission_key=uuid.uuid4(),
        )  # fmt: skip
    from districts import rollup

    rollup.rebuild()
    page = login(client, patna_president).get(reverse("members:rejects", args=["PAT"]))
    assert reverse("members:reject_call_again", args=[unreachable.pk]) in _card(page, unreachable)
    assert "नंबर सही है: फिर से कॉल करें" in _card(page, unreachable)
    tried = "3 कॉल: फ़ोन नहीं उठाया · फ़ोन नहीं उठाया · फ़ोन नहीं उठाया"
    assert tried in _card(page, unreachable), "what was tried, read before sending it back"

    response = fix(client, unreachable, "call_again")
    assert response.status_code == 302
    unreachable.refresh_from_db()
    assert (unreachable.mobile, unreachable.status) == ("7000000009", MemberStatus.PENDING)
    change = MemberChange.objects.get(member=unreachable)
    assert (change.kind, change.actor) == (MemberChange.Kind.CALLED_AGAIN, patna_president)
    assert DistrictStats.objects.get(district=unreachable.district).unreachable == 0
    history = client.get(reverse("members:member_detail", args=[unreachable.pk])).content.decode()
    assert "उसी नंबर पर फिर से कॉल के लिए भेजा गया" in history


def test_a_wrong_number_the_member_says_is_theirs_is_called_again(client, wrong, patna_president):
    """Whoever answered said it was not the member's number (a relative on a family phone, often): the president
    asks the member, and sends the number back as it is, not to a dead end of removing them."""
    login(client, patna_president)
    page = client.get(reverse("members:rejects", args=["PAT"]))
    assert "सदस्य ने बताया कि नंबर उन्हीं का है: फिर से कॉल करें" in _card(page, wrong)

    typed_again = refused(client, wrong, "correct", mobile=wrong.mobile)
    assert "सदस्य ने बताया कि नंबर उन्हीं का है: फिर से कॉल करें" in typed_again.content.decode(), "the way out is named"

    assert fix(client, wrong, "call_again").status_code == 302
    wrong.refresh_from_db()
    assert (wrong.mobile, wrong.status) == ("9812345670", MemberStatus.PENDING)
    assert MemberChange.objects.get(member=wrong).kind == MemberChange.Kind.CALLED_AGAIN
    assert DistrictStats.objects.get(district=wrong.district).wrong == 0


def test_a_corrections_file_sent_twice_says_it_was_done_already_and_blames_nobody(
    client, wrong, patna_president, tmp_path
):
    login(client, patna_president)
    path = corrections_file(tmp_path, client, "PAT", {str(wrong.pk): "9123456780"})
    assert upload_corrections(client, path)[0][0] == "success"

    shown = upload_corrections(client, path)

    assert [level for level, _text in shown] == ["info"], shown
    assert "पहले भेजी जा चुकी है" in shown[0][1] and "किसी और" not in shown[0][1]
    assert MemberChange.objects.filter(member=wrong).count() == 1


def test_a_members_own_earlier_wrong_number_is_refused_as_theirs(client, wrong, patna_president):
    from members import services

    services.member_correct_number(member_id=wrong.pk, mobile="7000012345", actor=patna_president)
    Member.objects.filter(pk=wrong.pk).update(status=MemberStatus.WRONG_NUMBER)  # wrong again
    response = refused(login(client, patna_president), wrong, "correct", mobile="98123 45670")
    assert "इस सदस्य का पहले का नंबर था" in _card(response, wrong), "not 'a member in रामपुर, पटना'"


def test_after_a_fix_the_page_goes_on_to_the_next_reject_on_the_same_page(client, cast, wrong, patna_president):
    after = make_member(cast["rampur"], "7000000019", name="विमला", status=MemberStatus.WRONG_NUMBER)
    assert after.name > wrong.name  # listed after it, in the same village
    response = fix(login(client, patna_president), wrong, "correct", mobile="7000012345")
    assert response["Location"] == reverse("members:rejects", args=["PAT"]) + f"#member-{after.pk}"
    response = fix(client, after, "remove", reason="पार्टी छोड़ दी", page="2")
    assert response["Location"] == reverse("members:rejects", args=["PAT"]) + "?page=2", "the last: no anchor"


def test_a_corrections_file_leaves_alone_a_number_the_rules_now_refuse_when_left_as_it_is(
    client, cast, patna_president, operator, tmp_path
):
    """A reject enrolled as 9876543210 before the rules refused it, its row left untouched in the file, is not
    reported as "looks made up": it was not typed over."""
    placeholder = make_member(cast["rampur"], "9876543210", name="प्लेसहोल्डर", status=MemberStatus.WRONG_NUMBER)
    other = make_member(cast["rampur"], "7000000009", status=MemberStatus.UNREACHABLE)
    from districts import rollup

    rollup.rebuild()
    login(client, patna_president)
    path = corrections_file(tmp_path, client, "PAT", {str(other.pk): "9123456780"})
    shown = upload_corrections(client, path)
    assert [level for level, _text in shown] == ["success"], shown
    placeholder.refresh_from_db()
    assert (placeholder.mobile, placeholder.status) == ("9876543210", MemberStatus.WRONG_NUMBER)


def test_every_field_on_the_rejects_page_has_a_label(client, wrong, patna_president):
    """A screen reader names a field by its label: the corrections file's had none."""
    import re

    page = login(client, patna_president).get(reverse("members:rejects", args=["PAT"])).content.decode()
    fields = re.findall(r"<input(?![^>]*type=\"hidden\")[^>]*>", page)
    assert len(fields) >= 5
    labelled = set(re.findall(r'<label for="([^"]+)"', page))
    for field in fields:
        found = re.search(r'id="([^"]+)"', field)
        assert found and found.group(1) in labelled, field
    # Each card's forms are the same: they are a group named by the card's member.
    assert f'role="group" aria-labelledby="reject-name-{wrong.pk}"' in page
    assert re.search(rf'<strong id="reject-name-{wrong.pk}">.*{wrong.name}', page)
