from functools import wraps

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from controlroom.exports import file_name_part, xlsx_response
from controlroom.roles import Role, role_required
from districts import selectors, services
from districts.forms import MemberSearchForm, VillageMergeForm, VillageRenameForm
from districts.resources import (
    DistrictRollupResource,
    MemberFollowUpResource,
    VillageRollupResource,
)
from members import selectors as member_selectors
from members.models import MemberStatus

VIEWERS = (Role.DISTRICT_PRESIDENT, Role.STATE_LEADER, Role.SUPERVISOR)


def _sort(request) -> str:
    return request.GET.get("sort", "name")


@role_required(*VIEWERS)
def district_list(request):
    rows = selectors.district_rollup(request.user, _sort(request))
    if request.user.role == Role.DISTRICT_PRESIDENT and len(rows) == 1:
        return redirect("districts:detail", code=rows[0].obj.code)
    ctx = {"rows": rows, "totals": selectors.totals(rows), "sort": _sort(request)}
    ctx.update(trend=selectors.trend([row.obj for row in rows]), chart=selectors.chart_rows(rows))
    return render(request, "districts/_district_figures.html" if request.htmx else "districts/district_list.html", ctx)


@role_required(*VIEWERS)
def district_export(request):
    rows = selectors.district_rollup(request.user, _sort(request))
    return xlsx_response(
        request=request,
        resource=DistrictRollupResource(),
        rows=rows,
        footer=[selectors.totals(rows)],
        what="districts",
        filename="districts",
        sheet=_("Districts"),
    )


@role_required(*VIEWERS)
def district_detail(request, code):
    district = selectors.district_get_for_user(request.user, code)
    village_query = request.GET.get("village", "")[:100]
    villages = selectors.village_rollup(district, _sort(request), find=village_query)
    page = Paginator(villages, 100).get_page(request.GET.get("page"))
    rows = selectors.village_rows(page.object_list)
    ctx = {"district": district, "page": page, "rows": rows, "sort": _sort(request), "village_query": village_query}
    ctx.update(
        summary=selectors.district_stats(district),
        rejects=member_selectors.district_rejects_waiting(district),
        trend=selectors.trend([district]),
    )
    if request.htmx:
        return render(request, "districts/_village_figures.html", ctx)
    ctx.update(below_target=selectors.villages_below_target(district)[:10], search_form=MemberSearchForm())
    return render(request, "districts/district_detail.html", ctx)


@role_required(*VIEWERS)
def member_search(request, code=None):
    """Members of one district, or (without a code) of every district the user sees: the floor is rung about a
    number, not a district."""
    district = selectors.district_get_for_user(request.user, code) if code else None
    form = MemberSearchForm(request.GET or None)
    query, status = form.terms()
    if district is None:
        status = ""  # everyone in a status, across the state, is the dashboard's job
    page = selectors.member_search_page(request.user, district, query, request.GET.get("page"), status)
    ctx = {"district": district, "query": query, "status": status, "search_form": form, "page": page}
    ctx["can_edit"] = request.user.role in member_selectors.UPLOADERS
    if status:
        ctx["status_label"] = MemberStatus(status).label
    if district is not None and page.paginator.count:
        ctx["export_query"] = urlencode({"q": query, "status": status})
    return render(request, "districts/member_search.html", ctx)


@role_required(*VIEWERS)
def member_search_export(request, code):
    """The members a district's search found, all of them, with their last call: for following them up."""
    district = selectors.district_get_for_user(request.user, code)
    query, status = MemberSearchForm(request.GET or None).terms()
    members = selectors.member_search(request.user, district, query, status)
    name = "-".join(["members", district.code, *(file_name_part(part) for part in (status, query) if part)])
    sheet = f"{_('Members')} - {district.name}"
    return xlsx_response(
        request=request, resource=MemberFollowUpResource(), rows=members, what=name, filename=name, sheet=sheet
    )


@role_required(*VIEWERS)
def district_export_villages(request, code):
    district = selectors.district_get_for_user(request.user, code)
    rows = selectors.village_rows(selectors.village_rollup(district, _sort(request)))
    name = f"villages-{district.code}"
    return xlsx_response(
        request=request,
        resource=VillageRollupResource(),
        rows=rows,
        footer=[selectors.totals(rows)],
        what=name,
        filename=name,
        sheet=f"{_('Villages')} - {district.name}",
    )


def _follows_merges(view):
    """A village merged into another is gone: its old links (a bookmark, a shared link, Back) and its forms
    sent again lead to the village it went into, saying so, rather than to "page not found"."""

    @wraps(view)
    def wrapper(request, code, pk):
        try:
            return view(request, code, pk)
        except Http404:
            district = selectors.district_get_for_user(request.user, code)
            into = selectors.village_merged_into(request.user, district, pk)
            if into is None:
                raise
            messages.info(
                request, _("This village was merged into “%(into)s”: its members are here.") % {"into": into.name}
            )
            return redirect("districts:village", district.code, into.pk)

    return wrapper


@role_required(*VIEWERS)
@_follows_merges
def village_detail(request, code, pk):
    district = selectors.district_get_for_user(request.user, code)
    village = selectors.village_get_for_user(request.user, district, pk)
    page = Paginator(selectors.village_members(request.user, village), 50).get_page(request.GET.get("page"))
    can_edit = request.user.role in member_selectors.UPLOADERS
    ctx = {"district": district, "village": village, "page": page, "can_edit": can_edit}
    return render(request, "districts/village_detail.html", ctx)


@role_required(*member_selectors.UPLOADERS)
@_follows_merges
def village_merge(request, code, pk):
    """Choose the village to merge into (suggested look-alikes, or a name typed), confirm, merge."""
    district = selectors.district_get_for_user(request.user, code)
    village = selectors.village_get_for_user(request.user, district, pk)
    data = request.POST if request.method == "POST" else request.GET or None
    form = VillageMergeForm(data, village=village)
    into = form.cleaned_data["into"] if form.is_valid() else None
    if into is not None and request.method == "POST":
        return _merge(request, village, into)
    return _render_village_fix(request, village, form=form, into=into)


@require_POST
@role_required(*member_selectors.UPLOADERS)
@_follows_merges
def village_rename(request, code, pk):
    district = selectors.district_get_for_user(request.user, code)
    village = selectors.village_get_for_user(request.user, district, pk)
    form = VillageRenameForm(request.POST)
    if form.is_valid():
        try:
            services.village_rename(village_id=village.pk, name=form.cleaned_data["name"], actor=request.user)
        except services.VillageError as error:
            form.add_error("name", str(error))
    if not form.is_valid():
        return _render_village_fix(request, village, rename_form=form, status=422)
    messages.success(request, _("The name was corrected. Lists that write the old name still come here."))
    return redirect("districts:village", district.code, village.pk)


def _render_village_fix(request, village, form=None, into=None, rename_form=None, status=200):
    """The page to correct a village's name, or to merge it into another."""
    ctx = {
        "district": village.district,
        "village": village,
        "form": form or VillageMergeForm(village=village),
        "into": into,
        "rename_form": rename_form or VillageRenameForm(initial={"name": village.name}),
        "members": selectors.village_members(request.user, village).count(),
        "suggestions": selectors.village_merge_suggestions(village),
        "names": selectors.village_names(village.district),
    }
    return render(request, "districts/village_merge.html", ctx, status=status)


def _merge(request, village, into):
    try:
        moved = services.village_merge(village_id=village.pk, into_id=into.pk, actor=request.user)
    except services.VillageError as error:
        messages.error(request, str(error))
        return redirect("districts:village", village.district.code, village.pk)
    text = ngettext(
        "“%(village)s” was merged into “%(into)s”: %(count)s member moved here.",
        "“%(village)s” was merged into “%(into)s”: %(count)s members moved here.",
        moved,
    )
    messages.success(request, text % {"village": village.name, "into": into.name, "count": moved})
    return redirect("districts:village", village.district.code, into.pk)


@role_required(*VIEWERS)
@_follows_merges
def village_export(request, code, pk):
    district = selectors.district_get_for_user(request.user, code)
    village = selectors.village_get_for_user(request.user, district, pk)
    members = selectors.with_last_call(selectors.village_members(request.user, village))
    name = f"members-{district.code}-{file_name_part(village.name)}"
    sheet = f"{_('Members')} - {village.name}"
    return xlsx_response(
        request=request, resource=MemberFollowUpResource(), rows=members, what=name, filename=name, sheet=sheet
    )
