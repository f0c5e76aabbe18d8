# The public interface of the project: run, test, bench, firmware, package, deploy.
# Everything Python lives in .venv/ at the root; `make setup` builds it (other targets call it).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAGE ?= dev
PORT ?= 8000
S3_PORT ?= 9000

# Debian packages the firmware build, the simulator and the browser tests need.
APT_PACKAGES := gcc-avr avr-libc arduino-core-avr simavr libsimavr-dev libelf-dev chromium chromium-driver

.PHONY: setup system-deps run test bench firmware package deploy clean

$(BIN)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt -e .
	touch $@

setup: $(BIN)/.installed

system-deps:
	@scripts/install-system-deps $(APT_PACKAGES)

run: setup
	$(BIN)/stopmotion serve --port $(PORT) --s3-port $(S3_PORT)

test: setup system-deps
	$(BIN)/pytest $(PYTEST_ARGS)

bench: setup system-deps
	$(BIN)/python -m bench $(BENCH)

firmware: system-deps
	$(MAKE) -C firmware

clean:
	rm -rf $(VENV) var artifacts firmware/build
