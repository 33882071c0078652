from collections import defaultdict
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.shortcuts import get_object_or_404

from calls.models import CallAttempt, Outcome
from controlroom.roles import Role
from districts.models import District, User
from members.models import REJECTS, Member, MemberChange, MemberStatus, RefusedRow, Upload, UploadStats

UPLOADERS = (Role.DISTRICT_PRESIDENT, Role.SUPERVISOR)


def upload_list(user, *, district=None, status: str = ""):
    """Every upload the user may see (of `district`, in `status`, if given), newest first, with what the list
    shows in the same query."""
    uploads = Upload.objects.for_user(user).select_related("district", "uploaded_by")
    if district is not None:
        uploads = uploads.filter(district=district)
    if status:
        uploads = uploads.filter(status=status)
    return uploads.order_by("-created_at", "-pk")


def upload_get_for_user(user, pk: int) -> Upload:
    """The access helper for one upload: 404 outside the user's districts."""
    queryset = Upload.objects.for_user(user).select_related("district", "uploaded_by", "confirmed_by")
    return get_object_or_404(queryset, pk=pk)


def upload_refused_rows(upload: Upload, kind: str | None = None):
    rows = RefusedRow.objects.filter(upload=upload)
    return rows.filter(kind=kind) if kind else rows


def upload_districts(user):
    """Districts the user may upload for: any for supervisors, their own for presidents, none for others."""
    if user.role not in UPLOADERS:
        return District.objects.none()
    return District.objects.for_user(user).in_reading_order()


def member_get_for_user(user, pk: int) -> Member:
    """The access helper for one member: 404 outside the user's districts, and always for operators."""
    return get_object_or_404(Member.objects.for_user(user).select_related("village", "district"), pk=pk)


def listed_member_get_for_user(user, pk: int) -> Member:
    """`member_get_for_user`, for a member still on the list: one taken off has nothing left to correct."""
    members = Member.objects.for_user(user).exclude(status=MemberStatus.REMOVED)
    return get_object_or_404(members.select_related("village", "district"), pk=pk)


def is_reject(member_id: int) -> bool:
    """Whether the member is still waiting for its district president to fix it."""
    return Member.objects.filter(pk=member_id, status__in=REJECTS).exists()


def district_rejects_waiting(district) -> int:
    return Member.objects.filter(district=district, status__in=REJECTS).count()


def next_reject(member) -> int | None:
    """The reject listed after this one (in `district_rejects`' order): where the president goes on once it is
    fixed and gone from the page."""
    village = member.village.name
    after = (
        Q(village__name__gt=village)
        | Q(village__name=village, name__gt=member.name)
        | Q(village__name=village, name=member.name, pk__gt=member.pk)
    )
    rejects = Member.objects.filter(district_id=member.district_id, status__in=REJECTS).filter(after)
    return rejects.order_by("village__name", "name", "id").values_list("pk", flat=True).first()


def district_rejects(district):
    """Wrong numbers and unreachable members of a district, each with the last call's note, date and operator."""
    last = CallAttempt.objects.filter(member=OuterRef("pk"), undone_at=None).order_by("-created_at")
    return (
        Member.objects.filter(district=district, status__in=REJECTS)
        .select_related("village")
        .annotate(
            last_note=Subquery(last.values("note")[:1]),
            last_call_at=Subquery(last.values("created_at")[:1]),
            last_operator=Subquery(last.values("operator__username")[:1]),
        )
        .order_by("village__name", "name", "id")
    )


def district_rejects_page(district, number) -> Page:
    """One page (50) of `district_rejects`, each with the outcomes of its calls on the number it has now, oldest
    first, as `tries`: what a president reads before sending a number back to be called, or looking for another
    (one query for the page)."""
    page = Paginator(district_rejects(district), 50).get_page(number)
    members = list(page)  # the page keeps this list: the template reads these members, with their tries
    tries = defaultdict(list)
    attempts = CallAttempt.objects.filter(member__in=members, undone_at=None).order_by("created_at", "id")
    for member_id, outcome, at in attempts.values_list("member_id", "outcome", "created_at"):
        tries[member_id].append((outcome, at))
    for member in members:
        since = member.number_since
        member.tries = [Outcome(outcome).label for outcome, at in tries[member.pk] if since is None or at >= since]
    return page


def member_history(member):
    return list(member.changes.select_related("actor", "replacement").order_by("-created_at"))


def replaced_by(member):
    """The change that brought this member in, in place of another taken off the list; None for most."""
    changes = MemberChange.objects.filter(replacement=member, kind=MemberChange.Kind.REPLACED)
    return changes.select_related("member").first()


@dataclass
class UploaderRow:
    uploader: object
    uploads: int
    listed: int
    yes: int
    no: int
    wrong: int
    unreachable: int

    @property
    def rate(self) -> float | None:
        return self.yes / (self.yes + self.no) if self.yes + self.no else None

    @property
    def wrong_share(self) -> float | None:
        """Wrong or unreachable of those whose calls came to an outcome: members not called yet are not counted
        against the list."""
        ended = self.yes + self.no + self.wrong + self.unreachable
        return (self.wrong + self.unreachable) / ended if ended else None


def uploader_rates(user) -> list[UploaderRow]:
    """Whose lists check out: each uploader's members summed from the upload figures (O(uploads))."""
    rows = (
        UploadStats.objects.filter(upload__in=Upload.objects.for_user(user))
        .values("upload__uploaded_by")
        .annotate(
            uploads=Count("upload"),
            listed=Sum("listed"),
            yes=Sum("yes"),
            no=Sum("no"),
            wrong=Sum("wrong"),
            unreachable=Sum("unreachable"),
        )  # fmt: skip
    )
    users = User.objects.in_bulk([row["upload__uploaded_by"] for row in rows if row["upload__uploaded_by"]])
    result = [UploaderRow(uploader=users.get(row.pop("upload__uploaded_by")), **row) for row in rows]
    return sorted(result, key=lambda r: (-(r.rate or 0), -r.listed))
