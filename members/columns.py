"""The columns of a member list, their header aliases, and how a sheet's header row is matched to them.

One definition serves the district upload pipeline, the admin's django-import-export resource, the template
and the error report, so they all read and write the same columns.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _


def _spellings(words, suffixes) -> tuple[str, ...]:
    """Every word with every suffix: people write "मोबाईल न.", "फोन नं." and "मो. नम्बर" as often as the rest."""
    return tuple(f"{word} {suffix}".strip() for word in words for suffix in suffixes)


@dataclass(frozen=True)
class Column:
    field: str
    label: object  # lazily translated, for people
    heading: str  # the template's bilingual header
    aliases: tuple[str, ...]
    required: bool
    max_length: int


COLUMNS = (
    Column(
        "name",
        _("Name"),
        "नाम / Name",
        (
            "नाम",
            "name",
            "सदस्य का नाम",
            "सदस्य",
            "सदस्य नाम",
            "नाम सदस्य",
            "member name",
            "member's name",
            "members name",
            "name of member",
            "name of the member",
            "member",
            "full name",
            "पूरा नाम",
            "सदस्य का पूरा नाम",
            "naam",
        ),
        True,
        120,
    ),
    Column(
        "mobile",
        _("Mobile"),
        "मोबाइल / Mobile",
        (
            *_spellings(("मोबाइल", "मोबाईल", "मो", "फोन", "फ़ोन", "संपर्क"), ("", "नंबर", "नम्बर", "नं", "न")),
            "mobile",
            "mobile number",
            "mobile no",
            "mob",
            "mob no",
            "phone",
            "phone number",
            "phone no",
            "contact",
            "contact number",
            "contact no",
        ),
        True,
        40,
    ),
    Column(
        "village",
        _("Village"),
        "गाँव / Village",
        (
            "गांव",
            "गाँव",
            "गाव",
            "गावं",
            "ग्राम",
            "गांव का नाम",
            "गाँव का नाम",
            "ग्राम का नाम",
            "village",
            "village name",
            "name of village",
            "name of the village",
            "gaon",
            "gram",
        ),
        True,
        120,
    ),
    Column(
        "address",
        _("Address"),
        "पता / Address",
        ("पता", "पूरा पता", "घर का पता", "address", "pata", "full address", "home address", "addr"),
        False,
        255,
    ),
)
# The columns the refused-rows report adds after the data: ignored without comment when it is uploaded again.
REPORT_HEADINGS = (_("Row in your file"), _("Problem"))
FIELDS = tuple(column.field for column in COLUMNS)
# The template's header row: one bilingual heading per column.
HEADINGS = tuple(column.heading for column in COLUMNS)
BY_FIELD = {column.field: column for column in COLUMNS}
REQUIRED = tuple(column.field for column in COLUMNS if column.required)

# "॰" is the Devanagari abbreviation sign (मो॰ नं॰); a zero right after a letter (मो० नं०) is typed for it too.
_PUNCTUATION = re.compile(r"[\s.:;*#()\[\]_\-–—\u0970]+|(?<=[\u0900-\u0963])\u0966")


def header_key(text) -> str:
    """A header cell as compared with the aliases: NFC, casefolded, punctuation and spacing ignored."""
    text = unicodedata.normalize("NFC", str(text or "")).casefold()
    return " ".join(_PUNCTUATION.sub(" ", text).split())


_ALIASES = {header_key(alias): column.field for column in COLUMNS for alias in column.aliases}


def field_for_header(text) -> str | None:
    """Which column a header cell names: "मोबाइल नंबर", "Mobile No.", "नाम / Name" and "Name (नाम)" all match."""
    key = header_key(text)
    if key in _ALIASES:
        return _ALIASES[key]
    for part in re.split(r"[/|\n(]", str(text)):
        if header_key(part) in _ALIASES:
            return _ALIASES[header_key(part)]
    return None


@dataclass(frozen=True)
class HeaderMap:
    """Where each known column sits in the sheet, and which headers were not understood."""

    positions: dict  # field -> cell index
    unknown: tuple[str, ...]
    # Where the unknown columns sit, in the same order: the refused-rows report gives their cells back.
    extra: tuple[int, ...] = ()

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(field for field in REQUIRED if field not in self.positions)


@cache
def _report_heading_keys() -> frozenset:
    keys = set()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            keys.update(header_key(str(heading)) for heading in REPORT_HEADINGS)
    return frozenset(keys)


def map_header(cells) -> HeaderMap:
    positions, unknown, extra = {}, [], []
    for index, cell in enumerate(cells):
        text = " ".join(str(cell).split()) if cell not in (None, "") else ""
        if not text or header_key(text) in _report_heading_keys():
            continue
        field = field_for_header(str(cell))
        if field and field not in positions:
            positions[field] = index
        else:
            unknown.append(text)
            extra.append(index)
    return HeaderMap(positions, tuple(unknown), tuple(extra))
