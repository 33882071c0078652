"""Logins and failed logins go to the audit log, next to imports, exports and corrections."""

import ipaddress

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from controlroom.models import AuditEvent


def client_address(request) -> str:
    """The address a request came from, for the audit log and the login lockout (AXES_CLIENT_IP_CALLABLE).

    Behind the TLS proxy every request arrives from the proxy, so that one address would stand for everyone:
    five wrong passwords from anywhere would lock a user out. The client's address is the last one in
    X-Forwarded-For, the one the proxy appended; those before it are whatever the client sent.
    """
    if request is None:
        return ""
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        try:  # a proxy that passes the header on as sent, instead of appending to it, may bring anything
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR", "")


@receiver(user_logged_in)
def login_audited(sender, request, user, **kwargs):
    AuditEvent.objects.create(actor=user, action=AuditEvent.Action.LOGIN, detail={"ip": client_address(request)})


@receiver(user_login_failed)
def failed_login_audited(sender, credentials, request=None, **kwargs):
    detail = {"ip": client_address(request), "username": str(credentials.get("username", ""))[:150]}
    AuditEvent.objects.create(action=AuditEvent.Action.LOGIN_FAILED, what=detail["username"], detail=detail)
