from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Who did what, when: imports, exports, corrections, removals, logins.

    Only ever appended to. On PostgreSQL a trigger (migration 0002) refuses every UPDATE, and every DELETE of an
    event younger than a year; `audit_purge` deletes the older ones.
    """

    class Action(models.TextChoices):
        EXPORT = "export", _("Export")
        IMPORT = "import", _("Import")
        CORRECT = "correct", _("Number corrected")
        REPLACE = "replace", _("Member replaced")
        REMOVE = "remove", _("Member removed")
        MEMBER_EDIT = "member_edit", _("Member's details corrected")
        MEMBER_ADD = "member_add", _("Member added by hand")
        MEMBER_DELETE = "member_delete", _("Member deleted by staff")
        VILLAGE_MERGE = "village_merge", _("Village merged")
        VILLAGE_RENAME = "village_rename", _("Village renamed")
        LOGIN = "login", _("Login")
        LOGIN_FAILED = "login_failed", _("Failed login")

    # PROTECT: the log is never rewritten, not even to forget who did something. Users are deactivated, not
    # deleted; one can be deleted once the purge has taken their last event.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("who")
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    what = models.CharField(_("what"), max_length=200, blank=True)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self):
        # As the admin's list shows it: in local time, the action in words.
        return f"{timezone.localtime(self.created_at):%Y-%m-%d %H:%M} {self.get_action_display()} {self.what}".strip()
