from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from calls.models import Outcome
from calls.services import MarkRequest


class MarkForm(forms.Form):
    member = forms.IntegerField(widget=forms.HiddenInput)
    submission_key = forms.UUIDField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(choices=Outcome.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    call_back_at = forms.DateTimeField(
        label=_("Call back at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    personal = forms.BooleanField(label=_("Keep this call-back for me"), required=False)

    def clean(self):
        data = super().clean()
        when = data.get("call_back_at")
        if data.get("outcome") == Outcome.CALL_BACK and (when is None or when <= timezone.now()):
            self.add_error("call_back_at", _("Choose a time in the future to call back."))
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
