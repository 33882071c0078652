"""Reading an uploaded member list safely: what kind of file it is, whether it is safe to open, and its rows.

XLSX, XLSB, XLS and ODS are read with python-calamine; CSV (UTF-8 with or without BOM, or UTF-16 "Unicode text")
with the csv module. The file type is decided by the bytes, never by the name. Zip containers are checked
before parsing: declared uncompressed sizes, compression ratios, DTDs (XML bombs) and formula cells. A formula
matters only in a column the import reads: those rows are refused one by one, other columns are left alone.
"""

import codecs
import csv
import io
import lzma
import re
import tempfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from openpyxl.utils.cell import column_index_from_string, get_column_letter

from members.columns import BY_FIELD, FIELDS, HeaderMap, map_header

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 500_000
# A 5-lakh-row XLSX unzips to about 160 MB of XML; spreadsheets compress 5-50 times, bombs a thousand times.
MAX_UNZIPPED = 600 * 1024 * 1024
MAX_RATIO = 150
MAX_ZIP_ENTRIES = 5_000
MAX_CELLS = 12 * MAX_ROWS
# Past this many rows with a formula in a column read, the column is formulas throughout: the file is refused
# with one instruction (paste the values) rather than every row with the same reason.
MAX_FORMULA_ROWS = 1_000
HEADER_SEARCH_ROWS = 20
# How many non-blank lines of a CSV its separator is guessed from.
DELIMITER_LINES = 10
# How many non-blank lines of a CSV are looked at for letters saved as "?", and how many such cells tell.
SAMPLE_LINES = 100
LOST_LETTER_CELLS = 3
_DELIMITERS = (",", "\t", ";", "|")

PROBLEMS = {
    "empty": _("The file is empty."),
    "no_rows": _("The file has a header row but no members under it."),
    "missing_columns": _(
        "These columns are missing: %(columns)s. Above the members, a row of headings must name the columns, "
        "for example “नाम / Name”, “मोबाइल / Mobile”, “गाँव / Village”. Download the template to see them."
    ),
    "too_big": _("The file is larger than %(max_mb)s MB. Split it into smaller files."),
    "too_many_rows": _("The file has more than %(max_rows)s rows. Split it into smaller files."),
    "not_spreadsheet": _(
        "This file is not a spreadsheet but %(kind)s, whatever its name says. Upload the member list as an "
        "Excel file (.xlsx) or a CSV file."
    ),
    "xml_spreadsheet": _("This is an old “XML Spreadsheet 2003” file. Open it in Excel and save it as .xlsx."),
    "password": _(
        "The file is protected with a password. Open it in Excel, remove the password "
        "(File → Info → Protect Workbook), save, and upload it again."
    ),
    "not_utf8": _(
        "The file is not in UTF-8, so Hindi letters would come out wrong. In Excel choose File → Save As → "
        "“CSV UTF-8 (Comma delimited)”, or upload the .xlsx file itself."
    ),
    "broken": _("The file is damaged or incomplete and cannot be read. Save it again and upload it again."),
    "corrections_columns": _(
        "This is not a filled-in rejects download: it needs the columns “%(member_id)s” and “%(corrected)s”. "
        "Download the rejects again, fill in the corrected numbers in the last column, and upload that file."
    ),
    "corrections_not_xlsx": _(
        "Corrections are read from the rejects download itself, an Excel file (.xlsx). Fill in the corrected "
        "numbers in that file and upload it as it is, without saving it as CSV or any other kind of file."
    ),
    "broken_csv": _("The CSV file cannot be read near line %(line)s: %(detail)s."),
    "bomb": _("The file unpacks to far more data than a member list can hold, so it was not opened."),
    "unsafe_xml": _("The file contains XML that is not allowed in a spreadsheet (a DTD), so it was not opened."),
    "formulas": _(
        "The sheet “%(sheet)s” has formulas (the first in cell %(cell)s). Select everything, copy, and use "
        "Paste Special → Values, then save and upload again."
    ),
    # The admin's import refuses a file with formulas in the columns read (the district upload refuses the rows).
    "formulas_somewhere": _(
        "The file has formulas. Select everything, copy, and use Paste Special → Values, then save and upload again."
    ),
    "missing_file": _("The uploaded file is no longer on the server. Upload it again."),
    "stuck": _("Checking this file did not finish after several tries. Upload it again, or split it."),
    "expired": _("The checked rows of this upload were removed after the retention period. Upload the file again."),
}

# Said after a problem's message when the problem carries the parameters for it.
DETAILS = {
    "missing_columns": _("Row %(row)s was read as the headings; it has: %(found)s."),
}
DETAIL_PARAMS = {"missing_columns": ("row", "found")}
# Parameters that quote the file's own cells: of a list without headings, the first member's name and number. The
# retention purge drops them with the file; the problem keeps its message, without the detail that quoted them.
QUOTING_PARAMS = {"found"}
# How many of a header row's cells the missing-columns message quotes, and how much of each.
QUOTED_HEADINGS = 12
QUOTED_HEADING_LENGTH = 40


class UnusableFile(Exception):
    """The file itself cannot be used. Carries a code and parameters; the message is translated when shown."""

    columns_found = 0  # for a header missing columns, how many it names: of several sheets, the closest explains

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        return problem_message(self.code, self.params)


def problem_message(code: str, params: dict) -> str:
    """The message for a stored problem code, in the active language."""
    params = {
        key: number_format(value, force_grouping=True) if type(value) is int else value for key, value in params.items()
    }
    if "kind" in params:
        params["kind"] = KINDS.get(params["kind"], params["kind"])
    message = str(PROBLEMS.get(code, PROBLEMS["broken"])) % params
    # Problems stored before a detail was added have no parameters for it, and keep their message as it was.
    if code in DETAILS and all(key in params for key in DETAIL_PARAMS[code]):
        message = f"{message} {str(DETAILS[code]) % params}"
    return message


def max_bytes() -> int:
    return getattr(settings, "MEMBER_UPLOAD_MAX_BYTES", MAX_BYTES)


def max_rows() -> int:
    return getattr(settings, "MEMBER_UPLOAD_MAX_ROWS", MAX_ROWS)


def max_formula_rows() -> int:
    return getattr(settings, "MEMBER_UPLOAD_MAX_FORMULA_ROWS", MAX_FORMULA_ROWS)


# --- what kind of file ----------------------------------------------------------------------------------

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_OLE_MARKERS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
_BINARY_MAGIC = {
    b"%PDF": "pdf",
    b"\x89PNG": "image",
    b"\xff\xd8\xff": "image",
    b"GIF8": "image",
    b"\x1f\x8b": "archive",
    b"Rar!": "archive",
    b"7z\xbc\xaf": "archive",
    b"MZ": "program",
    b"\x7fELF": "program",
    b"ID3": "media",
    b"OggS": "media",
    b"RIFF": "media",
    b"{\\rtf": "document",
}
KINDS = {
    "pdf": _("a PDF document"),
    "image": _("a picture"),
    "archive": _("a compressed archive"),
    "program": _("a program"),
    "media": _("a sound or video file"),
    "document": _("a text document"),
    "web_page": _("a web page"),
    "xml": _("an XML file"),
    "binary": _("binary data"),
}
_HTML = re.compile(rb"^\s*(<!doctype html|<html|<table|<head|<body)", re.IGNORECASE)


def sniff(head: bytes, size: int) -> str:
    """The kind of file from its first bytes: "zip", "ole", "csv"; raises UnusableFile otherwise."""
    if size == 0 or not head.strip(b"\x00\t\r\n \xef\xbb\xbf\xff\xfe"):
        raise UnusableFile("empty")
    if size > max_bytes():
        raise UnusableFile("too_big", max_mb=max_bytes() // (1024 * 1024))
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(_OLE):
        return "ole"
    for magic, kind in _BINARY_MAGIC.items():
        if head.startswith(magic):
            raise UnusableFile("not_spreadsheet", kind=kind)
    if _HTML.match(head[:1024]):
        raise UnusableFile("not_spreadsheet", kind="web_page")
    if head.lstrip().startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
            raise UnusableFile("xml_spreadsheet")
        raise UnusableFile("not_spreadsheet", kind="xml")
    text_encoding(head)
    return "csv"


_CONTROL_BYTES = [bytes([b]) for b in (*range(0, 9), *range(14, 32))]


def text_encoding(head: bytes) -> str:
    """The encoding of a CSV file from its first bytes: a BOM, UTF-16's zero bytes, or strictly valid UTF-8."""
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif head.count(b"\x00") > len(head) // 4:
        encoding = "utf-16-le" if head[1::2].count(b"\x00") > len(head) // 4 else "utf-16-be"
    elif sum(head.count(byte) for byte in _CONTROL_BYTES) > len(head) // 100:
        raise UnusableFile("not_spreadsheet", kind="binary")
    else:
        encoding = "utf-8"
    try:
        sample = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError:
        if encoding == "utf-8":
            raise UnusableFile("not_utf8") from None
        raise UnusableFile("not_spreadsheet", kind="binary") from None
    if sum(1 for ch in sample[:4096] if ch < " " and ch not in "\t\r\n") > 8:
        raise UnusableFile("not_spreadsheet", kind="binary")
    return encoding


# --- zip containers: sizes, DTDs, formulas --------------------------------------------------------------

_SMALLEST_CELL = len(b"<c><v>1</v></c>")
_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")
_CELL_REF = re.compile(rb'<(?:\w+:)?c [^>]*?r="([A-Z]+[0-9]+)"')


def _check_zip_sizes(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_ENTRIES or sum(info.file_size for info in infos) > MAX_UNZIPPED:
        raise UnusableFile("bomb")
    if any(info.flag_bits & 0x1 for info in infos):  # zip-level encryption: zipfile would need the password
        raise UnusableFile("password")
    for info in infos:
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise UnusableFile("bomb")
    return infos


def _check_no_dtd(archive: zipfile.ZipFile, infos) -> None:
    for info in infos:
        if info.filename.endswith((".xml", ".rels")) and info.file_size:
            with archive.open(info) as member:
                start = member.read(4096)
            if b"<!DOCTYPE" in start or b"<!ENTITY" in start:
                raise UnusableFile("unsafe_xml")


def _scan_sheet_xml(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str | None:
    """The first formula cell of a worksheet, reading its XML in chunks; too many cells refuse the file.

    Cells are only counted when the XML is big enough to hold more than MAX_CELLS of them.
    """
    first_formula, cells, tail = None, 0, b""
    count_cells = info.file_size > MAX_CELLS * _SMALLEST_CELL
    with archive.open(info) as member:
        while chunk := member.read(1 << 20):
            if count_cells:
                cells += chunk.count(b"<v>") + chunk.count(b"<is>")
            if first_formula is None and b"<f" in tail + chunk:
                window = tail + chunk
                match = _FORMULA.search(window)
                if match:
                    refs = _CELL_REF.findall(window, 0, match.start())
                    first_formula = refs[-1].decode() if refs else "?"
            tail = chunk[-512:]
    if cells > MAX_CELLS:
        raise UnusableFile("too_many_rows", max_rows=max_rows())
    return first_formula


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet name → path inside the XLSX, from workbook.xml and its relationships."""
    from defusedxml import ElementTree

    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "p": "http://schemas.openxmlformats.org/package/2006/relationships",
    }
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return {}
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.findall("p:Relationship", ns)}
    paths = {}
    for sheet in workbook.iterfind("m:sheets/m:sheet", ns):
        target = targets.get(sheet.get(f"{{{ns['r']}}}id"), "")
        paths[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return paths


@dataclass
class ZipFacts:
    kind: str  # xlsx, xlsb or ods
    formulas: dict  # sheet name -> first formula cell; for ODS {"*": True} when any sheet has one
    sheet_paths: dict = field(default_factory=dict)  # XLSX: sheet name -> its XML inside the zip


def inspect_zip(path: Path) -> ZipFacts:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = _check_zip_sizes(archive)
            names = {info.filename for info in infos}
            _check_no_dtd(archive, infos)
            if "xl/workbook.xml" in names:
                by_name = {info.filename: info for info in infos}
                paths = {sheet: path for sheet, path in _sheet_paths(archive).items() if path in by_name}
                formulas = {sheet: _scan_sheet_xml(archive, by_name[sheet_path]) for sheet, sheet_path in paths.items()}
                return ZipFacts("xlsx", formulas, paths)
            if "xl/workbook.bin" in names:
                return ZipFacts("xlsb", {})
            if "mimetype" in names and archive.read("mimetype").startswith(b"application/vnd.oasis.opendocument.sp"):
                has_formulas = "content.xml" in names and _ods_has_formulas(archive)
                return ZipFacts("ods", {"*": True} if has_formulas else {})
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, ValueError, zlib.error, lzma.LZMAError):
        raise UnusableFile("broken") from None
    raise UnusableFile("not_spreadsheet", kind="document" if "word/document.xml" in names else "archive")


def _ods_has_formulas(archive: zipfile.ZipFile) -> bool:
    tail = b""
    with archive.open("content.xml") as member:
        while chunk := member.read(1 << 20):
            if b"table:formula=" in tail + chunk:
                return True
            tail = chunk[-32:]
    return False


# --- formula cells in the columns the import reads ------------------------------------------------------

_FORMULA_CELL = re.compile(rb"<(?:\w{1,16}:)?c\b([^>]{0,400})>\s{0,32}<(?:\w{1,16}:)?f[\s>/]")
_REF = re.compile(rb"""\br=["']([A-Z]{1,3})([0-9]{1,7})["']""")
_ODS = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"  # the table namespace


def _xlsx_formula_cells(archive: zipfile.ZipFile, sheet_path: str) -> Iterator[tuple[int, int]]:
    """(column index, row number) of each formula cell of a worksheet's XML, read in chunks; (-1, 0) for a formula
    cell that does not say where it is."""
    tail = b""
    with archive.open(sheet_path) as member:
        while chunk := member.read(1 << 20):
            window = tail + chunk
            for match in _FORMULA_CELL.finditer(window):
                if match.end() <= len(tail):
                    continue  # found in the previous window
                ref = _REF.search(match.group(1))
                yield (column_index_from_string(ref.group(1).decode()) - 1, int(ref.group(2))) if ref else (-1, 0)
            tail = window[-512:]


def _ods_formula_cells(archive: zipfile.ZipFile, sheet: str, columns) -> Iterator[tuple[int, int]]:
    """(column index, row number) of the formula cells of one ODS table in the given columns, repeated rows and
    cells expanded. Each row is dropped from the tree once read, so memory stays flat."""
    from defusedxml.ElementTree import iterparse

    parents, inside, number = [], False, 0
    with archive.open("content.xml") as member:
        for event, element in iterparse(member, events=("start", "end")):
            if event == "start":
                parents.append(element)
                if element.tag == f"{_ODS}table":
                    inside, number = element.get(f"{_ODS}name") == sheet, 0
                continue
            parents.pop()
            if element.tag != f"{_ODS}table-row":
                continue
            repeated = int(element.get(f"{_ODS}number-rows-repeated", 1))
            if inside:
                for column in _ods_formula_columns(element, columns):
                    yield from ((column, row) for row in range(number + 1, number + repeated + 1))
            number += repeated
            parents[-1].remove(element)


def _ods_formula_columns(row, columns) -> list[int]:
    found, start = [], 0
    for cell in row:
        span = int(cell.get(f"{_ODS}number-columns-repeated", 1))
        if cell.get(f"{_ODS}formula") is not None:
            found += [column for column in columns if start <= column < start + span]
        start += span
    return found


def formula_rows(path: Path, facts: ZipFacts, sheet: str, columns: dict[int, str]) -> dict[int, list]:
    """The rows of a sheet with a formula in a column the import reads: {row number: [(column, "formula_cell",
    {})]}. `columns` maps the read columns' indexes to their fields; formulas in any other column do not matter.

    Raises UnusableFile for a formula cell that cannot be placed, or for more than `max_formula_rows()` such rows.
    """
    from defusedxml.ElementTree import ParseError

    found, first, limit = {}, None, max_formula_rows()
    try:
        with zipfile.ZipFile(path) as archive:
            if facts.kind == "ods":
                cells = _ods_formula_cells(archive, sheet, columns)
            else:
                cells = _xlsx_formula_cells(archive, facts.sheet_paths[sheet])
            for column, row in cells:
                if column < 0:
                    raise UnusableFile("formulas", sheet=sheet, cell=facts.formulas.get(sheet) or "?")
                if column not in columns:
                    continue
                first = first or f"{get_column_letter(column + 1)}{row}"
                found.setdefault(row, []).append((columns[column], "formula_cell", {}))
                if len(found) > limit:
                    raise UnusableFile("formulas", sheet=sheet, cell=first)
    except (ParseError, zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error, lzma.LZMAError):
        raise UnusableFile("broken") from None
    return found


def is_encrypted_ole(path: Path) -> bool:
    data = path.read_bytes()
    return any(marker in data for marker in _ENCRYPTED_OLE_MARKERS)


# --- rows -----------------------------------------------------------------------------------------------


@dataclass
class Table:
    """The rows under a sheet's header, as (spreadsheet row number, cells); blank rows are left to the reader."""

    sheet: str
    header: HeaderMap
    header_row: int
    rows: Iterator
    total: int  # progress units: rows for spreadsheets, bytes for CSV
    position: object  # () -> progress units done so far
    # Rows with a formula in a column read, and the problems that refuse them (see `formula_rows`).
    formula_rows: dict = field(default_factory=dict)
    # The workbook's later sheets that hold a list of their own, which is not read: the president is told.
    other_sheets: list = field(default_factory=list)

    def getter(self):
        """A fast function from a row's cells to (name, mobile, village, address); short rows are padded."""
        positions = [self.header.positions.get(field) for field in FIELDS]
        width = max(p for p in positions if p is not None) + 1
        if positions[-1] is None:
            picked = itemgetter(*positions[:-1])

            def get(cells):
                if len(cells) < width:
                    cells = [*cells, *[""] * (width - len(cells))]
                return (*picked(cells), "")

            return get
        picked = itemgetter(*positions)

        def get(cells):
            if len(cells) < width:
                cells = [*cells, *[""] * (width - len(cells))]
            return picked(cells)

        return get

    def extra_getter(self):
        """A function from a row's cells to the cells of its unknown columns, kept for the refused-rows report."""
        positions = self.header.extra

        def get(cells):
            return [cells[p] if p < len(cells) else "" for p in positions]

        return get


def _find_header(numbered_rows: Iterator) -> tuple[int, list, list] | None:
    """The header row, and the rows read past it while looking, to be read again as data.

    A row naming every required column wins; failing that, the first naming two columns, since a grouped
    header's caption row ("सदस्य | | फोन |") names some above the row of real headings; failing that, the first."""
    scanned, candidate = [], None
    for seen, (number, cells) in enumerate(numbered_rows):
        scanned.append((number, cells))
        header = map_header(cells)
        if not header.missing:
            return number, cells, []
        if candidate is None and len(header.positions) >= 2:
            candidate = seen
        if seen >= HEADER_SEARCH_ROWS:
            break
    if not scanned:
        return None
    chosen = candidate or 0
    return (*scanned[chosen], scanned[chosen + 1 :])


def _non_blank(numbered_rows: Iterator) -> Iterator:
    """Skip blank rows cheaply: trailing and phantom rows cost one C-level test each."""
    for number, cells in numbered_rows:
        if any(cells):
            yield number, cells


def _table(sheet: str, numbered_rows: Iterator, total: int, position) -> Table:
    found = _find_header(_non_blank(numbered_rows))
    if found is None:
        raise UnusableFile("empty")
    header_row, cells, read_past = found
    header = map_header(cells)
    if header.missing:
        names = ", ".join(BY_FIELD[field].heading for field in header.missing)
        problem = UnusableFile("missing_columns", columns=names, row=header_row, found=_quoted_headings(cells))
        problem.columns_found = len(header.positions)
        raise problem
    # The rows under the header, blank ones included: the caller skips them in its own loop.
    return Table(sheet, header, header_row, chain(read_past, numbered_rows), total, position)


def _quoted_headings(cells) -> str:
    """A header row's cells as the missing-columns message quotes them: the president sees what was read."""
    texts = [" ".join(cell_id(cell).split()) for cell in cells if cell is not None]
    texts = [text if len(text) <= QUOTED_HEADING_LENGTH else text[: QUOTED_HEADING_LENGTH - 1] + "…" for text in texts]
    quoted = [f"“{text}”" for text in texts if text]
    if len(quoted) > QUOTED_HEADINGS:
        quoted = [*quoted[:QUOTED_HEADINGS], "…"]
    return ", ".join(quoted)


def _calamine_rows(sheet) -> Iterator:
    """(spreadsheet row number, cells): calamine yields the empty rows above the data too, so row 1 comes first.

    Its columns start at the first one holding data (`sheet.start[1]`)."""
    return enumerate(sheet.iter_rows(), 1)


def _calamine(read, *args):
    """One calamine read. It opens a workbook's sheets only when asked, so any read may find the file damaged."""
    from python_calamine import PasswordError

    try:
        return read(*args)
    except PasswordError:
        raise UnusableFile("password") from None
    except BaseException as error:  # noqa: BLE001 - calamine raises its own errors and Rust panics for bad files
        if isinstance(error, KeyboardInterrupt | SystemExit):
            raise
        raise UnusableFile("broken") from None


def _open_workbook(path: Path):
    from python_calamine import CalamineWorkbook

    return _calamine(CalamineWorkbook.from_path, str(path))


def _spreadsheet_table(path: Path, facts: ZipFacts | None) -> Table:
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    workbook = _open_workbook(path)
    best_problem = None
    names = [
        meta.name
        for meta in workbook.sheets_metadata
        if meta.typ == SheetTypeEnum.WorkSheet and meta.visible == SheetVisibleEnum.Visible
    ]
    for index, name in enumerate(names):
        sheet = _calamine(workbook.get_sheet_by_name, name)
        try:
            table = _table(name, _calamine_rows(sheet), sheet.height, None)
        except UnusableFile as problem:
            # Of the sheets that cannot be used, the one closest to a list explains best (not an instructions sheet).
            if best_problem is None or problem.columns_found > best_problem.columns_found:
                best_problem = problem
            continue
        if facts and (facts.formulas.get(name) or facts.formulas.get("*")):
            columns = {sheet.start[1] + position: field for field, position in table.header.positions.items()}
            table.formula_rows = formula_rows(path, facts, name, columns)
        table.other_sheets = [other for other in names[index + 1 :] if _has_list(workbook, other)]
        return table
    raise best_problem or UnusableFile("empty")


def _has_list(workbook, name: str) -> bool:
    """Whether a sheet has a header naming every required column, with a row under it. A sheet that cannot be
    read holds no list: the one read is imported all the same."""
    try:
        rows = _non_blank(_calamine_rows(_calamine(workbook.get_sheet_by_name, name)))
    except UnusableFile:
        return False
    found = _find_header(rows)
    return found is not None and not map_header(found[1]).missing and next(chain(found[2], rows), None) is not None


def _delimiter(lines: list[str]) -> str:
    """The separator that splits the most of the first records into the same number of cells: a title line above
    the header ("सदस्य सूची, पटना") has none or another, and commas in the addresses of a list separated by
    semicolons vary from row to row. Counted by records, not lines, so quoted cells may hold anything."""
    sample = "".join(lines)

    def agreement(delimiter):
        widths = Counter()
        try:
            for row in csv.reader(io.StringIO(sample), delimiter=delimiter):
                widths[len(row)] += len(row) > 1
        except csv.Error:
            pass  # the sample may end inside a quoted cell
        return max(((records, width) for width, records in widths.items()), default=(0, 0))

    scores = {delimiter: agreement(delimiter) for delimiter in _DELIMITERS}
    best = max(scores, key=scores.get)
    return best if scores[best][0] else ","


def _letters_lost(lines: list[str], delimiter: str) -> bool:
    """Whether the letters were lost before upload: Excel's "CSV (Comma delimited)" writes every letter its code
    page lacks, every Devanagari one, as "?", leaving cells like "??????" in a file of plain ASCII."""
    if not all(line.isascii() for line in lines):
        return False
    try:
        cells = [cell for row in csv.reader(lines, delimiter=delimiter) for cell in row]
    except csv.Error:
        return False
    lost = sum(1 for cell in cells if cell.count("?") >= 2 and not cell.replace("?", "").strip())
    # A "??" typed once for something unknown is not enough; a short list needs fewer cells.
    return lost >= min(LOST_LETTER_CELLS, max(1, len(lines) - 1))


def _first_lines(text) -> list[str]:
    """The first non-blank lines of a CSV, to guess its separator from and to look at (they may run past the
    bytes checked)."""
    lines, read = [], 0
    while len(lines) < SAMPLE_LINES and read < 65536:
        try:
            line = text.readline()
        except UnicodeDecodeError:
            raise UnusableFile("not_utf8") from None
        if not line:
            break
        read += len(line)
        if line.strip():
            lines.append(line)
    text.seek(0)
    return lines


def _csv_table(path: Path, handle) -> Table:
    head = handle.read(65536)
    handle.seek(0)
    encoding = text_encoding(head)
    text = io.TextIOWrapper(handle, encoding=encoding, errors="strict", newline="")
    lines = _first_lines(text)
    delimiter = _delimiter(lines[:DELIMITER_LINES])
    if _letters_lost(lines, delimiter):
        raise UnusableFile("not_utf8")
    reader = csv.reader(text, delimiter=delimiter)
    size = path.stat().st_size

    def numbered():
        try:
            yield from enumerate(reader, 1)
        except UnicodeDecodeError:
            raise UnusableFile("not_utf8") from None
        except csv.Error as error:
            raise UnusableFile("broken_csv", line=reader.line_num, detail=str(error)) from None

    return _table("", numbered(), size, handle.tell)


@contextmanager
def on_disk(upload, suffix: str | None = None) -> Iterator[Path]:
    """An uploaded file as a path the readers can open (Django may hold a small upload in memory only), with
    its own suffix unless told one, removed afterwards. The upload is left at its start for the next reader."""
    with tempfile.NamedTemporaryFile(suffix=suffix or Path(upload.name).suffix) as copy:
        for chunk in upload.chunks():
            copy.write(chunk)
        copy.flush()
        upload.seek(0)
        yield Path(copy.name)


@contextmanager
def open_table(path) -> Iterator[Table]:
    """Open an uploaded file and find its header; raises UnusableFile with the reason when it cannot be used."""
    path = Path(path)
    with path.open("rb") as handle:
        head = handle.read(8192)
        kind = sniff(head, path.stat().st_size)
        handle.seek(0)
        if kind == "csv":
            yield _csv_table(path, handle)
            return
    if kind == "ole":
        if is_encrypted_ole(path):
            raise UnusableFile("password")
        yield _spreadsheet_table(path, None)
        return
    yield _spreadsheet_table(path, inspect_zip(path))


# --- corrections: a rejects download with the corrected numbers filled in ---


class Correction(NamedTuple):
    """A filled-in row of a rejects download."""

    number: int  # the row in the sheet
    member_id: str
    mobile: object  # the "Corrected mobile" cell or, when that was left blank, the "Mobile" cell
    in_mobile_column: bool = False


def read_corrections(path, *, member_id: set, corrected: set, labels: dict, mobile: set = frozenset()) -> list:
    """A Correction for every row with "Corrected mobile" filled in; raises UnusableFile.

    `member_id` and `corrected` are the accepted headings (in every language) of the two columns used;
    `labels` names them, by the same keys, in the reader's language for the message when they are missing.
    With the headings of the Mobile column in `mobile`, a row whose "Corrected mobile" is blank gives its Mobile
    cell instead, when that is not blank: people type the new number over the old one.
    """
    path = Path(path)
    with path.open("rb") as handle:
        try:
            kind = sniff(handle.read(8192), path.stat().st_size)
        except UnusableFile as problem:
            if problem.code not in ("not_spreadsheet", "xml_spreadsheet"):
                raise
            kind = "other"
    if kind != "zip":
        raise UnusableFile("corrections_not_xlsx")
    inspect_zip(path)
    sheet = _calamine(_open_workbook(path).get_sheet_by_index, 0)
    rows = _calamine_rows(sheet)
    ids, fixes, typed = _correction_columns(rows, member_id, corrected, mobile, labels)
    found = []
    for number, cells in rows:
        if number > max_rows():
            raise UnusableFile("too_many_rows", max_rows=max_rows())
        fix, over = _cell(cells, fixes), _cell(cells, typed)
        if str(fix).strip():
            found.append(Correction(number, cell_id(_cell(cells, ids)), fix))
        elif str(over).strip():
            found.append(Correction(number, cell_id(_cell(cells, ids)), over, in_mobile_column=True))
    return found


def _cell(cells, index: int | None):
    return cells[index] if index is not None and index < len(cells) else ""


def _correction_columns(rows, member_id: set, corrected: set, mobile: set, labels: dict) -> tuple:
    """The positions of the member id, corrected mobile and (if asked for and present) Mobile columns, from the
    first row, which must be the download's headings."""
    _number, cells = next(rows, (0, []))
    headings = [" ".join(str(cell).split()).casefold() for cell in cells]
    if member_id & set(headings) and corrected & set(headings):
        ids = next(i for i, h in enumerate(headings) if h in member_id)
        fixes = next(i for i, h in enumerate(headings) if h in corrected)
        return ids, fixes, next((i for i, h in enumerate(headings) if h in mobile), None)
    raise UnusableFile("corrections_columns", **labels)


def cell_id(value) -> str:
    """A member id as typed or as Excel stored it (12.0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
