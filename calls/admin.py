from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from calls import services
from calls.models import NOT_YET_RUNNABLE, CallAttempt, CallBatch, Campaign
from controlroom.admin import ViewOnlyAdmin


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "kind", "is_active", "created_at"]
    actions = ["run_this_drive"]

    def get_changeform_initial_data(self, request):
        # A new drive starts active only when none is running: ticked beside a running one, the form was refused
        # as it stood. It is run later with "Run this drive".
        initial = super().get_changeform_initial_data(request)
        return {"is_active": not Campaign.objects.filter(is_active=True).exists(), **initial}

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A drive sent as active is checked against the others, and saved, with every drive locked (as "Run this
        drive" does): of two sent at once, the later is checked after the earlier is saved, and refused with the
        form's message, where both passed the check and the later met the one-running constraint as a server
        error."""
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        with transaction.atomic():
            services.campaigns_lock()
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.batches_follow_active_campaign()  # operators on shift switch drives at their next member

    @admin.action(description=gettext_lazy("Run this drive (the running one stops)"), permissions=["change"])
    def run_this_drive(self, request, queryset):
        """Switch drives in one step: with two saves (the old one off, then the new one on) no drive ran in
        between, and no batch was built."""
        if queryset.count() != 1:
            self.message_user(request, _("Choose one drive: one runs at a time."), messages.WARNING)
            return
        try:
            campaign = services.campaign_run(campaign_id=queryset.get().pk)
        except services.CallError:
            self.message_user(request, NOT_YET_RUNNABLE, messages.ERROR)
            return
        self.message_user(request, _("“%(name)s” is running now.") % {"name": campaign}, messages.SUCCESS)


@admin.register(CallBatch)
class CallBatchAdmin(ViewOnlyAdmin):
    """Batches are built, handed out and released by the floor (a supervisor releases one from the floor page):
    a batch closed here by hand would keep its members out of the pool for good."""

    list_display = ["id", "operator", "call_centre", "created_at", "expires_at", "closed_at"]
    list_select_related = ["operator", "call_centre"]


@admin.register(CallAttempt)
class CallAttemptAdmin(ViewOnlyAdmin):
    """Attempts are the audit trail: visible to staff, never added, edited or deleted here."""

    list_display = ["member", "operator", "outcome", "created_at"]
    list_filter = ["outcome"]
    list_select_related = ["member", "operator"]
    raw_id_fields = ["member", "operator", "batch"]
