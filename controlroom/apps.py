from django.apps import AppConfig


class ControlRoomConfig(AppConfig):
    name = "controlroom"
    verbose_name = "Control Room"

    def ready(self):
        from controlroom import audit  # noqa: F401 - connects the login audit receivers
