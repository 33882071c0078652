from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from calls import batching
from calls.models import CallAttempt, CallBatch, Shift
from calls.services import within_calling_hours
from controlroom.languages import in_reader_language
from controlroom.roles import Role
from districts.models import District, User
from members.models import Member, MemberChange


def callable_members(now=None):
    """Members any operator may be handed now (the floor's "ready to call"): not a personal call-back kept for
    another operator, which batches do not take either."""
    return batching.callable_by_anyone(now or timezone.now())


def queue_depth_by_district(districts):
    rows = callable_members().filter(district__in=districts).values("district").annotate(n=Count("id"))
    counts = {row["district"]: row["n"] for row in rows}
    return [(district, counts.get(district.pk, 0)) for district in districts]


def floor_operators() -> list[User]:
    """The operators, on shift first, each with `last_active_at`: the latest of their last call, the start of
    their last shift, and the last time their console took numbers or an outcome (which renews their batch's
    lease). So an operator idle since pressing Start shows as idle since then, even one waiting for calling
    hours to begin, who holds no batch; and a batch released keeps its last activity, not the last call's."""
    hour_ago = timezone.now() - timedelta(hours=1)
    holding = Member.objects.filter(batch__operator=OuterRef("pk"), batch__closed_at=None)
    holding = holding.values("batch__operator").annotate(n=Count("id")).values("n")
    # The last batch, open or released: once released, it still says when the console last took numbers.
    lease_ends = CallBatch.objects.filter(operator=OuterRef("pk")).order_by("-created_at").values("expires_at")[:1]
    shift_began = Shift.objects.filter(operator=OuterRef("pk")).order_by("-started_at").values("started_at")[:1]
    operators = list(
        User.objects.filter(role=Role.OPERATOR, is_active=True)
        .select_related("call_centre")
        .annotate(
            on_shift=Exists(Shift.objects.filter(operator=OuterRef("pk"), ended_at=None)),
            holding=Coalesce(Subquery(holding), 0),
            # An outcome undone is not a call, as on the productivity page and the operator's own counts.
            last_call_at=Max("attempts__created_at", filter=Q(attempts__undone_at=None)),
            calls_last_hour=Count("attempts", filter=Q(attempts__created_at__gte=hour_ago, attempts__undone_at=None)),
            lease_ends=Subquery(lease_ends),
            shift_began=Subquery(shift_began),
        )
        .order_by("-on_shift", "call_centre__name", "username")
    )
    lease, now = timedelta(minutes=settings.CALLS_IDLE_TIMEOUT_MINUTES), timezone.now()
    for operator in operators:
        leased = operator.lease_ends - lease if operator.lease_ends else None
        active = [operator.last_call_at, operator.shift_began, leased]
        operator.last_active_at = max((moment for moment in active if moment), default=None)
        operator.active_just_now = operator.last_active_at is not None and now - operator.last_active_at < timedelta(
            minutes=1
        )
    return operators


def floor_centres(operators, now) -> list:
    """The call centres of the floor's operators, read with them (no query more), each with `in_hours`: outside
    them nobody is handed numbers, which is why operators on shift can hold numbers and make no calls."""
    centres = {op.call_centre.pk: op.call_centre for op in operators if op.call_centre is not None}
    for centre in centres.values():
        centre.in_hours = within_calling_hours(centre, now)
    return sorted(centres.values(), key=str)


def served_districts(call_centre=None):
    districts = District.objects.filter(call_centres__isnull=False).distinct()
    if call_centre is not None:
        districts = call_centre.districts.all()
    return list(districts.in_reading_order())


@dataclass(frozen=True)
class Snapshot:
    """What the console shows around the member: batch progress and the operator's calls today."""

    done: int
    remaining: int
    today: dict
    undoable: int = 0  # this shift's calls still within the undo window

    @property
    def total(self) -> int:
        return self.done + self.remaining

    @property
    def position(self) -> int:
        return min(self.done + 1, self.total)


# Four counts in one round trip: this runs on every console request. "Done" counts the calls made in this
# batch, not the members: a member back in it (a call-back, a retry) is still to do, and calling them again is
# one more call, so the position moves on with every call and the total stays put until the batch is topped up.
# "Undoable" counts the calls Undo may take back, as `services.call_undo` looks for them: this shift's, within
# the undo window, while the operator has an open batch for the call's member to come back to (once calling
# hours are over, or the numbers released, there is none).
SNAPSHOT_SQL = """
SELECT 'remaining', COUNT(*) FROM members_member WHERE batch_id = %(batch)s
UNION ALL
SELECT 'done', COUNT(*) FROM calls_callattempt WHERE batch_id = %(batch)s AND undone_at IS NULL
UNION ALL
SELECT 'undoable', COUNT(*) FROM calls_callattempt
WHERE operator_id = %(operator)s AND created_at >= %(undo_since)s AND undone_at IS NULL
AND created_at >= (SELECT started_at FROM calls_shift WHERE operator_id = %(operator)s AND ended_at IS NULL)
AND EXISTS (SELECT 1 FROM calls_callbatch WHERE operator_id = %(operator)s AND closed_at IS NULL)
UNION ALL
SELECT outcome, COUNT(*) FROM calls_callattempt
WHERE operator_id = %(operator)s AND created_at >= %(since)s AND undone_at IS NULL GROUP BY outcome
"""


def console_snapshot(operator, batch=None) -> Snapshot:
    now = timezone.now()
    since = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    undo_since = now - timedelta(seconds=settings.CALLS_UNDO_SECONDS)
    # As the rows are stored: SQLite compares these raw parameters as text, so an IST offset made "today" empty
    # for the first five and a half hours of each day, and "+00:00" left out a call at midnight itself.
    adapt = connection.ops.adapt_datetimefield_value
    params = {
        "batch": batch.pk if batch else None,
        "operator": operator.pk,
        "since": adapt(since),
        "undo_since": adapt(undo_since),
    }
    with connection.cursor() as cursor:
        cursor.execute(SNAPSHOT_SQL, params)
        counts = dict(cursor.fetchall())
    remaining, done, undoable = counts.pop("remaining"), counts.pop("done"), counts.pop("undoable")
    return Snapshot(done=done, remaining=remaining, today=counts, undoable=undoable)


def member_attempts(member, limit: int | None = 10):
    """The member's calls, newest first (an outcome undone is not one); the latest `limit`, or all."""
    if not member.attempt_count:
        return []
    attempts = member.attempts.select_related("operator").filter(undone_at=None).order_by("-created_at")
    return list(attempts[:limit] if limit else attempts)


def number_checked(member) -> MemberChange | None:
    """The district's last word on the member's number, when it came after calls: corrected (the earlier calls
    were to another number), or checked and right (they were not reached on it)."""
    if member.number_since is None:
        return None
    kinds = [MemberChange.Kind.CORRECTED, MemberChange.Kind.CALLED_AGAIN]
    return member.changes.filter(kind__in=kinds).select_related("actor").order_by("-created_at").first()


def is_on_shift(operator) -> bool:
    return Shift.objects.filter(operator=operator, ended_at=None).exists()


def released_by(operator) -> User | None:
    """The supervisor who ended the operator's last shift from the floor; None when they stopped it themselves
    (Stop, logging out) or it lapsed."""
    last = Shift.objects.filter(operator=operator).select_related("ended_by").first()
    return last.ended_by if last is not None and last.ended_by_id not in (None, operator.pk) else None


def has_open_batch(operator) -> bool:
    return CallBatch.objects.filter(operator=operator, closed_at=None).exists()


def script_for(campaign, member) -> str:
    script = in_reader_language(campaign.script_hi, campaign.script_en)
    return script.replace("{name}", member.name).replace("{village}", member.village.name)


@dataclass
class OperatorDay:
    operator: User | None  # None: the whole floor's row under the operators'
    calls: int
    reached: int
    yes: int
    first_call: object
    last_call: object

    @property
    def name(self) -> str:
        if self.operator is None:
            return _("All operators")
        return self.operator.get_full_name() or self.operator.username

    @property
    def centre(self) -> str:
        return str(self.operator.call_centre) if self.operator and self.operator.call_centre else ""

    @property
    def yes_rate(self) -> float | None:
        return self.yes / self.reached if self.reached else None

    @property
    def per_hour(self) -> float | None:
        """Calls per hour from the first call to the last; None under a quarter of an hour, too soon to say (11
        calls in the first minutes are not 11 an hour, nor 600)."""
        hours = (self.last_call - self.first_call).total_seconds() / 3600
        return round(self.calls / hours, 1) if hours >= 0.25 else None


def operator_productivity(day) -> list[OperatorDay]:
    """Each operator's calls on one day (IST): one GROUP BY over that day's attempts."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    attempts = CallAttempt.objects.filter(
        created_at__gte=start, created_at__lt=start + timedelta(days=1), undone_at=None
    )
    rows = attempts.values("operator").annotate(
        calls=Count("id"),
        reached=Count("id", filter=Q(outcome__in=["yes", "no"])),
        yes=Count("id", filter=Q(outcome="yes")),
        first_call=Min("created_at"),
        last_call=Max("created_at"),
    )
    operators = User.objects.select_related("call_centre").in_bulk([row["operator"] for row in rows])
    result = [OperatorDay(operator=operators[row.pop("operator")], **row) for row in rows]
    return sorted(result, key=lambda r: -r.calls)


def productivity_total(rows: list[OperatorDay]) -> OperatorDay | None:
    """The floor's day: every operator's calls together, from the day's first call to its last."""
    if not rows:
        return None
    sums = {name: sum(getattr(row, name) for row in rows) for name in ("calls", "reached", "yes")}
    first, last = min(row.first_call for row in rows), max(row.last_call for row in rows)
    return OperatorDay(operator=None, first_call=first, last_call=last, **sums)
