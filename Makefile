# The front door: `make demo`, `make test`, `make run`, `make bench`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test test-postgres test-pseudo lint typecheck pytest run migrate bench clean

# Reinstall whenever the declared dependencies change.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# `make demo DEMO_LANG=fr`: the exchange's people in one language (en ar es fr tr); qps, the
# pseudo-locale, lists any text that skipped the catalogue.
DEMO_LANG ?=

demo: $(STAMP)
	$(BIN)/python -m bot demo $(if $(DEMO_LANG),--language $(DEMO_LANG))

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# One worker per core: the sandboxed tests wait on loopback I/O and start-up, not one CPU.
JOBS ?= auto

pytest: $(STAMP)
	$(BIN)/pytest -n $(JOBS)

# The same tests on PostgreSQL: a server whose role may CREATE DATABASE (each test gets a
# database of its own, made from a migrated template). `.ci/postgres` starts one on Debian.
PG_TEST_URL ?= postgresql+asyncpg://twinbridge:twinbridge@localhost/twinbridge

test-postgres: $(STAMP)
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -n $(JOBS)

# Every sandbox story in the pseudo-locale (bot/sandbox/leaks.py): a story fails on any text the
# bot sends a person without going through the catalogue. Two workers: the machine is shared.
PSEUDO_JOBS ?= 2

test-pseudo: $(STAMP)
	$(BIN)/pytest -n $(PSEUDO_JOBS) --pseudo-locale tests/sandbox tests/browser

run: $(STAMP)
	$(BIN)/python -m bot run

migrate: $(STAMP)
	$(BIN)/python -m bot migrate

# BENCH_ARGS: e.g. `--rows 1000000 reports` (the reports on the issue's 1M log rows only).
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build *.egg-info
