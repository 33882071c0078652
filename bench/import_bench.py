"""Member-list import benchmark, against PostgreSQL, in one run. Not part of the test suite.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/import_bench.py

It creates (and recreates) its own database, `controlroom_bench`, on the server DATABASE_URL points at, and
generates its XLSX files into bench/out/ (kept between runs). It measures:

- the floor: python-calamine reading the 100k-row file + COPY of the raw rows into a bare table;
- django-import-export's default ModelResource import of a 10k-row slice, as rows/s;
- django-import-export tuned (use_bulk, batch_size=1000, skip_diff, force_init_instance) on the whole file;
- ours, end to end: parse → normalise → validate → dedupe against the database → write → error report;
- the peak memory of ours, in a fresh process, for 50k and for 500k rows;
- for reference (printed before the result, not in it): the floor's read plus COPY of the rows ours writes,
  already clean, into the members table itself, its indexes and foreign keys checked. The floor's bare table
  has neither, and this is the part of ours that no work of our own can remove.

The last line printed is one JSON object with the figures. Timings are the best of a few runs.
"""

import argparse
import io
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402 - the repository root must be importable first

OUT = ROOT / "bench" / "out"
BENCH_DB = "controlroom_bench"
DATA_VERSION = 2
ROWS, SLICE = 100_000, 10_000
REPEATS = 3

FIRST = ["राजेश", "सुनीता", "अमित", "पूजा", "मनोज", "रीना", "संजय", "अनीता", "विकास", "कविता", "Rahul", "Priya"]
LAST = ["कुमार", "देवी", "सिंह", "यादव", "प्रसाद", "पासवान", "महतो", "राय", "Sharma", "Mandal", "झा", "पांडेय"]
PARTS = ["राम", "सीता", "हरि", "शिव", "देव", "कृष्ण", "Chand", "गोपाल", "सुंदर", "Lakshmi"]
ENDS = ["पुर", "नगर", "गंज", "टोला", "डीह", "बाग", "पट्टी", "चक", "सराय", "bigha"]
BAD_MOBILES = ["98765", "12345 67890", "9.87654E+09", "N/A", "", "5876543210", "9999999999", "98123456701234"]
ENROLLED = 2_000


def bench_database_url() -> str:
    if not common.ADMIN_URL.startswith("postgres"):
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://…")
    return common.database_url(BENCH_DB)


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "controlroom.settings")
    import django

    django.setup()


# --- data ---------------------------------------------------------------------------------------------


def enrolled_mobile(i: int) -> str:
    return f"7{100_000_000 + i:09d}"


def _mobile(rng: random.Random) -> str:
    return f"{rng.choice('6789')}{rng.randrange(10**8, 10**9)}"


def _decorated(rng: random.Random, mobile: str):
    draw = rng.random()
    if draw < 0.70:
        return mobile
    if draw < 0.85:
        return int(mobile)  # a number cell, as Excel stores one
    if draw < 0.95:
        return f"+91 {mobile[:5]} {mobile[5:]}"
    return f"0{mobile}"


def generate(path: Path, rows: int, seed: int = 2026) -> None:
    """name, mobile, village, address; about 5% invalid rows and 3% duplicates (2% in the file, 1% enrolled)."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    villages = [f"{p}{e}" for p in PARTS for e in ENDS] * 3
    villages = [f"{name} {i // 100}" if i >= 100 else name for i, name in enumerate(villages)]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("सदस्य - Members")
    sheet.append(["नाम / Name", "मोबाइल / Mobile", "गांव / Village", "पता / Address"])
    seen = []
    for i in range(rows):
        village = rng.choice(villages)
        name, mobile = f"{rng.choice(FIRST)} {rng.choice(LAST)}", _mobile(rng)
        draw = rng.random()
        if draw < 0.05:
            mobile = rng.choice(BAD_MOBILES)
        elif draw < 0.07 and seen:
            mobile = rng.choice(seen)
        elif draw < 0.08:
            mobile = enrolled_mobile(rng.randrange(ENROLLED))
        else:
            if len(seen) < 50_000:
                seen.append(mobile)
            mobile = _decorated(rng, mobile)
        if rng.random() < 0.05:
            village = f"  {village.upper()}  "
        sheet.append([name, mobile, village, f"वार्ड {i % 40}, ग्राम {village.strip()}"])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def data_file(rows: int) -> Path:
    path = OUT / f"members-{rows}-v{DATA_VERSION}.xlsx"
    if not path.exists():
        print(f"generating {path.name} …", file=sys.stderr)
        generate(path, rows)
    return path


def seed_database() -> None:
    """Two districts; the second already has members whose numbers turn up in the file."""
    from districts.models import District

    District.objects.create(code="BEN", name_en="Benchpur", name_hi="बेंचपुर")
    District.objects.create(code="OTH", name_en="Otherpur", name_hi="अदरपुर")
    reset_database()


def reset_database() -> None:
    """Back to the seeded state: no uploads, one village in Benchpur, the enrolled members in Otherpur."""
    from django.db import connection

    from districts import rollup
    from districts.models import District, Village
    from members.models import Member

    with connection.cursor() as cursor:
        # Everything hanging off villages, members and uploads (rollups, attempts…) goes with them.
        cursor.execute("TRUNCATE districts_village, members_member, members_upload CASCADE")
    bench, other = District.objects.get(code="BEN"), District.objects.get(code="OTH")
    Village.objects.create(district=bench, name="रामपुर", name_key=Village.key_for("रामपुर"))
    village = Village.objects.create(district=other, name="सीतापुर", name_key="सीतापुर")
    Member.objects.bulk_create(
        Member(district=other, village=village, name="पहले से", mobile=enrolled_mobile(i)) for i in range(ENROLLED)
    )
    rollup.rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE members_member")
        cursor.execute("VACUUM ANALYZE districts_village")


# --- the measurements -----------------------------------------------------------------------------------


def best_of(runs: int, measure) -> float:
    return min(measure() for _ in range(runs))


def floor(path: Path) -> float:
    """python-calamine read + COPY of the raw rows into a bare table."""
    import csv

    from django.db import connection, transaction
    from python_calamine import CalamineWorkbook

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute("CREATE TABLE bench_floor (name text, mobile text, village text, address text)")
    started = time.perf_counter()
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows()
    next(rows)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    buffer.seek(0)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.copy_expert("COPY bench_floor FROM STDIN WITH (FORMAT csv)", buffer)
    return time.perf_counter() - started


def floor_into_members(path: Path) -> float:
    """For reference: the floor's read, then COPY of the rows ours writes, already clean, into the members table
    itself, with its indexes and foreign keys checked: what the write costs before any of our own work."""
    from django.db import connection, transaction
    from python_calamine import CalamineWorkbook

    from districts.models import District, Village
    from members.models import Member, Upload

    ours(path)
    members = Member.objects.filter(upload=Upload.objects.latest("pk")).order_by("pk")
    rows = list(members.values_list("name", "mobile", "address", "village__name_key", "village__name"))
    reset_database()
    district = District.objects.get(code="BEN")
    villages = {key: name for _name, _mobile, _address, key, name in rows}
    with transaction.atomic():
        ids = dict(Village.objects.filter(district=district).values_list("name_key", "pk"))
        new = [Village(district=district, name=name, name_key=key) for key, name in villages.items() if key not in ids]
        ids.update((village.name_key, village.pk) for village in Village.objects.bulk_create(new))
        upload = Upload.objects.create(district=district, original_name=path.name, status=Upload.Status.IMPORTING)
        copy = io.StringIO()
        for name, mobile, address, key, _name in rows:
            copy.write(f"{district.pk}\t{ids[key]}\t{name}\t{mobile}\t{address}\tpending\t0\tnow\tnow\t{upload.pk}\n")
        copy.seek(0)
        started = time.perf_counter()
        list(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows())
        with connection.cursor() as cursor:
            cursor.copy_expert(
                "COPY members_member (district_id, village_id, name, mobile, address, status, attempt_count,"
                " created_at, updated_at, upload_id) FROM STDIN",
                copy,
            )
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def ours(path: Path) -> tuple[float, dict]:
    """Ours, end to end: the command line's service, then the refused-rows report people download."""
    from districts.models import District
    from members import reports, services
    from members.models import Upload

    reset_database()
    district = District.objects.get(code="BEN")
    started = time.perf_counter()
    counts = services.members_import_file(path=path, district=district)
    report = io.BytesIO()
    reports.refused_rows_workbook(Upload.objects.latest("pk")).save(report)
    counted = ("rows", "imported", "rejected", "duplicates", "new_villages")  # what the command prints
    return time.perf_counter() - started, {name: getattr(counts, name) for name in counted}


def ours_phases(path: Path) -> dict:
    """Where ours spends its time (printed to stderr, not part of the result): the same steps as the service."""
    import tempfile

    from django.db import transaction

    from districts.models import District
    from members import pipeline, reports
    from members.models import Upload

    reset_database()
    district = District.objects.get(code="BEN")
    upload = Upload.objects.create(district=district, original_name=path.name, status=Upload.Status.VALIDATING)
    times, started = {}, time.perf_counter()

    def lap(name):
        nonlocal started
        times[name] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()

    with tempfile.TemporaryDirectory() as workdir:
        checked = pipeline.check_file(path, district=district, workdir=Path(workdir), upload_id=upload.pk)
        lap("parse_normalise_validate_dedupe")
        with transaction.atomic():
            pipeline.save_refused(checked.refused_path)
            lap("store_refused_rows")
            rows, villages = checked.rows_path, checked.new_villages
            pipeline.write_members(upload_id=upload.pk, district_id=district.pk, rows_path=rows, new_villages=villages)
            lap("insert_members_and_villages")
        lap("commit_with_foreign_key_checks")
        reports.refused_rows_workbook(upload).save(io.BytesIO())
        lap("error_report_xlsx")
    return times


def _die_dataset(path: Path, limit: int | None):
    """The file as django-import-export reads it, with villages given by id as a default resource needs."""
    import tablib
    from python_calamine import CalamineWorkbook

    from districts.models import District, Village

    district = District.objects.get(code="BEN")
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()[1 : (limit or ROWS) + 1]
    names = {str(row[2]).strip() for row in rows}
    Village.objects.bulk_create(
        [Village(district=district, name=n, name_key=Village.key_for(n)) for n in names], ignore_conflicts=True
    )
    ids = dict(Village.objects.filter(district=district).values_list("name_key", "id"))
    data = tablib.Dataset(headers=["id", "name", "mobile", "village", "district", "address"])
    for name, mobile, village, address in rows:
        mobile = str(int(mobile)) if isinstance(mobile, float) else str(mobile)
        data.append(["", name, mobile, ids[Village.key_for(str(village))], district.pk, address])
    return data


def _resource(tuned: bool):
    from import_export import resources

    from members.models import Member

    class Meta:
        model = Member
        fields = ("id", "name", "mobile", "village", "district", "address")
        if tuned:
            use_bulk, batch_size, skip_diff, force_init_instance = True, 1000, True, True

    return type("BenchMemberResource", (resources.ModelResource,), {"Meta": Meta, "__module__": __name__})()


def die(path: Path, *, tuned: bool, limit: int | None) -> float:
    """django-import-export importing the rows (errors for invalid rows included, as it would in real use)."""
    reset_database()
    dataset = _die_dataset(path, limit)
    started = time.perf_counter()
    _resource(tuned).import_data(dataset, dry_run=False, use_transactions=True)
    return time.perf_counter() - started


def peak_memory_mb(rows: int) -> float:
    """Peak resident memory of a fresh process running ours on a file of this many rows."""
    child = subprocess.run(
        [sys.executable, __file__, "--child", str(data_file(rows))],
        env={**os.environ, "DATABASE_URL": bench_database_url()},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(child.stdout.strip().splitlines()[-1])["peak_mb"]


def peak_rss_mb() -> float:
    """This process's own peak resident memory. (ru_maxrss would include the parent's peak, copied on fork.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(path: Path) -> None:
    setup_django(bench_database_url())
    ours(path)
    print(json.dumps({"peak_mb": round(peak_rss_mb(), 1)}))


def main() -> None:
    url = bench_database_url()
    files = {rows: data_file(rows) for rows in (ROWS, 50_000, 500_000)}
    common.recreate_database(BENCH_DB)
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seed_database()
    path = files[ROWS]

    floor_s = best_of(REPEATS, lambda: floor(path))
    runs = [ours(path) for _ in range(REPEATS)]
    ours_s, counts = min(runs, key=lambda run: run[0])
    die_default_s = die(path, tuned=False, limit=SLICE)
    die_tuned_s = die(path, tuned=True, limit=None)
    peak_50k, peak_500k = peak_memory_mb(50_000), peak_memory_mb(500_000)

    die_default_rows_per_s = SLICE / die_default_s
    print(f"ours on {ROWS:,} rows: {counts}", file=sys.stderr)
    print(f"where ours spends its time: {ours_phases(path)}", file=sys.stderr)
    members_floor_s = best_of(REPEATS, lambda: floor_into_members(path))
    print(
        f"for reference, the floor writing into the members table (indexes, foreign keys): {members_floor_s:.3f} s,"
        f" {members_floor_s / floor_s:.2f} times the floor",
        file=sys.stderr,
    )
    result = {
        "floor_s": round(floor_s, 3),
        "die_default_rows_per_s": round(die_default_rows_per_s, 1),
        "die_tuned_s": round(die_tuned_s, 3),
        "ours_s": round(ours_s, 3),
        "ours_over_floor": round(ours_s / floor_s, 2),
        "ours_rows_per_s_over_die_default": round((ROWS / ours_s) / die_default_rows_per_s, 1),
        "peak_mb_50k": peak_50k,
        "peak_mb_500k": peak_500k,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.child)
    else:
        main()
