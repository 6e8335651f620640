# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP_FLAGS ?= --quiet --disable-pip-version-check
PYTEST_ARGS ?=
LINT_PATHS := src tests $(wildcard bench)

.DEFAULT_GOAL := help
.PHONY: help run test lint format install install-dev native bench clean

help:
	@echo "make run    install and start the main job (embedded defaults: SQLite, paper exchange)"
	@echo "make test   install with dev extras; ruff, mypy, import contracts, the whole pytest suite"
	@echo "make lint   ruff, mypy and the import-linter contracts only"
	@echo "make bench  run the benchmarks in bench/ (installs the peers: vectorbt, backtesting.py)"
	@echo "make native compile the engine with mypyc (make run and make test do it; see README)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python >= 3.11 is required (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_FLAGS) -e '.[native]'
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_FLAGS) -e '.[dev,native]'
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_FLAGS) -e '.[dev,bench,native]'
	@touch $@ $(VENV)/.installed $(VENV)/.installed-dev

install: native
install-dev: $(VENV)/.installed-dev

# The engine's per-candle modules compiled in place with mypyc (aurumbotx/_native.py lists them).
# Cheap when the build matches its sources; a stale build never runs (it falls back to Python).
native: $(VENV)/.installed
	AURUMBOTX_PURE_PYTHON=1 $(BIN)/python -m aurumbotx.build_native build

run: native
	$(BIN)/aurumbotx run

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix $(LINT_PATHS)
	$(BIN)/ruff format $(LINT_PATHS)

# The suite runs twice: on the pure-Python engine (coverage is measured there: compiled modules
# are invisible to it) and on the compiled engine, the one `make run` and the bench use.
test: lint native
	AURUMBOTX_PURE_PYTHON=1 $(BIN)/pytest --cov --cov-report=term:skip-covered --cov-report=xml $(PYTEST_ARGS)
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-bench native
	$(BIN)/python bench/run_all.py

clean:
	-$(BIN)/python -m aurumbotx.build_native clean
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache coverage.xml .coverage
