from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ControlRoomConfig(AppConfig):
    default = True  # the module holds two configs: this one is the app's own
    name = "controlroom"
    verbose_name = _("Control Room")

    def ready(self):
        from controlroom import audit  # noqa: F401 - connects the login audit receivers


class LoginProtectionConfig(AxesAppConfig):
    """django-axes, under a name the admin's Hindi readers understand rather than the package's."""

    verbose_name = _("Login protection")
