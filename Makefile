# Rücklauf — see README.md. `make run` sets up and serves a demo; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# One stamp per content of the lock files: `make install` (and run, worker, beat) installs only the
# runtime pins of requirements.lock; `make test` and `make lint` add requirements-dev.lock.
STAMP := $(VENV)/.installed-$(shell cksum < requirements.lock | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements.lock requirements-dev.lock | cksum | cut -d' ' -f1)
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ruecklauf
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

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

run: install
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py load_survey surveys/definitions/kgst-social-media-2013.yaml
	DEBUG=1 $(PY) manage.py seed_demo
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

test: install-dev
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	  RUECKLAUF_TESTING=1 $(PY) -m pytest $(PYTEST_ARGS)

worker: install
	$(VENV)/bin/celery -A config worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A config beat --loglevel=INFO

lint: install-dev
	$(VENV)/bin/ruff check .

messages: install
	cd $(CURDIR) && DEBUG=1 $(PY) manage.py makemessages -l en --no-location --ignore=.venv && DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv
