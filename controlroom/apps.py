import os

from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.utils.translation import gettext_lazy as _


class ControlRoomConfig(AppConfig):
    default = True  # the module holds two configs: this one is the app's own
    name = "controlroom"
    verbose_name = _("Control Room")

    def ready(self):
        from controlroom import audit  # noqa: F401 - connects the login audit receivers

        checks.register(check_production_services, deploy=True)


class LoginProtectionConfig(AxesAppConfig):
    """django-axes, under a name the admin's Hindi readers understand rather than the package's."""

    verbose_name = _("Login protection")


MISSING_SERVICES = {
    "DATABASE_URL": (
        "controlroom.W001",
        "DATABASE_URL is not set: with DEBUG off the app runs on the SQLite file db.sqlite3, not PostgreSQL.",
        "Set DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/NAME.",
    ),
    "REDIS_URL": (
        "controlroom.W002",
        "REDIS_URL is not set: with DEBUG off Celery runs every task inside the web request, beat's jobs never "
        "run, and each process keeps a cache of its own.",
        "Set REDIS_URL=redis://HOST:6379/0 and run the Celery workers and beat.",
    ),
}


def check_production_services(app_configs=None, **kwargs):
    """Without these the settings fall back, silently, to what suits `make run`: a production server must not."""
    if settings.DEBUG:
        return []
    return [
        checks.Warning(message, hint=hint, id=check_id)
        for name, (check_id, message, hint) in MISSING_SERVICES.items()
        if not os.environ.get(name)
    ]
