from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from controlroom.models import AuditEvent

# The admin speaks as the app does, in the user's language, not as "Django administration".
admin.site.site_header = _("Control Room administration")
admin.site.site_title = _("Control Room")
admin.site.index_title = _("Records and settings")


class ViewOnlyAdmin(admin.ModelAdmin):
    """For records only the application writes: staff may look, never add, edit or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ViewOnlyAdmin):
    """The audit log, read-only for everyone, superusers included: nobody adds, edits or deletes an event here.

    Supervisors read it by their role (controlroom.auth); other staff need `view_auditevent`.
    """

    list_display = ["created_at", "action", "actor", "what", "rows"]
    list_filter = ["action", "created_at", "actor__role"]
    search_fields = ["actor__username", "what"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]
    show_full_result_count = False
