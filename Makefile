# CLEAR Workbooks. `make` (or `make help`) lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON_SYSTEM ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
JOBS ?= 2
# nbgrader and jupyter start helper commands (alembic, jupyter-*) by name: put the venv first.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help demo profile test test-fast lint format bench data clean-data clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

SYSTEM_STAMP := $(VENV)/.system

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON_SYSTEM) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Debian packages the tests need: bubblewrap sandboxes learners' code during grading, and
# chromium runs the browser tests (driven by playwright; never `playwright install`).
SYSTEM_PACKAGES := bwrap:bubblewrap chromium:chromium
$(SYSTEM_STAMP): | $(STAMP)
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's$$missing (grading sandbox, browser tests)..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages:$$missing. Install them: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi
	@touch $@

demo: $(STAMP) ## run the project workbook on the synthetic PCN and serve its sponsor dashboard (Ctrl-C stops)
	$(VENV)/bin/clearlib demo

profile: $(STAMP) ## generate the default synthetic PCN and print its realism profile
	$(VENV)/bin/clearlib data synth default
	$(VENV)/bin/clearlib data profile default --strict

test: $(STAMP) $(SYSTEM_STAMP) lint ## lint, then every test (what CI runs)
	$(PY) -m pytest -n $(JOBS) --dist loadgroup

test-fast: $(STAMP) $(SYSTEM_STAMP) ## the tests, without the slow ones
	$(PY) -m pytest -n $(JOBS) --dist loadgroup -m "not slow"

lint: $(STAMP) ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP) ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP) $(SYSTEM_STAMP) ## print speed and memory figures (benchmarks/; grading takes ~10 min), not part of `make test`
	$(PY) benchmarks/bench_synth.py
	$(PY) benchmarks/bench_workforce.py
	$(PY) benchmarks/bench_segment.py
	$(PY) benchmarks/bench_grading.py
	$(PY) benchmarks/bench_projects.py
	$(PY) benchmarks/bench_dashboard.py

data: $(STAMP) ## generate the default and ICS datasets (cached under datasets/synthetic/)
	$(VENV)/bin/clearlib data synth default
	$(VENV)/bin/clearlib data synth ics

clean-data: ## delete generated datasets (they are remade on demand)
	find datasets/synthetic -mindepth 1 -maxdepth 1 -type d ! -name specs -exec rm -rf {} +

clean: clean-data ## delete the virtual environment and caches too
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
