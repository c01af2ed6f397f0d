# Each target creates .venv and installs the project (with its test tools) when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: run test lint format bench bench-report bench-sweep bench-startup bench-compare clean

run: $(STAMP)
	$(BIN)/simdivert run

test: $(STAMP)
	@echo "the test suite: about 6 minutes on 2 cores (one test file: .venv/bin/pytest -q tests/test_x.py)"
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check simdivert tests benchmarks
	$(BIN)/ruff format --check simdivert tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format simdivert tests benchmarks
	$(BIN)/ruff check --fix simdivert tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_replication.py

bench-report: $(STAMP)
	$(BIN)/python benchmarks/bench_report.py

bench-sweep: $(STAMP)
	$(BIN)/python benchmarks/bench_sweep.py

# CPU time of --help, validate and a one-replication run (imports dominate); ~30 s.
bench-startup: $(STAMP)
	$(BIN)/python benchmarks/bench_startup.py

# simdivert against bare SimPy, Ciw and a national-scale run (docs/PERFORMANCE.md); ~35 s.
bench-compare: $(BENCH_STAMP)
	$(BIN)/python benchmarks/compare.py

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

clean:
	rm -rf $(VENV) build *.egg-info
