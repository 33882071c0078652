from dataclasses import dataclass, fields
from datetime import timedelta

from django.core.paginator import Paginator
from django.db.models import Count, ExpressionWrapper, F, FloatField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Lower, NullIf, Replace
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from calls.models import FINAL, CallAttempt, Outcome
from controlroom.models import AuditEvent
from districts.models import District, DistrictDay, DistrictStats, Village
from members.models import Member, MemberChange, MemberStatus
from members.phone import InvalidMobile, normalise_mobile, typed_digits
from members.rows import clean_text, village_lookalikes

FIGURES = ["listed", "called", "yes", "no", "wrong", "unreachable", "pending"]
SORTS = {"name", "listed", "called", "yes", "no", "wrong", "unreachable", "pending", "rate", "villages_at_target"}


@dataclass
class Row:
    """One line of a rollup table: a district or a village with its figures."""

    obj: object
    listed: int = 0
    called: int = 0
    yes: int = 0
    no: int = 0
    wrong: int = 0
    unreachable: int = 0
    villages: int = 0
    villages_at_target: int = 0
    target: int = 0

    @property
    def name(self):
        return self.obj.name if self.obj is not None else _("Total")  # the totals row

    @property
    def pending(self) -> int:
        return self.listed - self.yes - self.no - self.wrong - self.unreachable

    @property
    def rate(self) -> float | None:
        """Verification rate: YES of those reached (YES or NO)."""
        reached = self.yes + self.no
        return self.yes / reached if reached else None

    @property
    def at_target(self) -> bool:
        return self.target > 0 and self.yes >= self.target


def figures_row(obj, stats, **extra) -> Row:
    names = [f.name for f in fields(Row) if f.name not in ("obj", "target")]
    values = {name: getattr(stats, name, 0) for name in names} if stats is not None else {}
    return Row(obj=obj, **values, **extra)


def _sorted(rows, sort: str):
    key, reverse = sort.lstrip("-"), sort.startswith("-")
    if key not in SORTS:
        key, reverse = "name", False
    rows = sorted(rows, key=lambda r: str(r.name))
    if key == "name":
        return rows[::-1] if reverse else rows
    # Sorting is stable, descending too: ties stay in name order. Rows with no figure (no YES % before anyone
    # was reached) go last either way, as the village table's do.
    known = [row for row in rows if getattr(row, key) is not None]
    unknown = [row for row in rows if getattr(row, key) is None]
    return sorted(known, key=lambda r: getattr(r, key), reverse=reverse) + unknown


def totals(rows) -> Row:
    total = Row(obj=None)
    for name in ("listed", "called", "yes", "no", "wrong", "unreachable", "villages", "villages_at_target", "target"):
        setattr(total, name, sum(getattr(row, name) for row in rows))
    return total


def district_rollup(user, sort: str = "name") -> list[Row]:
    """Every district the user may see with its figures: one query over the district summary table."""
    districts = District.objects.for_user(user).select_related("stats")
    rows = [figures_row(d, getattr(d, "stats", None)) for d in districts]
    return _sorted(rows, sort)


def _village_order(sort: str):
    key, descending = sort.lstrip("-"), sort.startswith("-")
    expression = VILLAGE_SORTS.get(key, VILLAGE_SORTS["name"])
    ordered = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
    return [ordered, "name", "id"]


VILLAGE_SORTS = {
    "name": F("name"),
    **{name: F(f"stats__{name}") for name in ("listed", "called", "yes", "no", "wrong", "unreachable")},
    "pending": F("stats__listed") - F("stats__yes") - F("stats__no") - F("stats__wrong") - F("stats__unreachable"),
    "rate": ExpressionWrapper(
        F("stats__yes") * 1.0 / NullIf(F("stats__yes") + F("stats__no"), 0), output_field=FloatField()
    ),
}


def village_rollup(district, sort: str = "name", find: str = ""):
    """The district's villages with their figures (those whose name holds `find`, ignoring case and spacing),
    sorted in the database; callers page through it."""
    villages = district.villages.select_related("stats").order_by(*_village_order(sort))
    key = Village.key_for(clean_text(find))
    return villages.filter(name_key__contains=key) if key else villages


def village_rows(villages) -> list[Row]:
    return [figures_row(v, getattr(v, "stats", None), target=v.target) for v in villages]


def district_stats(district) -> Row:
    return figures_row(district, DistrictStats.objects.filter(district=district).first())


def trend(districts, days: int = 14) -> list[dict]:
    """Calls and YES per day over the last `days` days, for these districts."""
    since = timezone.localdate() - timedelta(days=days - 1)
    rows = (
        DistrictDay.objects.filter(district__in=districts, day__gte=since)
        .values("day")
        .annotate(calls=Sum("calls"), yes=Sum("yes"), no=Sum("no"), wrong=Sum("wrong"))
        .order_by("day")
    )
    by_day = {row["day"]: row for row in rows}
    empty = {"calls": 0, "yes": 0, "no": 0, "wrong": 0}
    days = [since + timedelta(days=i) for i in range(days)]
    return trend_bars([by_day.get(day, {"day": day, **empty}) for day in days])


def villages_below_target(district):
    """Villages that have not yet reached their target of confirmed members, furthest behind first: the most
    confirmations still wanted (a village with a target of 50 and 4 confirmed before one of 5 with none)."""
    below = Q(stats__isnull=True) | Q(stats__yes__lt=F("target"))
    villages = district.villages.filter(below, target__gt=0).select_related("stats")
    villages = villages.annotate(confirmed=Coalesce("stats__yes", 0), listed=Coalesce("stats__listed", 0))
    return villages.annotate(short=F("target") - F("confirmed")).order_by("-short", "confirmed", "name")


def district_get_for_user(user, code: str) -> District:
    return get_object_or_404(District.objects.for_user(user), code__iexact=code)


def village_get_for_user(user, district: District | None, pk: int) -> Village:
    """The access helper for one village (of `district`, when the URL names one): 404 outside the user's scope."""
    villages = Village.objects.for_user(user).select_related("district")
    if district is not None:
        villages = villages.filter(district=district)
    return get_object_or_404(villages, pk=pk)


def village_merged_into(user, district: District, pk: int) -> Village | None:
    """Where a village merged away went, following later merges, as the audit log records them: its old
    links, and its forms sent again (Back, then the button a second time), lead there. None when the village
    was not merged, or went where the user may not see."""
    for _hop in range(10):
        merges = AuditEvent.objects.filter(action=AuditEvent.Action.VILLAGE_MERGE, what=f"village {pk}")
        merge = merges.order_by("-pk").first()
        if merge is None or merge.detail.get("district_id") != district.pk:
            return None
        pk = merge.detail["into_id"]
        into = Village.objects.for_user(user).filter(district=district, pk=pk).first()
        if into is not None:
            return into
    return None


def village_named(district_id: int, name: str) -> Village | None:
    """The district's village of this name, matched as uploads match it: ignoring case and spacing, and by the
    names of villages merged into it."""
    key = Village.key_for(name)
    village = Village.objects.filter(district_id=district_id, name_key=key).first()
    if village is None:
        village = Village.objects.filter(district_id=district_id, aliases__name_key=key).first()
    return village


def village_names(district: District) -> list[str]:
    return list(Village.objects.filter(district=district).order_by("name").values_list("name", flat=True))


def village_merge_suggestions(village: Village, count: int = 5) -> list[Village]:
    """Villages of the same district that look like this one written another way: where a misspelt village's
    members most likely belong."""
    others = Village.objects.filter(district_id=village.district_id).exclude(pk=village.pk)
    keys = dict(others.values_list("name_key", "pk"))
    close = village_lookalikes(village.name_key, list(keys), n=count)
    found = Village.objects.in_bulk([keys[key] for key in close])
    return [found[keys[key]] for key in close]


def village_members(user, village: Village):
    """The village's members on the list: those taken off it are not counted in its figures, nor shown here."""
    members = Member.objects.for_user(user).filter(village=village).exclude(status=MemberStatus.REMOVED)
    return members.order_by("name", "id")


# Fewer digits than this match too many numbers to be a search: "98" is in most of them.
SEARCH_MIN_DIGITS = 4


def member_search(user, district: District | None, query: str, status: str = ""):
    """Members (of the district, or of every district the user sees) found by what people have to hand: a mobile
    number as people write it (or a part of one, at least four digits), or words of the name; and, in a district,
    by status alone ("everyone who said NO"). Each comes with its last call, if any."""
    query = clean_text(query)
    members = Member.objects.for_user(user)
    if district is not None:
        members = members.filter(district=district)
    if status:
        members = members.filter(status=status)
    if query:
        members = _matching(members, query)
    elif not (status and district is not None):
        return members.none()
    return with_last_call(members).order_by("name", "id")


def with_last_call(members):
    """The members with their village, district and last call (`last_outcome`, `last_called_at`, `last_note`)."""
    last = CallAttempt.objects.filter(member=OuterRef("pk"), undone_at=None).order_by("-created_at")[:1]
    return members.select_related("village", "district").annotate(
        last_outcome=Subquery(last.values("outcome")),
        last_called_at=Subquery(last.values("created_at")),
        last_note=Subquery(last.values("note")),
    )


# Spellings of one name that lists and people mix: a long or short vowel (लालमुनी, लालमुनि), a nukta (ज़, ज), a
# chandrabindu or an anusvara (गाँव, गांव). A search matches names written either way.
SPELLINGS = (("ी", "ि"), ("ू", "ु"), ("ई", "इ"), ("ऊ", "उ"), ("ँ", "ं"), ("\u093c", ""))


def _folded_text(text: str) -> str:
    text = text.lower()
    for written, read in SPELLINGS:
        text = text.replace(written, read)
    return text


def _folded(expression):
    expression = Lower(expression)
    for written, read in SPELLINGS:
        expression = Replace(expression, Value(written), Value(read))
    return expression


def _matching(members, query: str):
    digits = typed_digits(query)
    if not (digits.isascii() and digits.isdigit()):
        members = members.annotate(name_read=_folded("name"))
        for word in query.split():
            members = members.filter(name_read__contains=_folded_text(word))
        return members
    try:
        mobile = normalise_mobile(query)
    except InvalidMobile:
        if len(digits) < SEARCH_MIN_DIGITS:
            return members.none()
        return members.filter(mobile__contains=digits)
    # Also by a number they had before it was corrected: the one on the president's paper list.
    before = MemberChange.objects.filter(old_mobile=mobile).values("member_id")
    return members.filter(Q(mobile=mobile) | Q(pk__in=before))


def member_search_page(user, district: District | None, query: str, number, status: str = "") -> Paginator:
    """One page (50) of `member_search`, each member with its last outcome's label in the reader's language;
    none where the status says it already (a wrong number's last call was the one that found it wrong)."""
    page = Paginator(member_search(user, district, query, status), 50).get_page(number)
    for member in page:
        restated = FINAL.get(member.last_outcome) == member.status
        member.last_outcome_label = Outcome(member.last_outcome).label if member.last_outcome and not restated else ""
    return page


def rollup_by_group_by(districts=None) -> dict:
    """The plain GROUP BY over members: the definition the summary tables must always equal."""
    members = Member.objects.all() if districts is None else Member.objects.filter(district__in=districts)
    live = ~Q(status=MemberStatus.REMOVED)
    rows = members.values("district").annotate(
        listed=Count("id", filter=live),
        called=Count("id", filter=live & Q(attempt_count__gt=0)),
        yes=Count("id", filter=Q(status=MemberStatus.YES)),
        no=Count("id", filter=Q(status=MemberStatus.NO)),
        wrong=Count("id", filter=Q(status=MemberStatus.WRONG_NUMBER)),
        unreachable=Count("id", filter=Q(status=MemberStatus.UNREACHABLE)),
    )
    return {row.pop("district"): row for row in rows}


SEGMENTS = ("yes", "no", "wrong", "unreachable", "pending")


def chart_rows(rows) -> list[dict]:
    """Stacked bars for the SVG chart: each district's outcomes as shares of its own members, so a small
    district's progress reads as clearly as a big one's (its size is the figure beside the bar)."""
    bars = []
    for row in rows:
        x, segments = 0.0, []
        for name in SEGMENTS:
            width = 100 * getattr(row, name) / (row.listed or 1)
            segments.append({"name": name, "x": round(x, 2), "width": round(width, 2), "count": getattr(row, name)})
            x += width
        bars.append({"row": row, "segments": segments})
    return bars


def trend_bars(days, height: int = 60) -> list[dict]:
    """Daily calls as SVG bars 10 units apart, scaled to the busiest day, with the YES part inside."""
    busiest = max((day["calls"] for day in days), default=0) or 1
    bars = []
    for i, day in enumerate(days):
        calls, yes = height * day["calls"] / busiest, height * day["yes"] / busiest
        bars.append({**day, "x": i * 10 + 1, "calls_y": round(height - calls, 2), "calls_h": round(calls, 2),
                     "yes_y": round(height - yes, 2), "yes_h": round(yes, 2)})  # fmt: skip
    return bars
