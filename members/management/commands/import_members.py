import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.urls import reverse
from django.utils import translation

from districts.models import District
from members import services
from members.parsing import UnusableFile


class Command(BaseCommand):
    help = (
        "Import a member list (XLSX, XLS, ODS or CSV) into a district. Its valid rows are written all together or "
        "not at all; rows refused (invalid, or duplicates) are counted and left out, and listed with why on the "
        "upload's page. Prints one JSON object: rows read, members imported, rows rejected as invalid, "
        "duplicates, villages created; warnings go to stderr. Exits 0 when the file was read, even if rows were "
        "refused; 1 with a one-line message when the file or the district is unusable; 2 for wrong arguments."
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
        for name, similar in counts.lookalikes.items():
            self.stderr.write(
                f"Warning: the new village {name!r} looks like {similar!r}, already in {found.name_en}. If it is the "
                'same village, merge it into that one from its village page ("Correct the name or merge").'
            )
        if counts.upload_id is not None and (counts.rejected or counts.duplicates):
            page = reverse("members:upload_detail", args=[counts.upload_id])
            self.stderr.write(f"The refused rows, with why, are on the upload's page: {page}")
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
