# The public interface of the project: run, test, bench, firmware, package, deploy.
# Everything Python lives in .venv/ at the root; `make setup` builds it (other targets call it).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAGE ?= dev
PORT ?= 8000
S3_PORT ?= 9000
# AWS region of the deploy targets; `chalice package` needs one even offline.
REGION ?= $(or $(AWS_DEFAULT_REGION),us-east-1)

# Debian packages the firmware build, the simulator, the browser tests and the
# timestamp overlay (a font for ffmpeg's drawtext) need.
APT_PACKAGES := gcc-avr avr-libc arduino-core-avr g++ doctest-dev simavr libsimavr-dev libelf-dev chromium chromium-driver fonts-dejavu-core

.PHONY: setup system-deps run test bench firmware package deploy front-door fuzz clean

# `make run` installs only what running needs (requirements-run.txt); the other targets add the
# development and test tools (requirements-dev.txt).
# pip stays below 26.3: chalice 1.34, which packages the Lambda with it, requires that.
$(BIN)/.run-installed: requirements.txt requirements-run.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade 'pip<26.3'
	$(BIN)/pip install --quiet -r requirements-run.txt -e .
	touch $@

$(BIN)/.installed: $(BIN)/.run-installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(BIN)/.installed

system-deps:
	@scripts/install-system-deps $(APT_PACKAGES)

run: $(BIN)/.run-installed
	$(BIN)/stopmotion serve --port $(PORT) --s3-port $(S3_PORT) $(if $(CLOCK),--clock $(CLOCK))

test: setup system-deps
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

bench: setup system-deps
	$(BIN)/python -m bench $(BENCH)

firmware: system-deps
	$(MAKE) -C firmware

# Longer fuzzing than `make test` runs: atheris on each target for FUZZ_SECONDS (corpus and any
# crash-* inputs in var/fuzz/), then the hypothesis properties with FUZZ_EXAMPLES examples each.
FUZZ_SECONDS ?= 300
FUZZ_EXAMPLES ?= 20000
fuzz: setup
	@mkdir -p var/fuzz
	for target in jpeg auth; do \
	  $(BIN)/python -m tests.security.fuzz_atheris $$target var/fuzz/$$target \
	    -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=var/fuzz/ -print_final_stats=1 || exit 1; \
	done
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q tests/security/test_fuzz_properties.py

# Deploying (README: Deploying with the front door). Options, passed on only when set:
# STACK, ALARM_EMAIL, PRICE_CLASS, RETENTION_DAYS, ARTIFACT_BUCKET;
# DRY_RUN=1 prints the AWS commands instead of running them.
DEPLOY_ARGS = --stage $(STAGE) --region $(REGION) $(if $(filter-out 0,$(DRY_RUN)),--dry-run) \
	$(if $(STACK),--stack $(STACK)) $(if $(ALARM_EMAIL),--alarm-email $(ALARM_EMAIL)) $(if $(PRICE_CLASS),--price-class $(PRICE_CLASS))
STACK_ARGS = $(if $(RETENTION_DAYS),--retention-days $(RETENTION_DAYS)) \
	$(if $(ARTIFACT_BUCKET),--artifact-bucket $(ARTIFACT_BUCKET))

package: setup
	$(BIN)/python -m infra.deploy package --stage $(STAGE) --region $(REGION)

deploy: package
	$(BIN)/python -m infra.deploy deploy $(strip $(DEPLOY_ARGS) $(STACK_ARGS))

front-door: setup
	$(BIN)/python -m infra.deploy front-door $(strip $(DEPLOY_ARGS))

clean:
	rm -rf $(VENV) var artifacts build firmware/build
