from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.db import models
from django.http import Http404
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OPERATOR = "operator", _("Operator")
    DISTRICT_PRESIDENT = "president", _("District president")
    STATE_LEADER = "state", _("State leadership")
    SUPERVISOR = "supervisor", _("Control-room supervisor")


def role_required(*roles):
    """Let in only these roles; anyone else gets a 404, so a URL does not even confirm a page exists."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login  # its module needs the apps loaded

                if request.method == "POST":  # a key or a button pressed after the session ran out did nothing
                    messages.warning(request, _("You were logged out, so what you last sent was not saved."))
                return redirect_to_login(_back_after_login(request))
            if request.user.role not in roles:
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _back_after_login(request) -> str:
    """Where logging in again leads: back to the page the user was on. Not to the address of a part of a page
    (htmx), nor of a form, which takes only POST and would show an empty "method not allowed"."""
    if getattr(request, "htmx", False) and request.htmx.current_url_abs_path:
        return request.htmx.current_url_abs_path
    if request.method != "POST":
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if url_has_allowed_host_and_scheme(referer, {request.get_host()}, require_https=request.is_secure()):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return resolve_url(settings.LOGIN_REDIRECT_URL)
