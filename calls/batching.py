"""Building call batches: hand callable members to operators on shift, fairly across districts.

On PostgreSQL this is one SQL statement however many members or operators there are: members are
claimed with FOR UPDATE SKIP LOCKED, so concurrent builders and releases never hand one member to two
batches. SQLite (the single-user development default) takes a plain ORM path; it locks the whole
database on write, so there is nothing to skip.
"""

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q

from members.models import Member, MemberStatus

# One statement: batches that need members → slots; districts with callable members → a fair quota
# each, claimed with SKIP LOCKED; interleave the districts oldest-first and match claims to slots.
FILL_SQL = """
WITH need AS (
    SELECT b.id AS batch_id, b.call_centre_id AS centre_id, b.operator_id,
           %(size)s - (SELECT count(*) FROM members_member x WHERE x.batch_id = b.id) AS n
    FROM calls_callbatch b
    WHERE b.id = ANY(%(batch_ids)s) AND b.closed_at IS NULL
    FOR UPDATE OF b {skip_locked}
),
slots AS (
    SELECT need.batch_id, need.centre_id, need.operator_id,
           row_number() OVER (PARTITION BY need.centre_id ORDER BY s, need.batch_id) AS slot
    FROM need CROSS JOIN LATERAL generate_series(1, need.n) AS s
    WHERE need.n > %(size)s - %(below)s
),
wanted AS (SELECT centre_id, count(*) AS total FROM slots GROUP BY centre_id),
served AS (
    SELECT DISTINCT ON (cd.district_id) cd.district_id, cd.callcentre_id AS centre_id, w.total
    FROM districts_callcentre_districts cd
    JOIN wanted w ON w.centre_id = cd.callcentre_id
    WHERE EXISTS (
        SELECT 1 FROM members_member e
        WHERE e.district_id = cd.district_id
          AND (e.reserved_for_id IS NULL OR e.next_call_at <= %(lapsed)s)
          AND (e.status = 'pending' OR (e.status = 'retry' AND e.next_call_at <= %(now)s))
    )
    ORDER BY cd.district_id, cd.callcentre_id
),
quota AS (
    SELECT served.*, ceil(total::numeric / count(*) OVER (PARTITION BY centre_id))::int AS q FROM served
),
claimed AS (
    SELECT quota.centre_id, m.id, m.created_at,
           row_number() OVER (PARTITION BY m.district_id ORDER BY m.created_at, m.id) AS turn
    FROM quota CROSS JOIN LATERAL (
        SELECT mm.id, mm.created_at, mm.district_id FROM members_member mm
        WHERE mm.district_id = quota.district_id
          AND (mm.reserved_for_id IS NULL OR mm.next_call_at <= %(lapsed)s)
          AND (mm.status = 'pending' OR (mm.status = 'retry' AND mm.next_call_at <= %(now)s))
        ORDER BY mm.created_at, mm.id
        LIMIT quota.q
        FOR UPDATE SKIP LOCKED
    ) m
),
ranked AS (
    SELECT id, centre_id, row_number() OVER (PARTITION BY centre_id ORDER BY turn, created_at, id) AS slot
    FROM claimed
),
personal AS (
    SELECT mm.id AS member_id, need.batch_id, need.operator_id FROM need
    JOIN LATERAL (
        SELECT id FROM members_member
        WHERE reserved_for_id = need.operator_id AND status = 'retry' AND next_call_at <= %(now)s
        FOR UPDATE SKIP LOCKED
    ) mm ON true
),
assign AS (
    SELECT ranked.id AS member_id, slots.batch_id, slots.operator_id FROM ranked
    JOIN slots ON slots.centre_id = ranked.centre_id AND slots.slot = ranked.slot
    UNION ALL
    SELECT member_id, batch_id, operator_id FROM personal
)
UPDATE members_member m
SET batch_id = assign.batch_id, status = 'in_batch', updated_at = %(now)s,
    status_changed_at = %(now)s, status_changed_by_id = assign.operator_id
FROM assign
WHERE m.id = assign.member_id
"""


def fill(*, batches, size: int, now, wait: bool = False, below: int | None = None) -> int:
    """Top each batch holding fewer than `below` members (default: any not full) up to `size` members. Returns
    how many members were handed out. Due personal call-backs go into every batch given.

    The periodic builder skips a batch another builder is filling (`wait=False`); an operator whose own
    batch is empty waits for that builder instead, so their console is not left empty.
    """
    if not batches:
        return 0
    below = size if below is None else min(below, size)
    if connection.vendor == "postgresql":
        sql = FILL_SQL.format(skip_locked="" if wait else "SKIP LOCKED")
        with connection.cursor() as cursor:
            params = {"batch_ids": [b.pk for b in batches], "size": size, "now": now, "lapsed": lapsed(now)}
            cursor.execute(sql, {**params, "below": below})
            return cursor.rowcount
    return sum(_fill_one_portably(batch, size, below, now) for batch in batches)


def lapsed(now):
    """Personal call-backs due before this are anyone's: their operator did not come back for them in time."""
    return now - timedelta(minutes=settings.CALLS_PERSONAL_GRACE_MINUTES)


def _callable(now):
    return Member.objects.filter(Q(status=MemberStatus.PENDING) | Q(status=MemberStatus.RETRY, next_call_at__lte=now))


def callable_by_anyone(now):
    """Members any operator may be handed now, as the statement above finds them: pending, or waiting to retry
    and past their time; not a personal call-back still kept for its operator."""
    return _callable(now).filter(Q(reserved_for__isnull=True) | Q(next_call_at__lte=lapsed(now)))


def handed_to(batch, operator_id: int, now) -> dict:
    """What a member handed to an operator's batch is updated with, as the statement above sets it."""
    return {
        "batch": batch,
        "status": MemberStatus.IN_BATCH,
        "updated_at": now,
        "status_changed_at": now,
        "status_changed_by_id": operator_id,
    }


def _fill_one_portably(batch, size, below, now) -> int:
    personal = _callable(now).filter(reserved_for=batch.operator_id, status=MemberStatus.RETRY)
    fields = handed_to(batch, batch.operator_id, now)
    handed = personal.update(**fields)
    held = Member.objects.filter(batch=batch).count()
    room = size - held
    if held - handed >= below or room <= 0:  # as the statement: judged by what the batch held before
        return handed
    district_ids = list(batch.call_centre.districts.values_list("id", flat=True))
    pool = callable_by_anyone(now).filter(district_id__in=district_ids)
    per_district = {d: list(pool.filter(district_id=d).order_by("created_at", "id")[:room]) for d in district_ids}
    picked = _interleave(per_district, room)
    return handed + Member.objects.filter(pk__in=[m.pk for m in picked]).update(**fields)


def _interleave(per_district, room):
    """As the PostgreSQL statement ranks them: each district's oldest first, then its second oldest, and so on;
    within a turn, oldest first. Not in the districts' own order: with more districts than room in the batch,
    the districts listed last never got a turn."""
    ranked = [(turn, m.created_at, m.pk, m) for members in per_district.values() for turn, m in enumerate(members)]
    return [m for *_key, m in sorted(ranked, key=lambda item: item[:3])[:room]]
