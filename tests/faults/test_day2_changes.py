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

from lab_cluster import HERE, kept_rows, ran_alongside, vrrp_mac, write_table
import test_faults

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

# keepalived <-> ucarp: the new backend is configured first; then the old one stops and its files go on every
# member (the VIPs are down from here: a handful of tasks over SSH, 4-6 s in the lab), the new one starts, and
# its first election takes 3 missed adverts plus the skew (3-4 s). Measured about 8 s (CHANGES.md); the bound
# allows three times the tasks' share for a loaded CI machine.
SWITCH_BOUND = 2500
# Switching to or from Pacemaker: the VIPs are down from the old backend's stop (ucarp's, or Pacemaker's
# stop-all-resources) to the new one's start, a handful of tasks over SSH. Measured 4.4-5.4 s to Pacemaker and
# 8.5-9.1 s back on an idle lab machine, 5.5-10.3 s beside a Molecule scenario, and 21.8-24.5 s to Pacemaker in a
# whole make test on a slow 2-core machine (each task took 2-4 s there), and 27-39 s both ways with five lab suites
# at a time on 2 cores (the Pacemaker part checked beside a whole make test); the bound is 1.5 times that.
PACEMAKER_SWITCH_BOUND = 6000
# Pacemaker moves a VIP gracefully (its node stops it, then the other starts it; a vmac VIP is a group of two
# resources, so four agent runs one after the other): 0.1-0.3 s for garp and 0.7-0.9 s for vmac on an idle machine
# (bench/results/failover.md), 0.8 s for vmac with four lab suites on 2 cores, and 4.6 s for vmac (api, garp, within
# 3 s) to a member the run had just installed, with three lab suites at a time on 2 cores (a clean-clone
# make test, session 20; each agent run forks dozens of programs, IPaddr2 most). The bound is 1.5 times that.
PACEMAKER_HANDOVER_BOUND = 700


def address(vip):
    return vip['address'].split('/')[0]


def changed_counts(output):
    """Host -> changed= from the play recap of an ansible-playbook run."""
    return dict((m.group(1), int(m.group(2)))
                for m in re.finditer(r'^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)', output, re.MULTILINE))


def stale_state(cluster, vips, gone):
    """Problems with who holds what: each VIP on exactly its expected holder, no address in ``gone`` anywhere, and
    no virtual-MAC macvlan raised for a VIP that is not vmac (nor, with ucarp, on a member that does not hold it)."""
    problems = []
    expected = cluster.master()
    allowed_macs = set(vrrp_mac(v['vrid']) for v in vips if v.get('mac_mode') == 'vmac')
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
                # ucarp's script and Pacemaker's vmac agent raise it on the holder only. None may keep one up for a
                # VIP that is not vmac.
                if mac not in allowed_macs or (host != expected and cluster.backend != 'keepalived'):
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


# What the roles put on a member, per backend (the cluster role's own files under "cluster").
ROLE_FILES = {
    'keepalived': ['/etc/keepalived/keepalived.conf', '/etc/keepalived/hanet-vips', '/etc/keepalived/hanet-secrets',
                   '/usr/local/libexec/hanet-failover/keepalived-release',
                   '/usr/local/libexec/hanet-failover/keepalived-resign',
                   '/usr/local/libexec/hanet-failover/keepalived-vmac-guard',
                   '/usr/local/lib/hanet-failover-keepalived/ansible_collections/hanet/failover',
                   '/etc/systemd/system/keepalived.service.d/hanet-failover.conf'],
    'ucarp': ['/etc/ucarp/web.conf', '/etc/ucarp/web.pass', '/etc/ucarp/api.conf', '/etc/ucarp/api.pass',
              '/etc/systemd/system/ucarp@.service', '/usr/local/libexec/hanet-failover/ucarp-vip',
              '/usr/local/lib/hanet-failover/ansible_collections/hanet/failover'],
    'pacemaker': ['/etc/corosync/corosync.conf', '/etc/corosync/authkey', '/var/lib/pacemaker/cib/cib.xml',
                  '/usr/lib/ocf/resource.d/hanet', '/usr/local/libexec/hanet-failover/hanet-vmac',
                  '/usr/local/lib/hanet-failover-pacemaker/ansible_collections/hanet/failover'],
    'cluster': ['/etc/hanet-failover/backend', '/etc/hanet-failover/maintenance'],
}
# The units each backend runs (systemctl patterns).
BACKEND_UNITS = {'keepalived': ['keepalived.service'], 'ucarp': ['ucarp@*'],
                 'pacemaker': ['pacemaker.service', 'corosync.service']}


def backend_left(cluster, host, backend, files):
    """Problems: the backend's units still active or enabled on host, or any of ``files`` still there."""
    problems = []
    patterns = BACKEND_UNITS.get(backend, [])
    active = cluster.exec(host, 'systemctl', 'list-units', '--all', '--no-legend', '--plain', '--state=active',
                          *patterns, check=False).stdout.split() if patterns else []
    if active:
        problems.append('%s: %s still active (%s)' % (host, backend, active[0]))
    enabled = cluster.exec(host, 'sh', '-c', 'systemctl list-unit-files --no-legend --plain --state=enabled "$@"; '
                           'ls /etc/systemd/system/multi-user.target.wants/', '-', *patterns,
                           check=False).stdout if patterns else ''
    if any(pattern.rstrip('*').replace('.service', '') in enabled for pattern in patterns):
        problems.append('%s: %s still enabled' % (host, backend))
    left = cluster.exec(host, 'sh', '-c', 'for f in "$@"; do [ -e "$f" ] && echo "$f"; done; true', '-',
                        *files).stdout.split()
    problems += ['%s: %s left behind' % (host, f) for f in left]
    return problems


def retired_left(cluster, host):
    """Problems on a member the run took out of the cluster: it holds nothing, runs no backend, kept none of the
    roles' files; then, taken out of the inventory, the next run changes nothing on the others."""
    problems = []
    local = set(info['local'] for link in cluster.links(host) for info in link.get('addr_info', []))
    problems += ['%s still holds %s' % (host, vip['name']) for vip in cluster.vips if address(vip) in local]
    problems += ['%s has %s up' % (host, link['ifname']) for link in cluster.links(host)
                 if link.get('address', '').startswith('00:00:5e:00:01:')]
    for backend in ('keepalived', 'ucarp', 'pacemaker'):
        problems += backend_left(cluster, host, backend, ROLE_FILES[backend])
    problems += backend_left(cluster, host, None, ROLE_FILES['cluster'])
    if cluster.backend == 'pacemaker':
        problems += pacemaker_forgot(cluster, host)
    cluster.forget_member(host)
    cluster.write_inventory()
    after = changed_counts(cluster.playbook().stdout)
    problems += ['the run without %s changed %s on %s' % (host, after.get(h), h) for h in cluster.members
                 if after.get(h) != 0]
    return problems


def pacemaker_forgot(cluster, gone):
    """Problems on the Pacemaker members that stay after ``gone`` left: it is still in the CIB's nodes or in
    corosync's nodelist, or the cluster is not quorate."""
    problems = []
    for host in cluster.members:
        nodes = cluster.exec(host, 'cibadmin', '--query', '--scope', 'nodes').stdout
        if 'uname="%s"' % gone in nodes or 'uname="%s"' % host not in nodes:
            problems.append('%s: the CIB has the node %s, or not this one: %s' % (host, gone, nodes))
        nodelist = cluster.exec(host, 'corosync-cmapctl', '-b', 'nodelist.node').stdout
        if cluster.ips[gone] in nodelist or cluster.ips[host] not in nodelist:
            problems.append('%s: corosync\'s nodelist has %s, or not this one: %s' % (host, gone, nodelist))
        quorum = cluster.exec(host, 'corosync-quorumtool', '-s', check=False).stdout
        # Two nodes left: corosync's reload must have turned two_node on (one node keeps quorum when the other is lost).
        flags = re.search(r'^Flags:(.*)$', quorum, re.MULTILINE)
        if not re.search(r'^Quorate:\s+Yes', quorum, re.MULTILINE) or (
                len(cluster.members) == 2 and not (flags and '2Node' in flags.group(1).split())):
            problems.append('%s: the cluster is not quorate, or two nodes run without two_node: %s'
                            % (host, ' '.join(quorum.split())))
    return problems


def switched_left(cluster, old):
    """Problems after a change of backend: the old one runs or left files on a member, or the record is wrong."""
    problems = []
    for host in cluster.members:
        problems += backend_left(cluster, host, old, ROLE_FILES[old])
        record = cluster.exec(host, 'cat', '/etc/hanet-failover/backend', check=False).stdout.strip()
        if record != cluster.backend:
            problems.append('%s: /etc/hanet-failover/backend says %r' % (host, record))
    return problems


def failover_and_back(cluster):
    """Stop the master's daemon: the other member holds every VIP; start it: the master holds them again."""
    master, other = cluster.master(), cluster.successor()
    cluster.systemctl(master, 'stop', *cluster.units)
    try:
        cluster.wait(lambda: cluster.single_holder(other), cluster.failover_bound, 'failover to %s' % other)
        problems = client_problems(cluster, cluster.vips)
    finally:
        cluster.systemctl(master, 'start', *cluster.units)
    cluster.wait(lambda: cluster.single_holder(master), cluster.recover_bound, 'failback to %s' % master, stable=2)
    return problems + ['after the failback: %s' % p for p in client_problems(cluster, cluster.vips)]


def change(cluster, what, vips=None, priorities=None, settings=None, touched=(), bound=None, why='', backend=None,
           before_apply=None, checks=None):
    """Apply one change with cluster.yml and check everything the module docstring lists; record a row.
    ``before_apply`` changes the lab cluster's model (a member added or marked absent) after the probe starts;
    ``checks`` returns more problems after the second run (what a leaving member or an old backend left)."""
    bound = HANDOVER_BOUND[cluster.backend] if bound is None else bound
    row = {'backend': cluster.suite, 'suite': cluster.suite, 'change': what, 'apply': '-', 'untouched': '-', 'touched': '-',
           'bound': '%d (%s)' % (bound, why) if why else '-', 'second': '-', 'failover': '-', 'result': 'FAIL'}
    ROWS.append(row)
    cluster.wait(lambda: cluster.single_holder(cluster.master()), cluster.recover_bound, 'steady state before',
                 stable=2)
    before = cluster.vips
    after = [dict(v) for v in (vips if vips is not None else before)]
    kept = set(address(v) for v in before) & set(address(v) for v in after)
    gone = set(address(v) for v in before) - kept
    probed = sorted(kept)
    if probed:
        cluster.start_probe(600, probed)
    if before_apply:
        before_apply()
    cluster.backend = backend or cluster.backend
    cluster.vips = after
    cluster.priorities = dict(priorities or cluster.priorities)
    cluster.settings = dict(settings if settings is not None else cluster.settings)
    cluster.write_inventory()
    start = time.time()
    cluster.playbook()
    row['apply'] = '%.0f s' % (time.time() - start)
    cluster.wait(lambda: cluster.single_holder(cluster.master()), cluster.recover_bound, 'one holder after the change',
                 stable=2)
    probe = cluster.probe_addresses(stop=True) if probed else {}
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
    problems += ['the second run changed %s on %s' % (second.get(h), h)
                 for h in cluster.members + cluster.leaving if second.get(h) != 0]
    problems += checks() if checks else []
    failover = failover_and_back(cluster)
    row['failover'] = 'ok' if not failover else 'FAIL'
    problems += failover + stale_state(cluster, after, gone)
    assert not problems, '%s (%s): %s' % (what, cluster.backend, '; '.join(problems))
    row['result'] = 'pass'


def pacemaker_fault_rows(cluster):
    """Fault rows of the Pacemaker part's cluster (RESULTS.md, backend pacemaker), within its change matrix, which
    turns fencing on among them. First without fencing: a graceful stop, and a partition (with
    two_node each side keeps quorum and, without fencing, takes the VIPs; with fencing each side would fence the
    other, which the fence delays are for). Then the cluster fences through the lab's BMCs (fence_ipmilan, which the
    role installs; a change of its own), and the faults that need fencing run: SIGKILL of corosync (the membership;
    see playbooks/failover_drill.yml for why not of Pacemaker), the link down, the host lost. Each time node2 fences
    node1 (its BMC cuts its port, kills it and, after the firmware's delay, boots it), then takes the VIPs; node1
    boots, rejoins and takes them back."""
    test_faults.failover_and_back(cluster, 'graceful stop of the daemon', 'stop')
    test_faults.partition_and_heal(cluster)
    # The drill refuses kill without fencing, and changes nothing.
    started = cluster.started_at(cluster.node1)
    refused = drill(cluster, 'kill', check=False)
    assert refused.returncode != 0 and 'needs fencing' in refused.stdout, refused.stdout[-3000:]
    assert cluster.single_holder(cluster.node1) and cluster.started_at(cluster.node1) == started
    # The role installs no recommended package: Debian 12's pacemaker recommends fence-agents (every agent, with the
    # cloud agents' libraries), which the lab's repository holds. No agent is there until the inventory names one.
    for host in (cluster.node1, cluster.node2):
        found = cluster.exec(host, 'test', '-e', '/usr/sbin/fence_ipmilan', check=False).returncode == 0
        assert not found, '%s (%s) has fence_ipmilan, which no inventory named' % (host, cluster.suites[host])
    change(cluster, 'pacemaker: fence through the lab BMCs (fence_ipmilan, installed by the role)',
           settings=cluster.fence_with_bmcs(), bound=PACEMAKER_HANDOVER_BOUND,
           why='no VIP moves: the fence devices start, stonith-enabled')
    test_faults.failover_and_back(cluster, 'SIGKILL of corosync (fenced, rebooted)', 'kill')
    test_faults.failover_and_back(cluster, 'master link down (fenced, rebooted)', 'link')
    test_faults.failover_and_back(cluster, 'host lost (port down, frozen; fenced, rebooted)', 'host')
    # The drill's kill on a fenced Pacemaker cluster: node1 is fenced (rebooted), node2 takes the VIPs, node1 takes
    # them back once it has rebooted, and the drill says it saw the reboot.
    started = cluster.started_at(cluster.node1)
    report = os.path.join(cluster.tmp, 'drill-kill.json')
    drill(cluster, 'kill', '-e', 'failover_drill_report_file=%s' % report)
    with open(report) as handle:
        result = json.load(handle)
    assert result['faulted_member'] == cluster.node1 and result['faulted_member_fenced'] is True, result
    assert all(v['holder_after'] == cluster.node2 and v['holder_after_failback'] == cluster.node1
               for v in result['vips'].values()), result
    assert cluster.started_at(cluster.node1) != started, 'the drill saw a reboot that the lab did not make'


def drill(cluster, fault, *extra, **kwargs):
    """playbooks/failover_drill.yml with that fault against the cluster."""
    return cluster.playbook('-e', 'failover_drill_fault=%s' % fault, *extra, name='failover_drill.yml', **kwargs)


def advert_changes(cluster, base_vips, base_priorities, base_settings):
    """The keepalived and ucarp parts' rows: VIPs added, changed, renamed and removed, priorities, profiles, a member
    added and removed; the keepalived part also switches its cluster to ucarp and back."""
    extra = EXTRA[cluster.backend]
    db = dict((k, v) for k, v in extra.items() if k != 'moved')
    db.update(interface='eth0', mac_mode='garp')
    change(cluster, 'add a VIP (garp)', vips=base_vips + [db], touched=('db',))
    db['address'] = extra['moved']
    change(cluster, "change a VIP's address", vips=base_vips + [db], touched=('db',))
    keepalived = cluster.backend == 'keepalived'
    # keepalived replaces an instance whose vmac setting changes: the holder's gives the VIP up with a priority
    # 0 advert and the backup takes over after its skew; the holder reloads last, so no member is reloading then
    # (which used to cost an election, 3.4 s, in some runs).
    db['mac_mode'] = 'vmac'
    change(cluster, 'garp -> vmac', vips=base_vips + [db], touched=('db',),
           why='the instance is replaced: one handover, holders reload last' if keepalived else 'one handover and back')
    db['mac_mode'] = 'garp'
    change(cluster, 'vmac -> garp', vips=base_vips + [db], touched=('db',),
           why='the instance is replaced: one handover, holders reload last' if keepalived else 'one handover and back')
    renamed = dict(db, name='store')
    change(cluster, 'rename a VIP', vips=base_vips + [renamed], touched=('store',),
           why='keepalived matches instances by VRID: the same instance' if keepalived else 'one handover and back')
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
    every = tuple(v['name'] for v in base_vips)
    change(cluster, 'add a member: a bare host with the highest priority (it takes every VIP)',
           before_apply=lambda: cluster.add_member(200), touched=every,
           why='one handover to the new member, which the run installs and starts')
    joiner = cluster.members[-1]
    change(cluster, 'remove a member: the holder of every VIP (cluster_member_state absent, then out of '
           'the inventory)', before_apply=lambda: cluster.retire_member(joiner), touched=every,
           bound=HANDOVER_BOUND[cluster.backend] * (2 if cluster.backend == 'ucarp' else 1),
           why='one handover: its backend stops first' + (
               '; the others restart one at a time on their new advskew' if cluster.backend == 'ucarp' else ''),
           checks=lambda: retired_left(cluster, joiner))
    if cluster.backend == 'keepalived':
        # ucarp needs a password on every VIP (1-19 bytes); keepalived's web VIP has none.
        carp_vips = [dict(vip, auth_pass=vip.get('auth_pass', 'fk-web-s3cret')) for vip in base_vips]
        why = 'every member stops the old backend, then the new one starts: the VIPs are down in between'
        change(cluster, 'switch the backend: keepalived -> ucarp', vips=carp_vips, backend='ucarp',
               touched=every, bound=SWITCH_BOUND, why=why, checks=lambda: switched_left(cluster, 'keepalived'))
        change(cluster, 'switch the backend: ucarp -> keepalived', vips=base_vips, backend='keepalived',
               touched=every, bound=SWITCH_BOUND, why=why, checks=lambda: switched_left(cluster, 'ucarp'))


def pacemaker_changes(cluster, base_vips, base_settings):
    """The Pacemaker part's rows, on a cluster deployed as ucarp: the switch to Pacemaker (its packages installed
    while ucarp holds the VIPs), a member added and removed, the fault rows (pacemaker_fault_rows: the change to
    fencing among them), then the switch back to ucarp, which also turns fencing off."""
    every = tuple(v['name'] for v in base_vips)
    # Pacemaker has no adverts and so no passwords: the preflight refuses auth_pass, the VIPs drop it.
    pacemaker_vips = [dict((k, v) for k, v in vip.items() if k != 'auth_pass') for vip in base_vips]
    change(cluster, 'switch the backend: ucarp -> pacemaker', vips=pacemaker_vips, backend='pacemaker',
           touched=every, bound=PACEMAKER_SWITCH_BOUND,
           why='the cluster forms with no resources; ucarp stops on every member, then the resources go in',
           checks=lambda: switched_left(cluster, 'ucarp'))
    change(cluster, 'pacemaker: add a member, a bare host with the highest priority (it takes every VIP)',
           before_apply=lambda: cluster.add_member(200), touched=every, bound=PACEMAKER_HANDOVER_BOUND,
           why='one graceful move to the new node, which the run installs and joins (corosync reloads)')
    joiner = cluster.members[-1]
    change(cluster, 'pacemaker: remove a member, the holder of every VIP (cluster_member_state absent, then '
           'out of the inventory)', before_apply=lambda: cluster.retire_member(joiner), touched=every,
           bound=PACEMAKER_HANDOVER_BOUND,
           why='one graceful move: its Pacemaker stops first; the others drop it from corosync and the CIB',
           checks=lambda: retired_left(cluster, joiner))
    pacemaker_fault_rows(cluster)
    change(cluster, 'switch the backend: pacemaker -> ucarp (fencing off)', vips=base_vips, backend='ucarp',
           settings=base_settings, touched=every, bound=PACEMAKER_SWITCH_BOUND,
           why='Pacemaker stops every resource and then itself on every member; then ucarp starts',
           checks=lambda: switched_left(cluster, 'pacemaker'))


def test_day2_changes_converge_with_one_holder(cluster):
    base_vips = [dict(v) for v in cluster.vips]
    base_priorities = dict(cluster.priorities)
    base_settings = dict(cluster.settings)
    base_backend = cluster.backend
    try:
        if cluster.suite == 'pacemaker':
            pacemaker_changes(cluster, base_vips, base_settings)
        else:
            advert_changes(cluster, base_vips, base_priorities, base_settings)
    finally:
        joined = [h for h in cluster.members + cluster.leaving if h not in base_priorities]
        for host in joined:
            if host in cluster.members:
                cluster.retire_member(host)
            cluster.forget_member(host)
        if (joined or cluster.vips != base_vips or cluster.priorities != base_priorities
                or cluster.settings != base_settings or cluster.backend != base_backend):
            cluster.vips, cluster.priorities, cluster.settings = base_vips, base_priorities, base_settings
            cluster.backend = base_backend
            cluster.write_inventory()
            cluster.deploy()


def write_changes():
    """Called at the end of the session (conftest.py): the table of every row run (by every part of the suite)."""
    rows = kept_rows('changes')
    if not rows:
        return
    head = ['# Day-2 change matrix', '',
            '<!-- Written by tests/faults/test_day2_changes.py (make test-faults). Do not edit; rerun the suite. -->',
            '', 'Generated %s: the fault suite\'s clusters (two members, priorities 150/100; '
            'see RESULTS.md), one change after the other, each applied by `playbooks/cluster.yml` over SSH while '
            'the client probes every VIP every 10 ms. Probes lost are counted on the addresses the change keeps '
            '(a new or moved address is not probed during its change). After each change: one holder per VIP and '
            'nothing left elsewhere, the client\'s neighbour entry right and ARP answered by one MAC, a second run '
            'with changed=0, then a failover (the master\'s daemon stopped) and a failback.%s'
            % (time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), ran_alongside()), '']
    write_table(CHANGES, head, ['backend', 'change', 'apply', 'probes lost, untouched VIPs',
                                'probes lost, changed VIPs', 'bound (why)', 'second run', 'failover, failback',
                                'result'],
                ['backend', 'change', 'apply', 'untouched', 'touched', 'bound', 'second', 'failover', 'result'], rows)
