from django import template
from django.utils.formats import number_format

from controlroom.percentages import percentage

register = template.Library()


@register.filter
def indian(value):
    """1234567 → 12,34,567, in the active language's format."""
    if value in (None, ""):
        return value
    return number_format(value, use_l10n=True, force_grouping=True)


@register.filter
def percent(part, whole):
    """Share of whole as a whole-number percentage, or an em dash when there is nothing to divide."""
    if not whole:
        return "—"
    return f"{percentage(part / whole)}%"


@register.filter
def rate(value):
    """A 0–1 rate as a whole percentage, or an em dash when nobody has been reached yet."""
    if value is None:
        return "—"
    return f"{percentage(value)}%"


@register.filter
def total(rows, key):
    """The sum of one figure over rows (dicts): `trend|total:"calls"`."""
    return sum(row[key] for row in rows)


@register.filter
def mobile(value):
    """A stored mobile number as people read it aloud: 98123 45670."""
    return f"{value[:5]} {value[5:]}" if value else value
