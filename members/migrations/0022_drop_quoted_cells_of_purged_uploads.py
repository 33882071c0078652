"""Uploads purged before the retention purge dropped the cells a problem quotes kept them: of a list without
headings, its first member's name and number. Drop them, as the purge now does."""

from django.db import migrations


def drop_quoted_cells(apps, schema_editor):
    Upload = apps.get_model("members", "Upload")
    purged = Upload.objects.filter(purged_at__isnull=False, error_params__has_key="found")
    for pk, params in purged.values_list("pk", "error_params"):
        Upload.objects.filter(pk=pk).update(error_params={k: v for k, v in params.items() if k != "found"})


class Migration(migrations.Migration):
    dependencies = [("members", "0021_upload_other_sheets")]

    operations = [migrations.RunPython(drop_quoted_cells, migrations.RunPython.noop)]
