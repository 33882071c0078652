import logging
import re
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.views import defaults
from django_htmx.http import HttpResponseClientRedirect

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


class PrivatePagesMiddleware:
    """What a signed-in user is shown (members' names and numbers, the files they download) is kept by no
    browser cache or proxy: on an office computer several people share, Back after logging out, or the disk
    cache, showed the next person the last one's pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


class HtmxRedirectMiddleware:
    """A redirect answering an htmx request becomes a whole-page redirect (HX-Redirect).

    Otherwise the browser follows it inside the request and htmx swaps the page it lands on into the part of
    the page being updated: an operator whose session ran out got the login page inside the console. (Where
    logging in again leads is `controlroom.roles.role_required`'s to say.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or response.status_code not in (301, 302, 303, 307, 308):
            return response
        redirect = HttpResponseClientRedirect(response["Location"])
        for cookie in response.cookies.values():  # a redirect may carry the session or message cookies
            redirect.cookies[cookie.key] = cookie
        return redirect


DATABASE_DOWN = (OperationalError, InterfaceError)


class DownloadReadyMiddleware:
    """A file download asked for with `?download=<token>` (static/js/downloads.js adds it) answers with the cookie
    `download-<token>`: "ok" with the file, "failed" with anything else (an error, the login page for a session
    that ran out). The page, which said the file is being made and took no second press, then knows how it went.
    A district's lakh of members takes a while, and a phone shows nothing until the file comes."""

    TOKEN = re.compile(r"[a-z0-9]{8,40}")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        token = request.GET.get("download", "")
        if self.TOKEN.fullmatch(token):
            arrived = response.get("Content-Disposition", "").startswith("attachment")
            response.set_cookie(
                f"download-{token}",
                "ok" if arrived else "failed",
                max_age=120,
                samesite="Strict",
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=False,  # read by the page
            )
        return response


def database_unavailable() -> HttpResponse:
    """The 503 page: it needs no database, no session and no user, so it renders during an outage."""
    return HttpResponse(render_to_string("503.html"), status=503, headers={"Retry-After": "30"})


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
        if not isinstance(exception, DATABASE_DOWN):
            return None
        logger.error("database unavailable: %s", type(exception).__name__)
        return database_unavailable()


def server_error(request):
    """handler500: the 503 page when the database is down, else Django's 500 page.

    `process_exception` only sees errors raised by views. A logged-in request reaches the database
    earlier, in middleware (the session and the user, read by LanguageMiddleware); Django turns an error
    there into a 500 right away and calls this handler while the error is still being handled.
    """
    if isinstance(sys.exc_info()[1], DATABASE_DOWN):
        return database_unavailable()
    return defaults.server_error(request)
