# Control Room — common tasks. `make help` lists them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
DEV_ENV := DEBUG=1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help venv run seed test fuzz nightly lint format messages worker beat gunicorn e2e clean

help: ## List the tasks
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(PY):
	@$(PYTHON) -c "import sys; assert sys.version_info[:2] == (3, 11)" 2>/dev/null || { echo "Python 3.11 is needed (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $(VENV)/.installed $@

venv: $(VENV)/.installed ## Create .venv and install the requirements

run: $(VENV)/.installed ## Serve the app on 127.0.0.1:8000 (PORT=…) with SQLite, eager Celery and demo data
	$(DEV_ENV) $(PY) manage.py migrate --noinput -v0
	$(DEV_ENV) $(PY) manage.py seed_demo
	@echo "Open http://127.0.0.1:$(PORT) and log in with one of the accounts above."
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

seed: $(VENV)/.installed ## Load (or top up) the demo data
	$(DEV_ENV) $(PY) manage.py seed_demo

test: $(VENV)/.installed-dev ## Checks, lint and the whole test suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
	$(DEV_ENV) $(PY) manage.py check
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV_ENV) $(BIN)/pytest $(PYTEST_ARGS)

e2e: $(VENV)/.installed-dev ## The browser journeys alone, in Chromium (/usr/bin/chromium)
	$(DEV_ENV) $(BIN)/pytest tests/e2e -p no:cacheprovider $(PYTEST_ARGS)

fuzz: $(VENV)/.installed-dev ## Fuzz the phone normaliser and the upload checks: 10,000 examples per property
	HYPOTHESIS_PROFILE=nightly $(DEV_ENV) $(BIN)/pytest tests/members/test_fuzz.py -p no:cacheprovider --hypothesis-show-statistics $(PYTEST_ARGS)

nightly: fuzz ## The long runs: fuzzing, and 10 worker kills during imports (needs DATABASE_URL and REDIS_URL)
	FAULT_TRIALS=10 $(DEV_ENV) $(BIN)/pytest tests/test_faults.py -k import -p no:cacheprovider $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev ## Format the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: $(VENV)/.installed-dev ## Extract translatable strings into locale/hi and compile them (needs gettext)
	$(DEV_ENV) $(PY) manage.py makemessages -l hi --no-obsolete --ignore=.venv --ignore=bench --ignore=tests
	$(DEV_ENV) $(PY) manage.py compilemessages -l hi --ignore=.venv

worker: $(VENV)/.installed ## Start a Celery worker (needs REDIS_URL)
	$(BIN)/celery -A controlroom worker --loglevel=INFO

beat: $(VENV)/.installed ## Start Celery beat, the periodic scheduler (needs REDIS_URL)
	$(BIN)/celery -A controlroom beat --loglevel=INFO --schedule $(VENV)/celerybeat-schedule

gunicorn: $(VENV)/.installed ## Serve with gunicorn on 127.0.0.1:$(PORT) (production settings from the environment)
	$(PY) manage.py collectstatic --noinput -v0
	$(BIN)/gunicorn controlroom.wsgi --bind 127.0.0.1:$(PORT) --workers 3 --access-logfile -

clean: ## Remove the virtualenv, the SQLite database with its uploaded files (private/), and caches
	rm -rf $(VENV) db.sqlite3 db.sqlite3-journal db.sqlite3-wal db.sqlite3-shm private .pytest_cache .ruff_cache staticfiles
