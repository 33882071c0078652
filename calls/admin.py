from django.contrib import admin

from calls import services
from calls.models import CallAttempt, CallBatch, Campaign
from controlroom.admin import ViewOnlyAdmin


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_active", "created_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.batches_follow_active_campaign()  # operators on shift switch drives at their next member


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
