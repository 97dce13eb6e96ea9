# The two commands a newcomer needs: `make demo` (the main job) and `make test`. `make bench` measures.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORE := $(VENV)/.installed-core
LINT_PATHS := $(wildcard src tests benchmarks)

.PHONY: test demo play bench lint install browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# the demo needs only descend itself (jax and numpy); the tests need the extras too (study:
# pandas, pyarrow, optuna and ray for descend study). --no-compile: Python compiles the
# modules it imports on first use instead of every file of every package now (the test
# install takes 31 s instead of 57 on 2 cores)
PIP_INSTALL := $(BIN)/python -m pip install --quiet --no-compile

$(CORE): pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e .
	touch $(CORE)

$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e ".[test,study]"
	touch $(CORE) $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

demo: $(CORE)
	$(BIN)/descend race

# the browser playground: descend with its web extra, then `descend play`
play: $(CORE)
	$(PIP_INSTALL) -e ".[web]"
	$(BIN)/descend play --open

# the browser tests drive Debian's Chromium through Playwright (browser downloads are not possible)
browser:
	@command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)

# torch comes from its CPU wheel, pinned: a bare `pip install torch` would pull CUDA builds
bench: $(STAMP)
	$(PIP_INSTALL) torch==2.13.0 -e ".[bench]"
	$(BIN)/python -m benchmarks.run --json benchmarks/results.json
	$(BIN)/python -m benchmarks.history

# one pytest worker a core (at most 4: a worker holds 2-5 GB of compiled programs by the end);
# the web and study folders each stay on one worker (tests/conftest.py)
test: lint browser
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadgroup

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
