"""The rollup: per-village and per-district member figures, kept current by deltas in the same transaction
as every change of a member, so the dashboard reads O(districts) or O(villages) rows and is never stale.

Deltas (`x = x + d`) are safe under concurrency: each UPDATE takes the row lock and re-reads the row.
`rebuild` recomputes everything from members; it is the definition the deltas are tested against.
"""

from collections import Counter
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from members.models import MemberStatus

FIELDS = ("listed", "called", "yes", "no", "wrong", "unreachable")
FINAL = {
    MemberStatus.YES: "yes",
    MemberStatus.NO: "no",
    MemberStatus.WRONG_NUMBER: "wrong",
    MemberStatus.UNREACHABLE: "unreachable",
}


def contribution(status: str, attempt_count: int) -> Counter:
    """What one member adds to its village's figures."""
    if status == MemberStatus.REMOVED:
        return Counter()
    figures = Counter(listed=1, called=int(attempt_count > 0))
    if status in FINAL:
        figures[FINAL[status]] = 1
    return figures


def member_changed(
    *, village_id: int, district_id: int, before: tuple[str, int], after: tuple[str, int], upload_id: int | None = None
) -> None:
    """Apply one member's move from (status, attempts) `before` to `after`."""
    delta = Counter(contribution(*after))
    delta.subtract(contribution(*before))
    apply(village_id=village_id, district_id=district_id, delta=delta, upload_id=upload_id)


def member_moved(member, *, before: tuple[str, int], after: tuple[str, int]) -> None:
    """Apply a member's move, to its village, district and upload."""
    member_changed(
        village_id=member.village_id,
        district_id=member.district_id,
        upload_id=member.upload_id,
        before=before,
        after=after,
    )


def member_created(*, village_id: int, district_id: int, status: str = MemberStatus.PENDING, attempts: int = 0):
    """Count a member added one at a time (a replacement, a test); imports add theirs in bulk."""
    member_changed(
        village_id=village_id, district_id=district_id, before=(MemberStatus.REMOVED, 0), after=(status, attempts)
    )


def member_moved_village(
    *,
    member,
    from_village_id: int,
    from_district_id: int | None = None,
    before: tuple[str, int],
    after: tuple[str, int] | None = None,
) -> None:
    """Move a member from a village (of `from_district_id`, else of its own district) to the one it is in now,
    its (status, attempts) going from `before` to `after` (unchanged when not given) on the way.

    Both villages' rows are locked (in id order), then the districts' (in id order), then the upload's, as an
    outcome locks its village's, its district's and its upload's: an outcome in either village, or another
    move, never waits for this in a cycle.
    """
    old, new = contribution(*before), contribution(*(after or before))
    from_district_id = from_district_id or member.district_id
    sides = sorted([(from_village_id, from_district_id, -1, old), (member.village_id, member.district_id, 1, new)])
    districts = {from_district_id: [0] * (len(FIELDS) + 2), member.district_id: [0] * (len(FIELDS) + 2)}
    with connection.cursor() as cursor:
        for village_id, district_id, sign, figures in sides:
            values = [sign * figures.get(name, 0) for name in FIELDS]
            yes_now, target = _add(cursor, ADD_VILLAGE, ENSURE_VILLAGE, values, village_id)
            district = districts[district_id]
            district[1] += _crossed(target, yes_now - values[FIELDS.index("yes")], yes_now)
            district[2:] = [total + value for total, value in zip(district[2:], values, strict=True)]
        for district_id, values in sorted(districts.items()):
            if any(values):
                _add(cursor, ADD_DISTRICT, ENSURE_DISTRICT, values, district_id)
        delta = [new.get(name, 0) - old.get(name, 0) for name in FIELDS]
        if member.upload_id is not None and any(delta):
            _add(cursor, ADD_UPLOAD, ENSURE_UPLOAD, delta, member.upload_id)


IMPORTED_BY_VILLAGE = """
INSERT INTO districts_villagestats (village_id, district_id, listed, called, yes, no, wrong, unreachable, target)
SELECT village_id, %s, COUNT(*), 0, 0, 0, 0, 0, (SELECT target FROM districts_village v WHERE v.id = village_id)
FROM members_member WHERE upload_id = %s GROUP BY village_id
ON CONFLICT (village_id) DO UPDATE SET listed = districts_villagestats.listed + excluded.listed
"""


def members_imported(*, upload_id: int, district_id: int, imported: int, villages: int) -> None:
    """Count an upload's new members (all pending) and new villages: a fixed number of statements."""
    with connection.cursor() as cursor:
        if imported:
            cursor.execute(IMPORTED_BY_VILLAGE, [district_id, upload_id])
            _add(cursor, ADD_UPLOAD, ENSURE_UPLOAD, [imported, 0, 0, 0, 0, 0], upload_id)
        _add(cursor, ADD_DISTRICT, ENSURE_DISTRICT, [villages, 0, imported, 0, 0, 0, 0, 0], district_id)


def villages_created(*, district_id: int, count: int = 1) -> None:
    """Count new villages in their district's figures."""
    with connection.cursor() as cursor:
        _add(cursor, ADD_DISTRICT, ENSURE_DISTRICT, [count, 0, 0, 0, 0, 0, 0, 0], district_id)


def village_target_changed(*, village_id: int, district_id: int, before: int, after: int) -> None:
    """Keep the district's count of villages at their target right when a village's target changes."""
    with connection.cursor() as cursor:
        # Under the figures' row lock, which a YES being counted takes too: each sees the other's change.
        (yes,) = _add(cursor, SET_VILLAGE_TARGET, ENSURE_VILLAGE, [after], village_id)
        moved = _at_target(after, yes) - _at_target(before, yes)
        if moved:
            _add(cursor, ADD_DISTRICT, ENSURE_DISTRICT, [0, moved, *[0] * len(FIELDS)], district_id)


TAKE_VILLAGE = """
DELETE FROM districts_villagestats WHERE village_id = %s
RETURNING listed, called, yes, no, wrong, unreachable, target
"""


def villages_merged(*, village_id: int, into_id: int, district_id: int) -> int:
    """Move a village's figures into another village of its district, as its members were moved; the village
    is no longer counted. Locks as a call's outcome does: the villages, then the district.
    Returns the members on the list that moved."""
    with connection.cursor() as cursor:
        cursor.execute(TAKE_VILLAGE, [village_id])
        *values, target = cursor.fetchone() or [0] * (len(FIELDS) + 1)
        yes = values[FIELDS.index("yes")]
        yes_now, into_target = _add(cursor, ADD_VILLAGE, ENSURE_VILLAGE, values, into_id)
        at_target = _crossed(into_target, yes_now - yes, yes_now) - _at_target(target, yes)
        _add(cursor, ADD_DISTRICT, ENSURE_DISTRICT, [-1, at_target, *[0] * len(FIELDS)], district_id)
    return values[FIELDS.index("listed")]


def _at_target(target: int, yes: int) -> int:
    return int(0 < target <= yes)


def apply(
    *, village_id: int, district_id: int, delta: Counter, new_villages: int = 0, upload_id: int | None = None
) -> None:
    """Add `delta` to a village, its district and the upload that brought the member; keep the count of
    villages at their target right."""
    if not any(delta.values()) and not new_villages:
        return
    values = [delta.get(name, 0) for name in FIELDS]
    with connection.cursor() as cursor:
        yes_now, target = _add(cursor, ADD_VILLAGE, ENSURE_VILLAGE, values, village_id)
        crossed = _crossed(target, yes_now - delta.get("yes", 0), yes_now)
        _add(cursor, ADD_DISTRICT, ENSURE_DISTRICT, [new_villages, crossed, *values], district_id)
        if upload_id is not None and any(values):
            _add(cursor, ADD_UPLOAD, ENSURE_UPLOAD, values, upload_id)


def _add(cursor, add_sql, ensure_sql, values, key, *ensure_args):
    """Add to a summary row, creating it (all zeros) the first time; returns what the UPDATE returned."""
    cursor.execute(add_sql, [*values, key])
    row = cursor.fetchone()
    if row is None:
        cursor.execute(ensure_sql, [key, *ensure_args])
        cursor.execute(add_sql, [*values, key])
        row = cursor.fetchone()
    return row


ADD_VILLAGE = """
UPDATE districts_villagestats SET listed = listed + %s, called = called + %s, yes = yes + %s, no = no + %s,
    wrong = wrong + %s, unreachable = unreachable + %s
WHERE village_id = %s
RETURNING yes, target
"""
SET_VILLAGE_TARGET = "UPDATE districts_villagestats SET target = %s WHERE village_id = %s RETURNING yes"
ENSURE_VILLAGE = """
INSERT INTO districts_villagestats (village_id, district_id, listed, called, yes, no, wrong, unreachable, target)
SELECT id, district_id, 0, 0, 0, 0, 0, 0, target FROM districts_village WHERE id = %s
ON CONFLICT (village_id) DO NOTHING
"""
ADD_DISTRICT = """
UPDATE districts_districtstats SET villages = villages + %s, villages_at_target = villages_at_target + %s,
    listed = listed + %s, called = called + %s, yes = yes + %s, no = no + %s, wrong = wrong + %s,
    unreachable = unreachable + %s
WHERE district_id = %s RETURNING yes
"""
ADD_UPLOAD = """
UPDATE members_uploadstats SET listed = listed + %s, called = called + %s, yes = yes + %s, no = no + %s,
    wrong = wrong + %s, unreachable = unreachable + %s
WHERE upload_id = %s RETURNING yes
"""
ENSURE_UPLOAD = """
INSERT INTO members_uploadstats (upload_id, listed, called, yes, no, wrong, unreachable)
VALUES (%s, 0, 0, 0, 0, 0, 0) ON CONFLICT (upload_id) DO NOTHING
"""
ENSURE_DISTRICT = """
INSERT INTO districts_districtstats
    (district_id, villages, villages_at_target, listed, called, yes, no, wrong, unreachable)
VALUES (%s, 0, 0, 0, 0, 0, 0, 0, 0) ON CONFLICT (district_id) DO NOTHING
"""
UPSERT_DAY = """
INSERT INTO districts_districtday (district_id, day, calls, yes, no, wrong)
VALUES (%(district)s, %(day)s, %(calls)s, %(yes)s, %(no)s, %(wrong)s)
ON CONFLICT (district_id, day) DO UPDATE SET
    calls = districts_districtday.calls + excluded.calls, yes = districts_districtday.yes + excluded.yes,
    no = districts_districtday.no + excluded.no, wrong = districts_districtday.wrong + excluded.wrong
"""


def _crossed(target: int, yes_before: int, yes_after: int) -> int:
    """+1 when a village reaches its target, -1 when it falls back below (a target of 0 never counts)."""
    return _at_target(target, yes_after) - _at_target(target, yes_before)


def attempt_counted(*, district_id: int, day: date, outcome: str, sign: int = 1) -> None:
    """Count one call (or take one back, sign=-1) in the district's day."""
    counts = {name: sign * (outcome == name) for name in ("yes", "no", "wrong")}
    params = {"district": district_id, "day": day, "calls": sign, **counts}
    with connection.cursor() as cursor:
        cursor.execute(UPSERT_DAY, params)


def calls_moved_district(*, member_id: int, from_district_id: int, to_district_id: int) -> None:
    """A member staff moved to another district takes the count of their calls with them: a district's calls
    are its members' (as a rebuild counts them), and an undo takes the call back from where the member is."""
    from calls.models import CallAttempt  # calls builds on this module

    for created_at, outcome in CallAttempt.objects.filter(member_id=member_id, undone_at=None).values_list(
        "created_at", "outcome"
    ):
        day = timezone.localdate(created_at)
        attempt_counted(district_id=from_district_id, day=day, outcome=outcome, sign=-1)
        attempt_counted(district_id=to_district_id, day=day, outcome=outcome)


REBUILD_VILLAGES = """
INSERT INTO districts_villagestats (village_id, district_id, listed, called, yes, no, wrong, unreachable, target)
SELECT v.id, v.district_id,
       COUNT(m.id) FILTER (WHERE m.status <> 'removed'),
       COUNT(m.id) FILTER (WHERE m.status <> 'removed' AND m.attempt_count > 0),
       COUNT(m.id) FILTER (WHERE m.status = 'yes'),
       COUNT(m.id) FILTER (WHERE m.status = 'no'),
       COUNT(m.id) FILTER (WHERE m.status = 'wrong'),
       COUNT(m.id) FILTER (WHERE m.status = 'unreachable'),
       v.target
FROM districts_village v LEFT JOIN members_member m ON m.village_id = v.id
GROUP BY v.id, v.district_id, v.target
"""
REBUILD_DISTRICTS = """
INSERT INTO districts_districtstats
    (district_id, villages, villages_at_target, listed, called, yes, no, wrong, unreachable)
SELECT d.id, COUNT(v.id), COUNT(v.id) FILTER (WHERE v.target > 0 AND s.yes >= v.target),
       COALESCE(SUM(s.listed), 0), COALESCE(SUM(s.called), 0), COALESCE(SUM(s.yes), 0),
       COALESCE(SUM(s.no), 0), COALESCE(SUM(s.wrong), 0), COALESCE(SUM(s.unreachable), 0)
FROM districts_district d
LEFT JOIN districts_village v ON v.district_id = d.id
LEFT JOIN districts_villagestats s ON s.village_id = v.id
GROUP BY d.id
"""
REBUILD_UPLOADS = """
INSERT INTO members_uploadstats (upload_id, listed, called, yes, no, wrong, unreachable)
SELECT m.upload_id,
       COUNT(*) FILTER (WHERE m.status <> 'removed'),
       COUNT(*) FILTER (WHERE m.status <> 'removed' AND m.attempt_count > 0),
       COUNT(*) FILTER (WHERE m.status = 'yes'), COUNT(*) FILTER (WHERE m.status = 'no'),
       COUNT(*) FILTER (WHERE m.status = 'wrong'), COUNT(*) FILTER (WHERE m.status = 'unreachable')
FROM members_member m WHERE m.upload_id IS NOT NULL
GROUP BY m.upload_id
"""
REBUILD_DAYS = """
INSERT INTO districts_districtday (district_id, day, calls, yes, no, wrong)
SELECT m.district_id, DATE(a.created_at {tz}),
       COUNT(*), COUNT(*) FILTER (WHERE a.outcome = 'yes'), COUNT(*) FILTER (WHERE a.outcome = 'no'),
       COUNT(*) FILTER (WHERE a.outcome = 'wrong')
FROM calls_callattempt a JOIN members_member m ON m.id = a.member_id
WHERE a.undone_at IS NULL
GROUP BY m.district_id, DATE(a.created_at {tz})
"""


@transaction.atomic
def rebuild() -> None:
    """Recompute every figure from members and attempts (demo data, repairs, and the tests' reference)."""
    # Full recompute: lock out deltas while the tables are rewritten.
    tz = "AT TIME ZONE 'Asia/Kolkata'" if connection.vendor == "postgresql" else ", '+05:30'"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "LOCK TABLE districts_villagestats, districts_districtstats, districts_districtday, members_uploadstats"
            )
        for table in (
            "districts_villagestats",
            "districts_districtstats",
            "districts_districtday",
            "members_uploadstats",
        ):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        cursor.execute(REBUILD_VILLAGES)
        cursor.execute(REBUILD_DISTRICTS)
        cursor.execute(REBUILD_UPLOADS)
        cursor.execute(REBUILD_DAYS.format(tz=tz))
