# One entry point for developing and testing webstack.tiers. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
# Debian release of the test containers: bookworm (12) or trixie (13).
WEBSTACK_DEBIAN ?= bookworm
export WEBSTACK_DEBIAN
# Bytecode caches must not land in role files that are copied to hosts.
export PYTHONDONTWRITEBYTECODE := 1
# One scenario (or a space-separated list) instead of all of them: make test SCENARIO=smoke
SCENARIO ?=
TOPOLOGY ?= chained

.PHONY: help setup venv prereqs images test lint unit molecule bench demo demo-destroy demo-clean build lock clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

setup: venv prereqs images ## Virtualenv, Docker engine and test images

venv: $(VENV)/.installed ## Create or update the virtualenv from requirements.txt

$(VENV)/.installed: requirements.txt
	@echo "==> virtualenv $(VENV)"
	@test -x $(BIN)/python || python3 -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -r requirements.txt
	@touch $@

prereqs: ## Check (on Debian as root: install and start) Docker and debootstrap
	@tools/bootstrap-host.sh

images: prereqs ## Build the Debian test image for WEBSTACK_DEBIAN unless it is current
	@tools/build-image.sh $(WEBSTACK_DEBIAN)

test: lint unit molecule ## Lint, unit tests and every Molecule scenario

lint: venv ## yamllint and ansible-lint (production profile)
	@echo "==> yamllint"
	@yamllint --strict .
	@echo "==> ansible-lint --profile production"
	@ansible-lint --profile production

unit: venv ## pytest: the sample app, filters, argument specs
	@echo "==> unit tests"
	@python -m pytest -q tests/unit

molecule: venv images ## Every Molecule scenario, or those named in SCENARIO
	@tools/run-scenarios.sh $(SCENARIO)

bench: venv images ## Provision the stacks and load them with wrk; figures to bench/results/ (BENCH_ARGS=--help)
	@python bench/run.py $(BENCH_ARGS)

demo: venv ## One throwaway container with the whole stack, then requests through it (TOPOLOGY=chained|split)
	@tools/demo.sh up $(TOPOLOGY)

demo-destroy: venv ## Remove the demo container
	@tools/demo.sh down

demo-clean: venv ## Remove the demo container, the test images, the package caches and the demo log
	@tools/demo.sh clean

build: venv ## Build the collection tarball
	@ansible-galaxy collection build --force --output-path dist .

lock: ## Re-resolve requirements.in into the pinned requirements.txt
	@rm -rf .venv-lock && python3 -m venv .venv-lock
	@.venv-lock/bin/python -m pip install -q --upgrade pip
	@.venv-lock/bin/python -m pip install -q -r requirements.in
	@.venv-lock/bin/python -m pip freeze --exclude-editable | sort > requirements.txt
	@rm -rf .venv-lock

clean: ## Remove the virtualenv, build output and caches
	rm -rf $(VENV) dist .pytest_cache .ansible
