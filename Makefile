# The two Quickstart commands (see README.md): `make up` serves every built-in partner, `make test` runs
# the whole suite. Both create .venv on first use and refresh it when pyproject.toml changes.
# `make bench` compares mockpartners with sshd and vsftpd (docs/performance.md); it is not part of `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: up test lint check bench clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

up: $(INSTALLED)
	$(BIN)/mockpartners up $(ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest $(ARGS)

bench: $(INSTALLED)
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
