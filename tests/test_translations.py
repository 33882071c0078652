"""The Hindi catalogue is complete, current and compiled, and pages really switch between Hindi and English."""

import datetime
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
PO_PATH = ROOT / "locale" / "hi" / "LC_MESSAGES" / "django.po"
# Hindi for what Django's admin, django-import-export and django-axes leave in English.
VENDOR = ROOT / "locale" / "vendor" / "hi" / "LC_MESSAGES"
CATALOGUES = [PO_PATH, VENDOR / "django.po", VENDOR / "djangojs.po"]
SOURCES = ["manage.py", "controlroom", "districts", "members", "calls", "templates"]
IGNORES = ["--ignore=.venv", "--ignore=bench", "--ignore=tests"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def _key(entry):
    return entry.msgctxt, entry.msgid, entry.msgid_plural


def _committed(path=PO_PATH):
    return polib.pofile(str(path))


def _is_done(entry):
    return entry.translated() and "fuzzy" not in entry.flags


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_string_has_a_hindi_translation(path):
    po = _committed(path)
    assert not po.metadata_is_fuzzy, "the .po header is still marked fuzzy"
    assert po.metadata.get("Language") == "hi"
    assert po.metadata.get("Plural-Forms") == "nplurals=2; plural=(n != 1);"
    undone = [entry.msgid for entry in po if not entry.obsolete and not _is_done(entry)]
    assert not undone, f"untranslated or fuzzy in {path.name}: {undone}"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: str(path.relative_to(ROOT)))
def test_translations_keep_every_placeholder(path):
    broken = []
    for entry in _committed(path).translated_entries():
        wanted = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        for msgstr in entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]:
            if sorted(PLACEHOLDER.findall(msgstr)) != wanted:
                broken.append((entry.msgid, msgstr))
    assert not broken, f"placeholders differ from the English: {broken}"


def test_every_marked_string_in_the_code_is_in_the_committed_catalogue(tmp_path):
    if not shutil.which("xgettext"):
        reason = "needs GNU gettext (xgettext) to extract strings: apt-get install gettext"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run every test for real: {reason}")
        pytest.skip(f"SKIPPED, {reason}")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, tmp_path / name)
    (tmp_path / "locale").mkdir()
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "hi", *IGNORES],
        cwd=tmp_path,
        env={**os.environ, "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    extracted = polib.pofile(str(tmp_path / "locale" / "hi" / "LC_MESSAGES" / "django.po"))
    committed = {_key(entry): entry for entry in _committed() if not entry.obsolete}
    stale = [entry.msgid for entry in extracted if not _is_done(committed.get(_key(entry), polib.POEntry()))]
    assert not stale, f"run `make messages` and translate these: {stale}"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: str(path.relative_to(ROOT)))
def test_compiled_catalogue_matches_the_po_file(path):
    def translations(entries):
        return {
            (entry.msgctxt, entry.msgid): dict(entry.msgstr_plural) if entry.msgid_plural else entry.msgstr
            for entry in entries
            if entry.msgid
        }

    expected = translations(entry for entry in _committed(path) if not entry.obsolete and _is_done(entry))
    compiled = translations(polib.mofile(str(path.with_suffix(".mo"))))
    assert compiled == expected, f"{path.with_suffix('.mo').name} is out of date: run `make messages`"


@pytest.mark.parametrize("package", ["import_export", "axes"])
def test_every_string_of_the_packages_without_hindi_is_translated(package):
    """A new release that adds strings fails here, rather than showing English to staff."""
    import importlib

    source = Path(importlib.import_module(package).__file__).parent / "locale" / "de" / "LC_MESSAGES" / "django.po"
    ours = {_key(entry) for entry in _committed(VENDOR / "django.po")}
    missing = [entry.msgid for entry in polib.pofile(str(source)) if not entry.obsolete and _key(entry) not in ours]
    assert not missing, f"add these to {VENDOR / 'django.po'}: {missing}"


@pytest.mark.django_db
def test_login_page_is_in_hindi_by_default_and_in_english_after_switching(client):
    hindi = client.get("/login/").content.decode()
    assert "लॉग इन" in hindi
    assert "Log in" not in hindi

    client.post("/language/", {"language": "en", "next": "/login/"})
    english = client.get("/login/").content.decode()
    assert "Log in" in english
    assert "लॉग इन" not in english


def test_short_month_names_read_alike_in_hindi():
    # Django's own Hindi mixed styles: "मा" for March, "दिस्" with a visible halant for December.
    from django.utils import dateformat, translation

    with translation.override("hi"):
        months = [dateformat.format(datetime.date(2026, month, 1), "M") for month in range(1, 13)]
    assert months == ["जन", "फ़र", "मार्च", "अप्रैल", "मई", "जून", "जुल", "अग", "सितं", "अक्तू", "नवं", "दिसं"]


def test_names_on_an_english_page_say_they_are_hindi_for_screen_readers(client, cast, patna_president):
    """A Devanagari name read with an English voice is spelled out letter by letter, or skipped."""
    from members.models import Member
    from tests.conftest import login

    patna_president.language = "en"
    patna_president.save(update_fields=["language"])
    member = Member.objects.filter(village=cast["rampur"]).first()
    page = login(client, patna_president).get(f"/members/{member.pk}/").content.decode()
    assert f'<h1 lang="hi">{member.name}</h1>' in page
    assert '<span lang="hi">रामपुर</span>, Patna' in page
    district = client.get("/districts/PAT/").content.decode()
    assert 'lang="hi">रामपुर</a>' in district, "in the village table too"
    village = client.get(f"/districts/PAT/villages/{cast['rampur'].pk}/").content.decode()
    assert '<h1 lang="hi">रामपुर</h1>' in village and f'<span lang="hi">{member.name}</span></a>' in village


def test_the_language_of_a_name_is_read_off_its_letters():
    from controlroom.templatetags.scripts import lang_of

    assert (lang_of("राम कुमार"), lang_of("Rahul Kumar"), lang_of("Rahul कुमार"), lang_of(None)) == (
        "hi",
        "en",
        "hi",
        "en",
    )
