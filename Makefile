# Chaperone: the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
ONLY ?=
export DJANGO_SETTINGS_MODULE ?= chaperone.config.settings.local

# System packages: pango for PDFs (weasyprint); chromium for browser tests.
RUNTIME_APT := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core tzdata
TEST_APT := chromium

.PHONY: install install-dev system-deps test-system-deps demo serve test lint format bench clean protocol-snapshot

install: system-deps $(VENV)/.installed ## virtualenv + package; puts `chaperone` on .venv/bin

$(VENV)/.installed: pyproject.toml chaperone/rules/_native.c
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e . > $(VENV)/install.log 2>&1 \
	  || { cat $(VENV)/install.log; echo "pip install failed (log: $(VENV)/install.log)"; exit 1; }
	@$(BIN)/python -c "import chaperone, django, weasyprint" && echo "installed: $$($(BIN)/chaperone --version 2>/dev/null || echo chaperone)"
	@touch $@

install-dev: install $(VENV)/.installed-dev

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' > $(VENV)/install-dev.log 2>&1 \
	  || { cat $(VENV)/install-dev.log; echo "pip install failed (log: $(VENV)/install-dev.log)"; exit 1; }
	@$(BIN)/python -c "import pytest, playwright, hypothesis"
	@touch $@

system-deps:
	@scripts/apt-ensure $(RUNTIME_APT)

test-system-deps:
	@scripts/apt-ensure $(TEST_APT)

demo: install ## migrate SQLite, load the demo trust and serve on http://127.0.0.1:8000 with the task worker
	@$(BIN)/chaperone migrate --noinput -v 0
	@$(BIN)/chaperone demo load --if-missing
	@$(MAKE) --no-print-directory serve

serve:
	@$(BIN)/chaperone demo logins
	@echo "Chaperone is starting on http://$(HOST):$(PORT)/  (Ctrl-C stops the server, the task worker and the scheduler)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(BIN)/chaperone db_worker --interval 1 & \
	  $(BIN)/chaperone scheduler & \
	  $(BIN)/gunicorn -c python:chaperone.config.gunicorn --bind $(HOST):$(PORT) \
	    --env DJANGO_SETTINGS_MODULE=$(DJANGO_SETTINGS_MODULE) --access-logfile - & \
	  wait

test: install-dev test-system-deps ## lint, then the whole suite on SQLite and PostgreSQL, browser tests included
	@echo "== lint (ruff, mypy, import layers, Django's migration and deployment checks)"
	@$(BIN)/ruff check -q . && $(BIN)/ruff format --check -q . && $(BIN)/mypy --no-error-summary \
	  && $(BIN)/lint-imports --no-cache --no-logo
	@scripts/django-checks
	@scripts/run-tests

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache --no-logo
	scripts/django-checks

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

protocol-snapshot: install ## rewrite chaperone/rules/templates/compiled.json after changing a template
	$(BIN)/python -m chaperone.rules.snapshot

bench: install-dev ## every benchmark, or one: make bench ONLY=protocols
	@for m in $$(if [ -n "$(ONLY)" ]; then echo $(ONLY); else ls benchmarks/*.py | xargs -n1 basename | sed 's/\.py$$//' | grep -v '^_'; fi); do \
	  echo "== benchmarks.$$m" >&2; $(BIN)/python -m benchmarks.$$m || exit $$?; done

clean: ## the virtualenv and build files; var/ (database, key, uploads) is data and stays
	rm -rf $(VENV) build *.egg-info
