# The two commands: `make run` (the dashboard with everything it needs) and `make test` (the suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint format browser screenshots clean

run: $(VENV)/.installed
	$(BIN)/python -m dashboard.launcher

test: $(VENV)/.installed-test browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Settings are imported by mypy's Django plugin: give it a throwaway key and var dir.
LINT_ENV := DJANGO_SECRET_KEY=lint-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz \
	DJANGO_HTTPS=0 DASHBOARD_VAR_DIR=var/lint

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(LINT_ENV) $(BIN)/mypy
	$(LINT_ENV) $(BIN)/lint-imports
	$(BIN)/python tools/check_module_sizes.py

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# A Chromium for the browser tests: Debian's package where apt is available, else Playwright's own.
browser: $(VENV)/.installed-test
	@$(BIN)/python tools/ensure_chromium.py

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[test]"
	touch $@

# Every page at 1440 and 390 px into docs/screenshots/ (sandbox demo data, a dev server on loopback).
screenshots: $(VENV)/.installed-test browser
	$(BIN)/python tools/screenshots.py

clean:
	rm -rf $(VENV) var
