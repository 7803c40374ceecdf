# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Install, migrate, load the demo club (a no-op once loaded) and serve http://127.0.0.1:8000
run: $(VENV)/.installed
	$(BIN)/sidetrack demo
	$(BIN)/sidetrack serve --host 127.0.0.1 --port 8000

# Install and run the whole test suite (PostgreSQL too when SIDETRACK_TEST_POSTGRES_URL is set)
test: $(VENV)/.installed
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src
