"""Under load and faults the system keeps every accepted outcome, never hands a number to two operators, and never
half-writes an import. Each fault is real: processes are killed with -9, servers stopped and started again.

- A Celery worker killed at a random point of a 10,000-row upload: the upload ends imported exactly once, or
  failed with nothing written, within the recovery interval.
- Redis killed and started again while batches are being built: no member is lost or in two batches, no outcome
  lost or doubled, and the worker builds again once Redis is back.
- PostgreSQL stopped under load: the site answers 503 with the Hindi/English "try again" page, never a 500, and
  works again by itself when the database is back.

The servers are private (their own ports and directories); the machine's PostgreSQL and Redis keep running.
FAULT_TRIALS sets how many kills the import test makes (3 by default, 10 in the nightly run). Every trial says
its FAULT_SEED when it fails; set it to replay the same kill points.
"""

import os
import random
import time
from collections import Counter
from datetime import time as clock_time
from urllib.parse import quote

import pytest
import redis
from celery import Celery
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from calls.models import CallAttempt, CallBatch, Campaign, Shift
from controlroom.celery import app
from controlroom.roles import Role
from districts import rollup
from districts.models import CallCentre, DistrictDay, DistrictStats, User, Village, VillageStats
from members import services, tasks
from members.models import Member, MemberStatus, Upload, UploadStats
from tests.conftest import make_member, make_village
from tests.faults.browser import Browser
from tests.faults.load import Floor, Triggers, Visitors
from tests.faults.processes import CeleryWorker, Gunicorn, PostgresCluster, RedisServer, manage, wait_until
from tests.faults.seed import PASSWORD
from tests.members.corpus import HEAD, csv_text, xlsx_bytes

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

TRIALS = int(os.environ.get("FAULT_TRIALS", "3"))
SEED = int(os.environ.get("FAULT_SEED") or random.SystemRandom().randrange(1_000_000))
WORKER_DB_NAME = "controlroom-faults-worker"
Status = Upload.Status


# --- workers on the test database ---------------------------------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{quote(db['USER'], safe='')}{password}@{host}/{db['NAME']}?application_name={WORKER_DB_NAME}"


def _worker_backends(where: str = "true") -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s"
            f" AND {where}",
            [WORKER_DB_NAME],
        )
        return cursor.fetchone()[0]


def _end_worker_backends() -> None:
    """A killed worker's sessions end when PostgreSQL notices; end them now so the database can be flushed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            [WORKER_DB_NAME],
        )
    wait_until(lambda: not _worker_backends(), timeout=30, what="the workers' database sessions did not end")


@pytest.fixture
def start_worker(transactional_db, settings, tmp_path):
    """Start real Celery workers against this test's database; every one is killed when the test ends."""
    settings.MEDIA_ROOT = tmp_path / "private"
    started = []

    def start(*, broker, redis_url: str, concurrency: int = 1, **env) -> CeleryWorker:
        name = f"faults-{os.getpid()}-{len(started)}"
        worker_env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": redis_url,
            "PRIVATE_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            **env,
        }
        started.append(CeleryWorker(env=worker_env, log=tmp_path / f"{name}.log", name=name, concurrency=concurrency))
        return started[-1].wait_ready(broker)

    yield start
    for worker in started:
        worker.kill()
    _end_worker_backends()


@pytest.fixture
def shared_broker(settings):
    """The Redis from REDIS_URL as this process's broker, left as found: no queued or unacknowledged messages.

    A killed worker's unacknowledged message would be handed out again after an hour, to whatever worker then
    uses this Redis database, so it is deleted with the rest.
    """
    app.conf.task_always_eager = False
    app.control.purge()
    yield app
    app.control.purge()
    redis.Redis.from_url(settings.REDIS_URL).delete("unacked", "unacked_index", "unacked_mutex")


@pytest.fixture
def private_redis(tmp_path):
    server = RedisServer(tmp_path / "redis.log").start()
    yield server
    server.kill()


def figures() -> tuple:
    """Every rollup figure, by natural key: what the dashboard shows. A row of zeros reads as no row at all: a
    district nothing was ever imported into has none until `rollup.rebuild()` writes its zeros."""
    numbers = ("listed", "called", "yes", "no", "wrong", "unreachable")
    return (
        _shown(VillageStats.objects.values_list("village_id", *numbers)),
        _shown(DistrictStats.objects.values_list("district_id", "villages", "villages_at_target", *numbers)),
        _shown(DistrictDay.objects.values_list("district_id", "day", "calls", "yes", "no", "wrong"), keys=2),
        _shown(UploadStats.objects.values_list("upload_id", *numbers)),
    )


def _shown(rows, keys: int = 1) -> list:
    return sorted(row for row in rows if any(row[keys:]))


def assert_figures_match_members() -> None:
    kept = figures()
    rollup.rebuild()
    assert kept == figures(), "the rollup figures differ from a recount of the members and attempts"


# --- 1. a worker killed at a random point of an import ------------------------------------------------

ROWS = 10_000
VILLAGES = 40
STUCK_SECONDS = 4  # how long a job may stand still before recovery takes it for lost (10 minutes in production)
RECOVER_EVERY = 1.0  # how often beat sends the recovery task (every minute in production)
RECOVERY_BOUND = 60  # seconds from a kill to a finished upload: the stuck interval, a beat, a new worker, the job
# Kill points: up to this long after the upload is received (the check, the write or just after it) or after
# the write's transaction opens. A kill that comes after the commit is a trial too: the job must stay done.
CHECK_SPAN, WRITE_SPAN = 1.5, 0.5


def member_list(trial: int, kind: str) -> tuple[bytes, int]:
    """A 10,000-row list, some rows unusable (not a mobile number, or the row above again); and how many."""
    rows, refused, previous = [HEAD], 0, ""
    for i in range(ROWS):
        mobile = f"9{trial % 100:02d}{1_000_000 + i:07d}"
        if i % 250 == 249:
            mobile, refused = "12345", refused + 1
        elif i % 200 == 199:
            mobile, refused = previous, refused + 1
        rows.append([f"सदस्य {i}", mobile, f"गांव {i % VILLAGES}", f"वार्ड {i % 7}"])
        previous = mobile
    return (xlsx_bytes(rows) if kind == "xlsx" else csv_text(rows).encode()), refused


class KilledImport:
    """One upload driven through check, confirmation and import while its worker is killed once, then recovered.

    The test plays the president (confirming once the check is done) and beat (sending the recovery task).
    """

    def __init__(self, *, trial: int, start_worker, broker, settings, district, president):
        rng = random.Random(SEED + trial)
        self.phase = rng.choice(["check", "write", "write"])
        self.whom = rng.choice(["worker", "worker", "pool process"])
        self.delay = rng.uniform(0, CHECK_SPAN if self.phase == "check" else WRITE_SPAN)
        self.kind = "xlsx" if trial % 2 else "csv"
        self.replay = f"FAULT_SEED={SEED} trial {trial}: kill the {self.whom} {self.delay:.2f} s into the {self.phase}"
        env = {"UPLOAD_STUCK_SECONDS": str(STUCK_SECONDS), "UPLOAD_RECEIVED_STUCK_SECONDS": str(STUCK_SECONDS)}
        self.start_worker = lambda: start_worker(broker=broker, redis_url=settings.REDIS_URL, **env)
        self.district, self.president = district, president
        self.content, self.refused = member_list(trial, self.kind)
        self.kill_at = self.killed_at = self.finished_at = None
        self.hit = ""  # what the kill cut short

    def run(self) -> Upload:
        self.worker = self.start_worker()
        started = time.monotonic()
        upload = services.upload_create(
            user=self.president, district=self.district, file=ContentFile(self.content, name=f"members.{self.kind}")
        )
        if self.phase == "check":
            self.kill_at = started + self.delay
        last_recovery = 0.0
        while upload.status not in (Status.IMPORTED, Status.FAILED) or self.killed_at is None:
            now = time.monotonic()
            assert now - (self.killed_at or started) < RECOVERY_BOUND, f"upload {upload.status}; {self.replay}"
            self._step(upload, now)
            if self.killed_at is not None and now - last_recovery >= RECOVER_EVERY:
                tasks.uploads_recover_task.delay()
                last_recovery = now
            time.sleep(0.02)
            upload.refresh_from_db()
        self.finished_at = time.monotonic()
        return upload

    def _step(self, upload: Upload, now: float) -> None:
        if upload.status == Status.VALIDATED:
            services.upload_confirm(upload=upload, user=self.president)
        if self.kill_at is None and upload.status == Status.IMPORTING and _worker_backends("backend_xid IS NOT NULL"):
            self.kill_at = now + self.delay  # the write's transaction is open
        if self.kill_at is None and upload.status in (Status.IMPORTED, Status.FAILED):
            self.kill_at = now  # the job beat the kill point: kill after the commit instead
        if self.killed_at is None and self.kill_at is not None and now >= self.kill_at:
            self._kill(upload)

    def _kill(self, upload: Upload) -> None:
        self.killed_at = time.monotonic()
        writing = _worker_backends("backend_xid IS NOT NULL")
        self.hit = f"upload {upload.status}" + (", in the middle of a transaction" if writing else "")
        if self.whom == "pool process" and self.worker.kill_pool_child():
            return  # the main process starts a new pool process and hands the task out again
        self.worker.kill()
        self.worker = self.start_worker()


def _redeliver_and_settle(upload_id: int, queue) -> None:
    """Send the upload's tasks again, as Redis does with a killed worker's unacknowledged message once its
    visibility timeout passes, and wait until the worker has run every message: none may change anything."""
    tasks.upload_validate_task.delay(upload_id)
    tasks.upload_import_task.delay(upload_id)
    tasks.uploads_recover_task.delay()
    wait_until(lambda: not queue.llen("celery"), timeout=30, what="the worker never took every message")
    time.sleep(0.3)
    wait_until(lambda: not _worker_backends("state <> 'idle'"), timeout=30, what="the worker never went idle")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trial", range(TRIALS))
def test_an_import_killed_at_a_random_point_ends_imported_once_or_failed_with_nothing_written(
    trial, patna, patna_president, shared_broker, start_worker, settings
):
    run = KilledImport(
        trial=trial,
        start_worker=start_worker,
        broker=shared_broker,
        settings=settings,
        district=patna,
        president=patna_president,
    )
    upload = run.run()
    _redeliver_and_settle(upload.pk, redis.Redis.from_url(settings.REDIS_URL))
    upload.refresh_from_db()

    print(f"{run.replay} ({run.hit}): {upload.status} {run.finished_at - run.killed_at:.1f} s after the kill")
    if upload.status == Status.IMPORTED:
        valid = ROWS - run.refused
        counts = (upload.rows, upload.valid, upload.rejected + upload.duplicates)
        assert counts == (ROWS, valid, run.refused), run.replay
        assert upload.imported == Member.objects.filter(upload=upload).count() == valid, run.replay
        assert Member.objects.count() == valid, run.replay
        assert Village.objects.filter(district=patna).count() == VILLAGES, run.replay
    else:
        assert (upload.status, upload.error_code) == (Status.FAILED, "stuck"), run.replay
        assert not Member.objects.exists(), run.replay
        assert not Village.objects.filter(district=patna).exists(), run.replay
    assert_figures_match_members()


# --- 2. Redis restarted while batches are being built ---------------------------------------------------


def _floor(patna, gaya) -> CallCentre:
    centre = CallCentre.objects.create(
        name="पटना कंट्रोल रूम", calling_starts=clock_time(0), calling_ends=clock_time(23, 59, 59, 999999)
    )
    centre.districts.add(patna, gaya)
    Campaign.objects.create(name="सत्यापन", script_hi="नमस्ते {name} जी", script_en="Hello {name}")
    for d, district in enumerate([patna, gaya]):
        village = Village.objects.create(district=district, name=f"गाँव {d}", name_key=f"gaon {d}")
        Member.objects.bulk_create(
            Member(district=district, village=village, name=f"सदस्य {i}", mobile=f"{9 - d}{i:09d}")
            for i in range(1, 601)
        )
    rollup.rebuild()
    return centre


def _hire(centre, name: str, count: int = 1) -> list[User]:
    return [User.objects.create(username=f"{name}{i}", role=Role.OPERATOR, call_centre=centre) for i in range(count)]


def _batch_size(operator) -> int:
    return Member.objects.filter(batch__operator=operator, batch__closed_at=None).count()


def _built_by_worker(broker, operator, supervise=lambda: None) -> int:
    """Put the operator on shift without building (as an idle console would be) and wait for the worker's build."""
    Shift.objects.create(operator=operator, started_at=timezone.now())

    def built():
        supervise()
        broker.send_task("calls.tasks.batch_build_all")
        return _batch_size(operator)

    return wait_until(built, timeout=30, what=f"no batch was built for {operator}", interval=0.5)


def floor_problems(floor: Floor, enrolled: int) -> list[str]:
    """Every member pending, in one open batch, or with the one outcome an operator saw saved; nothing else."""
    problems = []
    open_batches = dict(CallBatch.objects.filter(closed_at=None).values_list("pk", "operator_id"))
    if len(set(open_batches.values())) != len(open_batches):
        problems.append("an operator has two open batches")
    attempts = Counter(CallAttempt.objects.values_list("member_id", flat=True))
    saved = {member: len(ids) for member, ids in floor.accepted.items()}
    if attempts != Counter(saved):
        problems.append(f"attempts stored {sum(attempts.values())}, outcomes saved {sum(saved.values())}")
    problems += [f"member {pk} shown to operators {ops}" for pk, ops in floor.seen.items() if len(ops) > 1]
    members = Member.objects.values_list("pk", "status", "batch_id")
    if len(members) != enrolled:
        problems.append(f"{len(members)} members, {enrolled} enrolled")
    for pk, status, batch_id in members:
        if status == MemberStatus.IN_BATCH:
            ok = batch_id in open_batches and not attempts[pk]
        elif status == MemberStatus.PENDING:
            ok = batch_id is None and not attempts[pk]
        else:
            ok = batch_id is None and attempts[pk] == 1
        if not ok:
            problems.append(f"member {pk}: {status} in batch {batch_id} with {attempts[pk]} attempts")
    return problems


def _restart_under_load(server: RedisServer, broker, callers) -> tuple[Floor, Triggers, float]:
    """Operators calling and triggers flowing; Redis killed for a second and a half, then started empty."""
    rng = random.Random(SEED)
    with Floor() as floor, Triggers(broker, [op.pk for op in callers]) as triggers:
        for operator in callers:
            floor.start(floor.call, operator, random.Random(rng.random()))
        triggers.start(triggers.send)
        time.sleep(2)
        server.kill()
        down_at = time.monotonic()
        time.sleep(1.5)
        server.start()
        up_at = time.monotonic()
        time.sleep(2)
        floor.stop()
        triggers.stop()
    assert any(down_at <= t < up_at for t in triggers.refused), "sends failed while Redis was down"
    assert any(t >= up_at for t in triggers.sent), "sends work again once Redis is back"
    return floor, triggers, up_at


@pytest.mark.django_db(transaction=True)
def test_a_redis_restart_while_batches_are_built_loses_and_doubles_nothing(patna, gaya, start_worker, private_redis):
    centre = _floor(patna, gaya)
    callers, (early,), (late,) = _hire(centre, "caller", 4), _hire(centre, "early"), _hire(centre, "late")
    broker = Celery("faults", broker=private_redis.url, set_as_current=False)
    worker = start_worker(broker=broker, redis_url=private_redis.url, concurrency=2)
    assert _built_by_worker(broker, early), "the worker builds before the restart"

    floor, triggers, up_at = _restart_under_load(private_redis, broker, callers)

    extra = make_village(patna, "नया गाँव")
    for i in range(30):
        make_member(extra, f"6{i:09d}")
    exits = []

    def supervise():
        """docker-compose starts a worker again when it exits (restart: unless-stopped), and so does this test: a
        Redis restart can end one, when kombu fails to acknowledge a task received on the lost connection."""
        nonlocal worker
        if worker.process.poll() is not None:
            exits.append(worker.tail())
            worker = start_worker(broker=broker, redis_url=private_redis.url, concurrency=2)

    assert _built_by_worker(broker, late, supervise), f"the worker builds after the restart:\n{worker.tail()}"
    rebuilt_in = time.monotonic() - up_at
    worker.kill()  # nothing moves while the floor is checked

    saved = sum(len(ids) for ids in floor.accepted.values())
    print(f"{saved} outcomes saved, {len(triggers.sent)} triggers sent and {len(triggers.refused)} refused;", end=" ")
    print(f"the worker built again {rebuilt_in:.1f} s after Redis was back, after {len(exits)} restarts of it")

    problems = floor_problems(floor, enrolled=1230)
    assert not problems, problems[:20]
    assert_figures_match_members()


# --- 3. PostgreSQL stopped under load -------------------------------------------------------------------

UNAVAILABLE = ("सिस्टम थोड़ी देर के लिए उपलब्ध नहीं है", "Temporarily unavailable")
BACK_WITHIN = 5  # seconds from the database answering again to every browser getting its page


@pytest.fixture
def private_postgres():
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def site(private_postgres, private_redis, tmp_path):
    """The app as production runs it (DEBUG off, gunicorn, Redis for sessions) on the private PostgreSQL."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "controlroom.settings",
        "DEBUG": "0",
        "SECRET_KEY": "faults-only-" + "k3Y9!x7Qz#m2Wv8pL4s" * 3,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "DATABASE_URL": private_postgres.create_database("controlroom"),
        "REDIS_URL": private_redis.url,
        "STATIC_ROOT": str(tmp_path / "static"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "LOG_LEVEL": "WARNING",
    }
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    manage(env, "shell", "-c", "from tests.faults.seed import seed; seed()")
    server = Gunicorn(env=env, log=tmp_path / "gunicorn.log")
    yield server
    server.close()


def _browser(site, username: str) -> Browser:
    browser = Browser(site.port)
    browser.log_in(username, PASSWORD)
    return browser


def _on_shift(site) -> Browser:
    operator = _browser(site, "operator")
    home = operator.get("/calls/console/")
    started = operator.post("/calls/console/start/", {"csrfmiddlewaretoken": home.field("csrfmiddlewaretoken")})
    assert started.status == 302
    return operator


def _unavailable_page(page) -> bool:
    return (
        page.status == 503
        and page.headers.get("retry-after") == "30"
        and all(text in page.text for text in UNAVAILABLE)
        and "Traceback" not in page.text
    )


def _stored_keys(cluster) -> Counter:
    conn = cluster.connect("controlroom")
    with conn.cursor() as cursor:
        cursor.execute("SELECT submission_key::text FROM calls_callattempt")
        keys = Counter(key for (key,) in cursor.fetchall())
    conn.close()
    return keys


WHO = {"state 1", "state 2", "operator"}


def _outage(cluster: PostgresCluster) -> tuple[float, float, float]:
    """Stop PostgreSQL for two seconds under load; when it was down from and to, and when it answered again."""
    time.sleep(1.5)
    cluster.stop()
    down_from = time.monotonic()
    time.sleep(2)
    down_to = time.monotonic()
    cluster.start()
    return down_from, down_to, time.monotonic()


def test_a_database_outage_gives_the_503_page_and_the_site_comes_back_by_itself(private_postgres, site):
    with Visitors() as visitors:
        for who in ("state 1", "state 2"):
            visitors.start(visitors.read, who, _browser(site, "state"), "/districts/")
        visitors.start(visitors.call, "operator", _on_shift(site))
        down_from, down_to, up_at = _outage(private_postgres)
        wait_until(
            lambda: visitors.back_since(up_at) >= WHO,
            timeout=BACK_WITHIN,
            what=lambda: f"not every browser got its page again: {visitors.summary()}",
        )
        time.sleep(1)
        visitors.stop()
    print(f"{visitors.summary()}; all back {visitors.back_in(up_at):.2f} s after the database")

    assert {seen.status for seen in visitors.seen} <= {200, 302, 503}, visitors.summary()
    during = [seen for seen in visitors.seen if down_from <= seen.sent and seen.answered <= down_to]
    assert len(during) >= 6 and all(_unavailable_page(seen.page) for seen in during)
    assert all(_unavailable_page(seen.page) for seen in visitors.seen if seen.status == 503)
    for who in WHO:
        back = [seen.status for seen in visitors.seen if seen.who == who and seen.sent > up_at]
        first = next(i for i, status in enumerate(back) if status != 503)
        assert 503 not in back[first:], f"{who} saw the 503 page again after the database was back"
    stored = _stored_keys(private_postgres)
    assert stored == Counter(visitors.accepted_keys), "every outcome the operator saw saved is stored, once"

    # Stopped and started again with nobody using the site: every gunicorn worker's kept connection is dead.
    # Health checks (CONN_HEALTH_CHECKS) replace it before use, so not even the first request fails.
    reader = _browser(site, "state")
    private_postgres.stop()
    private_postgres.start()
    assert [reader.get("/districts/").status for _ in range(8)] == [200] * 8
    assert site.process.poll() is None, "the site came back without a restart"
