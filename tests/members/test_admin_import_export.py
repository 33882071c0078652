"""The admin's django-import-export import and export agree with the district upload pipeline, row for row."""

import csv
import io
import json
import re
import tempfile
from datetime import timedelta

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from members import pipeline, services
from members.models import Member
from members.parsing import UnusableFile
from members.resources import MemberListFormat, MemberResource
from tests.conftest import login, make_member
from tests.members.corpus import CASES, DUPLICATES, MESSY_PHONES, NAMES, NUMBERED_BLANKS, VILLAGES, build, csv_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("rows", [MESSY_PHONES[:10] + MESSY_PHONES[11:], DUPLICATES, VILLAGES, NAMES])
def test_admin_resource_and_upload_pipeline_refuse_the_same_rows(rows, cast, marked_wrong, patna, tmp_path):
    path = tmp_path / "members.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    checked = pipeline.check_file(path, district=patna, workdir=tmp_path)
    with checked.refused_path.open(encoding="utf-8") as spool:
        refused_by_pipeline = {int(line.split(",", 2)[1]) for line in spool}

    dataset = tablib.Dataset().load(csv_text(rows), format="csv")
    result = MemberResource(district=patna).import_data(dataset, dry_run=True)
    refused_by_admin = {invalid.number for invalid in result.invalid_rows}

    assert refused_by_admin == refused_by_pipeline
    assert result.totals["new"] == checked.valid
    assert not result.has_errors()


ADMIN_CASES = [case for case in CASES if not case.slow]


@pytest.mark.parametrize("case", ADMIN_CASES, ids=[case.name for case in ADMIN_CASES])
def test_the_admin_import_reads_each_corpus_file_as_the_district_upload_does(
    case, cast, marked_wrong, patna, settings, tmp_path
):
    """The admin read a file with django-import-export's readers: a title line above the headings, a grouped
    header, a CSV separated by semicolons or saved as UTF-16 were "missing columns" or one column, where an upload
    of the same file imported it. Now the admin reads with the upload's reader: the same rows, refused alike."""
    for name, value in case.settings.items():
        setattr(settings, name, value)
    path = build(case, tmp_path / "in")
    try:
        checked = pipeline.check_file(path, district=patna, workdir=tmp_path)
    except UnusableFile as problem:
        with pytest.raises(UnusableFile) as refused:
            MemberListFormat().create_dataset(path.read_bytes())
        assert refused.value.code == problem.code
        return
    with checked.refused_path.open(encoding="utf-8", newline="") as spool:
        by_upload = {int(row[1]): json.loads(row[3]) for row in csv.reader(spool)}
    if any(code == "formula_cell" for problems in by_upload.values() for _column, code, _params in problems):
        with pytest.raises(UnusableFile) as refused:  # the admin would read what the formulas last showed
            MemberListFormat().create_dataset(path.read_bytes())
        assert refused.value.code == "formulas_somewhere"
        return

    dataset = MemberListFormat().create_dataset(path.read_bytes())
    result = MemberResource(district=patna).import_data(dataset, dry_run=True)

    assert {invalid.number for invalid in result.invalid_rows} == set(by_upload)
    assert result.totals["new"] == checked.valid
    assert not result.has_errors()


def test_the_admin_import_reads_a_list_under_a_title_line_separated_by_semicolons(client, cast, superuser, patna):
    """Saved from Excel in a Hindi or European setting, with the list's title above it: the admin called it a
    file without a Name column, and named the row of the refused member one too few."""
    login(client, superuser)
    rows = [["सदस्य सूची, पटना"], ["नाम", "मोबाइल", "गांव"], ["सीता", "9123456780", "रामपुर"], ["गीता", "98765", "रामपुर"]]
    content = csv_text(rows, delimiter=";").encode("utf-16")
    response = _admin_import(client, patna, "m.csv", content)
    [refused] = response.context["result"].invalid_rows
    assert refused.number == 4, "the spreadsheet's row, as an upload names it"
    assert "98765" in refused.values


def test_the_admin_import_skips_numbered_rows_left_blank_as_the_district_upload_does(cast, patna):
    """Rows with only their serial number filled in were each refused three times over (no name, no mobile, no
    village), burying the real errors under them."""
    dataset = tablib.Dataset().load(csv_text(NUMBERED_BLANKS), format="csv")

    result = MemberResource(district=patna).import_data(dataset, dry_run=True)

    assert not result.invalid_rows
    assert result.totals["new"] == 3


def test_staff_import_members_through_the_admin(client, cast, superuser, patna):
    patna.village_target = 7
    patna.save(update_fields=["village_target"])
    login(client, superuser)
    content = csv_text([["Name", "Mobile", "Village"], ["सीता", "+91 91234 56780", "नया गांव"]]).encode()
    response = client.post(
        "/admin/members/member/import/",
        {"import_file": SimpleUploadedFile("m.csv", content), "format": "0", "district": patna.pk, "resource": "0"},
    )
    assert response.status_code == 200
    confirm = response.context["confirm_form"]
    response = client.post("/admin/members/member/process_import/", confirm.initial)
    assert response.status_code == 302
    member = Member.objects.get(mobile="9123456780")
    assert (member.district, member.village.name) == (patna, "नया गांव")
    assert member.village.target == 7, "a new village starts with its district's target, as an upload's does"


def test_an_admin_import_whose_row_is_enrolled_meanwhile_imports_nothing(client, cast, superuser, patna):
    """Confirming wrote every row but the one enrolled between the preview and the confirmation, and said
    "Import finished": all or nothing, as an upload."""
    from tests.districts.test_rollup import assert_rollup_matches_group_by

    login(client, superuser)
    rows = [["Name", "Mobile", "Village"], ["सीता", "9123456780", "नया गांव"], ["गीता", "9123456781", "नया गांव"]]
    response = _admin_import(client, patna, "m.csv", csv_text(rows).encode())
    confirm = response.context["confirm_form"]
    make_member(cast["sitapur"], "9123456781")  # enrolled in Gaya meanwhile
    response = client.post("/admin/members/member/process_import/", confirm.initial, follow=True)
    assert not Member.objects.filter(mobile="9123456780").exists()
    assert not patna.villages.filter(name="नया गांव").exists()
    shown = [str(message) for message in response.context["messages"]]
    assert len(shown) == 1 and "कुछ भी इम्पोर्ट नहीं हुआ" in shown[0] and "पंक्ति 3" in shown[0], shown
    assert_rollup_matches_group_by()


def _admin_import(client, district, name, content, file_format="0"):
    data = {"import_file": SimpleUploadedFile(name, content), "format": file_format, "district": district.pk}
    return client.post("/admin/members/member/import/", {**data, "resource": "0"})


@pytest.fixture
def system_temp(monkeypatch, tmp_path):
    """The system's temp folder, empty, for one test."""
    folder = tmp_path / "system-temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _kept(folder):
    return [path for path in folder.rglob("*") if path.is_file()]


@pytest.mark.parametrize(
    "content",
    [
        csv_text([["Name", "Mobile", "Village"], ["सीता", "9123456780", "रामपुर"], ["गीता", "98765", "रामपुर"]]).encode(),
        b"Mobile,Village\n9123456780,Gaon\n",
    ],
    ids=["a refused row", "an unusable file"],
)
def test_an_admin_import_preview_without_a_confirm_button_keeps_no_copy_of_the_list(
    client, cast, superuser, patna, private_media, system_temp, content
):
    """The list was written to the system's temp folder for Confirm to import, and only Confirm deleted it: a
    preview that refused rows, or a file that could not be read, shows no Confirm, and left it there for good."""
    login(client, superuser)
    response = _admin_import(client, patna, "m.csv", content)
    assert response.status_code == 200 and "confirm_form" not in response.context
    assert _kept(system_temp) == []
    assert _kept(private_media) == []


def test_an_admin_import_preview_nobody_confirms_is_purged_after_a_day(
    client, cast, superuser, patna, private_media, system_temp, settings
):
    """A preview closed without Confirm left the whole list in the system's temp folder, where the purge of old
    uploads never looked."""
    login(client, superuser)
    content = csv_text([["Name", "Mobile", "Village"], ["सीता", "9123456780", "रामपुर"]]).encode()
    confirm = _admin_import(client, patna, "m.csv", content).context["confirm_form"]
    assert _kept(system_temp) == []
    [kept] = _kept(private_media / services.ADMIN_IMPORTS_DIR)
    assert kept.stat().st_mode & 0o777 == 0o600, "readable by the app's own user only, as an upload"

    services.uploads_purge_expired(now=timezone.now() + timedelta(hours=settings.ADMIN_IMPORT_KEEP_HOURS - 1))
    assert kept.exists(), "young: it may still be confirmed"
    services.uploads_purge_expired(now=timezone.now() + timedelta(hours=settings.ADMIN_IMPORT_KEEP_HOURS + 1))
    assert not kept.exists()

    response = client.post("/admin/members/member/process_import/", confirm.initial, follow=True)
    assert [message.level_tag for message in response.context["messages"]] == ["warning"], "expired, nothing added"
    assert not Member.objects.filter(mobile="9123456780").exists()


def test_the_admin_import_names_the_columns_as_the_template_heads_them(client, cast, superuser, patna):
    login(client, superuser)
    expected = "<code>नाम / Name, मोबाइल / Mobile, गाँव / Village, पता / Address</code>"
    assert expected in client.get("/admin/members/member/import/").content.decode(), "not district, not status"
    content = csv_text([["Name", "Mobile", "Village"], ["सीता", "9123456780", "नया गांव"], ["गीता", "12", "रामपुर"]])
    response = _admin_import(client, patna, "m.csv", content.encode())
    assert expected in response.content.decode()
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", response.content.decode().split('id="content"')[1])
    assert headers[-6:] == [
        "नाम / Name", "मोबाइल / Mobile", "गाँव / Village", "पता / Address", "ज़िला / District", "स्थिति / Status",
    ]  # fmt: skip


def test_confirming_an_admin_import_twice_adds_nothing_more(client, cast, superuser, patna):
    login(client, superuser)
    content = csv_text([["Name", "Mobile", "Village"], ["सीता", "9123456780", "नया गांव"]]).encode()
    confirm = _admin_import(client, patna, "m.csv", content).context["confirm_form"]
    client.post("/admin/members/member/process_import/", confirm.initial)
    response = client.post("/admin/members/member/process_import/", confirm.initial, follow=True)
    assert response.status_code == 200
    assert [message.level_tag for message in response.context["messages"]][-1] == "warning"
    assert Member.objects.filter(mobile="9123456780").count() == 1


@pytest.mark.parametrize(
    "name, content, problem",
    [
        ("m.csv", "Name,Mobile,Village\nJosé,9123456780,Gaon\n".encode("cp1252"), "not_utf8"),
        ("m.csv", b"%PDF-1.4 not a member list", "not_spreadsheet"),
        ("m.csv", b"Mobile,Village\n9123456780,Gaon\n", "missing_columns"),
    ],
)
def test_the_admin_import_explains_an_unusable_file_as_the_district_upload_does(
    client, cast, superuser, patna, name, content, problem
):
    login(client, superuser)
    response = _admin_import(client, patna, name, content)
    errors = response.context["form"].errors.as_data()["import_file"]
    assert [error.code for error in errors] == [problem]
    assert not Member.objects.filter(mobile="9123456780").exists()


def test_the_admin_import_refuses_formulas_in_the_columns_read_and_ignores_them_elsewhere(
    client, cast, superuser, patna
):
    from tests.members.corpus import _formulas_cached, _formulas_in_ignored_columns

    login(client, superuser)
    response = _admin_import(client, patna, "m.xlsx", _formulas_cached())
    errors = response.context["form"].errors.as_data()["import_file"]
    assert [error.code for error in errors] == ["formulas_somewhere"], "never what the formulas last showed"
    response = _admin_import(client, patna, "m.xlsx", _formulas_in_ignored_columns())
    assert "import_file" not in response.context["form"].errors
    confirm = response.context.get("confirm_form")
    assert confirm is not None, "a serial-number column of formulas, and a total under the rows, are no obstacle"
    before = Member.objects.count()
    client.post("/admin/members/member/process_import/", confirm.initial)
    assert Member.objects.count() == before + 3


def test_admin_export_escapes_formulas(client, cast, superuser):
    make_member(cast["rampur"], "9123456780", name="=2+2")
    login(client, superuser)
    response = client.post("/admin/members/member/export/", {"format": "1", "resource": "0", **_all_fields()})
    assert response.content.startswith("\ufeffनाम".encode()), "a byte-order mark: Excel reads the file as UTF-8"
    text = response.content.decode("utf-8-sig")
    assert "'=2+2" in text
    assert "\n=2+2" not in text and ",=2+2" not in text


def _all_fields():
    from import_export.forms import SelectableFieldsExportForm

    names = [
        SelectableFieldsExportForm.create_boolean_field_name(MemberResource, f) for f in MemberResource._meta.fields
    ]
    return dict.fromkeys(names, "on")


def test_admin_member_form_normalises_the_mobile(client, cast, superuser):
    member = Member.objects.get(mobile="9812345670")
    login(client, superuser)
    data = {
        "district": member.district_id,
        "village": member.village_id,
        "name": "  राम   कुमार ",
        "mobile": "+91 91234-56780",
        "address": "",
        "status": member.status,
        "attempt_count": 0,
    }
    response = client.post(f"/admin/members/member/{member.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert (member.mobile, member.name) == ("9123456780", "राम कुमार")
    data["mobile"] = "12345"
    response = client.post(f"/admin/members/member/{member.pk}/change/", data)
    assert response.status_code == 200
    assert "mobile" in response.context["adminform"].form.errors


def test_the_admin_refuses_a_number_the_call_centre_could_not_use_as_uploads_do(client, cast, superuser):
    """Staff could enrol a number corrected away as wrong, which an upload, a president and the admin import all
    refuse."""
    from members.models import MemberChange

    member = Member.objects.get(mobile="9812345670")
    MemberChange.objects.create(
        member=member,
        kind=MemberChange.Kind.CORRECTED,
        old_mobile="9123456780",
        new_mobile=member.mobile,
        actor=superuser,
    )
    data = {"village": cast["rampur"].pk, "name": "नया सदस्य", "mobile": "9123456780", "address": ""}
    response = login(client, superuser).post("/admin/members/member/add/", data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["mobile"]
    assert not Member.objects.filter(mobile="9123456780").exists()


@pytest.mark.parametrize("adding", [True, False], ids=["add", "change"])
def test_a_number_enrolled_by_someone_else_while_staff_save_it_is_refused_not_a_server_error(
    client, cast, superuser, monkeypatch, adding
):
    """The form checks the number, then the save writes it: one an upload or a president enrolled in between
    broke the unique number at the write, a server error."""
    from members.admin import MemberAdmin

    member = Member.objects.get(mobile="9812345670")
    save_model = MemberAdmin.save_model

    def enrolled_meanwhile(admin, request, obj, form, change):
        make_member(cast["sitapur"], "9123456780", name="पहले से")  # the form has checked the number: free
        save_model(admin, request, obj, form, change)

    monkeypatch.setattr(MemberAdmin, "save_model", enrolled_meanwhile)
    url = "/admin/members/member/add/" if adding else f"/admin/members/member/{member.pk}/change/"
    data = {"village": cast["rampur"].pk, "name": "नया नाम", "mobile": "9123456780", "address": ""}

    response = login(client, superuser).post(url, data, follow=True)

    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert len(shown) == 1 and "कुछ भी सेव नहीं हुआ" in shown[0] and "91234" in shown[0], shown
    assert Member.objects.filter(pk=member.pk, mobile="9812345670").exclude(name="नया नाम").exists()
    assert not Member.objects.filter(name="नया नाम").exists()


def test_a_number_staff_change_before_any_call_is_a_retyped_one_that_may_be_enrolled_again(client, cast, superuser):
    """Recorded as corrected away, the number typed on the list counted as one the call centre could not use:
    nobody could be enrolled with it again, though nobody had dialled it."""
    from members.models import MemberChange

    member = Member.objects.get(mobile="9812345670")
    data = {"village": member.village_id, "name": member.name, "mobile": "9123456780", "address": ""}
    response = login(client, superuser).post(f"/admin/members/member/{member.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    change = MemberChange.objects.get(member=member)
    assert (change.kind, change.old_mobile, change.new_mobile) == (
        MemberChange.Kind.RETYPED,
        "9812345670",
        "9123456780",
    )
    data = {"village": member.village_id, "name": "दूसरा", "mobile": "9812345670", "address": ""}
    assert client.post("/admin/members/member/add/", data).status_code == 302


def test_the_admin_takes_a_members_district_from_its_village(client, cast, superuser, patna):
    member = Member.objects.get(mobile="9812345670")
    login(client, superuser)
    data = {"district": patna.pk, "village": cast["sitapur"].pk, "name": member.name, "mobile": member.mobile}
    response = client.post(f"/admin/members/member/{member.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert (member.village_id, member.district_id) == (cast["sitapur"].pk, cast["sitapur"].district_id)


def test_the_admin_does_not_move_a_village_to_another_district(client, cast, superuser, gaya):
    rampur = cast["rampur"]
    login(client, superuser)
    data = {"district": gaya.pk, "name": rampur.name, "target": 12}
    response = client.post(f"/admin/districts/village/{rampur.pk}/change/", data)
    assert response.status_code == 302
    rampur.refresh_from_db()
    assert (rampur.district_id, rampur.target) == (cast["rampur"].district_id, 12)
    page = client.get(f"/admin/districts/village/{rampur.pk}/change/").content.decode()
    assert 'name="district"' not in page
    assert 'name="district"' in client.get("/admin/districts/village/add/").content.decode()


def test_staff_without_member_permissions_cannot_import_or_export(client, cast, state_leader):
    state_leader.is_staff = True  # staff, and not a supervisor: no permission comes with the role
    state_leader.save(update_fields=["is_staff"])
    login(client, state_leader)
    assert client.get("/admin/members/member/import/").status_code == 403
    assert client.post("/admin/members/member/export/", {"format": "1"}).status_code == 403


def test_defusedxml_guards_every_xml_parser_we_use():
    import defusedxml  # noqa: F401
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML is True


def test_xlsx_exports_are_readable(client, cast, superuser):
    from openpyxl import load_workbook

    login(client, superuser)
    response = client.post("/admin/members/member/export/", {"format": "0", "resource": "0", **_all_fields()})
    assert load_workbook(io.BytesIO(response.content)).active.max_row == 5


def test_the_system_check_insists_on_defusedxml(monkeypatch):
    import openpyxl.xml

    from members.apps import check_xml_is_defused

    assert check_xml_is_defused() == []
    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)
    assert [error.id for error in check_xml_is_defused()] == ["members.E001"]


def test_the_admin_speaks_hindi_with_the_apps_own_names(client, cast, superuser):
    index = login(client, superuser).get("/admin/").content.decode()
    assert "कंट्रोल रूम प्रशासन" in index and "Django" not in index
    assert "ज़िले, कॉल सेंटर और उपयोगकर्ता" in index
    members = client.get("/admin/members/member/").content.decode()
    for heading in ("गाँव", "ज़िला", "दर्ज हुए"):  # village, district, enrolled: the list's column headings
        assert heading in members, heading


def test_the_admins_own_words_are_hindi_too(client, cast, superuser):
    """Django's admin, django-import-export and django-axes leave these in English; the project's catalogue
    gives them Hindi."""
    index = login(client, superuser).get("/admin/").content.decode()
    for english in ("Recent actions", "Authentication and Authorization", "Access attempts", "Axes", "AXES"):
        assert english not in index, english
    import_page = client.get("/admin/members/member/import/").content.decode()
    for english in ("File to import", "This importer will import the following fields"):
        assert english not in import_page, english
    assert "इम्पोर्ट" in import_page


def test_the_upload_admin_shows_no_link_to_the_private_file(client, cast, superuser, patna, tmp_path):
    from members import services
    from members.models import Upload

    path = tmp_path / "list.csv"
    path.write_text("नाम,मोबाइल,गांव\nराम,7000000001,रामपुर\n", encoding="utf-8")
    services.members_import_file(path=path, district=patna)
    upload = Upload.objects.get()
    page = login(client, superuser).get(f"/admin/members/upload/{upload.pk}/change/").content.decode()
    assert "/uploads/" not in page
    assert 'name="_save"' not in page, "read-only: nothing to save"


@pytest.mark.parametrize("typed", ["9812345670", "+91 98123-45670", "098123 45670"])
def test_staff_find_a_member_by_the_number_as_people_write_it(client, cast, superuser, typed):
    response = login(client, superuser).get("/admin/members/member/", {"q": typed})
    assert [member.mobile for member in response.context["cl"].result_list] == ["9812345670"]


def test_staff_work_on_members_in_the_admin_is_in_the_audit_log(client, cast, superuser, patna):
    from controlroom.models import AuditEvent

    login(client, superuser)
    content = csv_text([["Name", "Mobile", "Village"], ["सीता", "9123456780", "रामपुर"]]).encode()
    confirm = _admin_import(client, patna, "m.csv", content).context["confirm_form"]
    client.post("/admin/members/member/process_import/", confirm.initial)
    client.post("/admin/members/member/export/", {"format": "1", "resource": "0", **_all_fields()})
    exported = Member.objects.count()
    member = Member.objects.get(mobile="9123456780")
    edit = {"village": member.village_id, "name": "सीता देवी", "mobile": member.mobile, "address": ""}
    assert client.post(f"/admin/members/member/{member.pk}/change/", edit).status_code == 302
    never_touched = cast["rampur"].members.get(mobile="9876543211")
    assert client.post(f"/admin/members/member/{never_touched.pk}/delete/", {"post": "yes"}).status_code == 302

    events = AuditEvent.objects.filter(actor=superuser).exclude(action="login").order_by("pk")
    assert [(e.action, e.rows) for e in events] == [
        ("import", 1), ("export", exported), ("member_edit", 1), ("member_delete", 1),
    ]  # fmt: skip
    assert events[2].detail["fields"] == ["name"]
    assert events[3].detail["members"] == [never_touched.pk]


def test_the_admin_shows_a_refused_row_as_typed_with_its_spreadsheet_row_and_column(client, cast, superuser, patna):
    login(client, superuser)
    content = csv_text([["नाम", "मोबाइल", "गांव"], ["सीता", "7000012345", "रामपुर"], ["", "98765", "रामपुर"]]).encode()
    response = _admin_import(client, patna, "m.csv", content)
    [refused] = response.context["result"].invalid_rows
    assert refused.number == 3, "the spreadsheet's row 3: its headings are row 1"
    assert "98765" in refused.values and "---" not in refused.values, "the cells as typed"
    assert set(refused.field_specific_errors) == {"नाम / Name", "मोबाइल / Mobile"}, "the template's headings"


def test_the_export_column_chooser_names_the_columns_as_the_file_heads_them(client, superuser):
    """In Hindi and English, as the template's headings; it listed "Name", "Mobile"… in English only."""
    page = login(client, superuser).get("/admin/members/member/export/").content.decode()
    for heading in ("नाम / Name", "मोबाइल / Mobile", "गाँव / Village", "पता / Address", "ज़िला / District"):
        assert heading in page, heading
