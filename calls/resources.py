from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources

from controlroom.exports import count_field, number_field, percent


class OperatorDayResource(resources.Resource):
    """The daily activity report: one row per operator."""

    operator = fields.Field(attribute="operator__username", column_name=_("Operator"))
    name = fields.Field(attribute="name", column_name=_("Name"))
    calls = count_field("calls", _("Calls"))
    reached = count_field("reached", _("Reached"))
    yes = count_field("yes", _("YES"))
    yes_rate = fields.Field(column_name=_("YES rate (%)"))
    per_hour = number_field("per_hour", _("Calls per hour"))
    first_call = fields.Field(column_name=_("First call"))
    last_call = fields.Field(column_name=_("Last call"))
    centre = fields.Field(attribute="centre", column_name=_("Call centre"))

    class Meta:
        export_order = (
            "operator",
            "name",
            "calls",
            "reached",
            "yes",
            "yes_rate",
            "per_hour",
            "first_call",
            "last_call",
            "centre",
        )

    def dehydrate_yes_rate(self, row):
        return percent(row.yes_rate)

    def dehydrate_first_call(self, row):
        return _clock(row.first_call)

    def dehydrate_last_call(self, row):
        return _clock(row.last_call)


def _clock(moment):
    """A time of day the spreadsheet can sort and subtract, to the minute, in the office's time zone."""
    return timezone.localtime(moment).time().replace(second=0, microsecond=0) if moment else None
