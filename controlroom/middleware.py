import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)


class LanguageMiddleware:
    """Hindi first: the user's saved choice, else the language cookie, else Hindi.

    The browser's Accept-Language is ignored on purpose: most phones here say English, and the office
    wants Hindi unless someone picks English with the switch.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        language = getattr(request.user, "language", "") or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in self.languages:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class DatabaseUnavailableMiddleware:
    """When PostgreSQL cannot be reached, say so with a 503 the browser may retry, not a 500.

    Connections are health-checked (CONN_HEALTH_CHECKS), so the next request after the database is
    back simply works again.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable: %s", type(exception).__name__)
        body = render_to_string("503.html")
        return HttpResponse(body, status=503, headers={"Retry-After": "30"})
