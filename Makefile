# hanet.failover: the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
COLLECTIONS := $(CURDIR)/.build/collections
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := true
export PATH := $(BIN):$(PATH)
export PYTHONDONTWRITEBYTECODE := 1
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider
# pytest exits 5 when it collects nothing: that is a failure here, every suite has tests.

.PHONY: help setup test test-unit test-integration test-sanity lint clean

help:
	@echo "make demo   build the container lab, deploy a keepalived cluster, prove failover, print the report"
	@echo "make test   the whole test suite (sanity, lint, unit, integration, molecule)"

setup:
	@scripts/bootstrap

test: setup
	$(MAKE) --no-print-directory test-unit test-integration test-sanity lint

test-unit: setup
	cd $(COLLECTIONS)/ansible_collections/hanet/failover && $(PYTEST) tests/unit -q

test-integration: setup
	cd $(COLLECTIONS)/ansible_collections/hanet/failover && $(PYTEST) tests/integration -q

# ansible-test wants a real ansible_collections/NS/NAME tree: copy the files git knows (tracked or new).
test-sanity: setup
	rm -rf .build/sanity && mkdir -p .build/sanity/ansible_collections/hanet/failover
	git ls-files -co --exclude-standard -z | rsync -a --from0 --files-from=- ./ .build/sanity/ansible_collections/hanet/failover/
	cd .build/sanity/ansible_collections/hanet/failover && $(BIN)/ansible-test sanity --venv --python 3.11 --color no

lint: setup
	$(BIN)/ansible-lint --offline

clean:
	rm -rf .build
