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

# One statement: batches that need members → slots; the districts each centre serves, with callable members → a
# fair quota each; every district's claims for all the centres serving it taken at once, with SKIP LOCKED, and
# shared out; the quotas a district could not fill claimed again from the centre's other districts; then each
# centre's claims interleaved district by district, oldest first, and matched to its slots.
CALLABLE = """({m}.reserved_for_id IS NULL OR {m}.next_call_at <= %(lapsed)s)
    AND ({m}.status = 'pending' OR ({m}.status = 'retry' AND {m}.next_call_at <= %(now)s))"""
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
    SELECT cd.district_id, cd.callcentre_id AS centre_id, w.total
    FROM districts_callcentre_districts cd
    JOIN wanted w ON w.centre_id = cd.callcentre_id
    WHERE EXISTS (SELECT 1 FROM members_member e WHERE e.district_id = cd.district_id AND {callable_e})
),
quota AS (
    SELECT served.*, ceil(total::numeric / count(*) OVER (PARTITION BY centre_id))::int AS q FROM served
),
-- A district served by several centres gives them its claims one after another: claims lo+1 to lo+q to each.
shares AS (
    SELECT district_id, centre_id, q, sum(q) OVER (PARTITION BY district_id ORDER BY centre_id) - q AS lo FROM quota
),
-- Referred to twice, so run once (PostgreSQL materialises it): the second claim skips what the first took.
first_claims AS (
    SELECT m.id, m.created_at, m.district_id,
           row_number() OVER (PARTITION BY m.district_id ORDER BY m.created_at, m.id) AS k
    FROM (SELECT district_id, sum(q)::int AS n FROM shares GROUP BY district_id) d CROSS JOIN LATERAL (
        SELECT mm.id, mm.created_at, mm.district_id FROM members_member mm
        WHERE mm.district_id = d.district_id AND {callable_mm}
        ORDER BY mm.created_at, mm.id
        LIMIT d.n
        FOR UPDATE SKIP LOCKED
    ) m
),
firsts AS (
    SELECT s.centre_id, f.id, f.created_at, f.k - s.lo AS turn
    FROM first_claims f JOIN shares s ON s.district_id = f.district_id AND f.k > s.lo AND f.k <= s.lo + s.q
),
-- What a centre's districts fell short of their quotas, asked again of each of them (the ranking keeps the oldest).
short AS (
    SELECT w.centre_id, w.total - count(f.id) AS n
    FROM wanted w LEFT JOIN firsts f ON f.centre_id = w.centre_id
    GROUP BY w.centre_id, w.total
    HAVING w.total > count(f.id)
),
extra_shares AS (
    SELECT s.district_id, s.centre_id, s.q, short.n,
           sum(short.n) OVER (PARTITION BY s.district_id ORDER BY s.centre_id) - short.n AS lo
    FROM shares s JOIN short ON short.centre_id = s.centre_id
),
extras AS (
    SELECT s.centre_id, e.id, e.created_at, s.q + e.k - s.lo AS turn
    FROM (
        SELECT m.id, m.created_at, m.district_id,
               row_number() OVER (PARTITION BY m.district_id ORDER BY m.created_at, m.id) AS k
        FROM (SELECT district_id, sum(n)::int AS n FROM extra_shares GROUP BY district_id) d CROSS JOIN LATERAL (
            SELECT mm.id, mm.created_at, mm.district_id FROM members_member mm
            WHERE mm.district_id = d.district_id AND {callable_mm}
              AND mm.id NOT IN (SELECT id FROM first_claims)
            ORDER BY mm.created_at, mm.id
            LIMIT d.n
            FOR UPDATE SKIP LOCKED
        ) m
    ) e
    JOIN extra_shares s ON s.district_id = e.district_id AND e.k > s.lo AND e.k <= s.lo + s.n
),
ranked AS (
    SELECT id, centre_id, row_number() OVER (PARTITION BY centre_id ORDER BY turn, created_at, id) AS slot
    FROM (SELECT * FROM firsts UNION ALL SELECT * FROM extras) claimed
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

# Written out once, not on every build: waiting for a batch another builder fills (an operator's own), or not.
FILL_STATEMENTS = {
    wait: FILL_SQL.format(
        skip_locked="" if wait else "SKIP LOCKED",
        callable_e=CALLABLE.format(m="e"),
        callable_mm=CALLABLE.format(m="mm"),
    )
    for wait in (False, True)
}


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
        sql = FILL_STATEMENTS[wait]
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
