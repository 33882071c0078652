"""Load test of the whole stack on loopback: gunicorn, PostgreSQL, Redis and real Celery workers (with beat).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/load_test.py
    python bench/load_test.py --operators 20 --seconds 30 --rows 10000     # the short variant CI runs

For the given time, at once:
- operators (default 100), each logged in as a different operator, press Start and then run calling cycles (load
  the current member, post an outcome, which returns the next), one cycle every --pace seconds on average
  (default 5: a busy real floor does one call a minute or more, so this is that floor sped up more than ten
  times; calls vary, so each cycle takes half to one and a half times that);
- a district president uploads a member list (default 100k rows, XLSX) through the upload page; the worker checks
  it, the president confirms when it is ready, the worker writes it;
- dashboard viewers (default 10) refresh the state rollup and a district's village table every --dashboard-pace
  seconds.

Plain asyncio HTTP clients on keep-alive connections are used instead of locust: a locust run would need its own
process tree and a gevent patch of this process, and the checks that matter (which member each operator was shown,
which outcomes the server accepted) are easiest to collect in the same process that then reads the database.

Ends with one JSON line: operators, minutes, requests, errors, duplicate_handouts (members shown to more than one
operator), lost_outcomes (outcomes the server accepted that are not stored), p95_ms_console, p95_ms_dashboard, and
how the import ended. Exits non-zero when any of the zeros is not zero or the import did not end imported.
"""

import argparse
import asyncio
import json
import random
import re
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import import_bench  # noqa: E402
from bench.common import (  # noqa: E402
    Client,
    call_length,
    celery_worker,
    gunicorn,
    manage,
    p95,
    production_env,
    recreate_database,
)
from bench.console_bench import add_members, hire, seed, sessions_for, setup_django  # noqa: E402

DB = "controlroom_bench_load"
PORT = 8766
OUTCOMES = ["yes"] * 5 + ["no"] * 2 + ["wrong", "no_answer", "busy"]
MEMBER_RE = re.compile(rb'name="member" value="(\d+)"')
KEY_RE = re.compile(rb'name="submission_key" value="([^"]+)"')
UPLOAD_RE = re.compile(r"/members/uploads/(\d+)/")
FINAL = {"imported", "failed", "discarded"}


class Tally:
    """What the clients saw: every request (when, path, seconds), errors, who was shown which member, and the
    outcomes the server accepted."""

    def __init__(self):
        self.timeline: list[tuple[float, str, float]] = []
        self.errors, self.error_samples = 0, []
        self.shown: dict[int, set[int]] = {}
        self.accepted: set[tuple[int, uuid.UUID]] = set()

    def record(self, started: float, status: int, path: str, ok=(200,)):
        self.timeline.append((time.monotonic(), path.split("?")[0], time.perf_counter() - started))
        if status not in ok:
            self.errors += 1
            if len(self.error_samples) < 10:
                self.error_samples.append(f"{status} {path}")

    def latencies(self, prefix: str) -> list[float]:
        """Seconds per request whose path starts with `prefix`: /calls/ is the console, /districts/ the dashboard."""
        return [elapsed for _, path, elapsed in self.timeline if path.startswith(prefix)]

    @property
    def requests(self) -> int:
        return len(self.timeline)


async def timed(tally: Tally, client: Client, method: str, path: str, body=b"", headers=None, ok=(200,)):
    started = time.perf_counter()
    try:
        status, response_headers, content = await client.request(method, path, body, headers)
    except (OSError, asyncio.IncompleteReadError) as error:
        client.writer = client.reader = None
        tally.record(started, 0, f"{path} {type(error).__name__}")
        return 0, {}, b""
    tally.record(started, status, path, ok)
    return status, response_headers, content


async def operator(i: int, cookies: dict, tally: Tally, deadline: float, pace: float):
    client, rng = Client(PORT, cookies), random.Random(i)
    headers = {"HX-Request": "true", "X-CSRFToken": cookies["csrftoken"]}
    form_headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
    await asyncio.sleep(rng.random() * pace)
    # The start page posts a plain form (not htmx), answered with a redirect to the console.
    start_headers = {"X-CSRFToken": cookies["csrftoken"], "Content-Type": "application/x-www-form-urlencoded"}
    await timed(tally, client, "POST", "/calls/console/start/", b"", start_headers, ok=(302,))
    while time.monotonic() < deadline:
        cycle_started = time.monotonic()
        status, _, body = await timed(tally, client, "GET", "/calls/console/", headers=headers)
        member, key = MEMBER_RE.search(body), KEY_RE.search(body)
        if status == 200 and member and key:
            member_id = int(member.group(1))
            tally.shown.setdefault(member_id, set()).add(i)
            form = f"member={member_id}&submission_key={key.group(1).decode()}&outcome={rng.choice(OUTCOMES)}"
            status, _, _ = await timed(tally, client, "POST", "/calls/console/mark/", form.encode(), form_headers)
            if status == 200:
                tally.accepted.add((member_id, uuid.UUID(key.group(1).decode())))
        await asyncio.sleep(max(0.05, call_length(rng, pace) - (time.monotonic() - cycle_started)))


async def viewer(i: int, cookies: dict, codes: list[str], tally: Tally, deadline: float, pace: float):
    client, rng = Client(PORT, cookies), random.Random(1000 + i)
    await asyncio.sleep(rng.random() * pace)
    while time.monotonic() < deadline:
        await timed(tally, client, "GET", "/districts/")
        await timed(tally, client, "GET", f"/districts/{rng.choice(codes)}/")
        await asyncio.sleep(pace)


def _multipart(fields: dict, file_field: str, path: Path) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{path.name}"\r\n'
        "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n".encode()
        + path.read_bytes()
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _upload_state(pk: int) -> tuple[str, int, int]:
    from django.db import connection

    from members.models import Member, Upload

    try:
        upload = Upload.objects.get(pk=pk)
        # Written exactly once: the upload's own count and the members that name it agree.
        return upload.status, upload.imported, Member.objects.filter(upload=upload).count()
    finally:
        connection.close()


async def importer(cookies: dict, path: Path, tally: Tally, delay: float, report: dict):
    """The district president's upload, through the pages, while the floor is busy."""
    client = Client(PORT, cookies)
    await asyncio.sleep(delay)
    body, content_type = _multipart({"csrfmiddlewaretoken": cookies["csrftoken"]}, "file", path)
    started = time.monotonic()
    form = {"Content-Type": content_type}
    status, headers, _ = await timed(tally, client, "POST", "/members/uploads/new/", body, form, ok=(302,))
    match = UPLOAD_RE.search(headers.get("location", ""))
    if not match:
        report.update(import_status=f"not accepted ({status})")
        return
    pk, confirmed = int(match.group(1)), False
    while time.monotonic() - started < 600:
        await timed(tally, client, "GET", f"/members/uploads/{pk}/progress/?status=")
        state, imported, stored = await asyncio.to_thread(_upload_state, pk)
        if state == "validated" and not confirmed:
            confirm = f"csrfmiddlewaretoken={cookies['csrftoken']}".encode()
            form = {"Content-Type": "application/x-www-form-urlencoded"}
            await timed(tally, client, "POST", f"/members/uploads/{pk}/confirm/", confirm, form, (302,))
            confirmed = True
        if state in FINAL:
            seconds = round(time.monotonic() - started, 1)
            report.update(import_status=state, import_members=imported, import_stored=stored, import_s=seconds)
            return
        await asyncio.sleep(1)
    report.update(import_status="still running after 10 minutes")


async def run(args, operator_cookies, viewer_cookies, president_cookies, codes, path) -> tuple[Tally, dict]:
    tally, report = Tally(), {}
    deadline = time.monotonic() + args.seconds
    await asyncio.gather(
        *(operator(i, c, tally, deadline, args.pace) for i, c in enumerate(operator_cookies)),
        *(viewer(i, c, codes, tally, deadline, args.dashboard_pace) for i, c in enumerate(viewer_cookies)),
        importer(president_cookies, path, tally, min(10.0, args.seconds / 6), report),
    )
    return tally, report


def people(centre, operators: int, viewers: int):
    from controlroom.roles import Role
    from districts.models import District, User

    ops = hire(centre, operators)
    leaders = User.objects.bulk_create(User(username=f"leader{i:02d}", role=Role.STATE_LEADER) for i in range(viewers))
    district = District.objects.order_by("code").first()
    president = User.objects.create(username="president", role=Role.DISTRICT_PRESIDENT)
    president.districts.add(district)
    return ops, leaders, president


def breakdown(tally: Tally) -> None:
    """Where the time went (stderr): p50/p95 per path, and console p95 per 30 seconds."""
    by_path: dict[str, list[float]] = {}
    for _, path, elapsed in tally.timeline:
        key = re.sub(r"/\d+/", "/N/", path) if not path.startswith("/districts/") else path[:11] + "…"
        by_path.setdefault(key, []).append(elapsed)
    for path, samples in sorted(by_path.items()):
        ordered = sorted(samples)
        median = ordered[len(ordered) // 2] * 1000
        print(f"{path:40} n={len(samples):6} p50={median:7.1f} ms p95={p95(samples) * 1000:7.1f} ms", file=sys.stderr)
    start = tally.timeline[0][0] if tally.timeline else 0
    buckets: dict[int, list[float]] = {}
    for when, path, elapsed in tally.timeline:
        if path.startswith("/calls/"):
            buckets.setdefault(int((when - start) // 30), []).append(elapsed)
    line = " ".join(f"{30 * b}s:{p95(v) * 1000:.0f}" for b, v in sorted(buckets.items()))
    print(f"console p95 (ms) by 30 s: {line}", file=sys.stderr)


def verify(tally: Tally) -> tuple[int, int]:
    from calls.models import CallAttempt

    duplicates = sum(1 for operators in tally.shown.values() if len(operators) > 1)
    stored = set(CallAttempt.objects.values_list("member_id", "submission_key"))
    return duplicates, len(tally.accepted - stored)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--operators", type=int, default=100)
    parser.add_argument("--viewers", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the uploaded member list")
    parser.add_argument("--members", type=int, default=20_000, help="members already waiting to be called")
    parser.add_argument("--pace", type=float, default=5.0, help="seconds per operator cycle")
    parser.add_argument("--dashboard-pace", type=float, default=5.0, help="seconds between dashboard refreshes")
    args = parser.parse_args()

    path = import_bench.data_file(args.rows)
    recreate_database(DB)
    env = production_env(DB, CELERY_WORKER_PREFETCH_MULTIPLIER="1")
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    setup_django(env)
    centre = seed(min(args.members, 10_000))
    if args.members > 10_000:
        add_members(10_000, args.members - 10_000)
    ops, leaders, president = people(centre, args.operators, args.viewers)
    from districts.models import District

    codes = list(District.objects.values_list("code", flat=True))
    operator_cookies, viewer_cookies = sessions_for(ops), sessions_for(leaders)
    (president_cookies,) = sessions_for([president])

    from django.db import connections

    connections.close_all()
    with celery_worker(env, beat=True), gunicorn(env, PORT):
        tally, report = asyncio.run(run(args, operator_cookies, viewer_cookies, president_cookies, codes, path))
    duplicates, lost = verify(tally)
    figures = {
        "operators": args.operators,
        "minutes": round(args.seconds / 60, 2),
        "requests": tally.requests,
        "errors": tally.errors,
        "duplicate_handouts": duplicates,
        "lost_outcomes": lost,
        "p95_ms_console": round(p95(tally.latencies("/calls/")) * 1000, 1),
        "p95_ms_dashboard": round(p95(tally.latencies("/districts/")) * 1000, 1),
        "outcomes": len(tally.accepted),
        **report,
    }
    breakdown(tally)
    if tally.error_samples:
        print("errors, for example: " + "; ".join(tally.error_samples), file=sys.stderr)
    print(json.dumps(figures))
    imported_once = report.get("import_status") == "imported" and report["import_members"] == report["import_stored"]
    clean = not (tally.errors or duplicates or lost) and imported_once
    sys.exit(0 if clean else 1)


if __name__ == "__main__":
    main()
