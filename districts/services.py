"""Writes for the geography: villages added, renamed, re-targeted or deleted by staff in the admin."""

from django.db import transaction

from districts import rollup
from districts.models import Village


@transaction.atomic
def village_admin_save(*, village: Village, created: bool) -> None:
    """Save a village from the admin: its match key follows its name, and its district's figures follow it."""
    village.name_key = Village.key_for(village.name)
    if created:
        village.save()
        rollup.villages_created(district_id=village.district_id)
        return
    before = Village.objects.select_for_update().values_list("target", flat=True).get(pk=village.pk)
    village.save(update_fields=["name", "name_key", "target"])
    if before != village.target:
        rollup.village_target_changed(
            village_id=village.pk, district_id=village.district_id, before=before, after=village.target
        )


@transaction.atomic
def villages_admin_delete(*, village_ids) -> None:
    """Delete villages (members protect theirs); an empty village never counted as at its target."""
    for village in Village.objects.select_for_update().filter(pk__in=list(village_ids)).order_by("pk"):
        village.delete()
        rollup.villages_created(district_id=village.district_id, count=-1)
