# Two commands on a fresh machine: `make report` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORES  ?= all

.PHONY: setup report test lint lock clean-outputs help demo-corpus

help:
	@echo "make report  - set up .venv and run the whole pipeline on the demo corpus -> reports/index.html"
	@echo "make test    - set up .venv and run the test suite"
	@echo "make lint    - ruff + snakemake --lint"
	@echo "make demo-corpus - regenerate the fictional demo corpus in data/raw/demo from the scripts"

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

# The fictional demo corpus (transcripts, registers, survey, gold PII spans) is generated
# from the authored scripts in workflow/qualsynth/corpus/scripts; byte-identical per seed.
demo-corpus: setup
	$(BIN)/qualsynth build-demo --seed 2024 --out data/raw/demo

clean-outputs:
	rm -rf data/processed/* reports/* restricted/ logs/ .snakemake/

# Topic modelling's static embedding model (models/minilm-l6-m2v) is committed. This rebuilds
# it from all-MiniLM-L6-v2 in a separate venv: torch and transformers live only in
# .venv-distill, never in .venv. It reports whether the rebuild is byte-identical.
DISTILL := .venv-distill
.PHONY: embedding-model
embedding-model:
	test -x $(DISTILL)/bin/python || $(PYTHON) -m venv $(DISTILL)
	$(DISTILL)/bin/pip install --quiet --disable-pip-version-check --no-deps --only-binary=:all: -r requirements-distill.txt
	TQDM_DISABLE=1 HF_HUB_OFFLINE=1 $(DISTILL)/bin/python workflow/qualsynth/topics/distill.py --out models/minilm-l6-m2v
