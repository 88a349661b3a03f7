# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""advert_firewall against the real nft and iptables in a network namespace.

The peer namespace sends IP protocol 112 packets to the VRRP group and to the target's own address; a raw socket
in the target counts what gets through its input firewall (a raw socket hears only what netfilter let in).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

from conftest import HERE, sh

NAME = 'itest'
TAG = 'hanet-failover:%s' % NAME
PROBE = os.path.join(HERE, 'advert_probe.py')

# An admin's default-drop input chain: established traffic, loopback and ssh in, not protocol 112.
USER_RULESET = '''
table inet filter {
    chain input {
        type filter hook input priority filter; policy drop;
        ct state established,related accept
        iif lo accept
        tcp dport 22 accept
        jump extra
    }
    chain extra {
        ip saddr 192.0.2.66 reject
    }
    chain output {
        type filter hook output priority filter; policy accept;
    }
}
table ip other {
    chain input {
        type filter hook input priority 10; policy accept;
        ip protocol 112 drop
    }
}
'''


def nft(lab, *args, **kwargs):
    return sh('ip', 'netns', 'exec', lab.ns, 'nft', *args, **kwargs)


def ruleset(lab):
    return json.loads(nft(lab, '-j', 'list', 'ruleset').stdout)['nftables']


def without_ours(items):
    """The ruleset minus the rules tagged for NAME (handles of the other rules are kept: they must not move)."""
    return [item for item in items if 'metainfo' not in item
            and not ('rule' in item and item['rule'].get('comment') == TAG)]


def ours(items):
    return [item['rule'] for item in items if 'rule' in item and item['rule'].get('comment') == TAG]


def heard(lab, sends, seconds=1.5):
    """Send from the peer: [(source, destination)]; return the sources the target's raw socket heard."""
    listener = subprocess.Popen(['ip', 'netns', 'exec', lab.ns, sys.executable, PROBE, 'listen', 'eth0',
                                 str(seconds)], stdout=subprocess.PIPE, universal_newlines=True)
    assert listener.stdout.readline().strip() == 'ready'
    for source, destination in sends:
        sh('ip', 'netns', 'exec', lab.peer, sys.executable, PROBE, 'send', 'peer0', source, destination)
    out = listener.communicate(timeout=seconds + 30)[0]
    return sorted(set(tuple(pair) for pair in json.loads(out)))


def peer_link_local(lab):
    return next(a['local'] for a in lab.addresses('peer0', lab.peer) if a['local'].startswith('fe80'))


def test_default_drop_nftables_gets_our_rule_in_each_dropping_chain(lab_one):
    lab = lab_one
    lab.ip(lab.peer, 'addr', 'add', '198.51.100.3/24', 'dev', 'peer0')
    lab.settle()
    nft(lab, '-f', '-', input=USER_RULESET)
    original = without_ours(ruleset(lab))
    link_local = peer_link_local(lab)
    sends = [('198.51.100.1', '224.0.0.18'), ('198.51.100.3', '224.0.0.18'), ('198.51.100.1', '198.51.100.2'),
             (link_local, 'ff02::12')]
    assert heard(lab, sends) == [], 'the admin\'s ruleset let protocol 112 in: the test proves nothing'

    args = dict(name=NAME, sources=['198.51.100.1', link_local], destinations=['224.0.0.18', 'ff02::12'],
                persist=False)
    check = lab.module('advert_firewall', check=True, **args)
    assert not check.failed, check.output
    assert check.changed == 1
    assert ours(ruleset(lab)) == [] and without_ours(ruleset(lab)) == original

    run = lab.module('advert_firewall', **args)
    assert not run.failed, run.output
    assert run.changed == 1
    assert run.result['firewalls'] == ['nftables']
    # Both dropping chains got it; the inet one for both families, the ip one for IPv4 only.
    assert sorted(run.result['rules']) == ['inet filter input', 'ip other input']
    assert len(run.result['rules']['inet filter input']) == 2
    assert run.result['diff']['before']['rules'] == {}
    rules = ours(ruleset(lab))
    assert sorted((r['family'], r['table'], r['chain']) for r in rules) == [
        ('inet', 'filter', 'input'), ('inet', 'filter', 'input'), ('ip', 'other', 'input')]
    # The admin's rules are untouched (same rules, same handles, same order).
    assert without_ours(ruleset(lab)) == original
    # The peer's adverts get in; the same packets from another address on the segment do not, nor unicast ones.
    assert heard(lab, sends) == [('198.51.100.1', '224.0.0.18'), (link_local, None)]

    again = lab.module('advert_firewall', **args)
    assert not again.failed and again.changed == 0, again.output

    # Unicast: the destination becomes the target's own address; the rules are replaced, not added to.
    run = lab.module('advert_firewall', name=NAME, sources=['198.51.100.1'], destinations=['198.51.100.2'],
                     persist=False)
    assert not run.failed and run.changed == 1, run.output
    assert len(ours(ruleset(lab))) == 2
    assert heard(lab, sends) == [('198.51.100.1', '198.51.100.2')]
    assert without_ours(ruleset(lab)) == original

    gone = lab.module('advert_firewall', name=NAME, state='absent', persist=False)
    assert not gone.failed and gone.changed == 1, gone.output
    assert ours(ruleset(lab)) == [] and without_ours(ruleset(lab)) == original
    assert any('can drop the cluster\'s adverts' in w for w in gone.result.get('warnings', [])), gone.result
    assert heard(lab, sends) == []
    gone = lab.module('advert_firewall', name=NAME, state='absent', persist=False)
    assert not gone.failed and gone.changed == 0


def test_rule_behind_a_new_drop_is_moved_up_and_hand_edits_are_replaced(lab_one):
    lab = lab_one
    nft(lab, '-f', '-', input=USER_RULESET)
    args = dict(name=NAME, sources=['198.51.100.1'], persist=False)
    assert lab.module('advert_firewall', **args).changed == 1
    # The admin inserts a drop above ours: the rule must come first again.
    nft(lab, 'insert', 'rule', 'inet', 'filter', 'input', 'ip', 'protocol', '112', 'drop')
    run = lab.module('advert_firewall', **args)
    assert not run.failed and run.changed == 1, run.output
    first = [item['rule'] for item in ruleset(lab) if 'rule' in item and item['rule']['chain'] == 'input'
             and item['rule']['table'] == 'filter'][0]
    assert first.get('comment') == TAG
    assert heard(lab, [('198.51.100.1', '224.0.0.18')]) == [('198.51.100.1', '224.0.0.18')]
    assert lab.module('advert_firewall', **args).changed == 0


def test_no_firewall_changes_nothing(lab_one):
    lab = lab_one
    nft(lab, '-f', '-', input='table inet filter {\n chain input { type filter hook input priority 0; }\n}\n')
    before = ruleset(lab)
    run = lab.module('advert_firewall', name=NAME, sources=['198.51.100.1'], persist=True,
                     state_dir=str(lab.tmp / 'state'), systemd_dir=str(lab.tmp / 'systemd'))
    assert not run.failed, run.output
    assert run.changed == 0 and run.result['firewalls'] == [] and run.result['files'] == {}
    assert ruleset(lab) == before
    assert not (lab.tmp / 'state').exists() and not (lab.tmp / 'systemd').exists()


def test_persistence_puts_the_rules_back_after_a_reload(lab_one):
    lab = lab_one
    nft(lab, '-f', '-', input=USER_RULESET)
    state, systemd = lab.tmp / 'state', lab.tmp / 'systemd'
    args = dict(name=NAME, sources=['198.51.100.1'], state_dir=str(state), systemd_dir=str(systemd))
    run = lab.module('advert_firewall', **args)
    assert not run.failed and run.changed == 1, run.output
    assert run.result['daemon_reload_needed'] is True
    script = state / ('advert-firewall-%s.nftables.sh' % NAME)
    dropin = systemd / 'nftables.service.d' / ('hanet-failover-%s.conf' % NAME)
    assert 'ExecReload=-/bin/sh %s' % script in dropin.read_text()
    assert 'ExecStartPost=-/bin/sh %s' % script in dropin.read_text()
    placed = sorted(json.dumps(r['expr'], sort_keys=True) for r in ours(ruleset(lab)))

    # What `systemctl reload nftables` does with Debian's /etc/nftables.conf: flush, load the admin's file.
    nft(lab, '-f', '-', input='flush ruleset\n' + USER_RULESET)
    assert ours(ruleset(lab)) == []
    sh('ip', 'netns', 'exec', lab.ns, 'sh', str(script))
    assert sorted(json.dumps(r['expr'], sort_keys=True) for r in ours(ruleset(lab))) == placed
    sh('ip', 'netns', 'exec', lab.ns, 'sh', str(script))
    assert len(ours(ruleset(lab))) == len(placed), 'the script is not idempotent'
    assert heard(lab, [('198.51.100.1', '224.0.0.18')]) == [('198.51.100.1', '224.0.0.18')]
    assert lab.module('advert_firewall', **args).changed == 0

    gone = lab.module('advert_firewall', name=NAME, state='absent', state_dir=str(state), systemd_dir=str(systemd))
    assert not gone.failed and gone.changed == 1, gone.output
    assert not script.exists() and not dropin.exists()
    assert ours(ruleset(lab)) == []


def test_iptables_input_drop_gets_a_commented_rule(lab_one):
    lab = lab_one
    ipt = ['ip', 'netns', 'exec', lab.ns, 'iptables', '-w']
    sh(*(ipt + ['-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT']))
    sh(*(ipt + ['-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT']))
    sh(*(ipt + ['-P', 'INPUT', 'DROP']))
    original = sh(*(ipt + ['-S'])).stdout
    assert heard(lab, [('198.51.100.1', '224.0.0.18')]) == []

    args = dict(name=NAME, sources=['198.51.100.1'], persist=False)
    run = lab.module('advert_firewall', **args)
    assert not run.failed and run.changed == 1, run.output
    assert 'iptables' in run.result['firewalls']
    # iptables-nft's table is left to iptables: no nft rule of ours there, one commented iptables rule.
    assert ours(ruleset(lab)) == [] or all(r['table'] == 'filter' and r['family'] == 'ip' for r in ours(ruleset(lab)))
    listing = sh(*(ipt + ['-S', 'INPUT'])).stdout.splitlines()
    assert listing[1] == ('-A INPUT -s 198.51.100.1/32 -d 224.0.0.18/32 -p vrrp -m comment --comment \"%s\" -j ACCEPT'
                          % TAG), listing
    assert heard(lab, [('198.51.100.1', '224.0.0.18')]) == [('198.51.100.1', '224.0.0.18')]
    assert lab.module('advert_firewall', **args).changed == 0

    gone = lab.module('advert_firewall', name=NAME, state='absent', persist=False)
    assert not gone.failed and gone.changed == 1, gone.output
    assert sh(*(ipt + ['-S'])).stdout == original


COROSYNC_TAG = 'hanet-failover:%s@corosync' % NAME


def udp_heard(lab, sends, port=5405, seconds=1.5, first=None):
    """Send UDP from the peer as knet does (from PORT to PORT): [(source, destination)]; return the sources the
    target's socket on PORT heard. ``first``: the target sends to the peer first (a flow conntrack then knows)."""
    listener = subprocess.Popen(['ip', 'netns', 'exec', lab.ns, sys.executable, PROBE, 'udp-listen', str(port),
                                 str(seconds)], stdout=subprocess.PIPE, universal_newlines=True)
    assert listener.stdout.readline().strip() == 'ready'
    for source, destination in first or []:
        sh('ip', 'netns', 'exec', lab.ns, sys.executable, PROBE, 'udp-send', source, destination, str(port), '1')
    for source, destination in sends:
        sh('ip', 'netns', 'exec', lab.peer, sys.executable, PROBE, 'udp-send', source, destination, str(port))
    out = listener.communicate(timeout=seconds + 30)[0]
    return sorted(set(pair[0] for pair in json.loads(out)))


def test_corosync_traffic_gets_its_own_rules_beside_the_adverts(lab_one):
    """traffic=corosync lets UDP 5405 in from the peers' ring addresses to this member's only, in rules of its
    own: the adverts' rules of the same cluster stay until they are removed on their own, and persist apart."""
    lab = lab_one
    lab.ip(lab.peer, 'addr', 'add', '198.51.100.3/24', 'dev', 'peer0')
    lab.settle()
    # The admin's ruleset drops neighbour discovery: the peer knows the target's MAC beforehand.
    mac = lab.ip_json(lab.ns, 'link', 'show', 'dev', 'eth0')[0]['address']
    lab.ip(lab.peer, 'neigh', 'replace', '2001:db8::2', 'lladdr', mac, 'dev', 'peer0', 'nud', 'permanent')
    nft(lab, '-f', '-', input=USER_RULESET)
    sends = [('198.51.100.1', '198.51.100.2'), ('198.51.100.3', '198.51.100.2'), ('2001:db8::1', '2001:db8::2')]
    assert udp_heard(lab, sends) == [], 'the admin\'s ruleset let UDP 5405 in: the test proves nothing'

    adverts = lab.module('advert_firewall', name=NAME, sources=['198.51.100.1'], persist=False)
    assert not adverts.failed and adverts.changed == 1, adverts.output
    state, systemd = lab.tmp / 'state', lab.tmp / 'systemd'
    args = dict(name=NAME, traffic='corosync', sources=['198.51.100.1', '2001:db8::1'],
                destinations=['198.51.100.2', '2001:db8::2'], state_dir=str(state), systemd_dir=str(systemd))
    check = lab.module('advert_firewall', check=True, **args)
    assert not check.failed and check.changed == 1, check.output
    assert ours(ruleset(lab)) and not [r for r in ruleset(lab) if 'rule' in r and r['rule'].get('comment') == COROSYNC_TAG]
    run = lab.module('advert_firewall', **args)
    assert not run.failed and run.changed == 1, run.output
    assert run.result['rules']['inet filter input'] == [
        'ipv4 udp dport 5405 from 198.51.100.1 to 198.51.100.2 accept',
        'ipv6 udp dport 5405 from 2001:db8::1 to 2001:db8::2 accept']
    knet = [item['rule'] for item in ruleset(lab) if 'rule' in item and item['rule'].get('comment') == COROSYNC_TAG]
    assert sorted((r['family'], r['table']) for r in knet) == [('inet', 'filter'), ('inet', 'filter'), ('ip', 'other')]
    # The peers' knet packets get in, from their ring addresses only; the adverts' rule is still there.
    assert udp_heard(lab, sends) == ['198.51.100.1', '2001:db8::1']
    assert len(ours(ruleset(lab))) == 2
    assert lab.module('advert_firewall', **args).changed == 0
    # Persistence of its own, beside nothing of the adverts' (those ran with persist false).
    script = state / ('advert-firewall-%s@corosync.nftables.sh' % NAME)
    dropin = systemd / 'nftables.service.d' / ('hanet-failover-%s@corosync.conf' % NAME)
    assert 'ExecReload=-/bin/sh %s' % script in dropin.read_text()
    nft(lab, '-f', '-', input='flush ruleset\n' + USER_RULESET)
    sh('ip', 'netns', 'exec', lab.ns, 'sh', str(script))
    assert udp_heard(lab, sends) == ['198.51.100.1', '2001:db8::1']

    # Removing the adverts' rules leaves corosync's alone, and the other way round. (The reload took the adverts'
    # rules, which had no persistence: they go in again first.)
    assert lab.module('advert_firewall', name=NAME, sources=['198.51.100.1'], persist=False).changed == 1
    gone = lab.module('advert_firewall', name=NAME, state='absent', persist=False, warn_when_dropped=False)
    assert not gone.failed and gone.changed == 1 and not gone.result.get('warnings'), gone.output
    assert ours(ruleset(lab)) == [] and udp_heard(lab, sends) == ['198.51.100.1', '2001:db8::1']
    gone = lab.module('advert_firewall', name=NAME, traffic='corosync', state='absent', state_dir=str(state),
                      systemd_dir=str(systemd))
    assert not gone.failed and gone.changed == 1, gone.output
    assert any('can drop corosync\'s traffic' in w for w in gone.result.get('warnings', [])), gone.result
    assert not script.exists() and not dropin.exists()
    assert [r for r in ruleset(lab) if 'rule' in r and r['rule'].get('comment') == COROSYNC_TAG] == []
    assert udp_heard(lab, sends) == []
    # What the module's notes say: the admin's conntrack rule lets knet through once this member has sent to the
    # peer (its packets come from and go to 5405, so the peer's are replies).
    assert udp_heard(lab, [sends[0]], first=[('198.51.100.2', '198.51.100.1')]) == ['198.51.100.1']


def test_corosync_traffic_through_iptables(lab_one):
    lab = lab_one
    ipt = ['ip', 'netns', 'exec', lab.ns, 'iptables', '-w']
    sh(*(ipt + ['-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT']))
    sh(*(ipt + ['-P', 'INPUT', 'DROP']))
    original = sh(*(ipt + ['-S'])).stdout
    sends = [('198.51.100.1', '198.51.100.2')]
    assert udp_heard(lab, sends) == []
    args = dict(name=NAME, traffic='corosync', sources=['198.51.100.1'], destinations=['198.51.100.2'], persist=False)
    run = lab.module('advert_firewall', **args)
    assert not run.failed and run.changed == 1, run.output
    listing = sh(*(ipt + ['-S', 'INPUT'])).stdout.splitlines()
    assert listing[1] == ('-A INPUT -s 198.51.100.1/32 -d 198.51.100.2/32 -p udp -m udp --dport 5405 -m comment '
                          '--comment "%s" -j ACCEPT' % COROSYNC_TAG), listing
    assert udp_heard(lab, sends) == ['198.51.100.1']
    assert lab.module('advert_firewall', **args).changed == 0
    gone = lab.module('advert_firewall', name=NAME, traffic='corosync', state='absent', persist=False)
    assert not gone.failed and gone.changed == 1, gone.output
    assert sh(*(ipt + ['-S'])).stdout == original
