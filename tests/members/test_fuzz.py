"""Fuzzing the mobile normaliser and the checks an uploaded file passes before its rows are used.

Whatever comes in, each function returns a value of the promised shape or refuses with its own error
(InvalidMobile, UnusableFile) carrying a message people can read, in Hindi and in English; it never fails any
other way and never hangs. Example counts come from the hypothesis profile in tests/members/conftest.py:
`make fuzz` runs 10,000 examples of each property.
"""

import codecs
import datetime
import io
import re
import tempfile
import time
import unicodedata
import zipfile
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import assume, example, given
from hypothesis import strategies as st

from members.columns import COLUMNS, FIELDS, REQUIRED, HeaderMap, field_for_header, map_header
from members.parsing import (
    KINDS,
    PROBLEMS,
    UnusableFile,
    ZipFacts,
    cell_id,
    inspect_zip,
    open_table,
    read_corrections,
    sniff,
    text_encoding,
)
from members.phone import JUNK, REASONS, InvalidMobile, normalise_mobile
from tests.members.corpus import GOOD, HEAD, _ods, csv_text, xlsx_bytes

# Generous bounds: a correct answer takes milliseconds; a regex gone quadratic takes minutes.
PHONE_SECONDS = 2
FILE_SECONDS = 15
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")
FROM_DEVANAGARI = str.maketrans("०१२३४५६७८९", "0123456789")


def in_both_languages(message_of) -> None:
    for language in ("hi", "en"):
        with translation.override(language):
            assert message_of().strip()


def answered(call, *args, limit: float, refusal=(), **kwargs):
    """The result of `call`, or the refusal it raised; either way it came quickly."""
    started = time.monotonic()
    try:
        result = call(*args, **kwargs)
    except refusal as refused:
        result = refused
    assert time.monotonic() - started < limit, f"took {time.monotonic() - started:.1f} s"
    return result


# --- the mobile normaliser ----------------------------------------------------------------------------

mobiles = st.from_regex(r"[6-9][0-9]{9}", fullmatch=True).filter(lambda m: m not in JUNK)
# Characters that appear in and around phone numbers, plus the ones that look like them.
PHONEY = "0123456789०१२३४५६७८९ +-.,()/;|&'=\"eEoOr\t\n\r\u00a0\u2007\u202f\u2010\u2013\u2014\u2212\u200b\ufeff"
phoney_text = st.text(st.sampled_from(PHONEY), max_size=40)
any_text = st.text(st.characters(), max_size=60)
long_lines = st.builds(
    lambda head, chunk, times, tail: head + chunk * times + tail,
    st.text(st.sampled_from(PHONEY), max_size=12),
    st.text(st.sampled_from(PHONEY), min_size=1, max_size=4),
    st.integers(1_000, 40_000),
    st.text(st.sampled_from(PHONEY), max_size=12),
)
# What a spreadsheet cell or a form field can hold, and a few things they cannot.
cell_values = st.one_of(
    phoney_text,
    any_text,
    st.integers(),
    st.floats(),
    st.none(),
    st.booleans(),
    st.binary(max_size=20),
    st.datetimes(),
    st.dates(),
    st.times(),
    st.timedeltas(),
    st.decimals(),
)


def assert_canonical_or_refused(result) -> None:
    if isinstance(result, InvalidMobile):
        assert result.code in REASONS
        in_both_languages(lambda: result.message)
        return
    assert isinstance(result, str) and len(result) == 10 and result.isascii() and result.isdigit()
    assert result[0] in "6789" and result not in JUNK
    assert normalise_mobile(result) == result, "idempotent"


@given(value=cell_values)
@example(value=b"9812345670")
@example(value=Decimal("9812345670"))
@example(value=datetime.date(2026, 1, 1))
@example(value=-9812345670)
@example(value=float("inf"))
def test_any_cell_value_becomes_a_canonical_mobile_or_is_refused_with_a_reason(value):
    assert_canonical_or_refused(answered(normalise_mobile, value, limit=PHONE_SECONDS, refusal=InvalidMobile))


@given(value=long_lines)
@example(value="1" + " " * 30_000 + "1")  # spaces between two digits: a search that once took minutes
@example(value="9" + "\u00a0" * 40_000 + "/")
def test_a_huge_cell_is_answered_at_once(value):
    assert_canonical_or_refused(answered(normalise_mobile, value, limit=PHONE_SECONDS, refusal=InvalidMobile))


SEPARATORS = ["", " ", "  ", "-", ".", "\u00a0", "\u202f", "\u2010", "\u2013", "\u2212", "\u200b", "(", ")"]
PREFIXES = ["", "+91", "+91 ", "+91-", "91", "91 ", "0", "0 ", "0091", "0091 ", "0091-", "(+91) ", "+९१ ", "०"]


@st.composite
def decorated(draw, mobile: str) -> str:
    """A mobile number as people and spreadsheets decorate it: any separator between any two digits, a prefix,
    Devanagari digits mixed in, Excel's text marks and a float's ".0"."""
    digits = "".join(ch.translate(DEVANAGARI) if draw(st.booleans()) else ch for ch in mobile)
    gaps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=9, max_size=9))
    text = draw(st.sampled_from(PREFIXES)) + "".join(d + gap for d, gap in zip(digits, gaps, strict=False))
    text += digits[-1]
    if set(gaps) <= {"", " ", "-"} and "(" not in text and draw(st.booleans()):
        text += ".0"  # a number Excel saved as text, which only happens without dots inside
    wrapper = draw(st.sampled_from(["{}", "'{}", '="{}"', " {} ", "\t{}\u00a0"]))
    return wrapper.format(text)


@given(data=st.data(), mobile=mobiles)
def test_every_decoration_of_a_mobile_comes_back_to_the_same_ten_digits(data, mobile):
    written = data.draw(decorated(mobile))
    assert normalise_mobile(written) == mobile
    assert normalise_mobile(normalise_mobile(written)) == mobile


@given(mobile=mobiles, prefix=st.sampled_from(["", "91", "0091"]))
def test_numbers_a_spreadsheet_stored_with_their_country_code_are_accepted(mobile, prefix):
    assume(not mobile.endswith("0000"))  # a number cell Excel cut short (tests/members/test_phone.py)
    assert normalise_mobile(int(prefix + mobile)) == mobile
    assert normalise_mobile(float(int(prefix + mobile))) == mobile
    assert normalise_mobile(str(float(int(prefix + mobile)))) == mobile


@given(data=st.data(), mobile=mobiles, stray=st.characters(categories=["L"]))
def test_a_stray_letter_anywhere_is_refused_never_dropped(data, mobile, stray):
    written = data.draw(decorated(mobile))
    position = data.draw(st.integers(0, len(written)))
    with pytest.raises(InvalidMobile):
        normalise_mobile(written[:position] + stray + written[position:])


@given(value=st.one_of(phoney_text, any_text))
def test_an_accepted_number_is_made_of_the_digits_written_and_nothing_else(value):
    try:
        result = normalise_mobile(value)
    except InvalidMobile:
        return
    text = value.translate(FROM_DEVANAGARI)
    # Every digit written, or those before a float's ".0": the number, after at most a country or trunk prefix.
    readings = {re.sub(r"\D", "", text), re.sub(r"\D", "", re.sub(r"\.0+\W*$", "", text))}
    assert any(r.endswith(result) and r[: len(r) - 10] in ("", "0", "91", "091", "0091") for r in readings)


def test_a_refusal_reads_as_its_message():
    with pytest.raises(InvalidMobile) as refused:
        normalise_mobile("12345")
    assert str(refused.value) == refused.value.message != "wrong_length"


# --- what kind of file, and its text encoding -------------------------------------------------------

MAGIC = [b"PK\x03\x04", b"PK\x05\x06", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"%PDF", b"\x89PNG", b"<?xml", b"<html"]
MAGIC += [codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"\x00", b"ID3", b"{\\rtf", b"\xff\xd8\xff"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252", "latin-1", "cp1251"]
ENCODINGS += ["shift_jis", "gb18030", "koi8-r", "mac-roman", "cp437", "iso-8859-15", "utf-7"]
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=200)


@st.composite
def encoded_text(draw) -> bytes:
    """Text, often a member list, in some encoding, whole or cut off at any byte."""
    text = draw(st.one_of(texts, st.builds(csv_text, st.lists(st.lists(texts, max_size=5)))))
    if draw(st.booleans()):
        text = csv_text([HEAD, *GOOD], delimiter=draw(st.sampled_from([",", ";", "\t", "|"]))) + text
    data = text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    return data[: draw(st.integers(0, len(data)))] if draw(st.booleans()) else data


heads = st.one_of(
    st.binary(max_size=8192),
    st.builds(bytes.__add__, st.sampled_from(MAGIC), st.binary(max_size=600)),
    encoded_text(),
)


def assert_clear_refusal(problem: UnusableFile) -> None:
    assert problem.code in PROBLEMS
    assert problem.params.get("kind", "pdf") in KINDS, "a kind of file people can read, not a code"
    in_both_languages(lambda: problem.message)


@given(head=heads, size=st.one_of(st.none(), st.integers(0, 40 * 1024 * 1024)))
def test_sniffing_names_a_kind_of_spreadsheet_or_refuses_clearly(head, size):
    kind = answered(sniff, head, len(head) if size is None else size, limit=FILE_SECONDS, refusal=UnusableFile)
    if isinstance(kind, UnusableFile):
        assert_clear_refusal(kind)
        return
    assert kind in ("zip", "ole", "csv")
    if kind == "csv":
        assert text_encoding(head)


@given(head=heads)
def test_the_encoding_found_decodes_the_start_of_the_file(head):
    encoding = answered(text_encoding, head, limit=FILE_SECONDS, refusal=UnusableFile)
    if isinstance(encoding, UnusableFile):
        assert_clear_refusal(encoding)
        return
    codecs.getincrementaldecoder(encoding)().decode(head, final=False)


printable = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=300)


@given(text=printable, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_unicode_text_in_utf8_or_utf16_with_bom_is_always_understood(text, encoding):
    assume(encoding != "utf-8" or not text.startswith("\ufeff"))  # in plain UTF-8 that is a byte order mark
    data = text.encode(encoding)
    found = text_encoding(data)
    assert codecs.decode(data, found) == text


# --- reading whole files: CSV, zip containers, OLE -----------------------------------------------------


@contextmanager
def uploaded(data: bytes):
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        path = Path(folder) / "upload"
        path.write_bytes(data)
        yield path


def read_every_row(path) -> int:
    """Open a file as the upload check does and take every row apart; the number of rows read."""
    rows = 0
    with open_table(path) as table:
        assert isinstance(table.header, HeaderMap) and not table.header.missing
        get = table.getter()
        for number, cells in table.rows:
            assert isinstance(number, int) and isinstance(cells, list)
            assert len(get(cells)) == len(FIELDS)
            rows += 1
    return rows


def assert_rows_or_refusal(data: bytes) -> None:
    with uploaded(data) as path:
        result = answered(read_every_row, path, limit=FILE_SECONDS, refusal=UnusableFile)
    if isinstance(result, UnusableFile):
        assert_clear_refusal(result)


huge_lines = st.builds(
    lambda chunk, times, ending: chunk * times + ending,
    st.sampled_from([b"9", b" ", b",", b'"', b"\xe0\xa4\xa8", b"a\x00", b"\xff", b"\t"]),
    st.integers(10_000, 300_000),
    st.sampled_from([b"", b"\n", b"\r\n", b'"', b"\xff\n"]),
)
csv_files = st.one_of(
    encoded_text(),
    st.binary(max_size=4096),
    st.builds(lambda head, line: head + line, st.sampled_from([b"", csv_text([HEAD, *GOOD]).encode()]), huge_lines),
)


@given(data=csv_files)
@example(data=b"a" * 70_000 + b"\xff\n").via("bad UTF-8 on a first line longer than the sniffed start")
@example(data=csv_text([HEAD]).encode() + b"9" * 200_000).via("a field longer than the CSV module allows")
def test_any_csv_gives_rows_or_a_clear_refusal(data):
    assert_rows_or_refusal(data)


# Any printable text, with the characters CSV must quote: delimiters, quotes and line breaks.
cells = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"], include_characters="\t\r\n"), max_size=30)


@given(
    rows=st.lists(st.lists(cells, min_size=4, max_size=4), min_size=1, max_size=15),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_a_well_formed_csv_reads_back_cell_for_cell(rows, delimiter, encoding):
    with uploaded(csv_text([HEAD, *rows], delimiter).encode(encoding)) as path, open_table(path) as table:
        assert list(table.rows) == list(enumerate(rows, 2))


def _seed_files() -> dict[str, bytes]:
    member_list = xlsx_bytes([HEAD, *GOOD, ["", datetime.datetime(2026, 1, 2), 1e300, -1]])
    rejects = xlsx_bytes([["Member ID", "Name", "Corrected mobile"], [12, "सीता", "9123456780"], ["x", "", 9123456781]])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content table:formula='of:=1'/>")
    ods = out.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00")
    return {
        "members.xlsx": member_list,
        "rejects.xlsx": rejects,
        "members.ods": _ods([HEAD, *GOOD]),
        "formulas.ods": ods,
        "book.xlsb": out.getvalue(),
        "formulas.xlsx": xlsx_bytes([["S.No.", *HEAD], *[["=ROW()-1", *row] for row in GOOD], ["", "=B2", "=C3"]]),
        "formulas-in-columns.ods": _ods([["S.No.", *HEAD], *[[("of:=ROW()-1", "1"), *row] for row in GOOD]]),
    }


SEEDS = _seed_files()
COMPRESSIONS = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]
xml_noise = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    st.sampled_from(
        [
            b'<!DOCTYPE x [<!ENTITY a "b">]><x/>',
            b"<c r='A2'><f>SUM(A1)</f></c>",
            b'<c r="B2" t="d"><v>9999-99-99</v></c>',
            b'<c r="B2" s="1"><v>1e308</v></c>',
            b'<c r="B2" s="1"><v>-1e308</v></c>',
            b'<c r="A2" t="s"><v>99999</v></c>',
            b'<c r="XFD1048577"><v>1</v></c>',
            b'<c r="A2" t="inlineStr"><is><t>\xe0\xa4</t></is></c>',
            b'<c r="A2" t="e"><v>#N/A</v></c>',
            b'<c r="A2" t="b"><v>2</v></c>',
            b"<row r='0'>",
            b"</sheetData>",
        ]
    ),
)


@st.composite
def damaged_zips(draw) -> bytes:
    """A spreadsheet or other zip, with parts rewritten, recompressed, cut off or with bytes overwritten."""
    source = SEEDS[draw(st.sampled_from(sorted(SEEDS)))]
    if draw(st.booleans()):
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w") as new:
            for info in old.infolist():
                content = old.read(info)
                if draw(st.integers(0, 3)) == 0:
                    cut = draw(st.integers(0, len(content)))
                    content = content[:cut] + draw(xml_noise) + content[cut:]
                new.writestr(info.filename, content, compress_type=draw(st.sampled_from(COMPRESSIONS)))
        source = out.getvalue()
    data = bytearray(source)
    for _ in range(draw(st.integers(0, 4))):
        position = draw(st.integers(0, len(data) - 1))
        data[position : position + draw(st.integers(1, 8))] = draw(st.binary(min_size=1, max_size=8))
    if draw(st.booleans()):
        del data[draw(st.integers(4, len(data))) :]
    return bytes(data)


def _flag_encrypted(source: bytes) -> bytes:
    """The same zip with every entry marked as encrypted, as a password-protected zip tool writes it."""
    data = bytearray(source)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        for match in re.finditer(re.escape(signature), source):
            data[match.start() + flag_offset] |= 1
    return bytes(data)


def _corrupt_deflate(source: bytes, name: str) -> bytes:
    info = zipfile.ZipFile(io.BytesIO(source)).getinfo(name)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data = bytearray(source)
    for position in range(start + 5, start + 40):
        data[position] ^= 0x5A
    return bytes(data)


def _recompressed(source: bytes, method: int, only=None) -> bytes:
    """The same zip with its entries (or only the one named) compressed another way."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, old.read(info), compress_type=method if only in (None, info.filename) else None)
    return out.getvalue()


# Found by fuzzing: each once escaped as zlib.error, LZMAError, RuntimeError or calamine's XmlError.
BROKEN_ZIPS = [
    _corrupt_deflate(SEEDS["members.xlsx"], "xl/worksheets/sheet1.xml"),
    _corrupt_deflate(_recompressed(SEEDS["members.xlsx"], zipfile.ZIP_LZMA), "xl/workbook.xml"),
    _flag_encrypted(SEEDS["members.xlsx"]),
    _recompressed(SEEDS["rejects.xlsx"], zipfile.ZIP_BZIP2, only="xl/worksheets/sheet1.xml"),
]


def _zip_facts(path):
    facts = inspect_zip(path)
    assert isinstance(facts, ZipFacts) and facts.kind in ("xlsx", "xlsb", "ods")
    assert isinstance(facts.formulas, dict)
    return facts


@given(data=damaged_zips())
@example(data=BROKEN_ZIPS[0]).via("damaged deflate data")
@example(data=BROKEN_ZIPS[1]).via("damaged LZMA data")
@example(data=BROKEN_ZIPS[2]).via("entries locked with a zip password")
def test_inspecting_any_zip_gives_facts_or_a_clear_refusal(data):
    with uploaded(data) as path:
        facts = answered(_zip_facts, path, limit=FILE_SECONDS, refusal=UnusableFile)
    if isinstance(facts, UnusableFile):
        assert_clear_refusal(facts)


@given(data=st.one_of(damaged_zips(), st.builds(bytes.__add__, st.just(MAGIC[2]), st.binary(max_size=2048))))
@example(data=BROKEN_ZIPS[0])
@example(data=BROKEN_ZIPS[2])
@example(data=BROKEN_ZIPS[3])
def test_any_damaged_spreadsheet_gives_rows_or_a_clear_refusal(data):
    assert_rows_or_refusal(data)


def test_a_zip_locked_with_a_password_is_refused_as_protected():
    with uploaded(BROKEN_ZIPS[2]) as path, pytest.raises(UnusableFile) as refused:
        inspect_zip(path)
    assert refused.value.code == "password"


# --- header matching --------------------------------------------------------------------------------

HEADINGS = [(column.field, alias) for column in COLUMNS for alias in (column.heading, *column.aliases)]
unknown_headings = st.text(st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=15).filter(
    lambda text: field_for_header(text) is None
)


@st.composite
def written_heading(draw, field_and_alias) -> str:
    """A column heading as people type it: any case, composed or not, odd spacing and punctuation, bilingual."""
    field, text = field_and_alias
    text = draw(st.sampled_from([str, str.upper, str.title, str.lower]))(text)
    text = unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD"])), text)
    text = text.replace(" ", draw(st.sampled_from([" ", "  ", "_", ".", " - ", "\u00a0"])))
    text = draw(st.sampled_from(["", " ", "*", "#"])) + text + draw(st.sampled_from(["", ":", ".", " *", " -"]))
    other = draw(unknown_headings)
    text = draw(st.sampled_from(["{}", "{} / {}", "{} ({})", "{}\n{}", "{} | {}"])).format(text, other)
    return text


@given(data=st.data(), address=st.booleans(), extra=st.lists(unknown_headings, max_size=4))
def test_the_columns_are_found_however_their_headings_are_written(data, address, extra):
    wanted = list(REQUIRED) + (["address"] if address else [])
    cells = [data.draw(written_heading(data.draw(st.sampled_from([h for h in HEADINGS if h[0] == f])))) for f in wanted]
    cells += extra + [None, "", 12, 3.5]
    order = data.draw(st.permutations(range(len(cells))))
    shuffled = [cells[i] for i in order]
    found = map_header(shuffled)
    assert found.positions == {field: order.index(wanted.index(field)) for field in wanted}
    assert not found.missing


header_cells = st.lists(st.one_of(texts, st.sampled_from([h for _f, h in HEADINGS]), cell_values), max_size=12)


@given(cells=header_cells)
def test_any_row_maps_to_a_header_without_failing(cells):
    found = answered(map_header, cells, limit=FILE_SECONDS)
    assert set(found.positions) <= set(FIELDS) and set(found.missing) <= set(REQUIRED)
    assert all(0 <= index < len(cells) for index in found.positions.values())
    assert len(set(found.positions.values())) == len(found.positions)


# --- the corrections upload -------------------------------------------------------------------------

MEMBER_ID, CORRECTED = {"member id", "सदस्य आईडी"}, {"corrected mobile", "सही मोबाइल"}
MOBILE = {"mobile", "मोबाइल"}
LABELS = {"member_id": "Member ID", "corrected": "Corrected mobile"}


def _corrections(path):
    rows = read_corrections(path, member_id=MEMBER_ID, corrected=CORRECTED, mobile=MOBILE, labels=LABELS)
    for number, member_id, _mobile, in_mobile_column in rows:
        assert isinstance(number, int) and isinstance(member_id, str) and isinstance(in_mobile_column, bool)
    return rows


@given(data=st.one_of(damaged_zips(), csv_files, heads))
@example(data=b"Member ID,Corrected mobile\n12,9812345670\n").via("a CSV, which the corrections upload does not read")
@example(data=BROKEN_ZIPS[3]).via("a sheet compressed in a way the spreadsheet reader does not support")
def test_any_corrections_file_gives_rows_or_a_clear_refusal(data):
    with uploaded(data) as path:
        result = answered(_corrections, path, limit=FILE_SECONDS, refusal=UnusableFile)
    if isinstance(result, UnusableFile):
        assert_clear_refusal(result)


sheet_text = st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=12).filter(lambda t: t[:1] != "=")
ids = st.one_of(st.integers(-10, 10**9), st.integers(-10, 10**9).map(float), st.just(12.5), sheet_text, st.none())
fixes = st.one_of(st.none(), st.just(" "), st.from_regex(r"[+0-9० -]{1,16}", fullmatch=True), sheet_text)


def _heading(text) -> str:
    return " ".join(text.split()).casefold()


@given(
    heading_case=st.sampled_from([str, str.upper, str.title]),
    other_columns=st.lists(sheet_text.filter(lambda t: _heading(t) not in MEMBER_ID | CORRECTED), max_size=3),
    rows=st.lists(st.tuples(ids, fixes), max_size=8),
)
def test_a_filled_in_rejects_download_gives_back_every_filled_row(heading_case, other_columns, rows):
    head = [*other_columns, heading_case("Member  ID"), heading_case(" corrected mobile ")]
    body = [[*[None] * len(other_columns), member, fix] for member, fix in rows]
    with uploaded(xlsx_bytes([head, *body])) as path:
        found = read_corrections(path, member_id=MEMBER_ID, corrected=CORRECTED, labels=LABELS)
    expected = [
        (number, cell_id("" if member is None else member), str(fix))
        for number, (member, fix) in enumerate(rows, 2)
        if fix is not None and str(fix).strip()
    ]
    assert [(number, member, str(fix)) for number, member, fix, _in_mobile_column in found] == expected


@given(rows=st.lists(st.tuples(ids, fixes, fixes), max_size=8))
def test_a_blank_corrected_mobile_gives_the_mobile_cell_instead(rows):
    head = ["Member ID", "Name", "Mobile", "Corrected mobile"]
    body = [[member, "सीता", mobile, fix] for member, mobile, fix in rows]
    with uploaded(xlsx_bytes([head, *body])) as path:
        found = read_corrections(path, member_id=MEMBER_ID, corrected=CORRECTED, mobile=MOBILE, labels=LABELS)
    expected = []
    for number, (member, mobile, fix) in enumerate(rows, 2):
        member = cell_id("" if member is None else member)
        if fix is not None and str(fix).strip():
            expected.append((number, member, str(fix), False))
        elif mobile is not None and str(mobile).strip():
            expected.append((number, member, str(mobile), True))
    assert [(number, member, str(cell), typed) for number, member, cell, typed in found] == expected
