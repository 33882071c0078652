"""Where Django's own Hindi reads wrongly, locale/vendor says it properly: month names, form errors and the admin."""

import datetime
import json
from pathlib import Path

import django
import polib
import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import dateformat, translation
from django.utils.formats import date_format

from tests.conftest import PASSWORD, login

ROOT = Path(__file__).resolve().parent.parent
VENDOR_PO = ROOT / "locale" / "vendor" / "hi" / "LC_MESSAGES" / "django.po"
APP_PO = ROOT / "locale" / "hi" / "LC_MESSAGES" / "django.po"
# Django's English catalogue lists every string Django 5.2 itself asks for.
DJANGO_STRINGS = Path(django.__file__).parent / "conf" / "locale" / "en" / "LC_MESSAGES" / "django.po"
# Django's Hindi for the admin: misspelt, informal, or words nobody in the office uses.
WRONG_IN_THE_ADMIN = [
    "बढाएं",
    "बदलो",
    "छन्नी",
    "डाक पता",
    "प्रयोक्ता",
    "प्रवोक्ता",
    "कूटशब्द",
    "शब्दकूट",
    "वर्गों",
    "उपभोक्ता",
    "आगे बढ़े<",
    " ।",
]


def _hindi(msgid, msgid_plural=None, msgctxt=None, n=1):
    with translation.override("hi"):
        if msgid_plural:
            if msgctxt:
                return translation.npgettext(msgctxt, msgid, msgid_plural, n)
            return translation.ngettext(msgid, msgid_plural, n)
        return translation.pgettext(msgctxt, msgid) if msgctxt else translation.gettext(msgid)


def _assert_reads_rightly(page):
    wrong = [word for word in WRONG_IN_THE_ADMIN if word in page]
    assert not wrong, f"Django's own Hindi shows through: {wrong}"


def test_month_names_are_spelt_as_hindi_writes_them():
    # Django's own: "सितमबर", "नवमबर", "दिसमबर" (a full म where the anusvara goes), and "फरवरी" without the nukta.
    with translation.override("hi"):
        assert date_format(datetime.date(2026, 12, 25)) == "25 दिसंबर 2026"
        full = [dateformat.format(datetime.date(2026, month, 1), "F") for month in range(1, 13)]
        alt = [dateformat.format(datetime.date(2026, month, 1), "E") for month in range(1, 13)]
        abbreviated = [dateformat.format(datetime.date(2026, month, 1), "N") for month in range(1, 13)]
    months = ["जनवरी", "फ़रवरी", "मार्च", "अप्रैल", "मई", "जून", "जुलाई", "अगस्त", "सितंबर", "अक्तूबर", "नवंबर", "दिसंबर"]
    assert full == months
    assert alt == months
    # Cut as the short names ("M") are: "सितं", "अक्तू", "नवं", "दिसं".
    assert abbreviated == ["जन.", "फ़र.", "मार्च", "अप्रैल", "मई", "जून", "जुलाई", "अग.", "सितं.", "अक्तू.", "नवं.", "दिसं."]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (forms.DateField(), "31-02-2026", "सही तारीख डालें।"),
        (forms.TimeField(), "25:99", "सही समय डालें।"),
        (forms.DateTimeField(), "kal", "सही तारीख/समय डालें।"),
        (forms.IntegerField(), "1.5", "पूर्ण संख्या डालें।"),
        (forms.DecimalField(), "das", "संख्या डालें।"),
        (forms.EmailField(), "ram@", "सही ईमेल पता डालें।"),
        (forms.ChoiceField(choices=[("hi", "हिन्दी")]), "xx", "सही विकल्प चुनें। xx दिए गए विकल्पों में से नहीं है।"),
    ],
    ids=["date", "time", "datetime", "integer", "decimal", "email", "choice"],
)
def test_form_errors_read_as_a_sentence(field, value, message):
    with translation.override("hi"):
        with pytest.raises(ValidationError) as raised:
            field.clean(value)
        messages = raised.value.messages  # lazy: read while Hindi is on
    assert messages == [message]


def test_no_django_message_keeps_a_space_before_the_danda():
    """Django's Hindi writes "वैध तिथि भरें ।"; every string Django 5.2 uses now ends "।" right after the word."""
    spaced = []
    for entry in polib.pofile(str(DJANGO_STRINGS)):
        if entry.obsolete or not entry.msgid:
            continue
        for n in (1, 2) if entry.msgid_plural else (1,):
            hindi = _hindi(entry.msgid, entry.msgid_plural or None, entry.msgctxt, n)
            if " ।" in hindi or hindi.rstrip().endswith(" |"):
                spaced.append((entry.msgid, hindi))
    assert not spaced, spaced


def test_no_vendor_translation_is_hidden_by_a_different_one_in_the_app_catalogue():
    # LOCALE_PATHS puts locale/ before locale/vendor/, so the app's own catalogue wins wherever both have a string.
    app = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in polib.pofile(str(APP_PO)) if not entry.obsolete}
    hidden = [
        (entry.msgid, entry.msgstr, app[(entry.msgctxt, entry.msgid)])
        for entry in polib.pofile(str(VENDOR_PO))
        if not entry.obsolete and app.get((entry.msgctxt, entry.msgid), entry.msgstr) != entry.msgstr
    ]
    assert not hidden, hidden


@pytest.mark.django_db
def test_the_admin_adds_a_user_in_hindi_that_reads_rightly(client, superuser):
    page = login(client, superuser).get(reverse("admin:districts_user_add")).content.decode()
    assert "उपयोगकर्ता जोड़ें" in page
    assert "पासवर्ड की पुष्टि" in page
    assert "सेव करें और एक और जोड़ें" in page
    assert "सेव करें और बदलाव जारी रखें" in page
    _assert_reads_rightly(page)


@pytest.mark.django_db
def test_the_admin_user_list_and_form_read_rightly(client, superuser, operator):
    login(client, superuser)
    listing = client.get(reverse("admin:districts_user_changelist")).content.decode()
    assert "उपयोगकर्ता जोड़ें" in listing
    assert "फ़िल्टर" in listing
    assert "आगे बढ़ें" in listing
    assert "यूज़रनेम" in listing
    assert "चुने हुए उपयोगकर्ता हटाएँ" in listing
    _assert_reads_rightly(listing)

    form = client.get(reverse("admin:districts_user_change", args=[operator.pk])).content.decode()
    assert "उपयोगकर्ता बदलें" in form
    assert "ईमेल पता" in form
    assert "समूह:" in form
    assert "खाता हटाने के बजाय इसका निशान हटा दें।" in form
    assert "चुनने पर यह उपयोगकर्ता इस एडमिन साइट में लॉग इन कर सकेगा।" in form
    assert "चुनने पर इस उपयोगकर्ता को सभी अनुमतियाँ मिल जाएँगी" in form
    _assert_reads_rightly(form)


@pytest.mark.django_db
def test_the_admin_delete_and_password_pages_read_rightly(client, superuser, operator):
    login(client, superuser)
    delete = client.get(reverse("admin:districts_user_delete", args=[operator.pk])).content.decode()
    assert "क्या आप सच में उपयोगकर्ता" in delete
    assert "इससे जुड़े ये सभी रिकॉर्ड भी हटा दिए जाएँगे:" in delete
    _assert_reads_rightly(delete)

    password = client.get(reverse("admin:password_change")).content.decode()
    for label in ["पुराना पासवर्ड", "नया पासवर्ड", "नए पासवर्ड की पुष्टि", "मेरा पासवर्ड बदलें"]:
        assert label in password
    _assert_reads_rightly(password)


@pytest.mark.django_db
def test_the_admin_login_says_what_went_wrong_in_plain_hindi(client, superuser):
    page = client.post(
        reverse("admin:login"), {"username": superuser.username, "password": PASSWORD + "x"}
    ).content.decode()
    assert "कृपया स्टाफ़ खाते का सही यूज़रनेम और पासवर्ड डालें।" in page
    _assert_reads_rightly(page)


@pytest.mark.django_db
def test_the_admins_pickers_read_rightly_too(client, superuser):
    """The JavaScript catalogue the admin's two-box pickers use (a user's groups, a call centre's districts)."""
    catalogue = login(client, superuser).get(reverse("admin:jsi18n")).content.decode()
    written = json.dumps  # the catalogue is JSON, its Hindi written as \u escapes
    assert written("फ़िल्टर") in catalogue and written("छानना") not in catalogue
    assert written("चुने गए %s") in catalogue, "Django's own says चुनें %s, choose, for the chosen"


@pytest.mark.django_db
def test_the_admins_district_pickers_list_hindi_names_in_hindi_order(client, superuser):
    from districts.models import District

    District.objects.create(code="BHO", name_en="Bhojpur", name_hi="भोजपुर")
    District.objects.create(code="BUX", name_en="Buxar", name_hi="बक्सर")  # after Bhojpur in English, before in Hindi
    login(client, superuser)
    for url in (reverse("admin:districts_callcentre_add"), reverse("admin:districts_user_add")):
        page = client.get(url).content.decode()
        assert page.index(">बक्सर<") < page.index(">भोजपुर<"), url
