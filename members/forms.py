from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from districts.models import District
from districts.selectors import village_named
from members import pipeline, selectors
from members.models import Upload
from members.parsing import PROBLEMS, UnusableFile, sniff
from members.phone import InvalidMobile, normalise_mobile, typed_digits
from members.rows import clean_text, has_letter, reason_text


class CleanTextField(forms.CharField):
    """Text cleaned as an upload cleans it (NFC, spacing, invisible characters) before it is checked: a name
    made only of invisible characters is an empty name, and a required one is refused."""

    def to_python(self, value):
        return clean_text(super().to_python(value))


# Typed with the district's villages offered (a <datalist id="village-names"> on the page).
VILLAGE_NAME_INPUT = forms.TextInput(attrs={"list": "village-names", "autocomplete": "off"})


class NameField(CleanTextField):
    """A member's name, refused as an upload refuses it when it has no letter in it ("123", "--")."""

    def validate(self, value):
        super().validate(value)
        if value and not has_letter(value):
            raise ValidationError(reason_text("no_letters", {"value": value[:40]}), code="no_letters")


class MobileField(forms.CharField):
    """A mobile number as people write it ("+91 98123-45670"), normalised as an upload normalises it."""

    def __init__(self, **kwargs):
        super().__init__(max_length=40, **kwargs)  # wider than the stored 10 digits: prefixes and spaces
        self.stored = ""  # the number the member has: kept as it is, even one the rules now refuse (9876543210)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "tel", "autocomplete": "off"}

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        if self.stored and typed_digits(value) == self.stored:
            return self.stored
        try:
            return normalise_mobile(value)
        except InvalidMobile as invalid:
            raise ValidationError(invalid.message, code=invalid.code) from None


class UploadForm(forms.Form):
    district = forms.ModelChoiceField(queryset=District.objects.none(), label=_("District"), empty_label=None)
    file = forms.FileField(
        label=_("Member list"),
        help_text=_("Excel (.xlsx) or CSV, with the columns Name, Mobile, Village and Address."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.xlsb,.ods,.csv,.txt"}),
        error_messages={"empty": PROBLEMS["empty"]},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        districts = selectors.upload_districts(user)
        field = self.fields["district"]
        field.queryset = districts
        if len(districts) == 1:
            field.initial, field.disabled, field.widget = districts[0], True, forms.HiddenInput()
        else:  # nothing chosen for them: a list must not land in the first district of the menu by default
            field.empty_label = _("Choose the district")

    @property
    def fixed_district(self):
        """The one district a president of one district uploads for: shown, never chosen."""
        field = self.fields["district"]
        return field.initial if field.disabled else None

    def clean_file(self):
        """Refuse at once what is plainly unusable (empty, too big, not a spreadsheet); the rest is checked later."""
        upload = self.cleaned_data["file"]
        head = upload.read(8192)
        upload.seek(0)
        try:
            sniff(head, upload.size)
        except UnusableFile as problem:
            raise ValidationError(problem.message, code=problem.code) from None
        return upload


class MemberAdminForm(forms.ModelForm):
    """The admin's member form: the same mobile normalisation and text cleaning as an upload."""

    name = CleanTextField(label=_("name"), max_length=120)
    mobile = MobileField(
        label=_("mobile"),
        help_text=_(
            "A new number is called afresh: a member already called goes back to pending, and their earlier "
            "calls stay in their history."
        ),
    )
    address = CleanTextField(label=_("address"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mobile"].stored = self.instance.mobile if self.instance.pk else ""

    def clean_mobile(self):
        """A new number is refused for what an upload, a president's form and the admin import refuse: a member
        has it (saying where), or it was corrected away as one the call centre could not use."""
        mobile = self.cleaned_data["mobile"]
        reason = pipeline.enrolled_reason(mobile) if mobile and mobile != self.fields["mobile"].stored else None
        if reason is not None:
            raise ValidationError(reason, code="enrolled")
        return mobile


class CorrectNumberForm(forms.Form):
    mobile = forms.CharField(label=_("Corrected mobile number"), max_length=40)


class ReplaceMemberForm(forms.Form):
    name = CleanTextField(label=_("Name"), max_length=120)
    mobile = forms.CharField(label=_("Mobile"), max_length=40)
    address = CleanTextField(label=_("Address"), max_length=255, required=False)


class RemoveMemberForm(forms.Form):
    reason = CleanTextField(label=_("Reason"), max_length=255)


class CallAgainForm(forms.Form):
    """Nothing to type: the button says the number was checked and is right."""


class CorrectionsForm(forms.Form):
    file = forms.FileField(label=_("Filled-in rejects file (.xlsx)"))


class MemberEditForm(forms.Form):
    """A member's name, address and village, checked as an upload checks them; the village is one the member's
    district has, by its name. And the number, while the member has not been called."""

    name = NameField(label=_("Name"), max_length=120)
    mobile = MobileField(
        label=_("Mobile"),
        help_text=_("Typed wrong on the list? Fix it here until the first call; after that, from the rejects."),
    )
    address = CleanTextField(label=_("Address"), max_length=255, required=False)
    village = CleanTextField(label=_("Village"), max_length=120, widget=VILLAGE_NAME_INPUT)

    def __init__(self, *args, member, **kwargs):
        initial = {"name": member.name, "mobile": member.mobile, "address": member.address}
        super().__init__(*args, initial={**initial, "village": member.village.name}, **kwargs)
        self.member = member
        # Corrected from the rejects once the call centre finds it wrong. A form opened before the first call and
        # sent after it keeps the field: the service then says why the number was not taken.
        if not member.never_called and (not self.is_bound or "mobile" not in self.data):
            del self.fields["mobile"]
        else:
            self.fields["mobile"].widget.attrs["aria-describedby"] = self["mobile"].auto_id + "_help"
            self.fields["mobile"].stored = member.mobile

    def clean_village(self):
        village = village_named(self.member.district_id, self.cleaned_data["village"])
        if village is None:
            raise ValidationError(_("This district has no village of this name."), code="unknown")
        return village


class MemberAddForm(forms.Form):
    """One member enrolled by hand, checked as an upload checks a row."""

    name = NameField(label=_("Name"), max_length=120)
    mobile = MobileField(label=_("Mobile"))
    address = CleanTextField(label=_("Address"), max_length=255, required=False)


class UploadFilterForm(forms.Form):
    """Which uploads the list shows, for those who see more than one district: one district's, in one state."""

    district = forms.ModelChoiceField(
        queryset=District.objects.none(), to_field_name="code", required=False, label=_("District")
    )
    status = forms.ChoiceField(required=False, label=_("Status"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = District.objects.for_user(user).in_reading_order()
        self.fields["district"].empty_label = _("All districts")
        self.fields["status"].choices = [("", _("Any status")), *Upload.Status.choices]

    def chosen(self) -> dict:
        """What was chosen and is valid; a choice not offered (an old link, a district no longer theirs) is none."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
