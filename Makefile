# Rücklauf — see README.md. `make run` sets up and serves a demo; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# One stamp per content of the lock files: `make install` (and run, worker, beat) installs only the
# runtime pins of requirements.lock; `make test` and `make lint` add requirements-dev.lock.
STAMP := $(VENV)/.installed-$(shell cksum < requirements.lock | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements.lock requirements-dev.lock | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes (pytest-xdist): most tests wait on servers, workers and browsers, so more than the cores.
PYTEST_WORKERS ?= 4

.PHONY: install install-dev run test worker beat lint messages

install: $(STAMP)

install-dev: $(DEV_STAMP)

$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	rm -f $(VENV)/.installed-* && touch $@

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(PY) -m pip install --quiet -r requirements-dev.lock
	rm -f $(VENV)/.installed-dev-* && touch $@

# Without DATABASE_URL: embedded PostgreSQL and Redis (data in var/), a Celery worker and beat beside
# the development server (devstack/); Ctrl-C stops them all. `make run PORT=8001` serves another port.
run: install
	$(PY) -m devstack run --host $(HOST) --port $(PORT)

# With DATABASE_URL (and REDIS_URL) set, the tests use those servers; otherwise devstack starts an
# embedded PostgreSQL and Redis in var/test for the run.
test: install-dev
	@if [ -n "$$DATABASE_URL" ]; then \
	  RUECKLAUF_TESTING=1 $(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS); \
	else \
	  RUECKLAUF_TESTING=1 $(PY) -m devstack exec --profile test -- $(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS); \
	fi

worker: install
	$(VENV)/bin/celery -A config worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A config beat --loglevel=INFO

# ruff; the import contracts of .importlinter (apps one way, config and devstack knowing no app);
# mypy with django-stubs over the modules listed in pyproject.toml.
lint: install-dev
	$(VENV)/bin/ruff check .
	DEBUG=1 $(VENV)/bin/lint-imports
	DEBUG=1 $(VENV)/bin/mypy

messages: install
	cd $(CURDIR) && DEBUG=1 $(PY) manage.py makemessages -l en --no-location --ignore=.venv && DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv
