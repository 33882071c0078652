import csv
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from districts import services
from districts.bihar import DISTRICTS

COLUMNS = ("code", "name_en", "name_hi")


class Command(BaseCommand):
    help = (
        "Load the districts the control room works with, before anything else: Bihar's 38, built in, or those of a "
        "CSV file (UTF-8) with the columns code, name_en, name_hi. A district already there (by its code) is left "
        "as it is, so this is safe to run again. Nothing else is added: no villages, members or users."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", type=Path, help="a CSV of code,name_en,name_hi; without it, Bihar's")

    def handle(self, *args, file: Path | None = None, **options):
        rows = _read(file) if file else DISTRICTS
        try:
            created = services.districts_load(rows)
        except ValidationError as error:
            raise CommandError(error.messages[0]) from None
        self.stdout.write(f"{created} districts created, {len(rows) - created} already there.")


def _read(path: Path) -> list[tuple[str, str, str]]:
    if not path.is_file():
        raise CommandError(f"No such file: {path}")
    with path.open(encoding="utf-8-sig", newline="") as lines:
        reader = csv.DictReader(lines)
        if reader.fieldnames is None or set(COLUMNS) - {name.strip() for name in reader.fieldnames}:
            raise CommandError(f"{path.name}: the first line must name the columns {', '.join(COLUMNS)}.")
        return [tuple((row[name] or "").strip() for name in COLUMNS) for row in reader]
