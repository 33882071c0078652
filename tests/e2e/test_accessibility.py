"""Every main page of every role, checked with axe-core in Chromium: in Hindi on a laptop and on a phone, and
in English on the device the role mostly works on.

axe-core comes from the axe-playwright-python package (pinned in requirements-dev.txt), never from the network.
A serious or critical violation fails the test, listing each with its rule, impact, element and page.
"""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from calls.models import Campaign, Outcome
from members import services as members
from members.models import Upload
from tests.conftest import make_member, make_village
from tests.e2e.conftest import LAPTOP, PHONE
from tests.e2e.test_dashboard_journeys import call_through
from tests.e2e.test_login_journeys import WORDS, log_in, wait_for_fonts
from tests.members.corpus import HEAD, xlsx_bytes

FAILING_IMPACTS = {"serious", "critical"}
AXE = Axe()
# Hindi on both screens, and English on the screen the role mostly works on.
SCREENS = {
    "operator": [("hi", LAPTOP), ("hi", PHONE), ("en", LAPTOP)],
    "patna_president": [("hi", PHONE), ("hi", LAPTOP), ("en", PHONE)],
    "state_leader": [("hi", LAPTOP), ("hi", PHONE), ("en", LAPTOP)],
    "supervisor": [("hi", LAPTOP), ("hi", PHONE), ("en", LAPTOP)],
}
UPLOAD_ROWS = [
    HEAD,
    ["सीता देवी", "9123456780", "रामपुर", "वार्ड 1"],
    ["Ram Kumar", "8123456781", "नया गांव", ""],
    ["गीता", "98765", "रामपुर", ""],
    ["अमर सिंह", "9812345670", "रामपुर", ""],
]


@pytest.fixture
def world(centre, patna, gaya, operator, patna_president, monkeypatch):
    """Patna with villages, members called to each outcome (a wrong number with the operator's note), members
    still to call, and a president's upload checked and waiting to be confirmed."""
    centre.calling_starts, centre.calling_ends = datetime.time.min, datetime.time.max
    centre.save(update_fields=["calling_starts", "calling_ends"])
    Campaign.objects.create(name="सत्यापन 2026", script_hi="नमस्ते {name} जी, {village} से बोल रहे हैं?")
    rampur, shivpur = make_village(patna, "रामपुर", target=2), make_village(gaya, "सीतापुर")
    plan = {
        "9812345670": (rampur, "अमर सिंह", Outcome.YES, ""),
        "9876543211": (rampur, "बसंती देवी", Outcome.NO, ""),
        "9876543212": (rampur, "चंदन कुमार", Outcome.WRONG_NUMBER, "किसी और का नंबर है"),
        "8765432101": (shivpur, "हरि प्रसाद", Outcome.YES, ""),
    }
    for mobile, (village, name, _, _) in plan.items():
        make_member(village, mobile, name=name)
    for i in range(3):
        make_member(rampur, f"700000010{i}", name=f"राम सदस्य {i + 1}")
    call_through(operator, {mobile: (outcome, note) for mobile, (_, _, outcome, note) in plan.items()})

    monkeypatch.setattr(members, "_enqueue", lambda task, upload_id: None)
    file = SimpleUploadedFile("patna-members.xlsx", xlsx_bytes(UPLOAD_ROWS))
    upload = members.upload_create(user=patna_president, district=patna, file=file)
    members.upload_validate(upload_id=upload.pk)
    assert Upload.objects.get(pk=upload.pk).status == Upload.Status.VALIDATED
    return {"village": rampur, "upload": upload}


def pages(role, world):
    """(page, path, what must be on it) for the role's main pages; a path of None is reached by a click."""
    village, upload = world["village"], world["upload"]
    return {
        "operator": [("console start", "/calls/console/", ".start-form"), ("console with a member", None, "#console")],
        "patna_president": [
            ("district", "/districts/PAT/", "#village-table"),
            ("village", f"/districts/PAT/villages/{village.pk}/", ".status-yes"),
            ("rejects", "/members/rejects/PAT/", "article.reject"),
            ("upload form", "/members/uploads/new/", "input[type=file]"),
            ("upload preview", f"/members/uploads/{upload.pk}/", ".refused-rows"),
            ("member search", "/districts/PAT/members/?q=राम", "table"),
            ("member search, all districts", "/members/search/?q=9876", "table"),
        ],
        "state_leader": [
            ("dashboard", "/districts/", "#district-table"),
            ("productivity", "/calls/floor/productivity/", "table"),
            ("productivity, a day that cannot be read", "/calls/floor/productivity/?day=2026-02-30", ".field-error"),
        ],
        "supervisor": [("floor", "/calls/floor/", "table"), ("uploads", "/members/uploads/", "table.uploads")],
    }[role]


def axe_problems(page, where):
    """The serious and critical violations on the page as it is now, one line per element."""
    page.wait_for_load_state()
    wait_for_fonts(page)
    # Targets of at least 24px (WCAG 2.2), a rule axe leaves off unless asked: presidents tap on phones.
    results = AXE.run(page, options={"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}})
    return [
        f"{where}: {violation['id']} ({violation['impact']}) at {', '.join(map(str, node['target']))}"
        f" — {violation['help']}"
        for violation in results.response["violations"]
        if violation["impact"] in FAILING_IMPACTS
        for node in violation["nodes"]
    ]


def fail_on(problems):
    assert not problems, f"{len(problems)} accessibility violations:\n" + "\n".join(problems)


def switch_to_english(page):
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


@pytest.mark.parametrize(
    ("lang", "screen"), [("hi", PHONE), ("hi", LAPTOP), ("en", PHONE)], ids=["hi-360", "hi-1366", "en-360"]
)
def test_login_page_has_no_serious_accessibility_violations(new_page, base_url, state_leader, lang, screen):
    page = new_page(screen)
    page.goto(f"{base_url}/login/")
    if lang == "en":
        switch_to_english(page)
    where = f"login ({lang}, {screen['width']}px)"
    problems = axe_problems(page, where)
    # And as it is after a wrong password, with its message.
    words = WORDS[lang]
    page.get_by_label(words["username"]).fill(state_leader.username)
    page.get_by_label(words["password"]).fill("not-the-password")
    page.get_by_role("button", name=words["log_in"], exact=True).click()
    expect(page.locator(".errorlist")).to_be_visible()
    fail_on(problems + axe_problems(page, f"{where}, wrong password"))


@pytest.mark.parametrize(
    ("role", "lang", "screen"),
    [(role, lang, screen) for role, screens in SCREENS.items() for lang, screen in screens],
    ids=[f"{role}-{lang}-{screen['width']}" for role, screens in SCREENS.items() for lang, screen in screens],
)
def test_main_pages_have_no_serious_accessibility_violations(request, new_page, base_url, world, role, lang, screen):
    user = request.getfixturevalue(role)
    user.language = lang
    user.save(update_fields=["language"])
    page = new_page(screen)
    log_in(page, base_url, user)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    problems = []
    for name, path, shown in pages(role, world):
        if path is None:
            page.locator(".start-form button").click()
            expect(page.locator("#console[data-ready]")).to_be_attached()
        else:
            page.goto(f"{base_url}{path}")
        expect(page.locator(shown).first).to_be_visible()
        problems += axe_problems(page, f"{role}: {name} ({lang}, {screen['width']}px)")
    fail_on(problems)
