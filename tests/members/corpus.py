"""A corpus of bad and messy member lists, generated at test time, each with the outcome it must have.

    .venv/bin/python tests/members/corpus.py /tmp/corpus     # write every file, to open them by hand

The expectations assume the cast of tests/conftest.py (Patna's village रामपुर with 9812345670 and 9876543211,
Gaya's सीतापुर with 8712345609 and 8765432108) plus the number 9988776655 enrolled in रामपुर and marked wrong.
"""

import codecs
import csv
import io
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HEAD = ["नाम / Name", "मोबाइल / Mobile", "गाँव / Village", "पता / Address"]
GOOD = [
    ["सीता देवी", "9123456780", "रामपुर", "वार्ड 1"],
    ["Ram Kumar", "8123456781", "नया गांव", ""],
    ["गीता कुमारी", "7123456782", "रामपुर", "ग्राम रामपुर"],
]
MARKED_WRONG = "9988776655"


@dataclass
class Case:
    name: str
    filename: str
    build: object  # (path) -> None
    error: str | None = None
    counts: dict = field(default_factory=dict)  # rows, valid, rejected, duplicates, new_villages, marked_wrong
    unknown: list | None = None
    refused: dict = field(default_factory=dict)  # row number -> reason codes
    settings: dict = field(default_factory=dict)
    slow: bool = False


# --- writers ------------------------------------------------------------------------------------------


def xlsx_bytes(rows, title="Members", extra_sheets=(), first=None) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    if first:
        sheet.title = first[0]
        for row in first[1]:
            sheet.append(row)
        sheet = workbook.create_sheet(title)
    else:
        sheet.title = title
    for row in rows:
        sheet.append(row)
    for name, extra in extra_sheets:
        other = workbook.create_sheet(name)
        for row in extra:
            other.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_text(rows, delimiter=",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def writes(data):
    def build(path: Path):
        path.write_bytes(data() if callable(data) else data)

    return build


def _rezip(source: bytes, replace: dict, compresslevel=6) -> bytes:
    """A copy of a zip with some members replaced (bytes, or a generator of byte chunks)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            content = replace.get(info.filename, old.read(info.filename))
            if isinstance(content, bytes):
                new.writestr(info.filename, content, compresslevel=compresslevel)
            else:
                with new.open(info.filename, "w", force_zip64=True) as member:
                    for chunk in content:
                        member.write(chunk)
    return out.getvalue()


def _phantom_rows() -> bytes:
    """How LibreOffice saves a sheet whose whole columns were formatted: a million empty, styled rows."""
    source = xlsx_bytes([HEAD, *GOOD])
    sheet = zipfile.ZipFile(io.BytesIO(source)).read("xl/worksheets/sheet1.xml").decode()
    head, tail = sheet.split("</sheetData>")
    head = head.replace('<dimension ref="A1:D4"/>', '<dimension ref="A1:D1048576"/>')

    def chunks():
        yield head.encode()
        for start in range(5, 1_048_577, 10_000):
            stop = min(start + 10_000, 1_048_577)
            yield "".join(
                f'<row r="{r}" s="1" customFormat="true" ht="12.8" hidden="false" customHeight="false" '
                f'outlineLevel="0" collapsed="false"><c r="A{r}" s="1"/><c r="B{r}" s="1"/></row>'
                for r in range(start, stop)
            ).encode()
        yield ("</sheetData>" + tail).encode()

    return _rezip(source, {"xl/worksheets/sheet1.xml": chunks()}, compresslevel=1)


def _zip_bomb() -> bytes:
    source = xlsx_bytes([HEAD, *GOOD])
    return _rezip(source, {"xl/worksheets/sheet1.xml": b"<" + b" " * (8 * 1024 * 1024) + b">"}, compresslevel=9)


def _xml_bomb() -> bytes:
    source = xlsx_bytes([HEAD, *GOOD])
    sheet = zipfile.ZipFile(io.BytesIO(source)).read("xl/worksheets/sheet1.xml")
    dtd = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    )
    return _rezip(source, {"xl/worksheets/sheet1.xml": dtd + sheet.split(b"?>", 1)[-1]})


def _encrypted_xlsx() -> bytes:
    """The shape of a password-protected XLSX: an OLE compound file holding EncryptionInfo and EncryptedPackage."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00"
    directory = "Root Entry".encode("utf-16-le") + "EncryptionInfo".encode("utf-16-le")
    return header.ljust(512, b"\x00") + directory.ljust(512, b"\x00") + "EncryptedPackage".encode("utf-16-le") * 40


def _ods(rows) -> bytes:
    """An ODS file; a cell given as ("=of:…", value) is a formula showing that value."""

    def cell(value):
        if isinstance(value, tuple):
            formula, shown = value
            return (
                f'<table:table-cell table:formula="{formula}" office:value-type="string" office:string-value="{shown}">'
                f"<text:p>{shown}</text:p></table:table-cell>"
            )
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'

    body = "".join(f"<table:table-row>{''.join(cell(v) for v in row)}</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Members">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def _formulas() -> bytes:
    return xlsx_bytes([HEAD, *GOOD, ["=A2", "=B2", "रामपुर", ""]])


def _formulas_in_ignored_columns() -> bytes:
    """A serial number column of =ROW()-1 and a total under the last row, neither of them read."""
    head = ["क्रम सं.", *HEAD, "कुल"]
    rows = [[f"=ROW()-{i}", *row, "=COUNTA(B2:B4)" if i == 1 else ""] for i, row in enumerate(GOOD, 1)]
    return xlsx_bytes([head, *rows, ["", "", "", "", "", "=SUM(F2:F4)"]])


def _formulas_cached() -> bytes:
    """As Excel saves formulas: each with the value it showed. Row 3's name and row 4's mobile are formulas."""
    source = xlsx_bytes([HEAD, *GOOD])
    sheet = zipfile.ZipFile(io.BytesIO(source)).read("xl/worksheets/sheet1.xml").decode()
    sheet = sheet.replace(
        '<c r="A3" t="inlineStr"><is><t>Ram Kumar</t></is></c>',
        '<c r="A3" t="str"><f>PROPER("ram kumar")</f><v>Ram Kumar</v></c>',
    ).replace(
        '<c r="B4" t="inlineStr"><is><t>7123456782</t></is></c>',
        '<c r="B4" t="str"><f>"712345"&amp;"6782"</f><v>7123456782</v></c>',
    )
    assert sheet.count("<f>") == 2
    return _rezip(source, {"xl/worksheets/sheet1.xml": sheet.encode()})


def _formulas_off_the_corner() -> bytes:
    """The header in row 3 from column B; a serial number column of formulas (ignored), and row 6's address (E6)
    a formula."""
    rows = [[None, *row, "=ROW()-3"] for row in GOOD]
    rows[2][4] = '="ग्राम "&D6'
    return xlsx_bytes([[], [], [None, *HEAD, "क्रम"], *rows, [None, "ख", "12", "रामपुर"]])


def _formulas_ods() -> bytes:
    """An ODS with a serial-number formula column (ignored) and one formula in the Village column (row 3)."""
    rows = [["S.No.", *HEAD]]
    for number, row in enumerate(GOOD, 1):
        rows.append([("of:=ROW()-1", str(number)), *row])
    rows[2][3] = ("of:=[.D2]", "रामपुर")
    return _ods(rows)


MESSY_PHONES = [
    HEAD,
    ["क", "+91 91234 56780", "रामपुर", ""],
    ["ख", "0091-9123456781", "रामपुर", ""],
    ["ग", "09123456782", "रामपुर", ""],
    ["घ", "(912) 345-6783", "रामपुर", ""],
    ["ङ", "91234.56784", "रामपुर", ""],
    ["च", 9123456785, "रामपुर", ""],
    ["छ", 9123456786.0, "रामपुर", ""],
    ["ज", "९१२३४५६७८७", "रामपुर", ""],
    ["झ", "9123456788\u00a0", "रामपुर", ""],
    ["ञ", "91 9123456789", "रामपुर", ""],
    ["ट", "9.12346E+09", "रामपुर", ""],  # row 12: Excel destroyed it
    ["ठ", "912345", "रामपुर", ""],  # row 13: too short
    ["ड", "6789012345", "रामपुर", ""],  # row 14: a run
    ["ढ", "5123456789", "रामपुर", ""],  # row 15: not a mobile
    ["ण", "", "रामपुर", ""],  # row 16: missing
]

DUPLICATES = [
    HEAD,
    ["पहला", "9123456780", "रामपुर", ""],
    ["दूसरा", "+91 91234 56780", "रामपुर", ""],  # row 3 repeats row 2
    ["तीसरा", "9812345670", "रामपुर", ""],  # row 4 enrolled in Patna
    ["चौथा", "8712345609", "रामपुर", ""],  # row 5 enrolled in Gaya
    ["पांचवा", MARKED_WRONG, "रामपुर", ""],  # row 6 enrolled and marked wrong
    ["छठा", "7123456789", "रामपुर", ""],
]

VILLAGES = [
    HEAD,
    ["क", "9123456780", "रामपुर", ""],
    ["ख", "9123456781", "  रामपुर ", ""],
    ["ग", "9123456782", "Rampur", ""],
    ["घ", "9123456783", "RAMPUR  ", ""],
    ["ङ", "9123456784", "नया   गाँव", ""],
    ["च", "9123456785", "नया गाँव", ""],
]

NAMES = [
    ["Name", "Mobile", "Village", "Address"],
    ["सीता\u00a0 देवी", "9123456780", "राम\u200bपुर", "  वार्ड  1 "],
    ["\u0938\u0940\u0924\u093e", "9123456781", "रामपुर", ""],  # NFC
    ["ज\u093c\u0940\u0928\u0924", "9123456782", "रामपुर", "पता\x07"],  # nukta decomposed, a bell character
    ["12345", "9123456783", "रामपुर", ""],  # row 5: no letters
    ["", "9123456784", "रामपुर", ""],  # row 6: no name
    ["x" * 121, "9123456785", "रामपुर", ""],  # row 7: too long
    ["राम", "9123456786", "", ""],  # row 8: no village
    ["सी\x00ता\x07", "12", "राम\x1bपुर", "\x0b"],  # row 9: control characters in a refused row
]

# A template numbered in advance: the serial number goes on below the members, in rows left blank.
NUMBERED_BLANKS = [["क्र.सं.", *HEAD]] + [[number, *row] for number, row in enumerate(GOOD, 1)]
NUMBERED_BLANKS += [[number, "", "", "", ""] for number in range(4, 9)]


def _cases() -> list[Case]:
    good_csv = csv_text([HEAD, *GOOD])
    ok3 = {"rows": 3, "valid": 3, "rejected": 0, "duplicates": 0, "new_villages": 1}
    return [
        Case("empty file", "members.xlsx", writes(b""), error="empty"),
        Case("whitespace only", "members.csv", writes(b"\r\n \r\n"), error="empty"),
        Case("header only (xlsx)", "members.xlsx", writes(lambda: xlsx_bytes([HEAD])), error="no_rows"),
        Case("header only (csv)", "members.csv", writes(csv_text([HEAD]).encode()), error="no_rows"),
        Case(
            "missing mobile column",
            "members.xlsx",
            writes(lambda: xlsx_bytes([["Name", "Village", "Address"], ["सीता", "रामपुर", ""]])),
            error="missing_columns",
        ),
        Case(
            "unknown columns are ignored and listed",
            "members.xlsx",
            writes(
                lambda: xlsx_bytes(
                    [["S.No.", *HEAD[:2], "Age", *HEAD[2:]]] + [[i, *r[:2], 40, *r[2:]] for i, r in enumerate(GOOD, 1)]
                )
            ),
            counts=ok3,
            unknown=["S.No.", "Age"],
        ),
        Case(
            "a PDF renamed to .xlsx",
            "members.xlsx",
            writes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"),
            error="not_spreadsheet",
        ),
        Case(
            "a photo renamed to .csv",
            "members.csv",
            writes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
            error="not_spreadsheet",
        ),
        Case(
            "random binary",
            "members.xlsx",
            writes(bytes((i * 37 + 11) % 256 for i in range(20_000))),
            error="not_spreadsheet",
        ),
        Case("password-protected xlsx", "members.xlsx", writes(_encrypted_xlsx), error="password"),
        Case(
            "over the size cap",
            "members.csv",
            writes((good_csv * 40).encode()),
            error="too_big",
            settings={"MEMBER_UPLOAD_MAX_BYTES": 2_000},
        ),
        Case(
            "over the row cap",
            "members.csv",
            writes(csv_text([HEAD] + [[f"सदस्य {i}", f"9{100000000 + i}", "रामपुर", ""] for i in range(60)]).encode()),
            error="too_many_rows",
            settings={"MEMBER_UPLOAD_MAX_ROWS": 50},
        ),
        Case("zip bomb", "members.xlsx", writes(_zip_bomb), error="bomb"),
        Case("XML bomb (entity expansion)", "members.xlsx", writes(_xml_bomb), error="unsafe_xml"),
        Case(
            "formulas in the columns read refuse their rows",
            "members.xlsx",
            writes(_formulas),
            counts={"rows": 4, "valid": 3, "rejected": 1, "duplicates": 0, "new_villages": 1},
            refused={5: ["formula_cell", "formula_cell"]},
        ),
        Case(
            "formulas Excel saved with their values, in the columns read",
            "members.xlsx",
            writes(_formulas_cached),
            counts={"rows": 3, "valid": 1, "rejected": 2, "duplicates": 0, "new_villages": 0},
            refused={3: ["formula_cell"], 4: ["formula_cell"]},
        ),
        Case(
            "formulas only in columns not read (serial number, total)",
            "members.xlsx",
            writes(_formulas_in_ignored_columns),
            counts=ok3,
            unknown=["क्रम सं.", "कुल"],
        ),
        Case(
            "a column read that is formulas throughout",
            "members.xlsx",
            writes(_formulas),
            error="formulas",
            settings={"MEMBER_UPLOAD_MAX_FORMULA_ROWS": 0},
        ),
        Case(
            "ODS formulas: a serial-number column ignored, one in the Village column",
            "members.ods",
            writes(_formulas_ods),
            counts={"rows": 3, "valid": 2, "rejected": 1, "duplicates": 0, "new_villages": 0},
            refused={3: ["formula_cell"]},
            unknown=["S.No."],
        ),
        Case(
            "blank rows and a blank column before the data; row numbers and formula cells as in the sheet",
            "members.xlsx",
            writes(_formulas_off_the_corner),
            counts={"rows": 4, "valid": 2, "rejected": 2, "duplicates": 0, "new_villages": 1},
            refused={6: ["formula_cell"], 7: ["wrong_length"]},
            unknown=["क्रम"],
        ),
        Case("CSV UTF-8 with BOM", "members.csv", writes(codecs.BOM_UTF8 + good_csv.encode()), counts=ok3),
        Case("CSV UTF-8 without BOM", "members.csv", writes(good_csv.encode()), counts=ok3),
        Case(
            "Excel Unicode text (UTF-16, tabs)",
            "members.txt",
            writes(codecs.BOM_UTF16_LE + csv_text([HEAD, *GOOD], delimiter="\t").encode("utf-16-le")),
            counts=ok3,
        ),
        Case(
            "CSV in cp1252",
            "members.csv",
            writes(csv_text([["Name", "Mobile", "Village"], ["José Müller", "9123456780", "Rampur"]]).encode("cp1252")),
            error="not_utf8",
        ),
        Case("CSV with semicolons", "members.csv", writes(csv_text([HEAD, *GOOD], delimiter=";").encode()), counts=ok3),
        Case(
            "title rows above the header; row numbers as in the sheet",
            "members.xlsx",
            writes(lambda: xlsx_bytes([["पटना जिला सदस्य सूची"], [], HEAD, *GOOD, ["", "123", "रामपुर", ""]])),
            counts={"rows": 4, "valid": 3, "rejected": 1, "duplicates": 0, "new_villages": 1},
            refused={7: ["required", "wrong_length"]},
        ),
        Case(
            "a million LibreOffice phantom rows",
            "members.xlsx",
            writes(_phantom_rows),
            counts=ok3,
            slow=True,
        ),
        Case(
            "a hundred thousand trailing blank rows",
            "members.csv",
            writes((good_csv + ",,,\r\n" * 100_000).encode()),
            counts=ok3,
        ),
        Case(
            "messy phone numbers",
            "members.xlsx",
            writes(lambda: xlsx_bytes(MESSY_PHONES)),
            counts={"rows": 15, "valid": 10, "rejected": 5, "duplicates": 0, "new_villages": 0},
            refused={12: ["excel_scientific"], 13: ["wrong_length"], 14: ["junk"], 15: ["not_mobile"], 16: ["missing"]},
        ),
        Case(
            "duplicates in the file and already enrolled",
            "members.csv",
            writes(csv_text(DUPLICATES).encode()),
            counts={"rows": 6, "valid": 2, "rejected": 0, "duplicates": 4, "new_villages": 0, "marked_wrong": 1},
            refused={3: ["repeated"], 4: ["enrolled"], 5: ["enrolled"], 6: ["enrolled_wrong"]},
        ),
        Case(
            "village spellings matched ignoring case and spacing",
            "members.xlsx",
            writes(lambda: xlsx_bytes(VILLAGES)),
            counts={"rows": 6, "valid": 6, "rejected": 0, "duplicates": 0, "new_villages": 2},
        ),
        Case(
            "names: NFC, spacing, invisible characters, junk",
            "members.csv",
            writes(csv_text(NAMES).encode()),
            counts={"rows": 8, "valid": 3, "rejected": 5, "duplicates": 0, "new_villages": 0},
            refused={5: ["no_letters"], 6: ["required"], 7: ["too_long"], 8: ["required"], 9: ["wrong_length"]},
        ),
        Case(
            "a formula typed as text in a CSV",
            "members.csv",
            writes(
                csv_text(
                    [HEAD, ['=HYPERLINK("http://x.example","click")', '="9123456780"', "रामपुर", ""], *GOOD[1:]]
                ).encode()
            ),
            counts={"rows": 3, "valid": 2, "rejected": 1, "duplicates": 0, "new_villages": 1},
            refused={2: ["formula"]},
        ),
        Case(
            "a web page saved as .xls",
            "members.xls",
            writes(b"<html><body><table><tr><td>Name</td><td>Mobile</td></tr></table></body></html>"),
            error="not_spreadsheet",
        ),
        Case("a Word document renamed to .xlsx", "members.xlsx", writes(_docx), error="not_spreadsheet"),
        Case(
            "Excel XML Spreadsheet 2003",
            "members.xls",
            writes(b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>'),
            error="xml_spreadsheet",
        ),
        Case(
            "a truncated xlsx",
            "members.xlsx",
            writes(lambda: xlsx_bytes([HEAD, *GOOD])[:3000]),
            error="broken",
        ),
        Case(
            "data on the second sheet, after instructions",
            "members.xlsx",
            writes(lambda: xlsx_bytes([HEAD, *GOOD], first=("Instructions", [["Fill in the second sheet"]]))),
            counts=ok3,
        ),
        Case("an ODS spreadsheet", "members.ods", writes(lambda: _ods([HEAD, *GOOD])), counts=ok3),
        Case(
            "every row refused",
            "members.csv",
            writes(csv_text([HEAD, ["क", "123", "रामपुर", ""], ["ख", "abc", "रामपुर", ""]]).encode()),
            counts={"rows": 2, "valid": 0, "rejected": 2, "duplicates": 0, "new_villages": 0},
        ),
        Case(
            "two mobile columns: the first is used",
            "members.csv",
            writes(csv_text([["Name", "Mobile", "Phone", "Village"], ["सीता", "9123456780", "123", "रामपुर"]]).encode()),
            counts={"rows": 1, "valid": 1, "rejected": 0, "duplicates": 0, "new_villages": 0},
            unknown=["Phone"],
        ),
        Case(
            "a CSV with a field too big to be a cell",
            "members.csv",
            writes(csv_text([HEAD, ["क" * 200_000, "9123456780", "रामपुर", ""]]).encode()),
            error="broken_csv",
        ),
        Case(
            "two-line and bracketed headers",
            "members.xlsx",
            writes(lambda: xlsx_bytes([["नाम\nName", "Mobile (मोबाइल)", "गाँव\nVillage", "Address"], *GOOD])),
            counts=ok3,
            unknown=[],
        ),
        Case(
            "Hindi-only headers, numbers saved as 9812345670.0 text",
            "members.csv",
            writes(csv_text([["नाम", "मोबाइल नंबर", "गाँव", "पता"], ["सीता", "9123456780.0", "रामपुर", ""]]).encode()),
            counts={"rows": 1, "valid": 1, "rejected": 0, "duplicates": 0, "new_villages": 0},
        ),
        Case(
            "English headers written out: Name of Member, Mobile No., Village Name, Full Address",
            "members.xlsx",
            writes(lambda: xlsx_bytes([["Name of Member", "Mobile No.", "Village Name", "Full Address"], *GOOD])),
            counts=ok3,
            unknown=[],
        ),
        Case(
            "Hindi headings abbreviated: सदस्य का नाम, फोन नं., ग्राम",
            "members.xlsx",
            writes(lambda: xlsx_bytes([["सदस्य का नाम", "फोन नं.", "ग्राम", "पूरा पता"], *GOOD])),
            counts=ok3,
            unknown=[],
        ),
        Case(
            "Hindi headings with the abbreviation sign and the ई spelling: मो॰ नं॰, मोबाईल नं.",
            "members.csv",
            writes(
                csv_text(
                    [["नाम", "मो॰ नं॰", "गाँव", "मोबाईल नं."], ["सीता", "9123456780", "रामपुर", "9123456789"]]
                ).encode()
            ),
            counts={"rows": 1, "valid": 1, "rejected": 0, "duplicates": 0, "new_villages": 0},
            unknown=["मोबाईल नं."],
        ),
        Case(
            "a title line above a CSV separated by semicolons, commas in its addresses; row numbers as in the file",
            "members.csv",
            writes(
                (
                    "सदस्य सूची पटना\r\n"
                    + csv_text(
                        [HEAD, *[[*row[:3], "वार्ड 1, पोस्ट रामपुर, थाना सदर, पटना"] for row in GOOD]]
                        + [["", "123", "रामपुर", ""]],
                        delimiter=";",
                    )
                ).encode()
            ),
            counts={"rows": 4, "valid": 3, "rejected": 1, "duplicates": 0, "new_villages": 1},
            refused={6: ["required", "wrong_length"]},
        ),
        Case(
            "a title line with a comma above a list separated by tabs",
            "members.csv",
            writes(("सदस्य सूची, पटना\r\n" + csv_text([HEAD, *GOOD], delimiter="\t")).encode()),
            counts=ok3,
            unknown=[],
        ),
        Case(
            "a grouped header: captions over the headings (सदस्य | | फोन |)",
            "members.xlsx",
            writes(
                lambda: xlsx_bytes(
                    [["सदस्य", "", "फोन", ""], ["नाम", "पिता का नाम", "मोबाइल नंबर", "गाँव"]]
                    + [[name, "श्याम", mobile, village] for name, mobile, village, _address in GOOD]
                )
            ),
            counts=ok3,
            unknown=["पिता का नाम"],
        ),
        Case(
            "a grouped header in English (Member | | Contact | Address); row numbers as in the file",
            "members.csv",
            writes(
                csv_text(
                    [["Member", "", "Contact", "Address"], ["Name", "Father's name", "Mobile", "Village"]]
                    + [[name, "Shyam", mobile, village] for name, mobile, village, _address in GOOD]
                    + [["", "Shyam", "123", "रामपुर"]]
                ).encode()
            ),
            counts={"rows": 4, "valid": 3, "rejected": 1, "duplicates": 0, "new_villages": 1},
            unknown=["Father's name"],
            refused={6: ["required", "wrong_length"]},
        ),
        Case(
            "a template's numbered rows left blank below the members",
            "members.xlsx",
            writes(lambda: xlsx_bytes(NUMBERED_BLANKS)),
            counts=ok3,
            unknown=["क्र.सं."],
        ),
        Case(
            "a CSV saved by Excel on a Hindi PC as “CSV (Comma delimited)”: every Devanagari letter a “?”",
            "members.csv",
            writes(
                csv_text(
                    [["Name", "Mobile", "Village"], ["Ram Kumar", "9123456780", "??????"]]
                    + [["Sita Devi", "9123456781", "??????"], ["???? ????", "9123456782", "?????? ???"]]
                ).encode()
            ),
            error="not_utf8",
        ),
    ]


CASES = _cases()


def build(case: Case, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / case.filename
    case.build(path)
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    for number, case in enumerate(CASES, 1):
        path = build(case, target / f"{number:02d}")
        print(f"{path}  {case.name}  → {case.error or case.counts}")
