"""Writes of the calling floor: shifts, batches, outcomes, undo and stale-work release."""

import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Value, When
from django.utils import timezone

from calls import batching
from calls.models import FINAL, CallAttempt, CallBatch, Campaign, Outcome, Shift
from controlroom.roles import Role
from districts import rollup
from districts.models import CallCentre, User
from members.models import Member, MemberStatus

NOT_REACHED = {Outcome.NO_ANSWER, Outcome.BUSY, Outcome.SWITCHED_OFF}


class CallError(Exception):
    """An outcome or undo that cannot be accepted; the message is shown to the operator."""


class NotYours(CallError):
    """The member was never this operator's to see."""


class AlreadyMarked(CallError):
    """The operator already saved this member's call, from another tab or an older page: `outcome` is what."""

    def __init__(self, outcome: str):
        super().__init__("already marked")
        self.outcome = outcome


def _lease(now):
    return now + timedelta(minutes=settings.CALLS_IDLE_TIMEOUT_MINUTES)


def within_calling_hours(centre: CallCentre, now: datetime) -> bool:
    local = timezone.localtime(now).time()
    return centre.calling_starts <= local < centre.calling_ends


def active_campaign() -> Campaign:
    return Campaign.objects.filter(is_active=True).order_by("-created_at").first()


def batches_follow_active_campaign() -> int:
    """After a drive is switched on in the admin: the open batches are called for it from their next member, with
    its script, not for the old drive until every operator presses Stop. The call on screen at that moment is
    stored for the new drive too. With no drive on, batches keep theirs, and no new ones are built. Returns the
    batches moved over."""
    campaign = active_campaign()
    if campaign is None:
        return 0
    return CallBatch.objects.filter(closed_at=None).exclude(campaign=campaign).update(campaign=campaign)


def campaigns_lock() -> None:
    """Lock every drive until the transaction ends, so that whoever changes which drive runs waits for anyone
    else doing so, and checks the one-running rule against what they saved. Call inside a transaction."""
    # FOR NO KEY UPDATE: it still makes two switches wait for each other, but not a call being saved, whose
    # foreign key to its drive is checked (FOR KEY SHARE) at commit while its batch is locked.
    list(Campaign.objects.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def campaign_run(*, campaign_id: int) -> Campaign:
    """Make this drive the running one, and the running one stop, together; the open batches follow it. Every
    drive is locked first: two switches at once run one after the other, not into the one-running constraint."""
    campaigns_lock()
    campaign = Campaign.objects.get(pk=campaign_id)
    if not campaign.runnable:
        raise CallError("not runnable")
    Campaign.objects.filter(is_active=True).exclude(pk=campaign_id).update(is_active=False)
    Campaign.objects.filter(pk=campaign_id).update(is_active=True)
    campaign.is_active = True
    batches_follow_active_campaign()
    return campaign


@transaction.atomic
def shift_start(*, operator: User, now: datetime | None = None) -> Shift:
    """Put the operator on the floor and give them a batch. Idempotent: a second start keeps the open shift."""
    now = now or timezone.now()
    shift, _ = Shift.objects.get_or_create(operator=operator, ended_at=None, defaults={"started_at": now})
    batch_build(operator_ids=[operator.pk], now=now)
    return shift


@transaction.atomic
def shift_stop(*, operator: User, now: datetime | None = None, by: User | None = None) -> int:
    """Take the operator off the floor; their unfinished numbers go back to the pool. `by`: the supervisor who
    released them, which their console then says."""
    now = now or timezone.now()
    Shift.objects.filter(operator=operator, ended_at=None).update(ended_at=now, ended_by=by)
    batches = CallBatch.objects.filter(operator=operator, closed_at=None)
    return batch_release(batches=batches, now=now, by=by or operator)


def _open_batches_for(operator_ids, now):
    """Open batches (one per operator on shift within calling hours), creating the missing ones."""
    # Exists, not a join: `shifts__ended_at=None` also matches an operator with no shift at all (a LEFT JOIN's
    # empty row), who would be handed a batch without ever pressing Start.
    open_shift = Exists(Shift.objects.filter(operator=OuterRef("pk"), ended_at=None))
    on_shift = User.objects.filter(open_shift, role=Role.OPERATOR, is_active=True, call_centre__isnull=False)
    on_shift = on_shift.select_related("call_centre")
    if operator_ids is not None:
        on_shift = on_shift.filter(pk__in=operator_ids)
    operators = [op for op in on_shift if within_calling_hours(op.call_centre, now)]
    campaign = active_campaign()
    if not operators or campaign is None:
        return []
    have = set(CallBatch.objects.filter(operator__in=operators, closed_at=None).values_list("operator_id", flat=True))
    new = [
        CallBatch(operator=op, call_centre=op.call_centre, campaign=campaign, expires_at=_lease(now))
        for op in operators
        if op.pk not in have
    ]
    CallBatch.objects.bulk_create(new, ignore_conflicts=True)
    return list(CallBatch.objects.filter(operator__in=operators, closed_at=None))


@transaction.atomic
def batch_build(*, operator_ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Top up the batches of operators on shift (all of them, or these). Safe to run concurrently."""
    now = now or timezone.now()
    batches = _open_batches_for(operator_ids, now)
    # Only batches running low, by the periodic builder too: one topped up to the full size after every call
    # made the console's "number x of y" grow with each call.
    size, below = settings.CALLS_BATCH_SIZE, settings.CALLS_TOP_UP_BELOW
    return batching.fill(batches=batches, size=size, now=now, wait=operator_ids is not None, below=below)


def batch_release(*, batches, now: datetime | None = None, by: User | None = None) -> int:
    """Close these batches; members not yet called go back to the pool. Returns members released. `by`: who
    released them (the operator's Stop, a supervisor), None when it was the floor's own rules."""
    return _release(batches, now or timezone.now(), by)[0]


def _release(batches, now: datetime, by: User | None) -> tuple[int, list[int]]:
    """Close the batches still open and put their members back in the pool: (members released, the operators
    whose batches were closed)."""
    with transaction.atomic():
        closing = list(batches.filter(closed_at=None).select_for_update().values_list("pk", "operator_id"))
        ids = [pk for pk, _operator in closing]
        released = Member.objects.filter(batch_id__in=ids, status=MemberStatus.IN_BATCH).update(
            batch=None,
            # A personal call-back stays its operator's: due again for them, not stranded in the common pool.
            status=Case(
                When(reserved_for__isnull=False, then=Value(MemberStatus.RETRY)), default=Value(MemberStatus.PENDING)
            ),
            status_changed_at=now,
            status_changed_by=by,
            updated_at=now,
        )
        CallBatch.objects.filter(pk__in=ids).update(closed_at=now)
    return released, [operator for _pk, operator in closing]


def batch_release_stale(*, now: datetime | None = None) -> int:
    """Release every batch whose operator has been idle past the lease, and end their shift; end the shifts
    that calling hours ended."""
    now = now or timezone.now()
    stale = CallBatch.objects.filter(closed_at=None, expires_at__lt=now)
    # The shifts of the operators whose batches were released, as found under the batches' lock: not of one
    # whose lease an outcome renewed meanwhile, left with an open batch and no shift (no top-ups, no undo).
    released, operators = _release(stale, now, by=None)
    Shift.objects.filter(operator_id__in=operators, ended_at=None).update(ended_at=now)
    shifts_end_with_the_hours(now=now)
    return released


def shifts_end_with_the_hours(*, now: datetime) -> int:
    """End the open shifts that began before their call centre's calling hours last ended, once their numbers
    are back in the pool (the hours' end releases a batch at its next outcome, idleness at the lease's end).

    Most operators go home at the end of the day without pressing Stop. Left open, their shift showed them on
    the floor all night, and the next morning's top-up handed each a batch that waited, uncalled, for the idle
    release. A shift begun since the hours ended is someone waiting for them to begin, and stays open."""
    open_batch = Exists(CallBatch.objects.filter(operator=OuterRef("operator"), closed_at=None))
    ended = 0
    for ends in CallCentre.objects.values_list("calling_ends", flat=True).distinct():
        shifts = Shift.objects.filter(~open_batch, ended_at=None, operator__call_centre__calling_ends=ends)
        ended += shifts.filter(started_at__lt=_hours_last_ended(ends, now)).update(ended_at=now)
    return ended


def _hours_last_ended(ends, now: datetime) -> datetime:
    """The last moment, up to `now`, at which calling hours ending at the time of day `ends` ended."""
    local = timezone.localtime(now)
    today = timezone.make_aware(datetime.combine(local.date(), ends))
    return today if today <= now else today - timedelta(days=1)


@dataclass(frozen=True)
class MarkRequest:
    member_id: int
    outcome: str
    note: str = ""
    call_back_at: datetime | None = None
    personal: bool = False
    submission_key: uuid.UUID | None = None
    number: str = ""  # the number the console showed, if it says: an outcome for a number changed since is refused


def _next_state(member: Member, request: MarkRequest, operator: User, now: datetime) -> dict:
    """The member's fields after this outcome, by the outcome rules."""
    state = {"next_call_at": None, "reserved_for": None}
    if request.outcome in FINAL:
        state["status"] = FINAL[request.outcome]
    elif request.outcome == Outcome.CALL_BACK:
        if request.call_back_at is None:  # retried with no time, no batch would ever take the member again
            raise ValueError("A call-back needs the time to call back.")
        state.update(status=MemberStatus.RETRY, next_call_at=request.call_back_at)
        state["reserved_for"] = operator if request.personal else None
    else:
        earlier = member.attempts.filter(outcome__in=NOT_REACHED, undone_at=None)
        if member.number_since is not None:  # only calls to the corrected number count
            earlier = earlier.filter(created_at__gte=member.number_since)
        missed = earlier.count() + 1
        if missed >= settings.CALLS_MAX_ATTEMPTS:
            state["status"] = MemberStatus.UNREACHABLE
        else:
            cooldown = timedelta(minutes=settings.CALLS_RETRY_COOLDOWN_MINUTES)
            state.update(status=MemberStatus.RETRY, next_call_at=now + cooldown)
    return state


def _lock_open_batch(operator: User) -> CallBatch | None:
    """Lock the operator's open batch. Everything that moves members in or out of a batch (outcome, undo,
    release, the builder) locks the batch before its members, so none of them can deadlock another."""
    batches = CallBatch.objects.select_for_update(no_key=True, of=("self",)).select_related("campaign")
    batches = batches.filter(operator=operator, closed_at=None)
    batch = batches.first()
    if batch is None and CallBatch.objects.filter(operator=operator, closed_at=None).exists():
        # The batch moved to another drive (`campaign_run`) while this waited for its lock. PostgreSQL then
        # rechecks the join with the drive read before the wait, which no longer matches, and finds nothing.
        # Asked again, after that switch committed, it finds the batch and its new drive.
        batch = batches.first()
    return batch


def _claim_for_marking(operator: User, member_id: int, now: datetime) -> tuple[Member, int]:
    """Lock the member if it is still this operator's to mark: the one their batch shows them, or the one it
    showed before it was released, still untaken, if not long ago (a call may outlast the idle release, but an
    outcome sent hours after Stop is not one). Not another of the batch's members: the console never showed
    them, so an outcome for one was never a call. Returns the member with the campaign it was called for: its
    batch's, even when that batch was released since."""
    batch = _lock_open_batch(operator)
    candidates = Member.objects.select_for_update().filter(pk=member_id)
    shown_now = batch is not None and batch.current_id == member_id
    member = candidates.filter(batch=batch, status=MemberStatus.IN_BATCH).first() if shown_now else None
    if member is not None:
        member.batch = batch
        return member, batch.campaign_id
    # Locked: of two pages of this member sent at once (two tabs), the later reads the batch the earlier moved on.
    last_batch = CallBatch.objects.select_for_update().filter(operator=operator).order_by("-created_at")
    last = last_batch.values("pk", "current_id", "campaign_id", "closed_at").first()
    if last is None or last["current_id"] != member_id:
        # By a subquery: an id no bigint can hold finds nothing, where a plain member_id lookup would raise.
        member = Member.objects.filter(pk=member_id).values("pk")
        earlier = CallAttempt.objects.filter(operator=operator, member__in=member, undone_at=None)
        earlier = earlier.order_by("-created_at").first()
        if earlier is not None:
            raise AlreadyMarked(earlier.outcome)
        raise NotYours
    grace = timedelta(minutes=settings.CALLS_IDLE_TIMEOUT_MINUTES)
    closed_at = last["closed_at"]
    if closed_at is not None and closed_at < now - grace:
        raise CallError("taken back")
    untaken = Q(batch=None, status__in=[MemberStatus.PENDING, MemberStatus.RETRY])
    untaken &= Q(reserved_for=None) | Q(reserved_for=operator)  # their own call-back is kept for them
    if closed_at is not None:
        # Not moved since the release put it back: not handed to someone else and called (or released) since.
        untaken &= Q(status_changed_at__lte=closed_at)
    member = candidates.filter(untaken).first()
    if member is None:
        raise CallError("taken back")
    # Moved on, as an outcome moves an open batch on: another page of this member (another tab, an older page)
    # is then told the call was saved, not stored as a second call.
    CallBatch.objects.filter(pk=last["pk"]).update(current=None)
    return member, last["campaign_id"]


@contextmanager
def _one_submission(operator: User, request: MarkRequest):
    """The transaction of one submitted form, whose key the database keeps unique.

    A key already taken aborts the whole transaction, which then says whose the key was; a savepoint around
    the insert would cost two more round trips on every outcome to serve this rare case.
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        if _already_stored(operator, request) is None:  # raises NotYours for another operator's form
            raise
        raise CallError("duplicate") from exc


def call_record_outcome(*, operator: User, request: MarkRequest, now: datetime | None = None) -> CallAttempt:
    """Store one attempt, move the member on and the operator's batch to its next member, all in one
    transaction. Exactly once per submission key."""
    with _one_submission(operator, request):
        return _record_outcome(operator, request, now or timezone.now())[0]


def call_mark(*, operator: User, request: MarkRequest) -> tuple[CallBatch | None, Member | None]:
    """The console's post: store the outcome (exactly once), then the batch and the member to show next."""
    with _one_submission(operator, request):
        _, batch = _record_outcome(operator, request, timezone.now())
        if batch is None:  # a resubmitted form, or a member no longer in the batch: read the console afresh
            return console_next_member(operator=operator)
        return batch, batch.current


def _record_outcome(operator, request, now) -> tuple[CallAttempt, CallBatch | None]:
    """The attempt, and the operator's batch when this outcome moved it on (its next member as `current`)."""
    try:
        member, campaign_id = _claim_for_marking(operator, request.member_id, now)
    except CallError:
        # A member no longer ours to mark: most often because this very form was saved already (a double click,
        # a retried request, a twin that held the batch's lock first). Then the answer is that attempt.
        previous = _already_stored(operator, request)
        if previous is None:
            raise
        return previous, None
    if request.number and request.number != member.mobile:
        # Staff changed the number while it was being called (which takes the member out of the batch): this
        # outcome is the old number's, and the member is called again on the new one.
        raise CallError("number changed")
    batch, before = member.batch, (member.status, member.attempt_count)
    state = _next_state(member, request, operator, now)
    attempt = _store_attempt(
        operator, member, request, batch=batch, campaign_id=campaign_id, status=state["status"], now=now
    )
    _move_member(member, operator, state, now)
    if batch is not None:
        batch.current = _advance(batch, operator, now, expires_at=_lease(now))
    # Last: the rollup rows are shared by every operator calling the district, so hold their locks briefly.
    after = (state["status"], before[1] + 1)
    rollup.member_moved(member, before=before, after=after)
    rollup.attempt_counted(district_id=member.district_id, day=timezone.localdate(now), outcome=request.outcome)
    return attempt, batch


def _advance(batch: CallBatch, operator: User, now: datetime, **also) -> Member | None:
    """Make the batch's next member current (one UPDATE, setting `also` too). The caller holds the batch's lock.

    Once calling hours are over nobody is handed another number: the batch goes back to the pool instead, and
    the operator, still on shift, gets a new one when the hours begin again (`shift_resume`)."""
    centre = operator.call_centre
    if centre is None or not within_calling_hours(centre, now):
        batch_release(batches=CallBatch.objects.filter(pk=batch.pk), now=now)
        # Moved on from the member just marked: another page of it is told the call was saved, not taken for a
        # late outcome of a released batch and stored as a second call.
        CallBatch.objects.filter(pk=batch.pk).update(current=None)
        return None
    member = _claim_next(batch, operator, now)
    if member is None and batch_build(operator_ids=[operator.pk], now=now):
        member = _claim_next(batch, operator, now)
    CallBatch.objects.filter(pk=batch.pk).update(current=member, **also)
    return member


def batch_top_up_soon(*, operator: User, remaining: int) -> None:
    """Ask the worker to top the batch up as it drops below the mark, while the operator still has a few
    numbers to call.

    Only the page showing the batch one below the mark asks (a reload of that page asks again, harmlessly), not
    every page below it: each ask is a build for the worker. A batch that runs dry all the same, say because the
    ask was lost with the broker, is topped up by the outcome that empties it.
    """
    from calls.tasks import batch_top_up

    if remaining == settings.CALLS_TOP_UP_BELOW - 1:
        # Robust: with the broker down the outcome is already saved and the page must still load; beat's
        # periodic build tops the batch up once the broker is back.
        transaction.on_commit(lambda: batch_top_up.delay(operator.pk), robust=True)


def _already_stored(operator, request) -> CallAttempt | None:
    previous = CallAttempt.objects.filter(submission_key=request.submission_key).first()
    if previous is not None and previous.operator_id != operator.pk:
        raise NotYours
    return previous


def _store_attempt(operator, member, request, *, batch, campaign_id, status, now):
    return CallAttempt.objects.create(
        member=member,
        operator=operator,
        campaign_id=campaign_id,
        batch=batch,
        outcome=request.outcome,
        note=request.note,
        call_back_at=request.call_back_at if request.outcome == Outcome.CALL_BACK else None,
        result_status=status,
        kept_for_before_id=member.reserved_for_id,
        submission_key=request.submission_key,
        created_at=now,
    )


def _move_member(member, operator, state, now):
    for field, value in state.items():
        setattr(member, field, value)
    member.batch = None
    member.attempt_count = F("attempt_count") + 1
    member.status_changed_at, member.status_changed_by = now, operator
    member.updated_at = now
    fields = [*state, "batch", "attempt_count", "status_changed_at", "status_changed_by", "updated_at"]
    member.save(update_fields=fields)


@transaction.atomic
def call_undo(*, operator: User, now: datetime | None = None) -> CallAttempt:
    """Take back the operator's last outcome within the undo window; the member becomes current again."""
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.CALLS_UNDO_SECONDS)
    batch = _lock_open_batch(operator)
    # Only this shift's: one of an earlier shift, even a minute ago before Stop and Start, is not what the
    # operator means (and its member went back to the pool with that shift's batch).
    shift_began = Subquery(Shift.objects.filter(operator=operator, ended_at=None).values("started_at")[:1])
    attempts = CallAttempt.objects.select_for_update().filter(operator=operator, undone_at=None, created_at__gte=since)
    attempt = attempts.filter(created_at__gte=shift_began).order_by("-created_at").first()
    if batch is None:  # released meanwhile, by a supervisor, Stop in another tab, or a long pause
        raise CallError("shift ended")
    if attempt is None:
        older = CallAttempt.objects.filter(
            operator=operator, undone_at=None, created_at__lt=since, created_at__gte=shift_began
        )
        if older.exists():
            raise CallError("too late")
        # A call seconds old, before a Stop pressed by mistake and Start again: not "nothing to undo".
        raise CallError("before stop" if attempts.exists() else "nothing to undo")
    member = Member.objects.select_for_update().get(pk=attempt.member_id)
    untouched = member.status == attempt.result_status and member.batch_id is None
    if not untouched or member.attempts.filter(created_at__gt=attempt.created_at).exists():
        raise CallError("already moved on")
    before = (member.status, member.attempt_count)
    attempt.kept_for_operator = member.reserved_for_id == operator.pk  # a personal call-back: the form offers it again
    kept_for = attempt.kept_for_before_id
    due = _call_back_time(member, before=attempt) if kept_for else None
    _put_back(member, batch, operator, now, kept_for_id=kept_for, due=due)
    attempt.undone_at = now
    attempt.save(update_fields=["undone_at"])
    batch.current = member
    batch.save(update_fields=["current"])
    after = (member.status, member.attempt_count)
    rollup.member_moved(member, before=before, after=after)
    day = timezone.localdate(attempt.created_at)
    rollup.attempt_counted(district_id=member.district_id, day=day, outcome=attempt.outcome, sign=-1)
    return attempt


def _call_back_time(member, *, before) -> datetime | None:
    """When the personal call-back the member was before this call was due: the time asked for in that call."""
    earlier = member.attempts.filter(undone_at=None, outcome=Outcome.CALL_BACK, created_at__lt=before.created_at)
    return earlier.order_by("-created_at").values_list("call_back_at", flat=True).first()


def _put_back(member, batch, operator, now, kept_for_id, due):
    """The member back in the batch as before the call: a personal call-back still kept for its operator, and due
    when it was (released before it is called, it waits for them as a due call-back does, for the time left of
    its grace, not with no time to be due at)."""
    member.status, member.batch, member.attempt_count = MemberStatus.IN_BATCH, batch, member.attempt_count - 1
    member.next_call_at, member.reserved_for_id = (due or now) if kept_for_id else None, kept_for_id
    member.status_changed_at, member.status_changed_by, member.updated_at = now, operator, now
    fields = ["status", "batch", "attempt_count", "next_call_at", "reserved_for", "status_changed_at"]
    member.save(update_fields=[*fields, "status_changed_by", "updated_at"])


def console_next_member(*, operator: User, now: datetime | None = None) -> tuple[CallBatch | None, Member | None]:
    """The operator's open batch and the member they work on now: the current one, or the next claimed."""
    batches = CallBatch.objects.select_related("campaign", "current__village", "current__district")
    batch = batches.filter(operator=operator, closed_at=None).first()
    if batch is None:
        return None, None
    current = batch.current
    if current is not None and current.batch_id == batch.pk and current.status == MemberStatus.IN_BATCH:
        return batch, current
    now = now or timezone.now()
    with transaction.atomic():
        batch = _lock_open_batch(operator)  # afresh: it may have been released since it was read
        if batch is None:
            return None, None
        # The console asks again while the batch is empty (every 30 s): waiting there is not being idle.
        batch.current = _advance(batch, operator, now, expires_at=_lease(now))
    return batch, batch.current


def shift_resume(*, operator: User, now: datetime | None = None) -> tuple[CallBatch | None, Member | None]:
    """An operator on shift without a batch (calling hours ended, or have not begun) gets one once numbers are
    handed out again, and with it the member to call."""
    batch_build(operator_ids=[operator.pk], now=now)
    return console_next_member(operator=operator, now=now)


def _claim_next(batch, operator: User, now: datetime) -> Member | None:
    """The batch's next member, locked. Those with a time come first, in the order they fell due: a call-back or
    retry that came due while in the batch, and the operator's own call-backs that came due since (taken into
    the batch here, or they would wait for the next top-up, maybe twenty calls on): each was promised that
    call and has waited longest. Then the others, in the order they were listed."""
    # SKIP LOCKED: a member being released or marked elsewhere right now is passed over, never waited on.
    queue = Member.objects.select_for_update(skip_locked=True, of=("self",)).select_related("village", "district")
    own_due = Q(reserved_for=operator, status=MemberStatus.RETRY, next_call_at__lte=now, batch=None)
    queue = queue.filter(Q(batch=batch, status=MemberStatus.IN_BATCH) | own_due)
    member = queue.order_by(F("next_call_at").asc(nulls_last=True), "id").first()
    if member is not None and member.batch_id != batch.pk:
        Member.objects.filter(pk=member.pk).update(**batching.handed_to(batch, operator.pk, now))
        member.batch, member.status = batch, MemberStatus.IN_BATCH
    return member
