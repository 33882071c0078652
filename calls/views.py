import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from calls import selectors, services
from calls.forms import DayForm, MarkForm, call_back_choices
from calls.models import Outcome
from calls.resources import OperatorDayResource
from controlroom.exports import xlsx_response
from controlroom.roles import Role, role_required
from districts.models import User

ERRORS = {
    "taken back": gettext_lazy(
        "This number was taken back, by your supervisor or after a long pause, and may be with another operator. "
        "Nothing was saved."
    ),
    "nothing to undo": gettext_lazy("There is nothing to undo."),
    "number changed": gettext_lazy(
        "This member's number was changed while you were calling, and they will be called on the new one. "
        "Nothing was saved."
    ),
    "before stop": gettext_lazy(
        "Your last call was saved before your calling stopped, and can no longer be undone. Nothing was changed."
    ),
    "already moved on": gettext_lazy("Too late to undo: this member has already moved on."),
    "duplicate": gettext_lazy("This outcome was already saved."),
    "already marked": gettext_lazy(
        "This call was already saved as “%(outcome)s”, in another tab or on an earlier page. Here is the member "
        "you are on now."
    ),
    "shift ended": gettext_lazy(
        "Your calling stopped and your numbers went back to the pool: Stop was pressed (in another tab, or by "
        "your supervisor), there was a long pause, or calling hours ended. Press Start calling to go on."
    ),
    "saved": gettext_lazy("Your last call was saved."),
    "hours over": gettext_lazy("Too late to undo: calling hours are over, and your numbers went back to the pool."),
    "saved, shift ended": gettext_lazy(
        "Your last call was saved. Then your calling stopped and your numbers went back to the pool: Stop was "
        "pressed (in another tab, or by your supervisor), there was a long pause, or calling hours ended. Press "
        "Start calling to go on."
    ),
}


def _undo_refused(reason: str) -> str:
    if reason != "too late":
        return ERRORS[reason]
    minutes = max(1, settings.CALLS_UNDO_SECONDS // 60)
    text = ngettext(
        "Too late to undo: an outcome can be undone only within %(count)s minute of marking it.",
        "Too late to undo: an outcome can be undone only within %(count)s minutes of marking it.",
        minutes,
    )
    return text % {"count": minutes}


def _call_back_saved(when) -> str:
    """Says when the member will be called back: in India's time, with the month in the page's language."""
    when = formats.date_format(timezone.localtime(when), "j M, H:i")
    return _("Call-back saved for %(when)s.") % {"when": when}


def _today(snapshot):
    return [(outcome, snapshot.today.get(outcome, 0)) for outcome in Outcome]


def _console_context(request, batch, member, form=None):
    snapshot = selectors.console_snapshot(request.user, batch)
    ctx = {
        "member": member,
        "today": _today(snapshot),
        "today_total": sum(snapshot.today.values()),
        "centre": request.user.call_centre,
        # Offered only with something to take back: pressed on the first member, or once the hours are over and
        # the numbers back in the pool, it could only say there was nothing to undo.
        "can_undo": snapshot.undoable > 0,
    }
    if member is None:
        ctx["in_hours"] = services.within_calling_hours(request.user.call_centre, timezone.now())
        ctx["campaign"] = services.active_campaign()
        return ctx
    services.batch_top_up_soon(operator=request.user, remaining=snapshot.remaining)
    ctx.update(
        form=form or MarkForm(),
        submission_key=uuid.uuid4(),
        progress=snapshot,
        attempts=selectors.member_attempts(member),
        number_checked=selectors.number_checked(member),
        script=selectors.script_for(batch.campaign, member),
        call_back_choices=call_back_choices(request.user.call_centre, timezone.now()),
    )
    return ctx


def _render_console(request, form=None, status=200, handed=None, notice="shift ended"):
    batch, member = handed or services.console_next_member(operator=request.user)
    if batch is None:
        if not selectors.is_on_shift(request.user):
            return _render_home(request, notice=notice)
        batch, member = services.shift_resume(operator=request.user)
    template = "calls/_console.html" if request.htmx else "calls/console.html"
    return render(request, template, _console_context(request, batch, member, form), status=status)


def _released_by_supervisor(operator, notice: str) -> str | None:
    """What to say when it was a supervisor who took the operator's numbers back (the floor's Release batch)."""
    supervisor = selectors.released_by(operator)
    if supervisor is None:
        return None
    saved = f"{ERRORS['saved']} " if notice == "saved, shift ended" else ""
    text = _("Your supervisor (%(name)s) took your numbers back to the pool. Press Start calling to go on.")
    return saved + text % {"name": supervisor.get_full_name() or supervisor.username}


def _render_home(request, notice="shift ended"):
    if request.htmx:
        # The console asked for the next member, but the operator is no longer on shift: their numbers were
        # taken back by a supervisor, after being idle, or by Stop in another tab.
        if notice:
            messages.info(request, _released_by_supervisor(request.user, notice) or ERRORS[notice])
        return HttpResponseClientRedirect(reverse("calls:console"))
    snapshot = selectors.console_snapshot(request.user)
    centre = request.user.call_centre
    queue = selectors.queue_depth_by_district(selectors.served_districts(centre)) if centre else []
    ctx = {"centre": centre, "queue": queue, "today": _today(snapshot), "today_total": sum(snapshot.today.values())}
    return render(request, "calls/console_home.html", ctx)


@never_cache  # Back must not show a member already marked as if still waiting: the page is always fetched
@role_required(Role.OPERATOR)
def console(request):
    if request.user.call_centre is None:
        return _render_home(request)
    return _render_console(request)


@never_cache
@require_GET
@role_required(Role.OPERATOR)
def console_check(request):
    """Asked every 30 s by a console showing a member: are the operator's numbers still theirs?

    A supervisor's release, Stop in another tab or a long pause gives the number on screen back to the pool,
    where another operator may be handed it: the console then goes back to the start page and says why,
    rather than go on showing it until a key is pressed. Reading only, so it does not count as activity.
    """
    if selectors.has_open_batch(request.user):
        return HttpResponse(status=204)
    if selectors.is_on_shift(request.user):  # calling hours ended: the console says so itself
        return HttpResponseClientRedirect(reverse("calls:console"))
    return _render_home(request)


@require_POST
@role_required(Role.OPERATOR)
def start(request):
    if request.user.call_centre is not None:
        services.shift_start(operator=request.user)
    return redirect("calls:console")


@require_POST
@role_required(Role.OPERATOR)
def stop(request):
    released = services.shift_stop(operator=request.user)
    text = ngettext(
        "You have stopped calling. %(count)s number went back to the pool.",
        "You have stopped calling. %(count)s numbers went back to the pool.",
        released,
    )
    messages.info(request, text % {"count": released})
    return redirect("calls:console")


@never_cache
@require_POST
@role_required(Role.OPERATOR)
def mark(request):
    form = MarkForm(request.POST, centre=request.user.call_centre)
    if not form.is_valid():
        return _render_console(request, form=form, status=422 if request.htmx else 200)
    handed, notice = None, "saved, shift ended"
    try:
        handed = services.call_mark(operator=request.user, request=form.to_request())
        if form.cleaned_data["outcome"] == Outcome.CALL_BACK:
            # The next member comes up at once: without a word the operator cannot tell the call-back was kept,
            # nor for when (the time typed may have been misread). It says it was saved if the hours ended too.
            messages.info(request, _call_back_saved(form.cleaned_data["call_back_at"]))
            notice = "shift ended"  # and the start page, if calling stopped meanwhile, need not say so again
        elif handed[1] is None and not services.within_calling_hours(request.user.call_centre, timezone.now()):
            messages.info(request, ERRORS["saved"])  # calling hours ended with this outcome: it was saved all the same
    except services.NotYours as exc:
        raise Http404 from exc
    except services.AlreadyMarked as exc:
        messages.info(request, ERRORS["already marked"] % {"outcome": Outcome(exc.outcome).label})
        notice = None
    except services.CallError as exc:
        messages.warning(request, ERRORS[str(exc)])
        notice = None
    return _render_console(request, handed=handed, notice=notice) if request.htmx else redirect("calls:console")


@never_cache
@require_POST
@role_required(Role.OPERATOR)
def undo(request):
    form = None
    try:
        attempt = services.call_undo(operator=request.user)
    except services.CallError as exc:
        if str(exc) != "shift ended":
            messages.warning(request, _undo_refused(str(exc)))
        elif selectors.is_on_shift(request.user):  # the numbers went back when calling hours ended
            messages.warning(request, ERRORS["hours over"])
        # Otherwise the console says it itself, as it goes back to the start page.
    else:
        # Say what was taken back, and keep what was typed with it (the note, a call-back's time) for the outcome
        # marked instead.
        text = _("Undone: “%(outcome)s”. Mark this call again.") % {"outcome": attempt.get_outcome_display()}
        messages.info(request, text)
        initial = {"note": attempt.note}
        if attempt.call_back_at:
            initial.update(call_back_at=attempt.call_back_at, personal=attempt.kept_for_operator)
        form = MarkForm(initial=initial)
    return _render_console(request, form=form) if request.htmx else redirect("calls:console")


@never_cache  # asked again every 30 s by the page itself
@role_required(Role.SUPERVISOR)
def floor(request):
    operators, now = selectors.floor_operators(), timezone.localtime()
    ctx = {
        "operators": operators,
        "centres": selectors.floor_centres(operators, now),
        "queue": selectors.queue_depth_by_district(selectors.served_districts()),
        "campaign": services.active_campaign(),
        "now": now,
    }
    return render(request, "calls/floor.html", ctx)


def _day(request) -> tuple:
    """The day asked for, or today; with the form, whose errors say why a day asked for was not used."""
    form = DayForm(request.GET or None)
    day = form.cleaned_data["day"] if form.is_valid() and form.cleaned_data["day"] else timezone.localdate()
    return day, form


@role_required(Role.SUPERVISOR, Role.STATE_LEADER)
def productivity(request):
    day, form = _day(request)
    rows = selectors.operator_productivity(day)
    ctx = {"rows": rows, "total": selectors.productivity_total(rows), "day": day, "form": form}
    one_day = timedelta(days=1)
    ctx.update(previous=day - one_day, next=day + one_day if day < timezone.localdate() else None)
    return render(request, "calls/productivity.html", ctx)


@role_required(Role.SUPERVISOR, Role.STATE_LEADER)
def productivity_export(request):
    day, _form = _day(request)
    rows = selectors.operator_productivity(day)
    total = selectors.productivity_total(rows)
    name = f"activity-{day:%Y-%m-%d}"
    resource, sheet = OperatorDayResource(), f"{_('Productivity')} {day:%Y-%m-%d}"
    return xlsx_response(
        request=request,
        resource=resource,
        rows=rows,
        footer=[total] if total else [],
        what=name,
        filename=name,
        sheet=sheet,
        stamped=False,
    )


@require_POST
@role_required(Role.SUPERVISOR)
def release(request, operator_id):
    operator = get_object_or_404(User, pk=operator_id, role=Role.OPERATOR)
    released = services.shift_stop(operator=operator, by=request.user)
    name = operator.get_full_name() or operator.username
    text = ngettext(
        "%(name)s's batch was released: %(count)s number back in the pool.",
        "%(name)s's batch was released: %(count)s numbers back in the pool.",
        released,
    )
    messages.info(request, text % {"name": name, "count": released})
    return redirect("calls:floor")
