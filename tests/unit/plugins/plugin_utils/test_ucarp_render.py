# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""ucarp_instances from the cluster model (plugins/plugin_utils/_ucarp_render.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_addresses import vip_mac
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_validation import (
    ModelError, preflight, resolved_vip)
from ansible_collections.hanet.failover.plugins.plugin_utils._ucarp_render import ucarp_instances
from ansible_collections.hanet.failover.tests.unit.plugins.plugin_utils.cluster_examples import UCARP_VIPS, members


def test_ucarp_instances_rank_priorities_into_skews():
    group = members(UCARP_VIPS, priorities=(100, 150))
    group[1]['links'] = [{'name': 'eth0', 'mac': '02:00:00:00:00:02',
                          'addresses': [{'address': '198.51.100.100', 'prefixlen': 24, 'family': 4},
                                        {'address': '198.51.100.12', 'prefixlen': 24, 'family': 4}]}]
    low = ucarp_instances(group[0], group, 'prod')
    high = ucarp_instances(group[1], group, 'prod')
    assert [i['advskew'] for i in low] == [20, 20] and [i['advskew'] for i in high] == [0, 0]
    # The member's own address, never the VIP it may hold right now.
    assert low[0]['srcip'] == '198.51.100.11' and high[0]['srcip'] == '198.51.100.12'
    web = low[0]
    assert web['vhid'] == 51 and web['password'] == 'ucarp-web-secret' and web['address'] == '198.51.100.100/24'
    assert web['advbase'] == 1 and web['deadratio'] == 3 and web['preempt'] is True
    assert web['mac_mode'] == 'vmac' and web['mac'] == '00:00:5e:00:01:33' and web['vmac_interface'] == 'ucarp.51'
    assert 'mac' not in low[1] and low[1]['mac_mode'] == 'garp'
    fast = ucarp_instances(group[0], group, 'prod', 'fast')
    assert fast[0]['deadratio'] == 2 and fast[0]['advbase'] == 1


def test_ucarp_laa_mac_and_nopreempt():
    vips = copy.deepcopy(UCARP_VIPS[:1])
    vips[0].update(mac='laa', nopreempt=True)
    group = members(vips)
    web = ucarp_instances(group[0], group, 'prod')[0]
    assert web['mac'] == vip_mac(resolved_vip(vips[0], backend='ucarp'), 'prod')
    assert int(web['mac'].split(':')[0], 16) & 0x03 == 0x02
    assert web['preempt'] is False


def test_ucarp_instances_need_an_own_address_in_the_subnet():
    vips = copy.deepcopy(UCARP_VIPS[:1])
    vips[0]['address'] = '203.0.113.10/24'
    group = members(vips)
    with pytest.raises(ModelError, match='no IPv4 address of its own in 203.0.113.0/24 on eth0'):
        ucarp_instances(group[0], group)


def test_ucarp_follows_a_service_by_giving_the_vip_away():
    vips = [{'name': 'web', 'address': '198.51.100.100/24', 'interface': 'eth0', 'vrid': 51, 'auth_pass': 'pw',
             'track': [{'service': 'haproxy'}]}]
    group = members(vips)
    assert preflight(group, backend='ucarp') == []
    assert [i['track'] for i in ucarp_instances(group[0], group)] == [True]
    untracked = members([dict(vips[0], track=[])])
    assert [i['track'] for i in ucarp_instances(untracked[0], untracked)] == [False]
    vips[0]['track'].append({'tcp': 80, 'weight': 5})
    errors = preflight(members(vips), backend='ucarp')
    assert any('cluster_vips[web].track[1].weight: ucarp cannot lower a member\'s rank' in e for e in errors), errors
