"""Rollup dashboard against the plain GROUP BY, on PostgreSQL with 1M members and 3M attempts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/dashboard_bench.py

Loads 1M members across Bihar's 38 districts and about 45,000 villages, and about 3M call attempts, then
measures, in one run, what the dashboard pages query: the state rollup plus one district's village table
(its first page of 100 villages, as the page shows it). Ours reads the summary tables through the same
selectors the pages use; the baseline is the plain GROUP BY over members and attempts computing the same
figures. Both must give identical figures (the village page compared row by row). Ends with one JSON line.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import manage, p95, production_env, recreate_database  # noqa: E402

DB = "controlroom_bench_dashboard"
MEMBERS = int(os.environ.get("BENCH_MEMBERS", 1_000_000))
VILLAGES_PER_DISTRICT = 1_184  # 38 × 1,184 ≈ 45,000
RUNS = int(os.environ.get("BENCH_RUNS", 30))
FIGURES = ("listed", "called", "yes", "no", "wrong", "unreachable", "villages", "villages_at_target")

GROUP_BY_DISTRICTS = """
WITH a AS (SELECT member_id, COUNT(*) AS n FROM calls_callattempt WHERE undone_at IS NULL GROUP BY member_id),
v AS (
    SELECT m.village_id,
           COUNT(*) FILTER (WHERE m.status <> 'removed') AS listed,
           COUNT(*) FILTER (WHERE m.status <> 'removed' AND a.n > 0) AS called,
           COUNT(*) FILTER (WHERE m.status = 'yes') AS yes, COUNT(*) FILTER (WHERE m.status = 'no') AS no,
           COUNT(*) FILTER (WHERE m.status = 'wrong') AS wrong,
           COUNT(*) FILTER (WHERE m.status = 'unreachable') AS unreachable
    FROM members_member m LEFT JOIN a ON a.member_id = m.id
    {where}
    GROUP BY m.village_id
)
"""
STATE = (
    GROUP_BY_DISTRICTS.format(where="")
    + """
SELECT d.id, COALESCE(SUM(v.listed), 0), COALESCE(SUM(v.called), 0), COALESCE(SUM(v.yes), 0),
       COALESCE(SUM(v.no), 0), COALESCE(SUM(v.wrong), 0), COALESCE(SUM(v.unreachable), 0),
       COUNT(vl.id), COUNT(vl.id) FILTER (WHERE vl.target > 0 AND COALESCE(v.yes, 0) >= vl.target)
FROM districts_district d
LEFT JOIN districts_village vl ON vl.district_id = d.id
LEFT JOIN v ON v.village_id = vl.id
GROUP BY d.id ORDER BY d.id
"""
)
VILLAGES = (
    GROUP_BY_DISTRICTS.format(where="WHERE m.district_id = %(district)s")
    + """
SELECT vl.id, COALESCE(v.listed, 0), COALESCE(v.called, 0), COALESCE(v.yes, 0), COALESCE(v.no, 0),
       COALESCE(v.wrong, 0), COALESCE(v.unreachable, 0)
FROM districts_village vl LEFT JOIN v ON v.village_id = vl.id
WHERE vl.district_id = %(district)s ORDER BY vl.name, vl.id LIMIT 100
"""
)

LOAD_MEMBERS = """
INSERT INTO members_member (district_id, village_id, name, mobile, address, status, attempt_count, created_at,
                            updated_at)
SELECT v.district_id, v.id, 'सदस्य ' || g, (6000000000 + g)::text, '',
       s.status, CASE WHEN s.status = 'pending' THEN 0 ELSE 1 + g %% 8 END,
       now() - interval '30 days' + g * interval '2 s', now()
FROM generate_series(1, %(members)s) AS g
JOIN districts_village v ON v.id = %(first_village)s + (g %% %(villages)s)
CROSS JOIN LATERAL (SELECT CASE
    WHEN g %% 20 < 10 THEN 'yes' WHEN g %% 20 < 12 THEN 'no' WHEN g %% 20 = 12 THEN 'wrong'
    WHEN g %% 20 = 13 THEN 'unreachable' WHEN g %% 20 = 14 THEN 'removed' ELSE 'pending' END AS status) s
"""
LOAD_ATTEMPTS = """
INSERT INTO calls_callattempt (member_id, operator_id, campaign_id, outcome, note, result_status,
                               submission_key, created_at)
SELECT m.id, %(operator)s, %(campaign)s,
       CASE WHEN k < m.attempt_count THEN 'no_answer'
            WHEN m.status IN ('yes', 'no', 'wrong') THEN m.status ELSE 'switched_off' END,
       '', m.status, gen_random_uuid(), m.created_at + k * interval '3 hours'
FROM members_member m CROSS JOIN LATERAL generate_series(1, m.attempt_count) AS k
"""


def setup_django(env):
    os.environ.update(env)
    import django

    django.setup()


def load():
    from django.db import connection

    from calls.models import Campaign
    from controlroom.roles import Role
    from districts.bihar import DISTRICTS
    from districts.models import District, User, Village

    districts = District.objects.bulk_create(District(code=c, name_en=e, name_hi=h) for c, e, h in DISTRICTS)
    villages = Village.objects.bulk_create(
        Village(district=d, name=f"गाँव {i}", name_key=f"gaon {i}", target=5 + i % 10)
        for d in districts
        for i in range(VILLAGES_PER_DISTRICT)
    )
    operator = User.objects.create(username="op", role=Role.OPERATOR)
    campaign = Campaign.objects.create(name="Bench", script_hi="नमस्ते")
    params = {"members": MEMBERS, "first_village": villages[0].pk, "villages": len(villages)}
    with connection.cursor() as cursor:
        cursor.execute(LOAD_MEMBERS, params)
        cursor.execute(LOAD_ATTEMPTS, {"operator": operator.pk, "campaign": campaign.pk})
        cursor.execute("SELECT COUNT(*) FROM calls_callattempt")
        attempts = cursor.fetchone()[0]
        cursor.execute("ANALYZE")
    return districts, attempts


def timed(fn, runs):
    samples, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - started)
    return samples, result


def group_by(district):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(STATE)
        state = {row[0]: dict(zip(FIGURES, row[1:], strict=True)) for row in cursor.fetchall()}
        cursor.execute(VILLAGES, {"district": district.pk})
        villages = {row[0]: dict(zip(FIGURES[:6], row[1:], strict=True)) for row in cursor.fetchall()}
    # The page shows villages in name order; dict order is part of what must be identical.
    villages = list(villages.items())
    return state, villages


def ours(user, district):
    from django.core.paginator import Paginator

    from districts import selectors

    state = {row.obj.pk: {name: getattr(row, name) for name in FIGURES} for row in selectors.district_rollup(user)}
    page = Paginator(selectors.village_rollup(district), 100).get_page(1)
    rows = selectors.village_rows(page.object_list)
    villages = [(row.obj.pk, {name: getattr(row, name) for name in FIGURES[:6]}) for row in rows]
    return state, villages


def main():
    recreate_database(DB)
    env = production_env(DB)
    manage(env, "migrate", "--noinput")
    setup_django(env)
    started = time.perf_counter()
    districts, attempts = load()
    from districts import rollup
    from districts.models import User

    rollup.rebuild()
    load_s = time.perf_counter() - started
    leader = User.objects.create(username="state", role="state")
    district = districts[25]
    plain_samples, plain = timed(lambda: group_by(district), max(5, RUNS // 6))
    our_samples, our = timed(lambda: ours(leader, district), RUNS)
    figures = {
        "members": MEMBERS,
        "attempts": attempts,
        "load_s": round(load_s, 1),
        "groupby_p95_ms": round(p95(plain_samples) * 1000, 1),
        "ours_p95_ms": round(p95(our_samples) * 1000, 1),
        "ours_median_ms": round(statistics.median(our_samples) * 1000, 1),
        "speedup": round(p95(plain_samples) / p95(our_samples), 1),
        "identical": plain == our,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
