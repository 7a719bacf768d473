# The README's two commands: `make demo` and `make test` (`make synth` too). Each creates what it needs on a fresh
# machine (Python 3.11, Node 20, npm) and does not reinstall on a second run.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHECKOV_VENV := .venv-checkov
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo synth test deps lint typecheck unit lint-templates checkov bench clean

# The seed's two examples, run locally: synthesize, simulate both example stacks into local-s3/, query them.
demo: $(VENV)/.installed node_modules/.installed
	$(MAKE) --no-print-directory synth
	$(BIN)/python -m firehose_s3_client.demo --app cdk.out --out local-s3

synth: $(VENV)/.installed node_modules/.installed
	rm -rf cdk.out
	npx --no-install cdk synth --no-notices --quiet

test: $(VENV)/.installed node_modules/.installed $(CHECKOV_VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest
	FIREHOSE_TRANSFORM_PURE_PYTHON=1 $(BIN)/pytest tests/runtime
	$(MAKE) --no-print-directory synth
	$(MAKE) --no-print-directory lint-templates checkov

deps: $(VENV)/.installed node_modules/.installed $(CHECKOV_VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.lock
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.lock
	touch $@

# W7001: aws-cdk-lib's Firehose L2 always adds a CIDR mapping (used only by `connections`) that nothing
# references. W3005: CDK renders a DependsOn the policy's Ref already implies. Both come from aws-cdk-lib.
lint-templates:
	$(BIN)/cfn-lint --ignore-checks W7001 W3005 -- cdk.out/*.template.json

checkov:
	$(CHECKOV_VENV)/bin/checkov -d cdk.out --framework cloudformation --skip-download --quiet --compact

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/transform_bench.py
	$(BIN)/python benchmarks/producer_bench.py
	$(BIN)/python benchmarks/simulate_bench.py

clean:
	rm -rf cdk.out local-s3 .pytest_cache .mypy_cache .ruff_cache
