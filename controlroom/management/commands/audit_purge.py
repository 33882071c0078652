from django.conf import settings
from django.core.management.base import BaseCommand

from controlroom import services


class Command(BaseCommand):
    help = "Delete audit events older than AUDIT_RETENTION_DAYS (at least 365). Younger events are never deleted."

    def handle(self, *args, **options):
        deleted = services.audit_events_purge()
        self.stdout.write(f"{deleted} audit events older than {settings.AUDIT_RETENTION_DAYS} days deleted.")
