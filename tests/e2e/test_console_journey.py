"""An operator's shift at the calling console in Chromium, driven by the keyboard as operators work."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from calls.models import CallAttempt, CallBatch, Campaign, Outcome, Shift
from members.models import Member, MemberStatus
from tests.conftest import make_member, make_village
from tests.e2e.conftest import PHONE
from tests.e2e.test_login_journeys import assert_fits_the_screen, log_in, wait_for_fonts

MEMBERS_PER_DISTRICT = 20
BATCH_SIZE = 25
# Holds every console key (y n w a b s u l): typed into the note box, they must stay text.
NOTE = "busy, will say yes on Sunday"
MIN_TOUCH_TARGET_PX = 44
SCREENSHOTS = {"laptop": "/tmp/e2e-console-1366.png", "phone": "/tmp/e2e-console-360.png"}

START = ".start-form button"
STOP = "form[action$='/console/stop/'] button"
NAME = "#member-name"


@pytest.fixture
def floor(centre, patna, gaya, operator):
    """A campaign and 20 members in each of two districts, callable at any hour of the day.

    Numbers are handed out only within the centre's calling hours. Travelling with time_machine would reach
    the live server's thread too (it patches the clock process-wide), but Chromium would stay on the real
    clock. Opening the centre round the clock instead leaves one real clock for the server, the browser and
    the test (the call-back time typed into the page, the undo window), so the journey runs the same at any
    hour of any day.
    """
    centre.calling_starts, centre.calling_ends = datetime.time.min, datetime.time.max
    centre.save(update_fields=["calling_starts", "calling_ends"])
    Campaign.objects.create(name="सत्यापन 2026", script_hi="नमस्ते {name} जी, {village} से बोल रहे हैं?")
    for district, prefix in ((patna, "98765"), (gaya, "87654")):
        village = make_village(district, f"{district.name_hi} गाँव")
        for i in range(MEMBERS_PER_DISTRICT):
            make_member(village, f"{prefix}{i:05d}", name=f"{district.name_hi} सदस्य {i + 1}")


def start_calling(page, base_url, operator):
    log_in(page, base_url, operator)
    expect(page).to_have_url(f"{base_url}/calls/console/")
    start = page.locator(START)
    expect(start).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(NAME)).to_be_visible()
    page.wait_for_load_state()  # console.js, whose keys the journey presses, has run


def press(page, key):
    """An outcome key, pressed once the console takes keys again after showing a member (see console.js)."""
    expect(page.locator("#console[data-ready]")).to_be_attached()
    page.keyboard.press(key)


def on_screen(operator) -> Member:
    return CallBatch.objects.select_related("current__village").get(operator=operator, closed_at=None).current


def progress(page) -> tuple[int, int]:
    """(position, total) from the progress line, whatever the language's word order."""
    numbers = sorted(int(n) for n in re.findall(r"\d+", page.locator(".progress-line").inner_text()))
    return numbers[0], numbers[-1]


def expect_member(page, member):
    expect(page.locator(NAME)).to_have_text(member.name)
    expect(page.locator(".place")).to_contain_text(member.village.name)
    expect(page.locator("a.phone")).to_have_attribute("href", f"tel:+91{member.mobile}")
    expect(page.locator(".script")).to_contain_text(f"नमस्ते {member.name} जी, {member.village.name} से")


def attempts(operator):
    rows = CallAttempt.objects.filter(operator=operator).order_by("created_at", "id")
    return [(a.member_id, a.outcome, a.undone_at is not None) for a in rows]


def test_operator_works_through_members_with_the_keyboard_and_stops(laptop_page, base_url, operator, floor):
    page = laptop_page
    start_calling(page, base_url, operator)

    first = on_screen(operator)
    expect_member(page, first)
    assert progress(page) == (1, BATCH_SIZE)
    page.screenshot(path=SCREENSHOTS["laptop"], full_page=True)
    # Survives only if the next member is swapped in, not loaded as a new page.
    page.evaluate("window.sameDocument = true")

    press(page, "y")

    expect(page.locator(NAME)).not_to_have_text(first.name)
    second = on_screen(operator)
    expect_member(page, second)
    assert progress(page) == (2, BATCH_SIZE)
    assert page.evaluate("window.sameDocument") is True
    assert attempts(operator) == [(first.pk, Outcome.YES, False)]

    note = page.locator("textarea[name=note]")
    note.click()
    page.keyboard.type(NOTE)
    expect(note).to_have_value(NOTE)
    expect(page.locator("[data-callback]")).not_to_have_attribute("open", "")
    page.keyboard.press("Escape")
    expect(note).not_to_be_focused()
    assert attempts(operator) == [(first.pk, Outcome.YES, False)]

    press(page, "n")

    expect(page.locator(NAME)).not_to_have_text(second.name)
    assert CallAttempt.objects.get(member=second).note == NOTE

    press(page, "u")

    expect_member(page, second)
    assert progress(page) == (2, BATCH_SIZE)

    press(page, "l")
    when = page.locator("input[name=call_back_at]")
    expect(when).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("[data-callback] .errorlist")).to_be_visible()
    expect_member(page, second)
    expect(when).to_be_focused()
    call_back_at = (timezone.localtime() + datetime.timedelta(hours=2)).replace(second=0, microsecond=0)
    when.fill(f"{call_back_at:%Y-%m-%dT%H:%M}")
    page.keyboard.press("Enter")

    expect(page.locator(NAME)).not_to_have_text(second.name)
    third = on_screen(operator)
    expect_member(page, third)
    expect(page.locator(NAME)).to_be_focused()  # not the time box, gone with the call-back saved
    assert progress(page) == (3, BATCH_SIZE)
    second.refresh_from_db()
    assert (second.status, second.next_call_at, second.batch_id) == (MemberStatus.RETRY, call_back_at, None)
    assert page.evaluate("window.sameDocument") is True
    held = Member.objects.filter(batch__operator=operator, status=MemberStatus.IN_BATCH).count()

    page.locator(STOP).click()

    expect(page.locator(START)).to_be_visible()
    expect(page).to_have_url(f"{base_url}/calls/console/")
    expect(page.locator(".messages")).to_contain_text(str(held))
    assert not Member.objects.filter(status=MemberStatus.IN_BATCH).exists()
    assert not Member.objects.filter(batch__isnull=False).exists()
    assert not Shift.objects.filter(operator=operator, ended_at=None).exists()
    assert attempts(operator) == [
        (first.pk, Outcome.YES, False),
        (second.pk, Outcome.NO, True),
        (second.pk, Outcome.CALL_BACK, False),
    ]
    assert CallAttempt.objects.count() == 3


def test_after_a_key_the_focus_is_on_the_members_name_and_the_next_key_still_marks(
    laptop_page, base_url, operator, floor
):
    """After Y, N or U the focus fell, with the console swapped out, to the page itself: Tab started again from
    the top of the page, and a screen reader said nothing of the member who came up."""
    page = laptop_page
    start_calling(page, base_url, operator)
    first = on_screen(operator)

    press(page, "y")

    expect(page.locator(NAME)).not_to_have_text(first.name)
    second = on_screen(operator)
    expect(page.locator(NAME)).to_be_focused()
    assert page.evaluate("document.activeElement.id") == "member-name"
    press(page, "n")  # with the name focused, a key still marks
    expect(page.locator(NAME)).not_to_have_text(second.name)
    expect(page.locator(NAME)).to_be_focused()
    press(page, "u")
    expect(page.locator(NAME)).to_have_text(second.name)
    expect(page.locator(NAME)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("a.phone")).to_be_focused()  # on from the member, not from the top of the page
    assert attempts(operator) == [(first.pk, Outcome.YES, False), (second.pk, Outcome.NO, True)]


def test_a_console_swap_sets_no_inline_style_the_pages_security_policy_refuses(laptop_page, base_url, operator, floor):
    """htmx settles a swap by copying attributes of the old elements onto the new, "style" among them by default,
    with setAttribute: an inline style, which the policy refuses. A style given to the console by a script
    (through the CSSOM, which the policy allows) made every mark log a refusal in the browser's console."""
    page = laptop_page
    refused = []
    page.on("console", lambda message: "Content Security Policy" in message.text and refused.append(message.text))
    start_calling(page, base_url, operator)
    first = on_screen(operator)
    page.evaluate("document.getElementById('member-name').style.color = 'darkblue'")

    press(page, "y")

    expect(page.locator(NAME)).not_to_have_text(first.name)
    expect(page.locator("#console[data-ready]")).to_be_attached()  # settled
    assert refused == []


def test_a_double_click_on_an_outcome_stores_one_attempt(laptop_page, base_url, operator, floor):
    page = laptop_page
    start_calling(page, base_url, operator)
    first = on_screen(operator)

    page.locator("button[data-key=y]").dblclick()

    expect(page.locator(NAME)).not_to_have_text(first.name)
    assert attempts(operator) == [(first.pk, Outcome.YES, False)]
    assert progress(page) == (2, BATCH_SIZE)


def test_holding_an_outcome_key_down_marks_one_member(laptop_page, base_url, operator, floor):
    page = laptop_page
    start_calling(page, base_url, operator)
    first = on_screen(operator)

    # What a key held down sends after the first keydown; Playwright's keyboard cannot repeat.
    expect(page.locator("#console[data-ready]")).to_be_attached()
    page.evaluate("document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'y', repeat: true, bubbles: true}))")
    press(page, "n")

    expect(page.locator(NAME)).not_to_have_text(first.name)
    assert attempts(operator) == [(first.pk, Outcome.NO, False)]


def test_console_fits_a_phone_and_its_buttons_are_thumb_sized(phone_page, base_url, operator, floor):
    page = phone_page
    start_calling(page, base_url, operator)
    first = on_screen(operator)
    press(page, "a")  # a call made: Undo is offered too
    expect(page.locator(NAME)).not_to_have_text(first.name)
    expect_member(page, on_screen(operator))
    wait_for_fonts(page)

    assert_fits_the_screen(page, PHONE["width"])
    buttons = page.locator(".outcomes button, .console-footer button")
    expect(buttons).to_have_count(8)
    heights = [box["height"] for box in (b.bounding_box() for b in buttons.all())]
    assert min(heights) >= MIN_TOUCH_TARGET_PX, heights
    page.screenshot(path=SCREENSHOTS["phone"], full_page=True)


def test_on_a_touch_phone_undo_is_at_hand_the_keys_are_not_shown_and_what_undo_says_is_in_view(
    new_page, base_url, operator, floor
):
    page = new_page(PHONE, touch=True)
    start_calling(page, base_url, operator)
    first = on_screen(operator)
    expect(page.locator(".outcomes kbd").first).to_be_hidden()  # no keyboard to press them on
    expect(page.locator(".note-hint")).to_be_hidden()
    expect(page.locator("#console[data-ready]")).to_be_attached()
    page.locator("button[data-key=w]").tap()  # by mistake
    expect(page.locator(NAME)).not_to_have_text(first.name)
    expect(page.locator("button[data-key=u]")).to_be_in_viewport()  # at hand after a mistaken tap, not below

    page.locator("button[data-key=u]").tap()  # far down the page, below the fold

    message = page.locator("#console .messages")
    expect(message).to_contain_text("वापस लिया गया: “गलत नंबर”")
    expect(message).to_be_in_viewport()
    expect(page.locator(NAME)).to_have_text(first.name)


def test_a_key_pressed_twice_in_a_flash_does_not_mark_the_member_it_brings_up(laptop_page, base_url, operator, floor):
    page = laptop_page
    start_calling(page, base_url, operator)
    first = on_screen(operator)
    # The second press lands 100 ms after the next member appears, as a quick double press on a fast network.
    page.evaluate(
        "document.addEventListener('htmx:afterSwap', () => setTimeout(() => document.body.dispatchEvent("
        "new KeyboardEvent('keydown', {key: 'a', bubbles: true})), 100), {once: true})"
    )
    press(page, "a")

    expect(page.locator(NAME)).not_to_have_text(first.name)
    second = on_screen(operator)
    expect(page.locator("#console[data-ready]")).to_be_attached()
    expect_member(page, second)
    assert attempts(operator) == [(first.pk, Outcome.NO_ANSWER, False)], "the member just shown is not marked"
    press(page, "y")  # a deliberate press, once the member is on screen, works
    expect(page.locator(NAME)).not_to_have_text(second.name)
    assert attempts(operator) == [(first.pk, Outcome.NO_ANSWER, False), (second.pk, Outcome.YES, False)]


def test_an_outcome_the_server_refuses_is_reported_not_silently_dropped(laptop_page, base_url, operator, floor):
    page = laptop_page
    start_calling(page, base_url, operator)
    first = on_screen(operator)
    # What logging in again in another tab does: this page's security token no longer matches (403).
    page.context.add_cookies([{"name": "csrftoken", "value": "x" * 32, "url": base_url}])

    press(page, "y")

    expect(page.locator(".console-error")).to_be_visible()
    expect(page.locator(".console-error")).to_contain_text("सेव नहीं हुआ")
    expect_member(page, first)
    assert attempts(operator) == []


def test_when_the_session_has_run_out_a_key_opens_the_login_page_and_leads_back(laptop_page, base_url, operator, floor):
    page = laptop_page
    start_calling(page, base_url, operator)
    first = on_screen(operator)
    page.locator("textarea[name=note]").click()
    page.keyboard.type("शाम को फोन करें")
    page.keyboard.press("Escape")
    page.context.clear_cookies(name="sessionid")  # the session ran out; the security token cookie stays

    press(page, "y")

    expect(page).to_have_url(f"{base_url}/login/?next=/calls/console/")
    expect(page.locator("header")).to_have_count(1)  # the login page itself, not swapped into the console
    expect(page.locator(".messages")).to_contain_text("सेव नहीं हुआ")  # the key did nothing, and it says so
    assert attempts(operator) == []
    log_in(page, base_url, operator)
    expect(page).to_have_url(f"{base_url}/calls/console/")
    expect(page.locator(NAME)).to_have_text(first.name)
    expect(page.locator("textarea[name=note]")).to_have_value("शाम को फोन करें")  # the note typed is not lost


def test_t_opens_the_note_and_esc_leaves_it_for_the_outcome_key(laptop_page, base_url, operator, floor):
    page = laptop_page
    start_calling(page, base_url, operator)
    first = on_screen(operator)
    expect(page.locator(".note-hint")).to_contain_text("Esc")  # how to get out of the note is on the screen

    press(page, "t")
    expect(page.locator("textarea[name=note]")).to_be_focused()
    page.keyboard.type(NOTE)  # outcome keys typed into the note stay text
    page.keyboard.press("Escape")
    press(page, "n")

    expect(page.locator(NAME)).not_to_have_text(first.name)
    assert CallAttempt.objects.get(member=first).note == NOTE, "the T that opened the note is not in it"


def test_the_note_of_an_undone_call_is_still_there_after_a_reload(laptop_page, base_url, operator, floor):
    """Undo brings the call's note back into the box, but it was kept for a reload only once typed into: F5 or
    switching the language lost it."""
    page = laptop_page
    start_calling(page, base_url, operator)
    first = on_screen(operator)
    press(page, "t")
    page.keyboard.type(NOTE)
    page.keyboard.press("Escape")
    press(page, "n")
    expect(page.locator(NAME)).not_to_have_text(first.name)
    press(page, "u")
    expect(page.locator(NAME)).to_have_text(first.name)
    note = page.locator("textarea[name=note]")
    expect(note).to_have_value(NOTE)
    page.reload()
    expect(page.locator("[data-note-count]")).to_have_text(f"{len(NOTE)}/500")  # the console's script has run
    expect(note).to_have_value(NOTE)


def test_outcome_keys_still_work_with_the_keep_for_me_box_focused(laptop_page, base_url, operator, floor):
    """A checkbox is not a field keys type into: after ticking it, or tabbing past it, N was silently ignored."""
    page = laptop_page
    start_calling(page, base_url, operator)
    first = on_screen(operator)
    press(page, "l")
    page.locator("input[name=personal]").focus()
    press(page, "n")

    expect(page.locator(NAME)).not_to_have_text(first.name)
    assert attempts(operator) == [(first.pk, Outcome.NO, False)]


def test_outcome_keys_work_with_a_hindi_keyboard_layout(laptop_page, base_url, operator, floor):
    page = laptop_page
    start_calling(page, base_url, operator)
    first = on_screen(operator)
    expect(page.locator("#console[data-ready]")).to_be_attached()

    # InScript, the Hindi layout: the key marked Y types "ब".
    page.evaluate("document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'ब', code: 'KeyY', bubbles: true}))")

    expect(page.locator(NAME)).not_to_have_text(first.name)
    assert attempts(operator) == [(first.pk, Outcome.YES, False)]


def test_a_busy_server_asks_for_the_key_again_not_a_reload(laptop_page, base_url, operator, floor):
    page = laptop_page
    start_calling(page, base_url, operator)
    first = on_screen(operator)
    page.route("**/calls/console/mark/", lambda route: route.fulfill(status=503, body="busy"))

    press(page, "y")

    expect(page.locator(".console-error")).to_contain_text("थोड़ी देर में बटन फिर से दबाएँ")
    page.unroute("**/calls/console/mark/")
    press(page, "y")
    expect(page.locator(NAME)).not_to_have_text(first.name)
    assert attempts(operator) == [(first.pk, Outcome.YES, False)]


def test_a_note_not_sent_is_forgotten_on_logging_out(laptop_page, base_url, operator, floor):
    """The next person to log in in this tab could be handed the same member, and see the note. Kept under the
    operator's name, it is not shown to another after a session that ran out either."""
    page = laptop_page
    start_calling(page, base_url, operator)
    page.locator("textarea[name=note]").fill("नंबर बदल गया")
    page.locator("textarea[name=note]").dispatch_event("input")
    kept = page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('console-note:'))")
    assert kept == [f"console-note:{operator.pk}:{on_screen(operator).pk}"], "whose note, if the session runs out"
    page.locator("form[data-logout] button").click()
    expect(page).to_have_url(re.compile(r"/login/"))
    assert page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('console-note:')).length") == 0


def test_a_note_typed_before_switching_the_language_is_still_there(laptop_page, base_url, operator, floor):
    page = laptop_page
    start_calling(page, base_url, operator)
    first = on_screen(operator)
    note, counter = page.locator("textarea[name=note]"), page.locator("[data-note-count]")
    typed = "बेटे का नंबर\nशाम को फोन करें"
    expect(counter).to_have_text("0/500")
    note.click()
    page.keyboard.type(typed)
    expect(counter).to_have_text(f"{len(typed)}/500")

    page.get_by_role("button", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(NAME)).to_have_text(first.name)
    expect(note).to_have_value(typed)
    expect(counter).to_have_text(f"{len(typed)}/500")
    press(page, "n")

    expect(page.locator(NAME)).not_to_have_text(first.name)
    assert CallAttempt.objects.get(member=first).note == typed
    expect(note).to_have_value("")
    page.reload()
    expect(counter).to_have_text("0/500")  # the console's script has run on the reloaded page
    expect(note).to_have_value("")
    kept = page.evaluate("Object.keys(sessionStorage).filter((key) => key.startsWith('console-note'))")
    assert kept == [], "a saved note is not kept for a reload"


def test_a_long_pasted_note_is_kept_whole_and_refused_with_its_length(laptop_page, base_url, operator, floor):
    page = laptop_page
    start_calling(page, base_url, operator)
    first = on_screen(operator)
    note, counter = page.locator("textarea[name=note]"), page.locator("[data-note-count]")

    note.fill("अ" * 520)

    expect(note).to_have_value("अ" * 520)
    expect(counter).to_have_text("520/500")
    expect(counter).to_have_class(re.compile(r"\bfield-error\b"))
    page.keyboard.press("Escape")
    press(page, "n")

    expect(page.locator("[data-console-form] .field .errorlist")).to_contain_text("520")
    expect(page.locator(NAME)).to_have_text(first.name)
    expect(note).to_have_value("अ" * 520)
    expect(counter).to_have_text("520/500")
    assert attempts(operator) == []


def test_a_call_back_time_is_picked_with_one_click_and_saved_with_enter(laptop_page, base_url, operator, floor):
    page = laptop_page
    start_calling(page, base_url, operator)
    member = on_screen(operator)
    press(page, "l")

    page.locator("[data-call-back-at]", has_text="कल सुबह").click()

    when = page.locator("input[name=call_back_at]")
    tomorrow = (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    expect(when).to_have_value(f"{tomorrow:%Y-%m-%dT%H:%M}")
    expect(when).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(NAME)).not_to_have_text(member.name)
    member.refresh_from_db()
    assert (member.status, member.next_call_at) == (MemberStatus.RETRY, tomorrow)
