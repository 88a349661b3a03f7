# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""make demo, last step: the master's host lost, with the default profile and with `fast`, side by side.

A host loss in the lab is the master's bridge port down and its processes frozen at the same instant (see
tests/faults/lab_cluster.py); nothing it sends or answers reaches anyone, until it comes back. The demo cluster
(playbooks/inventories/demo.yml's members, VIPs and priorities) is deployed with each profile in turn by
playbooks/cluster.yml over SSH, the client probes both VIPs every 10 ms, and the outage each VIP had is printed.

Usage: scripts/demo_host_loss.py BACKEND DEBIAN   (as root, after scripts/demo has brought the lab up)
"""

from __future__ import absolute_import, division, print_function

import os
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'tests', 'faults'))

import yaml  # noqa: E402  pylint: disable=wrong-import-position

import lab_cluster  # noqa: E402  pylint: disable=wrong-import-position

PROFILES = {
    'keepalived': {'default': 'VRRPv2, adverts every 1 s', 'fast': 'VRRPv3, adverts every 30 ms'},
    'ucarp': {'default': 'advbase 1 s, deadratio 3', 'fast': 'advbase 1 s, deadratio 2'},
    'pacemaker': {'default': 'corosync token 3 s, consensus 3.6 s', 'fast': 'corosync token 1 s, consensus 1.2 s'},
}
COLUMN = {'keepalived': 'adverts', 'ucarp': 'adverts', 'pacemaker': 'membership'}


def demo_spec(backend, debian):
    """The demo cluster as scripts/demo deployed it: demo.yml, and for pacemaker demo_pacemaker.yml's VIPs."""
    inventories = os.path.join(REPO, 'playbooks', 'inventories')
    with open(os.path.join(inventories, 'demo.yml')) as handle:
        inventory = yaml.safe_load(handle)['all']['children']
    members = inventory['failover_members']['hosts']
    client = inventory['failover_clients']['hosts']
    hosts = sorted(members) + list(client)
    vips = inventory['failover_members']['vars']['cluster_vips']
    if backend == 'pacemaker':
        with open(os.path.join(inventories, 'demo_pacemaker.yml')) as handle:
            vips = yaml.safe_load(handle)['cluster_vips']
    return {'prefix': 'demo', 'ips': tuple((dict(members, **client))[h]['ansible_host'] for h in hosts),
            'suites': (debian,) * 3, 'vips': vips,
            'priorities': dict((h, members[h]['cluster_priority']) for h in members)}


def main():
    backend, debian = sys.argv[1], sys.argv[2]
    spec = demo_spec(backend, debian)
    cluster = lab_cluster.Cluster(backend, tempfile.mkdtemp(prefix='hanet-demo-'), spec=spec, name='demo')
    cluster.priorities = spec['priorities']
    base_vips = [dict(v) for v in spec['vips']]
    rows = []
    for profile in ('default', 'fast'):
        # keepalived's fast profile is VRRPv3, which has no authentication (the preflight refuses auth_pass there).
        keep_auth = backend == 'ucarp' or profile == 'default'
        cluster.vips = [dict((k, v) for k, v in vip.items() if keep_auth or k != 'auth_pass') for vip in base_vips]
        cluster.settings = {'cluster_profile': profile}
        cluster.write_inventory()
        cluster.playbook()
        cluster.wait(lambda: cluster.single_holder(cluster.node1), lab_cluster.BOOT_BOUND, 'node1 holding every VIP',
                     stable=2)
        cluster.start_probe(30)
        cluster.fault('host')
        try:
            cluster.wait(lambda: cluster.single_holder(cluster.node2), cluster.failover_bound,
                         'failover to node2')
            time.sleep(1)
            probe = cluster.probe_addresses(stop=True)
        finally:
            cluster.undo('host')
        cluster.wait(lambda: cluster.single_holder(cluster.node1), cluster.recover_bound, 'node1 back', stable=2)
        for vip in cluster.vips:
            result = probe[vip['address'].split('/')[0]]
            rows.append([profile, PROFILES[backend][profile], vip['name'], vip['mac_mode'],
                         '%d/%d' % (result['lost'], result['sent']), str(result['outage_ms'])])
    cols = ['profile', COLUMN[backend], 'vip', 'mode', 'probes lost', 'outage ms']
    widths = [max(len(str(x)) for x in col) for col in zip(cols, *rows)]
    print('backend: %s, fault: the master\'s host lost (bridge port down, processes frozen), then back' % backend)
    for row in [cols, ['-' * w for w in widths]] + rows:
        print('  '.join(str(x).ljust(w) for x, w in zip(row, widths)))


if __name__ == '__main__':
    main()
