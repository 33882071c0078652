"""Which of the two languages a page is being shown in: Hindi first, English one click away."""

from django.utils.translation import get_language


def in_hindi() -> bool:
    """Whether the active language is Hindi; outside a request (a task, the shell) it is, as the site's default."""
    return (get_language() or "hi").startswith("hi")


def in_reader_language(hindi: str, english: str) -> str:
    """The English text when the page is in English and there is one; the Hindi text otherwise."""
    return english if english and not in_hindi() else hindi
