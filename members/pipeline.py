"""The set-based import pipeline: check a file into two spools (valid rows, refused rows), then write them.

Checking streams the file once: every row is cleaned and checked in Python, then looked up against enrolled
members a chunk at a time; valid rows go to a CSV spool ready for PostgreSQL's COPY, refused rows to another.
Writing takes the valid spool and, in the caller's transaction, creates the new villages and inserts the
members with a fixed number of statements. SQLite (the embedded default) takes the same path with bulk_create.
"""

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection
from django.db.models import Case, F, Value, When
from django.utils import timezone

from districts import rollup
from districts.models import District, Village
from members.models import Member, MemberChange, MemberStatus, RefusedRow
from members.parsing import UnusableFile, max_rows, open_table
from members.rows import WITHDRAWN, RowChecker, cell_text, enrolled_problem, is_duplicate, reason_text

CHUNK = 10_000
# The valid rows kept, as read, for the preview: enough to see that the columns were understood.
SAMPLE_ROWS = 10
# Kept out of the stored cells of refused rows: PostgreSQL text cannot hold NUL, XLSX cannot hold the others.
_CONTROLS = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)])
REFUSED_COLUMNS = ("upload_id", "row_number", "kind", "problems", "extra", "name", "mobile", "village", "address")


@dataclass
class Checked:
    """What checking a file found. The spools live in the work directory given to `check_file`."""

    rows_path: Path
    refused_path: Path
    rows: int = 0
    valid: int = 0
    rejected: int = 0
    duplicates: int = 0
    marked_wrong: int = 0
    new_villages: dict = field(default_factory=dict)  # key -> name as first written
    villages_used: dict = field(default_factory=dict)  # the district's villages that rows go to: key -> name
    lookalikes: dict = field(default_factory=dict)  # new name -> the village it resembles (see RowChecker)
    unknown_columns: list = field(default_factory=list)
    sheet: str = ""
    other_sheets: list = field(default_factory=list)  # later sheets holding a list too, not read
    sample: list = field(default_factory=list)  # the first SAMPLE_ROWS valid rows, cleaned

    def upload_fields(self) -> dict:
        """What the upload record keeps of the check."""
        return {
            "rows": self.rows,
            "valid": self.valid,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "marked_wrong": self.marked_wrong,
            "unknown_columns": self.unknown_columns,
            "new_village_names": list(self.new_villages.items()),
            "villages_used": sorted(self.villages_used.items()),
            "similar_villages": self.lookalikes,
            "sheet": self.sheet,
            "other_sheets": self.other_sheets,
            "valid_sample": self.sample,
        }


_ENROLLED_SQL = """
    SELECT c.old_mobile, %(corrected)s, v.name, d.name_en, d.name_hi
    FROM members_memberchange c
    JOIN members_member m ON m.id = c.member_id
    JOIN districts_village v ON v.id = m.village_id
    JOIN districts_district d ON d.id = m.district_id
    WHERE c.kind = %(corrected)s AND c.old_mobile = ANY(%(mobiles)s)
    UNION ALL
    SELECT m.mobile, CASE WHEN m.status = %(removed)s AND m.attempt_count = 0 THEN %(withdrawn)s ELSE m.status END,
           v.name, d.name_en, d.name_hi
    FROM members_member m
    JOIN districts_village v ON v.id = m.village_id
    JOIN districts_district d ON d.id = m.district_id
    WHERE m.mobile = ANY(%(mobiles)s)
"""


# Numbers the call centre could not use: marked wrong now, corrected away, or their member removed for it.
UNUSABLE_BEFORE = frozenset({MemberStatus.WRONG_NUMBER, MemberChange.Kind.CORRECTED, MemberStatus.REMOVED})


def enrolled(mobiles: list[str]) -> dict[str, tuple]:
    """Numbers already known, by mobile: (status, village, district in English, in Hindi). A member's number gives
    the member's status; a number corrected away (one the call centre could not use) gives "corrected"."""
    if not mobiles:
        return {}
    corrected = MemberChange.Kind.CORRECTED
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # One array parameter instead of thousands of IN (...) placeholders.
            params = {"mobiles": mobiles, "corrected": corrected, "removed": MemberStatus.REMOVED}
            params["withdrawn"] = WITHDRAWN
            cursor.execute(_ENROLLED_SQL, params)
            return _members_first(cursor.fetchall())
    where = ("village__name", "district__name_en", "district__name_hi")
    changes = MemberChange.objects.filter(kind=corrected, old_mobile__in=mobiles)
    changes = changes.values_list("old_mobile", *(f"member__{field}" for field in where))
    withdrawn = When(status=MemberStatus.REMOVED, attempt_count=0, then=Value(WITHDRAWN))
    members = Member.objects.filter(mobile__in=mobiles).annotate(known_as=Case(withdrawn, default=F("status")))
    members = members.values_list("mobile", "known_as", *where)
    return _members_first([*((mobile, corrected, *rest) for mobile, *rest in changes), *members])


def enrolled_reason(mobile: str) -> str | None:
    """Why nobody can be enrolled with this number, as an upload says it (a member has it, or it was corrected
    away as one the call centre could not use), in the active language; None if it is free."""
    known = enrolled([mobile]).get(mobile)
    if known is None:
        return None
    _column, code, params = enrolled_problem(*known)
    return reason_text(code, params)


def _members_first(rows) -> dict[str, tuple]:
    """A number a member holds now is reported as that member's, even if it was once corrected away."""
    found = {}
    for mobile, *rest in rows:
        if mobile not in found or found[mobile][0] == MemberChange.Kind.CORRECTED:
            found[mobile] = tuple(rest)
    return found


def _copy_text(value: str) -> str:
    """A field for COPY's text format; cleaning already removed tabs and newlines, so only backslashes remain."""
    return value.replace("\\", "\\\\") if "\\" in value else value


def read_copy_line(line: str) -> list[str]:
    return [field.replace("\\\\", "\\") for field in line.rstrip("\n").split("\t")]


class _Spools:
    """The two files checking writes: valid rows in COPY text format, refused rows as CSV with their problems."""

    def __init__(self, checked: Checked, upload_id: int):
        self.checked = checked
        self.upload_id = upload_id
        self._valid_file = checked.rows_path.open("w", encoding="utf-8", newline="\n")
        self._refused_file = checked.refused_path.open("w", newline="", encoding="utf-8")
        self.refused = csv.writer(self._refused_file)
        self.valid_lines: list[str] = []

    def refuse(self, row_number: int, problems: list, raw, extra: list, duplicate: bool) -> None:
        """Spool a refused row: the cells read, and the cells of the columns not read (`extra`), as typed."""
        if duplicate:
            self.checked.duplicates += 1
        else:
            self.checked.rejected += 1
        kind = RefusedRow.Kind.DUPLICATE if duplicate else RefusedRow.Kind.REJECTED
        extra = json.dumps(_stored_cells(extra), ensure_ascii=False)
        problems = json.dumps(problems, ensure_ascii=False)
        self.refused.writerow((self.upload_id, row_number, kind, problems, extra, *_stored_cells(raw)))

    def write_valid(self) -> None:
        self._valid_file.writelines(self.valid_lines)
        self.valid_lines.clear()

    def close(self) -> None:
        self.write_valid()
        self._valid_file.close()
        self._refused_file.close()


def _flush(pending: list, checker: RowChecker, spools: _Spools, extra_of: Callable) -> None:
    """Refuse the pending rows whose number is already enrolled; spool the rest as valid."""
    found = enrolled([row[2] for row in pending])
    lines, accept, sample = spools.valid_lines, checker.accept, spools.checked.sample
    room = SAMPLE_ROWS - len(sample)
    for row_number, name, mobile, village, key, address, raw, cells in pending:
        member = found.get(mobile) if found else None
        if member is not None:
            spools.checked.marked_wrong += member[0] in UNUSABLE_BEFORE
            spools.refuse(row_number, [enrolled_problem(*member)], raw, extra_of(cells), duplicate=True)
            continue
        accept(key, village)
        lines.append(f"{row_number}\t{_copy_text(name)}\t{mobile}\t{_copy_text(key)}\t{_copy_text(address)}\n")
        if room:
            sample.append({"row": row_number, "name": name, "mobile": mobile, "village": village, "address": address})
            room -= 1
    spools.checked.valid += len(lines)
    spools.write_valid()
    pending.clear()


def check_file(
    path, *, district: District, workdir: Path, upload_id: int = 0, progress: Callable | None = None
) -> Checked:
    """Check every row of a file against the district's villages and the enrolled members; write nothing."""
    checked = Checked(rows_path=Path(workdir) / "valid.tsv", refused_path=Path(workdir) / "refused.csv")
    checker = RowChecker.for_district(district.pk)
    spools = _Spools(checked, upload_id)
    try:
        with open_table(path) as table:
            checked.sheet, checked.unknown_columns = table.sheet, list(table.header.unknown)
            checked.other_sheets = table.other_sheets
            _check_rows(table, checker, spools, progress)
    finally:
        spools.close()
    if not checked.rows:
        raise UnusableFile("no_rows")
    checked.new_villages = dict(sorted(checker.new_villages.items(), key=lambda item: item[1]))
    checked.villages_used = {key: checker.villages[key] for key in checker.used}
    checked.lookalikes = checker.lookalikes()
    return checked


def _check_rows(table, checker: RowChecker, spools: _Spools, progress: Callable | None) -> None:
    """The hot loop: keep per-row work to cleaning and checking; database lookups go a chunk at a time."""
    get, check, refuse, formulas = table.getter(), checker.check, spools.refuse, table.formula_rows
    extra_of = table.extra_getter()
    pending, rows, limit = [], 0, max_rows()
    for row_number, cells in table.rows:
        if not any(cells):
            continue
        raw = get(cells)
        if not any(raw):
            continue  # only columns not read are filled, like a template's numbered rows left blank
        rows += 1
        if rows > limit:
            raise UnusableFile("too_many_rows", max_rows=limit)
        if formulas and row_number in formulas:
            # Refused unchecked: the number a formula shows is not remembered as taken by this row either.
            refuse(row_number, formulas[row_number], raw, extra_of(cells), duplicate=False)
            continue
        name, mobile, village, key, address, problems = check(row_number, *raw)
        if problems:
            refuse(row_number, problems, raw, extra_of(cells), is_duplicate(problems))
            continue
        pending.append((row_number, name, mobile, village, key, address, raw, cells))
        if len(pending) >= CHUNK:
            _flush(pending, checker, spools, extra_of)
            if progress:
                progress(table.position() if table.position else row_number, table.total)
    _flush(pending, checker, spools, extra_of)
    spools.checked.rows = rows


# --- saving the refused rows -----------------------------------------------------------------------------


def save_refused(refused_path: Path) -> None:
    """Store the refused rows spooled while checking (the caller deletes an earlier attempt's rows first)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, refused_path.open(encoding="utf-8") as spool:
            # COPY: one statement for any number of rows.
            cursor.copy_expert(
                f"COPY members_refusedrow ({', '.join(REFUSED_COLUMNS)}) FROM STDIN"
                " WITH (FORMAT csv, FORCE_NOT_NULL (name, mobile, village, address))",
                spool,
            )
        return
    with refused_path.open(encoding="utf-8", newline="") as spool:
        batch = []
        for upload_id, row_number, kind, problems, extra, name, mobile, village, address in csv.reader(spool):
            batch.append(
                RefusedRow(
                    upload_id=upload_id,
                    row_number=row_number,
                    kind=kind,
                    problems=json.loads(problems),
                    extra=json.loads(extra),
                    name=name,
                    mobile=mobile,
                    village=village,
                    address=address,
                )
            )
            if len(batch) == 1000:
                RefusedRow.objects.bulk_create(batch)
                batch = []
        RefusedRow.objects.bulk_create(batch)


def _stored_cells(cells) -> list[str]:
    """A refused row's cells as they are kept: as typed, without the characters no text column or XLSX holds."""
    return [cell_text(cell).translate(_CONTROLS) for cell in cells]


def extra_cells(path: Path, row_numbers: set[int]) -> dict[int, list[str]]:
    """The cells of a file's unknown columns in the given rows, as `refuse` keeps them: for rows refused at the
    write, whose other cells the valid rows' spool does not carry. Reads the file up to the last of them."""
    found = {}
    with open_table(path) as table:
        extra_of = table.extra_getter()
        for row_number, cells in table.rows:
            if row_number in row_numbers:
                found[row_number] = _stored_cells(extra_of(cells))
                if len(found) == len(row_numbers):
                    break
    return found


# --- writing the members -----------------------------------------------------------------------------


@dataclass
class Written:
    imported: int
    villages_created: int
    late_duplicates: int
    villages_not_created: frozenset = frozenset()  # keys of new villages left with nobody in them, so not made


def write_members(
    *,
    upload_id: int,
    district_id: int,
    rows_path: Path,
    new_villages: dict,
    merges: dict | None = None,
    extra_cells: Callable[[set[int]], dict] | None = None,
) -> Written:
    """Create the new villages and the members from a valid-rows spool. Call inside a transaction.

    `merges` maps village keys of the spool to existing villages' keys: those rows go into the existing village.
    A number enrolled by someone else since the file was checked is not written; it is refused as a duplicate,
    with the cells of the file's other columns that `extra_cells` gives for its row number, if given.
    """
    write = _write_postgresql if connection.vendor == "postgresql" else _write_bulk
    imported, created, late = write(upload_id, district_id, rows_path, new_villages, merges or {})
    dropped = frozenset()
    if late:
        RefusedRow.objects.bulk_create(_late_refused(upload_id, late, extra_cells), batch_size=1000)
        # A new village whose every row was enrolled by someone else meanwhile would be left with nobody in it,
        # and counted among the district's villages.
        empty = Village.objects.filter(district_id=district_id, name_key__in=created, members__isnull=True)
        dropped = frozenset(empty.values_list("name_key", flat=True))
        empty.delete()
    written = Written(imported, len(created - dropped), len(late), dropped)
    if connection.vendor == "postgresql":
        # Check the new rows' foreign keys now rather than at commit, so the rollup rows locked next (which
        # every outcome marked in this district also updates) are held for milliseconds, not for the checks.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    rollup.members_imported(
        upload_id=upload_id, district_id=district_id, imported=written.imported, villages=written.villages_created
    )
    return written


_CREATE_VILLAGES = """
    INSERT INTO districts_village (district_id, name, name_key, target, created_at)
    SELECT %s, name, key, %s, now() FROM unnest(%s::text[], %s::text[]) AS new (key, name)
    ON CONFLICT (district_id, name_key) DO NOTHING
    RETURNING name_key
"""
_INSERT_MEMBERS = """
    INSERT INTO members_member
        (district_id, village_id, name, mobile, address, status, attempt_count, created_at, updated_at, upload_id)
    SELECT %s, v.id, t.name, t.mobile, t.address, %s, 0, now(), now(), %s
    FROM import_rows t JOIN districts_village v ON v.district_id = %s AND v.name_key = t.village_key
    ORDER BY t.row_number
    ON CONFLICT (mobile) DO NOTHING
"""
# The rows not written because their number is a member's now, not this upload's: enrolled since the check.
_LATE_ROWS = """
    SELECT t.row_number, t.name, t.mobile, v.name, t.address
    FROM import_rows t
    JOIN districts_village v ON v.district_id = %s AND v.name_key = t.village_key
    JOIN members_member m ON m.mobile = t.mobile
    WHERE m.upload_id IS DISTINCT FROM %s
"""


def _write_postgresql(upload_id, district_id, rows_path: Path, new_villages: dict, merges: dict) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")  # the ORDER BY below sorts in memory, not on disk
        cursor.execute(
            "CREATE TEMP TABLE import_rows (row_number integer, name text, mobile text, village_key text,"
            " address text) ON COMMIT DROP"
        )
        with rows_path.open(encoding="utf-8") as spool:
            # COPY into a temporary table, then one INSERT … SELECT: ON CONFLICT needs a real INSERT.
            cursor.copy_expert("COPY import_rows (row_number, name, mobile, village_key, address) FROM STDIN", spool)
        if merges:
            cursor.execute(
                "UPDATE import_rows t SET village_key = m.existing FROM unnest(%s::text[], %s::text[])"
                " AS m (new, existing) WHERE t.village_key = m.new",
                [list(merges), list(merges.values())],
            )
        target = District.objects.values_list("village_target", flat=True).get(pk=district_id)
        cursor.execute(_CREATE_VILLAGES, [district_id, target, list(new_villages), list(new_villages.values())])
        created = {key for (key,) in cursor.fetchall()}
        cursor.execute(_INSERT_MEMBERS, [district_id, MemberStatus.PENDING, upload_id, district_id])
        imported = cursor.rowcount
        cursor.execute("SELECT count(*) FROM import_rows")
        late = []
        if cursor.fetchone()[0] > imported:  # rare: look for the rows not written only when there are some
            cursor.execute(_LATE_ROWS, [district_id, upload_id])
            late = cursor.fetchall()
        cursor.execute("DROP TABLE import_rows")
    return imported, created, late


def _write_bulk(upload_id, district_id, rows_path: Path, new_villages: dict, merges: dict) -> tuple:
    existing = set(
        Village.objects.filter(district_id=district_id, name_key__in=new_villages).values_list("name_key", flat=True)
    )
    target = District.objects.values_list("village_target", flat=True).get(pk=district_id)
    Village.objects.bulk_create(
        [
            Village(district_id=district_id, name=name, name_key=key, target=target)
            for key, name in new_villages.items()
            if key not in existing
        ]
    )
    village_ids = dict(Village.objects.filter(district_id=district_id).values_list("name_key", "id"))
    village_ids.update({new: village_ids[existing] for new, existing in merges.items()})
    names = {pk: name for name, pk in Village.objects.filter(district_id=district_id).values_list("name", "id")}
    imported, late = 0, []
    with rows_path.open(encoding="utf-8", newline="\n") as spool:
        batch = []
        for line in spool:
            batch.append(read_copy_line(line))
            if len(batch) == 1000:
                imported += _bulk_batch(batch, upload_id, district_id, village_ids, names, late)
                batch = []
        imported += _bulk_batch(batch, upload_id, district_id, village_ids, names, late)
    return imported, set(new_villages) - existing, late


def _bulk_batch(batch, upload_id, district_id, village_ids, names, late: list) -> int:
    """Create a batch's members; the rows whose number was enrolled since the check go to `late`."""
    taken = enrolled([row[2] for row in batch])
    now = timezone.now()
    members = []
    for row_number, name, mobile, village_key, address in batch:
        if mobile in taken:
            late.append((int(row_number), name, mobile, names.get(village_ids[village_key], ""), address))
            continue
        members.append(
            Member(
                district_id=district_id,
                village_id=village_ids[village_key],
                name=name,
                mobile=mobile,
                address=address,
                upload_id=upload_id,
                created_at=now,
                updated_at=now,
            )
        )
    Member.objects.bulk_create(members)
    return len(members)


def _late_refused(upload_id: int, rows, extra_cells: Callable | None) -> list[RefusedRow]:
    """Rows refused at the write, (row number, name, mobile, village, address) each: their number was enrolled
    since the check. Each is reported as the check reports an enrolled number."""
    taken = enrolled([mobile for _row, _name, mobile, _village, _address in rows])
    extra = extra_cells({row_number for row_number, *_cells in rows}) if extra_cells else {}
    return [
        RefusedRow(
            upload_id=upload_id,
            row_number=row_number,
            kind=RefusedRow.Kind.DUPLICATE,
            problems=[enrolled_problem(*taken[mobile])],
            extra=extra.get(row_number, []),
            name=name,
            mobile=mobile,
            village=village,
            address=address,
        )
        for row_number, name, mobile, village, address in rows
    ]
