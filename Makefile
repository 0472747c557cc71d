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
# matplotlib's config and font cache live in build/, never in the user's home folder: a
# stale cache there (from another installation) makes figures warn on stderr.
export MPLCONFIGDIR := $(CURDIR)/build/mplconfig
# Offline machines: the dataset mirror beside the clone (../shared/datasets), when there is
# one and DATA_MIRROR is not set. Its files are checked against the pinned SHA-256 like any.
ifeq ($(origin DATA_MIRROR),undefined)
ifneq ($(wildcard $(CURDIR)/../shared/datasets/.),)
export DATA_MIRROR := $(abspath $(CURDIR)/../shared/datasets)
endif
endif

# PROFILE is checked here, before any shell sees it: only these three words pass.
PROFILE ?= default
ifeq ($(filter $(PROFILE),smoke default full),)
$(error unknown PROFILE '$(PROFILE)': choose smoke, default or full)
endif
ifneq ($(words $(PROFILE)),1)
$(error PROFILE must be one word: smoke, default or full)
endif
# ACCEPT=1: the run's results become the new reference of `make verify` (a deliberate change).
ACCEPT ?= 0
ifeq ($(filter $(ACCEPT),0 1),)
$(error ACCEPT must be 0 or 1)
endif

.PHONY: help venv data run-all test lint unit nbval verify verify-matrix tolerances regressions bench \
	bench-parallel bench-run-all report book clean grade grade-template grade-reference grade-example \
	student autograder autograde cluster-demo

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
	$(PY) -m helpers.data fetch --profile $(PROFILE) --mirror "$${DATA_MIRROR:-}"

run-all: data ## execute every notebook (incrementally) with papermill [ACCEPT=1]
	$(PY) -m tools.pipeline run --profile $(PROFILE) $(if $(filter 1,$(ACCEPT)),--accept)

lint: $(STAMP) ## ruff check + format over notebooks, helpers, tools, tests; the CI workflow
	$(VENV)/bin/ruff check notebooks helpers tools tests book conftest.py
	$(VENV)/bin/ruff format --check notebooks helpers tools tests book conftest.py
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(VENV)/bin/zizmor --offline --quiet .github/workflows

# Two pytest processes; --dist loadfile hands each a whole test module at a time, so a
# module's tests share its fixtures and never write its files from two processes at once.
unit: data ## unit tests (and every notebook at the smoke profile), in 2 processes
	$(PY) -m pytest tests -n 2 --dist loadfile

nbval: data ## re-execute the committed notebooks and compare their outputs
	$(PY) -m tools.verify --quiet

test: lint unit nbval ## everything CI checks: lint, unit tests, nbval

verify: data ## the graders' check: nbval on every committed notebook, explained
	$(PY) -m tools.verify

verify-matrix: data ## make verify under 1 and 4 BLAS threads and without NumPy's AVX (slow)
	$(PY) -m tools.verify --matrix

tolerances: data ## measure trained numbers' spread (threads, SIMD, seeds, hosts; ~7 min per variant)
	$(PY) -m tools.tolerances measure
	$(PY) -m tools.tolerances derive

regressions: data ## plant 3 regressions in copies of the repo; each must fail verification
	$(PY) -m tools.regressions

cluster-demo: $(STAMP) ## run-all PROFILE=smoke on a local Dask scheduler + 2 workers
	$(PY) -m tools.cluster_demo -- $(MAKE) --no-print-directory run-all PROFILE=smoke

bench: data ## throughput benchmark: scratch network vs scikit-learn, matmul peak
	$(PY) -m tools.bench

bench-parallel: data ## serial vs parallel tasks (study, activation study, grid search); the study's ceiling
	$(PY) -m tools.bench_parallel

bench-run-all: data ## every notebook, tasks serial and parallel back to back: times, verdicts (~17 min)
	$(PY) -m tools.bench_run_all

report: $(STAMP) ## results/REPORT.md and results/report.html from results/*.json
	$(PY) -m tools.report

book: $(STAMP) ## the book: committed notebooks, theory, report as an offline site in build/book/
	$(PY) -m tools.book

# SUBMISSION / SUBMISSIONS reach Python through the environment, unexpanded
# ($(value ...)), never through the recipe text, so no path is ever parsed by a
# shell or by make; tools/grading/cli.py validates them.
grade: export GRADE_SUBMISSION := $(value SUBMISSION)
grade: export GRADE_SUBMISSIONS := $(value SUBMISSIONS)
grade: $(STAMP) ## grade SUBMISSION=<answers.toml> or SUBMISSIONS=<folder> into build/grading/
	$(PY) -m tools.grading grade

grade-template: $(STAMP) ## the commented answers template: build/grading/answers-template.toml
	$(PY) -m tools.grading template

grade-reference: $(STAMP) ## the full-marks answers: build/grading/reference.toml
	$(PY) -m tools.grading reference

grade-example: $(STAMP) ## the original's answers (from the ledger) and grade report in results/grading/
	$(PY) -m tools.grading example

student: $(STAMP) ## the stand-alone hand-out, answers stubbed: build/student/ and build/student.zip
	$(PY) -m tools.student
	$(PY) -m tools.leaks build/student build/student.zip

autograder: $(STAMP) ## the Gradescope autograder zip (hidden tests, setup.sh, run_autograder): build/autograder.zip
	$(PY) -m tools.autograder.build

# SUBMISSION_DIR reaches Python through the environment, unexpanded, like SUBMISSION.
autograde: export AUTOGRADE_SUBMISSION := $(value SUBMISSION_DIR)
autograde: $(STAMP) ## autograde SUBMISSION_DIR=<folder> locally: build/autograde/results.json (+ staff report)
	$(PY) -m tools.student >/dev/null
	$(PY) -m tools.autograder.run --results build/autograde/results.json \
		--student-helpers build/student/helpers --staff build/autograde/answers-staff.md

clean: ## remove build/ (keeps .venv, data/ and committed outputs)
	rm -rf build
