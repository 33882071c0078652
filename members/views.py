from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from calls.selectors import member_attempts
from controlroom.exports import xlsx_response
from controlroom.roles import Role, role_required
from districts.selectors import district_get_for_user, village_get_for_user, village_names
from members import parsing, reports, selectors, services
from members.forms import (
    CallAgainForm,
    CorrectionsForm,
    CorrectNumberForm,
    MemberAddForm,
    MemberEditForm,
    RemoveMemberForm,
    ReplaceMemberForm,
    UploadFilterForm,
    UploadForm,
)
from members.models import MemberStatus, RefusedRow, Upload
from members.phone import InvalidMobile
from members.resources import MemberResource, RejectResource

VIEWERS = (Role.DISTRICT_PRESIDENT, Role.STATE_LEADER, Role.SUPERVISOR)
UPLOADERS = selectors.UPLOADERS


@role_required(*VIEWERS)
@require_GET
def upload_list(request):
    form = UploadFilterForm(request.GET, user=request.user)
    page = Paginator(selectors.upload_list(request.user, **form.chosen()), 50).get_page(request.GET.get("page"))
    own = selectors.upload_districts(request.user) if request.user.role == Role.DISTRICT_PRESIDENT else []
    several = request.user.role != Role.DISTRICT_PRESIDENT or len(own) > 1
    ctx = {"page": page, "can_upload": request.user.role in UPLOADERS, "own_districts": own}
    return render(request, "members/upload_list.html", {**ctx, "filter_form": form if several else None})


@role_required(*UPLOADERS)
@require_http_methods(["GET", "POST"])
def upload_new(request):
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = services.upload_create(user=request.user, district=data["district"], file=data["file"])
        return redirect("members:upload_detail", pk=upload.pk)
    return render(request, "members/upload_new.html", {"form": form})


@role_required(*VIEWERS)
@require_GET
def upload_detail(request, pk):
    upload = selectors.upload_get_for_user(request.user, pk)
    kind = request.GET.get("kind") if request.GET.get("kind") in RefusedRow.Kind.values else None
    refused = Paginator(selectors.upload_refused_rows(upload, kind), 50).get_page(request.GET.get("page"))
    can_act = request.user.role in UPLOADERS
    ctx = {"upload": upload, "refused": refused, "kind": kind, "can_act": can_act}
    # Whoever may import also says which look-alike villages are the district's own, in the Import form.
    ctx["choosing_villages"] = can_act and upload.status == Upload.Status.VALIDATED and upload.valid > 0
    return render(request, "members/upload_detail.html", ctx)


@role_required(*VIEWERS)
@require_GET
def upload_progress(request, pk):
    """The progress box, polled while a job runs; when the job moves on, the whole page reloads."""
    upload = selectors.upload_get_for_user(request.user, pk)
    if request.GET.get("status") != upload.status:
        return HttpResponseClientRefresh()
    return render(request, "members/_upload_progress.html", {"upload": upload})


@role_required(*UPLOADERS)
@require_POST
def upload_confirm(request, pk):
    upload = selectors.upload_get_for_user(request.user, pk)
    same_villages = request.POST.getlist("same_village")
    if not services.upload_confirm(upload=upload, user=request.user, same_villages=same_villages):
        upload.refresh_from_db(fields=["status"])
        if upload.status in (Upload.Status.IMPORTING, Upload.Status.IMPORTED):
            # A second tap on Import: the first one is being carried out, and the page shows how far it got.
            messages.info(request, _("This list is already being imported; it is imported only once."))
        else:
            messages.info(request, _("This upload was not waiting for confirmation, so nothing was done."))
    return redirect("members:upload_detail", pk=upload.pk)


@role_required(*UPLOADERS)
@require_POST
def upload_discard(request, pk):
    upload = selectors.upload_get_for_user(request.user, pk)
    services.upload_discard(upload=upload, user=request.user)  # the upload's page says it was discarded
    return redirect("members:upload_detail", pk=upload.pk)


@role_required(*VIEWERS)
@require_GET
def upload_report(request, pk):
    return reports.refused_rows_response(selectors.upload_get_for_user(request.user, pk), actor=request.user)


@role_required(*VIEWERS)
@require_GET
def upload_template(request):
    return reports.template_response()


@role_required(*VIEWERS)
@require_GET
def member_export(request, code):
    district = district_get_for_user(request.user, code)
    # The list as it stands, ready to upload again: not the members taken off it.
    members = district.members.exclude(status=MemberStatus.REMOVED).select_related("village", "district")
    members = members.order_by("id")
    name, sheet = f"members-{district.code}", f"{_('Members')} - {district.name}"
    return xlsx_response(
        request=request, resource=MemberResource(), rows=members, what=name, filename=name, sheet=sheet
    )


# --- rejects: wrong numbers and unreachable members, back with their district president ---

FIXERS = (Role.DISTRICT_PRESIDENT, Role.SUPERVISOR)
FIXES = {
    "correct": (
        CorrectNumberForm,
        services.member_correct_number,
        gettext_lazy("Number corrected: %(name)s will be called again."),
    ),
    "replace": (
        ReplaceMemberForm,
        services.member_replace,
        gettext_lazy("%(name)s was replaced; the new member will be called."),
    ),
    "remove": (RemoveMemberForm, services.member_remove, gettext_lazy("%(name)s was removed from the list.")),
    "call_again": (
        CallAgainForm,
        services.member_call_again,
        gettext_lazy("%(name)s will be called again on the same number."),
    ),
}


# A fix refused: what the rejects page shows beside the form that was sent, once, after the redirect to it.
FAILED_FIX = "rejects-failed-fix"


@role_required(*VIEWERS)
@require_GET
def rejects(request, code):
    district = district_get_for_user(request.user, code)
    page = selectors.district_rejects_page(district, request.GET.get("page"))
    failed = request.session.pop(FAILED_FIX, None)
    ctx = {"district": district, "page": page, "can_fix": request.user.role in FIXERS, "failed": failed}
    return render(request, "members/rejects.html", ctx)


@role_required(*VIEWERS)
@require_GET
def rejects_export(request, code):
    district = district_get_for_user(request.user, code)
    rows = selectors.district_rejects(district)
    name, sheet = f"rejects-{district.code}", f"{_('Rejects')} - {district.name}"
    return xlsx_response(request=request, resource=RejectResource(), rows=rows, what=name, filename=name, sheet=sheet)


@role_required(*FIXERS)
@require_POST
def reject_fix(request, pk, action):
    member = selectors.member_get_for_user(request.user, pk)
    go_on_at = selectors.next_reject(member)  # read before the fix takes this member off the page
    form_class, service, done = FIXES[action]
    form = form_class(request.POST)
    problem = " ".join(e for errors in form.errors.values() for e in errors)
    if form.is_valid():
        try:
            service(member_id=member.pk, actor=request.user, **form.cleaned_data)
        except (services.RejectError, InvalidMobile) as error:
            problem = str(error)
    if problem and selectors.is_reject(member.pk):
        # Shown beside the form that failed, with what was typed, on the page it was sent from: on a phone a
        # message at the top of a long page would be off screen. After a redirect, so that Back later does not
        # land on the browser's "confirm form resubmission".
        data = {key: value for key, value in request.POST.items() if key != "csrfmiddlewaretoken"}
        request.session[FAILED_FIX] = {"member": member.pk, "action": action, "problem": problem, "data": data}
        return redirect(_rejects_at(member.district.code, request.POST.get("page"), member.pk))
    if problem:  # Fixed meanwhile by someone else: the member is no longer on the page to show it beside.
        messages.error(request, f"{member.name}: {problem}")
    else:
        messages.success(request, done % {"name": member.name})
        # On to the next one, on the page the president was on: a long list is worked through one by one.
        return redirect(_rejects_at(member.district.code, request.POST.get("page"), go_on_at))
    return redirect(_rejects_at(member.district.code, request.POST.get("page"), member.pk))


def _rejects_at(code: str, page, member_id: int | None) -> str:
    url = reverse("members:rejects", args=[code])
    # ASCII digits of a sane length only: isdigit() alone takes "²", or thousands of digits, which int() refuses
    # after the fix was saved. Anything else is the first page.
    page = str(page or "")
    if page.isascii() and page.isdigit() and len(page) <= 9 and int(page) > 1:
        url += f"?page={int(page)}"
    return f"{url}#member-{member_id}" if member_id else url


@role_required(*UPLOADERS, Role.STATE_LEADER)
@require_GET
def member_detail(request, pk):
    """A member with every call and change, for whoever reads the district: also one taken off the list."""
    member = selectors.member_get_for_user(request.user, pk)
    can_edit = request.user.role in UPLOADERS and member.status != MemberStatus.REMOVED
    ctx = {"member": member, "can_edit": can_edit, **_member_history(member)}
    return render(request, "members/member_detail.html", ctx)


def _member_history(member) -> dict:
    # What happened to the member: every call, with the operators' notes, and every change of number.
    return {
        "attempts": member_attempts(member, limit=None),
        "changes": selectors.member_history(member),
        "came_in_for": selectors.replaced_by(member),
    }


@role_required(*UPLOADERS)
@require_http_methods(["GET", "POST"])
def member_edit(request, pk):
    member = selectors.listed_member_get_for_user(request.user, pk)
    back = _back(request, member)
    form = MemberEditForm(request.POST or None, member=member)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.member_edit(
                member_id=member.pk,
                name=data["name"],
                address=data["address"],
                village_id=data["village"].pk,
                mobile=data.get("mobile"),
                actor=request.user,
            )
        except services.RejectError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("%(name)s: saved.") % {"name": data["name"]})
            return redirect(back)
    return _render_member_edit(request, member, back, form=form)


@role_required(*UPLOADERS)
@require_POST
def member_withdraw(request, pk):
    member = selectors.listed_member_get_for_user(request.user, pk)
    back = _back(request, member)
    form = RemoveMemberForm(request.POST)
    if form.is_valid():
        try:
            services.member_withdraw(member_id=member.pk, reason=form.cleaned_data["reason"], actor=request.user)
        except services.RejectError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("%(name)s was taken off the list.") % {"name": member.name})
            return redirect(back)
    return _render_member_edit(request, member, back, withdraw_form=form)


def _render_member_edit(request, member, back, form=None, withdraw_form=None):
    ctx = {
        "member": member,
        "back": back,
        "form": form or MemberEditForm(member=member),
        "withdraw_form": withdraw_form or RemoveMemberForm(),
        "names": village_names(member.district),
        **_member_history(member),
    }
    failed = (form and form.errors) or (withdraw_form and withdraw_form.errors)
    return render(request, "members/member_edit.html", ctx, status=422 if failed else 200)


@role_required(*UPLOADERS)
@require_http_methods(["GET", "POST"])
def member_add(request, pk):
    """Enrol members one at a time into a village: after each, the form again, for the next."""
    village = village_get_for_user(request.user, None, pk)
    form = MemberAddForm(request.POST or None)
    if form.is_valid():
        try:
            member = services.member_add(village_id=village.pk, actor=request.user, **form.cleaned_data)
        except services.RejectError as error:
            form.add_error(None, str(error))
        else:
            text = _("%(name)s was added to %(village)s and will be called.")
            messages.success(request, text % {"name": member.name, "village": village.name})
            return redirect("members:member_add", village.pk)
    ctx = {"village": village, "form": form}
    return render(request, "members/member_add.html", ctx, status=422 if form.errors else 200)


def _back(request, member) -> str:
    """Where the page was opened from (a village page, a search), else the member's village."""
    back = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
        return back
    return reverse("districts:village", args=[member.district.code, member.village_id])


@role_required(*VIEWERS)
@require_GET
def uploaders(request):
    return render(request, "members/uploaders.html", {"rows": selectors.uploader_rates(request.user)})


@role_required(*FIXERS)
@require_POST
def rejects_upload(request, code):
    district = district_get_for_user(request.user, code)
    form = CorrectionsForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the filled-in rejects file to upload."))
        return redirect("members:rejects", code=district.code)
    try:
        result = services.rejects_correct_from_file(
            district=district, file=form.cleaned_data["file"], actor=request.user
        )
    except parsing.UnusableFile as problem:
        messages.error(request, problem.message)
        return redirect("members:rejects", code=district.code)
    _say_corrections(request, result)
    return redirect("members:rejects", code=district.code)


def _say_corrections(request, result: services.CorrectionsResult) -> None:
    """What a corrections file did: how many numbers were corrected (or why none was), then each row refused."""
    if result.corrected:
        corrected = ngettext(
            "%(count)s number corrected; that member will be called again.",
            "%(count)s numbers corrected; those members will be called again.",
            result.corrected,
        )
        messages.success(request, corrected % {"count": result.corrected})
    if result.already:
        already = ngettext(
            "%(count)s number in the file was corrected to it already: the file was sent before. Nothing changed.",
            "%(count)s numbers in the file were corrected to them already: the file was sent before. Nothing "
            "changed for them.",
            result.already,
        )
        messages.info(request, already % {"count": result.already})
    if result.problems and not (result.corrected or result.already):
        messages.warning(request, _("No number was corrected: the file's corrections could not be used (below)."))
    elif not (result.corrected or result.already):
        messages.warning(
            request,
            _("No corrected number was found in the file: type each new number in its “%(column)s” column.")
            % {"column": RejectResource().fields["corrected"].column_name},
        )
    for number, name, problem in result.problems:
        if name:
            text = _("Row %(number)s (%(name)s): %(problem)s") % {"number": number, "name": name, "problem": problem}
        else:
            text = _("Row %(number)s: %(problem)s") % {"number": number, "problem": problem}
        messages.warning(request, text)
