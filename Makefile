# The two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: run test test-fast venv dev-venv train backtest bench clean

# Installing is quiet apart from one line that says what is happening (and pip's errors).
$(BIN)/python:
	@echo "capplan: installing into $(VENV) (first run only; a few minutes)..."
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip

# Runtime dependencies, reinstalled only when the pins change.
$(VENV)/.runtime: requirements.txt pyproject.toml | $(BIN)/python
	@if [ -e $@ ]; then echo "capplan: updating $(VENV) ($? changed)..."; fi
	@$(BIN)/python -m pip install -q -r requirements.txt
	@$(BIN)/python -m pip install -q --no-deps -e .
	@touch $@

# Test and benchmark dependencies on top.
$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	@echo "capplan: installing the test dependencies into $(VENV)..."
	@$(BIN)/python -m pip install -q -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.runtime
dev-venv: $(VENV)/.dev

## Run the whole service: Redis (embedded when none answers at REDIS_URL), a worker, the API on PORT.
run: $(VENV)/.runtime
	@PORT=$(PORT) $(BIN)/capplan run

## Run the whole test suite (unit, integration on a real Redis and workers, browser).
test: $(VENV)/.dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Only the tests that need no servers.
test-fast: $(VENV)/.dev
	$(BIN)/python -m pytest -m "not integration and not browser" $(PYTEST_ARGS)

train: $(VENV)/.runtime
	$(BIN)/capplan train $(ARGS)

backtest: $(VENV)/.dev
	$(BIN)/capplan backtest $(ARGS)

bench: $(VENV)/.dev
	for s in benchmarks/bench_*.py; do $(BIN)/python $$s || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
