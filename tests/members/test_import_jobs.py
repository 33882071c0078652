"""The upload row is the truth about a job: imports are all-or-nothing, retries are harmless, stuck jobs recover."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from members import services, tasks
from members.models import Member, RefusedRow, Upload
from tests.members.corpus import GOOD, HEAD, csv_text

pytestmark = pytest.mark.django_db
CONTENT = csv_text([HEAD, *GOOD, ["क", "123", "रामपुर", ""]]).encode()


def _upload(district, user, status=Upload.Status.RECEIVED) -> Upload:
    upload = Upload.objects.create(district=district, uploaded_by=user, original_name="m.csv", status=status)
    upload.file.save("m.csv", ContentFile(CONTENT))
    return upload


@pytest.fixture
def checked(cast, patna, patna_president):
    upload = _upload(patna, patna_president)
    services.upload_validate(upload_id=upload.pk)
    upload.refresh_from_db()
    assert (upload.status, upload.valid) == (Upload.Status.VALIDATED, 3)
    return upload


def _confirmed(upload, user):
    assert services.upload_confirm(upload=upload, user=user)
    upload.refresh_from_db()
    assert upload.status == Upload.Status.IMPORTING
    return upload


def test_a_crash_half_way_through_the_import_leaves_no_rows_and_a_retry_imports_once(
    checked, patna_president, monkeypatch
):
    _confirmed(checked, patna_president)

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(services, "_mark_imported", crash)
    with pytest.raises(RuntimeError):
        tasks.upload_import_task(checked.pk)
    checked.refresh_from_db()
    assert checked.status == Upload.Status.IMPORTING
    assert not Member.objects.filter(upload=checked).exists()
    assert not checked.district.villages.filter(name_key="नया गांव").exists()

    monkeypatch.undo()
    tasks.upload_import_task(checked.pk)
    tasks.upload_import_task(checked.pk)  # a duplicated message
    checked.refresh_from_db()
    assert (checked.status, checked.imported) == (Upload.Status.IMPORTED, 3)
    assert Member.objects.filter(upload=checked).count() == 3


def test_rows_for_a_village_deleted_between_the_check_and_the_import_make_it_again(
    cast, patna, patna_president, superuser
):
    """Staff may delete an empty village while an upload that writes to it waits for its confirmation. Its rows
    were lost: neither written (on PostgreSQL) nor refused, and the upload said imported (on SQLite, the job
    failed). The village is made again, as checking the file now would make it."""
    from districts import services as district_services
    from tests.conftest import make_village
    from tests.districts.test_rollup import assert_rollup_matches_group_by

    empty = make_village(patna, "खाली टोला")
    content = csv_text([HEAD, ["सीता देवी", "9123456780", "रामपुर", ""], ["गीता", "7123456782", "खाली टोला", ""]])
    upload = Upload.objects.create(district=patna, uploaded_by=patna_president, original_name="m.csv")
    upload.file.save("m.csv", ContentFile(content.encode()))
    services.upload_validate(upload_id=upload.pk)
    district_services.villages_admin_delete(village_ids=[empty.pk])
    _confirmed(upload, patna_president)
    tasks.upload_import_task(upload.pk)
    upload.refresh_from_db()
    assert (upload.status, upload.valid, upload.imported, upload.new_villages) == (Upload.Status.IMPORTED, 2, 2, 1)
    assert Member.objects.get(mobile="7123456782").village.name == "खाली टोला"
    assert [name for _key, name in upload.new_village_names] == ["खाली टोला"], "listed among the villages made"
    assert_rollup_matches_group_by()


def test_a_check_run_twice_keeps_one_set_of_refused_rows(checked):
    Upload.objects.filter(pk=checked.pk).update(status=Upload.Status.VALIDATING)
    tasks.upload_validate_task(checked.pk)
    tasks.upload_validate_task(checked.pk)  # already checked: left alone
    checked.refresh_from_db()
    assert checked.status == Upload.Status.VALIDATED
    assert RefusedRow.objects.filter(upload=checked).count() == 1


def test_an_unconfirmed_upload_is_never_imported(checked):
    tasks.upload_import_task(checked.pk)
    assert not Member.objects.filter(upload=checked).exists()


def test_stuck_jobs_are_sent_to_a_worker_again(
    cast, patna, patna_president, monkeypatch, django_capture_on_commit_callbacks
):
    received = _upload(patna, patna_president)
    sent = []
    monkeypatch.setattr(tasks.upload_validate_task, "delay", lambda pk: sent.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        result = _recover(timezone.now() + timedelta(minutes=3))
    assert result == {"retried": 1, "failed": 0}
    assert sent == [received.pk]
    received.refresh_from_db()
    assert received.attempts == 1


def test_a_job_stuck_too_many_times_fails_with_a_message(checked, patna_president):
    _confirmed(checked, patna_president)
    Upload.objects.filter(pk=checked.pk).update(attempts=services.MAX_ATTEMPTS)
    assert _recover(timezone.now() + timedelta(hours=1)) == {"retried": 0, "failed": 1}
    checked.refresh_from_db()
    assert (checked.status, checked.error_code) == (Upload.Status.FAILED, "stuck")
    assert not Member.objects.filter(upload=checked).exists()


def test_a_recovered_import_finishes_the_job(checked, patna_president, django_capture_on_commit_callbacks):
    _confirmed(checked, patna_president)  # its task message was lost
    with django_capture_on_commit_callbacks(execute=True):
        services.uploads_recover_stuck(now=timezone.now() + timedelta(hours=1))
    checked.refresh_from_db()
    assert (checked.status, checked.imported) == (Upload.Status.IMPORTED, 3)


def test_recent_jobs_are_left_alone(checked, patna_president):
    _confirmed(checked, patna_president)
    assert _recover(timezone.now()) == {"retried": 0, "failed": 0}


def _recover(now):
    return services.uploads_recover_stuck(now=now)


def test_old_uploads_lose_their_files_and_refused_rows_but_keep_their_counts(checked, private_media, settings):
    path = private_media / checked.file.name
    assert path.exists()
    assert len(checked.valid_sample) == 3
    later = timezone.now() + timedelta(days=settings.UPLOAD_RETENTION_DAYS + 1)
    assert services.uploads_purge_expired(now=later) == 1
    checked.refresh_from_db()
    assert not path.exists()
    assert (checked.file.name, checked.checked_rows.name) == ("", "")
    assert checked.purged_at and checked.status == Upload.Status.DISCARDED
    assert (checked.rows, checked.valid, checked.rejected) == (4, 3, 1)
    assert not RefusedRow.objects.filter(upload=checked).exists()
    assert checked.valid_sample == [], "the valid rows shown in the preview are personal data too"
    assert services.uploads_purge_expired(now=later) == 0


def test_checked_rows_no_upload_points_to_are_purged(checked, private_media, settings):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    rows = ContentFile("1\tराम\t9812345670\n".encode())
    orphan = default_storage.save(f"{services.CHECKED_ROWS_DIR}/99-lost.csv", rows)
    assert services.checked_rows_purge_orphans() == 0  # young: its check may still be committing
    later = timezone.now() + timedelta(seconds=settings.UPLOAD_STUCK_SECONDS + 1)
    assert services.checked_rows_purge_orphans(now=later) == 1
    assert not default_storage.exists(orphan)
    assert default_storage.exists(checked.checked_rows.name)  # still waiting for confirmation: kept


def test_recent_uploads_keep_their_files(checked):
    assert services.uploads_purge_expired() == 0


def test_the_import_works_without_the_batching_task(
    checked, patna_president, monkeypatch, django_capture_on_commit_callbacks
):
    import sys

    monkeypatch.setitem(sys.modules, "calls.tasks", None)  # import fails as if it did not exist yet
    _confirmed(checked, patna_president)
    with django_capture_on_commit_callbacks(execute=True):
        services.upload_import(upload_id=checked.pk)
    checked.refresh_from_db()
    assert checked.status == Upload.Status.IMPORTED


def test_periodic_tasks_are_scheduled(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"members.tasks.uploads_recover_task", "members.tasks.uploads_purge_task"} <= tasks_scheduled


def test_a_file_that_trips_the_reader_fails_the_job_instead_of_leaving_it_spinning(
    cast, patna, patna_president, monkeypatch
):
    upload = _upload(patna, patna_president)

    def trip(*args, **kwargs):
        raise RuntimeError("reader bug")

    monkeypatch.setattr(services.pipeline, "check_file", trip)
    tasks.upload_validate_task(upload.pk)
    upload.refresh_from_db()
    assert (upload.status, upload.error_code) == (Upload.Status.FAILED, "broken")


def test_an_upload_whose_file_is_gone_fails_with_a_message(cast, patna, patna_president):
    upload = _upload(patna, patna_president)
    upload.file.storage.delete(upload.file.name)
    tasks.upload_validate_task(upload.pk)
    upload.refresh_from_db()
    assert (upload.status, upload.error_code) == (Upload.Status.FAILED, "missing_file")
