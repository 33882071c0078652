from celery import shared_task

from controlroom import services


@shared_task
def audit_purge_task() -> int:
    """Delete audit events past the retention period. Idempotent: deleted events are gone, a rerun finds none."""
    return services.audit_events_purge()
