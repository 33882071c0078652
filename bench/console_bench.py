"""Operator console under load, on PostgreSQL behind gunicorn with the production settings.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/console_bench.py

Measures, in one run:
- the baseline: a no-database Django view, 100 clients back to back (closed loop);
- for reference, the same view behind the operator's login: what reading the session and the user costs every
  page before it does anything of its own (100 operators, closed loop);
- ours at saturation: 100 operators, each logged in as a different operator, running full cycles back to
  back (load the current member, post an outcome, which returns the next): requests per second and p95.
  The Celery workers run beside gunicorn, as in production, and top batches up before they run dry;
- ours paced: the same 100 operators each starting one cycle every BENCH_PACE seconds on average (default 2; a
  real call takes a minute or more, so this is a busy floor sped up 30 times; calls vary, so each cycle takes
  half to one and a half times that): p95 latency as an operator feels it, and, for reference, the p95 of the
  time the requests spent inside gunicorn's workers, from its access log: the difference is time spent waiting
  for a free worker;
- batch building for 100k pending members across 300 operators: seconds and SQL statements, and the
  statements for 10k members to show they do not grow.
Ends with one JSON line.
"""

import asyncio
import json
import os
import random
import re
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    Client,
    call_length,
    celery_worker,
    gunicorn,
    manage,
    p95,
    production_env,
    recreate_database,
    server_seconds,
)

DB = "controlroom_bench_console"
MEMBERS, OPERATORS, CONCURRENT = 100_000, 300, 100
SECONDS = float(os.environ.get("BENCH_SECONDS", 20))
PACE = float(os.environ.get("BENCH_PACE", 2.0))
PORT = 8765
OUTCOMES = ["yes"] * 5 + ["no"] * 2 + ["wrong", "no_answer", "busy"]
MEMBER_RE = re.compile(rb'name="member" value="(\d+)"')
KEY_RE = re.compile(rb'name="submission_key" value="([^"]+)"')


def setup_django(env):
    os.environ.update(env)
    import django

    django.setup()


def seed(members: int):
    from django.db import connection

    from calls.models import Campaign
    from districts.bihar import DISTRICTS
    from districts.models import CallCentre, District, Village

    districts = District.objects.bulk_create(District(code=c, name_en=e, name_hi=h) for c, e, h in DISTRICTS)
    Village.objects.bulk_create(
        Village(district=d, name=f"गाँव {d.code} {i}", name_key=f"gaon {d.code.lower()} {i}")
        for d in districts
        for i in range(20)
    )
    centre = CallCentre.objects.create(name="Bench", calling_starts="00:00", calling_ends="23:59:59.999999")
    centre.districts.set(districts)
    Campaign.objects.create(name="Bench", script_hi="नमस्ते {name} जी")
    add_members(0, members)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return centre


def add_members(start: int, count: int):
    from django.db import connection

    # Set-based: the benchmark's own data, generated inside PostgreSQL.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO members_member (district_id, village_id, name, mobile, address, status, attempt_count,
                                        created_at, updated_at)
            SELECT v.district_id, v.id, 'सदस्य ' || g, (6000000000 + g)::text, '', 'pending', 0,
                   now() - interval '1 day' + g * interval '1 ms', now()
            FROM generate_series(%s, %s) AS g
            JOIN LATERAL (SELECT id, district_id FROM districts_village ORDER BY id OFFSET g %% 760 LIMIT 1) v ON true
            """,
            [start + 1, start + count],
        )


def hire(centre, count):
    from controlroom.roles import Role
    from districts.models import User

    return User.objects.bulk_create(
        User(username=f"op{i:03d}", role=Role.OPERATOR, call_centre=centre) for i in range(count)
    )


def measure_batch_build(operators):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from calls import services
    from calls.models import Shift

    Shift.objects.bulk_create(Shift(operator=op, started_at=timezone.now()) for op in operators)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        handed = services.batch_build()
        elapsed = time.perf_counter() - started
    for operator in operators:
        services.shift_stop(operator=operator)
    return elapsed, len(queries), handed


def sessions_for(operators):
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string

    cookies = []
    for operator in operators:
        session = SessionStore()
        session[SESSION_KEY] = str(operator.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]  # the one that loads users
        session[HASH_SESSION_KEY] = operator.get_session_auth_hash()
        session.create()
        cookies.append({"sessionid": session.session_key, "csrftoken": _get_new_csrf_string()})
    return cookies


async def run_clients(worker, count):
    deadline = time.monotonic() + SECONDS
    results = await asyncio.gather(*(worker(i, deadline) for i in range(count)))
    return results


def noop_client(path="/bench/noop", cookies_list=None):
    async def work(i, deadline):
        client, latencies = Client(PORT, cookies_list[i] if cookies_list else None), []
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status, _, _ = await client.request("GET", path)
            latencies.append(time.perf_counter() - started)
            assert status == 200, status
        return latencies

    return work


def operator_client(cookies_list, pace: float = 0.0, port: int = PORT):
    async def work(i, deadline):
        client = Client(port, cookies_list[i])
        rng, latencies, seen, accepted, errors = random.Random(i), [], [], [], 0
        headers = {"HX-Request": "true", "X-CSRFToken": cookies_list[i]["csrftoken"]}
        await asyncio.sleep(rng.random() * pace)
        while time.monotonic() < deadline:
            cycle_started = time.monotonic()
            started = time.perf_counter()
            status, _, body = await client.request("GET", "/calls/console/", headers=headers)
            latencies.append(time.perf_counter() - started)
            member = MEMBER_RE.search(body)
            if status != 200 or member is None:
                errors += status != 200
                await asyncio.sleep(0.05)
                continue
            seen.append(int(member.group(1)))
            key = KEY_RE.search(body).group(1).decode()
            form = f"member={member.group(1).decode()}&submission_key={key}&outcome={rng.choice(OUTCOMES)}"
            post_headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
            started = time.perf_counter()
            status, _, body = await client.request("POST", "/calls/console/mark/", form.encode(), post_headers)
            latencies.append(time.perf_counter() - started)
            if status == 200:
                accepted.append((int(member.group(1)), uuid.UUID(key)))
            else:
                errors += 1
            await asyncio.sleep(max(0.0, call_length(rng, pace) - (time.monotonic() - cycle_started)))
        return latencies, seen, accepted, errors

    return work


def verify(results):
    from calls.models import CallAttempt

    seen = [m for _, members, _, _ in results for m in members]
    accepted = {pair for _, _, pairs, _ in results for pair in pairs}
    stored = set(CallAttempt.objects.values_list("member_id", "submission_key"))
    return len(seen) - len(set(seen)), len(accepted - stored), sum(e for *_, e in results)


def main():
    recreate_database(DB)
    env = production_env(DB)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    setup_django(env)
    centre = seed(10_000)
    operators = hire(centre, OPERATORS)
    _, statements_10k, _ = measure_batch_build(operators)
    add_members(10_000, MEMBERS - 10_000)
    batch_s, statements, handed = measure_batch_build(operators)
    assert handed == OPERATORS * 25, handed

    from django.db import connections

    from calls import services

    console_ops = operators[:CONCURRENT]
    for operator in console_ops:
        services.shift_start(operator=operator)
    cookies = sessions_for(console_ops)
    connections.close_all()
    access_log = Path(f"/tmp/controlroom-bench-access-{os.getpid()}.log")
    # As in production, a worker tops batches up before they run dry, off the operators' requests.
    with celery_worker(env), gunicorn(env, PORT, access_log=access_log):
        asyncio.run(run_clients(noop_client(), 10))  # warm up every worker
        base = asyncio.run(run_clients(noop_client(), CONCURRENT))
        signed_in = asyncio.run(run_clients(noop_client("/bench/signed-in", cookies), CONCURRENT))
        ours = asyncio.run(run_clients(operator_client(cookies), CONCURRENT))
        server_seconds(access_log)
        paced = asyncio.run(run_clients(operator_client(cookies, pace=PACE), CONCURRENT))
        time.sleep(0.5)  # the last lines reach the log
        paced_in_workers = server_seconds(access_log)
    access_log.unlink()
    base_latencies = [x for run in base for x in run]
    our_latencies = [x for run in ours for x in run[0]]
    paced_latencies = [x for run in paced for x in run[0]]
    duplicates, lost, errors = verify(ours + paced)
    figures = {
        "baseline_rps": round(len(base_latencies) / SECONDS, 1),
        "ours_rps": round(len(our_latencies) / SECONDS, 1),
        "ours_over_baseline": round(len(our_latencies) / len(base_latencies), 3),
        "signed_in_noop_rps": round(sum(map(len, signed_in)) / SECONDS, 1),
        "signed_in_noop_over_baseline": round(sum(map(len, signed_in)) / len(base_latencies), 3),
        "p95_ms": round(p95(paced_latencies) * 1000, 1),
        "p95_ms_in_workers": round(p95(paced_in_workers) * 1000, 1),
        "paced_rps": round(len(paced_latencies) / SECONDS, 1),
        "pace_s": PACE,
        "p95_ms_saturated": round(p95(our_latencies) * 1000, 1),
        "baseline_p95_ms_saturated": round(p95(base_latencies) * 1000, 1),
        "duplicate_handouts": duplicates,
        "lost_outcomes": lost,
        "errors": errors,
        "batch_100k_s": round(batch_s, 3),
        "batch_statements": statements,
        "batch_statements_10k": statements_10k,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
