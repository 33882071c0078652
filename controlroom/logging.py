"""Mobile numbers are personal data: no log line carries one in full.

`MaskMobiles` sits on the root handler (see LOGGING in settings), so it sees every record from the project and
from Django, django-axes and Celery, whatever logger wrote it. It keeps the first two and last two digits, enough
to tell two numbers apart when reading a log, and nothing a reader could dial.
"""

import logging
import re
from urllib.parse import unquote_plus

# An Indian mobile as people write it: 10 digits (Latin or Devanagari) starting 6-9, perhaps with +91, 91 or 0 in
# front and spaces or dashes between the groups. Never the middle of a longer run of digits (an id, an amount, a
# timestamp).
MOBILE = re.compile(r"(?<!\d)(?P<prefix>(?:\+?91[ -]?|0)?)(?P<number>[6-9६-९](?:[ -]?\d){9})(?!\d)")


def _masked(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match["number"])
    return f"{match['prefix']}{digits[:2]}XXXXXX{digits[-2:]}"


def mask_mobiles(text: str) -> str:
    """`text` with every mobile number in it masked: 9812345670 becomes 98XXXXXX70."""
    masked = MOBILE.sub(_masked, text)
    if "%" in masked or "+" in masked:
        # A request line (gunicorn's access log) has a search as the browser sent it: "q=98123+45670",
        # "q=%2B91%2098123%2045670", Devanagari digits percent-encoded. Then the line is logged decoded, masked.
        decoded = unquote_plus(masked)
        if MOBILE.search(decoded):
            return MOBILE.sub(_masked, decoded)
    return masked


def _mask_message(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - arguments that do not fit the format: keep both, masked, rather than fail
        record.msg, record.args = mask_mobiles(f"{record.msg} {record.args!r}"), ()
        return
    masked = mask_mobiles(message)
    if masked != message:
        record.msg, record.args = masked, ()


class MaskMobiles(logging.Filter):
    """Mask mobile numbers in a record's message, its arguments, and its traceback; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        _mask_message(record)
        if record.exc_info and not record.exc_text:
            # A database error names the duplicate key, which may be a number: mask the text the formatter prints.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_mobiles(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_mobiles(record.stack_info)
        return True
