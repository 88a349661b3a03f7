# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the fault suite: one lab cluster per backend (see lab_cluster.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

import lab_cluster
import test_day2_changes


# HANET_FAULTS_BACKENDS=keepalived (or ucarp) runs half the suite: make test-faults runs the halves side by side.
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


def pytest_sessionfinish(session, exitstatus):
    # Each half keeps its rows in .build/faults-rows/BACKEND.json; the tables are written from every half's rows.
    for backend in BACKENDS:
        lab_cluster.keep_rows(backend, {'faults': lab_cluster.ROWS, 'changes': test_day2_changes.ROWS})
    lab_cluster.write_results()
    test_day2_changes.write_changes()
