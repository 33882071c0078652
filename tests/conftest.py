"""The fixed cast every test plays with, and the rules for tests that need real services."""

import os

import pytest
from django.conf import settings

from controlroom.roles import Role
from districts import rollup
from districts.models import CallCentre, District, User, Village
from members.models import Member

PASSWORD = "correct-horse-battery"


def _service_missing(marker: str) -> str | None:
    if marker == "postgres" and settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if marker == "redis" and not settings.REDIS_URL:
        return "needs Redis: set REDIS_URL=redis://..."
    return None


def pytest_collection_modifyitems(config, items):
    """Skip loudly without PostgreSQL or Redis; in CI a missing service is an error, never a skip."""
    for item in items:
        for marker in ("postgres", "redis"):
            reason = item.get_closest_marker(marker) and _service_missing(marker)
            if reason and os.environ.get("CI"):
                raise pytest.UsageError(f"CI must run every test for real: {item.nodeid} {reason}")
            if reason:
                item.add_marker(pytest.mark.skip(reason=f"SKIPPED, {reason}"))


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"database: {engine}; redis: {'yes' if settings.REDIS_URL else 'no (Celery eager)'}"


@pytest.fixture(autouse=True)
def celery_eager(settings):
    """Tasks run inline in tests unless a test starts a real worker."""
    from controlroom.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture
def fast_password_hashing(settings):
    """Argon2 costs a quarter of a second per user; tests that create the whole cast many times skip it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Uploaded files in a temporary folder, in every test: none is left with its numbers in the checkout."""
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


@pytest.fixture
def patna(db):
    return District.objects.create(code="PAT", name_en="Patna", name_hi="पटना")


@pytest.fixture
def gaya(db):
    return District.objects.create(code="GAY", name_en="Gaya", name_hi="गया")


def make_village(district, name, target=10):
    village = Village.objects.create(district=district, name=name, name_key=Village.key_for(name), target=target)
    rollup.villages_created(district_id=district.pk)
    return village


def make_member(village, mobile, name="राम कुमार", **extra):
    member = Member.objects.create(district=village.district, village=village, name=name, mobile=mobile, **extra)
    rollup.member_created(village_id=village.pk, district_id=village.district_id, status=member.status)
    return member


@pytest.fixture
def centre(patna, gaya):
    centre = CallCentre.objects.create(name="पटना कंट्रोल रूम")
    centre.districts.add(patna, gaya)
    return centre


def _user(username, role, **extra):
    districts = extra.pop("districts", [])
    user = User.objects.create_user(username=username, password=PASSWORD, role=role, **extra)
    user.districts.set(districts)
    return user


@pytest.fixture
def operator(centre):
    return _user("operator", Role.OPERATOR, call_centre=centre)


@pytest.fixture
def other_operator(centre):
    return _user("operator2", Role.OPERATOR, call_centre=centre)


@pytest.fixture
def patna_president(patna):
    return _user("president.patna", Role.DISTRICT_PRESIDENT, districts=[patna])


@pytest.fixture
def gaya_president(gaya):
    return _user("president.gaya", Role.DISTRICT_PRESIDENT, districts=[gaya])


@pytest.fixture
def state_leader(db):
    return _user("state", Role.STATE_LEADER)


@pytest.fixture
def supervisor(db):
    return _user("supervisor", Role.SUPERVISOR, is_staff=True)


@pytest.fixture
def superuser(supervisor):
    """The supervisor with every admin permission, as the staff who run the admin are."""
    supervisor.is_superuser = True
    supervisor.save(update_fields=["is_superuser"])
    return supervisor


@pytest.fixture
def cast(operator, patna_president, gaya_president, state_leader, supervisor, patna, gaya):
    """Everyone at once, with one village and two members in each district."""
    rampur, sitapur = make_village(patna, "रामपुर"), make_village(gaya, "सीतापुर")
    make_member(rampur, "9812345670")
    make_member(rampur, "9876543211")
    make_member(sitapur, "8712345609")
    make_member(sitapur, "8765432108")
    return {"rampur": rampur, "sitapur": sitapur}


def while_merging(village, into, actor, work):
    """Run `work` in a thread while `village` is merged into `into` (PostgreSQL, real transactions): the merge
    holds both villages when the work starts, and ends once the work has had time to reach them and wait.
    Returns what the work raised, or None."""
    import threading
    import time

    from django.db import connection, transaction

    from districts import services

    raised = []

    def run():
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - returned to the test
            raised.append(exc)
        finally:
            connection.close()

    with transaction.atomic():
        list(Village.objects.select_for_update().filter(pk__in=[village.pk, into.pk]))  # the merge begins
        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(0.5)  # the work reaches the villages and waits
        services.village_merge(village_id=village.pk, into_id=into.pk, actor=actor)
    thread.join(timeout=60)
    return raised[0] if raised else None


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def session_query(settings):
    """Queries a request spends reading its session: none when Redis serves it (cached_db), else one."""
    return 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1


@pytest.fixture
def celery_worker_process(transactional_db, settings):
    """A real Celery worker process on Redis, using this test's PostgreSQL database. Tasks stop running inline."""
    import subprocess
    import sys
    import time

    from django.db import connection

    from controlroom.celery import app

    db = connection.settings_dict
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "PRIVATE_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "controlroom", "worker", "--pool=solo", "--loglevel=WARNING"],
        env=env,
    )
    app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + 30
        while not app.control.ping(timeout=0.5):
            assert worker.poll() is None, "the Celery worker exited"
            assert time.monotonic() < deadline, "the Celery worker did not answer within 30 s"
        yield worker
    finally:
        worker.terminate()
        worker.wait(timeout=30)
