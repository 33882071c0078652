"""Which language a piece of text is written in, for its `lang` attribute: a screen reader reads a Devanagari
name on an English page with a Hindi voice, not by spelling it out."""

import re

from django import template

register = template.Library()

DEVANAGARI = re.compile("[\u0900-\u097f]")


@register.filter
def lang_of(text) -> str:
    """ "hi" for text with Devanagari in it, "en" otherwise (names typed in Latin letters)."""
    return "hi" if DEVANAGARI.search(str(text or "")) else "en"
