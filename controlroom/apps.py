from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ControlRoomConfig(AppConfig):
    name = "controlroom"
    verbose_name = _("Control Room")

    def ready(self):
        from controlroom import audit  # noqa: F401 - connects the login audit receivers
