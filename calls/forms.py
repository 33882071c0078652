import datetime
import re
from typing import NamedTuple

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calls.models import Outcome
from calls.services import MarkRequest, within_calling_hours
from members.rows import clean_text

EARLIEST_DAY = datetime.date(2020, 1, 1)
# A call-back is for the coming days, not for a year that was typed by mistake (it would park the member).
LATEST_CALL_BACK = datetime.timedelta(days=60)


class NoteField(forms.CharField):
    """A note cleaned line by line as an upload cleans a cell (NFC, spacing, invisible characters): the lines
    an operator typed stay, with at most one blank line between them.

    The box has no maxlength: the browser would cut a pasted note silently. The console counts as the operator
    types, and a note still too long once cleaned is refused with the note kept in the box."""

    default_error_messages = {
        "max_length": _(
            "Shorten the note to %(limit_value)d characters or fewer: it has %(show_value)d. Nothing was saved."
        )
    }

    def to_python(self, value):
        lines = "\n".join(clean_text(line) for line in super().to_python(value).splitlines())
        return re.sub(r"\n{3,}", "\n\n", lines).strip()

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


# The times an operator picks with one click (see `call_back_choices`): (label, days from today, hour), or an hour
# from now. Rounded to the quarter hour, as people say a time.
CALL_BACK_CHOICES = [
    (_("In an hour"), None, None),
    (_("This evening"), 0, 18),
    (_("Tomorrow morning"), 1, 10),
    (_("Tomorrow evening"), 1, 18),
]


class CallBackChoice(NamedTuple):
    label: str
    when: datetime.datetime  # in India's time

    @property
    def value(self) -> str:
        """As the time box takes it. Formatted here, not by the date and time filters, which took three times as
        long for the four of them (0.25 ms), on every member the console shows."""
        return f"{self.when:%Y-%m-%dT%H:%M}"

    @property
    def time(self) -> str:
        return f"{self.when:%H:%M}"


def call_back_choices(centre, now: datetime.datetime) -> list[CallBackChoice]:
    """The call-back times offered with one click: within the centre's calling hours and still to come.

    Typing a day and a time into the browser's date box is slow, and the box shows the PC's own order (3/4 is
    the 4th of March on many an office PC): a member who says "call me this evening" gets it in one click."""
    local = timezone.localtime(now)
    choices = []
    for label, days, hour in CALL_BACK_CHOICES:
        if days is None:
            when = local + datetime.timedelta(hours=1)
            when += datetime.timedelta(minutes=-when.minute % 15)
            when = when.replace(second=0, microsecond=0)
        else:
            when = (local + datetime.timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
        if when > local and (centre is None or within_calling_hours(centre, when)):
            choices.append(CallBackChoice(label, when))
    return choices


class MarkForm(forms.Form):
    member = forms.IntegerField(widget=forms.HiddenInput)
    submission_key = forms.UUIDField(widget=forms.HiddenInput)
    number = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)
    outcome = forms.ChoiceField(choices=Outcome.choices)
    note = NoteField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    call_back_at = forms.DateTimeField(
        label=_("Call back at"),
        required=False,
        error_messages={"invalid": _("Choose the day and time to call back.")},
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    personal = forms.BooleanField(label=_("Keep this call-back for me"), required=False)

    def __init__(self, *args, centre=None, **kwargs):
        """`centre`: the operator's call centre, whose calling hours a call-back must fall within."""
        super().__init__(*args, **kwargs)
        self.centre = centre

    def clean(self):
        data = super().clean()
        when, now = data.get("call_back_at"), timezone.now()
        if data.get("outcome") != Outcome.CALL_BACK or "call_back_at" in self.errors:
            return data
        if when is None:
            self.add_error("call_back_at", _("Choose the day and time to call back."))
        elif when <= now:
            self.add_error("call_back_at", _("Choose a time in the future to call back."))
        elif when > now + LATEST_CALL_BACK:
            self.add_error("call_back_at", _("Choose a time within the next 60 days."))
        elif self.centre is not None and not within_calling_hours(self.centre, when):
            # Numbers are handed out only within the hours: at 23:30 the member would wait, unseen, until morning.
            self.add_error("call_back_at", self._outside_hours())
        return data

    def _outside_hours(self) -> forms.ValidationError:
        hours = {"starts": f"{self.centre.calling_starts:%H:%M}", "ends": f"{self.centre.calling_ends:%H:%M}"}
        message = _("Choose a time within calling hours, %(starts)s to %(ends)s.")
        return forms.ValidationError(message, code="outside_hours", params=hours)

    def to_request(self) -> MarkRequest:
        data = self.cleaned_data
        return MarkRequest(
            member_id=data["member"],
            outcome=data["outcome"],
            note=data["note"].strip(),
            call_back_at=data["call_back_at"],
            personal=data["personal"],
            submission_key=data["submission_key"],
            number=data["number"],
        )


class DayForm(forms.Form):
    day = forms.DateField(label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day and not EARLIEST_DAY <= day <= timezone.localdate():
            raise forms.ValidationError(_("Choose a day from 2020 up to today."))
        return day
