"""Logins and failed logins go to the audit log, next to imports, exports and corrections."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from controlroom.models import AuditEvent


def _address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


@receiver(user_logged_in)
def login_audited(sender, request, user, **kwargs):
    AuditEvent.objects.create(actor=user, action=AuditEvent.Action.LOGIN, detail={"ip": _address(request)})


@receiver(user_login_failed)
def failed_login_audited(sender, credentials, request=None, **kwargs):
    detail = {"ip": _address(request), "username": str(credentials.get("username", ""))[:150]}
    AuditEvent.objects.create(action=AuditEvent.Action.LOGIN_FAILED, what=detail["username"], detail=detail)
