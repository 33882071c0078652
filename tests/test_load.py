"""The short variant of the load test: the whole stack under a mixed load keeps every promise (not the timings)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_mixed_load_loses_nothing_and_hands_no_number_out_twice(tmp_path):
    db = settings.DATABASES["default"]
    server = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"
    env = {**os.environ, "DATABASE_URL": server, "BENCH_REDIS_URL": settings.REDIS_URL.rsplit("/", 1)[0] + "/14"}
    env["PRIVATE_MEDIA_ROOT"] = str(tmp_path / "private")  # the uploaded list, kept out of the checkout
    args = ["--operators", "20", "--viewers", "3", "--seconds", "30", "--rows", "10000", "--members", "3000"]
    args += ["--pace", "1"]
    run = subprocess.run(
        [sys.executable, "bench/load_test.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.stdout.strip(), run.stderr[-3000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["requests"] > 500, figures
    assert figures["outcomes"] > 100, figures
    assert (figures["errors"], figures["duplicate_handouts"], figures["lost_outcomes"]) == (0, 0, 0), (
        figures,
        run.stderr[-3000:],
    )
    assert figures["import_status"] == "imported", figures
    assert figures["import_members"] == figures["import_stored"] > 9000, figures
    assert run.returncode == 0, run.stderr[-3000:]
