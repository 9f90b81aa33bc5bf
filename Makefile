# quant_engine — every target sets up what it needs by itself.
#   make run    serve API (and UI) on http://127.0.0.1:8000 with the sample data
#   make test   install everything missing and run the whole suite

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := frontend/node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
FUZZ_PORT ?= 8765
FUZZ_EXAMPLES ?= 60

CONTRACT := openapi/openapi.yaml
GEN_PY := generated/python/qe_contract
GEN_TS := generated/typescript

.PHONY: help run test generate check-generated lint typecheck importlint pytest frontend-check \
	frontend-test ui e2e chromium fuzz bench clean

help:
	@echo "make run | make test | make generate | make check-generated | make fuzz | make bench"

$(VENV_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q uv
	UV_PYTHON_DOWNLOADS=never $(BIN)/uv pip install -q --python $(PY) -e '.[dev]' \
	  || $(BIN)/pip install -q -e '.[dev]'
	touch $@

$(NODE_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# ---------------------------------------------------------------- contract generation
# gen_into DIR: validate the contract and write every generated artifact below DIR.
define gen_into
	$(BIN)/openapi-spec-validator $(CONTRACT)
	mkdir -p $(1)/python/qe_contract $(1)/typescript
	$(BIN)/datamodel-codegen --input $(CONTRACT) --input-file-type openapi \
	  --output $(1)/python/qe_contract/models.py --output-model-type pydantic_v2.BaseModel \
	  --target-python-version 3.11 --use-standard-collections --use-union-operator \
	  --use-annotated --field-constraints --strict-nullable --use-double-quotes \
	  --disable-timestamp --formatters builtin --strict-types bool int float str --use-type-alias
	printf '"""Pydantic models generated from openapi/openapi.yaml by `make generate`. Do not edit."""\n' \
	  > $(1)/python/qe_contract/__init__.py
	: > $(1)/python/qe_contract/py.typed
	cp $(CONTRACT) $(1)/python/qe_contract/openapi.yaml
	cd frontend && npx --no-install openapi-typescript ../$(CONTRACT) \
	  -o $(abspath $(1))/typescript/schema.d.ts --default-non-nullable false --silent
endef

# Both targets generate into a fresh temporary folder (so formatting cannot depend on where the
# output lands); generate then copies it over generated/, check-generated diffs it.
generate: $(VENV_STAMP) $(NODE_STAMP)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(MAKE) --no-print-directory _gen_into GEN_DIR="$$tmp"; \
	rm -rf generated; mkdir generated; cp -r "$$tmp"/. generated/; \
	echo "generated/ written"

check-generated: $(VENV_STAMP) $(NODE_STAMP)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(MAKE) --no-print-directory _gen_into GEN_DIR="$$tmp" >/dev/null; \
	if ! diff -ru generated "$$tmp"; then \
	  echo "generated/ is stale: run 'make generate' and commit the result" >&2; exit 1; fi; \
	echo "generated/ is up to date"

_gen_into:
	$(call gen_into,$(GEN_DIR))

# ---------------------------------------------------------------- quality gates
lint: $(VENV_STAMP)
	$(BIN)/ruff check quant_engine tests bench
	$(BIN)/ruff format --check quant_engine tests bench

typecheck: $(VENV_STAMP)
	$(BIN)/mypy --strict quant_engine

importlint: $(VENV_STAMP)
	$(BIN)/lint-imports

frontend-check: $(NODE_STAMP)
	cd frontend && npm run --silent typecheck

frontend-test: $(NODE_STAMP)
	cd frontend && npm test --silent

# ---------------------------------------------------------------- web UI
# The built UI is rebuilt whenever a source, the generated types or the lock file changed.
UI_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) \
	frontend/index.html frontend/vite.config.ts frontend/tsconfig.json \
	frontend/tsconfig.node.json frontend/contract-bounds.ts \
	generated/typescript/schema.d.ts openapi/openapi.yaml
UI_BUILD := frontend/dist/index.html

$(UI_BUILD): $(NODE_STAMP) $(UI_SOURCES)
	cd frontend && npm run --silent build
	touch $@

ui: $(UI_BUILD)

# Debian's Chromium for the browser tests (playwright cannot download browsers here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

e2e: $(VENV_STAMP) $(UI_BUILD) chromium
	cd frontend && npm run --silent e2e

pytest: $(VENV_STAMP) $(NODE_STAMP)
	$(BIN)/pytest -q

# tests/suite.py runs each stage (contract drift, ruff, mypy, import-linter, tsc, Vitest,
# pytest, schemathesis, browser e2e), echoing its output, then prints a per-stage table and
# one pytest-form summary line counting everything that ran; any failed stage fails the run.
test: $(VENV_STAMP) $(NODE_STAMP)
	$(PY) -m tests.suite

# ---------------------------------------------------------------- fuzzing
# schemathesis CLI against a real uvicorn, with auth on (a token carrying every scope), so
# the ignored-auth check exercises the 401 paths too. No check is excluded. One is tuned:
# schemathesis.toml lets positive_data_acceptance accept the documented 400/422 answers of
# priceOption, impliedVolatility, getBars and listUniverse to schema-valid input that is
# refused on meaning (an unregistered engine name, start after end, a foreign cursor, …),
# and the documented 413 of the two pricing batches when they ask for too much engine work.
fuzz: $(VENV_STAMP)
	$(PY) -m tests.fuzz_server --port $(FUZZ_PORT) --examples $(FUZZ_EXAMPLES)

# ---------------------------------------------------------------- run / bench
run: $(VENV_STAMP) $(UI_BUILD)
	$(PY) -m quant_engine serve --host $(HOST) --port $(PORT)

bench: $(VENV_STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist var .mypy_cache .ruff_cache .pytest_cache
