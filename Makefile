# Two set-up commands: `make demo` and `make test` each prepare .venv from scratch when needed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest processes for `make test` (pytest-xdist): the suite's tests are independent
TEST_PROCESSES ?= 2

.PHONY: demo test lint typecheck unit bench install clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/creatorflow demo

lint: $(STAMP)
	$(BIN)/ruff check creatorflow flows tasks tests benchmarks
	$(BIN)/ruff format --check creatorflow flows tasks tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) lint typecheck
	DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/pytest -q -n $(TEST_PROCESSES) $(PYTEST_ARGS)

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache var creatorflow.db
