import datetime
import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from districts.models import District, Figures, ScopedQuerySet, Village


class MemberStatus(models.TextChoices):
    PENDING = "pending", _("To be called")  # the figures' "Pending" also counts those in a batch or due a retry
    IN_BATCH = "in_batch", _("In a call batch")
    YES = "yes", _("Confirmed (YES)")
    NO = "no", _("Said NO")
    WRONG_NUMBER = "wrong", _("Wrong number")
    RETRY = "retry", _("Waiting to retry")
    UNREACHABLE = "unreachable", _("Unreachable")
    REMOVED = "removed", _("Removed")


# The members sent back to their district president to fix: wrong numbers, and those never reached.
REJECTS = (MemberStatus.WRONG_NUMBER, MemberStatus.UNREACHABLE)


def upload_path(instance, filename):
    """A random private name: the person's file name is kept on the record, never in a path."""
    suffix = Path(filename).suffix.lower()[:8]
    return f"uploads/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Upload(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        VALIDATING = "validating", _("Checking")
        VALIDATED = "validated", _("Checked, waiting for confirmation")
        IMPORTING = "importing", _("Importing")
        IMPORTED = "imported", _("Imported")
        FAILED = "failed", _("Failed")
        DISCARDED = "discarded", _("Discarded")

    RUNNING = (Status.RECEIVED, Status.VALIDATING, Status.IMPORTING)

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="uploads", verbose_name=_("district"))
    # Empty for files loaded from the command line.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="uploads",
        verbose_name=_("uploaded by"),
    )
    file = models.FileField(_("uploaded file"), upload_to=upload_path, blank=True)
    original_name = models.CharField(_("file"), max_length=255)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    # Why the file could not be used, as a code and parameters: translated when shown (see members.parsing).
    error_code = models.CharField(_("problem code"), max_length=32, blank=True)
    error_params = models.JSONField(_("problem details"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    valid = models.PositiveIntegerField(_("valid"), default=0)
    rejected = models.PositiveIntegerField(_("invalid rows"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    marked_wrong = models.PositiveIntegerField(_("numbers marked wrong before"), default=0)
    imported = models.PositiveIntegerField(_("imported"), default=0)
    new_villages = models.PositiveIntegerField(_("new villages"), default=0)
    new_village_names = models.JSONField(_("names of new villages"), default=list, blank=True)
    # The district's villages the valid rows go to, [[key, name], ...]: one deleted before the import (staff may
    # delete an empty village) is made again, rather than its rows lost.
    villages_used = models.JSONField(_("villages the rows go to"), default=list, blank=True)
    # New village names that look like a misspelling of one the district has: {new name: existing name}.
    similar_villages = models.JSONField(_("look-alike villages"), default=dict, blank=True)
    # Look-alikes the confirming user said are the village the district has: {new key: existing key}. Their
    # members go into the existing village and no new one is created.
    village_merges = models.JSONField(_("new villages put in existing ones"), default=dict, blank=True)
    unknown_columns = models.JSONField(_("columns not understood"), default=list, blank=True)
    # The first valid rows as read, for the preview: [{"row", "name", "mobile", "village", "address"}, ...].
    # Personal data: purged with the refused rows.
    valid_sample = models.JSONField(_("first valid rows"), default=list, blank=True)
    sheet = models.CharField(_("sheet"), max_length=255, blank=True)
    # A workbook's later sheets that hold a list too: only the first list is read, and the preview says so.
    other_sheets = models.JSONField(_("other sheets with a list"), default=list, blank=True)
    # Progress of the running job, in rows (spreadsheets) or bytes (CSV).
    progress_done = models.PositiveIntegerField(_("progress done"), default=0)
    progress_total = models.PositiveIntegerField(_("progress total"), default=0)
    # The checked, valid rows waiting for confirmation, ready to COPY into PostgreSQL.
    checked_rows = models.FileField(_("checked rows file"), upload_to="uploads/checked/", blank=True)
    # Times a stuck job was handed to a worker again.
    attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    purged_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")
        indexes = [models.Index(fields=["status", "updated_at"], name="upload_status_updated")]

    def __str__(self):
        return self.original_name

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def seems_stalled(self) -> bool:
        """Running, but not moved for a minute: a check moves every few seconds, and an import takes seconds."""
        return self.is_running and timezone.now() - self.updated_at > datetime.timedelta(seconds=60)

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def new_villages_checked(self) -> list[tuple[str, str | None]]:
        """Each new village name, with the existing village it may be a misspelling of."""
        return [(name, self.similar_villages.get(name)) for _key, name in self.new_village_names]

    @property
    def merged_village_names(self) -> set[str]:
        """The new names whose members went into an existing village (see `village_merges`)."""
        return {name for key, name in self.new_village_names if key in self.village_merges}

    @property
    def refused(self) -> int:
        return self.rejected + self.duplicates

    @property
    def valid_not_shown(self) -> int:
        """Valid rows beyond the sample the preview shows."""
        return max(0, self.valid - len(self.valid_sample))


class RefusedRow(models.Model):
    """A row of an upload that will not be (or was not) imported, with the cells as typed and the reasons."""

    class Kind(models.TextChoices):
        REJECTED = "rejected", _("Invalid")
        DUPLICATE = "duplicate", _("Duplicate")

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="refused_rows")
    row_number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # [[column, reason code, {params}], ...]: words are chosen at view time, in the viewer's language.
    problems = models.JSONField(default=list)
    name = models.TextField(blank=True)
    mobile = models.TextField(blank=True)
    village = models.TextField(blank=True)
    address = models.TextField(blank=True)
    # The cells of the columns the import does not read (the upload's `unknown_columns`, in order), as typed.
    extra = models.JSONField(default=list, blank=True, db_default=[])

    class Meta:
        ordering = ["row_number"]
        constraints = [models.UniqueConstraint(fields=["upload", "row_number"], name="refused_row_once")]
        indexes = [models.Index(fields=["upload", "kind", "row_number"], name="refused_row_by_kind")]

    def __str__(self):
        return f"{self.upload_id}:{self.row_number}"


class Member(models.Model):
    # Both looked up through the (district, status) and (village, status) indexes below: no index of their own, so
    # an import of a lakh of rows maintains fewer of them.
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="members", db_index=False, verbose_name=_("district")
    )
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="members", db_index=False, verbose_name=_("village")
    )
    name = models.CharField(_("name"), max_length=120)
    # Canonical form everywhere: the 10 national digits of an Indian mobile (see members.phone). Unique through a
    # constraint in Meta, which (unlike unique=True) adds no second, LIKE-only index on PostgreSQL.
    mobile = models.CharField(_("mobile"), max_length=10)
    address = models.CharField(_("address"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=MemberStatus.choices, default=MemberStatus.PENDING)
    attempt_count = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When a member waiting to retry, or asking to be called back, may be handed out again.
    next_call_at = models.DateTimeField(_("next call at"), null=True, blank=True)
    # A "call me back" the operator kept for themselves; anyone else may take it otherwise.
    reserved_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        verbose_name=_("kept for operator"),
    )
    # Indexed by the partial member_batch_queue below.
    batch = models.ForeignKey(
        "calls.CallBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        db_index=False,
        verbose_name=_("call batch"),
    )
    upload = models.ForeignKey(
        Upload, null=True, blank=True, on_delete=models.SET_NULL, related_name="members", verbose_name=_("upload")
    )
    created_at = models.DateTimeField(_("enrolled"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # When the current number was set by a correction; attempts before it were to another number.
    number_since = models.DateTimeField(_("number in use since"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        verbose_name=_("status changed by"),
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [
            # The batch builder's scan: callable members of a district, oldest first.
            models.Index(
                fields=["district", "created_at"],
                condition=Q(status__in=["pending", "retry"]),
                name="member_callable_by_district",
            ),
            # A batch's queue. Only the few members in a batch are in it, so marking an outcome (which takes
            # the member out) is cheap to index, and the next one is found by sorting a batch's few rows.
            models.Index(fields=["batch", "id"], condition=Q(batch__isnull=False), name="member_batch_queue"),
            models.Index(fields=["village", "status"], name="member_village_status"),
            models.Index(fields=["district", "status"], name="member_district_status"),
            # Empty for every member a list brings in: indexed only where set.
            models.Index(fields=["reserved_for"], condition=Q(reserved_for__isnull=False), name="member_reserved_for"),
            models.Index(
                fields=["status_changed_by"], condition=Q(status_changed_by__isnull=False), name="member_changed_by"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["mobile"], name="member_mobile_unique"),
            models.CheckConstraint(condition=Q(mobile__regex=r"^[6-9][0-9]{9}$"), name="member_mobile_canonical"),
            # Being in a batch and holding a batch lease are the same fact.
            models.CheckConstraint(
                condition=Q(status="in_batch", batch__isnull=False) | (~Q(status="in_batch") & Q(batch__isnull=True)),
                name="member_in_batch_iff_batch_set",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.village})"

    @property
    def never_called(self) -> bool:
        """Listed and not called yet: its district president may still fix its number, or take it off the list."""
        return self.status == MemberStatus.PENDING and not self.attempt_count


class MemberChange(models.Model):
    """A member's history on the list: every corrected number, replacement and removal, with who and when."""

    class Kind(models.TextChoices):
        CORRECTED = "corrected", _("Number corrected")
        # A number typed wrong on the list, fixed before the call centre called it: not one it found wrong.
        RETYPED = "retyped", _("Number fixed before the first call")
        REPLACED = "replaced", _("Replaced by another member")
        REMOVED = "removed", _("Removed from the list")
        EDITED = "edited", _("Details corrected")
        # Never reached, but the number is right (the president checked it): called again on it.
        CALLED_AGAIN = "called_again", _("Sent to be called again on the same number")

    # What an EDITED change changed, each field's value before and after: {"name": ["old", "new"], …}.
    DETAIL_LABELS = {"name": _("Name"), "village": _("Village"), "address": _("Address")}

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    old_mobile = models.CharField(max_length=10, blank=True)
    new_mobile = models.CharField(max_length=10, blank=True)
    details = models.JSONField(default=dict, blank=True)
    replacement = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("member change")
        verbose_name_plural = _("member changes")
        indexes = [
            models.Index(fields=["member", "created_at"], name="memberchange_member_time"),
            # Uploads look up numbers corrected away, a chunk of rows at a time.
            models.Index(fields=["old_mobile"], name="memberchange_old_mobile"),
        ]

    def __str__(self):
        return f"{self.member_id} {self.kind}"

    @property
    def detail_rows(self) -> list[tuple]:
        """(label, before, after) for each field a correction changed, in the reader's language."""
        return [(self.DETAIL_LABELS.get(field, field), old, new) for field, (old, new) in self.details.items()]


class UploadStats(Figures):
    """How an upload's members fared, kept by the same deltas as the district figures: whose lists check out."""

    upload = models.OneToOneField(Upload, primary_key=True, on_delete=models.CASCADE, related_name="stats")

    def __str__(self):
        return f"{self.upload_id}"
