"""Spreadsheets people download: the upload template, the refused rows of an upload, a district's members.

Every cell written here goes through `escape_cell`, so a value such as "=HYPERLINK(…)" typed into an upload
comes back as text, never as a formula that Excel or LibreOffice would run.
"""

import tempfile

from django.http import FileResponse
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from controlroom.exports import escape_cell
from controlroom.models import AuditEvent
from members.columns import HEADINGS, REPORT_HEADINGS
from members.models import Upload
from members.rows import problem_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_response(workbook: Workbook, filename: str) -> FileResponse:
    spool = tempfile.TemporaryFile()
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX)


def template_workbook() -> Workbook:
    """The member-list template: bilingual headers, the mobile column kept as text, and instructions."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "सदस्य - Members"
    sheet.append(HEADINGS)
    for cell, width in zip(sheet[1], (28, 16, 24, 40), strict=True):
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = width
    for row in range(2, 2002):
        sheet.cell(row=row, column=2).number_format = "@"
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("निर्देश - Instructions")
    for language in ("hi", "en"):
        with translation.override(language):
            for line in _instructions():
                notes.append([escape_cell(line)])
        notes.append([])
    notes.column_dimensions["A"].width = 100
    for row in notes.iter_rows():
        row[0].alignment = Alignment(wrap_text=True)
    return workbook


def _instructions() -> list[str]:
    return [
        _("How to fill in the member list"),
        _("Write one member per row under the headings of the first sheet. Do not change the headings."),
        _("Name, Mobile and Village must be filled in; Address may be left empty."),
        _("Mobile: the 10-digit mobile number. +91 or 0 in front, spaces and dashes are fine."),
        _("Village: write the village name the same way every time; new names create new villages."),
        _("The same mobile number may appear only once, in this file and in the whole organisation."),
        _("Upload the file as it is (.xlsx), or save it as “CSV UTF-8”."),
    ]


def template_response() -> FileResponse:
    return _xlsx_response(template_workbook(), "member-list-template.xlsx")


def refused_rows_workbook(upload: Upload) -> Workbook:
    """The refused rows as typed, with why, in the active language: fix them here and upload this file again."""
    # The file's own other columns come back too, between the member's and the report's: nothing typed is lost.
    extra = list(upload.unknown_columns)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Refused rows")[:31])
    for index, width in enumerate((28, 16, 24, 40, *[16] * len(extra), 12, 70), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append([*HEADINGS, *(escape_cell(heading) for heading in extra), *map(str, REPORT_HEADINGS)])
    rows = upload.refused_rows.order_by("row_number").values_list(
        "name", "mobile", "village", "address", "extra", "row_number", "problems"
    )
    padding = [""] * len(extra)
    for name, mobile, village, address, cells, row_number, problems in rows.iterator(chunk_size=2000):
        others = (cells + padding)[: len(extra)]
        row = (name, mobile, village, address, *others, row_number, problem_text(problems))
        sheet.append([escape_cell(cell) for cell in row])
    return workbook


def refused_rows_response(upload: Upload, *, actor) -> FileResponse:
    """The refused rows as a download, written to the audit log as every export is: they are members' names and
    numbers."""
    name = f"refused-rows-{upload.pk}"
    response = _xlsx_response(refused_rows_workbook(upload), f"{name}.xlsx")
    AuditEvent.objects.create(actor=actor, action=AuditEvent.Action.EXPORT, what=name, rows=upload.refused_rows.count())
    return response
