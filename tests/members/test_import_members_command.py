"""`manage.py import_members FILE --district DISTRICT [--dry-run]` for the state's IT person."""

import json

import pytest
from django.core.management import CommandError, call_command

from controlroom.models import AuditEvent
from districts.models import Village
from members.models import Member, Upload
from tests.members.corpus import GOOD, HEAD, csv_text, xlsx_bytes

pytestmark = pytest.mark.django_db
ROWS = [HEAD, *GOOD, ["क", "123", "रामपुर", ""], ["ख", "9812345670", "रामपुर", ""], ["ग", "+91 91234 56780", "x", ""]]


@pytest.fixture
def members_file(tmp_path):
    path = tmp_path / "patna.xlsx"
    path.write_bytes(xlsx_bytes(ROWS))
    return path


def run(*args) -> dict:
    from io import StringIO

    out = StringIO()
    call_command("import_members", *map(str, args), stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1, "one JSON object, nothing else"
    return json.loads(lines[0])


def test_it_imports_and_prints_the_counts(cast, members_file, patna):
    counts = run(members_file, "--district", "PAT")
    assert counts == {"rows": 6, "imported": 3, "rejected": 1, "duplicates": 2, "new_villages": 1}
    upload = Upload.objects.get()
    assert (upload.status, upload.uploaded_by, upload.imported) == (Upload.Status.IMPORTED, None, 3)
    assert Member.objects.filter(upload=upload).count() == 3
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT)
    assert (event.actor, event.rows, event.detail["by"]) == (None, 3, "command line"), "in the audit log too"


def test_dry_run_reports_the_same_numbers_and_writes_nothing(cast, members_file):
    members, villages = Member.objects.count(), Village.objects.count()
    counts = run(members_file, "--district", "PAT", "--dry-run")
    assert counts == {"rows": 6, "imported": 3, "rejected": 1, "duplicates": 2, "new_villages": 1}, "as a real run's"
    assert (Member.objects.count(), Village.objects.count(), Upload.objects.count()) == (members, villages, 0)


@pytest.mark.parametrize("name", ["PAT", "pat", "Patna", "PATNA"])
def test_the_district_is_its_code_or_english_name_in_any_case(cast, members_file, name):
    assert run(members_file, "--district", name, "--dry-run")["rows"] == 6


def test_an_unusable_file_is_a_one_line_error_and_writes_nothing(cast, tmp_path):
    path = tmp_path / "header-only.csv"
    path.write_text(csv_text([HEAD]))
    with pytest.raises(CommandError) as error:
        call_command("import_members", str(path), "--district", "PAT")
    assert "no members" in str(error.value)
    assert "\n" not in str(error.value)
    assert not Member.objects.filter(upload__isnull=False).exists()
    assert Upload.objects.get().status == Upload.Status.FAILED


def test_an_unknown_district_or_missing_file_is_an_error(cast, members_file, tmp_path):
    with pytest.raises(CommandError, match="district"):
        call_command("import_members", str(members_file), "--district", "Atlantis")
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_members", str(tmp_path / "nope.xlsx"), "--district", "PAT")


def test_running_it_twice_refuses_the_second_time_as_duplicates(cast, members_file):
    run(members_file, "--district", "PAT")
    again = run(members_file, "--district", "PAT")
    assert (again["imported"], again["duplicates"]) == (0, 5)


def test_a_number_enrolled_while_the_file_was_checked_is_refused_with_its_other_columns(cast, tmp_path, monkeypatch):
    from members import pipeline
    from tests.conftest import make_member

    path = tmp_path / "patna.xlsx"
    path.write_bytes(
        xlsx_bytes(
            [[*HEAD, "बूथ"], ["सीता देवी", "9123456780", "रामपुर", "", 12], ["गीता", "8123456781", "रामपुर", "", 13]]
        )
    )
    write = pipeline.write_members

    def enrolled_meanwhile(**kwargs):
        make_member(cast["sitapur"], "8123456781")
        return write(**kwargs)

    monkeypatch.setattr(pipeline, "write_members", enrolled_meanwhile)
    assert run(path, "--district", "PAT")["duplicates"] == 1
    late = Upload.objects.get().refused_rows.get()
    assert (late.row_number, late.mobile, late.extra) == (3, "8123456781", ["13"])


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_new_village_like_one_the_district_has_is_warned_about_and_the_refused_rows_are_pointed_to(
    cast, tmp_path, dry_run
):
    """The web upload asks whether "Rampur" is the district's रामपुर; the command cannot ask, so it says so."""
    from io import StringIO

    path = tmp_path / "typo.csv"
    path.write_text(
        csv_text([HEAD, ["क", "7000012345", "रामपुर ", ""], ["ख", "7000012346", "रामपूर", ""], ["ग", "12", "रामपुर", ""]])
    )
    out, err = StringIO(), StringIO()
    call_command(
        "import_members", str(path), "--district", "PAT", *(["--dry-run"] if dry_run else []), stdout=out, stderr=err
    )
    assert json.loads(out.getvalue())["new_villages"] == 1
    assert "'रामपूर' looks like 'रामपुर'" in err.getvalue()
    pointed = "/members/uploads/" in err.getvalue()
    assert pointed is not dry_run, "a dry run writes no upload to point to"
