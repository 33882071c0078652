"""Browser journeys in Debian's Chromium, driven by Playwright against pytest-django's live server.

Run them with `DEBUG=1 .venv/bin/pytest tests/e2e` (the Makefile exports DEBUG=1): with DEBUG the live
server's static handler serves app.css, htmx and the Devanagari font straight from static/.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop running in the test thread; without this Django refuses
# every ORM call from a test ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1366, "height": 768}
# Browsers always send Accept-Language and Django's LocaleMiddleware honours it, so every context states
# its language; the default is a phone set to Hindi.
HINDI_PHONE_LOCALE = "hi-IN"

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 costs about a quarter of a second per user created or logged in; the journeys do not test it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run; each test gets fresh contexts (no shared cookies)."""
    if not Path(CHROMIUM).exists():
        reason = f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser journeys for real: {reason}")
        pytest.skip(f"SKIPPED, {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def base_url(live_server):
    return live_server.url


@pytest.fixture
def new_page(browser, live_server, transactional_db):
    """Open a page in a fresh browser context (a separate device: no cookies) at a given viewport.

    Any static file that fails to load, any JavaScript error and anything the page's security policy refuses
    fails the test at teardown.
    """
    contexts = []
    problems = []

    def _open(viewport=PHONE, locale=HINDI_PHONE_LOCALE, touch=False):
        # touch: a phone as it is, a touch screen and no mouse to hover with (CSS `hover: none`).
        context = browser.new_context(viewport=viewport, locale=locale, has_touch=touch, is_mobile=touch)
        context.set_default_timeout(5_000)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "response",
            lambda r: r.status >= 400 and "/static/" in r.url and problems.append(f"{r.status} {r.url}"),
        )
        # ERR_ABORTED is the browser cancelling a request it no longer needs (the page navigated on,
        # a download took over); anything else, such as a refused connection, is a real failure.
        page.on("requestfailed", lambda r: _failed(r, problems))
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
        page.on("console", lambda message: _refused(message, problems))
        return page

    yield _open
    for context in contexts:
        context.close()
    if problems:
        pytest.fail("problems while loading pages:\n" + "\n".join(problems))


def _refused(message, problems):
    # Chromium says so only in the console: the page goes on, without what was refused.
    if message.type == "error" and "Content Security Policy" in message.text:
        problems.append(f"refused by the security policy: {message.text}")


def _failed(request, problems):
    if "ERR_ABORTED" not in (request.failure or ""):
        problems.append(f"request failed: {request.url} {request.failure}")


@pytest.fixture
def phone_page(new_page):
    return new_page(PHONE)


@pytest.fixture
def laptop_page(new_page):
    return new_page(LAPTOP)
