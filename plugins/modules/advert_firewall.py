#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: advert_firewall
short_description: Let the other cluster members' adverts (VRRP/CARP) or corosync traffic through the host firewall
version_added: 0.2.0
description:
  - Finds the host firewall and, where it can drop incoming packets, lets the cluster's own traffic in from
    O(sources) to O(destinations) only, in the form that firewall takes. That is IP protocol 112 (VRRP and CARP
    adverts) with O(traffic=vrrp), or UDP to O(port) (corosync's knet, for Pacemaker) with O(traffic=corosync).
    Where no firewall can drop anything, it changes nothing and installs nothing.
  - The two kinds of traffic are separate sets of rules. The corosync rules are labelled C(NAME@corosync)
    wherever this page says C(NAME) (tags and file names), so each kind is added and removed on its own.
  - B(nftables) (C(nft -j list ruleset)). Every base chain on the input hook sees every packet, and an accept in
    one chain does not stop a drop in another. So one rule of its own goes to the top of B(each) input base chain
    (tables C(ip), C(ip6), C(inet)) whose policy is drop or that drops or rejects (itself or in a chain it jumps
    to), before the user's rules. It carries the comment C(hanet-failover:NAME), by which it is found again,
    updated and removed. All changes go in one C(nft -j -f -) batch (atomic). Other rules are never touched.
    Tables that iptables-nft manages are handled as iptables.
  - B(iptables) (iptables-nft or iptables-legacy, whichever C(iptables) and C(ip6tables) are). Where C(INPUT) has
    policy C(DROP) or drops or rejects, one rule per source and destination at the top of C(INPUT), with
    C(-m comment --comment hanet-failover:NAME).
  - B(firewalld) (running). Rich rules C(rule family=... source address=... destination address=...
    protocol value="vrrp" accept) in the zones of O(interfaces), runtime and permanent. Rich rules carry no
    comment, so the rules added are recorded in O(state_dir) and only those are ever removed. Where firewalld
    runs, only firewalld is changed. (With O(traffic=corosync) the rich rules carry C(port port="PORT"
    protocol="udp") instead of the protocol.)
  - O(state=absent) removes the rules of O(name) (and their persistence files), and warns where the firewall then
    drops the traffic (unless O(warn_when_dropped=false)).
author:
  - hanet.failover contributors (@hanet)
extends_documentation_fragment:
  - hanet.failover.attributes
options:
  name:
    description:
      - The cluster's name; the rules are tagged C(hanet-failover:NAME). Letters, digits, C(_), C(.) and C(-),
        up to 64.
    type: str
    required: true
  state:
    description:
      - V(present) lets the traffic in, V(absent) removes the rules of O(name) for O(traffic).
    type: str
    choices: [present, absent]
    default: present
  traffic:
    description:
      - V(vrrp), the adverts of keepalived and ucarp (IP protocol 112, VRRP and CARP).
      - V(corosync), corosync's knet packets to O(port) (UDP), which a Pacemaker cluster's members exchange
        between their ring addresses.
    type: str
    choices: [vrrp, corosync]
    default: vrrp
  port:
    description:
      - The UDP port corosync's knet listens on, with O(traffic=corosync) (its default, unless the totem or
        interface section of C(corosync.conf) sets another).
    type: int
    default: 5405
  warn_when_dropped:
    description:
      - Warn where the firewall can drop the traffic and no rule lets it in (after O(state=absent), or where no
        rule of O(name) went in). The cluster role turns it off where it removes the rules of a backend it no
        longer uses.
    type: bool
    default: true
  sources:
    description:
      - The other members' own addresses the traffic comes from (IPv6 adverts come from link-local addresses;
        corosync's from the members' ring addresses).
      - Required with O(state=present).
    type: list
    elements: str
    default: []
  destinations:
    description:
      - Where the traffic goes, per address family. That is the VRRP/CARP group V(224.0.0.18) or V(ff02::12), or
        this host's own address for unicast adverts and for corosync (its ring address).
      - Default the group of each family in O(sources) with O(traffic=vrrp). Required with O(traffic=corosync).
    type: list
    elements: str
    default: []
  interfaces:
    description:
      - firewalld only. The rules go to the zones of these interfaces (the default zone for an interface bound to
        none). Without any, the default zone.
    type: list
    elements: str
    default: []
  persist:
    description:
      - Also make the rules survive a reload of the firewall's ruleset and a reboot.
      - nftables, where the rules are live only and C(systemctl reload nftables) or a boot loads
        C(/etc/nftables.conf) again, which usually starts with C(flush ruleset). A systemd drop-in for
        C(nftables.service) in O(systemd_dir) runs a script in O(state_dir) after it starts and reloads; the
        script puts the rules back in one batch unless a rule of O(name) is still there.
      - iptables, a drop-in for C(netfilter-persistent.service) (Debian's C(iptables-persistent)) runs a script
        that inserts each rule unless C(iptables -C) finds it.
      - firewalld rules are added runtime and permanent either way.
    type: bool
    default: true
  state_dir:
    description:
      - Where the scripts that put the rules back and the record of the firewalld rules live.
    type: path
    default: /var/lib/hanet-failover
  systemd_dir:
    description:
      - Where the drop-ins go (C(nftables.service.d), C(netfilter-persistent.service.d) below it). After a change
        RV(daemon_reload_needed) is true, and systemd must reload its units.
    type: path
    default: /etc/systemd/system
notes:
  - Runs in the network namespace of the Ansible process on the target; the ruleset is per namespace.
  - Which chains can drop is read from the ruleset as it is now. A rule added to a chain that did not drop before
    needs a run of this module again; so does a ruleset with renamed chains after a reload.
  - ucarp 1.5 captures its adverts with libpcap, ahead of netfilter, so an input drop does not stop it hearing
    them (two ucarp members behind a default-drop nftables input chain elected one master in the lab); the rules
    are harmless there and state the cluster's traffic in the firewall.
  - The nftables rules go to the top of the chain, ahead of the user's own rules, so that a jump to a chain that
    drops cannot come first. They accept nothing but protocol 112 (or UDP to O(port)) from O(sources) to
    O(destinations).
  - corosync's knet sends from O(port) to O(port) of each peer. Behind an admin's C(ct state established accept)
    its packets get through once both members have sent (conntrack takes the peer's packets for replies), as
    unicast adverts do. The rules make that independent of conntrack.
seealso:
  - module: hanet.failover.failover_info
'''

EXAMPLES = r'''
- name: Let the peer's multicast adverts in (nftables, iptables or firewalld, whichever is there)
  hanet.failover.advert_firewall:
    name: prod-web
    sources: [198.51.100.12, "fe80::5054:ff:fe12:3456"]

- name: Unicast adverts to this member's own address
  hanet.failover.advert_firewall:
    name: prod-web
    sources: [198.51.100.12]
    destinations: [198.51.100.11]

- name: corosync's knet (a Pacemaker cluster) from the other two members to this member's ring address
  hanet.failover.advert_firewall:
    name: prod-db
    traffic: corosync
    sources: [198.51.100.12, 198.51.100.13]
    destinations: [198.51.100.11]

- name: Remove the rules again
  hanet.failover.advert_firewall:
    name: prod-web
    state: absent
'''

RETURN = r'''
firewalls:
  description: The host firewalls found that can drop incoming packets (V(nftables), V(iptables), V(firewalld)).
  returned: always
  type: list
  elements: str
  sample: [nftables]
chains:
  description:
    - Every input chain looked at, with whether it can drop (C(drops)) and why (C(reason)). nftables chains are
      C(FAMILY TABLE CHAIN), iptables C(iptables INPUT) and C(ip6tables INPUT), firewalld C(firewalld ZONE).
  returned: always
  type: list
  elements: dict
  sample: [{"chain": "inet filter input", "drops": true, "reason": "policy drop"}]
rules:
  description:
    - The rules of O(name) after the task, by chain, each as a line (family, protocol or port, from, to).
    - With O(traffic=corosync) a line reads C(ipv4 udp dport 5405 from 198.51.100.12 to 198.51.100.11 accept).
  returned: always
  type: dict
  sample: {"inet filter input": ["ipv4 protocol 112 from 198.51.100.12 to 224.0.0.18 accept"]}
files:
  description: The persistence files of O(name) after the task (path to content; none when there are none).
  returned: always
  type: dict
daemon_reload_needed:
  description: A drop-in was written or removed; systemd must reload its units (C(systemctl daemon-reload)).
  returned: always
  type: bool
'''

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hanet.failover.plugins.module_utils._change_tracker import ChangeTracker
from ansible_collections.hanet.failover.plugins.module_utils import _firewall as fw

UNITS = {'nftables': 'nftables.service', 'iptables': 'netfilter-persistent.service'}


class Host:
    """The firewall tools on the target, through module.run_command."""

    def __init__(self, module):
        self.module = module

    def tool(self, name):
        return self.module.get_bin_path(name)

    def run(self, argv, data=None, what=None):
        rc, out, err = self.module.run_command(argv, data=data)
        if rc != 0 and what:
            self.module.fail_json(msg='%s: %s failed (rc %d): %s' % (what, ' '.join(argv), rc, (err or out).strip()))
        return rc, out, err


def read_file(path):
    try:
        with open(path) as stream:
            return stream.read()
    except (IOError, OSError):
        return None


def write_file(module, path, text, mode):
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    handle, tmp = tempfile.mkstemp(dir=directory, prefix='.hanet-fw-')
    with os.fdopen(handle, 'w') as stream:
        stream.write(text)
    os.chmod(tmp, mode)
    module.atomic_move(tmp, path)


def firewalld_running(host):
    binary = host.tool('firewall-cmd')
    if not binary:
        return None
    rc, out, dummy = host.run([binary, '--state'])
    return binary if rc == 0 and out.strip() == 'running' else None


def firewalld_zones(host, binary, interfaces):
    dummy, default, dummy2 = host.run([binary, '--get-default-zone'], what='firewalld')
    zones = []
    for interface in interfaces:
        rc, out, dummy = host.run([binary, '--get-zone-of-interface=%s' % interface])
        zones.append(out.strip() if rc == 0 and out.strip() else default.strip())
    return sorted(set(zones or [default.strip()]))


def firewalld_rules(host, binary, zone, permanent):
    argv = [binary] + (['--permanent'] if permanent else []) + ['--zone=%s' % zone, '--list-rich-rules']
    dummy, out, dummy2 = host.run(argv, what='firewalld')
    return [line.strip() for line in out.splitlines() if line.strip()]


def do_firewalld(module, host, binary, wanted, present, record_path, traffic):
    zones = firewalld_zones(host, binary, module.params['interfaces'])
    try:
        record = [tuple(pair) for pair in json.loads(read_file(record_path) or '[]')]
    except ValueError:
        record = []
    runtime, permanent = {}, {}
    for zone in sorted(set(zones) | set(z for z, dummy in record)):
        runtime[zone] = firewalld_rules(host, binary, zone, False)
        permanent[zone] = firewalld_rules(host, binary, zone, True)
    want = fw.firewalld_wanted(wanted, zones, traffic) if present else []
    before, after, actions = fw.firewalld_plan(record, runtime, permanent, want)
    chains = [{'chain': 'firewalld %s' % zone, 'drops': True, 'reason': 'firewalld is running'} for zone in zones]
    accepts = any(fw.firewalld_accepts_adverts(runtime.get(zone, []), traffic=traffic) for zone in zones)
    return {'before': before, 'after': after, 'actions': actions, 'chains': chains, 'record': want,
            'accepts': accepts}


def apply_firewalld(module, host, binary, plan, record_path):
    for action, permanent, zone, rule in plan['actions']:
        argv = [binary] + (['--permanent'] if permanent else []) + ['--zone=%s' % zone,
                                                                    '--%s-rich-rule=%s' % (action, rule)]
        host.run(argv, what='firewalld')
    if plan['record']:
        write_file(module, record_path, json.dumps(plan['record'], indent=1) + '\n', 0o644)
    elif os.path.exists(record_path):
        os.remove(record_path)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            traffic=dict(type='str', choices=list(fw.TRAFFIC_KINDS), default='vrrp'),
            port=dict(type='int', default=fw.COROSYNC_PORT),
            warn_when_dropped=dict(type='bool', default=True),
            sources=dict(type='list', elements='str', default=[]),
            destinations=dict(type='list', elements='str', default=[]),
            interfaces=dict(type='list', elements='str', default=[]),
            persist=dict(type='bool', default=True),
            state_dir=dict(type='path', default='/var/lib/hanet-failover'),
            systemd_dir=dict(type='path', default='/etc/systemd/system'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    present = params['state'] == 'present'
    try:
        traffic = fw.Traffic(params['traffic'], params['port'])
        # The label tags the rules and names the files: NAME, or NAME@corosync for corosync's rules.
        name = traffic.label(fw.check_name(params['name']))
        if present and not params['sources']:
            raise fw.FirewallError('sources: give the other members\' addresses the %s comes from'
                                   % ('adverts' if traffic.kind == 'vrrp' else 'traffic'))
        destinations = list(params['destinations'])
        if not destinations and traffic.kind == 'corosync' and present:
            raise fw.FirewallError('destinations: give this member\'s own address on corosync\'s ring (corosync '
                                   'sends to each peer\'s ring address, not to a group)')
        if not destinations:
            destinations = [fw.MULTICAST[f] for f in fw.families(params['sources'], 'sources')]
        wanted = fw.wanted_rules(params['sources'], destinations, traffic)
    except fw.FirewallError as exc:
        module.fail_json(msg=str(exc))

    host = Host(module)
    state_dir, systemd_dir = params['state_dir'], params['systemd_dir']
    scripts = dict((kind, os.path.join(state_dir, 'advert-firewall-%s.%s.sh' % (name, kind))) for kind in UNITS)
    dropins = dict((kind, os.path.join(systemd_dir, '%s.d' % UNITS[kind], 'hanet-failover-%s.conf' % name))
                   for kind in UNITS)
    record_path = os.path.join(state_dir, 'advert-firewall-%s.firewalld.json' % name)

    before = {'rules': {}, 'files': {}}
    after = {'rules': {}, 'files': {}}
    chains, firewalls, unguarded = [], [], []
    nft_work, ipt_work, fwd = None, [], None

    # The families whose adverts matter for the warning: those of the rules, or both where none are given.
    interest = set(wanted) or set((4, 6))
    binary = firewalld_running(host)
    if binary:
        fwd = do_firewalld(module, host, binary, wanted, present, record_path, traffic)
        firewalls.append('firewalld')
        chains.extend(fwd['chains'])
        if fwd['before']:
            before['rules']['firewalld'] = fwd['before']
        if fwd['after']:
            after['rules']['firewalld'] = fwd['after']
        if not fwd['accepts'] and not fwd['after']:
            unguarded.extend(c['chain'] for c in fwd['chains'])
    else:
        nft = host.tool('nft')
        rc = 0
        if nft:
            rc, out, err = host.run([nft, '-j', 'list', 'ruleset'])
            if rc != 0:
                # nft is there but cannot read the kernel's ruleset (no CAP_NET_ADMIN, an unprivileged container):
                # no nftables firewall this module can see or change.
                module.warn('nftables: %s -j list ruleset failed (rc %d), so its rules were not checked: %s'
                            % (nft, rc, (err or out).strip()))
        if nft and rc == 0:
            try:
                parsed = fw.nft_parse(out)
            except fw.FirewallError as exc:
                module.fail_json(msg='nftables: %s' % exc)
            nft_before, nft_after, commands, nft_chains = fw.nft_plan(parsed, wanted, name, present, err, traffic)
            nft_work = (nft, commands)
            before['rules'].update(nft_before)
            after['rules'].update(nft_after)
            for chain in nft_chains:
                label = '%s %s %s' % (chain['family'], chain['table'], chain['chain'])
                chains.append({'chain': label, 'drops': chain['drops'], 'reason': chain['reason']})
                if chain['drops'] and label not in nft_after and set(chain['families']) & interest \
                        and not fw.nft_accepts_adverts(parsed, chain, name, traffic):
                    unguarded.append(label)
            if any(c['drops'] for c in nft_chains):
                firewalls.append('nftables')
            if after['rules'] and params['persist']:
                inserts = [{'insert': {'rule': {'family': c['family'], 'table': c['table'], 'chain': c['chain'],
                                                'comment': fw.tag(name), 'expr': fw.nft_rule_expr(*(
                                                    (f,) + wanted[f]), traffic=traffic)}}}
                           for c in nft_chains if '%s %s %s' % (c['family'], c['table'], c['chain']) in nft_after
                           for f in c['families'] if f in wanted]
                after['files'][scripts['nftables']] = fw.reapply_script(name, nft_commands=inserts, traffic=traffic)
                after['files'][dropins['nftables']] = fw.dropin(name, scripts['nftables'], True)
        ipt_persist = []
        for family in (4, 6):
            tool = host.tool(fw.IPTABLES[family])
            if not tool:
                continue
            rc, out, err = host.run([tool, '-w', '-S'])
            if rc != 0:
                # No iptables kernel support (or no permission): nothing of iptables' can drop here.
                continue
            ipt_before, ipt_after, commands, ipt_state = fw.ipt_plan(family, out, wanted, name, present, traffic)
            label = '%s INPUT' % fw.IPTABLES[family]
            chains.append({'chain': label, 'drops': ipt_state['drops'], 'reason': ipt_state['reason']})
            if ipt_state['drops'] and 'iptables' not in firewalls:
                firewalls.append('iptables')
            if ipt_before:
                before['rules'][label] = ipt_before
            if ipt_after:
                after['rules'][label] = ipt_after
                if family in wanted:
                    sources, dests = wanted[family]
                    ipt_persist.extend((fw.IPTABLES[family], fw.ipt_rule_args(family, s, d, name, traffic))
                                       for s in sources for d in dests)
            elif ipt_state['drops'] and family in interest and not fw.ipt_accepts_adverts(out, name, traffic):
                unguarded.append(label)
            ipt_work.append((tool, commands))
        if ipt_persist and params['persist']:
            after['files'][scripts['iptables']] = fw.reapply_script(name, ipt_commands=ipt_persist, traffic=traffic)
            after['files'][dropins['iptables']] = fw.dropin(name, scripts['iptables'], False)

    for path in list(scripts.values()) + list(dropins.values()):
        text = read_file(path)
        if text is not None:
            before['files'][path] = text

    tracker = ChangeTracker(before)
    tracker.replace(after)
    changed_files = sorted(set(before['files']) ^ set(after['files'])
                           | set(p for p in after['files'] if before['files'].get(p) != after['files'][p]))

    if not module.check_mode:
        if fwd and (fwd['actions'] or fwd['record'] or os.path.exists(record_path)):
            apply_firewalld(module, host, binary, fwd, record_path)
        if nft_work and nft_work[1]:
            host.run([nft_work[0], '-j', '-f', '-'], data=fw.nft_batch(nft_work[1]), what='nftables')
        for tool, commands in ipt_work:
            for argv in commands:
                host.run([tool, '-w'] + argv, what=tool)
        for path in changed_files:
            if path in after['files']:
                write_file(module, path, after['files'][path], 0o755 if path.endswith('.sh') else 0o644)
            elif os.path.exists(path):
                os.remove(path)

    if unguarded and params['warn_when_dropped']:
        peers = sorted(set(str(a) for rule in wanted.values() for a in rule[0]))
        if traffic.kind == 'vrrp':
            module.warn('The host firewall can drop the cluster\'s adverts (IP protocol 112%s) in %s and no rule of %s '
                        'lets them in%s: members that do not hear each other each take the VIPs (split brain). '
                        'Let them in (cluster_firewall: true, or state=present) or accept protocol 112 from the other '
                        'members yourself.' % (' from ' + ', '.join(peers) if peers else '', ', '.join(unguarded), name,
                                               '' if present else ' (state=absent)'))
        else:
            module.warn('The host firewall can drop corosync\'s traffic (UDP port %d%s) in %s and no rule of %s lets '
                        'it in%s. Only the admin\'s conntrack rule (ct state established) lets it through once both '
                        'members have sent; where nothing does, the members do not see each other and the cluster '
                        'does not form, or splits and its nodes fence each other. Let it in (cluster_firewall: '
                        'true, or state=present) or accept UDP %d from the other members yourself.'
                        % (traffic.port, ' from ' + ', '.join(peers) if peers else '', ', '.join(unguarded), name,
                           '' if present else ' (state=absent)', traffic.port))

    module.exit_json(firewalls=firewalls, chains=chains, rules=tracker.after['rules'], files=tracker.after['files'],
                     daemon_reload_needed=any(p.endswith('.conf') for p in changed_files),
                     **tracker.result(module))


if __name__ == '__main__':
    main()
