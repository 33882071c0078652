"""Mobile numbers are personal data: task messages carry ids only, and no log line carries a full number."""

import copy
import io
import logging
import logging.config
import os
import re
import runpy
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.app.task import Task
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from calls.models import Campaign
from controlroom.logging import MaskMobiles, mask_mobiles
from districts import rollup
from members import pipeline, services, views
from members.models import Member, MemberStatus, Upload
from tests.conftest import PASSWORD, login, make_member
from tests.members.corpus import HEAD, csv_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing", "private_media")]
ROOT = Path(__file__).resolve().parent.parent
MOBILE = re.compile(r"(?<!\d)[6-9]\d{9}(?!\d)")
MONDAY_MORNING = datetime(2026, 11, 23, 11, 0, tzinfo=ZoneInfo("Asia/Kolkata"))

ROWS = [
    HEAD,
    ["सीता देवी", "+91 91234 56780", "रामपुर", "वार्ड 1"],
    ["Ram Kumar", "8123456781", "नया गांव", "House 7, Main Road"],
    ["मोहन", "9812345670", "रामपुर", ""],  # enrolled already: a duplicate
    ["गीता", "98765", "रामपुर", ""],  # too short
]
CONTENT = csv_text(ROWS).encode()
CORRECTED, CORRECTED_IN_BULK = "7000012345", "7000054321"
# Every number the tests below type, upload or enrol (the cast's four included), in their canonical form.
TEST_MOBILES = {
    "9812345670", "9876543211", "8712345609", "8765432108", "9123456780", "8123456781",
    "7123456782", CORRECTED, CORRECTED_IN_BULK, "6200000001",
}  # fmt: skip


@pytest.fixture
def floor(cast, centre):
    """Calling hours, an active campaign and the cast's four members waiting to be called."""
    Campaign.objects.create(name="सत्यापन", script_hi="नमस्ते {name} जी")
    with time_machine.travel(MONDAY_MORNING, tick=True):
        yield cast


# --- the journeys, as the users take them -------------------------------------------------------------


def upload_and_import(client, president, capture):
    login(client, president)
    with capture(execute=True):
        client.post(reverse("members:upload_new"), {"file": SimpleUploadedFile("members.csv", CONTENT)})
    upload = Upload.objects.latest("pk")
    assert upload.status == Upload.Status.VALIDATED
    with capture(execute=True):
        client.post(reverse("members:upload_confirm", args=[upload.pk]))
    upload.refresh_from_db()
    assert upload.status == Upload.Status.IMPORTED


def import_on_the_command_line(tmp_path, district, capture):
    path = tmp_path / "cli.csv"
    path.write_text(csv_text([HEAD, ["कमला", "7123456782", "रामपुर", ""]]), encoding="utf-8")
    with capture(execute=True):
        assert services.members_import_file(path=path, district=district).imported == 1


def call_members(client, operator, supervisor, capture):
    """Start a shift, mark every kind of outcome, undo one; then the supervisor releases the batch."""
    login(client, operator)
    with capture(execute=True):
        client.post(reverse("calls:start"))
        for outcome in ("wrong", "no_answer", "yes"):
            member = client.get(reverse("calls:console"), HTTP_HX_REQUEST="true").context["member"]
            data = {"member": member.pk, "outcome": outcome, "submission_key": uuid.uuid4(), "note": "ठीक"}
            assert client.post(reverse("calls:mark"), data, HTTP_HX_REQUEST="true").status_code == 200
        client.post(reverse("calls:undo"), HTTP_HX_REQUEST="true")
    login(client, supervisor)
    with capture(execute=True):
        client.post(reverse("calls:release", args=[operator.pk]))


def correct_in_bulk(client, president, member, tmp_path, capture):
    workbook = load_workbook(io.BytesIO(client.get(reverse("members:rejects_export", args=["PAT"])).content))
    for row in workbook.active.iter_rows(min_row=2):
        if str(row[0].value) == str(member.pk):
            row[-1].value = CORRECTED_IN_BULK
    path = tmp_path / "fixed.xlsx"
    workbook.save(path)
    with capture(execute=True), path.open("rb") as upload:
        client.post(reverse("members:rejects_upload", args=["PAT"]), {"file": upload})
    assert Member.objects.get(pk=member.pk).mobile == CORRECTED_IN_BULK


def main_flows(client, cast, users, tmp_path, capture):
    operator, supervisor, president = users
    upload_and_import(client, president, capture)
    import_on_the_command_line(tmp_path, cast["rampur"].district, capture)
    call_members(client, operator, supervisor, capture)
    by_hand = make_member(cast["rampur"], "6200000001", status=MemberStatus.WRONG_NUMBER)
    rollup.rebuild()
    login(client, president)
    fix = reverse("members:reject_correct", args=[by_hand.pk])
    with capture(execute=True):
        client.post(fix, {"mobile": "8712345609"})  # Gaya's: refused, and the message names the number
        client.post(fix, {"mobile": "12345"})
        client.post(fix, {"mobile": f"+91 {CORRECTED[:5]} {CORRECTED[5:]}"})
    assert Member.objects.get(pk=by_hand.pk).mobile == CORRECTED
    in_bulk = cast["rampur"].members.get(mobile="9876543211")
    Member.objects.filter(pk=in_bulk.pk).update(status=MemberStatus.WRONG_NUMBER)
    rollup.rebuild()  # the update above went round the services that keep the figures
    correct_in_bulk(client, president, in_bulk, tmp_path, capture)
    client.get(reverse("members:rejects", args=["GAY"]))  # another district: 404


# --- task messages ---------------------------------------------------------------------------------------


def id_like(value) -> bool:
    """An id, a flag, nothing, or a short code: never a number someone could dial, a name or file contents."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return not 6_000_000_000 <= value < 10_000_000_000
    return isinstance(value, str) and re.fullmatch(r"[a-z0-9_.:-]{0,40}", value) and not MOBILE.search(value)


@pytest.fixture
def published(monkeypatch):
    """Every task sent, as (name, args, kwargs), whichever way it was sent; the task still runs (eagerly)."""
    sent = []
    apply_async = Task.apply_async

    def recording(task, args=None, kwargs=None, **options):
        sent.append((task.name, tuple(args or ()), dict(kwargs or {})))
        return apply_async(task, args, kwargs, **options)

    monkeypatch.setattr(Task, "apply_async", recording)
    return sent


def assert_ids_only(sent):
    for name, args, kwargs in sent:
        assert all(id_like(value) for value in [*args, *kwargs.values()]), f"{name} was sent {args} {kwargs}"


def test_the_main_flows_send_tasks_ids_only(
    client,
    floor,
    operator,
    supervisor,
    patna_president,
    tmp_path,
    published,
    settings,
    django_capture_on_commit_callbacks,
):
    # Batches of 5 of the 7 numbers to call: the first outcome takes the batch below the mark, so it asks.
    settings.CALLS_BATCH_SIZE = settings.CALLS_TOP_UP_BELOW = 5
    main_flows(client, floor, (operator, supervisor, patna_president), tmp_path, django_capture_on_commit_callbacks)
    assert {name for name, _args, _kwargs in published} >= {
        "members.tasks.upload_validate_task",
        "members.tasks.upload_import_task",
        "calls.tasks.batch_build_all",
        "calls.tasks.batch_top_up",
    }
    assert ("calls.tasks.batch_top_up", (operator.pk,), {}) in published
    assert_ids_only(published)


def test_stuck_uploads_are_sent_again_by_id(
    client, cast, patna_president, published, django_capture_on_commit_callbacks
):
    login(client, patna_president)
    client.post(reverse("members:upload_new"), {"file": SimpleUploadedFile("members.csv", CONTENT)})  # no worker
    upload = Upload.objects.latest("pk")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.uploads_recover_stuck(now=timezone.now() + timedelta(minutes=3)) == {"retried": 1, "failed": 0}
    assert ("members.tasks.upload_validate_task", (upload.pk,), {}) in published
    assert_ids_only(published)


def test_scheduled_tasks_take_no_arguments(settings, cast, published):
    from controlroom.celery import app

    app.loader.import_default_modules()  # what a worker does at start: find every app's tasks
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]
        assert all(id_like(value) for value in [*entry.get("args", ()), *entry.get("kwargs", {}).values()])
        app.tasks[entry["task"]].delay(*entry.get("args", ()), **entry.get("kwargs", {}))
    assert len(published) == len(settings.CELERY_BEAT_SCHEDULE)
    assert_ids_only(published)


@pytest.mark.parametrize(
    "value, ok",
    [(17, True), (None, True), (False, True), ("validate", True), (9812345670, False), ("9812345670", False),
     ("+91 98123 45670", False), ("सीता देवी", False), ("House 7, Main Road", False), ("a,b\r\n1,2", False)],
)  # fmt: skip
def test_what_counts_as_an_id(value, ok):
    assert bool(id_like(value)) is ok


# --- logs ---------------------------------------------------------------------------------------------


class RawRecords(logging.Handler):
    """What the application hands to logging, before any filter: proves the code itself logs no numbers."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(f"{record.name} {record.getMessage()}")
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


@pytest.fixture
def production_logging(settings):
    """The LOGGING of settings, as a production process runs it with LOG_LEVEL=DEBUG, writing to a buffer.

    Yields (what the configured handler printed, what the application logged before any filter).
    """
    config = copy.deepcopy(settings.LOGGING)
    config["root"]["level"] = "DEBUG"
    logging.config.dictConfig(config)
    root = logging.getLogger()
    (handler,) = root.handlers
    assert any(isinstance(f, MaskMobiles) for f in handler.filters), "the root handler masks mobile numbers"
    printed, raw = io.StringIO(), RawRecords()
    handler.setStream(printed)
    root.handlers.insert(0, raw)  # sees each record before the handler's filter rewrites it
    yield printed, raw
    root.removeHandler(raw)
    logging.config.dictConfig(copy.deepcopy(settings.LOGGING))


def assert_no_test_mobile(text):
    assert not {m for m in TEST_MOBILES if m in re.sub(r"[ -]", "", text)}, text
    assert not MOBILE.search(text), text


def test_the_main_flows_log_no_mobile_number(
    client, floor, operator, supervisor, patna_president, tmp_path, caplog, production_logging,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    printed, raw = production_logging
    caplog.set_level(logging.DEBUG)
    connection.force_debug_cursor = True  # Django would log every SQL statement with its parameters (numbers)
    try:
        main_flows(client, floor, (operator, supervisor, patna_president), tmp_path, django_capture_on_commit_callbacks)
    finally:
        connection.force_debug_cursor = False
    assert raw.lines, "the flows log something (a 404 at least), so the capture works"
    assert not [line for line in raw.lines if line.startswith("django.db.backends")], "SQL stays out of the log"
    assert_no_test_mobile("\n".join(raw.lines))
    assert_no_test_mobile(printed.getvalue())
    assert_no_test_mobile(caplog.text)


def test_numbers_that_reach_a_log_line_are_masked_on_the_way_out(
    client, cast, patna_president, monkeypatch, caplog, production_logging, django_capture_on_commit_callbacks
):
    printed, raw = production_logging
    caplog.set_level(logging.DEBUG)
    client.raise_request_exception = False
    # A path with a number in it: django.request logs "Not Found: <path>".
    login(client, patna_president).get("/members/rejects/9812345670/")
    # A server error whose exception names a number, as PostgreSQL's duplicate-key message does.
    wrong = cast["rampur"].members.get(mobile="9876543211")
    Member.objects.filter(pk=wrong.pk).update(status=MemberStatus.WRONG_NUMBER)

    def duplicate(**kwargs):
        raise IntegrityError("duplicate key value violates unique constraint: Key (mobile)=(8712345609) exists.")

    form_class, _service, done = views.FIXES["correct"]
    monkeypatch.setitem(views.FIXES, "correct", (form_class, duplicate, done))
    assert client.post(reverse("members:reject_correct", args=[wrong.pk]), {"mobile": "7000012345"}).status_code == 500
    # A failed login whose username is a mobile number (django-axes hides usernames in its own lines).
    client.logout()
    client.post(reverse("login"), {"username": "+91 81234 56781", "password": PASSWORD})

    # An upload the reader chokes on, with a row's number in the error.
    def unreadable(*args, **kwargs):
        raise ValueError("cannot read row 5: 9123456780")

    monkeypatch.setattr(pipeline, "check_file", unreadable)
    login(client, patna_president)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("members:upload_new"), {"file": SimpleUploadedFile("members.csv", CONTENT)})
    assert Upload.objects.latest("pk").error_code == "broken"

    raw_text, out = "\n".join(raw.lines), printed.getvalue()
    for number in ("9812345670", "8712345609", "9123456780"):
        assert number in raw_text, f"{number} was expected to reach the log unmasked before the filter"
    assert_no_test_mobile(out)
    assert_no_test_mobile(caplog.text)
    for masked in ("98XXXXXX70", "(mobile)=(87XXXXXX09)", "row 5: 91XXXXXX80"):
        assert masked in out, f"{masked} missing from:\n{out}"


def handlers_reached(name):
    """The handlers a record logged on `name` is written by, leaving out this test run's own captures."""
    logger, reached = logging.getLogger(name), []
    while logger is not None:
        reached += [h for h in logger.handlers if not isinstance(h, logging.NullHandler | RawRecords)]
        logger = logger.parent if logger.propagate else None
    return [h for h in reached if not type(h).__module__.startswith("_pytest")]


def test_the_configured_logging_sends_everything_through_the_masking_handler(settings, production_logging):
    assert settings.LOGGING["root"]["handlers"] == ["console"]
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["mask_mobiles"]
    for name in ("django", "django.request", "django.server", "axes", "members.services", "celery.app.trace"):
        (handler,) = handlers_reached(name)
        assert any(isinstance(f, MaskMobiles) for f in handler.filters), f"{name} is written unmasked"
    assert logging.getLogger("django.db.backends").getEffectiveLevel() == logging.INFO


def test_a_log_line_says_when_how_bad_and_where_from_and_is_still_masked(production_logging):
    printed, _raw = production_logging
    try:
        raise IntegrityError("Key (mobile)=(8712345609) already exists.")
    except IntegrityError:
        logging.getLogger("members.services").exception("Import of %s failed", "9812345670")
    first, *traceback = printed.getvalue().splitlines()
    when = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
    assert re.fullmatch(rf"{when} ERROR members\.services Import of 98XXXXXX70 failed", first), first
    assert "Key (mobile)=(87XXXXXX09) already exists." in traceback[-1]
    assert_no_test_mobile(printed.getvalue())


WORKER_LOGGING = """
import logging, django
django.setup()
from controlroom.celery import app
app.log.setup(loglevel="INFO", redirect_stdouts=True)  # what a worker does as it starts
logging.getLogger("celery.app.trace").error("Task failed: Key (mobile)=(9812345670) already exists")
print("a print in a task: 8712345609")
"""


def test_celery_workers_keep_the_masking_handler():
    env = {**os.environ, "DEBUG": "1", "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "controlroom.settings"}
    result = subprocess.run(
        [sys.executable, "-c", WORKER_LOGGING], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "(mobile)=(98XXXXXX70)" in result.stderr and "a print in a task: 87XXXXXX09" in result.stderr
    assert " ERROR celery.app.trace Task failed: " in result.stderr, "a worker's lines say how bad and where from"
    assert_no_test_mobile(result.stdout + result.stderr)


def test_gunicorn_masks_its_access_log():
    from gunicorn.config import Config

    config = Config()
    config.set("accesslog", "-")
    logger = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["logger_class"](config)
    (handler,) = logger.access_log.handlers
    handler.setStream(printed := io.StringIO())
    logger.access_log.info('"GET /admin/members/member/?q=%(q)s HTTP/1.1" 200', {"q": "9812345670"})
    assert printed.getvalue().strip() == '"GET /admin/members/member/?q=98XXXXXX70 HTTP/1.1" 200'


# --- the filter itself ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, masked",
    [
        ("9812345670", "98XXXXXX70"),
        ("call 6200000001 now", "call 62XXXXXX01 now"),
        ("+919812345670", "+9198XXXXXX70"),
        ("+91 98123 45670", "+91 98XXXXXX70"),
        ("+91-98123-45670", "+91-98XXXXXX70"),
        ("919812345670", "9198XXXXXX70"),
        ("09812345670", "098XXXXXX70"),
        ("(mobile)=(7000012345)", "(mobile)=(70XXXXXX45)"),
        ("a: 9812345670, b: 8712345609", "a: 98XXXXXX70, b: 87XXXXXX09"),
        ("98XXXXXX70 already masked", "98XXXXXX70 already masked"),
        ("upload 9876 member 12345 rows 987654321", "upload 9876 member 12345 rows 987654321"),
        ("5876543210 starts with 5", "5876543210 starts with 5"),
        ("id 98123456701 is 11 digits", "id 98123456701 is 11 digits"),
        ("order 123498123456700", "order 123498123456700"),
        ("at 2026-11-23 11:00:00.123456", "at 2026-11-23 11:00:00.123456"),
        ("९८१२३४५६७०", "९८XXXXXX७०"),
        # Searches in a request line, as the browser sends them: a space as "+" or "%20", "+" as "%2B", Devanagari
        # digits percent-encoded. Such a line is logged decoded.
        ("GET /districts/PAT/members/?q=98123+45670 HTTP/1.1", "GET /districts/PAT/members/?q=98XXXXXX70 HTTP/1.1"),
        ("GET /?q=%2B91+98123+45670", "GET /?q=+91 98XXXXXX70"),
        ("GET /?q=98123%2045670&page=2", "GET /?q=98XXXXXX70&page=2"),
        (
            "GET /?q=%E0%A5%AF%E0%A5%AE%E0%A5%A7%E0%A5%A8%E0%A5%A9%E0%A5%AA%E0%A5%AB%E0%A5%AC%E0%A5%AD%E0%A5%A6",
            "GET /?q=९८XXXXXX७०",
        ),
        ("GET /?q=%E0%A4%B8%E0%A5%80%E0%A4%A4%E0%A4%BE+1+2", "GET /?q=%E0%A4%B8%E0%A5%80%E0%A4%A4%E0%A4%BE+1+2"),
    ],
)
def test_mask_mobiles(text, masked):
    assert mask_mobiles(text) == masked
    assert mask_mobiles(masked) == masked, "masking twice changes nothing"


def record(msg, *args, exc_info=None):
    return logging.LogRecord("members.services", logging.INFO, __file__, 1, msg, args, exc_info)


def test_the_filter_masks_the_formatted_message_and_its_arguments():
    formatted = record("member %s moved from %s to %s", 17, "+91 98123 45670", 8712345609)
    assert MaskMobiles().filter(formatted) is True
    assert formatted.getMessage() == "member 17 moved from +91 98XXXXXX70 to 87XXXXXX09"
    assert not formatted.args
    by_name = record("%(mobile)s called", {"mobile": "9812345670"})
    MaskMobiles().filter(by_name)
    assert by_name.getMessage() == "98XXXXXX70 called"


def test_the_filter_leaves_records_without_numbers_alone():
    plain = record("upload %s could not be read", 9876)
    MaskMobiles().filter(plain)
    assert (plain.msg, plain.args, plain.getMessage()) == (
        "upload %s could not be read",
        (9876,),
        "upload 9876 could not be read",
    )


def test_the_filter_masks_tracebacks():
    try:
        raise IntegrityError("Key (mobile)=(9812345670) already exists.")
    except IntegrityError as exc:
        failed = record("import failed", exc_info=(type(exc), exc, exc.__traceback__))
    MaskMobiles().filter(failed)
    text = logging.Formatter().format(failed)
    assert "(mobile)=(98XXXXXX70)" in text and "9812345670" not in text


def test_the_filter_survives_a_broken_log_call():
    broken = record("member %s %s", "9812345670")
    assert MaskMobiles().filter(broken) is True
    assert "98XXXXXX70" in broken.getMessage() and "9812345670" not in broken.getMessage()
