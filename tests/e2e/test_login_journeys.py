"""Logging in as each member of the cast, in a real browser, on a phone and on a laptop."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import LAPTOP, PHONE

# What a person sees, in the words of locale/hi/LC_MESSAGES/django.po.
WORDS = {
    "hi": {"username": "यूज़रनेम", "password": "पासवर्ड", "log_in": "लॉग इन", "log_out": "लॉग आउट"},
    "en": {"username": "Username", "password": "Password", "log_in": "Log in", "log_out": "Log out"},
}
NOT_FOUND_HI = "पेज नहीं मिला"
CONSOLE_HI, CONSOLE_EN = "कॉलिंग कंसोल", "Calling console"

# role fixture, landing page, main heading, things that must be on that page
ROLES = {
    "operator": ("/calls/console/", CONSOLE_HI, ["पटना", "गया"]),
    "patna_president": ("/districts/PAT/", "पटना", ["रामपुर"]),
    "state_leader": ("/districts/", "ज़िले", ["पटना", "गया"]),
    "supervisor": ("/calls/floor/", "कॉल सेंटर फ़्लोर", ["operator", "पटना", "गया"]),
}
SCREENSHOTS = {
    ("patna_president", PHONE["width"]): "/tmp/e2e-district-360.png",
    ("supervisor", LAPTOP["width"]): "/tmp/e2e-floor-1366.png",
}
OVERFLOW_TOLERANCE_PX = 1

# Elements sticking out past the right edge that are not clipped by a scrolling box (such as .table-wrap):
# walk the containing-block chain, so an absolutely positioned child escapes a non-positioned scroller.
OVERFLOWING_ELEMENTS_JS = """() => {
  const edge = document.documentElement.clientWidth + 1;
  const clipped = (el) => {
    let position = getComputedStyle(el).position;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (position === 'fixed') return false;
      const style = getComputedStyle(a);
      const isContainingBlock = position !== 'absolute' || style.position !== 'static';
      if (!isContainingBlock) continue;
      if (style.overflowX !== 'visible') return true;
      position = style.position;
    }
    return false;
  };
  const name = (el) => el.tagName.toLowerCase() + [...el.classList].map(c => '.' + c).join('');
  return [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > edge && !clipped(el))
    .slice(0, 10)
    .map(el => (el.parentElement ? name(el.parentElement) + ' > ' : '') + name(el)
      + ' (right edge at ' + Math.round(el.getBoundingClientRect().right) + 'px)');
}"""


def log_in(page, base_url, user, lang="hi"):
    words = WORDS[lang]
    page.goto(f"{base_url}/login/")
    page.get_by_label(words["username"]).fill(user.username)
    page.get_by_label(words["password"]).fill(PASSWORD)
    page.get_by_role("button", name=words["log_in"], exact=True).click()


def assert_fits_the_screen(page, width):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    culprits = page.evaluate(OVERFLOWING_ELEMENTS_JS) if scroll_width > width + OVERFLOW_TOLERANCE_PX else []
    assert scroll_width <= width + OVERFLOW_TOLERANCE_PX, f"page is {scroll_width}px wide at {width}px: {culprits}"


def wait_for_fonts(page):
    page.evaluate("document.fonts.ready.then(() => true)")


# --- Hindi first, English one click away ---------------------------------------------------------------


def test_login_page_is_in_hindi_by_default(phone_page, base_url):
    phone_page.goto(f"{base_url}/login/")
    expect(phone_page.locator("html")).to_have_attribute("lang", "hi")
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("लॉग इन")
    expect(phone_page.get_by_label("यूज़रनेम")).to_be_visible()
    expect(phone_page.get_by_role("button", name="लॉग इन", exact=True)).to_be_visible()


def test_login_page_is_in_hindi_even_on_a_phone_set_to_english(new_page, base_url):
    page = new_page(PHONE, locale="en-IN")
    page.goto(f"{base_url}/login/")
    assert page.evaluate("document.documentElement.lang") == "hi"


def test_one_click_on_english_shows_the_login_page_in_english(phone_page, base_url):
    phone_page.goto(f"{base_url}/login/")
    phone_page.get_by_role("button", name="English").click()
    expect(phone_page.locator("html")).to_have_attribute("lang", "en")
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(phone_page.get_by_label("Username")).to_be_visible()
    expect(phone_page.get_by_role("button", name="हिन्दी")).to_be_visible()


def test_language_chosen_after_login_is_remembered_for_the_user_after_logging_out_and_in(
    new_page, base_url, cast, operator
):
    page = new_page(PHONE)
    log_in(page, base_url, operator)
    expect(page.get_by_role("heading", level=1)).to_have_text(CONSOLE_HI)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CONSOLE_EN)

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{base_url}/login/")
    log_in(page, base_url, operator, lang="en")
    expect(page.get_by_role("heading", level=1)).to_have_text(CONSOLE_EN)

    # Another phone with no cookies: the login page is Hindi, but once the user is known it is English.
    other_phone = new_page(PHONE)
    log_in(other_phone, base_url, operator, lang="hi")
    expect(other_phone).to_have_url(f"{base_url}/calls/console/")
    expect(other_phone.locator("html")).to_have_attribute("lang", "en")
    expect(other_phone.get_by_role("heading", level=1)).to_have_text(CONSOLE_EN)
    operator.refresh_from_db()
    assert operator.language == "en"


# --- each role lands on its own page, and the page fits the screen ---------------------------------------


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone-360", "laptop-1366"])
@pytest.mark.parametrize("who", list(ROLES))
def test_each_role_logs_in_and_lands_on_its_home_page_that_fits_the_screen(
    new_page, base_url, cast, request, who, viewport
):
    user = request.getfixturevalue(who)
    landing, heading, must_show = ROLES[who]
    page = new_page(viewport)

    log_in(page, base_url, user)

    expect(page).to_have_url(f"{base_url}{landing}")
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
    for text in must_show:
        expect(page.locator("main").get_by_text(text, exact=True).first).to_be_visible()
    wait_for_fonts(page)
    assert_fits_the_screen(page, viewport["width"])

    screenshot = SCREENSHOTS.get((who, viewport["width"]))
    if screenshot:
        page.screenshot(path=screenshot, full_page=True)


def test_district_president_sees_only_their_own_districts_villages(phone_page, base_url, cast, patna_president):
    log_in(phone_page, base_url, patna_president)
    expect(phone_page).to_have_url(f"{base_url}/districts/PAT/")
    expect(phone_page.locator("#village-table").get_by_role("link", name="रामपुर")).to_be_visible()
    expect(phone_page.get_by_text("सीतापुर")).to_have_count(0)


def test_district_president_typing_another_districts_url_gets_the_not_found_page(
    phone_page, base_url, cast, patna_president
):
    log_in(phone_page, base_url, patna_president)
    expect(phone_page).to_have_url(f"{base_url}/districts/PAT/")

    response = phone_page.goto(f"{base_url}/districts/GAY/")

    assert response.status == 404
    expect(phone_page.get_by_role("heading", level=1)).to_have_text(NOT_FOUND_HI)
    expect(phone_page.get_by_text("सीतापुर")).to_have_count(0)
    assert_fits_the_screen(phone_page, PHONE["width"])


# --- the stylesheet and the Devanagari font really load ----------------------------------------------------


def test_stylesheet_and_devanagari_font_load_on_the_login_page(phone_page, base_url):
    statuses = {}

    def record(response):
        if "/static/" in response.url:
            statuses[response.url.rsplit("/", 1)[-1]] = response.status

    phone_page.on("response", record)

    phone_page.goto(f"{base_url}/login/")
    wait_for_fonts(phone_page)

    assert statuses.get("app.css") == 200, statuses
    assert statuses.get("htmx.min.js") == 200, statuses
    assert statuses.get("noto-sans-devanagari-devanagari-400-normal.woff2") == 200, statuses
    loaded = phone_page.evaluate(
        "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family.replace(/\"/g, '') + ' ' + f.weight)"
    )
    assert "Noto Sans Devanagari 400" in loaded, loaded
    assert "Noto Sans Devanagari 600" in loaded, loaded
    # The stylesheet is applied: the top bar has the brand colour.
    assert phone_page.locator(".topbar").evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(11, 92, 173)"


SMALL_TARGETS_JS = """() => [...document.querySelectorAll('a, button, summary')]
    .filter(e => e.offsetParent !== null && !e.closest('p'))  // links inside a sentence are exempt
    .map(e => [e.textContent.trim(), e.getBoundingClientRect()])
    .filter(([_, r]) => r.width < 24 || r.height < 24)
    .map(([text, r]) => `${text} ${Math.round(r.width)}x${Math.round(r.height)}`)"""


@pytest.mark.parametrize("who, url", [("state_leader", "/districts/"), ("patna_president", "/members/uploads/")])
def test_on_a_phone_every_link_and_button_is_big_enough_for_a_thumb(new_page, base_url, cast, request, who, url):
    """24px each way at least: the menu's links were 24px tall with their text, a sort heading like "हाँ" 11px wide."""
    page = new_page(PHONE)
    log_in(page, base_url, request.getfixturevalue(who))
    page.goto(f"{base_url}{url}")
    wait_for_fonts(page)
    assert page.evaluate(SMALL_TARGETS_JS) == []


@pytest.mark.parametrize("who", ["patna_president", "supervisor"])
def test_on_a_phone_the_top_bar_leaves_the_screen_to_the_page(new_page, base_url, cast, request, who):
    """The name, menu, user, language and Log out took three or four rows of a phone's 740px (213px for a
    supervisor in English). Now the name, the language and Log out share the first row, the menu is under them,
    and who is signed in is left to the desktop."""
    page = new_page(PHONE)
    log_in(page, base_url, request.getfixturevalue(who))
    wait_for_fonts(page)
    bar = page.locator(".topbar")
    brand, logout = (bar.locator(sel).bounding_box() for sel in (".brand", "[data-logout]"))
    assert abs(brand["y"] - logout["y"]) < brand["height"], "Log out is on the name's row"
    assert not bar.locator(".who").is_visible()
    menu_rows = 2 if who == "supervisor" else 1  # a supervisor's five links wrap once on a 360px phone
    assert bar.bounding_box()["height"] <= 60 + 40 * menu_rows


def test_on_a_phone_a_wide_table_scrolls_under_its_first_column(
    new_page, base_url, supervisor, operator, other_operator
):
    """The floor is wider than a phone: scrolled to reach "Release batch", it lost the operator's name, and
    before scrolling only a faint shadow said there was more."""
    from django.utils import timezone

    from calls.models import Shift

    Shift.objects.create(operator=operator, started_at=timezone.now())  # on shift: "Release batch" ends its row
    supervisor.language = "en"
    supervisor.save(update_fields=["language"])
    page = new_page(PHONE)
    log_in(page, base_url, supervisor)
    page.goto(f"{base_url}/calls/floor/")
    wrap = page.locator(".table-wrap").first
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth"), "wider than the phone, or there is nothing to test"
    wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    left = wrap.bounding_box()["x"]
    for cell in (wrap.locator("th").first, wrap.locator("td").first):
        assert abs(cell.bounding_box()["x"] - left) < 2, "the first column stays at the table's left edge"
    expect(wrap.locator("td").first).to_contain_text(operator.username)
