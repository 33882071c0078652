"""Personal call-backs released from a batch before they were called were left pending but still reserved, so
no batch ever took them again. Put them back to waiting for their operator, as a release now does."""

from django.db import migrations
from django.db.models.functions import Coalesce, Now


def repair(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    Member.objects.filter(status="pending", reserved_for__isnull=False).update(
        status="retry", next_call_at=Coalesce("next_call_at", Now())
    )


class Migration(migrations.Migration):
    dependencies = [("members", "0006_member_batch_queue")]

    operations = [migrations.RunPython(repair, migrations.RunPython.noop)]
