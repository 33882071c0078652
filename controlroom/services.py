"""Writes of the project itself: keeping the audit log for its retention period, and no longer."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models.functions import Now

from controlroom.models import AuditEvent

logger = logging.getLogger(__name__)


def audit_events_purge() -> int:
    """Delete audit events older than AUDIT_RETENTION_DAYS; returns how many. Idempotent: a rerun finds none.

    The cutoff is taken from the database clock, the one the PostgreSQL trigger checks, so an event the purge
    selects is always one the trigger lets go.
    """
    days = settings.AUDIT_RETENTION_DAYS
    deleted, _ = AuditEvent.objects.filter(created_at__lt=Now() - timedelta(days=days)).delete()
    logger.info("audit log: %d events older than %d days deleted", deleted, days)
    return deleted
