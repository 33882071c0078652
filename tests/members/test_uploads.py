"""Uploading a member list through the site: preview, confirm, import, reports, and who may see what."""

import io
import re
import zipfile
from datetime import timedelta
from urllib.parse import quote
from xml.sax.saxutils import escape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from controlroom.models import AuditEvent
from districts.models import Village
from members.models import Member, MemberStatus, RefusedRow, Upload
from tests.conftest import login, make_member
from tests.members.conftest import latest_upload, post_upload
from tests.members.corpus import GOOD, HEAD, _rezip, csv_text, xlsx_bytes

pytestmark = pytest.mark.django_db

ROWS = [
    HEAD,
    ["सीता देवी", "+91 91234 56780", "रामपुर", "वार्ड 1"],
    ["Ram Kumar", "8123456781", "नया गांव", ""],
    ["गीता", "98765", "रामपुर", ""],  # row 4: too short
    ['=HYPERLINK("http://evil.example")', "7123456782", "रामपुर", ""],  # row 5: a formula
    ["मोहन", "9812345670", "रामपुर", ""],  # row 6: enrolled in Patna already
    ["सोहन", "9123456780", "रामपुर", ""],  # row 7: repeats row 2
]
CONTENT = csv_text(ROWS).encode()


@pytest.fixture
def checked(client, cast, patna_president, django_capture_on_commit_callbacks):
    login(client, patna_president)
    post_upload(client, CONTENT, capture=django_capture_on_commit_callbacks)
    return latest_upload()


def url(name, upload):
    return reverse(f"members:{name}", args=[upload.pk])


def confirm(client, upload, capture):
    with capture(execute=True):
        return client.post(url("upload_confirm", upload))


# --- the journey ----------------------------------------------------------------------------------------


def test_upload_only_stores_the_file_and_queues_the_check(client, cast, patna_president):
    login(client, patna_president)
    response = post_upload(client, CONTENT)  # on-commit callbacks not run: no worker yet
    upload = latest_upload()
    assert response.status_code == 302
    assert response["Location"] == url("upload_detail", upload)
    assert (upload.status, upload.district.code, upload.uploaded_by) == (Upload.Status.RECEIVED, "PAT", patna_president)
    assert upload.original_name == "members.csv"
    assert upload.file.name.startswith("uploads/") and "members" not in upload.file.name
    page = client.get(response["Location"])
    assert b'hx-trigger="every 1s"' in page.content


def test_an_uploaded_list_is_readable_by_the_apps_own_user_only(client, cast, patna_president):
    """With the usual umask it was world-readable (-rw-r--r--): anyone with a shell on the server read it."""
    import os
    import stat

    post_upload(login(client, patna_president), CONTENT)
    path = latest_upload().file.path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_preview_counts_valid_rejected_duplicate_and_new_villages(client, checked, patna_president):
    assert checked.status == Upload.Status.VALIDATED
    assert (checked.rows, checked.valid, checked.rejected, checked.duplicates) == (6, 2, 2, 2)
    assert checked.new_village_names == [["नया गांव", "नया गांव"]]
    assert Member.objects.filter(upload=checked).count() == 0
    refused = {
        row.row_number: (row.kind, [code for _c, code, _p in row.problems]) for row in checked.refused_rows.all()
    }
    assert refused == {
        4: ("rejected", ["wrong_length"]),
        5: ("rejected", ["formula"]),
        6: ("duplicate", ["enrolled"]),
        7: ("duplicate", ["repeated"]),
    }


def test_preview_explains_each_refused_row_in_english_when_chosen(client, checked, patna_president):
    patna_president.language = "en"
    patna_president.save(update_fields=["language"])
    page = client.get(url("upload_detail", checked)).content.decode()
    assert "A mobile number has 10 digits; this one has 5." in page
    assert "Already enrolled in रामपुर, Patna." in page
    assert "The same mobile number is already in row 2 of this file." in page
    assert "नया गांव" in page
    assert 'id="confirm-import"' in page


def test_refused_rows_are_paginated_and_filtered_by_kind(client, checked):
    response = client.get(url("upload_detail", checked), {"kind": "duplicate"})
    assert [row.row_number for row in response.context["refused"]] == [6, 7]
    response = client.get(url("upload_detail", checked), {"page": 99})
    assert response.context["refused"].number == 1


def test_confirm_imports_the_valid_rows_as_pending_members_and_creates_new_villages(
    client, checked, patna, patna_president, django_capture_on_commit_callbacks
):
    response = confirm(client, checked, django_capture_on_commit_callbacks)
    checked.refresh_from_db()
    assert response.status_code == 302
    assert (checked.status, checked.imported, checked.confirmed_by) == (Upload.Status.IMPORTED, 2, patna_president)
    members = {m.mobile: m for m in Member.objects.filter(upload=checked)}
    assert set(members) == {"9123456780", "8123456781"}
    assert {m.status for m in members.values()} == {MemberStatus.PENDING}
    assert members["8123456781"].village.name == "नया गांव"
    assert Village.objects.filter(district=patna, name_key="नया गांव").count() == 1
    assert not checked.checked_rows, "the spool of checked rows is dropped once imported"
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT)
    assert (event.actor, event.rows, event.detail["upload"], event.detail["by"]) == (
        patna_president,
        2,
        checked.pk,
        "upload",
    )


def test_a_double_confirm_imports_once(client, checked, django_capture_on_commit_callbacks):
    confirm(client, checked, django_capture_on_commit_callbacks)
    response = confirm(client, checked, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert Member.objects.filter(upload=checked).count() == 2


@pytest.mark.parametrize(
    "status, calls, code",
    [
        (MemberStatus.PENDING, 0, "enrolled"),
        (MemberStatus.WRONG_NUMBER, 1, "enrolled_wrong"),
        (MemberStatus.REMOVED, 3, "removed_away"),  # from the rejects
        (MemberStatus.REMOVED, 0, "withdrawn_away"),  # before any call
    ],
)
def test_a_number_enrolled_between_preview_and_confirm_is_refused_not_doubled(
    client, cast, checked, django_capture_on_commit_callbacks, status, calls, code
):
    make_member(cast["sitapur"], "8123456781", status=status, attempt_count=calls)
    confirm(client, checked, django_capture_on_commit_callbacks)
    checked.refresh_from_db()
    assert (checked.status, checked.imported, checked.duplicates) == (Upload.Status.IMPORTED, 1, 3)
    late = checked.refused_rows.get(mobile="8123456781")
    assert late.kind == RefusedRow.Kind.DUPLICATE
    assert late.problems[0][1] == code
    assert Member.objects.filter(mobile="8123456781").count() == 1
    # It was the only row of the new village "नया गांव": no village is left with nobody in it, counted as one.
    assert not Village.objects.filter(name_key="नया गांव").exists()
    assert (checked.new_villages, checked.new_village_names) == (0, []), "nor listed as made on the upload's page"


def test_batching_is_triggered_after_the_import_commits(
    client, checked, monkeypatch, django_capture_on_commit_callbacks
):
    from calls import tasks

    calls = []
    monkeypatch.setattr(tasks.batch_build_all, "delay", lambda: calls.append("batch"))
    confirm(client, checked, django_capture_on_commit_callbacks)
    assert calls == ["batch"]


def test_discard_drops_a_checked_upload(client, checked, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("upload_discard", checked), follow=True)
    checked.refresh_from_db()
    assert checked.status == Upload.Status.DISCARDED
    page = response.content.decode()
    assert page.count("रद्द कर दिया गया; कुछ भी इम्पोर्ट नहीं हुआ") == 1, "said once: by the page, not by a message too"
    assert "इम्पोर्ट के लिए तैयार" not in page and "सही, इम्पोर्ट नहीं हुईं" in page
    assert confirm(client, checked, django_capture_on_commit_callbacks).status_code == 302
    assert not Member.objects.filter(upload=checked).exists()


def test_a_list_whose_every_row_was_refused_is_not_shown_as_waiting_for_confirmation(
    client, cast, patna_president, django_capture_on_commit_callbacks
):
    login(client, patna_president)
    content = csv_text([ROWS[0], ["राम", "12345", "रामपुर", ""]]).encode()
    post_upload(client, content, capture=django_capture_on_commit_callbacks)
    upload = latest_upload()
    assert (upload.status, upload.valid) == (Upload.Status.VALIDATED, 0)
    listing = client.get(reverse("members:upload_list")).content.decode()
    assert "कुछ भी इम्पोर्ट करने को नहीं" in listing
    with translation.override("hi"):
        assert str(Upload.Status.VALIDATED.label) not in listing


def test_a_file_that_cannot_be_used_fails_with_a_message_and_no_confirm_button(
    client, cast, patna_president, django_capture_on_commit_callbacks
):
    login(client, patna_president)
    post_upload(
        client, csv_text([["Name", "Village"], ["सीता", "रामपुर"]]).encode(), capture=django_capture_on_commit_callbacks
    )
    upload = latest_upload()
    page = client.get(url("upload_detail", upload)).content.decode()
    assert (upload.status, upload.error_code) == (Upload.Status.FAILED, "missing_columns")
    assert "मोबाइल / Mobile" in page
    assert 'id="confirm-import"' not in page


def test_a_file_without_a_mobile_column_says_which_headings_it_found_instead(
    client, cast, patna_president, django_capture_on_commit_callbacks
):
    """The message named the missing columns only, so a president whose "फोन नं." was not recognised, or who
    uploaded the wrong sheet, could not see what had been read as the headings."""
    login(client, patna_president)
    rows = [["पटना जिला"], [], ["क्र.", "नाम", "फोन नंबर 1", "गाँव"], ["1", "सीता", "9123456780", "रामपुर"]]
    post_upload(client, csv_text(rows).encode(), capture=django_capture_on_commit_callbacks)
    upload = latest_upload()

    page = client.get(url("upload_detail", upload)).content.decode()

    assert (upload.status, upload.error_code) == (Upload.Status.FAILED, "missing_columns")
    assert "मोबाइल / Mobile" in page
    assert "“क्र.”, “नाम”, “फोन नंबर 1”, “गाँव”" in page


def test_a_list_without_headings_no_longer_quotes_its_first_member_once_the_retention_period_is_over(
    client, cast, patna_president, settings, django_capture_on_commit_callbacks
):
    """The first row, read as the headings, is a member's name and number, quoted in the problem's details: the
    purge deleted the file and kept them."""
    from members import services

    login(client, patna_president)
    rows = [["सीता देवी", "9123456780", "रामपुर"], ["गीता", "9123456781", "रामपुर"]]
    post_upload(client, csv_text(rows).encode(), capture=django_capture_on_commit_callbacks)
    upload = latest_upload()
    assert "9123456780" in client.get(url("upload_detail", upload)).content.decode()

    services.uploads_purge_expired(now=timezone.now() + timedelta(days=settings.UPLOAD_RETENTION_DAYS + 1))

    page = client.get(url("upload_detail", upload)).content.decode()
    assert "9123456780" not in page and "सीता देवी" not in page
    assert "मोबाइल / Mobile" in page, "still says what was wrong with the file"


def test_an_upload_purged_before_quoted_cells_were_dropped_loses_them_when_migrated(cast, patna):
    import importlib

    from django.apps import apps

    quoted = {"columns": "मोबाइल / Mobile", "row": 1, "found": "“सीता देवी”, “9123456780”"}
    upload = Upload.objects.create(
        district=patna, original_name="m.csv", status=Upload.Status.FAILED, error_code="missing_columns",
        error_params=quoted, purged_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip

    importlib.import_module("members.migrations.0022_drop_quoted_cells_of_purged_uploads").drop_quoted_cells(apps, None)

    upload.refresh_from_db()
    assert upload.error_params == {"columns": "मोबाइल / Mobile", "row": 1}


def test_a_workbook_whose_list_sheet_lacks_a_column_quotes_that_sheets_headings_not_the_instructions(
    client, cast, patna_president, django_capture_on_commit_callbacks
):
    """The first sheet's problem was the one shown, so a list on the second sheet missing its mobile column was
    explained by quoting the instructions on the first."""
    login(client, patna_president)
    content = xlsx_bytes(
        [["नाम", "फोन नंबर 1", "गाँव"], ["सीता", "9123456780", "रामपुर"]],
        first=("निर्देश", [["नीचे की शीट भरें"]]),
    )
    post_upload(client, content, "members.xlsx", capture=django_capture_on_commit_callbacks)
    upload = latest_upload()

    page = client.get(url("upload_detail", upload)).content.decode()

    assert upload.error_code == "missing_columns"
    assert "“नाम”, “फोन नंबर 1”, “गाँव”" in page
    assert "नीचे की शीट भरें" not in page


def test_the_preview_names_the_sheet_the_list_was_read_from(
    client, cast, patna_president, django_capture_on_commit_callbacks
):
    """The sheet read was kept but never shown, so with a workbook of several sheets nobody could tell which."""
    login(client, patna_president)
    content = xlsx_bytes([HEAD, *GOOD], title="सदस्य सूची", first=("निर्देश", [["नीचे की शीट भरें"]]))
    post_upload(client, content, "members.xlsx", capture=django_capture_on_commit_callbacks)

    page = client.get(url("upload_detail", latest_upload())).content.decode()

    assert "“सदस्य सूची”" in page


def test_a_workbook_with_a_list_on_each_sheet_warns_that_the_later_sheets_were_not_read(
    client, cast, patna_president, django_capture_on_commit_callbacks
):
    """Only the first sheet's list was imported and nothing was said about the others, so their members were
    silently left out."""
    login(client, patna_president)
    first = [HEAD, ["सीता", "9123456780", "रामपुर", ""], ["गीता", "9123456781", "रामपुर", ""]]
    second = [HEAD, ["राधा", "9123456782", "शिवनगर", ""]]
    third = [HEAD[:2], ["मीरा", "9123456783"]]  # no village column: not a list
    content = xlsx_bytes(first, title="रामनगर", extra_sheets=[("शिवनगर", second), ("टिप्पणी", third)])
    post_upload(client, content, "members.xlsx", capture=django_capture_on_commit_callbacks)
    upload = latest_upload()

    page = client.get(url("upload_detail", upload)).content.decode()

    assert (upload.valid, upload.sheet, upload.other_sheets) == (2, "रामनगर", ["शिवनगर"])
    assert 'class="card notice notice-warn other-sheets"' in page
    assert "“रामनगर”" in page and "“शिवनगर”" in page
    assert "टिप्पणी" not in page


def test_a_csv_whose_letters_were_saved_as_question_marks_is_refused_but_not_one_with_a_question_mark_typed(
    client, cast, patna_president, django_capture_on_commit_callbacks
):
    """Excel's "CSV (Comma delimited)" on a Hindi PC writes every Devanagari letter as "?": the file was
    accepted, and a village "??????" would have been created."""
    login(client, patna_president)
    lost = [["???", "Mobile", "????"], ["????", "9123456780", "??????"], ["?? ????", "9123456781", "??????"]]
    typed = [["Name", "Mobile", "Village"], ["Ram ??", "9123456782", "Rampur"], ["Sita", "9123456783", "??"]]

    post_upload(client, csv_text(lost).encode(), capture=django_capture_on_commit_callbacks)
    refused = latest_upload()
    post_upload(client, csv_text(typed).encode(), capture=django_capture_on_commit_callbacks)
    accepted = latest_upload()

    assert (refused.status, refused.error_code) == (Upload.Status.FAILED, "not_utf8")
    assert "CSV UTF-8" in client.get(url("upload_detail", refused)).content.decode()
    assert (accepted.status, accepted.valid) == (Upload.Status.VALIDATED, 2)


def test_the_form_refuses_an_empty_file_at_once(client, cast, patna_president):
    login(client, patna_president)
    response = post_upload(client, b"")
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not Upload.objects.exists()


def test_the_form_refuses_a_file_over_the_size_cap(client, cast, patna_president, settings):
    settings.MEMBER_UPLOAD_MAX_BYTES = 100
    login(client, patna_president)
    response = post_upload(client, CONTENT)
    assert response.context["form"].errors["file"]


# --- progress -----------------------------------------------------------------------------------------


def test_progress_polls_while_running_and_reloads_the_page_when_the_job_moves_on(client, cast, patna_president):
    login(client, patna_president)
    post_upload(client, CONTENT)
    upload = latest_upload()
    Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.VALIDATING, progress_done=50, progress_total=200)
    running = client.get(url("upload_progress", upload), {"status": "validating"}, HTTP_HX_REQUEST="true")
    assert b'hx-trigger="every 1s"' in running.content
    assert b'value="25"' in running.content
    Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.VALIDATED)
    done = client.get(url("upload_progress", upload), {"status": "validating"}, HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"


@pytest.mark.parametrize("status", [Upload.Status.VALIDATING, Upload.Status.IMPORTING])
def test_a_job_that_has_not_moved_for_a_minute_says_it_will_start_again_by_itself(
    client, cast, patna_president, status
):
    login(client, patna_president)
    post_upload(client, CONTENT)
    upload = latest_upload()
    Upload.objects.filter(pk=upload.pk).update(status=status, updated_at=timezone.now() - timedelta(seconds=30))
    moving = client.get(url("upload_progress", upload), {"status": status}, HTTP_HX_REQUEST="true")
    assert "अपने-आप" not in moving.content.decode()
    Upload.objects.filter(pk=upload.pk).update(updated_at=timezone.now() - timedelta(seconds=90))
    stalled = client.get(url("upload_progress", upload), {"status": status}, HTTP_HX_REQUEST="true")
    assert "अपने-आप फिर से शुरू" in stalled.content.decode()


# --- downloads ----------------------------------------------------------------------------------------


def _sheet(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(load_workbook(io.BytesIO(content), read_only=True).worksheets[0].values)


def test_refused_rows_download_as_xlsx_ready_to_fix_and_upload_again(client, checked):
    rows = _sheet(client.get(url("upload_report", checked)))
    assert rows[0][:4] == tuple(HEAD)
    by_row = {row[4]: row for row in rows[1:]}
    assert set(by_row) == {4, 5, 6, 7}
    assert by_row[4][1] == "98765"
    assert by_row[5][0] == '\'=HYPERLINK("http://evil.example")', "a formula comes back as text"
    assert "10" in by_row[4][5]


def test_downloading_the_refused_rows_is_in_the_audit_log_as_every_export_is(client, checked, patna_president):
    """The refused rows carry members' names and numbers, and were the one download the audit log did not see."""
    client.get(url("upload_report", checked))
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert (event.actor, event.what, event.rows) == (patna_president, f"refused-rows-{checked.pk}", 4)


def test_the_refused_rows_keep_the_files_own_other_columns(
    client, cast, patna_president, django_capture_on_commit_callbacks
):
    """A president's own sheet has columns the import does not read: they come back with the refused rows."""
    rows = [
        ["बूथ", HEAD[0], HEAD[1], "पिता का नाम", HEAD[2], HEAD[3], "टिप्पणी"],
        [12, "सीता देवी", "9123456780", "राम प्रसाद", "रामपुर", "", "ठीक"],
        [13, "गीता", "98765", "श्याम", "रामपुर", "वार्ड 2", "-फिर से पूछें"],  # row 3: too short
        [14, "मोहन", "9812345670", "हरि", "रामपुर"],  # row 4: enrolled in Patna already; a short row
        [15, "सोहन", "9123456780", "", "रामपुर", "", ""],  # row 5: repeats row 2
    ]
    login(client, patna_president)
    post_upload(client, xlsx_bytes(rows), "members.xlsx", capture=django_capture_on_commit_callbacks)
    upload = latest_upload()
    assert upload.unknown_columns == ["बूथ", "पिता का नाम", "टिप्पणी"]
    page = client.get(url("upload_detail", upload)).content.decode()
    assert "ये कॉलम समझ नहीं आए, इसलिए छोड़ दिए गए: बूथ, पिता का नाम, टिप्पणी।" in page, "a sentence of its own"
    assert "नामंज़ूर पंक्तियों की डाउनलोड फ़ाइल में ये कॉलम जैसे के तैसे रहते हैं।" in page
    report = b"".join(client.get(url("upload_report", upload)).streaming_content)
    sheet = list(load_workbook(io.BytesIO(report), read_only=True).worksheets[0].values)
    assert sheet[0][:7] == (*HEAD, "बूथ", "पिता का नाम", "टिप्पणी")
    by_row = {row[7]: row[:7] for row in sheet[1:]}
    assert by_row == {
        3: ("गीता", "98765", "रामपुर", "वार्ड 2", "13", "श्याम", "'-फिर से पूछें"),  # escaped, as every cell
        4: ("मोहन", "9812345670", "रामपुर", None, "14", "हरि", None),
        5: ("सोहन", "9123456780", "रामपुर", None, "15", None, None),
    }

    post_upload(client, report, "refused-rows.xlsx", capture=django_capture_on_commit_callbacks)
    again = latest_upload()
    assert again.unknown_columns == ["बूथ", "पिता का नाम", "टिप्पणी"], "the report's own columns are not listed"
    assert again.refused_rows.get(row_number=2).extra == ["13", "श्याम", "'-फिर से पूछें"]


def test_a_row_refused_at_the_write_keeps_the_files_own_other_columns_too(
    client, cast, patna_president, django_capture_on_commit_callbacks
):
    rows = [
        [HEAD[0], HEAD[1], "बूथ", HEAD[2], "पिता का नाम"],
        ["सीता देवी", "9123456780", 12, "रामपुर", "राम प्रसाद"],
        ["गीता", "8123456781", 13, "रामपुर", "श्याम"],  # row 3: enrolled by someone else after the check
    ]
    login(client, patna_president)
    post_upload(client, xlsx_bytes(rows), "members.xlsx", capture=django_capture_on_commit_callbacks)
    upload = latest_upload()
    make_member(cast["sitapur"], "8123456781")
    confirm(client, upload, django_capture_on_commit_callbacks)
    upload.refresh_from_db()
    assert (upload.imported, upload.duplicates) == (1, 1)
    assert upload.refused_rows.get().extra == ["13", "श्याम"]
    assert "किसी दूसरी सूची से" in client.get(url("upload_detail", upload)).content.decode()
    report = b"".join(client.get(url("upload_report", upload)).streaming_content)
    sheet = list(load_workbook(io.BytesIO(report), read_only=True).worksheets[0].values)
    assert sheet[1][:7] == ("गीता", "8123456781", "रामपुर", None, "13", "श्याम", 3)


def test_a_list_uploaded_twice_and_confirmed_twice_says_the_second_imported_nobody(
    client, cast, patna_president, django_capture_on_commit_callbacks
):
    """It said "0 members imported. They are waiting for their first call.", and that someone else had enrolled
    the numbers, when it was the president's own first upload of the list."""
    login(client, patna_president)
    content = csv_text([HEAD, *GOOD]).encode()
    uploads = []
    for _ in range(2):
        post_upload(client, content, capture=django_capture_on_commit_callbacks)
        uploads.append(latest_upload())
    for upload in uploads:
        confirm(client, upload, django_capture_on_commit_callbacks)
    page = client.get(url("upload_detail", uploads[1])).content.decode()
    assert "कोई सदस्य इम्पोर्ट नहीं हुआ।" in page
    assert "पहली कॉल" not in page and "शायद यही फ़ाइल" in page


def test_template_has_hindi_and_english_headers(client, cast, patna_president):
    rows = _sheet(login(client, patna_president).get(reverse("members:upload_template")))
    assert rows[0] == ("नाम / Name", "मोबाइल / Mobile", "गाँव / Village", "पता / Address")


def test_member_list_export_escapes_cells_that_would_run_as_formulas(client, cast, patna_president):
    for prefix, mobile in zip(["=", "+", "-", "@", "\t", "\r"], range(6), strict=True):
        make_member(cast["rampur"], f"912345670{mobile}", name=f"{prefix}1+1")
    rows = _sheet(login(client, patna_president).get(reverse("members:member_export", args=["PAT"])))
    names = [row[0] for row in rows[1:] if row[0].endswith("1+1")]
    assert len(names) == 6
    assert all(name.startswith("'") and name[1] in "=+-@\t\r\n" for name in names), names
    assert all(row[3] != "Gaya" for row in rows[1:])


def test_member_list_export_can_be_uploaded_again_as_it_is(client, cast, patna_president):
    response = login(client, patna_president).get(reverse("members:member_export", args=["PAT"]))
    assert load_workbook(io.BytesIO(response.content), read_only=True).sheetnames[0] == "सदस्य - पटना"
    rows = _sheet(response)
    assert rows[0][:4] == tuple(HEAD), "the template's bilingual headings, which an upload understands"
    assert {row[4] for row in rows[1:]} == {"पटना"}, "the district in the reader's language"


def test_a_village_export_keeps_its_devanagari_name_in_the_file_name(client, cast, patna_president):
    url = reverse("districts:village_export", args=["PAT", cast["rampur"].pk])
    disposition = login(client, patna_president).get(url)["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''members-PAT-")
    assert quote("रामपुर") in disposition, "the whole name, vowel signs too, percent-encoded as browsers expect"


def test_new_villages_that_look_like_existing_ones_are_pointed_out_before_import(
    client, cast, patna_president, django_capture_on_commit_callbacks
):
    rows = [HEAD, ["सीता", "9123456780", "रामपुरर", ""], ["गीता", "9123456781", "रामपुर 2", ""]]
    rows += [["रीता", "9123456782", "कोई और गाँव", ""]]
    login(client, patna_president)
    post_upload(client, csv_text(rows).encode(), capture=django_capture_on_commit_callbacks)
    upload = latest_upload()
    assert upload.new_villages_checked == [("कोई और गाँव", None), ("रामपुर 2", None), ("रामपुरर", "रामपुर")]
    page = client.get(url("upload_detail", upload)).content.decode()
    assert page.index("रामपुरर") < page.index('id="confirm-import"'), "shown before the Import button"
    assert "“रामपुर” वाला ही गाँव है: इसके सदस्य वहीं जोड़ें" in page


def test_a_second_tap_on_import_says_the_list_is_already_being_imported(
    client, checked, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():  # the import is queued, not yet run
        client.post(url("upload_confirm", checked))
    response = client.post(url("upload_confirm", checked), follow=True)
    (message,) = response.context["messages"]
    assert "पहले से इम्पोर्ट हो रही है" in str(message)
    assert Upload.objects.get(pk=checked.pk).status == Upload.Status.IMPORTING


# --- who may do what ----------------------------------------------------------------------------------

MUTATING = ["upload_confirm", "upload_discard"]
READING = ["upload_detail", "upload_progress", "upload_report"]


@pytest.mark.parametrize("name", MUTATING)
def test_mutating_views_need_login(client, checked, name):
    client.logout()
    response = client.post(url(name, checked))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_upload_needs_login(client):
    response = client.post(reverse("members:upload_new"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("name", MUTATING)
def test_mutating_views_refuse_get(client, checked, name):
    assert client.get(url(name, checked)).status_code == 405


def test_upload_refuses_other_methods(client, cast, patna_president):
    assert login(client, patna_president).put(reverse("members:upload_new")).status_code == 405


@pytest.mark.parametrize("name", MUTATING + READING)
def test_it_rejects_another_districts_upload(client, checked, gaya_president, name):
    login(client, gaya_president)
    method = client.post if name in MUTATING else client.get
    assert method(url(name, checked)).status_code == 404
    checked.refresh_from_db()
    assert checked.status == Upload.Status.VALIDATED


@pytest.mark.parametrize("name", MUTATING)
def test_state_leadership_cannot_confirm_or_discard(client, checked, state_leader, name):
    assert login(client, state_leader).post(url(name, checked)).status_code == 404


@pytest.mark.parametrize("name", READING)
@pytest.mark.parametrize("who", ["state_leader", "supervisor"])
def test_state_leadership_and_supervisors_see_any_upload(client, checked, request, who, name):
    assert (
        login(client, request.getfixturevalue(who)).get(url(name, checked), {"status": "validated"}).status_code == 200
    )


@pytest.mark.parametrize("who", ["operator", "state_leader"])
def test_operators_and_state_leadership_cannot_upload(client, cast, request, who):
    login(client, request.getfixturevalue(who))
    assert client.get(reverse("members:upload_new")).status_code == 404
    assert client.post(reverse("members:upload_new")).status_code == 404


@pytest.mark.parametrize("name", READING)
def test_operators_see_no_upload(client, checked, operator, name):
    assert login(client, operator).get(url(name, checked)).status_code == 404


def test_a_president_cannot_upload_into_another_district(client, cast, patna_president, gaya):
    login(client, patna_president)
    post_upload(client, CONTENT, district=gaya)
    assert latest_upload().district.code == "PAT", "the district of a one-district president is fixed"


def test_a_president_of_two_districts_chooses_among_their_own(client, cast, patna_president, gaya, patna):
    patna_president.districts.add(gaya)
    login(client, patna_president)
    post_upload(client, CONTENT, district=gaya)
    assert latest_upload().district == gaya
    other = type(gaya).objects.create(code="NAL", name_en="Nalanda", name_hi="नालंदा")
    response = post_upload(client, CONTENT, district=other)
    assert response.context["form"].errors["district"]


def test_a_supervisor_uploads_for_any_district(client, cast, supervisor, gaya, django_capture_on_commit_callbacks):
    login(client, supervisor)
    post_upload(client, CONTENT, district=gaya, capture=django_capture_on_commit_callbacks)
    upload = latest_upload()
    assert (upload.district, upload.uploaded_by, upload.status) == (gaya, supervisor, Upload.Status.VALIDATED)


def test_a_supervisor_must_choose_the_district_nothing_is_chosen_for_them(client, cast, supervisor, gaya):
    page = login(client, supervisor).get(reverse("members:upload_new")).content.decode()
    assert '<option value="" selected>ज़िला चुनें</option>' in page
    response = client.post(reverse("members:upload_new"), {"file": SimpleUploadedFile("m.csv", CONTENT)})
    assert response.context["form"].errors["district"]
    assert not Upload.objects.exists()


def test_the_uploads_page_leads_to_the_lists_by_uploader(client, cast, patna_president):
    page = login(client, patna_president).get(reverse("members:upload_list")).content.decode()
    assert reverse("members:uploaders") in page


def test_member_export_is_scoped_to_the_presidents_districts(client, cast, patna_president):
    assert login(client, patna_president).get(reverse("members:member_export", args=["GAY"])).status_code == 404


def test_upload_list_shows_a_president_only_their_districts_uploads(client, cast, patna_president, gaya_president):
    Upload.objects.create(district=cast["sitapur"].district, uploaded_by=gaya_president, original_name="gaya.csv")
    mine = Upload.objects.create(district=cast["rampur"].district, uploaded_by=patna_president, original_name="p.csv")
    response = login(client, patna_president).get(reverse("members:upload_list"))
    assert list(response.context["page"]) == [mine]


def test_the_uploads_of_every_district_are_found_by_district_and_status(client, cast, supervisor, patna_president):
    """Newest first, fifty a page, across every district: the one list a supervisor waiting on Gaya had to read."""
    patna, gaya = cast["rampur"].district, cast["sitapur"].district
    waiting = Upload.objects.create(district=gaya, original_name="g1.csv", status=Upload.Status.VALIDATED)
    Upload.objects.create(district=gaya, original_name="g2.csv", status=Upload.Status.IMPORTED)
    Upload.objects.create(district=patna, original_name="p.csv", status=Upload.Status.VALIDATED)
    login(client, supervisor)
    response = client.get(reverse("members:upload_list"), {"district": "GAY", "status": "validated"})
    assert list(response.context["page"]) == [waiting]
    assert 'value="GAY" selected' in response.content.decode()
    assert len(client.get(reverse("members:upload_list"), {"district": "GAY"}).context["page"]) == 2
    nothing = client.get(reverse("members:upload_list"), {"district": "PAT", "status": "failed"})
    assert "इस ज़िले की या इस स्थिति में कोई सूची अपलोड नहीं" in nothing.content.decode()


def test_a_choice_not_offered_shows_every_upload(client, cast, supervisor, patna_president):
    Upload.objects.create(district=cast["rampur"].district, original_name="p.csv")
    login(client, supervisor)
    response = client.get(reverse("members:upload_list"), {"district": "XXX", "status": "lost"})
    assert response.status_code == 200 and len(response.context["page"]) == 1


def test_a_president_of_one_district_is_not_asked_which(client, cast, patna_president, gaya_president):
    Upload.objects.create(district=cast["sitapur"].district, original_name="gaya.csv")
    response = login(client, patna_president).get(reverse("members:upload_list"), {"district": "GAY"})
    assert response.context["filter_form"] is None and not list(response.context["page"])


def test_upload_list_query_count_does_not_grow_with_uploads(client, cast, supervisor, patna_president):
    for i in range(30):
        Upload.objects.create(district=cast["rampur"].district, uploaded_by=patna_president, original_name=f"{i}.csv")
    login(client, supervisor)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("members:upload_list"))
    # user, the districts to choose from, count, the page of uploads with their districts and uploaders (the session
    # is in Redis or the database)
    assert len([q for q in queries if "django_session" not in q["sql"]]) == 4
    assert len(response.context["page"]) == 30


def test_uploaded_files_are_not_served_by_any_url(client, checked, supervisor, private_media):
    assert (private_media / checked.file.name).exists()
    login(client, supervisor)
    for path in (f"/{checked.file.name}", f"/private/{checked.file.name}", f"/media/{checked.file.name}"):
        assert client.get(path).status_code == 404


def test_the_refused_rows_file_can_be_fixed_and_uploaded_again(client, checked, django_capture_on_commit_callbacks):
    report = b"".join(client.get(url("upload_report", checked)).streaming_content)
    post_upload(client, report, "refused-rows.xlsx", capture=django_capture_on_commit_callbacks)
    again = latest_upload()
    assert again.status == Upload.Status.VALIDATED
    assert again.unknown_columns == [], "the report's own columns are ignored without comment"
    assert again.rows == 4
    formula = again.refused_rows.get(row_number=3)
    assert formula.problems[0][1] == "formula", "an escaped formula is still refused, not imported as a name"


def test_a_president_can_download_their_districts_member_list_from_the_uploads_page(client, cast, patna_president):
    page = login(client, patna_president).get(reverse("members:upload_list")).content.decode()
    assert reverse("members:member_export", args=["PAT"]) in page
    assert reverse("members:member_export", args=["GAY"]) not in page


# --- formulas -----------------------------------------------------------------------------------------


def test_formulas_refuse_only_their_rows_and_only_in_the_columns_read(
    client, cast, patna_president, django_capture_on_commit_callbacks
):
    patna_president.language = "en"
    patna_president.save(update_fields=["language"])
    rows = [["क्रम सं.", *HEAD, "कुल"], *[["=ROW()-1", *row, ""] for row in GOOD]]
    rows += [["=ROW()-1", "राधा", "=TEXT(9123456783,0)", "रामपुर", "", "=COUNTA(B2:B5)"]]
    login(client, patna_president)
    post_upload(client, xlsx_bytes(rows), "members.xlsx", capture=django_capture_on_commit_callbacks)
    upload = latest_upload()
    assert (upload.status, upload.valid, upload.rejected) == (Upload.Status.VALIDATED, 3, 1)
    assert upload.unknown_columns == ["क्रम सं.", "कुल"]
    (refused,) = upload.refused_rows.all()
    assert (refused.row_number, refused.problems) == (5, [["mobile", "formula_cell", {}]])
    page = client.get(url("upload_detail", upload)).content.decode()
    assert "This cell holds a formula, not a value." in page


def test_what_a_refused_formula_showed_comes_back_as_text_in_the_refused_rows(
    client, cast, patna_president, django_capture_on_commit_callbacks
):
    source = xlsx_bytes([HEAD, *GOOD])
    sheet = zipfile.ZipFile(io.BytesIO(source)).read("xl/worksheets/sheet1.xml").decode()
    shown = '=HYPERLINK("http://evil.example")'
    cell = f'<c r="A2" t="str"><f>"{shown.replace(chr(34), chr(34) * 2)}"</f><v>{escape(shown)}</v></c>'
    sheet = sheet.replace('<c r="A2" t="inlineStr"><is><t>सीता देवी</t></is></c>', cell)
    login(client, patna_president)
    content = _rezip(source, {"xl/worksheets/sheet1.xml": sheet.encode()})
    post_upload(client, content, "members.xlsx", capture=django_capture_on_commit_callbacks)
    upload = latest_upload()
    assert upload.refused_rows.get().problems == [["name", "formula_cell", {}]]
    rows = _sheet(client.get(url("upload_report", upload)))
    assert rows[1][0] == "'" + shown, "escaped, so the spreadsheet shows it as text"


# --- the valid rows as read -------------------------------------------------------------------------


def test_the_preview_shows_the_first_ten_valid_rows_as_read_and_how_many_more(
    client, cast, patna_president, django_capture_on_commit_callbacks
):
    patna_president.language = "en"
    patna_president.save(update_fields=["language"])
    rows = [HEAD, ["गीता", "98765", "रामपुर", ""], ["मोहन", "9812345670", "रामपुर", ""]]  # rows 2, 3: refused
    rows += [[f"सदस्य {i}", f"+91 91234 5670{i}", "  रामपुर ", f"वार्ड {i}"] for i in range(10)]
    rows += [["सीता", "8123456781", "नया गांव", ""], ["राम", "8123456782", "नया गांव", ""]]  # rows 14, 15: not shown
    login(client, patna_president)
    post_upload(client, csv_text(rows).encode(), capture=django_capture_on_commit_callbacks)
    upload = latest_upload()
    assert (upload.valid, len(upload.valid_sample)) == (12, 10)
    assert upload.valid_sample[0] == {
        "row": 4, "name": "सदस्य 0", "mobile": "9123456700", "village": "रामपुर", "address": "वार्ड 0",
    }  # fmt: skip
    assert [row["row"] for row in upload.valid_sample] == list(range(4, 14))

    response = client.get(url("upload_detail", upload))
    page = response.content.decode()
    sample = page[page.index('class="sample-rows"') : page.index("</table>", page.index('class="sample-rows"'))]
    assert '<td lang="hi">सदस्य 9</td>' in sample and '<td class="mobile">91234 56709</td>' in sample
    assert "98765" not in sample and "9812345670" not in sample, "refused rows are not in the sample"
    assert "सीता" not in sample, "the eleventh valid row is not shown"
    assert "2 more valid rows are not shown here." in page
    assert page.index('class="sample-rows"') < page.index('id="confirm-import"'), "seen before the Import button"


def test_a_preview_with_every_valid_row_shown_says_nothing_more(client, checked):
    page = client.get(url("upload_detail", checked)).content.decode()
    assert [row["name"] for row in checked.valid_sample] == ["सीता देवी", "Ram Kumar"]
    assert '<td class="mobile">91234 56780</td>' in page
    assert checked.valid_not_shown == 0


@pytest.mark.parametrize("who", ["gaya_president", "operator"])
def test_the_valid_rows_are_not_shown_outside_the_uploads_district(client, checked, request, who):
    response = login(client, request.getfixturevalue(who)).get(url("upload_detail", checked))
    assert response.status_code == 404
    assert "91234" not in response.content.decode()


@pytest.mark.parametrize("pasted", ["भगवानपुर\u200c", "\u200dभगवानपुर", "भगवानपुर\u200c \u200c"])
def test_a_joiner_pasted_at_the_end_of_a_name_does_not_make_a_second_village(pasted):
    """The twin looked the same, and the preview said "भगवानपुर — same village as “भगवानपुर”"."""
    from members.rows import RowChecker, clean_text

    checker = RowChecker({"भगवानपुर": "भगवानपुर"})
    _name, _mobile, village, key, _address, problems = checker.check(2, "सीता", "9123456780", pasted, "")
    assert (village, key, problems) == ("भगवानपुर", "भगवानपुर", [])
    assert clean_text("क्\u200dष") == "क्\u200dष", "inside a word, a joiner shapes the letters, and stays"


@pytest.mark.parametrize(
    "new",
    ["ग्राम रामपुर", "ग्राम- रामपुर", "रामपुर।", "रामपुर (पटना)", "राम पुर", "गाँव रामपुर", "Vill. Rampur", "rampur gaon"],
)
def test_a_village_written_with_a_prefix_a_danda_or_the_district_in_brackets_is_pointed_out(new):
    from members.rows import RowChecker

    checker = RowChecker({"रामपुर": "रामपुर", "rampur": "Rampur", "रामपुर 2": "रामपुर 2"})
    *_, key, _address, problems = checker.check(2, "सीता", "9123456780", new, "")
    assert not problems
    checker.accept(key, new)
    assert checker.new_villages, "a new village all the same: only a person can tell it is the same one"
    assert checker.lookalikes() == {new: "Rampur" if new.isascii() else "रामपुर"}


@pytest.mark.parametrize(
    ("new", "existing"),
    [("Ramnagar", "रामनगर"), ("gopalnagar", "गोपालनगर"), ("Vill. Bhagwanpur", "भगवानपुर"), ("Seetapur", "सीतापुर")]
    + [("Khagaria 2", "खगड़िया 2"), ("मुज़फ़्फ़रपुर", "Muzaffarpur"), ("लक्ष्मीपुर", "Laxmipur")],
)
def test_a_village_written_in_the_other_script_is_pointed_out(new, existing):
    from districts.models import Village
    from members.rows import RowChecker

    others = ["रामपुर", "श्यामनगर", "Sitamarhi", "खगड़िया 3"]
    checker = RowChecker({Village.key_for(name): name for name in [existing, *others]})
    *_, key, _address, problems = checker.check(2, "सीता", "9123456780", new, "")
    checker.accept(key, new)
    assert checker.lookalikes() == {new: existing}


@pytest.mark.parametrize("new", ["Shyampur", "Rampur 2", "Sitapur", "Gaya", "Satpur"])
def test_a_village_in_the_other_script_that_sounds_otherwise_is_not_pointed_out(new):
    from districts.models import Village
    from members.rows import RowChecker

    checker = RowChecker({Village.key_for(name): name for name in ["रामपुर", "सीतामढ़ी", "गया"]})
    *_, key, _address, _problems = checker.check(2, "सीता", "9123456780", new, "")
    checker.accept(key, new)
    assert checker.lookalikes() == {}


@pytest.mark.parametrize("new", ["रामपुर 3", "ग्राम", "रामनगर", "श्यामपुर (पटना)"])
def test_villages_that_only_share_the_extra_words_are_not_pointed_out(new):
    from members.rows import RowChecker

    checker = RowChecker({"रामपुर": "रामपुर", "रामपुर 2": "रामपुर 2", "ग्राम पंचायत": "ग्राम पंचायत"})
    *_, key, _address, _problems = checker.check(2, "सीता", "9123456780", new, "")
    checker.accept(key, new)
    assert checker.new_villages
    assert checker.lookalikes() == {}


@pytest.fixture
def lookalikes(client, cast, patna_president, django_capture_on_commit_callbacks):
    """A checked upload with two new villages pointed out as look-alikes of रामपुर, and one plainly new."""
    rows = [HEAD, ["सीता", "9123456780", "ग्राम रामपुर", ""], ["गीता", "9123456781", "रामपुर (पटना)", ""]]
    rows += [["रीता", "9123456782", "शिवनगर", ""]]
    login(client, patna_president)
    post_upload(client, csv_text(rows).encode(), capture=django_capture_on_commit_callbacks)
    return latest_upload()


def confirm_with(client, upload, capture, same_villages):
    with capture(execute=True):
        return client.post(url("upload_confirm", upload), {"same_village": same_villages})


def test_a_look_alike_ticked_as_the_same_village_puts_its_members_there(
    client, cast, patna, lookalikes, django_capture_on_commit_callbacks
):
    from districts import rollup, selectors
    from districts.models import DistrictStats

    rollup.rebuild()  # the summary rows exist, as on any district that has members
    page = client.get(url("upload_detail", lookalikes)).content.decode()
    assert page.count('name="same_village"') == 2, "one box for each look-alike, none for शिवनगर"
    assert 'form="confirm-form"' in page and 'id="confirm-form"' in page
    villages_before = Village.objects.filter(district=patna).count()
    confirm_with(client, lookalikes, django_capture_on_commit_callbacks, ["ग्राम रामपुर"])
    lookalikes.refresh_from_db()
    assert (lookalikes.status, lookalikes.imported, lookalikes.new_villages) == (Upload.Status.IMPORTED, 3, 2)
    villages = dict(Member.objects.filter(upload=lookalikes).values_list("mobile", "village__name"))
    assert villages == {"9123456780": "रामपुर", "9123456781": "रामपुर (पटना)", "9123456782": "शिवनगर"}
    assert Village.objects.filter(district=patna).count() == villages_before + 2
    stats = DistrictStats.objects.get(district=patna)
    assert (stats.villages, stats.listed) == (villages_before + 2, 2 + 3), "the figures count what was written"
    assert selectors.rollup_by_group_by([patna])[patna.pk]["listed"] == stats.listed
    page = client.get(url("upload_detail", lookalikes)).content.decode()
    assert "इसके सदस्य “रामपुर” में जोड़े गए" in page


def test_without_a_tick_the_look_alikes_are_created_as_new_villages(
    client, patna, lookalikes, django_capture_on_commit_callbacks
):
    confirm_with(client, lookalikes, django_capture_on_commit_callbacks, [])
    lookalikes.refresh_from_db()
    assert (lookalikes.imported, lookalikes.new_villages, lookalikes.village_merges) == (3, 3, {})
    assert Village.objects.filter(district=patna, name="ग्राम रामपुर").exists()


def test_only_villages_pointed_out_as_look_alikes_can_be_put_in_another(
    client, patna, lookalikes, django_capture_on_commit_callbacks
):
    confirm_with(client, lookalikes, django_capture_on_commit_callbacks, ["शिवनगर", "रामपुर", "<script>"])
    lookalikes.refresh_from_db()
    assert (lookalikes.imported, lookalikes.new_villages, lookalikes.village_merges) == (3, 3, {})


def test_a_village_gone_before_the_import_runs_leaves_its_look_alike_new(
    client, cast, patna, lookalikes, django_capture_on_commit_callbacks
):
    from members import services

    with django_capture_on_commit_callbacks():  # confirmed, not yet imported
        client.post(url("upload_confirm", lookalikes), {"same_village": ["ग्राम रामपुर"]})
    target = Village.objects.create(district=patna, name="खाली", name_key="खाली")
    Upload.objects.filter(pk=lookalikes.pk).update(village_merges={"ग्राम रामपुर": target.name_key})
    target.delete()  # staff removed the empty village the look-alike was to go into
    services.upload_import(upload_id=lookalikes.pk)
    lookalikes.refresh_from_db()
    assert (lookalikes.status, lookalikes.imported, lookalikes.new_villages) == (Upload.Status.IMPORTED, 3, 3)
    assert Member.objects.get(mobile="9123456780").village.name == "ग्राम रामपुर"


def test_new_names_in_one_file_that_look_alike_point_to_the_first_written():
    from members.rows import RowChecker

    checker = RowChecker({"शिवपुर": "शिवपुर"})
    for row, village in enumerate(["रामपुर", "Rampur", "RAMPUR", "Raampur", "शिवनगर", "Shivpur"], start=2):
        *_, key, _address, problems = checker.check(row, "सीता", f"912345678{row}", village, "")
        assert not problems
        checker.accept(key, village)
    # Rampur and RAMPUR are one name; each look-alike points to a village that is not itself one.
    assert checker.lookalikes() == {"Rampur": "रामपुर", "Raampur": "रामपुर", "Shivpur": "शिवपुर"}


def test_a_look_alike_of_another_new_name_ticked_makes_one_village_for_both(
    client, cast, patna, patna_president, django_capture_on_commit_callbacks
):
    rows = [HEAD, ["सीता", "9123456780", "बाघपुर", ""], ["गीता", "9123456781", "Baghpur", ""]]
    login(client, patna_president)
    post_upload(client, csv_text(rows).encode(), capture=django_capture_on_commit_callbacks)
    upload = latest_upload()
    assert upload.similar_villages == {"Baghpur": "बाघपुर"}
    page = client.get(url("upload_detail", upload)).content.decode()
    assert page.count('name="same_village"') == 1
    confirm_with(client, upload, django_capture_on_commit_callbacks, ["Baghpur"])
    upload.refresh_from_db()
    assert (upload.status, upload.imported, upload.new_villages) == (Upload.Status.IMPORTED, 2, 1)
    villages = set(Member.objects.filter(upload=upload).values_list("village__name", flat=True))
    assert villages == {"बाघपुर"}
    assert not Village.objects.filter(district=patna, name="Baghpur").exists()


def test_the_imported_notice_speaks_of_one_member_as_one(client, cast, checked, django_capture_on_commit_callbacks):
    make_member(cast["sitapur"], "8123456781")  # enrolled meanwhile: one of the two rows is imported
    confirm(client, checked, django_capture_on_commit_callbacks)
    page = client.get(url("upload_detail", checked)).content.decode()
    assert "1 सदस्य इम्पोर्ट हुआ।" in page
    assert "वह अपनी पहली कॉल के इंतज़ार में है।" in page


def test_villages_an_upload_creates_start_with_their_districts_target(
    client, checked, patna, django_capture_on_commit_callbacks
):
    from districts.models import VillageStats

    patna.village_target = 7
    patna.save(update_fields=["village_target"])
    confirm(client, checked, django_capture_on_commit_callbacks)
    village = Village.objects.get(district=patna, name="नया गांव")
    assert village.target == 7
    assert VillageStats.objects.get(village=village).target == 7, "the figures count villages at that target"


def test_once_imported_the_rows_as_read_are_no_longer_shown(client, checked, django_capture_on_commit_callbacks):
    assert 'id="valid-sample"' in client.get(url("upload_detail", checked)).content.decode()
    confirm(client, checked, django_capture_on_commit_callbacks)
    page = client.get(url("upload_detail", checked)).content.decode()
    assert 'id="valid-sample"' not in page, "what was written can differ from what was read"


def test_the_member_list_download_leaves_out_members_taken_off_the_list(client, cast, patna_president):
    cast["rampur"].members.filter(mobile="9876543211").update(status=MemberStatus.REMOVED)
    rows = _sheet(login(client, patna_president).get(reverse("members:member_export", args=["PAT"])))
    assert [row[1] for row in rows[1:]] == ["9812345670"], "the list as it stands, ready to upload again"


def test_a_list_uploaded_again_says_there_is_nothing_to_fix(
    client, cast, patna_president, django_capture_on_commit_callbacks
):
    """Every row already enrolled: not "every row was refused, fix them and upload again" when none is wrong."""
    login(client, patna_president)
    again = csv_text([HEAD, ["मोहन", "9812345670", "रामपुर", ""], ["सोहन", "9876543211", "रामपुर", ""]]).encode()
    post_upload(client, again, capture=django_capture_on_commit_callbacks)
    page = client.get(url("upload_detail", latest_upload())).content.decode()
    assert "इस फ़ाइल के सभी सदस्य पहले से दर्ज हैं" in page and "सुधारने को कुछ नहीं है" in page
    assert "सभी पंक्तियाँ नामंज़ूर हुईं" not in page

    Member.objects.filter(mobile="9812345670").update(status=MemberStatus.WRONG_NUMBER)
    post_upload(client, again, capture=django_capture_on_commit_callbacks)
    page = client.get(url("upload_detail", latest_upload())).content.decode()
    assert "सुधारने को कुछ नहीं है" not in page, "a number the call centre could not use: there is something to do"
    assert "और क्या करें" in page

    wrong = csv_text([HEAD, ["गीता", "98765", "रामपुर", ""], ["सीता", "12345", "रामपुर", ""]]).encode()
    post_upload(client, wrong, capture=django_capture_on_commit_callbacks)
    page = client.get(url("upload_detail", latest_upload())).content.decode()
    assert "सभी पंक्तियाँ नामंज़ूर हुईं" in page, "a row to fix: fix it and upload again"


def test_a_list_uploaded_again_with_a_few_mistakes_says_to_fix_only_those(
    client, cast, patna_president, django_capture_on_commit_callbacks
):
    """A list uploaded again after its import, where two rows had mistakes: the page said every row was refused
    and to fix them all, when all but two are enrolled already and need nothing."""
    login(client, patna_president)
    rows = [["मोहन", "9812345670", "रामपुर", ""], ["सोहन", "9876543211", "रामपुर", ""], ["गीता", "98765", "रामपुर", ""]]
    post_upload(client, csv_text([HEAD, *rows]).encode(), capture=django_capture_on_commit_callbacks)
    page = client.get(url("upload_detail", latest_upload())).content.decode()
    assert "सभी पंक्तियाँ नामंज़ूर हुईं" not in page
    assert "1 पंक्ति में गलती है" in page and "बाकी 2 पहले से दर्ज हैं" in page


def test_the_uploads_list_shows_no_imported_count_before_the_import(
    client, checked, django_capture_on_commit_callbacks
):
    """A list waiting for confirmation showed "Imported 0", which read as an import that had failed."""
    imported_cell = re.compile(r'<td class="num">[^<]*</td>\s*<td class="num hide-sm">')

    listing = client.get(reverse("members:upload_list")).content.decode()
    assert [cell.split(">")[1].split("<")[0] for cell in imported_cell.findall(listing)] == ["—"]

    confirm(client, checked, django_capture_on_commit_callbacks)
    listing = client.get(reverse("members:upload_list")).content.decode()
    assert [cell.split(">")[1].split("<")[0] for cell in imported_cell.findall(listing)] == [str(checked.valid)]


def test_the_file_to_upload_is_chosen_with_a_button_in_the_pages_language(client, cast, marked_wrong, patna_president):
    """The browser's own file button said "Choose File" and "No file chosen", in English on most phones here."""
    page = login(client, patna_president).get(reverse("members:upload_new")).content.decode()
    assert '<label for="id_file" class="button secondary file-pick">फ़ाइल चुनें</label>' in page
    assert 'data-none="अभी कोई फ़ाइल नहीं चुनी गई"' in page
    page = client.get(reverse("members:rejects", args=["PAT"])).content.decode()
    assert '<label for="corrections-file" class="button secondary file-pick">फ़ाइल चुनें</label>' in page
