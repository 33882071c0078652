import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import translation

from districts.models import District
from members import services
from members.parsing import UnusableFile


class Command(BaseCommand):
    help = (
        "Import a member list (XLSX, XLS, ODS or CSV) into a district, all or nothing. Prints one JSON object: "
        "rows read, members imported, rows rejected, duplicates, villages created."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--district", required=True, help="the district's code or English name")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")

    def handle(self, *args, file: Path, district: str, dry_run: bool, **options):
        with translation.override("en"):
            found = District.objects.filter(Q(code__iexact=district) | Q(name_en__iexact=district)).first()
            if found is None:
                raise CommandError(f"No district with the code or name {district!r}.")
            if not file.is_file():
                raise CommandError(f"No such file: {file}")
            try:
                counts = services.members_import_file(path=file, district=found, dry_run=dry_run)
            except UnusableFile as problem:
                raise CommandError(f"{file.name}: {problem.message}") from None
        self.stdout.write(
            json.dumps(
                {
                    "rows": counts.rows,
                    "imported": counts.imported,
                    "rejected": counts.rejected,
                    "duplicates": counts.duplicates,
                    "new_villages": counts.new_villages,
                }
            )
        )
