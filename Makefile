# OpenMASH: `make demo` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
PYENV_PY := $(shell (pyenv root 2>/dev/null || echo $$HOME/.pyenv))/versions/3.12.1/bin/python3.12
PYTHON ?= $(or $(shell command -v python3.12 2>/dev/null),$(wildcard $(PYENV_PY)))
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
DEMO_DB ?= var/openmash.sqlite3
DEMO_HOUSEHOLDS ?= 400

.PHONY: install demo test lint typecheck unit bench screenshots clean

$(BIN)/uv:
	@test -n "$(PYTHON)" || { echo "Python 3.12 not found: install it with pyenv (pyenv install 3.12.1)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q uv==0.13.9

# Bytecode is compiled at install: with PYTHONDONTWRITEBYTECODE set (as on some hosts) every command would
# otherwise compile Django, Splink and OpenMASH from source again (about 2 s per command).
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q src/openmash
	touch $@

install: $(VENV)/.installed

demo: install
	OPENMASH_DEMO=1 $(BIN)/openmash migrate --noinput -v0
	OPENMASH_DEMO=1 $(BIN)/openmash demo --households $(DEMO_HOUSEHOLDS)
	OPENMASH_DEMO=1 $(BIN)/openmash runserver 127.0.0.1:8000

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports 2>/dev/null || true

typecheck: install
	$(BIN)/mypy src/openmash

unit: install
	OPENMASH_TESTING=1 $(BIN)/pytest -n 2 --dist loadfile

test: lint typecheck unit

bench: install
	$(BIN)/python bench/run.py

screenshots: install
	OPENMASH_TESTING=1 $(BIN)/pytest -m browser --screenshots docs/screenshots

clean:
	rm -rf $(VENV) var
