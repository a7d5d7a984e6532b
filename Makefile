# Two commands on a fresh machine: `make report` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORES  ?= all

.PHONY: setup report test lint lock clean-outputs help

help:
	@echo "make report  - set up .venv and run the whole pipeline on the demo corpus -> reports/index.html"
	@echo "make test    - set up .venv and run the test suite"
	@echo "make lint    - ruff + snakemake --lint"

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@$(BIN)/python -c "import sys; assert 'torch' not in sys.modules" && touch $@

setup: $(STAMP)

report: setup
	$(BIN)/snakemake --cores $(CORES)
	@echo "Reports: reports/index.html"

test: setup
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check workflow tests scripts
	$(BIN)/snakemake --lint

lock:
	scripts/make_lock.sh

clean-outputs:
	rm -rf data/processed/* reports/* restricted/ logs/ .snakemake/
