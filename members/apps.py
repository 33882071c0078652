from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self):
        checks.register(check_xml_is_defused, checks.Tags.security)


def check_xml_is_defused(app_configs=None, **kwargs):
    """Uploaded spreadsheets are XML: openpyxl must parse them through defusedxml (no entity expansion)."""
    try:
        import defusedxml  # noqa: F401
        from openpyxl.xml import DEFUSEDXML
    except ImportError:
        DEFUSEDXML = False
    if DEFUSEDXML:
        return []
    return [checks.Error("defusedxml is not installed: uploaded XLSX files could carry XML bombs.", id="members.E001")]
