# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The firewall planning in plugins/module_utils/_firewall.py, from rulesets as nft/iptables/firewalld print them.

(tests/integration/test_advert_firewall.py runs the same code against the real nft and iptables.)
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.hanet.failover.plugins.module_utils import _firewall as fw

TAG = 'hanet-failover:prod'
WANTED = fw.wanted_rules(['198.51.100.12', 'fe80::12'], ['224.0.0.18', 'ff02::12'])


def ruleset(*items):
    return json.dumps({'nftables': [{'metainfo': {'version': '1.0.6'}}] + list(items)})


def chain(family, table, name, hook='input', policy='accept', prio=0):
    item = {'family': family, 'table': table, 'name': name, 'handle': 1}
    if hook:
        item.update({'type': 'filter', 'hook': hook, 'prio': prio, 'policy': policy})
    return {'chain': item}


def rule(family, table, chain_name, handle, expr, comment=None):
    item = {'family': family, 'table': table, 'chain': chain_name, 'handle': handle, 'expr': expr}
    if comment:
        item['comment'] = comment
    return {'rule': item}


SSH = [{'match': {'op': '==', 'left': {'payload': {'protocol': 'tcp', 'field': 'dport'}}, 'right': 22}},
       {'accept': None}]


def ours(family, table, chain_name, handle, ip_family=4, sources=('198.51.100.12',), dests=('224.0.0.18',)):
    return rule(family, table, chain_name, handle, fw.nft_rule_expr(ip_family, sources, dests), TAG)


def plan(text, wanted=None, present=True, stderr=''):
    return fw.nft_plan(fw.nft_parse(text), WANTED if wanted is None else wanted, 'prod', present, stderr)


def test_default_drop_chain_gets_one_rule_per_family_at_the_top():
    text = ruleset(chain('inet', 'filter', 'input', policy='drop'), rule('inet', 'filter', 'input', 2, SSH))
    before, after, commands, chains = plan(text)
    assert before == {}
    assert after == {'inet filter input': [
        'ipv4 protocol 112 from 198.51.100.12 to 224.0.0.18 accept',
        'ipv6 protocol 112 from fe80::12 to ff02::12 accept']}
    assert [list(c) for c in commands] == [['insert'], ['insert']]
    assert all(c['insert']['rule']['comment'] == TAG for c in commands)
    assert chains[0]['reason'] == 'policy drop'


def test_an_ip_chain_gets_ipv4_only_and_a_chain_that_drops_nothing_gets_nothing():
    text = ruleset(chain('ip', 'v4', 'input', policy='drop'), chain('inet', 'open', 'input'),
                   rule('inet', 'open', 'input', 3, SSH), chain('ip6', 'v6', 'input', policy='drop'))
    before, after, commands, chains = plan(text)
    assert sorted(after) == ['ip v4 input', 'ip6 v6 input']
    assert after['ip v4 input'] == ['ipv4 protocol 112 from 198.51.100.12 to 224.0.0.18 accept']
    assert after['ip6 v6 input'] == ['ipv6 protocol 112 from fe80::12 to ff02::12 accept']
    assert [(c['table'], c['drops']) for c in chains] == [('open', False), ('v4', True), ('v6', True)]


def test_a_drop_in_a_jumped_to_chain_counts_and_so_does_reject():
    reject = [{'match': {'op': '==', 'left': {'payload': {'protocol': 'ip', 'field': 'saddr'}},
                         'right': '192.0.2.1'}}, {'reject': None}]
    text = ruleset(chain('inet', 'f', 'input'), chain('inet', 'f', 'deny', hook=None),
                   rule('inet', 'f', 'input', 3, [{'jump': {'target': 'deny'}}]), rule('inet', 'f', 'deny', 4, reject))
    dummy, after, dummy2, chains = plan(text)
    assert chains == [{'family': 'inet', 'table': 'f', 'chain': 'input', 'drops': True,
                       'reason': 'drop or reject rules', 'families': (4, 6)}]
    assert list(after) == ['inet f input']


def test_no_firewall_no_change():
    text = ruleset(chain('inet', 'filter', 'input'), chain('inet', 'filter', 'output', hook='output', policy='drop'))
    assert plan(text)[1:3] == ({}, [])
    assert plan(ruleset())[1:3] == ({}, [])


def test_rules_in_place_are_idempotent_and_changed_sources_are_replaced():
    text = ruleset(chain('inet', 'filter', 'input', policy='drop'),
                   ours('inet', 'filter', 'input', 7),
                   ours('inet', 'filter', 'input', 8, 6, ('fe80::12',), ('ff02::12',)),
                   rule('inet', 'filter', 'input', 2, SSH))
    before, after, commands, dummy = plan(text)
    assert before == after and commands == []
    wanted = fw.wanted_rules(['198.51.100.13'], ['224.0.0.18'])
    before, after, commands, dummy = plan(text, wanted)
    assert before != after
    assert [c['delete']['rule']['handle'] for c in commands if 'delete' in c] == [7, 8]
    assert len([c for c in commands if 'insert' in c]) == 1


def test_a_rule_behind_a_drop_is_moved_up():
    drop = [{'match': {'op': '==', 'left': {'meta': {'key': 'l4proto'}}, 'right': 'vrrp'}}, {'drop': None}]
    text = ruleset(chain('ip', 'filter4', 'input', policy='drop'), rule('ip', 'filter4', 'input', 9, drop),
                   ours('ip', 'filter4', 'input', 7))
    before, after, commands, dummy = plan(text, fw.wanted_rules(['198.51.100.12'], ['224.0.0.18']))
    assert before != after
    assert [list(c) for c in commands] == [['delete'], ['insert']]


def test_absent_removes_ours_everywhere_and_nothing_else():
    text = ruleset(chain('inet', 'filter', 'input', policy='drop'), ours('inet', 'filter', 'input', 7),
                   chain('inet', 'old', 'input'), ours('inet', 'old', 'input', 4),
                   rule('inet', 'filter', 'input', 2, SSH, comment='hanet-failover:other-cluster'))
    before, after, commands, dummy = plan(text, {}, present=False)
    assert after == {} and sorted(before) == ['inet filter input', 'inet old input']
    assert sorted(c['delete']['rule']['handle'] for c in commands) == [4, 7]


def test_iptables_nft_tables_are_left_to_iptables():
    text = ruleset(chain('ip', 'filter', 'INPUT', policy='drop'))
    assert plan(text)[1] == {}
    text = ruleset(chain('ip', 'mine', 'input', policy='drop'))
    assert plan(text, stderr='# Warning: table ip mine is managed by iptables-nft, do not touch!\n')[1] == {}


def test_accepts_adverts_heuristic_ignores_our_own_rules():
    accept_vrrp = [{'match': {'op': '==', 'left': {'meta': {'key': 'l4proto'}}, 'right': 'vrrp'}}, {'accept': None}]
    parsed = fw.nft_parse(ruleset(chain('inet', 'f', 'input', policy='drop'), ours('inet', 'f', 'input', 3)))
    c = fw.nft_input_chains(parsed)[0]
    assert fw.nft_accepts_adverts(parsed, c, 'prod') is False
    parsed = fw.nft_parse(ruleset(chain('inet', 'f', 'input', policy='drop'), rule('inet', 'f', 'input', 3, accept_vrrp)))
    assert fw.nft_accepts_adverts(parsed, fw.nft_input_chains(parsed)[0], 'prod') is True


IPT_DROP = '''-P INPUT DROP
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
'''


def test_iptables_plan_inserts_one_rule_per_pair_and_is_idempotent():
    wanted = fw.wanted_rules(['198.51.100.12', '198.51.100.13'], ['224.0.0.18'])
    before, after, commands, state = fw.ipt_plan(4, IPT_DROP, wanted, 'prod')
    assert state == {'drops': True, 'reason': 'policy DROP'}
    assert before == [] and len(after) == 2
    assert commands[0][:3] == ['-I', 'INPUT', '1'] and '--comment' in commands[0]
    listing = IPT_DROP.replace('-A INPUT -m conntrack', '\n'.join(
        '-A INPUT -s %s/32 -d 224.0.0.18/32 -p vrrp -m comment --comment "%s" -j ACCEPT' % (s, TAG)
        for s in ('198.51.100.12', '198.51.100.13')) + '\n-A INPUT -m conntrack')
    before, after, commands, state = fw.ipt_plan(4, listing, wanted, 'prod')
    assert before == after and commands == []
    before, after, commands, state = fw.ipt_plan(4, listing, {}, 'prod', present=False)
    assert after == [] and [c[:2] for c in commands] == [['-D', 'INPUT'], ['-D', 'INPUT']]


def test_iptables_without_drop_is_left_alone_and_jumps_are_followed():
    open_input = '-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n'
    assert fw.ipt_plan(4, open_input, WANTED, 'prod')[1:3] == ([], [])
    ufw_like = open_input + '-N ufw-input\n-A INPUT -j ufw-input\n-A ufw-input -p udp -j REJECT\n'
    assert fw.ipt_input(ufw_like) == {'drops': True, 'reason': 'DROP or REJECT rules'}
    assert fw.ipt_plan(6, IPT_DROP, WANTED, 'prod')[1] == ['ipv6 protocol 112 from fe80::12 to ff02::12 accept']


def test_firewalld_rich_rules_runtime_and_permanent_and_only_recorded_ones_removed():
    want = fw.firewalld_wanted(fw.wanted_rules(['198.51.100.12'], ['224.0.0.18']), ['public'])
    assert want == [('public', 'rule family="ipv4" source address="198.51.100.12" destination address="224.0.0.18" '
                               'protocol value="vrrp" accept')]
    admin = 'rule family="ipv4" source address="198.51.100.99" protocol value="vrrp" accept'
    before, after, actions = fw.firewalld_plan([], {'public': [admin]}, {'public': [admin]}, want)
    assert [(a[0], a[1]) for a in actions] == [('add', True), ('add', False)]
    present = {'public': [admin, want[0][1]]}
    assert fw.firewalld_plan(want, present, present, want)[2] == []
    before, after, actions = fw.firewalld_plan(want, present, present, [])
    assert [(a[0], a[3]) for a in actions] == [('remove', want[0][1]), ('remove', want[0][1])]
    assert after == [] and before == ['public: ' + want[0][1]]


def test_reapply_script_and_dropin():
    script = fw.reapply_script('prod', nft_commands=[{'insert': {'rule': {'comment': TAG}}}],
                               ipt_commands=[(fw.IPTABLES[4], fw.ipt_rule_args(4, '198.51.100.12', '224.0.0.18', 'prod'))])
    assert script.startswith('#!/bin/sh\n')
    assert '"comment": "%s"' % TAG in script
    assert 'iptables -C INPUT -s 198.51.100.12/32' in script and '|| iptables -I INPUT 1 ' in script
    dropin = fw.dropin('prod', '/var/lib/x.sh', True)
    assert '[Service]\nExecStartPost=-/bin/sh /var/lib/x.sh\nExecReload=-/bin/sh /var/lib/x.sh\n' in dropin
    assert 'ExecReload' not in fw.dropin('prod', '/var/lib/x.sh', False)


@pytest.mark.parametrize('sources,destinations,message', [
    (['nope'], ['224.0.0.18'], "sources: 'nope' is not an IPv4 or IPv6 address"),
    (['224.0.0.18'], ['224.0.0.18'], 'sources: 224.0.0.18 is a multicast'),
    (['198.51.100.1'], ['ff02::12'], 'destinations: no IPv4 destination'),
    (['fe80::1'], ['224.0.0.18'], 'sources: no IPv4 source'),
])
def test_wanted_rules_refuses_bad_input(sources, destinations, message):
    with pytest.raises(fw.FirewallError) as exc:
        fw.wanted_rules(sources, destinations)
    assert message in str(exc.value)


# corosync's knet (traffic=corosync): UDP to one port, its own rules beside the adverts' ones.
COROSYNC = fw.Traffic('corosync')
COROSYNC_TAG = 'hanet-failover:prod@corosync'
KNET = fw.wanted_rules(['198.51.100.12', '198.51.100.13'], ['198.51.100.11'], COROSYNC)


def test_corosync_rules_are_udp_to_the_port_and_tagged_apart_from_the_adverts():
    assert COROSYNC.label('prod') == 'prod@corosync' and fw.VRRP.label('prod') == 'prod'
    text = ruleset(chain('inet', 'filter', 'input', policy='drop'), rule('inet', 'filter', 'input', 2, SSH),
                   ours('inet', 'filter', 'input', 3))
    before, after, commands, chains = fw.nft_plan(fw.nft_parse(text), KNET, 'prod@corosync', traffic=COROSYNC)
    # The adverts' rule of the same cluster (tag hanet-failover:prod) is neither seen as ours nor touched.
    assert before == {}
    assert after == {'inet filter input': ['ipv4 udp dport 5405 from 198.51.100.12, 198.51.100.13 to 198.51.100.11 '
                                           'accept']}
    assert [list(c) for c in commands] == [['insert']]
    inserted = commands[0]['insert']['rule']
    assert inserted['comment'] == COROSYNC_TAG
    assert {'match': {'op': '==', 'left': {'payload': {'protocol': 'udp', 'field': 'dport'}}, 'right': 5405}} \
        in inserted['expr']
    # As nft lists it again: idempotent; an adverts' shape under the corosync tag is replaced.
    listed = dict(inserted, handle=9, family='inet', table='filter', chain='input')
    text = ruleset(chain('inet', 'filter', 'input', policy='drop'), {'rule': listed}, rule('inet', 'filter', 'input', 2, SSH))
    assert fw.nft_plan(fw.nft_parse(text), KNET, 'prod@corosync', traffic=COROSYNC)[2] == []
    assert fw.nft_rule_shape(listed, fw.VRRP) is None
    wrong = dict(listed, expr=fw.nft_rule_expr(4, ('198.51.100.12', '198.51.100.13'), ('198.51.100.11',)))
    text = ruleset(chain('inet', 'filter', 'input', policy='drop'), {'rule': wrong})
    before, after, commands, chains = fw.nft_plan(fw.nft_parse(text), KNET, 'prod@corosync', traffic=COROSYNC)
    assert before == {'inet filter input': ['a rule changed by hand (handle 9)']}
    assert [list(c) for c in commands] == [['delete'], ['insert']]


def test_corosync_accepted_by_the_admin_is_seen_and_other_ports_are_not():
    def accept(right):
        return [{'match': {'op': '==', 'left': {'payload': {'protocol': 'udp', 'field': 'dport'}}, 'right': right}},
                {'accept': None}]
    for right, seen in ((5405, True), ({'set': [5404, 5405]}, True), ({'range': [5404, 5406]}, True), (5406, False)):
        parsed = fw.nft_parse(ruleset(chain('inet', 'f', 'input', policy='drop'),
                                      rule('inet', 'f', 'input', 3, accept(right))))
        assert fw.nft_accepts_adverts(parsed, fw.nft_input_chains(parsed)[0], 'prod@corosync', COROSYNC) is seen
        assert fw.nft_accepts_adverts(parsed, fw.nft_input_chains(parsed)[0], 'prod') is False


def test_corosync_iptables_rules_and_the_adverts_rules_of_the_same_cluster_stay_apart():
    args = fw.ipt_rule_args(4, '198.51.100.12', '198.51.100.11', 'prod@corosync', COROSYNC)
    assert args[4:10] == ['-p', 'udp', '-m', 'udp', '--dport', '5405']
    before, after, commands, state = fw.ipt_plan(4, IPT_DROP, KNET, 'prod@corosync', traffic=COROSYNC)
    assert after == ['ipv4 udp dport 5405 from 198.51.100.12 to 198.51.100.11 accept',
                     'ipv4 udp dport 5405 from 198.51.100.13 to 198.51.100.11 accept']
    # As iptables -S lists them, after the cluster's adverts rule: idempotent, and the adverts rule is not ours.
    adverts = '-A INPUT -s 198.51.100.12/32 -d 224.0.0.18/32 -p vrrp -m comment --comment %s -j ACCEPT' % TAG
    listing = IPT_DROP.replace('-A INPUT -m conntrack', '\n'.join(
        ['-A INPUT -s %s/32 -d 198.51.100.11/32 -p udp -m udp --dport 5405 -m comment --comment %s -j ACCEPT'
         % (s, COROSYNC_TAG) for s in ('198.51.100.12', '198.51.100.13')] + [adverts]) + '\n-A INPUT -m conntrack')
    assert fw.ipt_plan(4, listing, KNET, 'prod@corosync', traffic=COROSYNC)[2] == []
    assert fw.ipt_ours(listing, 'prod')[0] == [('198.51.100.12', '224.0.0.18')]
    assert fw.ipt_placed(listing, 'prod') is True
    removed = fw.ipt_plan(4, listing, {}, 'prod@corosync', present=False, traffic=COROSYNC)[2]
    assert len(removed) == 2 and all('udp' in c and COROSYNC_TAG in c for c in removed)
    assert fw.ipt_accepts_adverts(IPT_DROP + '-A INPUT -p udp -m multiport --dports 5404:5406 -j ACCEPT\n',
                                  'prod@corosync', COROSYNC) is True
    assert fw.ipt_accepts_adverts(IPT_DROP, 'prod@corosync', COROSYNC) is False


def test_corosync_firewalld_rich_rules_name_the_port():
    want = fw.firewalld_wanted(fw.wanted_rules(['198.51.100.12'], ['198.51.100.11'], COROSYNC), ['public'], COROSYNC)
    assert want == [('public', 'rule family="ipv4" source address="198.51.100.12" destination address="198.51.100.11" '
                               'port port="5405" protocol="udp" accept')]
    assert fw.firewalld_accepts_adverts(['rule family="ipv4" port port="5405" protocol="udp" accept'],
                                        traffic=COROSYNC) is True
    assert fw.firewalld_accepts_adverts([want[0][1]], traffic=COROSYNC) is False


@pytest.mark.parametrize('kind,port,message', [
    ('ospf', 5405, "traffic: 'ospf' is not known"),
    ('corosync', 0, 'port: 0 is not a UDP port'),
    ('corosync', 70000, 'port: 70000 is not a UDP port'),
])
def test_traffic_refuses_bad_input(kind, port, message):
    with pytest.raises(fw.FirewallError, match=message):
        fw.Traffic(kind, port)


def test_corosync_destinations_hint_at_the_ring_address():
    with pytest.raises(fw.FirewallError, match="this member's own address on corosync's ring"):
        fw.wanted_rules(['198.51.100.12'], [], COROSYNC)
