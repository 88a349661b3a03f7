# hanet.failover: the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
COLLECTIONS := $(CURDIR)/.build/collections
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := true
export PATH := $(BIN):$(PATH)
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider
# pytest exits 5 when it collects nothing: that is a failure here, every suite has tests.

.PHONY: help setup lab-image test test-unit test-integration test-sanity test-molecule lint demo clean

help:
	@echo "make demo   build the container lab, deploy a keepalived cluster, prove failover, print the report"
	@echo "make test   the whole test suite (sanity, lint, unit, integration, molecule)"

setup:
	@scripts/bootstrap

test: setup
	$(MAKE) --no-print-directory test-unit test-integration test-sanity lint test-molecule

test-unit: setup
	cd $(COLLECTIONS)/ansible_collections/hanet/failover && $(PYTEST) tests/unit -q

test-integration: setup
	cd $(COLLECTIONS)/ansible_collections/hanet/failover && $(PYTEST) tests/integration -q

# ansible-test wants a real ansible_collections/NS/NAME tree outside any other git work tree:
# copy the files git knows (tracked or new, not ignored) there.
# Sanity runs --local in a virtualenv of its own (its pinned linters would clash with ansible-lint's).
# ansible-test bootstraps pip in its per-test venvs with a script from a host CI cannot reach; it takes a
# cached copy first, and tests/sanity/get_pip_from_pypi.py does that job from PyPI.
SANITY_ROOT ?= /tmp/hanet-failover-sanity
SANITY_VENV := $(CURDIR)/.build/sanity-venv
test-sanity: setup
	@if [ ! -x $(SANITY_VENV)/bin/ansible-test ]; then \
	    python3 -m venv $(SANITY_VENV) && \
	    $(SANITY_VENV)/bin/pip install -q "ansible-core==$$($(BIN)/python -c 'import ansible.release as r; print(r.__version__)')"; fi
	@cache=$$HOME/.ansible/test/cache; mkdir -p $$cache; for v in 24_2 25_1 25_3; do \
	    [ -e $$cache/get_pip_$$v.py ] || cp tests/sanity/get_pip_from_pypi.py $$cache/get_pip_$$v.py; done
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_ROOT)/ansible_collections/hanet/failover
	git ls-files -co --exclude-standard -z | rsync -a --from0 --files-from=- ./ $(SANITY_ROOT)/ansible_collections/hanet/failover/
	cd $(SANITY_ROOT)/ansible_collections/hanet/failover && \
	    PATH=$(SANITY_VENV)/bin:$$PATH $(SANITY_VENV)/bin/ansible-test sanity --local --requirements --python 3.11 --color no

MOLECULE_SCENARIOS := keepalived_vmac keepalived_garp ucarp_garp ucarp_vmac

lab-image: setup
	scripts/lab image
	scripts/lab network

# Each scenario: two members and a client under systemd; converge, idempotence, and a real failover drill.
test-molecule: lab-image
	for scenario in $(MOLECULE_SCENARIOS); do $(BIN)/molecule test -s $$scenario || exit 1; done

# FAULT=stop|kill|link_down picks the fault (default: a graceful stop of keepalived on the master).
demo: lab-image
	scripts/demo

lint: setup
	$(BIN)/ansible-lint --offline

clean:
	rm -rf .build
