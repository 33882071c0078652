"""The dashboards in Chromium: state leadership on a laptop, a district president fixing rejects on a phone.

Every figure comes from real services: members through make_member, outcomes marked by an operator on the
console's services, so the summary tables the pages read are the ones production keeps.
"""

import datetime
import io
import re
import uuid

import openpyxl
import pytest
from playwright.sync_api import expect

from calls import services as calls
from calls.models import Campaign, Outcome
from districts.models import District
from members.models import MemberChange, MemberStatus
from tests.conftest import make_member, make_village
from tests.e2e.conftest import LAPTOP, PHONE
from tests.e2e.test_login_journeys import assert_fits_the_screen, log_in, wait_for_fonts

SCREENSHOTS = {
    "dashboard": "/tmp/e2e-dashboard-1366.png",
    "rejects": "/tmp/e2e-rejects-360.png",
    "merge": "/tmp/e2e-village-merge-360.png",
}
# Columns of the district XLSX, by DistrictRollupResource's export order.
XLSX_COLUMNS = "code district listed called yes no wrong unreachable pending rate villages at_target".split()


@pytest.fixture
def nalanda(db):
    return District.objects.create(code="NAL", name_en="Nalanda", name_hi="नालंदा")


@pytest.fixture
def open_floor(centre, nalanda):
    """A campaign, and the centre open round the clock so the operator can mark members at any hour."""
    centre.calling_starts, centre.calling_ends = datetime.time.min, datetime.time.max
    centre.save(update_fields=["calling_starts", "calling_ends"])
    centre.districts.add(nalanda)
    Campaign.objects.create(name="सत्यापन 2026", script_hi="नमस्ते {name} जी")
    return centre


def call_through(operator, plan):
    """One shift: the operator marks the members the console hands out, by mobile, then stops.

    The console hands members out oldest first, so the members of `plan` must be the oldest pending ones.
    """
    calls.shift_start(operator=operator)
    marked = {}
    for _ in plan:
        _, member = calls.console_next_member(operator=operator)
        outcome, note = plan[member.mobile]
        request = calls.MarkRequest(member.pk, outcome, note=note, submission_key=uuid.uuid4())
        calls.call_record_outcome(operator=operator, request=request)
        marked[member.mobile] = member
    calls.shift_stop(operator=operator)
    return marked


def table_rows(page, selector):
    """{first cell: [the other cells]} for the body rows of a table, as the page shows them."""
    rows = page.locator(f"{selector} tbody tr").all()
    cells = [[text.strip() for text in row.locator("td").all_inner_texts()] for row in rows]
    return {row[0]: row[1:] for row in cells}


def expect_order(page, selector, names):
    expect(page.locator(f"{selector} tbody tr td:first-child")).to_have_text(names)


# --- state leadership on a laptop ---------------------------------------------------------------------------


@pytest.fixture
def state(patna, gaya, nalanda, open_floor, operator):
    """Three districts: Patna well on its way, Gaya started, Nalanda not yet called."""
    rampur, shivpur = make_village(patna, "रामपुर", target=2), make_village(patna, "शिवपुर", target=3)
    sitapur, biharsharif = make_village(gaya, "सीतापुर", target=5), make_village(nalanda, "बिहारशरीफ")
    plan = {
        "9812345670": (rampur, "अमर सिंह", Outcome.YES),
        "9876543211": (rampur, "बसंती देवी", Outcome.YES),
        "9876543212": (rampur, "चंदन कुमार", Outcome.NO),
        "9876543213": (shivpur, "दीपक राय", Outcome.YES),
        "9876543215": (shivpur, "गीता कुमारी", Outcome.WRONG_NUMBER),
        "8765432101": (sitapur, "हरि प्रसाद", Outcome.YES),
        "8765432102": (sitapur, "इंदु देवी", Outcome.NO),
        "8765432103": (sitapur, "जय प्रकाश", Outcome.NO),
    }
    for mobile, (village, name, _) in plan.items():
        make_member(village, mobile, name=name)
    waiting = make_member(rampur, "9876543214", name="कमला देवी")  # the oldest member still to be called
    make_member(shivpur, "9876543216", name="लक्ष्मण पासवान")
    make_member(sitapur, "8765432104", name="मोहन लाल")
    for i in range(3):
        make_member(biharsharif, f"700000010{i}", name=f"नालंदा सदस्य {i + 1}")
    call_through(operator, {mobile: (outcome, "") for mobile, (_, _, outcome) in plan.items()})
    return {"rampur": rampur, "waiting": waiting}


def test_state_leadership_reads_sorts_refreshes_drills_down_and_downloads_the_districts(
    laptop_page, base_url, state_leader, operator, state
):
    page = laptop_page
    log_in(page, base_url, state_leader)
    expect(page).to_have_url(f"{base_url}/districts/")

    # Every district with its figures, sorted by name, and the state's totals below.
    expect_order(page, "#district-table", ["गया", "नालंदा", "पटना"])
    assert table_rows(page, "#district-table") == {
        "गया": ["4", "3", "1", "2", "0", "0", "1", "33%", "0 / 1"],
        "नालंदा": ["3", "0", "0", "0", "0", "0", "3", "—", "0 / 1"],
        "पटना": ["7", "5", "3", "1", "1", "0", "2", "75%", "1 / 2"],
    }
    totals = page.locator("#district-table tfoot td")
    expect(totals).to_have_text([re.compile(".+"), "14", "8", "4", "3", "1", "0", "6", "57%", "1 / 4"])
    expect(page.locator(".stats .stat .value")).to_have_text(["14", "8", "4", "57%", "6", "1 / 4"])

    # The charts: one stacked bar per district, and today's calls as the tallest day of the trend.
    expect(page.locator(".chart svg.bar")).to_have_count(3)
    patna_bar = page.locator(".chart svg.bar[aria-label^='पटना']")
    expect(patna_bar.locator("rect")).to_have_count(4)  # YES, NO, wrong and pending; nobody unreachable
    trend = page.locator("svg.trend rect.trend-calls")
    expect(trend).to_have_count(14)
    assert float(trend.last.get_attribute("height")) == 60

    # A member marked YES elsewhere shows up when the table refreshes itself, without a new page.
    page.get_by_text("दिन-ब-दिन").click()  # the trend's figures day by day, open as it refreshes
    page.evaluate("window.samePage = true")
    call_through(operator, {state["waiting"].mobile: (Outcome.YES, "")})
    page.evaluate("htmx.ajax('GET', location.pathname, {target: '#district-table', swap: 'outerHTML'})")
    patna_row = page.locator("#district-table tbody tr", has=page.get_by_role("link", name="पटना", exact=True))
    expect(patna_row.locator("td")).to_have_text(["पटना", "7", "6", "4", "1", "1", "0", "1", "80%", "1 / 2"])
    expect(totals.nth(3)).to_have_text("5")
    expect(page.locator(".stats .stat .value")).to_have_text(["14", "9", "5", "63%", "5", "1 / 4"])
    today = page.locator("#trend-days tbody tr").first.locator("td")
    expect(today).to_have_text([re.compile(".+"), "9", "5", "3", "1"])
    expect(page.locator("#trend-days")).to_have_attribute("open", "")
    assert page.evaluate("window.samePage") is True

    # Sorting by YES: most first, then a second click turns the order round.
    page.locator("#district-table th a[href='?sort=-yes']").click()
    expect(page).to_have_url(f"{base_url}/districts/?sort=-yes")
    expect_order(page, "#district-table", ["पटना", "गया", "नालंदा"])
    expect(page.locator("#district-table th[aria-sort='descending'] a")).to_have_attribute("href", "?sort=yes")
    page.locator("#district-table th a[href='?sort=yes']").click()
    expect(page).to_have_url(f"{base_url}/districts/?sort=yes")
    expect_order(page, "#district-table", ["नालंदा", "गया", "पटना"])

    # The XLSX holds the same figures as the page.
    with page.expect_download() as download:
        page.locator(".page-head a[href^='/districts/export.xlsx']").click()
    assert re.fullmatch(r"districts-\d{8}-\d{4}\.xlsx", download.value.suggested_filename)
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = {row[0]: dict(zip(XLSX_COLUMNS, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    total = rows.pop(None)
    assert list(rows) == ["NAL", "GAY", "PAT"]
    assert total["district"] == "कुल", "a totals row last, as on the page"
    for column in ("listed", "called", "yes", "no", "wrong", "unreachable", "pending", "villages", "at_target"):
        assert total[column] == sum(row[column] for row in rows.values()), column
    assert rows["PAT"] == {
        "code": "PAT", "district": "पटना", "listed": 7, "called": 6, "yes": 4, "no": 1, "wrong": 1,
        "unreachable": 0, "pending": 1, "rate": 80.0, "villages": 2, "at_target": 1,
    }  # fmt: skip

    wait_for_fonts(page)
    assert_fits_the_screen(page, LAPTOP["width"])
    page.screenshot(path=SCREENSHOTS["dashboard"], full_page=True)

    # Down to a district's villages, and to a village's members with where each one stands.
    page.locator("#district-table").get_by_role("link", name="पटना", exact=True).click()
    expect(page).to_have_url(f"{base_url}/districts/PAT/")
    expect_order(page, "#village-table", ["रामपुर", "शिवपुर"])
    assert table_rows(page, "#village-table") == {
        "रामपुर": ["4", "4", "3", "1", "0", "0", "0", "75%", "2 ✓"],
        "शिवपुर": ["3", "2", "1", "0", "1", "0", "1", "100%", "3"],
    }
    assert_fits_the_screen(page, LAPTOP["width"])

    page.locator("#village-table").get_by_role("link", name="रामपुर").click()
    expect(page).to_have_url(f"{base_url}/districts/PAT/villages/{state['rampur'].pk}/")
    members = page.locator("main table tbody tr")
    expect(members).to_have_count(4)
    statuses = {
        row.locator("td").first.inner_text(): row.locator(".status").get_attribute("class") for row in members.all()
    }
    assert statuses == {
        "अमर सिंह": "status status-yes",
        "कमला देवी": "status status-yes",
        "चंदन कुमार": "status status-no",
        "बसंती देवी": "status status-yes",
    }
    assert_fits_the_screen(page, LAPTOP["width"])


# --- a district president fixing rejects on a phone -----------------------------------------------------------


@pytest.fixture
def rejects(patna, gaya, open_floor, operator):
    """Two Patna members the call centre could not use, with the operator's notes; one in Gaya."""
    rampur, shivpur = make_village(patna, "रामपुर", target=3), make_village(patna, "शिवपुर", target=2)
    gopalpur, sitapur = make_village(patna, "गोपालपुर", target=1), make_village(gaya, "सीतापुर")
    plan = {
        "9876500001": (rampur, "सुरेश यादव", Outcome.WRONG_NUMBER, "किसी और का नंबर है"),
        "9876500002": (shivpur, "मीना देवी", Outcome.WRONG_NUMBER, "यह नंबर उनके बेटे का था"),
        "9876500003": (rampur, "राधा कुमारी", Outcome.YES, ""),
        "9876500005": (gopalpur, "विजय सिंह", Outcome.YES, ""),
        "8765400001": (sitapur, "गया के सदस्य", Outcome.WRONG_NUMBER, "गलत नंबर"),
    }
    for mobile, (village, name, _, _) in plan.items():
        make_member(village, mobile, name=name)
    make_member(rampur, "9876500004", name="श्याम लाल")
    marked = call_through(operator, {mobile: (outcome, note) for mobile, (_, _, outcome, note) in plan.items()})
    return {"wrong": marked["9876500001"], "gone": marked["9876500002"], "gaya": marked["8765400001"]}


def reject_card(page, member):
    return page.locator(f"article#member-{member.pk}")


def test_district_president_corrects_one_reject_and_removes_another_on_a_phone(
    phone_page, base_url, patna_president, rejects
):
    page = phone_page
    wrong, gone = rejects["wrong"], rejects["gone"]
    log_in(page, base_url, patna_president)

    # Their own district: figures, rejects waiting for them, and the villages still short of their target.
    expect(page).to_have_url(f"{base_url}/districts/PAT/")
    expect(page.locator(".stats .stat .value")).to_have_text(["5", "2", "100%", "1", "1 / 3", "2"])
    rejects_stat = page.locator(".stats a.stat-link")
    expect(rejects_stat).to_have_class(re.compile(r"\battention\b"))
    expect(page.locator(".below-target li a")).to_have_text(["शिवपुर", "रामपुर"])
    wait_for_fonts(page)
    assert_fits_the_screen(page, PHONE["width"])

    rejects_stat.click()
    expect(page).to_have_url(f"{base_url}/members/rejects/PAT/")
    expect(page.locator("article.reject")).to_have_count(2)
    expect(reject_card(page, wrong).locator("strong")).to_have_text("सुरेश यादव")
    expect(reject_card(page, wrong).locator(".note")).to_contain_text("किसी और का नंबर है")
    expect(reject_card(page, wrong)).to_contain_text("98765 00001")
    expect(reject_card(page, gone).locator(".note")).to_contain_text("यह नंबर उनके बेटे का था")
    expect(page.get_by_text("गया के सदस्य")).to_have_count(0)
    wait_for_fonts(page)
    assert_fits_the_screen(page, PHONE["width"])
    page.screenshot(path=SCREENSHOTS["rejects"], full_page=True)

    # The corrected number, typed the way people type it.
    reject_card(page, wrong).locator(f"#mobile-{wrong.pk}").fill("+91 70000-12345")
    reject_card(page, wrong).locator("form[action$='/correct/'] button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/members/rejects/PAT/(#.*)?$"))
    expect(page.locator(".messages li.success")).to_contain_text("सुरेश यादव")
    expect(reject_card(page, wrong)).to_have_count(0)
    expect(page.locator("article.reject")).to_have_count(1)
    wrong.refresh_from_db()
    assert (wrong.status, wrong.mobile) == (MemberStatus.PENDING, "7000012345")
    change = MemberChange.objects.get(member=wrong)
    assert (change.kind, change.old_mobile, change.new_mobile, change.actor) == (
        MemberChange.Kind.CORRECTED, "9876500001", "7000012345", patna_president
    )  # fmt: skip

    # The other one has left the party: off the list, with the reason.
    card = reject_card(page, gone)
    card.locator("details:has(form[action$='/remove/']) summary").click()
    card.locator(f"#reason-{gone.pk}").fill("पार्टी छोड़ दी")
    card.locator("form[action$='/remove/'] button[type=submit]").click()

    expect(page.locator(".messages li.success")).to_contain_text("मीना देवी")
    expect(page.locator("article.reject")).to_have_count(0)
    gone.refresh_from_db()
    assert gone.status == MemberStatus.REMOVED
    assert MemberChange.objects.get(member=gone).reason == "पार्टी छोड़ दी"
    assert_fits_the_screen(page, PHONE["width"])

    # Nothing waits any more; and another district's rejects are not theirs to see.
    page.goto(f"{base_url}/districts/PAT/")
    expect(page.locator(".stats a.stat-link .value")).to_have_text("0")
    expect(page.locator(".stats a.stat-link")).not_to_have_class(re.compile(r"\battention\b"))

    response = page.goto(f"{base_url}/members/rejects/GAY/")
    assert response.status == 404
    expect(page.locator("main .card a[href='/']")).to_be_visible()  # the not-found page's way home
    expect(page.get_by_text("गया के सदस्य")).to_have_count(0)
    expect(page.locator("article.reject")).to_have_count(0)
    assert_fits_the_screen(page, PHONE["width"])


def test_after_a_fix_far_down_the_list_the_phone_shows_what_was_done(phone_page, base_url, patna_president, patna):
    """The page opens at the next reject, far below its top: the message saying the fix was made stays in view."""
    from districts import rollup

    rampur = make_village(patna, "रामपुर")
    members = [
        make_member(rampur, f"98765000{n:02d}", name=f"सदस्य {n}", status=MemberStatus.WRONG_NUMBER) for n in range(8)
    ]
    rollup.rebuild()
    page = phone_page
    log_in(page, base_url, patna_president)
    page.goto(f"{base_url}/members/rejects/PAT/")
    sixth = reject_card(page, members[5])
    sixth.locator(f"#mobile-{members[5].pk}").fill("7000012345")
    sixth.locator("form[action$='/correct/'] button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"#member-{members[6].pk}$"))
    page.wait_for_function(f"scrollY > {PHONE['height']}")  # the page opened far down, at the next reject
    expect(page.locator(".messages li.success")).to_contain_text("सदस्य 5")
    expect(page.locator(".messages li.success")).to_be_in_viewport()
    expect(reject_card(page, members[6]).locator("a").first).to_be_in_viewport(), "not hidden under the message"


def test_district_president_merges_a_misspelt_village_on_a_phone(phone_page, base_url, patna_president, patna):
    page = phone_page
    rampur, typo = make_village(patna, "रामपुर"), make_village(patna, "रामपुरर")
    make_member(rampur, "9876500001")
    make_member(typo, "9876500002", name="सीता देवी")
    log_in(page, base_url, patna_president)
    expect(page).to_have_url(f"{base_url}/districts/PAT/")

    page.locator("#village-table").get_by_role("link", name="रामपुरर", exact=True).click()
    page.get_by_role("link", name="नाम ठीक करें या मिलाएँ").click()
    page.locator(".merge-suggestions").get_by_role("link", name="रामपुर", exact=True).click()
    confirm = page.locator(".merge-confirm")
    expect(confirm).to_contain_text("“रामपुरर” का 1 सदस्य “रामपुर” में चला जाएगा")
    wait_for_fonts(page)
    assert_fits_the_screen(page, PHONE["width"])
    page.screenshot(path=SCREENSHOTS["merge"], full_page=True)
    confirm.get_by_role("button", name="“रामपुर” में मिलाएँ").click()

    expect(page).to_have_url(f"{base_url}/districts/PAT/villages/{rampur.pk}/")
    expect(page.locator(".messages")).to_contain_text("“रामपुरर” को “रामपुर” में मिला दिया गया")
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(page.get_by_text("सीता देवी")).to_be_visible()


def test_district_president_adds_a_member_then_corrects_her_name_and_village_on_a_phone(
    phone_page, base_url, patna_president, patna
):
    page = phone_page
    rampur, shivpur = make_village(patna, "रामपुर"), make_village(patna, "शिवपुर")
    log_in(page, base_url, patna_president)
    page.goto(f"{base_url}/districts/PAT/villages/{rampur.pk}/")

    page.get_by_role("link", name="सदस्य जोड़ें").click()
    page.get_by_label("नाम").fill("सीता देबी")
    page.get_by_label("मोबाइल").fill("098765 00001")
    wait_for_fonts(page)
    assert_fits_the_screen(page, PHONE["width"])
    page.get_by_role("button", name="जोड़ें", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("सीता देबी को रामपुर में जोड़ा गया")
    expect(page.get_by_label("नाम")).to_have_value("")
    page.get_by_role("link", name="गाँव पर वापस").click()

    page.get_by_role("link", name="सीता देबी").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("सीता देबी का विवरण ठीक करें")
    page.get_by_label("नाम").fill("सीता देवी")
    page.get_by_label("गाँव").fill("शिवपुर")
    expect(page.get_by_label("मोबाइल")).to_have_accessible_description(re.compile("पहली कॉल तक यहीं ठीक करें"))
    page.get_by_label("मोबाइल").fill("98765 00010")  # typed wrong on her form: not called yet, so fixed here
    expect(page.locator(".member-history")).to_contain_text("अभी तक कॉल नहीं हुई।")
    wait_for_fonts(page)
    assert_fits_the_screen(page, PHONE["width"])
    page.get_by_role("button", name="सेव करें").click()

    expect(page).to_have_url(f"{base_url}/districts/PAT/villages/{rampur.pk}/")
    expect(page.locator(".messages")).to_contain_text("सीता देवी: सेव हो गया।")
    page.goto(f"{base_url}/districts/PAT/villages/{shivpur.pk}/")
    expect(page.locator("tbody tr")).to_have_text(re.compile(r"सीता देवी\s+98765 00010"))
    page.get_by_role("link", name="सीता देवी").click()
    expect(page.locator(".changes")).to_contain_text("पहली कॉल से पहले नंबर ठीक किया गया")
    expect(page.locator(".changes")).to_contain_text("98765 00001 → 98765 00010")


def test_a_download_that_takes_a_while_says_so_and_takes_no_second_press(
    phone_page, base_url, patna_president, patna, monkeypatch
):
    """A district's whole list takes a while to make, and a phone shows nothing meanwhile: people pressed again,
    making the whole file again each time."""
    import time

    from controlroom.exports import SafeXLSX

    made = []
    make = SafeXLSX.export_data

    def slowly(self, dataset, **kwargs):
        made.append(dataset)
        time.sleep(1.5)
        return make(self, dataset, **kwargs)

    monkeypatch.setattr(SafeXLSX, "export_data", slowly)
    make_member(make_village(patna, "रामपुर"), "9876500001", name="सुरेश यादव")
    page = phone_page
    log_in(page, base_url, patna_president)
    page.goto(f"{base_url}/members/uploads/")
    link = page.locator("a[href='/members/export/PAT.xlsx']")

    with page.expect_download() as download:
        link.click()
        expect(page.locator(".download-note")).to_contain_text("फ़ाइल बन रही है")
        link.click(force=True)  # pressed again while it is being made
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["सुरेश यादव"]
    expect(page.locator(".download-note")).to_have_count(0)
    expect(link).not_to_have_attribute("aria-disabled", "true")
    assert len(made) == 1, "the second press made nothing"


def test_a_download_that_fails_says_so_and_can_be_pressed_again(
    phone_page, base_url, patna_president, patna, monkeypatch
):
    """Not "it downloads by itself" for minutes after the server failed to make it."""
    from controlroom.exports import SafeXLSX

    def broken(self, dataset, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(SafeXLSX, "export_data", broken)
    page = phone_page
    log_in(page, base_url, patna_president)
    page.goto(f"{base_url}/members/uploads/")
    link = page.locator("a[href='/members/export/PAT.xlsx']")
    link.click()
    expect(page.locator(".download-note")).to_contain_text("फ़ाइल नहीं बन सकी")
    expect(link).not_to_have_attribute("aria-disabled", "true")


def test_a_correction_refused_puts_the_cursor_back_in_its_field(phone_page, base_url, patna_president, rejects):
    """The page came back at the card with the reason, and the field had `autofocus`, which a browser skips on a
    page opened at a #place: the president had to find and tap the field again to retype the number."""
    wrong = rejects["wrong"]
    page = phone_page
    log_in(page, base_url, patna_president)
    page.goto(f"{base_url}/members/rejects/PAT/")
    field = reject_card(page, wrong).locator(f"#mobile-{wrong.pk}")
    field.fill("98765")
    field.press("Enter")

    expect(reject_card(page, wrong).locator(".field-error")).to_be_visible()
    field = reject_card(page, wrong).locator(f"#mobile-{wrong.pk}")
    expect(field).to_be_focused()
    expect(field).to_have_value("98765")


def test_on_a_phone_the_district_table_shows_yes_percent_without_scrolling(
    phone_page, base_url, state_leader, patna, nalanda
):
    """Eight figures wide, the table put YES % past the phone's edge; NO and unreachable are in the bars."""
    for district, mobile in ((patna, "9876500001"), (nalanda, "9876500002")):
        make_member(make_village(district, "गाँव"), mobile)
    log_in(phone_page, base_url, state_leader)
    phone_page.goto(f"{base_url}/districts/")
    wrap = phone_page.locator("#district-table")
    rate = wrap.get_by_role("columnheader", name="हाँ %")
    assert rate.bounding_box()["x"] + rate.bounding_box()["width"] <= wrap.bounding_box()["x"] + PHONE["width"]
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth"), "nothing to scroll sideways for"
