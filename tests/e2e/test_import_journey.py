"""A district president, on a phone, uploads a member list, watches it being checked, confirms, and downloads
the refused rows to fix them; a supervisor sees the upload in the list of every district's uploads."""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from members import services
from members.models import Member, Upload
from tests.conftest import PASSWORD
from tests.e2e.conftest import LAPTOP, PHONE
from tests.members.corpus import HEAD, xlsx_bytes

ROWS = [
    HEAD,
    ["सीता देवी", "+91 91234 56780", "रामपुर", "वार्ड 1"],
    ["Ram Kumar", 8123456781, "नया गांव", ""],
    ["गीता", "98765", "रामपुर", ""],
    ["मोहन", "9812345670", "रामपुर", ""],
]
SCREENSHOTS = "/tmp/e2e-import-{}.png"


@pytest.fixture(autouse=True)
def queue_by_hand(monkeypatch):
    """Jobs wait for the test to run them, as they would wait for a worker, so the progress box is seen."""
    queued = []
    monkeypatch.setattr(services, "_enqueue", lambda task, upload_id: queued.append((task, upload_id)))
    return queued


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"


def run_queued(queued):
    for task, upload_id in queued:
        getattr(services, task.removesuffix("_task"))(upload_id=upload_id)
    queued.clear()


def log_in(page, base_url, user):
    """Log in with the site switched to English (the user's saved language is English too)."""
    page.goto(f"{base_url}/login/")
    page.get_by_role("button", name="English").click()
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()


def fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1


def test_upload_preview_confirm_and_download_the_refused_rows_on_a_phone(
    new_page, base_url, cast, patna_president, queue_by_hand, tmp_path
):
    patna_president.language = "en"
    patna_president.save(update_fields=["language"])
    page = new_page(PHONE)
    log_in(page, base_url, patna_president)

    page.get_by_role("link", name="Uploads").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Member uploads")
    page.screenshot(path=SCREENSHOTS.format("list-360"), full_page=True)
    page.get_by_role("link", name="Upload a member list").click()
    expect(page.locator("main")).to_contain_text("Patna")
    path = tmp_path / "patna-members.xlsx"
    path.write_bytes(xlsx_bytes(ROWS))
    # The page's own button and line, in the page's language: the browser's said "Choose File", "No file chosen".
    expect(page.locator("[data-file-chosen]")).to_have_text("No file chosen yet")
    expect(page.locator("label.file-pick")).to_have_text("Choose the file")
    page.get_by_label("Member list").set_input_files(str(path))
    expect(page.locator("[data-file-chosen]")).to_have_text("patna-members.xlsx")
    fits(page, PHONE["width"])
    page.screenshot(path=SCREENSHOTS.format("form-360"), full_page=True)
    page.get_by_role("button", name="Upload and check").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("patna-members.xlsx")
    progress = page.locator("#upload-progress")
    expect(progress).to_contain_text("Received")
    page.screenshot(path=SCREENSHOTS.format("progress-360"), full_page=True)
    run_queued(queue_by_hand)  # the worker checks the file; the page notices by itself
    expect(page.get_by_text("Valid, ready to import")).to_be_visible(timeout=10_000)
    expect(page.locator(".refused-rows")).to_contain_text("A mobile number has 10 digits; this one has 5.")
    expect(page.locator(".refused-rows")).to_contain_text("Already enrolled in रामपुर, Patna.")
    expect(page.locator(".village-names")).to_be_visible()  # open before the Import button, to check spellings
    expect(page.locator(".village-names")).to_contain_text("नया गांव")
    sample = page.locator(".sample-rows tbody tr")  # the valid rows as read, to spot columns swapped
    expect(sample).to_have_count(2)
    expect(sample.first).to_contain_text("सीता देवी")
    expect(sample.first).to_contain_text("91234 56780")
    expect(sample.nth(1)).to_contain_text("81234 56781")
    fits(page, PHONE["width"])
    page.screenshot(path=SCREENSHOTS.format("preview-360"), full_page=True)

    page.get_by_role("button", name="Import 2 members").click()
    expect(page.locator("#upload-progress")).to_contain_text("Importing")
    run_queued(queue_by_hand)
    expect(page.get_by_text("2 members imported.")).to_be_visible(timeout=10_000)
    assert Member.objects.filter(upload__original_name="patna-members.xlsx").count() == 2
    fits(page, PHONE["width"])
    page.screenshot(path=SCREENSHOTS.format("imported-360"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the refused rows (Excel)").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    refused = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(refused) == {"98765", "9812345670"}


def test_a_supervisor_sees_every_districts_uploads_with_their_counts(
    new_page, base_url, cast, supervisor, gaya_president
):
    Upload.objects.create(
        district=cast["sitapur"].district,
        uploaded_by=gaya_president,
        original_name="gaya.xlsx",
        status=Upload.Status.IMPORTED,
        rows=120,
        imported=110,
        rejected=6,
        duplicates=4,
    )
    supervisor.language = "en"
    supervisor.save(update_fields=["language"])
    page = new_page(LAPTOP)
    log_in(page, base_url, supervisor)
    page.get_by_role("link", name="Uploads").click()
    row = page.locator("table.uploads tbody tr").first
    expect(row).to_contain_text("gaya.xlsx")
    expect(row).to_contain_text("Imported")
    expect(row).to_contain_text("110")
    expect(row).to_contain_text("Gaya")
    page.screenshot(path=SCREENSHOTS.format("list-1366"), full_page=True)
