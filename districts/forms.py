from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from districts.models import Village
from members.forms import CleanTextField


class VillageAdminForm(forms.ModelForm):
    """The admin's village form: a name is unique in its district the way uploads match it, ignoring case
    and spacing."""

    name = CleanTextField(label=_("name"), max_length=120)

    class Meta:
        model = Village
        fields = ["district", "name", "target"]

    def clean(self):
        cleaned = super().clean()
        district = cleaned.get("district") or getattr(self.instance, "district", None)
        name = cleaned.get("name")
        if district is not None and name:
            same = Village.objects.filter(district=district, name_key=Village.key_for(name))
            if same.exclude(pk=self.instance.pk).exists():
                self.add_error("name", ValidationError(_("This district already has a village of this name.")))
        return cleaned
