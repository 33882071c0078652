"""The daily summary the state office gets by email every evening."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation

from districts.models import District, DistrictDay
from districts.selectors import figures_row, totals


def daily_summary_send(*, day=None) -> int:
    """Email the day's figures to DAILY_SUMMARY_EMAILS. Returns messages sent (0 when nobody is listed)."""
    if not settings.DAILY_SUMMARY_EMAILS:
        return 0
    day = day or timezone.localdate()
    with translation.override("hi"):
        context = _summary(day)
        subject = render_to_string("calls/daily_summary_subject.txt", context).strip()
        body = render_to_string("calls/daily_summary.txt", context)
    return send_mail(subject, body, None, settings.DAILY_SUMMARY_EMAILS)


def _summary(day) -> dict:
    districts = District.objects.select_related("stats").in_reading_order()  # in Hindi's alphabet, as written
    rows = [figures_row(d, getattr(d, "stats", None)) for d in districts]
    today = {d.district_id: d for d in DistrictDay.objects.filter(day=day)}
    lines = [(row, today.get(row.obj.pk)) for row in rows]
    calls = sum(d.calls for d in today.values())
    return {"day": day, "rows": lines, "totals": totals(rows), "calls": calls}
