"""The one place a mobile number is turned into its canonical form: the 10 national digits of an Indian mobile."""

import math
import re

from django.utils.translation import gettext_lazy as _

REASONS = {
    "missing": _("The mobile number is missing."),
    "excel_scientific": _(
        "Excel has turned this number into %(value)s and its last digits are lost. "
        "Format the column as Text and type the number again."
    ),
    "excel_cut": _(
        "This number ends in 0000 (%(value)s), as a number does once Excel has shown it as 9.87654E+09 and kept "
        "only those digits. Format the column as Text and type the number again."
    ),
    "not_a_number": _("This is not a phone number: %(value)s."),
    "letter_for_digit": _(
        "This number has a letter in it (%(value)s): the letter O typed for the digit 0, or l for 1? Type the "
        "number in digits."
    ),
    "two_numbers": _("This cell has more than one number. Put one member, with one number, on each row."),
    "wrong_length": _("A mobile number has 10 digits; this one has %(digits)s."),
    "not_mobile": _("This is not an Indian mobile number: it must start with 6, 7, 8 or 9."),
    "junk": _("This number looks made up (%(value)s)."),
    "landline": _(
        "This looks like a landline number, an STD code and then the number (%(value)s). The call centre needs "
        "a mobile number."
    ),
}

_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")
# Separators people and spreadsheets put inside numbers; removing them never changes the digits.
_SEPARATORS = str.maketrans("", "", " \t\r\n-.,()[]{}_'\u00a0\u2007\u202f\u2010\u2011\u2012\u2013\u2014\u2212\u200b")
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+")
_FLOAT_TEXT = re.compile(r"(\+?[\d\s-]+)\.0+")
_EXCEL_TEXT = re.compile(r'="(.*)"')
# What separates two numbers typed into one cell: "98123 45670 / 91234 56789", "…, …", "… or …".
# No \s* around it: searched from every position of a long run of spaces, that took quadratic time.
_BETWEEN_NUMBERS = re.compile(r"/|;|\||&|,\s|\s(?:or|और)\s")
# A landline as it is written: an STD code (0, then 2 to 4 digits, never starting with 9, which mobiles use),
# then the local number, "0612-2234567" or "(0631) 2223456". Without the separator its 11 digits read as 0 and a
# mobile starting with 6: Patna's and Gaya's codes both begin 06.
_LANDLINE = re.compile(r"\(?0[1-8]\d{1,3}\)?[\s\-/.]+\d{6,8}")
# International and trunk prefixes, by total length: 0 98123 45670, 91 98123 45670, 0091 98123 45670.
_PREFIXES = {11: "0", 12: "91", 13: "091", 14: "0091"}
# Letters typed for the digits they look like: "98765 4321O".
_LOOKALIKES = str.maketrans("oOlI", "0011")


def _junk_numbers() -> frozenset:
    same = {d * 10 for d in "0123456789"}
    runs = {"".join(str((start + step * i) % 10) for i in range(10)) for start in range(10) for step in (1, -1)}
    lone_lead = {d + "0" * 9 for d in "123456789"}
    pairs = {(a + b) * 5 for a in "0123456789" for b in "0123456789" if a != b}  # 9898989898
    return frozenset(same | runs | lone_lead | pairs)


JUNK = _junk_numbers()


class InvalidMobile(ValueError):
    """Why a value is not an Indian mobile number: a code to store and a message to show, translated when shown."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        return str(REASONS[self.code]) % self.params

    def __str__(self) -> str:
        return self.message


def _as_text(value) -> str:
    if value is None or isinstance(value, bool):
        raise InvalidMobile("missing" if value is None else "not_a_number", value=str(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise InvalidMobile("not_a_number", value=repr(value))
        return str(int(value))
    return str(value)


def _unwrap(text: str) -> str:
    """Excel's ="…" text and a leading apostrophe (a spreadsheet's "this is text" mark) are not part of it."""
    excel_text = _EXCEL_TEXT.fullmatch(text)
    if excel_text:
        text = excel_text.group(1).strip()
    return text.lstrip("'")


def _national(text: str, shown: str) -> str:
    """The 10 national digits of a number written with separators and an optional prefix."""
    digits = text.translate(_SEPARATORS)
    digits = digits[1:] if digits.startswith("+") else digits
    if not (digits.isascii() and digits.isdigit()):
        swapped = digits.translate(_LOOKALIKES)
        if swapped.isascii() and swapped.isdigit() and (len(swapped) == 10 or len(swapped) in _PREFIXES):
            raise InvalidMobile("letter_for_digit", value=shown[:40])
        raise InvalidMobile("not_a_number", value=shown[:40])
    prefix = _PREFIXES.get(len(digits))
    if prefix and digits.startswith(prefix):
        digits = digits[len(prefix) :]
    if len(digits) != 10:
        raise InvalidMobile("wrong_length", digits=len(digits))
    if digits[0] not in "6789":
        raise InvalidMobile("not_mobile")
    if digits in JUNK:
        raise InvalidMobile("junk", value=digits)
    return digits


def typed_digits(text: str) -> str:
    """The text with Devanagari digits read as ASCII and the separators people type left out: "98765" of
    "+91 98123-45670"'s last part, "9812345670" of "९८१२३ ४५६७०". Anything else stays, so callers can tell."""
    return text.translate(_DIGITS).translate(_SEPARATORS).lstrip("+")


def normalise_mobile(value) -> str:
    """Return the 10 national digits of an Indian mobile number, or raise InvalidMobile saying why not.

    Accepts +91 / 91 / 0 / 0091 prefixes, spaces, dashes, dots and brackets, numbers Excel stored as floats,
    Devanagari digits and Excel's ="…" text. Idempotent: a canonical number comes back unchanged.
    """
    kind = type(value)
    if kind is str and len(value) == 10 and value[0] in "6789" and value.isascii() and value.isdigit():
        if value in JUNK:
            raise InvalidMobile("junk", value=value)
        return value
    if (kind is float or kind is int) and 6e9 <= value < 1e10 and value == int(value):
        value = str(int(value))
        if value in JUNK:
            raise InvalidMobile("junk", value=value)
        if value.endswith("0000"):
            # Excel shows a long number as 9.87654E+09, and a sheet saved as CSV keeps only those six digits: opened
            # again, the cell holds 9876540000. Only a number cell is taken for that; the same digits typed as
            # text are a number someone typed.
            raise InvalidMobile("excel_cut", value=value)
        return value
    text = _as_text(value).strip()
    if not text:
        raise InvalidMobile("missing")
    if not text.isascii():
        text = text.translate(_DIGITS)
    if _SCIENTIFIC.fullmatch(text.replace(" ", "")):
        raise InvalidMobile("excel_scientific", value=text)
    if _BETWEEN_NUMBERS.search(text):
        if sum(sum(ch.isdigit() for ch in part) >= 7 for part in _BETWEEN_NUMBERS.split(text)) > 1:
            raise InvalidMobile("two_numbers")
    text = _unwrap(text)
    if _LANDLINE.fullmatch(text):
        raise InvalidMobile("landline", value=text[:40])
    float_text = _FLOAT_TEXT.fullmatch(text)
    if float_text:
        # "9812345670.0" is a number Excel saved as text; "600000001.0" is 6000000010 with a dot in it.
        try:
            return _national(float_text.group(1), text)
        except InvalidMobile:
            pass
    return _national(text, text)
