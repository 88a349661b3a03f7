# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planned maintenance against a live cluster while the client probes every VIP every 10 ms:
playbooks/maintenance.yml (drain, a redeploy while drained, undrain) and playbooks/rolling_restart.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from lab_cluster import RECOVER_BOUND, record

# Probes (10 ms apart) a VIP may lose during a whole drain + undrain, or a whole rolling restart. The handovers
# are made while the old holder still answers, and most runs lose none (bench/results/failover.md). A vmac VIP
# used to lose a second at a handback until the winner re-announced (see the README); with keepalived 2.3.3 on a
# Debian 13 master it lost that second again in one run (cause not found yet, see the README's Reliability), so
# the bound is that second plus scheduling noise.
LOSS_BOUND = 110


def maintenance(cluster, action):
    return cluster.playbook('-e', 'maintenance_member=%s' % cluster.node1, '-e', 'maintenance_action=%s' % action,
                            name='maintenance.yml')


def finish(cluster, fault, start):
    """Stop the probe, record the row, and check the client's view and the probes lost."""
    seconds = time.time() - start
    view = cluster.client_ok()
    cluster.exec(cluster.client, 'pkill', '-INT', '-f', 'hanet-vip-probe', check=False)
    probe = cluster.probe_result(timeout=130)
    ok = all(reached and mac == expected for reached, mac, expected in view.values())
    record({'backend': cluster.backend, 'fault': fault, 'settled': '%.1f (whole run)' % seconds,
            'bound': '%d probes' % LOSS_BOUND, 'lost': '%d / %d' % (probe['web']['lost'], probe['api']['lost']),
            'outage': '%d / %d' % (probe['web']['outage_ms'], probe['api']['outage_ms']),
            'mac': ok, 'reach': ok, 'result': 'pass' if ok and all(
                p['lost'] <= LOSS_BOUND for p in probe.values()) else 'FAIL'})
    assert ok, view
    for name, result in probe.items():
        assert result['lost'] <= LOSS_BOUND, '%s lost %d probes: %s' % (name, result['lost'], fault)


def test_drain_redeploy_and_undrain_lose_no_probe(cluster):
    cluster.wait(lambda: cluster.single_holder(cluster.node1), RECOVER_BOUND, 'steady state', stable=2)
    cluster.start_probe(90)
    start = time.time()
    maintenance(cluster, 'drain')
    assert cluster.holders_are([cluster.node2]), cluster.holders()
    # Drained means drained: a redeploy and a daemon restart do not bring the VIPs back.
    cluster.playbook()
    cluster.systemctl(cluster.node1, 'restart', *cluster.units)
    time.sleep(6)
    assert cluster.holders_are([cluster.node2]), 'a drained member took a VIP back: %s' % cluster.holders()
    maintenance(cluster, 'undrain')
    assert cluster.holders_are([cluster.node1]), cluster.holders()
    finish(cluster, 'drain, redeploy and restart while drained, undrain', start)


def test_rolling_restart_keeps_every_vip_reachable(cluster):
    cluster.wait(lambda: cluster.single_holder(cluster.node1), RECOVER_BOUND, 'steady state', stable=2)
    cluster.start_probe(120)
    start = time.time()
    cluster.playbook(name='rolling_restart.yml')
    assert cluster.holders_are([cluster.node1]), cluster.holders()
    finish(cluster, 'rolling restart of both members', start)
