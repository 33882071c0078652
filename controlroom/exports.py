"""XLSX exports through django-import-export, with every export audited and spreadsheet formulas defused."""

import datetime
import io
import re

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from import_export import fields, widgets
from import_export.formats.base_formats import XLSX
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from controlroom.models import AuditEvent

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def number_field(attribute, column_name):
    """A count or rate that stays a number in the spreadsheet; the default widget writes it as text."""
    return fields.Field(
        attribute=attribute, column_name=column_name, widget=widgets.NumberWidget(coerce_to_string=False)
    )


def escape_cell(value):
    """A cell that a spreadsheet would read as a formula gets a leading apostrophe, and stays text.

    Control characters that XLSX cannot hold are dropped, so no stored value can break a download.
    """
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class SafeXLSX(XLSX):
    """XLSX whose text cells can never run as formulas; numbers stay numbers; times of day read 09:05."""

    def export_data(self, dataset, **kwargs):
        content = super().export_data(dataset, **kwargs)
        if not any(type(cell) is datetime.time for row in dataset for cell in row):
            return content
        # openpyxl writes a time of day as h:mm:ss ("9:05:00"): the office reads times on a 24-hour clock.
        workbook = load_workbook(io.BytesIO(content))
        for row in workbook.active.iter_rows():
            for cell in row:
                if type(cell.value) is datetime.time:
                    cell.number_format = "hh:mm"
        rewritten = io.BytesIO()
        workbook.save(rewritten)
        return rewritten.getvalue()

    def _escape_formulae(self, dataset):
        rows = [[escape_cell(cell) for cell in row] for row in dataset]
        del dataset[:]
        for row in rows:
            dataset.append(row)


def xlsx_response(
    *, request, resource, rows, what: str, filename: str, stamped: bool = True, footer: list = ()
) -> HttpResponse:
    """Export `rows` with `resource` as an XLSX download, and write who exported what to the audit log.

    `footer`: rows after them that are not data, such as totals (not counted in the log). The file name ends
    with when it was exported, unless it already names its day (`stamped=False`)."""
    rows = list(rows)
    dataset = resource.export([*rows, *footer])
    dataset.title = _sheet_title(filename)
    dataset = _escaped(dataset)
    content = SafeXLSX().export_data(dataset)
    AuditEvent.objects.create(actor=request.user, action=AuditEvent.Action.EXPORT, what=what, rows=len(rows))
    stamp = timezone.localtime().strftime("-%Y%m%d-%H%M") if stamped else ""
    response = HttpResponse(content, content_type=SafeXLSX.CONTENT_TYPE)
    # Encoded for browsers: a village's name in Devanagari stays in the file name.
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}{stamp}.xlsx")
    return response


def file_name_part(text: str) -> str:
    """Text for a file name, kept as written (slugify would drop the vowel signs of Devanagari): only the
    characters file systems refuse, and spaces, become dashes."""
    return re.sub(r'[\\/:*?"<>|\s]+', "-", text).strip("-.") or "-"


def _sheet_title(name: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of : \\ / ? * [ ]."""
    return re.sub(r"[:\\/?*\[\]]", "-", name)[:31]


def _escaped(dataset):
    SafeXLSX()._escape_formulae(dataset)
    return dataset
