# exstrat — the two commands: `make run` and `make test` (both bootstrap everything).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BUN_DIR := .tools/node_modules/.bin
export PATH := $(CURDIR)/$(BUN_DIR):$(PATH)
PORT ?= 3000
PYTEST_ARGS ?=

.PHONY: run test test-pg lint bench demo deps bun chromium migrate clean catalogs translations

deps: $(STAMP)

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "exstrat needs Python 3.11+"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

# The French catalogs (.po, kept in the repo) compiled for the app (docs/translations.md).
catalogs: deps
	$(PY) -m exstrat_app.i18n.tooling compile

# After changing words in the code: refresh the .po files, then translate what is new.
translations: deps
	$(PY) -m exstrat_app.i18n.tooling extract

# Reflex's own bun download needs the internet and its npm path wants Node >= 22:
# bun from the npm registry works everywhere npm does.
bun:
	@command -v bun >/dev/null 2>&1 || npm install --silent --no-fund --no-audit --prefix .tools bun

# Browser tests use the system Chromium; install it when we can (root + apt).
chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "could not install chromium: browser tests will skip"; fi

migrate: deps catalogs
	$(PY) -m exstrat_app migrate

run: deps bun catalogs
	$(PY) -m exstrat_app up --port $(PORT)

demo: deps bun catalogs
	$(PY) -m exstrat_app demo --port $(PORT)

lint: deps
	$(PY) -m exstrat_app.i18n.tooling check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

test: deps bun chromium catalogs lint
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

# The same suite against PostgreSQL and a real Redis (CI runs it when they answer).
test-pg: deps bun chromium catalogs
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
	TEST_REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/0} \
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

bench: deps catalogs
	$(PY) -m bench

clean:
	rm -rf $(VENV) .tools .web data .pytest_cache .ruff_cache .hypothesis
