from django.contrib import admin

from calls.models import CallAttempt, CallBatch, Campaign


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_active", "created_at"]


@admin.register(CallBatch)
class CallBatchAdmin(admin.ModelAdmin):
    list_display = ["id", "operator", "call_centre", "created_at", "expires_at", "closed_at"]
    list_select_related = ["operator", "call_centre"]


@admin.register(CallAttempt)
class CallAttemptAdmin(admin.ModelAdmin):
    """Attempts are the audit trail: visible to staff, never edited."""

    list_display = ["member", "operator", "outcome", "created_at"]
    list_filter = ["outcome"]
    list_select_related = ["member", "operator"]
    raw_id_fields = ["member", "operator", "batch"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
