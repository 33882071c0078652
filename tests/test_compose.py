"""docker-compose.yml is a valid Compose file that runs the stack the way production needs it.

Checked by `docker-compose config` (Debian's docker-compose package), which validates the file against the
Compose schema and interpolates it without a Docker engine.
"""

import json
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = shutil.which("docker-compose")
SECRET = "compose-test-secret"
# Variables the file interpolates: cleared so the defaults in the file are what gets checked.
# The settings docker-compose.yml passes on from .env, with the app's own defaults when not given.
PASSED_ON = (
    "EMAIL_BACKEND EMAIL_HOST EMAIL_PORT EMAIL_HOST_USER EMAIL_HOST_PASSWORD EMAIL_USE_TLS DEFAULT_FROM_EMAIL "
    "DAILY_SUMMARY_EMAILS LOG_LEVEL SECURE_HSTS_SECONDS CONN_MAX_AGE SESSION_COOKIE_AGE UPLOAD_RETENTION_DAYS "
    "UPLOAD_STUCK_SECONDS UPLOAD_RECEIVED_STUCK_SECONDS UPLOAD_RECOVER_EVERY_SECONDS ADMIN_IMPORT_KEEP_HOURS "
    "AUDIT_RETENTION_DAYS CALLS_BATCH_SIZE CALLS_TOP_UP_BELOW CALLS_RETRY_COOLDOWN_MINUTES CALLS_MAX_ATTEMPTS "
    "CALLS_IDLE_TIMEOUT_MINUTES CALLS_UNDO_SECONDS CALLS_PERSONAL_GRACE_MINUTES"
).split()
INTERPOLATED = set(
    "SECRET_KEY POSTGRES_PASSWORD ALLOWED_HOSTS CSRF_TRUSTED_ORIGINS BEHIND_TLS_PROXY SECURE_SSL_REDIRECT "
    "SECURE_COOKIES COMPOSE_FILE COMPOSE_PROJECT_NAME COMPOSE_PROFILES".split()
) | set(PASSED_ON)
APP_SERVICES = ("web", "worker", "worker-imports", "beat")


@pytest.fixture(scope="module")
def compose(tmp_path_factory):
    """Runs docker-compose on the project's file, ignoring any local .env; skips loudly without it, fails in CI."""
    if COMPOSE is None:
        reason = "docker-compose is not installed (apt-get install docker-compose), docker-compose.yml is NOT checked"
        if os.environ.get("CI"):
            pytest.fail(f"CI must validate the Compose file: {reason}")
        pytest.skip(f"SKIPPED, {reason}")
    empty_env_file = tmp_path_factory.mktemp("compose") / "empty.env"
    empty_env_file.touch()
    base_env = {key: value for key, value in os.environ.items() if key not in INTERPOLATED}

    def run(*args, **env):
        command = [COMPOSE, "--env-file", str(empty_env_file), "-f", str(ROOT / "docker-compose.yml"), *args]
        return subprocess.run(command, cwd=ROOT, env={**base_env, **env}, capture_output=True, text=True, timeout=120)

    return run


@pytest.fixture(scope="module")
def services(compose):
    """The fully resolved configuration, as docker-compose itself reads it."""
    return _resolved(compose, SECRET_KEY=SECRET)


def _resolved(compose, **env):
    shebang = Path(COMPOSE).read_bytes()[:512].split(b"\n")[0]
    if not shebang.startswith(b"#!"):  # Compose v2, a Go binary, prints JSON itself
        result = compose("config", "--format", "json", **env)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["services"]
    # Compose v1 prints YAML only; it is a Python program, so its own interpreter has PyYAML.
    result = compose("config", **env)
    assert result.returncode == 0, result.stderr
    interpreter = shebang[2:].decode().split()
    to_json = "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"
    converted = subprocess.run([*interpreter, "-c", to_json], input=result.stdout, capture_output=True, text=True)
    assert converted.returncode == 0, converted.stderr
    return json.loads(converted.stdout)["services"]


def test_compose_file_is_valid(compose):
    result = compose("config", "-q", SECRET_KEY=SECRET)
    assert result.returncode == 0, result.stderr


def test_stack_refuses_to_start_without_a_secret_key(compose):
    result = compose("config", "-q")
    assert result.returncode != 0
    assert "set SECRET_KEY" in result.stderr


def test_redis_keeps_queued_jobs_on_disk_and_never_evicts_them(services):
    command = services["redis"]["command"]
    command = " ".join(command) if isinstance(command, list) else command
    assert "--appendonly yes" in command
    assert "--maxmemory-policy noeviction" in command


def test_every_long_running_service_reports_its_health(services):
    for name in ("postgres", "redis", *APP_SERVICES):
        healthcheck = services[name].get("healthcheck", {})
        assert healthcheck.get("test") and not healthcheck.get("disable"), f"{name} has no healthcheck"
        assert healthcheck["test"][0] != "NONE", f"{name} has its healthcheck turned off"


def test_migrations_run_once_on_a_healthy_database_before_the_app_starts(services):
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["command"][-3:] == ["manage.py", "migrate", "--noinput"]
    assert services["migrate"].get("restart", "no") == "no"
    for name in APP_SERVICES:
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        assert depends_on["redis"]["condition"] == "service_healthy", name


def test_app_services_share_production_settings_with_https_only_by_default(services):
    expected = {
        "DATABASE_URL": "postgres://controlroom:controlroom@postgres:5432/controlroom",
        "REDIS_URL": "redis://redis:6379/0",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_COOKIES": "1",
        "PRIVATE_MEDIA_ROOT": "/data/private",
    }
    for name in ("migrate", *APP_SERVICES):
        environment = services[name]["environment"]
        assert {key: environment.get(key) for key in expected} == expected, name


def test_a_trial_over_plain_http_turns_https_off_in_env_as_the_readme_says(compose):
    readme = (ROOT / "README.md").read_text()
    assert "SECURE_SSL_REDIRECT=0" in readme and "SECURE_COOKIES=0" in readme
    services = _resolved(compose, SECRET_KEY=SECRET, SECURE_SSL_REDIRECT="0", SECURE_COOKIES="0")
    for name in ("migrate", *APP_SERVICES):
        environment = services[name]["environment"]
        assert (environment["SECURE_SSL_REDIRECT"], environment["SECURE_COOKIES"]) == ("0", "0"), name


def test_the_database_password_comes_from_env_and_reaches_every_app_service(compose):
    services = _resolved(compose, SECRET_KEY=SECRET, POSTGRES_PASSWORD="from-env-4f9a")
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "from-env-4f9a"
    for name in ("migrate", *APP_SERVICES):
        url = services[name]["environment"]["DATABASE_URL"]
        assert url == "postgres://controlroom:from-env-4f9a@postgres:5432/controlroom", name
    assert "POSTGRES_PASSWORD=" in (ROOT / "README.md").read_text(), "the README says how to set it"


def test_postgres_has_more_shared_memory_than_dockers_64_mb(services):
    shm_size = str(services["postgres"]["shm_size"]).lower()  # "256mb" from Compose v1, bytes from v2
    size = int(shm_size.removesuffix("mb")) * 2**20 if shm_size.endswith("mb") else int(shm_size)
    assert size >= 256 * 2**20


def test_web_and_worker_see_the_same_uploaded_files(services):
    def mounts(service):
        for volume in service.get("volumes", []):
            yield (volume["source"], volume["target"]) if isinstance(volume, dict) else tuple(volume.split(":")[:2])

    for name in ("worker", "worker-imports"):
        web, worker = set(mounts(services["web"])), set(mounts(services[name]))
        shared = {(source, target) for source, target in web & worker if target == "/data/private"}
        assert shared, f"web and {name} must mount one named volume at PRIVATE_MEDIA_ROOT"
        assert all(not source.startswith(("/", ".")) for source, _ in shared), "it must be a named volume"


def test_every_queue_has_a_worker_and_imports_run_at_low_priority(services):
    from django.conf import settings

    def queues(name):
        command = services[name]["command"]
        return set(command[command.index("-Q") + 1].split(","))

    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert queues("worker") | queues("worker-imports") == {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert queues("worker-imports") == routed == {"imports"}
    assert services["worker-imports"]["command"][:3] == ["nice", "-n", "10"]


def test_gunicorn_gives_a_large_districts_member_download_time_to_finish():
    config = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    assert config["timeout"] >= 120, "gunicorn's default 30 s kills the worker building a big district's XLSX"


SETTINGS_OF = """
import json, django
from django.conf import settings
django.setup()
names = {names!r}
values = {{name: getattr(settings, name) for name in names if name not in ("LOG_LEVEL", "CONN_MAX_AGE")}}
values["LOG_LEVEL"] = settings.LOGGING["root"]["level"]
values["CONN_MAX_AGE"] = settings.DATABASES["default"]["CONN_MAX_AGE"]
print(json.dumps(values))
"""


def _settings_given(environment: dict) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in PASSED_ON}
    # As the stack runs: production settings (the HSTS default depends on it), on a database of no importance.
    env.update(environment, DEBUG="0", SECRET_KEY=SECRET, DJANGO_SETTINGS_MODULE="controlroom.settings")
    env.update(DATABASE_URL="sqlite:///:memory:")
    code = SETTINGS_OF.format(names=PASSED_ON)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_readmes_settings_reach_the_app_from_env_with_its_own_defaults(services, compose):
    """The daily summary could not be emailed, nor the retention changed, without editing the YAML."""
    environment = services["web"]["environment"]
    assert set(PASSED_ON) <= set(environment), "passed on to the app"
    given = {name: environment[name] for name in PASSED_ON}
    assert _settings_given(given) == _settings_given({}), "the file's defaults are the app's own"
    result = compose("config", SECRET_KEY=SECRET, DAILY_SUMMARY_EMAILS="office@example.org")
    assert "office@example.org" in result.stdout


# Set by the stack itself: its own database, broker, volume and production mode.
FIXED_BY_THE_STACK = {"DEBUG", "DATABASE_URL", "REDIS_URL", "PRIVATE_MEDIA_ROOT", "STATIC_ROOT"}


def test_every_setting_the_readme_lists_can_be_given_to_the_stack(compose):
    """A setting the README offers but the Compose file does not pass on does nothing when put in .env."""
    import re

    table = [line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `")]
    listed = {name for line in table for name in re.findall(r"`([A-Z][A-Z0-9_]*\*?)`", line.split("|")[1])}
    assert FIXED_BY_THE_STACK <= listed
    given = {name: f"given-{name.lower()}" for name in INTERPOLATED if not name.startswith("COMPOSE_")}
    result = compose("config", **given)
    assert result.returncode == 0, result.stderr
    for name in listed - FIXED_BY_THE_STACK:
        if name.endswith("*"):
            assert any(f"given-{key.lower()}" in result.stdout for key in given if key.startswith(name[:-1])), name
        else:
            assert f"given-{name.lower()}" in result.stdout, f"{name}: in the README's table, not passed on from .env"
