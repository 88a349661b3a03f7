# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Day-2 changes: each change a pipeline applies to a running cluster, by playbooks/cluster.yml, while the client
probes every VIP every 10 ms; then a second run, a failover and a failback. Writes tests/faults/CHANGES.md.

After each change: exactly one member holds each VIP (no address and no raised virtual-MAC macvlan left on
another member, nor an address the change removed), the client's neighbour entry is the expected MAC and ARP is
answered by that MAC only; the VIPs the change did not touch lose no probe; a changed VIP loses at most its row's
bound; the second run reports changed=0 on every member. The rows run in order on the fault suite's clusters and
end where they began (the base model of lab_cluster.py), so the fault tests that follow see the usual cluster.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import time

from lab_cluster import FAILOVER_BOUND, HERE, RECOVER_BOUND, ran_alongside, write_table

CHANGES = os.path.join(HERE, 'CHANGES.md')
ROWS = []

# The VIP the rows add, change and remove, per backend (its own address and VRID on the lab network).
EXTRA = {
    'keepalived': {'name': 'db', 'address': '198.51.100.114/24', 'moved': '198.51.100.115/24', 'vrid': 63},
    'ucarp': {'name': 'db', 'address': '198.51.100.116/24', 'moved': '198.51.100.117/24', 'vrid': 64,
              'auth_pass': 'db-s3cret'},
}
# Probes (10 ms apart) a VIP may lose when its change moves it once away from its holder and back.
# keepalived reloads and keeps the VIP where it is, or hands it over gracefully (usually nothing lost); the bound is
# the second a vmac handback can cost (tests/faults/test_maintenance.py) plus scheduling noise.
# ucarp restarts the changed instance, the holder last: its stop resigns, and the successor's ucarp takes 0.5-0.9 s
# to react and its up script to hold the VIP (the graceful stop row of RESULTS.md); the handback costs less.
HANDOVER_BOUND = {'keepalived': 110, 'ucarp': 200}
# keepalived: a renamed VIP is a new vrrp_instance, and a VIP whose vmac setting changes may be restarted by the
# reload: either can let the address go and start as a backup on every member, so the VIP comes back after an
# election, 3 missed adverts plus the skew (and 1 s for the scripts; at 10 ms a probe). Measured: from none lost
# to 3.4 s (CHANGES.md).
ELECTION_BOUND_KEEPALIVED = int((3 + 0.61 + 1) * 100)

PROBE_OUT = '/tmp/changes-probe.json'


def vmac(vrid):
    return '00:00:5e:00:01:%02x' % vrid


def address(vip):
    return vip['address'].split('/')[0]


def start_probe(cluster, addresses, seconds=240):
    cluster.exec(cluster.client, 'rm', '-f', PROBE_OUT)
    if addresses:
        cluster.exec(cluster.client, 'sh', '-c', 'nohup python3 /usr/local/sbin/hanet-vip-probe %s %d 0.01 %s '
                     '>/dev/null 2>&1 &' % (PROBE_OUT, seconds, ' '.join(addresses)))
        time.sleep(1)


def stop_probe(cluster, addresses):
    if not addresses:
        return {}
    cluster.exec(cluster.client, 'pkill', '-INT', '-f', 'hanet-vip-probe', check=False)
    deadline = time.time() + 30
    while time.time() < deadline:
        proc = cluster.exec(cluster.client, 'cat', PROBE_OUT, check=False)
        if proc.returncode == 0 and proc.stdout.strip():
            return json.loads(proc.stdout)
        time.sleep(0.3)
    raise AssertionError('the probe did not finish')


def changed_counts(output):
    """Host -> changed= from the play recap of an ansible-playbook run."""
    return dict((m.group(1), int(m.group(2)))
                for m in re.finditer(r'^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)', output, re.MULTILINE))


def stale_state(cluster, vips, gone):
    """Problems with who holds what: each VIP on exactly its expected holder, no address in ``gone`` anywhere, and
    no virtual-MAC macvlan raised for a VIP that is not vmac (nor, with ucarp, on a member that does not hold it)."""
    problems = []
    expected = cluster.master()
    allowed_macs = set(vmac(v['vrid']) for v in vips if v.get('mac_mode') == 'vmac')
    for host in cluster.members:
        links = cluster.links(host)
        local = set(info['local'] for link in links for info in link.get('addr_info', []))
        for vip in vips:
            if (address(vip) in local) != (host == expected):
                problems.append('%s %s %s' % (host, 'holds' if host != expected else 'lacks', vip['name']))
        for gone_address in gone:
            if gone_address in local:
                problems.append('%s still holds the removed address %s' % (host, gone_address))
        for link in links:
            mac = link.get('address', '')
            if mac.startswith('00:00:5e:00:01:') and 'UP' in link.get('flags', []):
                # keepalived keeps a vmac interface up on its backups too (without the VIP, sending nothing);
                # ucarp's script raises it on the holder only. Neither may keep one up for a VIP that is not vmac.
                if mac not in allowed_macs or (host != expected and cluster.backend == 'ucarp'):
                    problems.append('%s has %s (%s) up' % (host, link['ifname'], mac))
    return problems


def client_problems(cluster, vips):
    """The client reaches each VIP, its neighbour entry is the expected MAC, and only that MAC answers ARP."""
    problems = []
    view = cluster.client_ok()
    own = cluster.ips[cluster.client]
    replies = json.loads(cluster.exec(cluster.client, 'python3', '/usr/local/sbin/hanet-arp-replies', 'eth0', own,
                                      ','.join(address(v) for v in vips)).stdout)
    for vip in vips:
        reachable, mac, expected = view[vip['name']]
        if not reachable or mac != expected:
            problems.append('%s: reachable %s, client MAC %s, expected %s' % (vip['name'], reachable, mac, expected))
        answers = replies[address(vip)]
        if answers != [expected]:
            problems.append('%s: ARP answered by %s, expected %s only' % (vip['name'], answers, expected))
    return problems


def failover_and_back(cluster):
    """Stop the master's daemon: the other member holds every VIP; start it: the master holds them again."""
    master = cluster.master()
    other = [h for h in cluster.members if h != master][0]
    cluster.systemctl(master, 'stop', *cluster.units)
    try:
        cluster.wait(lambda: cluster.single_holder(other), FAILOVER_BOUND, 'failover to %s' % other)
        problems = client_problems(cluster, cluster.vips)
    finally:
        cluster.systemctl(master, 'start', *cluster.units)
    cluster.wait(lambda: cluster.single_holder(master), RECOVER_BOUND, 'failback to %s' % master, stable=2)
    return problems + ['after the failback: %s' % p for p in client_problems(cluster, cluster.vips)]


def change(cluster, what, vips=None, priorities=None, settings=None, touched=(), bound=None, why=''):
    """Apply one change with cluster.yml and check everything the module docstring lists; record a row."""
    bound = HANDOVER_BOUND[cluster.backend] if bound is None else bound
    row = {'backend': cluster.backend, 'change': what, 'apply': '-', 'untouched': '-', 'touched': '-',
           'bound': '%d (%s)' % (bound, why) if why else '-', 'second': '-', 'failover': '-', 'result': 'FAIL'}
    ROWS.append(row)
    cluster.wait(lambda: cluster.single_holder(cluster.master()), RECOVER_BOUND, 'steady state before', stable=2)
    before = cluster.vips
    after = [dict(v) for v in (vips if vips is not None else before)]
    kept = set(address(v) for v in before) & set(address(v) for v in after)
    gone = set(address(v) for v in before) - kept
    probed = sorted(kept)
    start_probe(cluster, probed)
    cluster.vips = after
    cluster.priorities = dict(priorities or cluster.priorities)
    cluster.settings = dict(settings if settings is not None else cluster.settings)
    cluster.write_inventory()
    start = time.time()
    cluster.playbook()
    row['apply'] = '%.0f s' % (time.time() - start)
    cluster.wait(lambda: cluster.single_holder(cluster.master()), RECOVER_BOUND, 'one holder after the change',
                 stable=2)
    probe = stop_probe(cluster, probed)
    names = dict((address(v), v['name']) for v in after)
    lost = dict((names[a], probe[a]['lost']) for a in probed)
    row['untouched'] = ', '.join('%s %d' % (n, c) for n, c in sorted(lost.items()) if n not in touched) or '-'
    row['touched'] = ', '.join('%s %d' % (n, c) for n, c in sorted(lost.items()) if n in touched) or \
        ('not probed (new address)' if touched else '-')
    problems = stale_state(cluster, after, gone) + client_problems(cluster, after)
    problems += ['%s lost %d probes, untouched by the change' % (n, c) for n, c in lost.items()
                 if n not in touched and c > 0]
    problems += ['%s lost %d probes, bound %d' % (n, c, bound) for n, c in lost.items() if n in touched and c > bound]
    second = changed_counts(cluster.playbook().stdout)
    row['second'] = 'changed=%s' % ','.join(str(second.get(h, '?')) for h in cluster.members)
    problems += ['the second run changed %s on %s' % (second.get(h), h) for h in cluster.members if second.get(h) != 0]
    failover = failover_and_back(cluster)
    row['failover'] = 'ok' if not failover else 'FAIL'
    problems += failover + stale_state(cluster, after, gone)
    assert not problems, '%s (%s): %s' % (what, cluster.backend, '; '.join(problems))
    row['result'] = 'pass'


def test_day2_changes_converge_with_one_holder(cluster):
    base_vips = [dict(v) for v in cluster.vips]
    base_priorities = dict(cluster.priorities)
    base_settings = dict(cluster.settings)
    extra = EXTRA[cluster.backend]
    db = dict((k, v) for k, v in extra.items() if k != 'moved')
    db.update(interface='eth0', mac_mode='garp')
    try:
        change(cluster, 'add a VIP (garp)', vips=base_vips + [db], touched=('db',))
        db['address'] = extra['moved']
        change(cluster, "change a VIP's address", vips=base_vips + [db], touched=('db',))
        keepalived = cluster.backend == 'keepalived'
        election = ELECTION_BOUND_KEEPALIVED if keepalived else None
        db['mac_mode'] = 'vmac'
        change(cluster, 'garp -> vmac', vips=base_vips + [db], touched=('db',), bound=election,
               why='the reload may restart the instance: an election' if keepalived else 'one handover and back')
        db['mac_mode'] = 'garp'
        change(cluster, 'vmac -> garp', vips=base_vips + [db], touched=('db',), bound=election,
               why='the reload may restart the instance: an election' if keepalived else 'one handover and back')
        renamed = dict(db, name='store')
        change(cluster, 'rename a VIP', vips=base_vips + [renamed], touched=('store',), bound=election,
               why='a new instance starts as a backup: an election' if keepalived else 'one handover and back')
        swapped = dict(zip(cluster.members, reversed([base_priorities[h] for h in cluster.members])))
        every = tuple(v['name'] for v in base_vips) + ('store',)
        change(cluster, 'swap the priorities (the master moves)', priorities=swapped, touched=every,
               why='one handover')
        store = [renamed]
        if cluster.backend == 'keepalived':
            # fast is VRRPv3, which has no authentication: the preflight refuses auth_pass there, so the VIPs drop it.
            fast_vips = [dict((k, v) for k, v in vip.items() if k != 'auth_pass') for vip in base_vips + store]
            what = 'default -> fast profile (VRRPv3, auth_pass dropped)'
        else:
            fast_vips, what = base_vips + store, 'default -> fast profile (deadratio 2)'
        change(cluster, what, vips=fast_vips, settings=dict(base_settings, cluster_profile='fast'),
               touched=every, why='one handover and back')
        change(cluster, 'fast -> default profile, priorities back', vips=base_vips + store, settings=base_settings,
               priorities=base_priorities, touched=every, why='one handover')
        change(cluster, 'remove a VIP', vips=base_vips)
    finally:
        if cluster.vips != base_vips or cluster.priorities != base_priorities or cluster.settings != base_settings:
            cluster.vips, cluster.priorities, cluster.settings = base_vips, base_priorities, base_settings
            cluster.write_inventory()
            cluster.deploy()


def write_changes():
    """Called at the end of the session (conftest.py): the table of every row run."""
    if not ROWS:
        return
    head = ['# Day-2 change matrix', '',
            '<!-- Written by tests/faults/test_day2_changes.py (make test-faults). Do not edit; rerun the suite. -->',
            '', 'Generated %s: the fault suite\'s clusters (two members, priorities 150/100, Debian 12 and 13 mixed; '
            'see RESULTS.md), one change after the other, each applied by `playbooks/cluster.yml` over SSH while '
            'the client probes every VIP every 10 ms. Probes lost are counted on the addresses the change keeps '
            '(a new or moved address is not probed during its change). After each change: one holder per VIP and '
            'nothing left elsewhere, the client\'s neighbour entry right and ARP answered by one MAC, a second run '
            'with changed=0, then a failover (the master\'s daemon stopped) and a failback.%s'
            % (time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), ran_alongside()), '']
    write_table(CHANGES, head, ['backend', 'change', 'apply', 'probes lost, untouched VIPs',
                                'probes lost, changed VIPs', 'bound (why)', 'second run', 'failover, failback',
                                'result'],
                ['backend', 'change', 'apply', 'untouched', 'touched', 'bound', 'second', 'failover', 'result'], ROWS)
