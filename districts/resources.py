"""What the dashboard exports, column by column (django-import-export resources over rollup rows)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources

from calls.models import Outcome
from controlroom.exports import count_field, number_field, percent
from members.resources import StatusField


class _RollupResource(resources.Resource):
    listed = count_field("listed", _("Listed"))
    called = count_field("called", _("Called"))
    yes = count_field("yes", _("YES"))
    no = count_field("no", _("NO"))
    wrong = count_field("wrong", _("Wrong number"))
    unreachable = count_field("unreachable", _("Unreachable"))
    pending = count_field("pending", _("Pending"))
    rate = fields.Field(column_name=_("YES of those reached (%)"))

    def dehydrate_rate(self, row):
        return percent(row.rate)


class DistrictRollupResource(_RollupResource):
    code = fields.Field(attribute="obj__code", column_name=_("Code"))
    district = fields.Field(attribute="name", column_name=_("District"))
    villages = count_field("villages", _("Villages"))
    at_target = count_field("villages_at_target", _("Villages at target"))

    class Meta:
        fields = ("code", "district", "listed", "called", "yes", "no", "wrong", "unreachable", "pending", "rate")
        export_order = (*fields, "villages", "at_target")


class VillageRollupResource(_RollupResource):
    village = fields.Field(attribute="name", column_name=_("Village"))
    target = count_field("target", _("Target"))

    class Meta:
        export_order = ("village", "target", "listed", "called", "yes", "no", "wrong", "unreachable", "pending", "rate")


class MemberFollowUpResource(resources.Resource):
    """Members as a village's or a search's download gives them: where each is, and the last call, with what the
    operator noted, for following them up. The file says which village and district on every row, so it still
    does once forwarded or put together with others."""

    member_id = number_field("pk", _("Member ID"))
    name = fields.Field(attribute="name", column_name=_("Name"))
    mobile = fields.Field(attribute="mobile", column_name=_("Mobile"))
    village = fields.Field(attribute="village__name", column_name=_("Village"))
    district = fields.Field(attribute="district__name", column_name=_("District"))
    address = fields.Field(attribute="address", column_name=_("Address"))
    status = StatusField(_("Status"))
    attempts = number_field("attempt_count", _("Attempts"))
    last_outcome = fields.Field(column_name=_("Last call"))
    last_called_at = fields.Field(column_name=_("Last called at"))
    last_note = fields.Field(attribute="last_note", column_name=_("Operator's note"))

    class Meta:
        export_order = (
            "member_id",
            "name",
            "mobile",
            "village",
            "district",
            "address",
            "status",
            "attempts",
            "last_outcome",
            "last_called_at",
            "last_note",
        )

    def dehydrate_last_outcome(self, member):
        return Outcome(member.last_outcome).label if member.last_outcome else ""

    def dehydrate_last_called_at(self, member):
        # A spreadsheet date in India's time: Excel has no time zones.
        return timezone.localtime(member.last_called_at).replace(tzinfo=None) if member.last_called_at else None
