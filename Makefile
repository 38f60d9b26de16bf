# securepay: every target provisions what it needs on a fresh Debian machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test demo lint format sounds asterisk-up asterisk-down clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || (apt-get update -q && apt-get install -y -q python3-venv)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $(STAMP)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

demo: install
	$(BIN)/python -m securepay.testing.demo

lint: install
	$(BIN)/ruff check securepay tests scripts
	$(BIN)/ruff format --check securepay tests scripts

format: install
	$(BIN)/ruff check --fix securepay tests scripts
	$(BIN)/ruff format securepay tests scripts

sounds: install
	$(BIN)/python scripts/render_sounds.py

asterisk-up: install
	$(BIN)/python -m securepay.testing.rig_cli up

asterisk-down: install
	$(BIN)/python -m securepay.testing.rig_cli down

clean:
	rm -rf $(VENV) .rig .pytest_cache .ruff_cache
