from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import Http404
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
        @login_required
        def wrapper(request, *args, **kwargs):
            if request.user.role not in roles:
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
