# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the fault suite: one lab cluster per backend (see lab_cluster.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

import lab_cluster
import test_day2_changes


# HANET_FAULTS_BACKENDS=keepalived (ucarp, pacemaker) runs that backend's part of the suite: make test-faults runs the
# parts side by side.
BACKENDS = sorted(os.environ.get('HANET_FAULTS_BACKENDS', '').split(',') if os.environ.get('HANET_FAULTS_BACKENDS')
                  else lab_cluster.BACKENDS)


@pytest.fixture(scope='session', params=BACKENDS)
def cluster(request, tmp_path_factory):
    if os.geteuid() != 0:
        pytest.fail('the fault suite drives podman and nftables and must run as root')
    lab = lab_cluster.Cluster(request.param, str(tmp_path_factory.mktemp('faults-%s' % request.param)))
    request.addfinalizer(lab.down)
    lab.up()
    return lab


def pytest_configure(config):
    config.addinivalue_line('markers', 'tracked_service: the test deploys a VIP that follows the members\' service '
                            '(lab_cluster.SERVICE_UNIT) and leaves it so')


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """A backend runs the test modules lab_cluster.BACKEND_MODULES names for it (every module by default). A
    tracked_service test runs last of its backend's tests (after pytest has grouped them by backend): the deploy
    that takes the track away again (a minute or more) is then left out, as the cluster goes down next."""
    def backend_of(item):
        callspec = getattr(item, 'callspec', None)
        return callspec.params.get('cluster') if callspec else None

    def runs(item):
        modules = lab_cluster.BACKEND_MODULES.get(backend_of(item))
        return modules is None or item.path.name in modules

    deselected = [item for item in items if not runs(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if runs(item)]
    groups = {}

    def key(item):
        return groups.setdefault(backend_of(item), len(groups)), item.get_closest_marker('tracked_service') is not None

    items[:] = sorted(items, key=key)


@pytest.fixture(autouse=True)
def base_model(request):
    """Every other test sees the base model: a track a tracked_service test left is taken away first (nothing to
    do in the usual order, where that test comes last)."""
    if 'cluster' in request.fixturenames and request.node.get_closest_marker('tracked_service') is None:
        lab = request.getfixturevalue('cluster')
        if lab.following:
            lab.follow_service(False)


def pytest_sessionfinish(session, exitstatus):
    # Each part keeps its rows in .build/faults-rows/BACKEND.json; the tables are written from every part's rows.
    for backend in BACKENDS:
        lab_cluster.keep_rows(backend, {'faults': lab_cluster.ROWS, 'changes': test_day2_changes.ROWS})
    lab_cluster.write_results()
    test_day2_changes.write_changes()
