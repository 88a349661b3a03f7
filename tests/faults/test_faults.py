# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault matrix: each fault on the master, for keepalived and for ucarp (see conftest.py). The Pacemaker part's
cluster runs five of these faults within its change matrix (test_day2_changes.py, pacemaker_fault_rows)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

import pytest

from lab_cluster import (BOOT_BOUND, FAILOVER_BOUND, PROBE_FAILOVER_BOUND, RECOVER_BOUND, SERVICE_CHECK, SERVICE_UNIT,
                         SETTLED_PROBE_SECONDS, detection_bound, record, rise_bound)


def lost(probe):
    return '%d / %d' % (probe['web']['lost'], probe['api']['lost'])


def outage(probe):
    return '%d / %d' % (probe['web']['outage_ms'], probe['api']['outage_ms'])


def client_summary(view):
    return (all(mac == expected for dummy, mac, expected in view.values()),
            all(ok for ok, dummy, dummy2 in view.values()))


class Row:
    """One line of RESULTS.md, written whether the test passes or fails. ``suite``: the part whose cluster ran it
    (its rows are kept per part)."""

    def __init__(self, cluster, fault, bound):
        self.row = {'backend': cluster.backend, 'suite': cluster.suite, 'fault': fault, 'settled': '-',
                    'bound': '%.1f' % bound, 'lost': '-', 'outage': '-', 'mac': '-', 'reach': '-', 'result': 'FAIL'}

    def __enter__(self):
        return self.row

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.row['result'] = 'pass'
        record(self.row)
        return False


def probe_seconds(cluster, seconds):
    """How long the client probes through a fault: ``seconds``, or for Pacemaker long enough for its failover
    bound (corosync's token and consensus) and the recovery after it (ended early: see probe_after_settled)."""
    return seconds if cluster.backend != 'pacemaker' else max(seconds, int(cluster.failover_bound) + 6)


def probe_after_settled(cluster, settled_at, host):
    """The probe's figures. Pacemaker's probe is as long as its bound, which a failover rarely needs. Once the VIPs
    have settled, the client sees the right MAC and the cluster has no action left to run (``crm_resource --wait``
    on ``host``, a member in the cluster: nothing else moves until the fault is undone), the probe goes on for
    SETTLED_PROBE_SECONDS and is ended, rather than idling for the rest of its window. Where the cluster does not
    come to rest within a minute, the probe runs its whole window."""
    if cluster.backend != 'pacemaker':
        return cluster.probe_result()
    idle = cluster.exec(host, 'crm_resource', '--wait', '--timeout=60s', check=False).returncode == 0
    if not idle:
        return cluster.probe_result()
    time.sleep(max(0.0, settled_at + SETTLED_PROBE_SECONDS - time.time()))
    return cluster.probe_result(stop=True)


def failover_and_back(cluster, fault, kind, back_bound=None):
    """Fault node1 while the client probes; node2 must be the one holder within the bound, then node1 again."""
    back_bound = cluster.recover_bound if back_bound is None else back_bound
    with Row(cluster, fault, cluster.failover_bound) as row:
        cluster.wait(lambda: cluster.single_holder(cluster.node1), cluster.recover_bound,
                     'steady state before the fault', stable=2)
        cluster.start_probe(probe_seconds(cluster, 10))
        cluster.prepare_fault(kind)
        start = time.time()
        cluster.fault(kind)
        try:
            cluster.wait(lambda: cluster.single_holder(cluster.node2), cluster.failover_bound, 'failover to node2')
            settled = time.time()
            row['settled'] = '%.2f' % (settled - start)
            cluster.check_fenced(kind)
            view = cluster.client_ok()
            row['mac'], row['reach'] = client_summary(view)
            probe = probe_after_settled(cluster, settled, cluster.node2)
            row['lost'], row['outage'] = lost(probe), outage(probe)
            assert row['mac'] and row['reach'], view
        finally:
            cluster.undo(kind)
        cluster.wait(lambda: cluster.single_holder(cluster.node1), back_bound, 'failback to node1')
        view = cluster.client_ok()
        assert client_summary(view) == (True, True), view


def test_sigkill_of_the_master_daemon(cluster):
    failover_and_back(cluster, 'SIGKILL of the daemon', 'kill')


def test_graceful_stop_of_the_master_daemon(cluster):
    since = cluster.exec(cluster.node2, 'date', '+@%s').stdout.strip()
    failover_and_back(cluster, 'graceful stop of the daemon', 'stop')
    if cluster.backend == 'ucarp':
        # ucarp leaves without a word; the unit's ExecStop resigns for it, and the backup takes over on that
        # advertisement ("Putting MASTER down"), not when its timer runs out (which logs no such line).
        journal = cluster.exec(cluster.node2, 'journalctl', '--since', since, '-o', 'cat', '-t', 'ucarp').stdout
        assert journal.count('Putting MASTER') >= len(cluster.vips), journal


def test_master_host_lost_and_back(cluster):
    # Back like a stopped member: ucarp may have seen its link go before it froze, exited, and waits for systemd.
    failover_and_back(cluster, 'host lost (port down, frozen), back', 'host', back_bound=BOOT_BOUND)


def test_master_container_stopped_and_started(cluster):
    failover_and_back(cluster, 'master container stopped, started', 'container', back_bound=BOOT_BOUND)


def test_master_link_down_and_up(cluster):
    # ucarp exits when its link goes down; systemd starts it again after ucarp_restart_sec.
    failover_and_back(cluster, 'master link down, up', 'link', back_bound=BOOT_BOUND)


def test_partition_between_the_members_and_heal(cluster):
    partition_and_heal(cluster)


def partition_and_heal(cluster, fault='partition (split brain expected), heal'):
    """The members cannot hear each other: both hold the VIPs; after the heal node1 alone again."""
    with Row(cluster, fault, cluster.recover_bound) as row:
        cluster.wait(lambda: cluster.single_holder(cluster.node1), cluster.recover_bound,
                     'steady state before the fault', stable=2)
        cluster.partition()
        try:
            cluster.wait(lambda: cluster.holders_are([cluster.node1, cluster.node2]), cluster.failover_bound,
                         'split brain during the partition')
        finally:
            cluster.start_probe(probe_seconds(cluster, 12))
            start = time.time()
            cluster.heal()
        cluster.wait(lambda: cluster.single_holder(cluster.node1), cluster.recover_bound, 'one holder after the heal')
        settled = time.time()
        row['settled'] = '%.2f' % (settled - start)
        view = cluster.client_ok(timeout=15)
        row['mac'], row['reach'] = client_summary(view)
        probe = probe_after_settled(cluster, settled, cluster.node1)
        row['lost'], row['outage'] = lost(probe), outage(probe)
        assert row['mac'] and row['reach'], view


def test_ten_failovers_in_a_row(cluster):
    with Row(cluster, 'ten failovers in a row (flapping)', FAILOVER_BOUND) as row:
        worst = 0.0
        for dummy in range(5):
            for action, holder in (('stop', cluster.node2), ('start', cluster.node1)):
                cluster.wait(cluster.single_holder, RECOVER_BOUND, 'one holder before the next failover')
                start = time.time()
                cluster.systemctl(cluster.node1, action, *cluster.units)
                cluster.wait(lambda h=holder: cluster.single_holder(h), FAILOVER_BOUND, 'failover to %s' % holder)
                worst = max(worst, time.time() - start)
                view = cluster.client_ok()
                assert client_summary(view) == (True, True), view
        row['settled'] = '%.2f (worst)' % worst
        row['mac'], row['reach'] = True, True


def test_all_members_restarted_at_once(cluster):
    with Row(cluster, 'all members restarted at once', BOOT_BOUND) as row:
        start = time.time()
        cluster.exec_podman('restart', '-t', '10', *cluster.members)
        for host in cluster.members:
            cluster.wait_booted(host)
        cluster.wait(lambda: cluster.single_holder(cluster.node1), BOOT_BOUND, 'node1 holding every VIP again')
        row['settled'] = '%.2f' % (time.time() - start)
        view = cluster.client_ok(timeout=15)
        row['mac'], row['reach'] = client_summary(view)
        assert row['mac'] and row['reach'], view


@pytest.mark.tracked_service
def test_tracked_service_stopped_and_started(cluster):
    """The VIP follows the service: with cluster_vips[web].track on the members' service, stopping the service on
    the master moves web to the other member (keepalived: FAULT by the track file; ucarp: ucarp@web stopped, so it
    resigns) while api, which does not follow it, stays; starting the service makes the master eligible again, and
    it takes web back (preempt). The row deploys the track and leaves it (it runs last of its backend's tests; see
    conftest.py)."""
    tracked, node1, node2 = cluster.tracked_vip, cluster.node1, cluster.node2
    untracked = [v['name'] for v in cluster.vips if v['name'] != tracked]
    # Detection (the VIP still answers meanwhile), then a handover: at most a failover's bound. Probes lost (10 ms
    # apart) are bounded by the detection and the failover itself (not the lab's commands that the wider failover
    # bound allows for); generous on purpose, this is no timing benchmark.
    bound = detection_bound(SERVICE_CHECK) + FAILOVER_BOUND
    lost_bound = int((detection_bound(SERVICE_CHECK) + PROBE_FAILOVER_BOUND) * 100)
    with Row(cluster, 'tracked service stopped (%s follows it, %s do%s not), started'
             % (tracked, ', '.join(untracked), 'es' if len(untracked) == 1 else ''), bound) as row:
        cluster.follow_service(True)
        cluster.wait(lambda: cluster.single_holder(node1), RECOVER_BOUND, 'steady state before the fault',
                     stable=2)
        cluster.start_probe(120)
        moved = set()  # untracked VIPs seen anywhere but on node1 at any poll

        def tracked_moved():
            holders = cluster.holders()
            moved.update(n for n in untracked if holders[n] != [node1])
            return holders[tracked] == [node2]

        cluster.systemctl(node1, 'stop', SERVICE_UNIT)
        try:
            # stable: web stays with node2 while the service is down (no flap back, no second holder).
            settled = cluster.wait(tracked_moved, bound, '%s on %s alone after %s stopped'
                                   % (tracked, node2, SERVICE_UNIT), stable=2)
            row['settled'] = '%.2f' % settled
            view = cluster.client_ok()
            row['mac'], row['reach'] = client_summary(view)
            assert tracked_moved() and not moved, 'holders %s; left node1 at some point: %s' % (
                cluster.holders(), sorted(moved))
            assert row['mac'] and row['reach'], view
        finally:
            cluster.systemctl(node1, 'start', SERVICE_UNIT)
        # Eligible again once the check has risen: node1 takes web back by preemption.
        cluster.wait(lambda: cluster.single_holder(node1), rise_bound(SERVICE_CHECK) + RECOVER_BOUND,
                     'node1 taking %s back after %s started' % (tracked, SERVICE_UNIT))
        view = cluster.client_ok()
        assert client_summary(view) == (True, True), view
        figures = cluster.probe_addresses(stop=True)
        probe = dict((v['name'], figures[v['address'].split('/')[0]]) for v in cluster.vips)
        row['lost'], row['outage'] = lost(probe), outage(probe)
        assert not moved, 'untracked VIPs left node1: %s' % sorted(moved)
        assert probe[tracked]['lost'] <= lost_bound, '%s lost %d probes, bound %d' % (
            tracked, probe[tracked]['lost'], lost_bound)
        for name in untracked:
            assert probe[name]['lost'] == 0, '%s lost %d probes though it does not follow the service' % (
                name, probe[name]['lost'])


def test_sysctls_and_secrets_survive(cluster):
    """After every fault: the ARP sysctls are still applied and the secret files are still root's 0600."""
    for host in cluster.members:
        assert cluster.exec(host, 'sysctl', '-n', 'net.ipv4.conf.eth0.arp_ignore').stdout.strip() == '1', host
        files = ['/etc/keepalived/keepalived.conf'] if cluster.backend == 'keepalived' else \
            ['/etc/ucarp/%s.pass' % v['name'] for v in cluster.vips]
        for path in files:
            assert cluster.exec(host, 'stat', '-c', '%U %a', path).stdout.strip() == 'root 600', (host, path)
