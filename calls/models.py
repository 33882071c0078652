import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from controlroom.languages import in_reader_language
from districts.models import NAME_EN_HELP, NAME_HELP, CallCentre
from members.models import MemberStatus

SCRIPT_PLACES = ("name", "village")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_DOUBLED = re.compile(r"\{\{[^{}]*\}\}")


def validate_script(script: str) -> None:
    """A call script fills in only {name} and {village}; anything else in braces would be read out as written."""
    doubled = list(dict.fromkeys(_DOUBLED.findall(script)))  # as written, each once
    if doubled:  # {{name}}, as other tools write it, would read "{राम कुमार}"
        raise ValidationError(
            _("Write each of %(doubled)s with one pair of braces: {name}, {village}."),
            params={"doubled": ", ".join(doubled)},
            code="doubled_braces",
        )
    unknown = sorted({f"{{{found}}}" for found in _PLACEHOLDER.findall(script) if found not in SCRIPT_PLACES})
    if unknown:
        raise ValidationError(
            _("Only {name} and {village} are filled in for each member; this script also has %(unknown)s."),
            params={"unknown": ", ".join(unknown)},
            code="unknown_placeholder",
        )


SCRIPT_HELP = _("Write {name} and {village} where the member's name and village go.")


class Campaign(models.Model):
    """A calling drive. Membership verification is the first; feedback and turnout drives reuse the floor."""

    class Kind(models.TextChoices):
        VERIFICATION = "verification", _("Membership verification")
        FEEDBACK = "feedback", _("Citizen feedback")
        TURNOUT = "turnout", _("Election-day turnout")

    name = models.CharField(_("name"), max_length=120, unique=True, help_text=NAME_HELP)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True, help_text=NAME_EN_HELP)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.VERIFICATION)
    script_hi = models.TextField(_("call script (Hindi)"), validators=[validate_script], help_text=SCRIPT_HELP)
    script_en = models.TextField(
        _("call script (English)"), blank=True, validators=[validate_script], help_text=SCRIPT_HELP
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        # Operators call for one drive at a time; the floor names it, and new batches are built for it.
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="one_active_campaign",
                violation_error_message=_(
                    "Another calling drive is running. Make it inactive first: one drive runs at a time."
                ),
            )
        ]

    def __str__(self):
        return in_reader_language(self.name, self.name_en)

    @property
    def runnable(self) -> bool:
        """Whether this drive may run (see NOT_YET_RUNNABLE)."""
        return self.kind == self.Kind.VERIFICATION

    def clean(self):
        if self.is_active and not self.runnable:
            raise ValidationError({"is_active": NOT_YET_RUNNABLE})


# Outcomes are written to the members' verification (YES confirms a member): a feedback or turnout drive's
# answers would be taken for it. Those drives can be prepared, with their scripts, but not run yet.
NOT_YET_RUNNABLE = _(
    "Only a membership verification drive can run for now: the answers of this kind of drive would be counted as "
    "members' verification."
)


class Shift(models.Model):
    """An operator's time on the floor, from "Start calling" to "Stop" (or going idle)."""

    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shifts", verbose_name=_("operator")
    )
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    # Who ended it, when not the operator (Stop, logging out) nor a long pause: a supervisor releasing the batch.
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ended by"),
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        constraints = [
            models.UniqueConstraint(fields=["operator"], condition=Q(ended_at__isnull=True), name="one_open_shift"),
        ]

    def __str__(self):
        return f"{self.operator} {self.started_at:%Y-%m-%d %H:%M}"


class CallBatch(models.Model):
    """An operator's lease on a few members; members point at the batch while they are in it."""

    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="batches", verbose_name=_("operator")
    )
    call_centre = models.ForeignKey(
        CallCentre, on_delete=models.PROTECT, related_name="batches", verbose_name=_("call centre")
    )
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="batches", verbose_name=_("campaign"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The lease: pushed forward by every action of the operator; past it, the batch goes back to the pool.
    expires_at = models.DateTimeField(_("expires"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The one member the operator is looking at; everything else in the batch stays hidden from them.
    current = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("member on screen"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("call batch")
        verbose_name_plural = _("call batches")
        indexes = [models.Index(fields=["expires_at"], condition=Q(closed_at__isnull=True), name="batch_open_expiry")]
        constraints = [
            models.UniqueConstraint(fields=["operator"], condition=Q(closed_at__isnull=True), name="one_open_batch"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.operator}"


class Outcome(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    WRONG_NUMBER = "wrong", _("Wrong number")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    SWITCHED_OFF = "switched_off", _("Switched off / unreachable")
    # What the member said, as the other outcomes say what happened: the console's key reads "Call back later".
    CALL_BACK = "call_back", _("Asked to be called back later")


# The outcomes that end a member's calling, and the status each leaves them in.
FINAL = {Outcome.YES: MemberStatus.YES, Outcome.NO: MemberStatus.NO, Outcome.WRONG_NUMBER: MemberStatus.WRONG_NUMBER}


class CallAttempt(models.Model):
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="attempts", verbose_name=_("member")
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attempts", verbose_name=_("operator")
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="attempts", verbose_name=_("campaign")
    )
    batch = models.ForeignKey(
        CallBatch,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attempts",
        verbose_name=_("call batch"),
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)
    call_back_at = models.DateTimeField(_("call back at"), null=True, blank=True)
    # The member's status this attempt left behind; undo checks nothing has moved since.
    result_status = models.CharField(_("member's status after it"), max_length=12, choices=MemberStatus.choices)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    # Whose personal call-back the member was when called: undone, the call gives it back to them.
    kept_for_before = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        verbose_name=_("kept for, before the call"),
    )
    # One key per rendered form: a double click or a resubmitted form cannot store a second attempt.
    submission_key = models.UUIDField(_("form key"), unique=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("call attempt")
        verbose_name_plural = _("call attempts")
        indexes = [
            models.Index(fields=["member", "created_at"], name="attempt_member_time"),
            models.Index(fields=["operator", "created_at"], name="attempt_operator_time"),
        ]

    def __str__(self):
        return f"{self.member} · {self.get_outcome_display()}"
