"""Checking one row of a member list: cleaning, the reasons a row is refused, and duplicates within the file.

Reasons are stored as codes with parameters and turned into words (Hindi or English) only when shown, so the
preview and the error report speak the viewer's language. The district upload pipeline and the admin's
django-import-export resource both run every row through `RowChecker.check`.
"""

import datetime
import difflib
import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from controlroom.languages import in_reader_language
from districts.models import Village, VillageAlias
from members import phone
from members.columns import BY_FIELD, Column

REASONS = {
    **phone.REASONS,
    "required": _("This is empty; it must be filled in."),
    "too_long": _("This is longer than %(max)s characters."),
    "no_letters": _("This has no letters: %(value)s."),
    "formula": _("This starts with “=”, like a formula. Type the text itself."),
    "formula_cell": _(
        "This cell holds a formula, not a value. Copy it and use Paste Special → Values, then upload again."
    ),
    "repeated": _("The same mobile number is already in row %(row)s of this file."),
    "enrolled": _("Already enrolled in %(village)s, %(district)s."),
    "enrolled_wrong": _(
        "Already enrolled in %(village)s, %(district)s, and the call centre marked this number as wrong. "
        "Correct that member's number instead."
    ),
    "corrected_away": _(
        "The call centre could not use this number for a member in %(village)s, %(district)s, whose number was "
        "then corrected. Do not enrol it again."
    ),
    "removed_away": _(
        "This number belonged to a member in %(village)s, %(district)s, who was taken off the list after the call "
        "centre could not use it. Do not enrol it again."
    ),
    "withdrawn_away": _(
        "This number belonged to a member in %(village)s, %(district)s, who was taken off the list before any "
        "call. A number is enrolled once."
    ),
}
# A member taken off the list before any call (enrolled by mistake), told apart from one removed from the rejects.
WITHDRAWN = "withdrawn"
# What a number already known is, by the status `pipeline.enrolled` gives it: the reason a row with it is refused.
ENROLLED_CODES = {
    "wrong": "enrolled_wrong",
    "corrected": "corrected_away",
    "removed": "removed_away",
    WITHDRAWN: "withdrawn_away",
}
DUPLICATE_CODES = frozenset(
    {"repeated", "enrolled", "enrolled_wrong", "corrected_away", "removed_away", "withdrawn_away"}
)

# C0/C1 control characters and invisible marks that sneak in from copy-paste, and the direction overrides
# that would show text reversed; ZWJ/ZWNJ stay, Devanagari needs them.
_INVISIBLE = dict.fromkeys(
    [*range(0, 32), 127, *range(128, 160), 0x200B, *range(0x202A, 0x202F), 0x2060, *range(0x2066, 0x206A), 0xFEFF]
)
_nfc = unicodedata.normalize
# A joiner at either end of a word has nothing to join: pasted after "भगवानपुर", it made a second village that
# looks the same.
_LOOSE_JOINERS = re.compile(r"(?<!\S)[\u200c\u200d]+|[\u200c\u200d]+(?!\S)")


def cell_text(value) -> str:
    """A cell as the person typed it, for the error report: 9812345670.0 (a float) reads 9812345670."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


def clean_text(value) -> str:
    """Unicode NFC, trimmed, inner spacing collapsed to single spaces, invisible characters removed.

    A leading apostrophe (a spreadsheet's "this is text" mark, as our own downloads write it) is dropped.
    """
    text = " ".join((value if type(value) is str else cell_text(value)).split())
    if not text.isprintable():
        text = " ".join(_LOOSE_JOINERS.sub("", text.translate(_INVISIBLE)).split())
    if text[:1] == "'":
        text = text[1:].lstrip()
    return text if text.isascii() else _nfc("NFC", text)


def reason_text(code: str, params: dict) -> str:
    """One reason in the active language."""
    params = dict(params)
    if "district_en" in params:
        params["district"] = in_reader_language(params["district_hi"], params["district_en"])
    return str(REASONS[code]) % params


def problem_text(problems) -> str:
    """All of a row's problems as one line: "Mobile: … · Village: …"."""
    return " · ".join(f"{BY_FIELD[column].label}: {reason_text(code, params)}" for column, code, params in problems)


def enrolled_problem(status: str, village: str, district_en: str, district_hi: str):
    code = ENROLLED_CODES.get(status, "enrolled")
    return ("mobile", code, {"village": village, "district_en": district_en, "district_hi": district_hi})


def is_duplicate(problems) -> bool:
    return all(code in DUPLICATE_CODES for _column, code, _params in problems)


_LETTER = re.compile(r"[^\W\d_]")
_NAME, _VILLAGE, _ADDRESS = BY_FIELD["name"], BY_FIELD["village"], BY_FIELD["address"]


def has_letter(text: str) -> bool:
    """Whether a name has a letter in it, of any script: "123" or "--" is not a name."""
    return bool(_LETTER.search(text))


def _checked_text(column: Column, value, problems: list) -> str:
    text = clean_text(value) if value != "" and value is not None else ""
    if not text:
        if column.required:
            problems.append((column.field, "required", {}))
    elif text[0] == "=":
        problems.append((column.field, "formula", {}))
    elif len(text) > column.max_length:
        problems.append((column.field, "too_long", {"max": column.max_length}))
    return text


# How alike two village keys must be (difflib's ratio) for a new one to be flagged as a possible misspelling:
# "रामनगरर" against "रामनगर" is 0.92, "शिवपुर" against "शिवनगर" 0.67.
LOOKALIKE_CUTOFF = 0.8
_DIGITS = re.compile(r"\d+")
# What people add around a village's name: "ग्राम रामपुर", "रामपुर।", "रामपुर (पटना)", "Vill. Rampur". Without
# them, the name left is compared as a whole: equal cores are the same village written another way.
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NOT_NAME = re.compile(r"[\s.,;:।॥'\"/\\–—-]+")
_VILLAGE_WORDS = frozenset(
    ["ग्राम", "ग्रा", "गाँव", "गांव", "गाव", "मौजा", "मोहल्ला", "gram", "gaon", "gaun", "village", "vill", "vil", "mauza"]
)


def _village_core(key: str) -> str:
    words = _NOT_NAME.split(_BRACKETED.sub(" ", key))
    return "".join(word for word in words if word and word not in _VILLAGE_WORDS)


# A name written in Latin letters and one in Devanagari are compared by their consonants, as both are said:
# "Ramnagar" and "रामनगर" are both r-m-n-g-r, "Bhagwanpur" and "भगवानपुर" b-g-b-n-p-r. Vowels are left out, as
# Latin spellings of them vary ("Sitapur", "Seetapur"), and so is y ("Khagaria", "खगड़िया"); the sounds written
# alike in Bihar's spellings count as one (v and b, sh and s, an aspirate and its consonant). Only across the
# two scripts: within one, the spelling itself is compared, and "सीतापुर" and "सतपुर" are two villages.
_LATIN_SOUNDS = re.compile(r"chh|[kgcjtdpb]h|sh|ck|[wvqzx]|[^bcdfghjklmnprst0-9]")
_LATIN_SOUND = {"chh": "c", "sh": "s", "ck": "k", "ph": "f", "w": "b", "v": "b", "q": "k", "z": "j", "x": "ks"}
_DEVANAGARI_SOUND = {
    **dict(pair.split(":") for pair in "क:k ख:k ग:g घ:g ङ:n च:c छ:c ज:j झ:j ञ:n ट:t ठ:t ड:d ढ:d ण:n".split()),
    **dict(pair.split(":") for pair in "त:t थ:t द:d ध:d न:n प:p फ:f ब:b भ:b म:m र:r ल:l व:b श:s ष:s स:s ह:h".split()),
    "क\u093c": "k",  # the nukta forms, which NFC writes as two characters: क़ ज़ ड़ ढ़ फ़
    "ज\u093c": "j",
    "ड\u093c": "r",
    "ढ\u093c": "r",
    "फ\u093c": "f",
    "ं": "n",
}
_DEVANAGARI_SOUNDS = re.compile("|".join(sorted(map(re.escape, _DEVANAGARI_SOUND), key=len, reverse=True)) + "|.")


def _latin_sound(match) -> str:
    found = match[0]
    return _LATIN_SOUND.get(found, found[0] if len(found) > 1 else "")  # an aspirate is its consonant


def _devanagari_sound(match) -> str:
    found = match[0]
    return _DEVANAGARI_SOUND.get(found) or (str(unicodedata.digit(found)) if found.isdigit() else "")


def _sounds(core: str) -> tuple[str, str] | None:
    """(script, consonants) of a village's core written in one script alone (and digits), else None."""
    if core.isascii():
        script, found = "latin", _LATIN_SOUNDS.sub(_latin_sound, core)
    elif all("\u0900" <= char <= "\u097f" or char.isdigit() for char in core):
        script, found = "devanagari", _DEVANAGARI_SOUNDS.sub(_devanagari_sound, core)
    else:
        return None
    found = re.sub(r"m(?=[pb])", "n", re.sub(r"(.)\1+", r"\1", found))  # doubled letters; "mp" said as "ंप"
    return (script, found) if len(found) >= 3 else None


_OTHER_SCRIPT = {"latin": "devanagari", "devanagari": "latin"}


def village_lookalikes(key: str, keys: list[str], cores: dict | None = None, n: int = 1) -> list[str]:
    """Up to `n` of `keys` (village keys) that look like `key` written another way: the same core first (or,
    in the other script, the same sounds), then the closest by spelling. `cores` is `village_cores(keys)`,
    when the caller checks many names at once."""
    cores = cores if cores is not None else village_cores(keys)
    core = _village_core(key)
    same = cores.get(core)
    sounds = _sounds(core) if same is None else None
    if sounds is not None:
        same = cores.get((_OTHER_SCRIPT[sounds[0]], sounds[1]))
    found = [same] if same is not None and same != key else []
    for close in difflib.get_close_matches(key, keys, n=n + 2, cutoff=LOOKALIKE_CUTOFF):
        # "रामपुर 1" and "रामपुर 2" are two villages
        if close != key and close not in found and _DIGITS.findall(close) == _DIGITS.findall(key):
            found.append(close)
    return found[:n]


def village_cores(keys) -> dict:
    """Each key's core, and the core's (script, sounds), mapped to the key."""
    cores = {}
    for key in keys:
        core = _village_core(key)
        cores.setdefault(core, key)
        sounds = _sounds(core)
        if sounds is not None:
            cores.setdefault(sounds, key)
    cores.pop("", None)
    return cores


class RowChecker:
    """Checks rows one by one, remembering mobiles seen earlier in the file and the villages met on the way.

    `villages` maps the district's existing village keys to their names; villages not in it are new.
    `aliases` maps other keys the district writes a village with (a merged village's, none of them a village's
    own key) to the village's key.
    """

    def __init__(self, villages: dict[str, str], aliases: dict[str, str] | None = None):
        self.villages = villages
        self.aliases = aliases or {}
        self.seen: dict[str, int] = {}
        self.new_villages: dict[str, str] = {}
        self.used: set[str] = set()  # keys of the district's villages that rows go to
        self._village_cache: dict = {}

    @classmethod
    def for_district(cls, district_id: int) -> "RowChecker":
        villages = Village.objects.filter(district_id=district_id).values_list("name_key", "name")
        return cls(dict(villages), VillageAlias.objects.keys_for(district_id))

    def lookalikes(self) -> dict[str, str]:
        """New village names that look like another way of writing a village: {new: the village's name}.

        The district's villages first; failing those, a new name met earlier in the file ("Rampur" after
        "रामपुर"), one that is not itself like another, so that ticking every look-alike leaves one village."""
        existing, found = list(self.villages), {}
        cores = village_cores(existing)
        earlier, earlier_cores = {}, {}
        for key, name in self.new_villages.items():
            match = village_lookalikes(key, existing, cores)
            if match:
                found[name] = self.villages[match[0]]
                continue
            match = village_lookalikes(key, list(earlier), earlier_cores)
            if match:
                found[name] = earlier[match[0]]
                continue
            earlier[key] = name
            for core, first in village_cores([key]).items():
                earlier_cores.setdefault(core, first)
        return found

    def _village(self, value, problems: list) -> tuple[str, str]:
        cached = self._village_cache.get(value) if type(value) is str else None
        if cached is not None:
            return cached
        before = len(problems)
        name = _checked_text(_VILLAGE, value, problems)
        key = Village.key_for(name) if len(problems) == before else ""
        result = (name, self.aliases.get(key, key))
        if type(value) is str and len(problems) == before and len(self._village_cache) < 50_000:
            self._village_cache[value] = result
        return result

    def check(self, row_number: int, name, mobile, village, address) -> tuple:
        """Clean and check one row: (name, mobile, village, village key, address, problems).

        `problems` is a list of (column, reason code, params), empty when the row is fine. Duplicates within
        the file are judged only among rows that are otherwise fine: the first such row is kept.
        """
        problems = []
        name = _checked_text(_NAME, name, problems)
        if name and not has_letter(name) and name[0] != "=":
            problems.append(("name", "no_letters", {"value": name[:40]}))
        try:
            mobile = phone.normalise_mobile(mobile)
        except phone.InvalidMobile as invalid:
            problems.append(("mobile", invalid.code, invalid.params))
        village, key = self._village(village, problems)
        address = _checked_text(_ADDRESS, address, problems)
        if not problems:
            first = self.seen.setdefault(mobile, row_number)
            if first != row_number:
                problems.append(("mobile", "repeated", {"row": first}))
        return name, mobile, village, key, address, problems

    def accept(self, key: str, village: str) -> None:
        """Note a row that will be written: its village is new unless the district already has it."""
        if key in self.villages:
            self.used.add(key)
        elif key not in self.new_villages:
            self.new_villages[key] = village
