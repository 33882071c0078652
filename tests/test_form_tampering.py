"""Forms whose fields were edited to name another district's objects: nothing of that district moves.

tests/test_url_walk.py walks the ids in URLs. Here a logged-in president of Patna (and an operator, for the
console) posts real, otherwise valid forms whose fields, uploaded files or query strings point at Gaya. Each
test checks the answer (404, or the form's refusal) and that the database is as it was.
"""

import io
import uuid
from types import SimpleNamespace

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from calls import services as calls
from calls.models import CallAttempt, CallBatch, Campaign
from controlroom.models import AuditEvent
from districts import rollup
from districts.models import DistrictStats, Village, VillageStats
from members.models import Member, MemberChange, MemberStatus, RefusedRow, Upload
from tests.calls.conftest import MORNING, fill_district
from tests.conftest import login
from tests.members.corpus import GOOD, HEAD, csv_text, xlsx_bytes

pytestmark = pytest.mark.django_db

SCOPED = {
    Member: "district",
    Village: "district",
    Upload: "district",
    MemberChange: "member__district",
    CallAttempt: "member__district",
    RefusedRow: "upload__district",
    DistrictStats: "district",
    VillageStats: "district",
}


def state(district=None) -> dict:
    """Every row a tampered form could change, whole; only one district's when `district` is given."""
    found = {}
    for model, path in SCOPED.items():
        rows = model.objects.all() if district is None else model.objects.filter(**{path: district})
        found[model.__name__] = list(rows.order_by("pk").values())
    return found


def shown(client, response) -> list[tuple[str, str]]:
    """What the user is told, as (level, text), on the page the redirect leads to: the refusal shown beside the
    form that was sent, or the messages."""
    page = client.get(response["Location"])
    failed = page.context.get("failed")
    if failed:
        return [("error", failed["problem"])]
    return [(message.level_tag, str(message)) for message in page.context["messages"]]


@pytest.fixture
def world(cast, patna, gaya, patna_president, gaya_president):
    """A wrong number waiting for a fix in each district, and a checked upload waiting in each."""
    ours = cast["rampur"].members.get(mobile="9812345670")
    theirs = cast["sitapur"].members.get(mobile="8712345609")
    Member.objects.filter(pk__in=[ours.pk, theirs.pk]).update(status=MemberStatus.WRONG_NUMBER, attempt_count=1)
    rollup.rebuild()
    validated = {"status": Upload.Status.VALIDATED, "rows": 3, "valid": 3}
    return SimpleNamespace(
        ours=ours,
        theirs=theirs,
        rampur=cast["rampur"],
        sitapur=cast["sitapur"],
        our_upload=Upload.objects.create(district=patna, uploaded_by=patna_president, original_name="p", **validated),
        their_upload=Upload.objects.create(district=gaya, uploaded_by=gaya_president, original_name="g", **validated),
    )


@pytest.fixture
def president(client, patna_president):
    return login(client, patna_president)


# --- the member upload form -------------------------------------------------------------------------

DISTRICT_VALUES = {
    "Gaya's id": lambda gaya: gaya.pk,
    "Gaya's code": lambda gaya: gaya.code,
    "both ids": lambda gaya: [gaya.pk - 1, gaya.pk],
    "an id nobody has": lambda gaya: 999_999,
    "a negative id": lambda gaya: -1,
    "not an id": lambda gaya: "1 OR 1=1",
    "empty": lambda gaya: "",
}


@pytest.mark.parametrize("value", DISTRICT_VALUES.values(), ids=DISTRICT_VALUES.keys())
def test_it_keeps_a_presidents_upload_in_their_own_district_whatever_the_form_says(
    president, world, patna, gaya, gaya_president, patna_president, value
):
    before, uploads = state(gaya), set(Upload.objects.values_list("pk", flat=True))
    data = {
        "file": SimpleUploadedFile("members.csv", csv_text([HEAD, *GOOD]).encode()),
        "district": value(gaya),
        "uploaded_by": gaya_president.pk,
        "status": Upload.Status.IMPORTED,
    }
    response = president.post(reverse("members:upload_new"), data)
    assert response.status_code == 302
    new = Upload.objects.exclude(pk__in=uploads).get()
    assert (new.district, new.uploaded_by, new.status) == (patna, patna_president, Upload.Status.RECEIVED)
    assert state(gaya) == before


# --- fixing one reject: correct, replace, remove ---------------------------------------------------

FIXES = {
    "correct": {"mobile": "7000012345"},
    "replace": {"name": "नया सदस्य", "mobile": "7000012345", "address": "वार्ड 2"},
    "remove": {"reason": "गाँव छोड़ दिया"},
}


def fix_url(action: str, member) -> str:
    return reverse(f"members:reject_{action}", args=[member.pk])


@pytest.mark.parametrize("action", FIXES)
def test_it_rejects_fixing_a_gaya_member_named_in_the_url_even_with_a_valid_form(president, world, action):
    before = state()
    body = {**FIXES[action], "member": world.ours.pk, "member_id": world.ours.pk, "pk": world.ours.pk}
    assert president.post(fix_url(action, world.theirs), body).status_code == 404
    assert state() == before


@pytest.mark.parametrize("action", FIXES)
def test_it_ignores_gaya_ids_in_the_body_of_a_fix_and_fixes_only_the_member_in_the_url(president, world, gaya, action):
    before = state(gaya)
    tampered = {
        "member": world.theirs.pk,
        "member_id": world.theirs.pk,
        "pk": world.theirs.pk,
        "id": world.theirs.pk,
        "village": world.sitapur.pk,
        "village_id": world.sitapur.pk,
        "district": gaya.pk,
        "district_id": gaya.pk,
    }
    response = president.post(fix_url(action, world.ours), {**FIXES[action], **tampered})
    assert response["Location"].startswith(reverse("members:rejects", args=["PAT"]))
    world.ours.refresh_from_db()
    assert world.ours.status != MemberStatus.WRONG_NUMBER, "the member in the URL was fixed"
    assert state(gaya) == before
    if action == "replace":
        replacement = Member.objects.get(mobile="7000012345")
        assert (replacement.district.code, replacement.village) == ("PAT", world.rampur)


@pytest.mark.parametrize("action", ["correct", "replace"])
def test_a_fix_cannot_take_a_gaya_members_number(president, world, gaya, action):
    before, ours = state(gaya), Member.objects.filter(pk=world.ours.pk).values().get()
    response = president.post(fix_url(action, world.ours), {**FIXES[action], "mobile": "+91 87123 45609"})
    assert [level for level, _text in shown(president, response)] == ["error"]
    assert Member.objects.filter(pk=world.ours.pk).values().get() == ours
    assert state(gaya) == before


# --- the bulk corrections upload (a filled-in rejects download) --------------------------------------

CORRECTIONS_HEAD = ["Member ID", "Name", "Corrected mobile"]


def post_corrections(client, content: bytes, code="PAT", name="rejects.xlsx"):
    return client.post(reverse("members:rejects_upload", args=[code]), {"file": SimpleUploadedFile(name, content)})


def test_a_corrections_file_naming_a_gaya_member_corrects_only_patnas_rows(president, world, gaya):
    before = state(gaya)
    content = xlsx_bytes([CORRECTIONS_HEAD, [world.ours.pk, "", "9123456780"], [world.theirs.pk, "", "9123456781"]])
    response = post_corrections(president, content)
    world.ours.refresh_from_db()
    assert (world.ours.mobile, world.ours.status) == ("9123456780", MemberStatus.PENDING)
    assert state(gaya) == before
    warnings = [text for level, text in shown(president, response) if level == "warning"]
    assert len(warnings) == 1 and str(world.theirs.pk) in warnings[0], "the Gaya row is refused and named"
    assert not Member.objects.filter(mobile="9123456781").exists()


def test_a_corrections_file_cannot_be_sent_to_gayas_rejects(president, world):
    before = state()
    content = xlsx_bytes([CORRECTIONS_HEAD, [world.theirs.pk, "", "9123456781"]])
    assert post_corrections(president, content, code="GAY").status_code == 404
    assert state() == before


TAMPERED_IDS = {
    "superscript two": lambda m: "²",
    "Devanagari digits": lambda m: str(m.pk).translate(str.maketrans("0123456789", "०१२३४५६७८९")),
    "padded": lambda m: f"  {m.pk}  ",
    "a float": lambda m: float(m.pk),
    "negative": lambda m: -m.pk,
    "too big for any id": lambda m: "9" * 30,
    "SQL": lambda m: f"{m.pk} OR 1=1",
    "a range": lambda m: f"1-{m.pk}",
    "a list": lambda m: f"{m.pk},{m.pk}",
}


@pytest.mark.parametrize("member_id", TAMPERED_IDS.values(), ids=TAMPERED_IDS.keys())
def test_odd_member_ids_in_a_corrections_file_are_refused_row_by_row(president, world, gaya, member_id):
    before = state()
    content = xlsx_bytes([CORRECTIONS_HEAD, [member_id(world.theirs), "", "9123456781"]])
    response = post_corrections(president, content)
    assert response.status_code == 302
    assert state() == before
    assert [level for level, _text in shown(president, response)] == ["warning", "warning"], "none corrected: why"


def test_a_csv_naming_a_gaya_member_is_refused_as_a_whole(president, world):
    before = state()
    content = csv_text([CORRECTIONS_HEAD, [world.theirs.pk, "", "9123456781"]]).encode()
    response = post_corrections(president, content, name="rejects.csv")
    assert response.status_code == 302
    assert state() == before
    assert [level for level, _text in shown(president, response)] == ["error"]


# --- confirming and discarding uploads ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["upload_confirm", "upload_discard"])
def test_it_rejects_confirming_or_discarding_gayas_upload(president, world, name):
    before = state()
    body = {"upload": world.our_upload.pk, "pk": world.our_upload.pk}
    assert president.post(reverse(f"members:{name}", args=[world.their_upload.pk]), body).status_code == 404
    assert state() == before


@pytest.mark.parametrize(
    ("name", "status"), [("upload_confirm", Upload.Status.IMPORTING), ("upload_discard", Upload.Status.DISCARDED)]
)
def test_a_gaya_upload_named_in_the_body_is_ignored(president, world, gaya, name, status):
    before = state(gaya)
    body = {"upload": world.their_upload.pk, "pk": world.their_upload.pk, "district": gaya.pk}
    response = president.post(reverse(f"members:{name}", args=[world.our_upload.pk]), body)
    assert response["Location"] == reverse("members:upload_detail", args=[world.our_upload.pk])
    world.our_upload.refresh_from_db()
    assert world.our_upload.status == status
    assert state(gaya) == before


# --- downloads with query strings pointing elsewhere ----------------------------------------------------


def cells(response) -> set[str]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return {str(cell).lstrip("'") for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None}


def _elsewhere(world, gaya) -> dict:
    return {
        "code": "GAY",
        "district": [gaya.pk, "GAY"],
        "district_id": gaya.pk,
        "village": world.sitapur.pk,
        "pk": world.sitapur.pk,
        "sort": "district__code",
        "kind": "district",
    }


GAYA = {"GAY", "Gaya", "गया", "सीतापुर", "8712345609", "8765432108"}
EXPORTS = {
    "members": (lambda w: reverse("members:member_export", args=["PAT"]), lambda w: {"9876543211"}),
    "districts": (lambda w: reverse("districts:export"), lambda w: {"PAT"}),
    "villages": (lambda w: reverse("districts:export_villages", args=["PAT"]), lambda w: {"रामपुर"}),
    "village members": (
        lambda w: reverse("districts:village_export", args=["PAT", w.rampur.pk]),
        lambda w: {"9876543211"},
    ),
    "rejects": (lambda w: reverse("members:rejects_export", args=["PAT"]), lambda w: {str(w.ours.pk)}),
}


@pytest.mark.parametrize(("url", "ours"), EXPORTS.values(), ids=EXPORTS.keys())
def test_a_download_holds_only_patna_whatever_the_query_string_says(president, world, gaya, url, ours):
    response = president.get(url(world), _elsewhere(world, gaya))
    assert response.status_code == 200
    found = cells(response)
    assert ours(world) <= found
    assert not GAYA & found


def test_the_rejects_download_leaves_out_gayas_reject_whatever_the_query_string_says(president, world, gaya):
    response = president.get(reverse("members:rejects_export", args=["PAT"]), _elsewhere(world, gaya))
    member_ids = [row[0] for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)]
    assert member_ids[1:] == [world.ours.pk]


MIXED = {
    "Gaya's member list, Patna in the query": lambda w: reverse("members:member_export", args=["GAY"]),
    "Gaya's rejects, Patna in the query": lambda w: reverse("members:rejects_export", args=["GAY"]),
    "Gaya's villages, Patna in the query": lambda w: reverse("districts:export_villages", args=["GAY"]),
    "a Gaya village under Patna's code": lambda w: reverse("districts:village_export", args=["PAT", w.sitapur.pk]),
    "a Gaya village's page under Patna's code": lambda w: reverse("districts:village", args=["PAT", w.sitapur.pk]),
}


@pytest.mark.parametrize("url", MIXED.values(), ids=MIXED.keys())
def test_a_gaya_download_is_not_found_and_not_audited(president, world, url):
    audited = AuditEvent.objects.count()
    assert president.get(url(world), {"code": "PAT", "district": "PAT"}).status_code == 404
    assert AuditEvent.objects.count() == audited


# --- the operator console: marking a member who is not in the operator's batch -------------------------


@pytest.fixture
def calling(client, operator, other_operator, centre, patna, gaya):
    """Two operators on shift at 11:00 IST, with Patna's and Gaya's numbers shared between them."""
    Campaign.objects.create(name="सत्यापन", script_hi="नमस्ते {name} जी", script_en="Hello {name}")
    with time_machine.travel(MORNING, tick=True):
        fill_district(patna, 30, "98765")
        fill_district(gaya, 30, "87654")
        login(client, operator).post(reverse("calls:start"))
        calls.shift_start(operator=other_operator)
        yield client


def post_outcome(client, member_id, key=None, **extra):
    data = {"member": member_id, "outcome": "yes", "submission_key": key or uuid.uuid4(), **extra}
    return client.post(reverse("calls:mark"), data, HTTP_HX_REQUEST="true")


def batches():
    return list(CallBatch.objects.order_by("pk").values())


NOT_MINE = {
    "in another operator's batch": lambda op: Member.objects.filter(batch__operator=op).last().pk,
    "never handed out": lambda op: Member.objects.filter(batch=None, status=MemberStatus.PENDING).last().pk,
    "nobody's id": lambda op: 10**9,
    "a negative id": lambda op: -1,
    "too big for any id": lambda op: 10**30,
}


@pytest.mark.parametrize("member_id", NOT_MINE.values(), ids=NOT_MINE.keys())
def test_an_outcome_for_a_member_outside_the_operators_batch_is_not_found(calling, other_operator, member_id):
    target = member_id(other_operator)
    before, held = state(), batches()
    assert post_outcome(calling, target).status_code == 404
    assert (state(), batches()) == (before, held)


@pytest.mark.parametrize("member_id", ["", "abc", "1.5", "1 OR 1=1"])
def test_an_outcome_with_no_member_id_is_refused_by_the_form(calling, member_id):
    before = state()
    response = post_outcome(calling, member_id)
    assert response.status_code == 422
    assert response.context["form"].errors["member"]
    assert state() == before


def test_another_operators_submission_key_does_not_mark_anything(calling, operator, other_operator):
    _batch, theirs = calls.console_next_member(operator=other_operator)
    key = uuid.uuid4()
    calls.call_record_outcome(operator=other_operator, request=calls.MarkRequest(theirs.pk, "no", submission_key=key))
    mine = calling.get(reverse("calls:console"), HTTP_HX_REQUEST="true").context["member"]
    before = state()
    assert post_outcome(calling, mine.pk, key=key).status_code == 404
    assert state() == before


def test_an_operator_field_in_the_outcome_form_is_ignored(calling, operator, other_operator):
    mine = calling.get(reverse("calls:console"), HTTP_HX_REQUEST="true").context["member"]
    post_outcome(calling, mine.pk, operator=other_operator.pk, status_changed_by=other_operator.pk)
    attempt = CallAttempt.objects.get(member=mine)
    mine.refresh_from_db()
    assert (attempt.operator, mine.status_changed_by, mine.status) == (operator, operator, MemberStatus.YES)
