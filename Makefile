# The two commands a newcomer needs: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PORT ?= 8000
SANDBOX_PORT ?= 8443
# One virtualenv per Python line: `make test PYTHON=/path/to/python3.13 VENV=.venv-3.13` keeps it apart.
VENV ?= .venv
PY := $(VENV)/bin/python
# The newest Python >= 3.11 on PATH that actually runs (Django 6 needs 3.12; 3.11 gets Django 5.2).
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3.11 python3; do \
	if $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then command -v $$p; break; fi; done)
CHROMIUM ?= $(or $(CHROMIUM_PATH),/usr/bin/chromium)
# Test processes for the tests without a browser (pytest-xdist): two per core, because many tests spend
# their time waiting on servers, timeouts and deadlines, and the other process uses the core meanwhile
# (on two cores, measured: 4 processes 42 s on SQLite and 61 s on PostgreSQL, 3 processes 49 s and 73 s,
# 5 processes 47 s and 62 s). At most 8: each holds database connections, and PostgreSQL has 100 by default.
# TEST_WORKERS=0 runs one.
TEST_WORKERS ?= $(shell n=$$(( 2 * $$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1) )); echo $$(( n < 8 ? n : 8 )))
# Tests go out four at a time, so the long ones, collected first, spread over the processes (in
# chunks of a quarter of each process's share, the first process would get them all).
XDIST = -n $(TEST_WORKERS) --maxschedchunk 4
# PYTHONDONTWRITEBYTECODE is emptied for the tests: each test process, and each server a test starts,
# then starts sooner from modules compiled once (and pytest's rewritten tests) than by compiling them again.
PYTEST = PYTHONDONTWRITEBYTECODE= $(PY) -m pytest

.PHONY: run test test-fast sandbox demo bench install install-test chromium axe migrate clean

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed: install python3 (>= 3.11) and retry."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet ".[test]"
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(PY) manage.py migrate --noinput

# Recent gunicorn opens a control socket per user (~/.gunicorn/gunicorn.ctl) that two instances would share;
# turn it off where the installed gunicorn has it.
NO_CONTROL_SOCKET = $(shell $(VENV)/bin/gunicorn --help 2>/dev/null | grep -q -- --no-control-socket && echo --no-control-socket)

## Serve the app on http://127.0.0.1:$(PORT), with SQLite under var/ unless DATABASE_URL is set.
run: migrate
	$(PY) manage.py check
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Serving on http://127.0.0.1:$(PORT)/  (a fresh install opens the owner-account page)"
	@# The watch (scheduled re-checks) runs beside the web processes, and stops with them.
	$(PY) manage.py watch_credentials & watch=$$!; trap "kill $$watch 2>/dev/null; wait $$watch" EXIT; \
	$(VENV)/bin/gunicorn -c python:credentials_app.config.gunicorn --bind 127.0.0.1:$(PORT) \
		--access-logfile - $(NO_CONTROL_SOCKET)

## Chromium for the browser tests: Debian's package, installed when missing and we are root.
chromium:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installing Chromium from Debian's packages for the browser tests..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "Chromium is missing, so the browser tests will be skipped."; \
		echo "Install it with: sudo apt-get install chromium   (or set CHROMIUM_PATH to a Chromium binary)"; \
	fi

## axe-core for the browser tests' accessibility checks, pinned in package-lock.json.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the accessibility tests: install Node.js (apt-get install npm) and retry."; exit 1; }
	npm ci --no-audit --no-fund
	@touch $@
axe: node_modules/axe-core/axe.min.js

## Run the whole suite, browser tests included.
test: install-test chromium axe
	$(PYTEST) $(XDIST) -m "not browser" $(PYTEST_ARGS)
	@# The browser tests run in one process: two Chromiums and two app servers on two cores time out.
	CHROMIUM_PATH=$(CHROMIUM) $(PYTEST) -m browser $(PYTEST_ARGS)

## The suite without the browser tests.
test-fast: install-test
	$(PYTEST) $(XDIST) -m "not browser" $(PYTEST_ARGS)

## Local HTTPS emulations of every provider on 127.0.0.1:$(SANDBOX_PORT).
sandbox: install
	$(PY) -m connectors.sandbox --port $(SANDBOX_PORT) --cert-dir var

## The app and the sandbox together: try every provider with the documented test keys.
demo: migrate
	@$(PY) -m connectors.sandbox --print-keys
	@echo "The Add Credential overlay offers these keys under “Sandbox keys” while the demo runs."
	@$(PY) -m connectors.sandbox --port $(SANDBOX_PORT) --cert-dir var --quiet & sandbox=$$!; \
	trap "kill $$sandbox" EXIT; \
	PROVIDER_SANDBOX_URL=https://127.0.0.1:$(SANDBOX_PORT) PROVIDER_SANDBOX_ALLOWED=true \
	PROVIDER_SANDBOX_CA_BUNDLE=var/sandbox-ca.pem $(MAKE) --no-print-directory run

## Speed and memory figures, with ratios against plain baselines.
bench: install-test
	$(PY) -m tests.benchmarks

clean:
	rm -rf $(VENV) var/staticfiles .pytest_cache
