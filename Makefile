# One-command entry points. `make help` lists them.
# Every recipe runs inside .venv, which `make` creates and keeps in step with
# requirements.txt; nothing is installed by hand.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON_BASE ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
KERNEL_NAME := nn-svm-coursework

# PROFILE is checked here, before any shell sees it: only these three words pass.
PROFILE ?= default
ifeq ($(filter $(PROFILE),smoke default full),)
$(error unknown PROFILE '$(PROFILE)': choose smoke, default or full)
endif
ifneq ($(words $(PROFILE)),1)
$(error PROFILE must be one word: smoke, default or full)
endif

.PHONY: help venv data run-all test lint unit nbval verify bench report html clean

help: ## list the targets
	@echo "Usage: make <target> [PROFILE=smoke|default|full]"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  \1\t\2/' | expand -t 14

$(STAMP): requirements.txt pyproject.toml
	@echo "==> setting up $(VENV) (requirements changed or missing)"
	@test -x $(PY) || $(PYTHON_BASE) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL_NAME) --display-name "Python (nn-svm-coursework)" >/dev/null
	@touch $(STAMP)

venv: $(STAMP) ## create/refresh .venv from requirements.txt

data: $(STAMP) ## fetch and verify the datasets the PROFILE needs
	$(PY) -m helpers.data fetch --profile $(PROFILE)

run-all: data ## execute every notebook (incrementally) with papermill
	$(PY) -m helpers.pipeline run --profile $(PROFILE)

lint: $(STAMP) ## ruff over helpers/ and tests/
	$(VENV)/bin/ruff check helpers tests

unit: data ## unit tests (and every notebook at the smoke profile)
	$(PY) -m pytest tests

NBVAL := $(PY) -m pytest --nbval --nbval-current-env --nbval-sanitize-with .nbval-sanitize.cfg -p no:cacheprovider

nbval: data ## re-execute the committed notebooks and compare their outputs
	$(NBVAL) notebooks

test: lint unit nbval ## everything CI checks: lint, unit tests, nbval

verify: data ## the graders' check: nbval on every committed notebook
	$(NBVAL) -v notebooks

bench: data ## throughput benchmark: scratch network vs scikit-learn, matmul peak
	$(PY) -m helpers.bench

report: $(STAMP) ## results/REPORT.md and results/report.html from results/*.json
	$(PY) -m helpers.report

html: $(STAMP) ## export executed notebooks to build/html/
	$(PY) -m helpers.report html

clean: ## remove build/ (keeps .venv, data/ and committed outputs)
	rm -rf build
