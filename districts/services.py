"""Writes for the geography: villages added, renamed, re-targeted or deleted by staff in the admin, and a
village merged into another by its district's president."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from controlroom.models import AuditEvent
from districts import rollup
from districts.models import Village
from members.models import Member


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


class VillageError(Exception):
    """A merge that cannot be done; the message is shown to the user."""


@transaction.atomic
def village_merge(*, village_id: int, into_id: int, actor) -> int:
    """Move every member of a village into another village of its district and delete it: the way to fix a
    village created under a misspelt name. Returns the members moved.

    The villages are locked first, so an import adding members to either waits, or makes this wait. Moving the
    members waits for calls being marked on them; calls marked after it see the new village.
    """
    pair = Village.objects.select_for_update().filter(pk__in=[village_id, into_id]).order_by("pk")
    villages = {village.pk: village for village in pair}
    village, into = villages.get(village_id), villages.get(into_id)
    if village is None or into is None or village_id == into_id or village.district_id != into.district_id:
        raise VillageError(_("One of the two villages was merged or deleted meanwhile. Nothing was changed."))
    moved = Member.objects.filter(village=village).update(village=into, updated_at=timezone.now())
    rollup.villages_merged(
        village_id=village.pk, target=village.target, into_id=into.pk, district_id=village.district_id
    )
    village.delete()
    detail = {"village": village.name, "into": into.name, "into_id": into.pk, "district_id": village.district_id}
    AuditEvent.objects.create(
        actor=actor, action=AuditEvent.Action.VILLAGE_MERGE, what=f"village {village_id}", rows=moved, detail=detail
    )
    return moved
