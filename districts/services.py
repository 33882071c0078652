"""Writes for the geography: the state's districts loaded, villages added, renamed, re-targeted or deleted by
staff in the admin, and a village merged into another by its district's president."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from controlroom.models import AuditEvent
from districts import rollup
from districts.models import District, Village, VillageAlias
from members.models import Member, MemberChange


@transaction.atomic
def districts_load(rows) -> int:
    """Create the districts of (code, English name, Hindi name) rows that are not there yet, by code; all or none.
    Returns how many were created. Raises ValidationError, naming the row, for one that is not a district."""
    existing = set(District.objects.values_list("code", flat=True))
    created = 0
    for number, (code, name_en, name_hi) in enumerate(rows, 1):
        if code in existing:
            continue
        district = District(code=code, name_en=name_en, name_hi=name_hi)
        try:
            district.full_clean()
        except ValidationError as error:
            problems = "; ".join(f"{field}: {' '.join(texts)}" for field, texts in error.message_dict.items())
            raise ValidationError(f"Row {number} ({code or 'no code'}): {problems}") from None
        district.save()
        existing.add(code)
        created += 1
    return created


@transaction.atomic
def village_admin_save(*, village: Village, created: bool, actor) -> None:
    """Save a village from the admin: its match key follows its name, and its district's figures follow it. A
    new name keeps the old one as another name of the village, as a president's rename does."""
    village.name_key = Village.key_for(village.name)
    if created:
        village.save()
        rollup.villages_created(district_id=village.district_id)
        return
    target, name, key = Village.objects.select_for_update().values_list("target", "name", "name_key").get(pk=village.pk)
    village.save(update_fields=["name", "name_key", "target"])
    if target != village.target:
        rollup.village_target_changed(
            village_id=village.pk, district_id=village.district_id, before=target, after=village.target
        )
    if name != village.name:
        _renamed(village, old_name=name, old_key=key, actor=actor)


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
    village created under a misspelt name. Returns the members on the list that moved (those taken off the
    list move too, with their history).

    The villages are locked first, so an import adding members to either waits, or makes this wait. Moving the
    members waits for calls being marked on them; calls marked after it see the new village.
    """
    pair = Village.objects.select_for_update().filter(pk__in=[village_id, into_id]).order_by("pk")
    villages = {village.pk: village for village in pair}
    village, into = villages.get(village_id), villages.get(into_id)
    if village is None or into is None or village_id == into_id or village.district_id != into.district_id:
        raise VillageError(_("One of the two villages was merged or deleted meanwhile. Nothing was changed."))
    members = Member.objects.filter(village=village)
    # Each member's history says the village changed, by whom and when, as an edit of one member's says it.
    details = {"village": [village.name, into.name]}
    MemberChange.objects.bulk_create(
        MemberChange(member_id=pk, kind=MemberChange.Kind.EDITED, details=details, actor=actor)
        for pk in members.values_list("pk", flat=True)
    )
    members.update(village=into, updated_at=timezone.now())
    moved = rollup.villages_merged(village_id=village.pk, into_id=into.pk, district_id=village.district_id)
    # Its name, and the names merged into it before, lead later uploads to the village it went into.
    VillageAlias.objects.filter(village=village).update(village=into)
    VillageAlias.objects.update_or_create(
        district_id=village.district_id, name_key=village.name_key, defaults={"village": into, "name": village.name}
    )
    village.delete()
    detail = {"village": village.name, "into": into.name, "into_id": into.pk, "district_id": village.district_id}
    AuditEvent.objects.create(
        actor=actor, action=AuditEvent.Action.VILLAGE_MERGE, what=f"village {village_id}", rows=moved, detail=detail
    )
    return moved


@transaction.atomic
def village_rename(*, village_id: int, name: str, actor) -> Village:
    """Correct a village's name. The old name is kept as another name of the village, so lists still written
    the old way go on putting their members here."""
    village = Village.objects.select_for_update().filter(pk=village_id).first()
    if village is None:
        raise VillageError(_("This village was merged or deleted meanwhile. Nothing was changed."))
    key = Village.key_for(name)
    if Village.objects.filter(district_id=village.district_id, name_key=key).exclude(pk=village.pk).exists():
        raise VillageError(_("This district already has a village of this name. Merge into it instead."))
    _check_not_another_villages_name(village, name_key=key)
    old = (village.name, village.name_key)
    if name == old[0]:
        return village
    village.name, village.name_key = name, key
    village.save(update_fields=["name", "name_key"])
    _renamed(village, old_name=old[0], old_key=old[1], actor=actor)
    return village


def _check_not_another_villages_name(village: Village, *, name_key: str) -> None:
    """A president's rename may not take a name that is another village's earlier one (merged into it, or its
    name before a rename): lists that write it put their members in that village, and would silently go to this
    one instead. (The admin may: staff bring back a village merged by mistake under its old name.)"""
    alias = VillageAlias.objects.filter(district_id=village.district_id, name_key=name_key).exclude(village=village)
    alias = alias.select_related("village").first()
    if alias is not None:
        text = _(
            "“%(name)s” is an earlier name of %(village)s: lists that write it put their members there. Merge into"
            " it instead, or choose another name."
        )
        raise VillageError(text % {"name": alias.name, "village": alias.village.name})


def _renamed(village: Village, *, old_name: str, old_key: str, actor) -> None:
    """After a rename: lists still written the old way lead here, and the audit log says who renamed it."""
    if old_key != village.name_key:
        VillageAlias.objects.update_or_create(
            district_id=village.district_id, name_key=old_key, defaults={"village": village, "name": old_name}
        )
    VillageAlias.objects.filter(district_id=village.district_id, name_key=village.name_key).delete()  # its own
    detail = {"from": old_name, "to": village.name, "district_id": village.district_id}
    AuditEvent.objects.create(
        actor=actor, action=AuditEvent.Action.VILLAGE_RENAME, what=f"village {village.pk}", rows=1, detail=detail
    )
