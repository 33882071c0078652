import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calls.models import Outcome
from calls.services import MarkRequest
from members.forms import CleanTextField

EARLIEST_DAY = datetime.date(2020, 1, 1)
# A call-back is for the coming days, not for a year that was typed by mistake (it would park the member).
LATEST_CALL_BACK = datetime.timedelta(days=60)


class MarkForm(forms.Form):
    member = forms.IntegerField(widget=forms.HiddenInput)
    submission_key = forms.UUIDField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(choices=Outcome.choices)
    note = CleanTextField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    call_back_at = forms.DateTimeField(
        label=_("Call back at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    personal = forms.BooleanField(label=_("Keep this call-back for me"), required=False)

    def clean(self):
        data = super().clean()
        when, now = data.get("call_back_at"), timezone.now()
        if data.get("outcome") != Outcome.CALL_BACK:
            return data
        if when is None or when <= now:
            self.add_error("call_back_at", _("Choose a time in the future to call back."))
        elif when > now + LATEST_CALL_BACK:
            self.add_error("call_back_at", _("Choose a time within the next 60 days."))
        return data

    def to_request(self) -> MarkRequest:
        data = self.cleaned_data
        return MarkRequest(
            member_id=data["member"],
            outcome=data["outcome"],
            note=data["note"].strip(),
            call_back_at=data["call_back_at"],
            personal=data["personal"],
            submission_key=data["submission_key"],
        )


class DayForm(forms.Form):
    day = forms.DateField(label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day and not EARLIEST_DAY <= day <= timezone.localdate():
            raise forms.ValidationError(_("Choose a day from 2020 up to today."))
        return day
