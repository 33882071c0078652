"""Real processes the fault tests start, break and stop: a Celery worker, Redis, a PostgreSQL cluster, gunicorn.

Each runs in its own process group, so a kill takes its children with it (Celery's prefork pool, gunicorn's
workers). Nothing here touches the machine's own PostgreSQL or Redis: the servers are private, on free ports,
in temporary directories, and `close()` removes them whatever state they were left in.
"""

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2
import redis

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, *, timeout: float, what: str, interval: float = 0.05):
    """Poll `condition` until it returns something truthy; fail with `what` (a string or a callable) after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout} s: {what() if callable(what) else what}")
        time.sleep(interval)


def _kill_group(process: subprocess.Popen, sig=signal.SIGKILL) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _pids_with_parent(parent: int) -> list[int]:
    children = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            children.append(int(Path(stat).parent.name))
    return children


class CeleryWorker:
    """`celery -A controlroom worker` with the prefork pool, as production runs it."""

    def __init__(self, *, env: dict, log: Path, name: str, concurrency: int = 1):
        self.name, self.log = f"{name}@faults", log
        command = [
            sys.executable, "-m", "celery", "-A", "controlroom", "worker", f"--hostname={self.name}",
            "--pool=prefork", f"--concurrency={concurrency}", "--loglevel=INFO", "--without-mingle", "--without-gossip",
        ]  # fmt: skip
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, app, timeout: float = 60) -> "CeleryWorker":
        def answers():
            assert self.process.poll() is None, f"the worker exited:\n{self.tail()}"
            try:
                return app.control.ping(destination=[self.name], timeout=0.5)
            except Exception:  # noqa: BLE001 - the broker may be down or starting; keep asking
                return None

        wait_until(answers, timeout=timeout, what=lambda: f"worker {self.name} never answered:\n{self.tail()}")
        return self

    def kill(self) -> None:
        """kill -9 the whole worker: the main process and its pool, as a power cut or `docker kill` would."""
        if self.process.poll() is None:
            _kill_group(self.process)

    def kill_pool_child(self) -> bool:
        """kill -9 the pool process running tasks, as the kernel's OOM killer would; the main process lives on."""
        children = _pids_with_parent(self.process.pid)
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        return bool(children)

    def tail(self) -> str:
        return _tail(self.log)


class RedisServer:
    """A private redis-server with no persistence: a restart loses every queued message, as a crash would."""

    def __init__(self, log: Path):
        self.port, self.log, self.process = free_port(), log, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no",
        ]  # fmt: skip
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until(self.answers, timeout=20, what=lambda: f"redis-server never answered:\n{_tail(self.log)}")
        except BaseException:
            self.kill()
            raise
        return self

    def answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            _kill_group(self.process)


class PostgresCluster:
    """A throwaway PostgreSQL cluster (initdb) on a free port, owned by the `postgres` user when run as root.

    PostgreSQL refuses to run as root, and the tests run as root in CI, hence `runuser`.
    """

    def __init__(self):
        versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(path.split("/")[-2]))
        assert versions, "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin"
        self.bin = Path(versions[-1])
        self.dir = Path(tempfile.mkdtemp(prefix="controlroom-faults-pg-"))
        self.data, self.log, self.port = self.dir / "data", self.dir / "server.log", free_port()
        try:
            if os.geteuid() == 0:
                shutil.chown(self.dir, "postgres", "postgres")
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "-N"
            )
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise subprocess.CalledProcessError(done.returncode, command, done.stdout, done.stderr + _tail(self.log))

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def connect(self, name: str = "postgres"):
        return psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=name)

    def create_database(self, name: str) -> str:
        conn = self.connect()
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        return self.url(name)

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop("immediate")
            except subprocess.SubprocessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Gunicorn:
    """gunicorn serving controlroom.wsgi with sync workers, as the Dockerfile runs it."""

    def __init__(self, *, env: dict, log: Path, workers: int = 2):
        self.port, self.log = free_port(), log
        command = [
            sys.executable, "-m", "gunicorn", "controlroom.wsgi", f"--bind=127.0.0.1:{self.port}",
            f"--workers={workers}", "--timeout=30", "--log-level=warning",
        ]  # fmt: skip
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            wait_until(self._answers, timeout=60, what=lambda: f"gunicorn never answered:\n{_tail(self.log)}")
        except BaseException:
            _kill_group(self.process)
            raise

    def _answers(self) -> bool:
        assert self.process.poll() is None, f"gunicorn exited:\n{_tail(self.log)}"
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _kill_group(self.process)

    def tail(self) -> str:
        return _tail(self.log)


def manage(env: dict, *args: str) -> None:
    """Run `manage.py` with this environment; its output is shown only if it fails."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
