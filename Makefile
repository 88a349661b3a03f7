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
# The interpreter of every virtualenv here (scripts/venv): Debian's. test-sanity runs ansible-test with
# --python 3.11, Debian 12's python3.
override HANET_PYTHON := $(or $(HANET_PYTHON),/usr/bin/python3)
export HANET_PYTHON
# pytest exits 5 when it collects nothing: that is a failure here, every suite has tests.

.PHONY: help setup lab-image test test-unit test-integration test-sanity test-molecule test-packaging test-docs test-faults lint docs \
	demo bench clean

help:
	@echo "make demo   build the container lab, deploy a keepalived cluster, prove failover, print the report"
	@echo "make test   the whole test suite (unit, integration, sanity, lint, docs, packaging, molecule)"
	@echo "make bench  failover outage and module cost benchmarks; writes bench/results/*.md (about 25 minutes)"
	@echo "make bench-converge  cluster.yml's converge against the anchor keepalived role; writes bench/results/converge.md (about 5 minutes)"
	@echo "make docs   regenerate docs/reference, the diagram, the guide's examples and CHANGELOG.rst"

setup:
	@scripts/bootstrap

# Two phases, each bound by CPU on 2 cores. First the checks without the lab (test-checks): the integration suite
# three tests at a time, sanity, lint, docs and packaging, and the ansible-core 2.21 controller's sanity and packaging,
# while the lab's images and the 2.21 chroot are built (downloads and dpkg, beside the checks). Then the lab suites,
# three at a time: the fault suite's three parts (keepalived, ucarp, pacemaker), each of which then takes the
# Molecule scenarios from a queue (scripts/test-queue) once it is done, the 2.21 controller's scenario first (it
# was the queue's last item, with the 2.21 sanity and packaging), so that the last scenarios run side by side.
# Three, not four: with a fourth suite beside them a ucarp handover in the change matrix lost 2.2 s against its 2 s
# bound (the starved up script, not ucarp). The suites use disjoint containers, addresses and VRIDs. Each suite's
# output is printed when it ends.
TEST_QUEUE := $(CURDIR)/.build/test-queue
# The fault suite's parts (test-faults-BACKEND): defined before the rules that name their targets.
FAULT_BACKENDS := keepalived ucarp pacemaker
test: setup
	$(MAKE) --no-print-directory -j3 --output-sync=target lab-image controller-image test-checks
	rm -rf .build/faults-rows
	scripts/test-queue init $(TEST_QUEUE) controller $(MOLECULE_SCENARIOS)
	rc=0; HANET_FAULTS_ALONGSIDE="the Molecule scenarios (make test)" \
	    $(MAKE) --no-print-directory -j3 --output-sync=target \
	    $(addprefix test-faults-then-queue-,$(FAULT_BACKENDS)) || rc=$$?; \
	    $(MAKE) --no-print-directory test-faults-results || rc=$$?; \
	    $(BIN)/python scripts/test_failures.py $(TEST_QUEUE); exit $$rc

# The checks without the lab, two at a time, while the lab's images and network and the 2.21 chroot are built beside
# them (on a fresh machine three debootstraps: mostly downloads and dpkg, minutes that need not wait for the checks).
.PHONY: test-checks
test-checks: setup
	$(MAKE) --no-print-directory -j2 --output-sync=target test-unit test-integration test-sanity lint test-docs test-packaging \
	    test-controller-checks

.PHONY: $(addprefix test-faults-then-queue-,$(FAULT_BACKENDS))

# A failed part marks the queue failed: the workers take no more scenarios, and make test fails sooner. Its output is
# kept like a queue item's (faults-BACKEND), for scripts/test_failures.py' summary at the end. The log is written as
# the part runs, so that it shows how far the part got (and where a CI timeout cut it): pytest unbuffered, and the
# sub-make without the output sync it would inherit from make test's -O, which holds a recipe's output until it ends.
$(addprefix test-faults-then-queue-,$(FAULT_BACKENDS)): test-faults-then-queue-%:
	PYTHONUNBUFFERED=1 HANET_FAULTS_ALONGSIDE="$${HANET_FAULTS_ALONGSIDE:+$$HANET_FAULTS_ALONGSIDE and }the other parts of the suite" \
	    $(MAKE) --no-print-directory --output-sync=none test-faults-$* 2>&1 | tee $(TEST_QUEUE)/logs/faults-$*.log \
	    || { echo "faults-$*" >> $(TEST_QUEUE)/failed; exit 1; }
	scripts/test-queue work $(TEST_QUEUE)

test-unit: setup
	cd $(COLLECTIONS)/ansible_collections/hanet/failover && $(PYTEST) tests/unit -q

# Three at a time (pytest-xdist): each test has network namespaces of its own (uuid names), and alone the suite kept
# one core half idle for 14 minutes (an ansible-playbook per module run, then waits on timers and captures). Four
# took 8 minutes beside the other checks, and the load stretched a ucarp test's announcement rounds.
INTEGRATION_WORKERS ?= 3
test-integration: setup
	cd $(COLLECTIONS)/ansible_collections/hanet/failover && $(PYTEST) tests/integration -q -n $(INTEGRATION_WORKERS)

# ansible-test wants a real ansible_collections/NS/NAME tree outside any other git work tree:
# copy the files git knows (tracked or new, not ignored) there.
# Sanity runs --local in a virtualenv of its own (its pinned linters would clash with ansible-lint's).
# ansible-test bootstraps pip in its per-test venvs with a script from a host CI cannot reach; it takes a
# cached copy first, and tests/sanity/get_pip_from_pypi.py does that job from PyPI (24_2 to 25_3: the pip versions
# ansible-test 2.19 to 2.21 pin).
SANITY_ROOT ?= /tmp/hanet-failover-sanity
SANITY_VENV := $(CURDIR)/.build/sanity-venv
test-sanity: setup
	@scripts/venv $(SANITY_VENV) "ansible-core==$$($(BIN)/python -c 'import ansible.release as r; print(r.__version__)')"
	@cache=$$HOME/.ansible/test/cache; mkdir -p $$cache; for v in 24_2 25_1 25_2 25_3; do \
	    [ -e $$cache/get_pip_$$v.py ] || cp tests/sanity/get_pip_from_pypi.py $$cache/get_pip_$$v.py; done
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_ROOT)/ansible_collections/hanet/failover
	git ls-files -co --exclude-standard -z | rsync -a --ignore-missing-args --from0 --files-from=- ./ $(SANITY_ROOT)/ansible_collections/hanet/failover/
	cd $(SANITY_ROOT)/ansible_collections/hanet/failover && \
	    PATH=$(SANITY_VENV)/bin:$$PATH $(SANITY_VENV)/bin/ansible-test sanity --local --requirements --python 3.11 --color no \
	    $(SANITY_ARGS)

# pacemaker_vmac runs under the ansible-core 2.21 controller (test-controller-scenario), the others under 2.19.
MOLECULE_SCENARIOS := keepalived_vmac keepalived_garp keepalived_three_node ucarp_garp ucarp_vmac keepalived_firewall keepalived_track \
	pacemaker_garp fleet_two_clusters

lab-image: setup
	scripts/lab image
	scripts/lab network

# Each scenario: two members and a client under systemd; converge, idempotence, and a real failover drill.
test-molecule: lab-image
	scripts/test-queue init $(TEST_QUEUE)-molecule $(MOLECULE_SCENARIOS)
	scripts/test-queue work $(TEST_QUEUE)-molecule || { $(BIN)/python scripts/test_failures.py $(TEST_QUEUE)-molecule; exit 1; }

# The fault matrix over the three backends in the lab; writes tests/faults/RESULTS.md and CHANGES.md. The backends'
# parts run side by side (their clusters share nothing but the CPUs); each keeps its rows in .build/faults-rows,
# and the tables are written from all of them.
test-faults: lab-image
	rm -rf .build/faults-rows
	HANET_FAULTS_ALONGSIDE="$${HANET_FAULTS_ALONGSIDE:+$$HANET_FAULTS_ALONGSIDE and }the other parts of the suite" \
	    $(MAKE) --no-print-directory -j3 --output-sync=target $(addprefix test-faults-,$(FAULT_BACKENDS))
	$(MAKE) --no-print-directory test-faults-results

.PHONY: test-faults-results
test-faults-results:
	cd $(COLLECTIONS)/ansible_collections/hanet/failover && $(BIN)/python -c \
	    'import sys; sys.path.insert(0, "tests/faults"); import lab_cluster, test_day2_changes; \
	     lab_cluster.write_results(); test_day2_changes.write_changes()'

.PHONY: $(addprefix test-faults-,$(FAULT_BACKENDS))
$(addprefix test-faults-,$(FAULT_BACKENDS)): test-faults-%:
	cd $(COLLECTIONS)/ansible_collections/hanet/failover && HANET_FAULTS_BACKENDS=$* COLUMNS=400 $(PYTEST) tests/faults -q -rfE \
	    --durations=8

# BACKEND=keepalived|ucarp|pacemaker picks the failover daemon, FAULT=stop|kill|link_down the fault (default: a graceful
# stop of keepalived on the master; pacemaker takes stop only).
demo: lab-image
	scripts/demo

# Benchmarks (bench/, results in bench/results/). The failover bench and the module bench run at the same time:
# the module bench at nice 19, so the failover timings keep the CPUs they need, and its two approaches side by side.
bench: lab-image
	mkdir -p bench/results .build
	nice -n 19 $(BIN)/python bench/modules.py > .build/bench-modules.log 2>&1 & modules=$$!; \
	    rc=0; $(BIN)/python bench/failover.py || rc=$$?; \
	    wait $$modules || rc=$$?; cat .build/bench-modules.log; exit $$rc

# Only the service_down fault (the service a VIP follows dies on the master; about 7 minutes):
# bench/results/service_down.md, not part of make bench's 25-minute run.
.PHONY: bench-service-down
bench-service-down: lab-image
	$(BIN)/python bench/failover.py --faults service_down --reps 10

# Issue 18 part 2: the converge of a two-member keepalived cluster by playbooks/cluster.yml against the anchor role
# evrardjp/ansible-keepalived (the test fixture tests/fixtures/anchor_keepalived), two clusters side by side and their
# runs alternating: bench/results/converge.md (about 5 minutes), not part of make bench.
.PHONY: bench-converge
bench-converge: lab-image
	mkdir -p bench/results .build
	$(BIN)/python bench/converge.py --reps 5

# Issue 18 part 3: ten two-member clusters in one inventory on a lab network of their own (203.0.113.128/25),
# idempotent converges against the number of clusters and forks (bench/results/fleet.md).
bench-fleet: lab-image
	mkdir -p bench/results
	$(BIN)/python bench/fleet.py --reps 3

# The shipped shell scripts and the repository's own are shellchecked with the Ansible content.
lint: setup
	$(BIN)/ansible-lint --offline
	shellcheck --severity=style roles/ucarp/files/ucarp-vip roles/ucarp/files/ucarp-health roles/keepalived/files/keepalived-release roles/keepalived/files/keepalived-vmac-guard scripts/bootstrap scripts/lab scripts/demo scripts/test-packaging scripts/controller scripts/test-queue scripts/venv

# The reference is built from the code's own documentation; validate-modules first fails on a module whose
# DOCUMENTATION does not match its argument_spec, and the builder on a role whose defaults and spec disagree.
DOCS_SOURCES := docs/guide.md
docs: setup
	$(MAKE) --no-print-directory test-sanity SANITY_ARGS="--test validate-modules"
	rm -rf docs/reference && $(BIN)/python docs/build_reference.py docs/reference
	$(BIN)/python docs/diagrams/render_sequence.py docs/diagrams/failover-sequence.txt docs/images/failover-sequence.svg
	$(BIN)/python docs/sync_includes.py $(DOCS_SOURCES)
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog generate

# What make docs generates is committed; this fails when it is stale (run make docs) or the changelog is invalid.
test-docs: setup
	rm -rf .build/docs-check && mkdir -p .build/docs-check
	$(BIN)/python docs/build_reference.py .build/docs-check/reference >/dev/null
	diff -r docs/reference .build/docs-check/reference || { echo "docs/reference is stale: run make docs"; exit 1; }
	$(BIN)/python docs/diagrams/render_sequence.py docs/diagrams/failover-sequence.txt .build/docs-check/sequence.svg
	cmp -s docs/images/failover-sequence.svg .build/docs-check/sequence.svg || { echo "the diagram is stale: run make docs"; exit 1; }
	$(BIN)/python docs/sync_includes.py --check $(DOCS_SOURCES)
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

# Build the Galaxy tarball, check its contents, install it and use it under ansible-core 2.16 and the current one.
test-packaging: setup
	scripts/test-packaging

# ansible-core 2.21 needs Python >= 3.12, which Debian 12 lacks: it runs from a Debian 13 (trixie) chroot built from
# the host's own mirror, with a virtualenv from PyPI (scripts/controller; reused while current). There: sanity, the
# packaging test (the tarball installed and used under 2.21) and one Molecule scenario (pacemaker_vmac, which runs
# nowhere else), whose containers are the
# host's lab (the chroot's podman is a client of the host's podman service).
CONTROLLER := scripts/controller run
CONTROLLER_SANITY_ROOT := /tmp/hanet-failover-sanity
CONTROLLER_SCENARIO ?= pacemaker_vmac
.PHONY: test-controller controller-image test-controller-checks test-controller-scenario
test-controller: test-controller-checks test-controller-scenario

controller-image: setup
	scripts/controller build

# What needs no lab: make test runs it with the other checks, before the lab suites (test-checks).
test-controller-checks: controller-image
	$(CONTROLLER) /opt/hanet-sanity/bin/python tests/sanity/cache_get_pip.py
	git ls-files -co --exclude-standard -z | $(CONTROLLER) bash -euc 'dest=$(CONTROLLER_SANITY_ROOT)/ansible_collections/hanet/failover; \
	    rm -rf $(CONTROLLER_SANITY_ROOT) && mkdir -p $$dest && rsync -a --ignore-missing-args --from0 --files-from=- ./ $$dest/'
	$(CONTROLLER) bash -euc 'cd $(CONTROLLER_SANITY_ROOT)/ansible_collections/hanet/failover && \
	    PATH=/opt/hanet-sanity/bin:$$PATH ansible-test sanity --local --requirements --python 3.13 --color no $(SANITY_ARGS)'
	$(CONTROLLER) env HANET_PACKAGING_CORES=/opt/hanet-controller/bin scripts/test-packaging

# The lab part: one Molecule scenario under 2.21 (make test's queue item `controller`).
test-controller-scenario: lab-image controller-image
	flock /tmp/hanet-molecule-$(CONTROLLER_SCENARIO).lock $(CONTROLLER) env ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=true \
	    molecule test -s $(CONTROLLER_SCENARIO)

clean:
	rm -rf .build
