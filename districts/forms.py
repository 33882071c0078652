from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from districts.models import Village
from districts.selectors import village_named
from members.forms import VILLAGE_NAME_INPUT, CleanTextField
from members.models import MemberStatus


class VillageAdminForm(forms.ModelForm):
    """The admin's village form: a name is unique in its district the way uploads match it, ignoring case
    and spacing."""

    name = CleanTextField(label=_("name"), max_length=120)

    class Meta:
        model = Village
        fields = ["district", "name", "target"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:  # a new village starts, like an upload's, with its district's target
            self.fields["target"].required = False
            self.fields["target"].initial = None
            self.fields["target"].help_text = _("Left empty: the district's target for new villages.")

    def clean(self):
        cleaned = super().clean()
        district = cleaned.get("district") or getattr(self.instance, "district", None)
        if cleaned.get("target") is None and district is not None and "target" in cleaned:
            cleaned["target"] = district.village_target
        name = cleaned.get("name")
        if district is not None and name:
            same = Village.objects.filter(district=district, name_key=Village.key_for(name))
            if same.exclude(pk=self.instance.pk).exists():
                self.add_error("name", ValidationError(_("This district already has a village of this name.")))
        return cleaned


class VillageMergeForm(forms.Form):
    """The village of the same district to merge a village into, by its name as the district has it."""

    into = CleanTextField(label=_("Merge into the village"), max_length=120, widget=VILLAGE_NAME_INPUT)

    def __init__(self, *args, village: Village, **kwargs):
        super().__init__(*args, **kwargs)
        self.village = village

    def clean_into(self) -> Village:
        into = village_named(self.village.district_id, self.cleaned_data["into"])
        if into is None:
            raise ValidationError(_("This district has no village of this name."), code="unknown")
        if into.pk == self.village.pk:
            raise ValidationError(_("That is this village. Choose the village its members belong in."), code="same")
        return into


class VillageRenameForm(forms.Form):
    name = CleanTextField(label=_("Correct name"), max_length=120)


class MemberSearchForm(forms.Form):
    """What to find: a name or a number, and, in a district, a status (alone, it lists everyone in it)."""

    q = forms.CharField(required=False, strip=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *MemberStatus.choices]
    )

    def terms(self) -> tuple[str, str]:
        """(query, status): a status that is not one is ignored, as a query is cut to 100 characters."""
        if not self.is_bound:
            return "", ""
        query = self.data.get("q", "")[:100]
        status = self.cleaned_data["status"] if self.is_valid() else ""
        return query, status
