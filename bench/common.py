"""Shared pieces of the benchmarks: a throwaway PostgreSQL database, gunicorn, and a small keep-alive HTTP client."""

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")


def database_url(name: str) -> str:
    parts = urlsplit(ADMIN_URL)
    return parts._replace(path=f"/{name}").geturl()


def recreate_database(name: str):
    conn = psycopg2.connect(database_url("postgres"))
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def production_env(db_name: str, **extra) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-" + "x7Qz!m2Wv8#pL4sk3Y9" * 3,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "DATABASE_URL": database_url(db_name),
        "REDIS_URL": REDIS_URL,
        "STATIC_ROOT": "/tmp/controlroom-bench-static",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


@contextmanager
def gunicorn(env, port: int, access_log: Path | None = None):
    """gunicorn on loopback as production runs it: BENCH_WORKERS (default 4, two per core here) sync workers.

    A sync worker serves one request at a time and closes the connection after it, as it would behind a proxy,
    so every request goes to whichever worker is free. A request is mostly Python, so threads would only queue
    for a worker's interpreter lock; BENCH_THREADS above 1 switches to threaded workers with keep-alive, to
    compare.

    With `access_log`, each request's time inside a worker is logged there, one line of microseconds each (see
    `server_seconds`): the time a client measures also holds the wait for a free worker.
    """
    workers, threads = int(os.environ.get("BENCH_WORKERS", 4)), int(os.environ.get("BENCH_THREADS", 1))
    cmd = [
        sys.executable, "-m", "gunicorn", "controlroom.wsgi", f"--bind=127.0.0.1:{port}", f"--workers={workers}",
        "--backlog=2048", "--log-level=warning",
    ]  # fmt: skip
    if threads > 1:
        cmd += [f"--threads={threads}", "--worker-class=gthread", "--keep-alive=30"]
    if access_log is not None:
        cmd += [f"--access-logfile={access_log}", "--access-logformat=%(D)s"]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while not _answers(port):
            assert server.poll() is None, "gunicorn exited"
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)


def server_seconds(access_log: Path) -> list[float]:
    """The requests' times inside gunicorn's workers, from an access log written with `gunicorn(access_log=…)`;
    the log is emptied, ready for the next run."""
    times = [int(line) / 1_000_000 for line in access_log.read_text().split()]
    access_log.write_text("")  # the workers append, so they go on writing at the start
    return times


@contextmanager
def celery_worker(env, beat: bool = False):
    """The Celery workers as docker-compose.yml runs them: one for the short jobs (with beat if asked), and one
    for member lists at low CPU priority. Each in its own process group, so it stops whole.

    Redis is flushed first: no task left over from an earlier run against another database.
    """
    from redis import Redis

    Redis.from_url(env["REDIS_URL"]).flushdb()
    celery = [sys.executable, "-m", "celery", "-A", "controlroom", "worker", "--loglevel=WARNING", "--without-gossip",
              "--without-mingle"]  # fmt: skip
    short = [*celery, "-Q", "celery", "--hostname=short@%h"]
    imports = ["nice", "-n", "10", *celery, "-Q", "imports", "--concurrency=1", "--hostname=imports@%h"]
    with tempfile.TemporaryDirectory(prefix="controlroom-beat-") as beat_dir:  # beat's schedule goes with it
        if beat:
            short += ["--beat", f"--schedule={beat_dir}/schedule"]
        workers = [subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True) for cmd in (short, imports)]
        try:
            yield workers
        finally:
            for worker in workers:
                os.killpg(worker.pid, 15)
            for worker in workers:
                worker.wait(timeout=60)


def _answers(port) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


class Client:
    """One keep-alive HTTP/1.1 connection with a cookie jar: one simulated user."""

    def __init__(self, port: int, cookies: dict | None = None):
        self.port, self.cookies = port, dict(cookies or {})
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = {"Host": "127.0.0.1", "Content-Length": str(len(body)), **(headers or {})}
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        lines = [f"{method} {path} HTTP/1.1", *(f"{k}: {v}" for k, v in head.items()), "", ""]
        self.writer.write("\r\n".join(lines).encode() + body)
        return await self._response()

    async def _response(self):
        status_line = await self.reader.readline()
        status, headers = int(status_line.split()[1]), {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
            headers[name] = value
        body = await self.reader.readexactly(int(headers.get("content-length", 0)))
        if headers.get("connection", "").lower() == "close":
            self.writer.close()
            self.reader = self.writer = None
        return status, headers, body


def call_length(rng, pace: float) -> float:
    """Seconds one calling cycle takes: `pace` on average, from half to one and a half times it, as real calls vary.

    With every cycle the same length, operators who started together would stay in step: all their batches would
    run low, and ask the worker for a top-up, in the same second, which a real floor never does.
    """
    return pace * rng.uniform(0.5, 1.5)


def p95(samples) -> float:
    ordered = sorted(samples)
    return ordered[int(0.95 * (len(ordered) - 1))] if ordered else 0.0
