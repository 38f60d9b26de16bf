# securepay: every target provisions what it needs on a fresh Debian machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test demo bench lint format sounds asterisk-up asterisk-down clean install-service

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

# Benchmarks (not tests): writes bench/results/latest.{json,md,png}. BENCH_QUICK=1: reduced sweep.
bench: install
	$(BIN)/pip install -q -e '.[test,bench]'
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check securepay tests scripts bench
	$(BIN)/ruff format --check securepay tests scripts bench

format: install
	$(BIN)/ruff check --fix securepay tests scripts bench
	$(BIN)/ruff format securepay tests scripts bench

sounds: install
	$(BIN)/python scripts/render_sounds.py

asterisk-up: install
	$(BIN)/python -m securepay.testing.rig_cli up

asterisk-down: install
	$(BIN)/python -m securepay.testing.rig_cli down

# The daemon as a systemd service (as root): the package in its own venv under
# $(SERVICE_PREFIX), the unit, and the example config unless a config exists.
SERVICE_PREFIX ?= /opt/securepay
SERVICE_CONFIG ?= /etc/securepay/securepay.toml
SYSTEMD_UNIT_DIR ?= /etc/systemd/system

install-service:
	@test "$$(id -u)" = 0 || { echo "make install-service: run as root" >&2; exit 1; }
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || (apt-get update -q && apt-get install -y -q python3-venv)
	$(PYTHON) -m venv $(SERVICE_PREFIX)/.venv
	$(SERVICE_PREFIX)/.venv/bin/pip install -q --upgrade pip
	$(SERVICE_PREFIX)/.venv/bin/pip install -q .
	install -D -m 0644 sounds/catalogue.toml $(SERVICE_PREFIX)/.venv/share/securepay/catalogue.toml
	install -d -m 0755 $(SYSTEMD_UNIT_DIR)
	sed -e 's|/opt/securepay|$(SERVICE_PREFIX)|g' -e 's|/etc/securepay/securepay.toml|$(SERVICE_CONFIG)|g' \
		deploy/securepay.service > $(SYSTEMD_UNIT_DIR)/securepay.service
	chmod 0644 $(SYSTEMD_UNIT_DIR)/securepay.service
	@if [ -e $(SERVICE_CONFIG) ]; then \
		echo "kept $(SERVICE_CONFIG)"; \
	else \
		install -D -m 0600 deploy/securepay.toml.example $(SERVICE_CONFIG); \
		echo "wrote $(SERVICE_CONFIG): set the passwords in it"; \
	fi
	@if [ -d /run/systemd/system ]; then \
		systemctl daemon-reload; \
	else \
		echo "systemd is not running here: run 'systemctl daemon-reload' on the target"; \
	fi
	@echo "next: securepay check: $(SERVICE_PREFIX)/.venv/bin/securepay check --config $(SERVICE_CONFIG)"
	@echo "then: systemctl enable --now securepay"

clean:
	rm -rf $(VENV) .rig .pytest_cache .ruff_cache
