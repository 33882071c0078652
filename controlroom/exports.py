"""XLSX exports through django-import-export, with every export audited and spreadsheet formulas defused."""

import datetime
import decimal
import io
import re

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from import_export import fields, widgets
from import_export.formats.base_formats import CSV, XLSX
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from controlroom.models import AuditEvent
from controlroom.percentages import percentage

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def number_field(attribute, column_name):
    """A number that stays a number in the spreadsheet (an id, a rate per hour); the default widget writes text."""
    return fields.Field(
        attribute=attribute, column_name=column_name, widget=widgets.NumberWidget(coerce_to_string=False)
    )


class Count(int):
    """A count in a download, shown grouped as the pages show it (1,00,000), whatever the spreadsheet's locale."""

    FORMAT = r"[>=10000000]##\,##\,##\,##0;[>=100000]##\,##\,##0;##,##0"


class Percent(float):
    """A percentage in a download, always with its one decimal: 80.0 beside 79.7, not 80."""

    FORMAT = "0.0"


class _CountWidget(widgets.NumberWidget):
    def render(self, value, obj=None, **kwargs):
        value = super().render(value, obj, **kwargs)
        return Count(value) if type(value) is int else value


def count_field(attribute, column_name):
    """A count (members, calls, villages): a number in the spreadsheet, grouped in lakhs."""
    return fields.Field(attribute=attribute, column_name=column_name, widget=_CountWidget(coerce_to_string=False))


def percent(share):
    """A share (0 to 1) as the percentage a download shows, or nothing when there is none yet."""
    return None if share is None else Percent(percentage(share, 1))


def escape_cell(value):
    """A cell that a spreadsheet would read as a formula gets a leading apostrophe, and stays text.

    Control characters that XLSX cannot hold are dropped, so no stored value can break a download.
    """
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class ExcelCSV(CSV):
    """CSV that Excel opens as UTF-8: it reads a file without the byte-order mark as the PC's own code page, and
    the Devanagari comes out garbled."""

    def export_data(self, dataset, **kwargs):
        return "\ufeff" + super().export_data(dataset, **kwargs)


class SafeXLSX(XLSX):
    """XLSX whose text cells can never run as formulas; numbers stay numbers; times of day read 09:05."""

    def export_data(self, dataset, **kwargs):
        """Written row by row in openpyxl's write-only mode, in a fraction of the time and memory of a workbook
        held whole (a district's lakh of members): bold headings, the rows scrolling under them, columns as
        wide as their text (at most 60), and times of day on a 24-hour clock (openpyxl writes 9:05:00)."""
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(_sheet_title(dataset.title or "Sheet"))
        for column, width in enumerate(_widths(dataset), 1):
            sheet.column_dimensions[get_column_letter(column)].width = width
        if dataset.headers:
            sheet.freeze_panes = "A2"
            sheet.append([_cell(sheet, _plain(heading), font=BOLD) for heading in dataset.headers])
        for row in dataset:
            sheet.append([_cell(sheet, value) if _styled(value) else _plain(value) for value in row])
        content = io.BytesIO()
        workbook.save(content)
        return content.getvalue()

    def _escape_formulae(self, dataset):
        rows = [[escape_cell(cell) for cell in row] for row in dataset]
        del dataset[:]
        for row in rows:
            dataset.append(row)


BOLD = Font(bold=True)
WRAPPED = Alignment(wrap_text=True)


def _wraps(value) -> bool:
    return type(value) is str and "\n" in value


# What a cell holds as it is; anything else (a translated label, a UUID) is written as its text, as tablib did.
NATIVE = (str, int, float, bool, decimal.Decimal, datetime.date, datetime.time, datetime.timedelta, type(None))


def _plain(value):
    """A value openpyxl can write. A time with a time zone is read in India's time: Excel has no time zones."""
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return value if isinstance(value, NATIVE) else str(value)


def _styled(value) -> bool:
    return type(value) in (datetime.time, Count, Percent) or _wraps(value)


def _cell(sheet, value, font=None):
    kind = type(value)
    if kind in (Count, Percent):
        value = kind.__base__(value)  # openpyxl writes plain numbers only
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    if kind is datetime.time:
        cell.number_format = "hh:mm"
    elif kind in (Count, Percent):
        cell.number_format = kind.FORMAT
    elif _wraps(value):
        cell.alignment = WRAPPED
    return cell


def _widths(dataset) -> list[int]:
    """Each column as wide as its longest value or heading, as the spreadsheet shows it, up to 60."""
    widths = [len(str(heading)) for heading in dataset.headers or []]
    for row in dataset:
        if len(widths) < len(row):
            widths += [0] * (len(row) - len(widths))
        for i, value in enumerate(row):
            if value is not None:
                widths[i] = max(widths[i], len(str(value)))
    return [min(width, 60) for width in widths]


def xlsx_response(
    *, request, resource, rows, what: str, filename: str, sheet="", stamped: bool = True, footer: list = ()
) -> HttpResponse:
    """Export `rows` with `resource` as an XLSX download, and write who exported what to the audit log.

    `footer`: rows after them that are not data, such as totals (not counted in the log). The file name ends
    with when it was exported, unless it already names its day (`stamped=False`). `sheet`: the worksheet's
    name, in the reader's language (the file name, kept in Latin letters, if none)."""
    rows = list(rows)
    dataset = resource.export([*rows, *footer])
    dataset.title = _sheet_title(str(sheet) or filename)
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
