from celery import shared_task

from calls import services


@shared_task
def batch_build_all() -> int:
    """Top up every operator on shift. Idempotent: a full batch is left alone, and SKIP LOCKED keeps reruns apart."""
    return services.batch_build()


@shared_task
def batch_top_up(operator_id: int) -> int:
    """Top up one operator's batch before it runs dry. Idempotent for the same reasons as batch_build_all."""
    return services.batch_build(operator_ids=[operator_id])


@shared_task
def batch_release_stale() -> int:
    """Give idle operators' numbers back to the pool. Idempotent: released batches are closed and skipped."""
    return services.batch_release_stale()


@shared_task
def daily_summary_send() -> int:
    """Email the state office the day's figures. Idempotent enough: a rerun sends the same figures again."""
    from calls.reports import daily_summary_send as send

    return send()
