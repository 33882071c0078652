"""Writes for member uploads: receive, check, confirm, import, discard, recover stuck jobs, purge old files.

The upload row in the database is the truth about a job. Every state change is compare-and-set, so a retried
or duplicated task, or a double click on "confirm", acts once. The import writes every valid row and flips
the upload to IMPORTED in one transaction: a worker killed half-way leaves the upload IMPORTING with no rows,
and the periodic recovery task hands it to a worker again.
"""

import dataclasses
import logging
import shutil
import tempfile
import uuid
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from controlroom.models import AuditEvent
from districts import rollup
from districts.models import District, Village, VillageAlias
from members import parsing, pipeline
from members.models import REJECTS, Member, MemberChange, MemberStatus, RefusedRow, Upload
from members.parsing import UnusableFile
from members.phone import InvalidMobile, normalise_mobile, typed_digits
from members.resources import RejectResource
from members.rows import cell_text, clean_text

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
Status = Upload.Status


def _enqueue(task_name: str, upload_id: int) -> None:
    """Send a task once the current transaction commits; if the broker is down, recovery sends it later."""
    from members import tasks

    task = getattr(tasks, task_name)
    transaction.on_commit(lambda: task.delay(upload_id), robust=True)


def _trigger_batching() -> None:
    try:
        from calls.tasks import batch_build_all
    except ImportError:
        return
    batch_build_all.delay()


def _local_path(field_file, workdir: Path, name: str = "source") -> Path:
    try:
        return Path(field_file.path)
    except NotImplementedError:
        target = workdir / name
        with field_file.open("rb") as source, target.open("wb") as out:
            shutil.copyfileobj(source, out)
        return target


# --- receiving and checking ---------------------------------------------------------------------------


def upload_create(*, user, district: District, file) -> Upload:
    """Store the file privately and queue the check. Nothing is read here: the request stays fast."""
    upload = Upload.objects.create(district=district, uploaded_by=user, file=file, original_name=file.name[-255:])
    _enqueue("upload_validate_task", upload.pk)
    return upload


def _set_progress(upload_id: int, done: int, total: int) -> None:
    Upload.objects.filter(pk=upload_id, status=Status.VALIDATING).update(
        progress_done=done, progress_total=total, updated_at=timezone.now()
    )


def _fail(upload_id: int, code: str, params: dict, *, from_status=Status.VALIDATING) -> None:
    now = timezone.now()
    Upload.objects.filter(pk=upload_id, status=from_status).update(
        status=Status.FAILED, error_code=code, error_params=params, finished_at=now, updated_at=now
    )


def upload_validate(*, upload_id: int) -> None:
    """Check every row of a received upload and save the preview. Idempotent: a received or half-checked upload
    is checked (again); any other state is left alone, and only the first result saved counts."""
    now = timezone.now()
    claimed = Upload.objects.filter(pk=upload_id, status__in=[Status.RECEIVED, Status.VALIDATING]).update(
        status=Status.VALIDATING, progress_done=0, progress_total=0, updated_at=now
    )
    if not claimed:
        return
    upload = Upload.objects.select_related("district").get(pk=upload_id)
    if not upload.file or not upload.file.storage.exists(upload.file.name):
        _fail(upload_id, "missing_file", {})
        return
    with tempfile.TemporaryDirectory(prefix="upload-") as workdir:
        try:
            checked = pipeline.check_file(
                _local_path(upload.file, Path(workdir)),
                district=upload.district,
                workdir=Path(workdir),
                upload_id=upload_id,
                progress=lambda done, total: _set_progress(upload_id, done, total),
            )
        except UnusableFile as problem:
            _fail(upload_id, problem.code, problem.params)
            return
        except DatabaseError:
            raise  # the database is the job's memory: let the task fail and the job be retried
        except Exception:  # noqa: BLE001 - a file that trips the reader must end the job, not leave it spinning
            logger.exception("upload %s could not be read", upload_id)
            _fail(upload_id, "broken", {})
            return
        _save_checked(upload_id, checked)


@transaction.atomic
def _save_checked(upload_id: int, checked: pipeline.Checked) -> None:
    if not Upload.objects.select_for_update().filter(pk=upload_id, status=Status.VALIDATING).values_list("pk").first():
        return
    RefusedRow.objects.filter(upload_id=upload_id).delete()
    pipeline.save_refused(checked.refused_path)
    with checked.rows_path.open("rb") as rows:
        name = default_storage.save(f"uploads/checked/{upload_id}-{uuid.uuid4().hex}.csv", File(rows))
    Upload.objects.filter(pk=upload_id).update(
        **checked.upload_fields(),
        status=Status.VALIDATED,
        new_villages=len(checked.new_villages),
        checked_rows=name,
        progress_done=F("progress_total"),
        updated_at=timezone.now(),
    )


# --- confirming and importing --------------------------------------------------------------------------


def upload_confirm(*, upload: Upload, user, same_villages=()) -> bool:
    """Queue the import of a checked upload. False if it was not waiting for confirmation (a double click).

    `same_villages`: new village names the user said are the look-alike they were shown (a village the district
    has, or another new name in the file); their members go into that village. Names that were not pointed out
    as look-alikes are ignored.
    """
    now = timezone.now()
    keys = {name: key for key, name in upload.new_village_names}
    merges = {
        keys[name]: Village.key_for(upload.similar_villages[name])
        for name in same_villages
        if name in keys and name in upload.similar_villages
    }
    with transaction.atomic():
        claimed = Upload.objects.filter(pk=upload.pk, status=Status.VALIDATED, valid__gt=0).update(
            status=Status.IMPORTING,
            village_merges=merges,
            confirmed_by=user,
            confirmed_at=now,
            progress_done=0,
            progress_total=F("valid"),
            updated_at=now,
        )
        if claimed:
            _enqueue("upload_import_task", upload.pk)
    return bool(claimed)


def upload_import(*, upload_id: int) -> None:
    """Write every valid row of a confirmed upload, or none. Idempotent: the upload row is locked and must
    still be IMPORTING, and it becomes IMPORTED in the same transaction as the members."""
    with transaction.atomic():
        upload = Upload.objects.select_for_update().filter(pk=upload_id, status=Status.IMPORTING).first()
        if upload is None:
            return
        if not upload.checked_rows:
            _fail(upload_id, "expired", {}, from_status=Status.IMPORTING)
            return
        merges = _village_merges(upload, _lock_villages(upload.district_id))
        new_villages = {key: name for key, name in upload.new_village_names if key not in merges}
        made_again = _villages_gone(upload.district_id, dict(upload.villages_used), merges)
        new_villages.update(made_again)
        with tempfile.TemporaryDirectory(prefix="import-") as workdir:
            written = pipeline.write_members(
                upload_id=upload_id,
                district_id=upload.district_id,
                rows_path=_local_path(upload.checked_rows, Path(workdir), "checked"),
                new_villages=new_villages,
                merges=merges,
                extra_cells=partial(_file_extra_cells, upload.file, Path(workdir))
                if upload.unknown_columns and upload.file
                else None,
            )
        _mark_imported(upload_id, written, made_again)
        transaction.on_commit(lambda: _drop_checked_rows(upload_id), robust=True)
        transaction.on_commit(_trigger_batching, robust=True)


def _file_extra_cells(field_file, workdir: Path, row_numbers: set[int]) -> dict:
    # Only for rows refused at the write, which are rare: the upload is fetched from storage then, if at all.
    return pipeline.extra_cells(_local_path(field_file, workdir), row_numbers)


def _lock_villages(district_id: int) -> dict[str, str]:
    """Hold the district's villages for the import, and say where villages merged since went: {old key: key}.

    A merge or a rename locks its villages too, so it waits for the import, or the import for it: checked rows
    never go to a village deleted since, nor are they lost with it.
    """
    villages = Village.objects.filter(district_id=district_id)
    list(villages.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))
    return VillageAlias.objects.keys_for(district_id)


def _villages_gone(district_id: int, used: dict[str, str], merges: dict[str, str]) -> dict[str, str]:
    """The district's villages that checked rows go to and that were deleted since the check (staff may delete an
    empty village), {key: name}: made again, as checking the file now would make them. Call with the district's
    villages locked."""
    there = Village.objects.filter(district_id=district_id, name_key__in=used).values_list("name_key", flat=True)
    return {key: name for key, name in used.items() if key not in {*there, *merges}}


def _village_merges(upload: Upload, moved: dict[str, str]) -> dict[str, str]:
    """Village keys of the checked rows to write under another village's key, {key: existing key}.

    The merges chosen at confirmation whose village is still there (staff may have removed an empty one since):
    the others' members go into the new village after all, as they would have without the choice. And the
    villages `moved` by a merge since the rows were checked: their rows go where their members went.
    """
    chosen = {new: moved.get(existing, existing) for new, existing in upload.village_merges.items()}
    villages = Village.objects.filter(district_id=upload.district_id, name_key__in=chosen.values())
    # A look-alike of another new name in the file goes into that one, which this import creates.
    there = {*villages.values_list("name_key", flat=True), *(key for key, _name in upload.new_village_names)}
    return {**moved, **{new: existing for new, existing in chosen.items() if existing in there}}


def _mark_imported(upload_id: int, written: pipeline.Written, made_again: dict[str, str]) -> None:
    """The upload is imported, in the transaction that wrote its members; the audit log says who brought them in
    (whoever confirmed it on the upload page; nobody, for the command line). `made_again`: villages deleted since
    the check that the import made again, listed with those it made new."""
    now = timezone.now()
    Upload.objects.filter(pk=upload_id).update(
        status=Status.IMPORTED,
        imported=written.imported,
        duplicates=F("duplicates") + written.late_duplicates,
        new_villages=written.villages_created,
        progress_done=F("progress_total"),
        finished_at=now,
        updated_at=now,
    )
    upload = Upload.objects.only("confirmed_by_id", "district_id", "original_name", "new_village_names").get(
        pk=upload_id
    )
    if written.villages_not_created or made_again:  # the upload's page lists the villages it made
        made = [*upload.new_village_names, *map(list, made_again.items())]
        names = [[key, name] for key, name in made if key not in written.villages_not_created]
        Upload.objects.filter(pk=upload_id).update(new_village_names=names)
    detail = {"upload": upload_id, "district_id": upload.district_id, "new_villages": written.villages_created}
    detail["by"] = "upload" if upload.confirmed_by_id else "command line"
    AuditEvent.objects.create(
        actor_id=upload.confirmed_by_id,
        action=AuditEvent.Action.IMPORT,
        what=f"upload {upload_id}: {upload.original_name}"[:200],
        rows=written.imported,
        detail=detail,
    )


def _drop_checked_rows(upload_id: int) -> None:
    upload = Upload.objects.get(pk=upload_id)
    if upload.checked_rows:
        upload.checked_rows.delete(save=False)
        Upload.objects.filter(pk=upload_id).update(checked_rows="")


def upload_discard(*, upload: Upload, user) -> bool:
    """Drop a checked upload nobody wants to import. False if it was not waiting for confirmation."""
    now = timezone.now()
    discarded = Upload.objects.filter(pk=upload.pk, status=Status.VALIDATED).update(
        status=Status.DISCARDED, confirmed_by=user, confirmed_at=now, finished_at=now, updated_at=now
    )
    if discarded:
        transaction.on_commit(lambda: _drop_checked_rows(upload.pk), robust=True)
    return bool(discarded)


# --- housekeeping -------------------------------------------------------------------------------------


@transaction.atomic
def uploads_recover_stuck(*, now=None) -> dict:
    """Send stuck jobs to a worker again, or fail them after a few tries.

    A running import holds its upload's row lock, so SKIP LOCKED passes over it; a running check keeps
    `updated_at` fresh with its progress. Whatever is left has lost its worker or its task message.
    """
    now = now or timezone.now()
    stuck = list(
        Upload.objects.select_for_update(skip_locked=True)
        .filter(_stuck_filter(now))
        .values_list("pk", "status", "attempts")
    )
    failed = [pk for pk, _status, attempts in stuck if attempts >= MAX_ATTEMPTS]
    retried = [(pk, status) for pk, status, attempts in stuck if attempts < MAX_ATTEMPTS]
    Upload.objects.filter(pk__in=failed).update(
        status=Status.FAILED, error_code="stuck", error_params={}, finished_at=now, updated_at=now
    )
    Upload.objects.filter(pk__in=[pk for pk, _status in retried]).update(attempts=F("attempts") + 1, updated_at=now)
    for pk, status in retried:
        _enqueue("upload_import_task" if status == Status.IMPORTING else "upload_validate_task", pk)
    return {"retried": len(retried), "failed": len(failed)}


def _stuck_filter(now) -> Q:
    running_since = now - timedelta(seconds=settings.UPLOAD_STUCK_SECONDS)
    received_since = now - timedelta(seconds=settings.UPLOAD_RECEIVED_STUCK_SECONDS)
    running = Q(status__in=[Status.VALIDATING, Status.IMPORTING], updated_at__lt=running_since)
    return running | Q(status=Status.RECEIVED, updated_at__lt=received_since)


def uploads_purge_expired(*, now=None) -> int:
    """Delete uploaded files, refused rows and the cells a problem quotes (personal data) past the retention
    period; keep the counts. The admin import's unconfirmed previews go too, after their shorter age."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.UPLOAD_RETENTION_DAYS)
    expired = list(
        Upload.objects.filter(created_at__lt=cutoff, purged_at__isnull=True).exclude(status__in=Upload.RUNNING)
    )
    for upload in expired:
        for field_file in (upload.file, upload.checked_rows):
            if field_file:
                field_file.storage.delete(field_file.name)
    ids = [upload.pk for upload in expired]
    with transaction.atomic():
        _drop_quoted_cells(Upload.objects.filter(pk__in=ids))
        RefusedRow.objects.filter(upload_id__in=ids).delete()
        Upload.objects.filter(pk__in=ids, status=Status.VALIDATED).update(status=Status.DISCARDED, finished_at=now)
        Upload.objects.filter(pk__in=ids).update(
            file="", checked_rows="", valid_sample=[], purged_at=now, updated_at=now
        )
    checked_rows_purge_orphans(now=now)
    admin_imports_purge(now=now)
    return len(ids)


def _drop_quoted_cells(uploads) -> None:
    """Drop the parameters that quote the file's cells from these uploads' problems; the code and the others stay,
    so the page still says what was wrong."""
    quoting = uploads.filter(error_params__has_any_keys=sorted(parsing.QUOTING_PARAMS))
    for pk, params in quoting.values_list("pk", "error_params"):
        kept = {key: value for key, value in params.items() if key not in parsing.QUOTING_PARAMS}
        Upload.objects.filter(pk=pk).update(error_params=kept)


CHECKED_ROWS_DIR = "uploads/checked"


def checked_rows_purge_orphans(*, now=None) -> int:
    """Delete checked-rows files no upload points to: a worker that died while saving a check (after the file,
    before the commit) leaves one behind, with personal data in it. Files younger than a running job may be are
    left alone, since their upload row may not be committed yet."""
    now = now or timezone.now()
    try:
        _, files = default_storage.listdir(CHECKED_ROWS_DIR)
    except FileNotFoundError:
        return 0
    names = {f"{CHECKED_ROWS_DIR}/{name}" for name in files}
    referenced = set(Upload.objects.filter(checked_rows__in=names).values_list("checked_rows", flat=True))
    cutoff = now - timedelta(seconds=settings.UPLOAD_STUCK_SECONDS)
    orphans = [name for name in names - referenced if default_storage.get_modified_time(name) < cutoff]
    for name in orphans:
        default_storage.delete(name)
    return len(orphans)


ADMIN_IMPORTS_DIR = "uploads/admin-imports"


def admin_imports_purge(*, now=None) -> int:
    """Delete the lists staff previewed in the admin's member import and never confirmed: a page closed or left
    open keeps its whole file, every name and number in it, until Confirm is pressed. Past this age a preview
    is not confirmed any more, and Confirm says so."""
    now = now or timezone.now()
    try:
        _, files = default_storage.listdir(ADMIN_IMPORTS_DIR)
    except FileNotFoundError:
        return 0
    cutoff = now - timedelta(hours=settings.ADMIN_IMPORT_KEEP_HOURS)
    names = [f"{ADMIN_IMPORTS_DIR}/{name}" for name in files]
    old = [name for name in names if default_storage.get_modified_time(name) < cutoff]
    for name in old:
        default_storage.delete(name)
    return len(old)


# --- the command line ---------------------------------------------------------------------------------


@dataclass
class ImportCounts:
    rows: int
    imported: int
    rejected: int
    duplicates: int
    new_villages: int
    lookalikes: dict = dataclasses.field(default_factory=dict)  # a new village's name -> a village it resembles
    upload_id: int | None = None  # the record of the import, with its refused rows (none for a dry run)


def members_import_file(*, path, district: District, dry_run: bool = False) -> ImportCounts:
    """Check and import a whole file synchronously, as the command line does. Raises UnusableFile.

    With dry_run nothing is written, not even an upload record, and the counts are those the import would give.
    Otherwise the file is recorded as an upload (with no uploader) and imported all-or-nothing.
    """
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="import-") as workdir:
        if dry_run:
            checked = pipeline.check_file(path, district=district, workdir=Path(workdir))
            # The numbers the import would report: the valid rows are those it would write.
            return ImportCounts(
                checked.rows,
                checked.valid,
                checked.rejected,
                checked.duplicates,
                len(checked.new_villages),
                checked.lookalikes,
            )
        upload = Upload.objects.create(district=district, original_name=path.name[-255:], status=Status.VALIDATING)
        try:
            checked = pipeline.check_file(path, district=district, workdir=Path(workdir), upload_id=upload.pk)
        except UnusableFile as problem:
            _fail(upload.pk, problem.code, problem.params)
            raise
        written = _import_checked(upload, checked, path)
    return ImportCounts(
        checked.rows,
        written.imported,
        checked.rejected,
        checked.duplicates + written.late_duplicates,
        written.villages_created,
        checked.lookalikes,
        upload.pk,
    )


@transaction.atomic
def _import_checked(upload: Upload, checked: pipeline.Checked, path: Path) -> pipeline.Written:
    pipeline.save_refused(checked.refused_path)
    Upload.objects.filter(pk=upload.pk).update(**checked.upload_fields(), progress_total=checked.valid)
    moved = _lock_villages(upload.district_id)
    new_villages = {key: name for key, name in checked.new_villages.items() if key not in moved}
    made_again = _villages_gone(upload.district_id, checked.villages_used, moved)
    new_villages.update(made_again)
    written = pipeline.write_members(
        upload_id=upload.pk,
        district_id=upload.district_id,
        rows_path=checked.rows_path,
        new_villages=new_villages,
        merges=moved,
        extra_cells=partial(pipeline.extra_cells, path) if checked.unknown_columns else None,
    )
    _mark_imported(upload.pk, written, made_again)
    transaction.on_commit(_trigger_batching, robust=True)
    return written


# --- The rejects loop: wrong numbers and unreachable members, fixed by their district president ---


class RejectError(Exception):
    """A correction that cannot be made; the message is shown to the president."""


def _rejected_member(member_id: int) -> Member:
    member = Member.objects.select_for_update().filter(pk=member_id, status__in=REJECTS).first()
    if member is None:
        raise RejectError(_("This member is no longer waiting for a fix: someone else got there first."))
    return member


@transaction.atomic
def member_correct_number(*, member_id: int, mobile: str, actor) -> Member:
    """Give a rejected member a corrected number and put them back in the queue to be called again."""
    member = _rejected_member(member_id)
    new_mobile = normalise_mobile(mobile)
    _check_free(new_mobile, member)
    before = (member.status, member.attempt_count)
    fields = _renumber(member, old_mobile=member.mobile, new_mobile=new_mobile, actor=actor)
    with _still_free(new_mobile):
        member.save(update_fields=fields)
    rollup.member_moved(member, before=before, after=(member.status, member.attempt_count))
    return member


@transaction.atomic
def member_call_again(*, member_id: int, actor) -> Member:
    """Put a rejected member back in the queue on the same number, the president having checked it is right:
    the call centre could not reach them (away, phone off), or whoever answered said it was not their number (a
    relative, often, on a family phone). The calls before do not count again."""
    member = _rejected_member(member_id)
    before = (member.status, member.attempt_count)
    MemberChange.objects.create(
        member=member, kind=MemberChange.Kind.CALLED_AGAIN, old_mobile=member.mobile, actor=actor
    )
    member.save(update_fields=_requeue(member, actor))
    rollup.member_moved(member, before=before, after=(member.status, member.attempt_count))
    transaction.on_commit(_trigger_batching, robust=True)
    return member


RESET_FIELDS = ["status", "next_call_at", "reserved_for", "status_changed_at", "status_changed_by", "updated_at"]


def _renumber(member: Member, *, old_mobile: str, new_mobile: str, actor) -> list[str]:
    """Give the member a new number, to be called afresh: the old one stays in its history. Returns the fields
    to save."""
    MemberChange.objects.create(
        member=member, kind=MemberChange.Kind.CORRECTED, old_mobile=old_mobile, new_mobile=new_mobile, actor=actor
    )
    member.mobile = new_mobile
    return [*_requeue(member, actor), "mobile"]


def _requeue(member: Member, actor) -> list[str]:
    """Back in the queue, to be called afresh on the number it has from now on: the calls missed before it do
    not count towards the attempts. Audited as a correction. Returns the fields to save."""
    now = timezone.now()
    member.status, member.number_since, member.batch = MemberStatus.PENDING, now, None
    member.next_call_at = member.reserved_for = None
    member.status_changed_at, member.status_changed_by = now, actor
    AuditEvent.objects.create(actor=actor, action=AuditEvent.Action.CORRECT, what=f"member {member.pk}", rows=1)
    return [*RESET_FIELDS, "number_since", "batch"]


def _check_free(mobile: str, member: Member) -> None:
    """Refuse a number this member cannot be given, for the reasons an upload refuses it: enrolled already, or
    corrected away before because the call centre could not use it."""
    if member.mobile == mobile and member.status == MemberStatus.UNREACHABLE:
        raise RejectError(
            _(
                "This is the number the call centre could not reach. If it is right, press “The number is right: "
                "call again”."
            )
        )
    if member.mobile == mobile:
        raise RejectError(
            _(
                "Whoever answered this number told the call centre it is not this member's. If the member has told "
                "you it is theirs, press “The member says it is their number: call again”."
            )
        )
    if member.changes.filter(kind=MemberChange.Kind.CORRECTED, old_mobile=mobile).exists():
        raise RejectError(
            _("This was this member's number before, and the call centre could not use it. Enter another number.")
        )
    _check_enrollable(mobile)


def _check_enrollable(mobile: str) -> None:
    """Refuse a number nobody can be enrolled with, for the reasons an upload refuses it."""
    reason = pipeline.enrolled_reason(mobile)
    if reason is not None:
        raise RejectError(f"{mobile}: {reason}")


@contextmanager
def _still_free(mobile: str):
    """Write a number checked as free: one an upload enrolled between the check and the write is refused, not
    a 500, and the savepoint leaves the caller's transaction usable."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise RejectError(_("%(mobile)s was enrolled by someone else a moment ago.") % {"mobile": mobile}) from None


@transaction.atomic
def member_add(*, village_id: int, name: str, mobile: str, address: str, actor) -> Member:
    """Enrol one member by hand (`mobile` normalised), refused for what an upload refuses; called as any new
    member is. The village is locked first, as a merge locks it."""
    village = Village.objects.select_for_update(no_key=True).filter(pk=village_id).first()
    if village is None:
        raise RejectError(_("This village was merged or deleted meanwhile. Nothing was saved."))
    _check_enrollable(mobile)
    with _still_free(mobile):
        member = Member.objects.create(
            district_id=village.district_id, village=village, name=name, mobile=mobile, address=address
        )
    rollup.member_created(village_id=village.pk, district_id=village.district_id)
    AuditEvent.objects.create(actor=actor, action=AuditEvent.Action.MEMBER_ADD, what=f"member {member.pk}", rows=1)
    transaction.on_commit(_trigger_batching, robust=True)
    return member


@transaction.atomic
def member_replace(*, member_id: int, name: str, mobile: str, address: str, actor) -> Member:
    """Take a rejected member off the list and enrol someone else from the same village in their place."""
    member = _rejected_member(member_id)
    new_mobile = normalise_mobile(mobile)
    _check_free(new_mobile, member)
    with _still_free(new_mobile):
        replacement = Member.objects.create(
            district_id=member.district_id, village_id=member.village_id, name=clean_text(name),
            mobile=new_mobile, address=clean_text(address),
        )  # fmt: skip
    rollup.member_created(village_id=member.village_id, district_id=member.district_id)
    _take_off(member, actor, MemberChange.Kind.REPLACED, reason="", replacement=replacement)
    AuditEvent.objects.create(actor=actor, action=AuditEvent.Action.REPLACE, what=f"member {member.pk}", rows=1)
    return replacement


@transaction.atomic
def member_remove(*, member_id: int, reason: str, actor) -> Member:
    """Take a rejected member off the list, with the reason."""
    member = _rejected_member(member_id)
    _take_off(member, actor, MemberChange.Kind.REMOVED, reason=clean_text(reason))
    AuditEvent.objects.create(actor=actor, action=AuditEvent.Action.REMOVE, what=f"member {member.pk}", rows=1)
    return member


@transaction.atomic
def member_withdraw(*, member_id: int, reason: str, actor) -> Member:
    """Take a member off the list before their first call: enrolled by mistake, or twice. Once called, the
    outcome counts, and only the rejects take a member off (a NO is never withdrawn)."""
    member = Member.objects.select_for_update().filter(pk=member_id).first()
    if member is None or not member.never_called:
        raise RejectError(_("Only a member not called yet can be taken off the list here."))
    _take_off(member, actor, MemberChange.Kind.REMOVED, reason=reason)
    AuditEvent.objects.create(actor=actor, action=AuditEvent.Action.REMOVE, what=f"member {member.pk}", rows=1)
    return member


def _take_off(member, actor, kind, *, reason, replacement=None):
    before, now = (member.status, member.attempt_count), timezone.now()
    MemberChange.objects.create(
        member=member, kind=kind, old_mobile=member.mobile, replacement=replacement, reason=reason, actor=actor
    )
    member.status, member.next_call_at, member.reserved_for = MemberStatus.REMOVED, None, None
    member.status_changed_at, member.status_changed_by = now, actor
    member.save(update_fields=RESET_FIELDS)
    rollup.member_moved(member, before=before, after=(member.status, member.attempt_count))


@dataclass
class CorrectionsResult:
    corrected: int
    problems: list  # (row number, the member's name or "" when the row names none of the district's, message)
    already: int = 0  # rows whose member has that number already: the same file sent twice


def rejects_correct_from_file(*, district: District, file, actor) -> CorrectionsResult:
    """Read a filled-in rejects download (an uploaded file) and apply its corrections; raises UnusableFile."""
    resource = RejectResource()
    labels = {field: str(resource.fields[field].column_name) for field in ("member_id", "corrected")}
    with parsing.on_disk(file, suffix=".xlsx") as path:  # read as the download it must be, whatever its name
        rows = parsing.read_corrections(
            path,
            member_id=resource.headings("member_id"),
            corrected=resource.headings("corrected"),
            mobile=resource.headings("mobile"),
            labels=labels,
        )
    return rejects_apply_corrections(district=district, rows=rows, actor=actor)


@transaction.atomic
def rejects_apply_corrections(*, district: District, rows: list[parsing.Correction], actor) -> CorrectionsResult:
    """Apply corrected numbers from a filled-in rejects download, matched by member id, in one transaction.

    A row that cannot be used (another district's member, not a reject any more, a bad number) is
    reported and skipped; every other row is applied. A number typed over the Mobile column counts as the
    correction; a Mobile cell left as downloaded (any number the member has had) is skipped without a word.
    """
    corrected, already, problems = 0, 0, []
    changed = _changed_numbers(district, rows)
    ids = [int(member_id) for _, member_id, _ in changed if _is_id(member_id)]
    members = {pk: (name, mobile, status) for pk, name, mobile, status in _members(district, ids)}
    for number, member_id, mobile in changed:
        name, now_mobile, status = members.get(int(member_id), ("", "", "")) if _is_id(member_id) else ("", "", "")
        if status not in REJECTS and now_mobile and _is_one_of(mobile, [now_mobile]):
            already += 1  # corrected to this very number already: this file, or a copy of it, was sent before
            continue
        try:
            with transaction.atomic():
                _check_correctable(district, member_id)
                member_correct_number(member_id=int(member_id), mobile=mobile, actor=actor)
            corrected += 1
        except (RejectError, InvalidMobile) as problem:
            problems.append((number, name, str(problem)))
    return CorrectionsResult(corrected, problems, already)


def _members(district: District, ids: list[int]):
    return district.members.filter(pk__in=ids).values_list("pk", "name", "mobile", "status")


def _check_correctable(district: District, member_id: str) -> None:
    if not _is_id(member_id) or not Member.objects.filter(pk=member_id, district=district).exists():
        raise RejectError(_("Member ID %(id)s is not one of this district's members.") % {"id": member_id or "—"})


def _is_id(member_id: str) -> bool:
    # ASCII digits only: isdigit() alone accepts "²", which int() and the database then refuse.
    return member_id.isascii() and member_id.isdigit() and len(member_id) < 19


def _changed_numbers(district: District, rows: list[parsing.Correction]) -> list[tuple[int, str, object]]:
    """(row, member id, new number) of the rows to apply: every filled-in "Corrected mobile", and each Mobile cell
    of this district's member that no longer reads as a number the member has had."""
    typed = [int(row.member_id) for row in rows if row.in_mobile_column and _is_id(row.member_id)]
    had = _numbers_had(district, typed)
    changed = []
    for number, member_id, mobile, in_mobile_column in rows:
        numbers = had.get(int(member_id)) if in_mobile_column and _is_id(member_id) else None
        if not in_mobile_column or (numbers and not _is_one_of(mobile, numbers)):
            changed.append((number, member_id, mobile))
    return changed


def _numbers_had(district: District, member_ids: list[int]) -> dict[int, set]:
    """Every number each of these members of the district has had, now and before, by member id."""
    had = {pk: {mobile} for pk, mobile in district.members.filter(pk__in=member_ids).values_list("pk", "mobile")}
    before = MemberChange.objects.filter(member__in=list(had)).exclude(old_mobile="")
    for pk, old_mobile in before.values_list("member_id", "old_mobile"):
        had[pk].add(old_mobile)
    return had


def _is_one_of(mobile, numbers: set) -> bool:
    if typed_digits(cell_text(mobile)) in numbers:
        return True  # as stored, even a number the rules now refuse (9876543210)
    try:
        return normalise_mobile(mobile) in numbers
    except InvalidMobile:
        return False  # typed over with something that is not a number: applied, so that it is reported


@transaction.atomic
def member_edit(
    *, member_id: int, name: str, address: str, village_id: int, actor, mobile: str | None = None
) -> Member:
    """A president's correction of who a member is and where: name, address, and village in the same district.
    The call state is left alone.

    A new `mobile` (normalised) is taken only while the member has not been called: a number typed wrong on the
    list. Once called, a number is corrected through the rejects, after the call centre finds it wrong.

    The village is locked before the member, as a merge locks them: a village merged away meanwhile is refused,
    not written.
    """
    village = Village.objects.select_for_update(no_key=True).filter(pk=village_id).first()
    member = Member.objects.select_for_update().exclude(status=MemberStatus.REMOVED).filter(pk=member_id).first()
    if village is None or member is None or village.district_id != member.district_id:
        raise RejectError(_("The member or the village was changed meanwhile. Nothing was saved."))
    new = {"name": name, "address": address, "village_id": village.pk, "mobile": mobile or member.mobile}
    changed = [field for field, value in new.items() if getattr(member, field) != value]
    if not changed:
        return member
    fields = ["name", "address", "village", "updated_at"]
    if "mobile" in changed:
        fields += _retype(member, mobile, actor)
    from_village_id, before = member.village_id, _details(member)
    member.name, member.address, member.village = name, address, village
    # Only a new number can be taken meanwhile: an edit that keeps it needs no savepoint.
    with _still_free(mobile) if "mobile" in changed else nullcontext():
        member.save(update_fields=fields)
    if from_village_id != village.pk:
        rollup.member_moved_village(
            member=member, from_village_id=from_village_id, before=(member.status, member.attempt_count)
        )
    _record_edit(member, before, actor)
    detail = {"fields": changed, "village_from": from_village_id, "village_to": village.pk}
    AuditEvent.objects.create(
        actor=actor, action=AuditEvent.Action.MEMBER_EDIT, what=f"member {member.pk}", rows=1, detail=detail
    )
    return member


def _details(member: Member) -> dict:
    return {"name": member.name, "village": member.village.name, "address": member.address}


def _record_edit(member: Member, before: dict, actor) -> None:
    """Keep in the member's history what a correction changed of their name, village and address, before and
    after (a new number has its own entry)."""
    after = _details(member)
    details = {field: [before[field], after[field]] for field in after if before[field] != after[field]}
    if details:
        MemberChange.objects.create(member=member, kind=MemberChange.Kind.EDITED, details=details, actor=actor)


def _retype(member: Member, mobile: str, actor) -> list[str]:
    """Give a member not called yet the number the list should have had; the one typed stays in its history,
    and, not being one the call centre found wrong, may be enrolled again. Returns the fields to save."""
    if not member.never_called:
        raise RejectError(
            _(
                "The call centre has called this member meanwhile: the number is now corrected from the rejects. "
                "Nothing was saved."
            )
        )
    _check_enrollable(mobile)
    MemberChange.objects.create(
        member=member, kind=MemberChange.Kind.RETYPED, old_mobile=member.mobile, new_mobile=mobile, actor=actor
    )
    member.mobile, member.number_since = mobile, timezone.now()
    return ["mobile", "number_since"]


# --- Staff edits in the admin: the figures follow, as they do for every other change -------------------

NOT_LISTED = (MemberStatus.REMOVED, 0)  # what a member not (or no longer) on the list adds to the figures
ADMIN_FIELDS = ["name", "mobile", "address", "village", "district", "updated_at"]


@transaction.atomic
def member_admin_save(*, member: Member, created: bool, actor) -> None:
    """Save a member added or edited in the admin. Staff change who the member is and where: name, number,
    address and village (the district is the village's). A new number is called afresh, as a correction is;
    otherwise the call state is left to calls and the rejects loop, so an edit never writes over an outcome."""
    member.district_id = member.village.district_id
    if created:
        with _still_free(member.mobile):
            member.save()
        rollup.member_created(village_id=member.village_id, district_id=member.district_id)
        _audit_admin(actor, AuditEvent.Action.MEMBER_ADD, member, fields=["name", "mobile", "address", "village"])
        return
    stored = Member.objects.select_for_update().get(pk=member.pk)
    if stored.status == MemberStatus.REMOVED and member.mobile != stored.mobile:
        # A new number is called afresh: it would put back on the list someone taken off it, beside whoever
        # replaced them.
        raise RejectError(
            _(
                "This member was taken off the list: their number is not changed. "
                "Add them as a new member if they belong on it."
            )
        )
    changed = [
        field
        for field in ("name", "mobile", "address", "village_id")
        if getattr(stored, field) != getattr(member, field)
    ]
    if changed:
        _audit_admin(actor, AuditEvent.Action.MEMBER_EDIT, member, fields=changed)
    before = after = (stored.status, stored.attempt_count)
    fields = ADMIN_FIELDS
    if member.mobile != stored.mobile:
        new_mobile, member.mobile = member.mobile, stored.mobile
        if stored.never_called:
            # A number typed wrong on the list, as a president retypes it: not one the call centre could not use,
            # which nobody could be enrolled with again.
            fields = [*fields, *_retype(member, new_mobile, actor)]
        else:
            fields = [*fields, *_renumber(member, old_mobile=stored.mobile, new_mobile=new_mobile, actor=actor)]
            after = (member.status, stored.attempt_count)
    with _still_free(member.mobile) if "mobile" in fields else nullcontext():
        member.save(update_fields=fields)
    _record_edit(member, _details(stored), actor)
    if stored.village_id == member.village_id:
        rollup.member_moved(member, before=before, after=after)
        return
    rollup.member_moved_village(
        member=member,
        from_village_id=stored.village_id,
        from_district_id=stored.district_id,
        before=before,
        after=after,
    )
    if stored.district_id != member.district_id:
        rollup.calls_moved_district(
            member_id=member.pk, from_district_id=stored.district_id, to_district_id=member.district_id
        )


@transaction.atomic
def members_admin_delete(*, member_ids, actor) -> None:
    """Delete members outright (staff only; members with calls or history are protected and stay)."""
    deleted = []
    for member in Member.objects.select_for_update().filter(pk__in=list(member_ids)).order_by("pk"):
        deleted.append(member.pk)
        member.delete()
        rollup.member_moved(member, before=(member.status, member.attempt_count), after=NOT_LISTED)
    if deleted:
        AuditEvent.objects.create(
            actor=actor, action=AuditEvent.Action.MEMBER_DELETE, what="members", rows=len(deleted),
            detail={"members": deleted, "by": "admin"},
        )  # fmt: skip


def _audit_admin(actor, action, member: Member, *, fields: list[str]) -> None:
    detail = {"fields": fields, "by": "admin", "district_id": member.district_id}
    AuditEvent.objects.create(actor=actor, action=action, what=f"member {member.pk}", rows=1, detail=detail)
