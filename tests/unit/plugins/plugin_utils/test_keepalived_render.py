# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""keepalived_instances from the cluster model (plugins/plugin_utils/_keepalived_render.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.hanet.failover.plugins.module_utils import _mac
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_state import links_from_facts
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_succession import ranked_members, vip_successions
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_validation import (
    ModelError, preflight, resolved_vip)
from ansible_collections.hanet.failover.plugins.plugin_utils._keepalived_render import keepalived_instances
from ansible_collections.hanet.failover.plugins.plugin_utils._ucarp_render import ucarp_instances
from ansible_collections.hanet.failover.tests.unit.plugins.plugin_utils.cluster_examples import (
    UCARP_VIPS, VIPS, members)


def test_keepalived_instances_for_vmac_and_garp():
    instances = keepalived_instances(members()[0], 'c')
    web, api6 = instances
    assert web['use_vmac'] and web['vmac_name'] == 'vrrp.51' and 'vmac_mac' not in web
    # Multicast adverts from the virtual MAC: each one tells the switch where the VMAC lives.
    assert web['vmac_xmit_base'] is False
    assert web['virtual_ipaddresses'] == [{'address': '198.51.100.100/24'}]
    assert web['version'] == 2 and web['priority'] == 150
    assert api6['native_ipv6'] and api6['version'] == 3
    assert api6['virtual_ipaddresses'] == [{'address': '2001:db8::101/64', 'dev': 'eth0'}]


def test_laa_vmac_is_derived_from_cluster_and_address():
    vips = [dict(VIPS[0], mac='laa')]
    web = keepalived_instances(members(vips)[0], 'prod')[0]
    assert web['vmac_mac'] == _mac.laa_mac('prod', '198.51.100.100/24')


def test_fast_profile():
    web = keepalived_instances(members(VIPS[:1])[0], 'c', 'fast')[0]
    assert web['version'] == 3 and web['advert_int'] == 0.03


def test_unicast_adverts_go_to_the_other_members():
    vips = [dict(VIPS[0], unicast=True)]
    group = members(vips)
    group[1]['links'] = [{'name': 'eth0', 'mac': '02:00:00:00:00:02',
                          'addresses': [{'address': '198.51.100.12', 'prefixlen': 24, 'family': 4}]}]
    assert preflight(group) == []
    web = keepalived_instances(group[0], 'c', 'default', group)[0]
    assert web['unicast_src_ip'] == '198.51.100.11' and web['unicast_peers'] == ['198.51.100.12']
    assert web['vmac_xmit_base'] is True  # keepalived sends unicast adverts from the parent interface
    with pytest.raises(ModelError, match='pass all members'):
        keepalived_instances(group[0], 'c')
    ucarp_vips = [dict(UCARP_VIPS[1], unicast=True)]
    ucarp_group = members(ucarp_vips)
    assert ucarp_instances(ucarp_group[0], ucarp_group)[0]['nomcast'] is True


def test_the_maintenance_file_drops_the_priority_to_one():
    group = members(priorities=(150, 1))
    high = keepalived_instances(group[0], 'c', 'default', group, 'hanet_maintenance', rank=False)[0]
    assert high['track_files'] == [{'name': 'hanet_maintenance', 'weight': -149}]
    assert high['priority'] + high['track_files'][0]['weight'] == 1
    # At priority 1 there is nothing to lower (and weight 0 would mean FAULT to keepalived).
    low = keepalived_instances(group[1], 'c', 'default', group, 'hanet_maintenance', rank=False)[0]
    assert 'track_files' not in low
    assert 'track_files' not in keepalived_instances(group[0], 'c')[0]
    # Ranked (254, 253), a drained member still drops to 1.
    for member, priority in zip(group, (254, 253)):
        ranked = keepalived_instances(member, 'c', 'default', group, 'hanet_maintenance')[0]
        assert ranked['priority'] == priority
        assert ranked['priority'] + ranked['track_files'][0]['weight'] == 1


def test_priorities_are_ranked_onto_the_top_of_the_range_per_vip():
    vips = [VIPS[0], dict(VIPS[1], priorities={'n1': 10, 'n2': 20, 'n3': 30})]
    group = members(vips) + [dict(members(vips)[0], name='n3', priority=120)]
    group[0]['priority'], group[1]['priority'] = 150, 100
    ranks = dict((m['name'], [i['priority'] for i in keepalived_instances(m, 'c', 'default', group)])
                 for m in group)
    # web: 150 > 120 > 100 (cluster_priority); api6: its own priorities, 30 > 20 > 10.
    assert ranks == {'n1': [254, 252], 'n2': [252, 253], 'n3': [253, 254]}
    raw = keepalived_instances(group[2], 'c', 'default', group, rank=False)
    assert [i['priority'] for i in raw] == [120, 30]
    # Without the members there is nothing to rank among: the priority as given.
    assert keepalived_instances(group[0], 'c')[0]['priority'] == 150
    # The election order is the one the drill and maintenance expect (vip_successions ranks the same way).
    assert [m['name'] for m in ranked_members(group, resolved_vip(vips[1]))] == ['n3', 'n2', 'n1']


def test_ranking_takes_each_members_own_copy_of_the_vip():
    """Members whose inventories give one VIP different priorities mappings: each advertises what its own copy says,
    ranked; no tie (the review found both at 254 when one member's copy ranked everybody)."""
    group = members([VIPS[0]], priorities=(100, 150))
    group[0]['vips'][0]['priorities'] = {'n1': 200}  # n1: 200; n2's copy has no mapping: its cluster_priority, 150
    assert preflight(group) == []
    ranks = [keepalived_instances(m, 'c', 'default', group)[0]['priority'] for m in group]
    assert ranks == [254, 253]
    assert vip_successions(group)['web']['holder'] == 'n1'


def test_unicast_peers_do_not_depend_on_who_holds_which_vip_in_facts():
    # Ansible's facts (check mode) list IPv6 addresses newest first: here n1 holds both VIPs.
    def facts(own, held):
        return {'interfaces': ['eth0'],
                'eth0': {'device': 'eth0', 'macaddress': '02:00:00:00:00:01', 'mtu': 1500,
                         'ipv4': {'address': '198.51.100.%d' % own, 'prefix': '24'},
                         'ipv6': [{'address': a, 'prefix': '64', 'scope': 'global'} for a in held]
                         + [{'address': '2001:db8::%d' % own, 'prefix': '64', 'scope': 'global'}]}}
    vips = [{'name': 'a6', 'address': '2001:db8::100/64', 'interface': 'eth0', 'vrid': 60, 'unicast': True},
            {'name': 'b6', 'address': '2001:db8::101/64', 'interface': 'eth0', 'vrid': 61, 'unicast': True}]
    group = [{'name': 'n1', 'vips': vips, 'priority': 150,
              'links': links_from_facts(facts(11, ['2001:db8::101', '2001:db8::100']))},
             {'name': 'n2', 'vips': vips, 'priority': 100, 'links': links_from_facts(facts(12, []))}]
    mine = keepalived_instances(group[0], members=group)
    theirs = keepalived_instances(group[1], members=group)
    assert [(i['unicast_src_ip'], i['unicast_peers']) for i in mine] == [('2001:db8::11', ['2001:db8::12'])] * 2
    assert [(i['unicast_src_ip'], i['unicast_peers']) for i in theirs] == [('2001:db8::12', ['2001:db8::11'])] * 2


def test_tracked_vips_read_the_checkers_track_files():
    vips = copy.deepcopy(VIPS)
    vips[0]['track'] = [{'service': 'haproxy'}, {'tcp': 8080, 'weight': 5}]
    group = members(vips)
    assert preflight(group) == []
    web, api6 = keepalived_instances(group[0], 'c', 'default', group, 'hanet_maintenance')
    assert web['track_files'] == [{'name': 'hanet_maintenance', 'weight': -253},
                                  {'name': 'hanet_web_fault', 'weight': 0}, {'name': 'hanet_web_weight', 'weight': 1}]
    assert api6['track_files'] == [{'name': 'hanet_maintenance', 'weight': -253}]
    # Without the maintenance track (the keepalived role used directly), the health files alone.
    assert [t['name'] for t in keepalived_instances(group[0], 'c')[0]['track_files']] == \
        ['hanet_web_fault', 'hanet_web_weight']
