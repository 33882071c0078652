"""Celery tasks for member uploads: each takes an id, calls one service, and is safe to run twice."""

from celery import shared_task

from members import services


@shared_task
def upload_validate_task(upload_id: int) -> None:
    """Check an upload. Idempotent: the service only checks a received or half-checked upload."""
    services.upload_validate(upload_id=upload_id)


@shared_task
def upload_import_task(upload_id: int) -> None:
    """Import a confirmed upload. Idempotent: the service locks the upload and imports only while IMPORTING."""
    services.upload_import(upload_id=upload_id)


@shared_task
def uploads_recover_task() -> None:
    """Hand stuck uploads to a worker again, or fail them. Idempotent: it acts only on stale, unlocked jobs."""
    services.uploads_recover_stuck()


@shared_task
def uploads_purge_task() -> None:
    """Delete upload files past the retention period. Idempotent: purged uploads are marked and skipped."""
    services.uploads_purge_expired()
