"""Formula cells in an uploaded sheet: only those in a column the import reads matter, and they refuse their row."""

import io
import random
import zipfile

import pytest

from members import pipeline
from members.parsing import UnusableFile, formula_rows, inspect_zip
from tests.members.corpus import GOOD, HEAD, _rezip, xlsx_bytes

pytestmark = pytest.mark.django_db
SHEET = "xl/worksheets/sheet1.xml"


def _with_sheet_xml(source: bytes, change) -> bytes:
    return _rezip(source, {SHEET: change(zipfile.ZipFile(io.BytesIO(source)).read(SHEET))})


def _refused(checked) -> dict:
    import csv
    import json

    with checked.refused_path.open(encoding="utf-8", newline="") as spool:
        return {int(row[1]): [(column, code) for column, code, _ in json.loads(row[3])] for row in csv.reader(spool)}


def test_a_formula_past_column_z_is_placed_and_named_by_its_letters(tmp_path, settings):
    settings.MEMBER_UPLOAD_MAX_FORMULA_ROWS = 1
    rows = [[None] * 27 + [name, f'="{mobile}"', village, address] for name, mobile, village, address in GOOD]
    path = tmp_path / "members.xlsx"
    path.write_bytes(xlsx_bytes([[None] * 27 + HEAD, *rows]))
    columns = {27: "name", 28: "mobile", 29: "village", 30: "address"}

    with pytest.raises(UnusableFile) as problem:
        formula_rows(path, inspect_zip(path), "Members", columns)

    assert problem.value.params == {"sheet": "Members", "cell": "AC2"}, "column 29 is AC, after Z and AB"
    settings.MEMBER_UPLOAD_MAX_FORMULA_ROWS = 10
    assert formula_rows(path, inspect_zip(path), "Members", columns) == {
        row: [("mobile", "formula_cell", {})] for row in (2, 3, 4)
    }


@pytest.mark.parametrize("before", [3, 80], ids=["cut in two", "at the end of the first read"])
def test_a_formula_near_the_end_of_a_chunk_of_the_sheet_is_found_once(patna, tmp_path, before):
    """The sheet is read a megabyte at a time, each read with the end of the one before: a formula cell cut in
    two is still found, and one at the end of a read is not found twice."""
    source = xlsx_bytes([HEAD, *GOOD, ["राधा", "=TEXT(9123456783,0)", "रामपुर", ""]])

    def pad(sheet):
        target = sheet.index(b'<c r="B5"')
        noise = random.Random(5).randbytes(600_000).hex().encode()  # incompressible: not taken for a zip bomb
        fill = (1 << 20) - before - target - len(b"<!---->")
        return sheet[:target] + b"<!--" + noise[:fill] + b"-->" + sheet[target:]

    path = tmp_path / "members.xlsx"
    path.write_bytes(_with_sheet_xml(source, pad))
    assert zipfile.ZipFile(path).read(SHEET).index(b'<c r="B5"') == (1 << 20) - before

    checked = pipeline.check_file(path, district=patna, workdir=tmp_path)

    assert (checked.valid, checked.rejected) == (3, 1)
    assert _refused(checked) == {5: [("mobile", "formula_cell")]}


def test_a_formula_cell_that_does_not_say_where_it_is_refuses_the_file(tmp_path):
    source = xlsx_bytes([HEAD, *GOOD, ["", "", "", "", "=1+1"]])
    path = tmp_path / "members.xlsx"
    path.write_bytes(_with_sheet_xml(source, lambda sheet: sheet.replace(b'<c r="E5">', b"<c>")))
    facts = inspect_zip(path)

    with pytest.raises(UnusableFile) as problem:
        formula_rows(path, facts, "Members", {0: "name", 1: "mobile", 2: "village", 3: "address"})

    assert problem.value.code == "formulas"


def test_a_column_read_that_is_formulas_throughout_refuses_the_file_naming_the_first(tmp_path, settings):
    settings.MEMBER_UPLOAD_MAX_FORMULA_ROWS = 2
    rows = [[name, f'="{mobile}"', village, address] for name, mobile, village, address in GOOD]
    path = tmp_path / "members.xlsx"
    path.write_bytes(xlsx_bytes([["S.No.", *HEAD], *[["=ROW()-1", *row] for row in rows]]))

    with pytest.raises(UnusableFile) as problem:
        formula_rows(path, inspect_zip(path), "Members", {1: "name", 2: "mobile", 3: "village", 4: "address"})

    assert (problem.value.code, problem.value.params) == ("formulas", {"sheet": "Members", "cell": "C2"})


def test_formulas_in_other_columns_are_not_looked_at(tmp_path):
    path = tmp_path / "members.xlsx"
    path.write_bytes(xlsx_bytes([["S.No.", *HEAD, "कुल"], *[["=ROW()-1", *row, "=1"] for row in GOOD]]))

    assert formula_rows(path, inspect_zip(path), "Members", {1: "name", 2: "mobile", 3: "village", 4: "address"}) == {}
