from django import template

from members.columns import BY_FIELD
from members.parsing import problem_message
from members.rows import reason_text

register = template.Library()


@register.filter
def problem_lines(problems):
    """A refused row's stored problems as (column, reason) pairs in the active language."""
    return [(BY_FIELD[column].label, reason_text(code, params)) for column, code, params in problems]


@register.filter
def upload_problem(upload):
    """Why an upload's file could not be used, in the active language."""
    return problem_message(upload.error_code, upload.error_params)
