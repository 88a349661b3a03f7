# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The election order and who holds each VIP next (plugins/plugin_utils/_cluster_succession.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_succession import vip_successions
from ansible_collections.hanet.failover.plugins.plugin_utils._ucarp_render import ucarp_instances
from ansible_collections.hanet.failover.tests.unit.plugins.plugin_utils.cluster_examples import LINKS


def three(vips=None):
    vips = vips or [
        {'name': 'web', 'address': '198.51.100.100/24', 'interface': 'eth0', 'vrid': 51},
        {'name': 'api', 'address': '198.51.100.101/24', 'interface': 'eth0', 'vrid': 52, 'auth_pass': 'secret',
         'priorities': {'n1': 150, 'n2': 50, 'n3': 100}},
        {'name': 'db', 'address': '198.51.100.102/24', 'interface': 'eth0', 'vrid': 53,
         'priorities': {'n3': 200}},
    ]
    return [{'name': name, 'vips': copy.deepcopy(vips), 'priority': prio}
            for name, prio in (('n1', 150), ('n2', 100), ('n3', 50))]


def test_vip_successions_honour_per_vip_priorities():
    group = three()
    elected = vip_successions(group)
    assert dict((name, entry['holder']) for name, entry in elected.items()) == {'web': 'n1', 'api': 'n1', 'db': 'n3'}
    assert elected['api']['order'] == ['n1', 'n3', 'n2'] and elected['api']['address'] == '198.51.100.101'
    # n1 fails: web goes to n2 (cluster_priority), api to n3 (its priorities), db stays with n3.
    holders = dict((name, entry['holder']) for name, entry in elected.items())
    after = vip_successions(group, ['n1'], holders)
    assert dict((name, entry['holder']) for name, entry in after.items()) == {'web': 'n2', 'api': 'n3', 'db': 'n3'}
    assert after['api']['before'] == 'n1' and after['db']['before'] == 'n3'
    # A holder that is not down keeps its VIP (no preemption by a fault elsewhere); holders may be lists.
    assert vip_successions(group, ['n3'], {'web': ['n2'], 'api': 'n1', 'db': ['n3']})['web']['holder'] == 'n2'
    # Drain n3 (maintenance): db goes to n1 (150 over 100); nobody is left when every member is down.
    assert vip_successions(group, ['n3'])['db']['holder'] == 'n1'
    assert vip_successions(group, ['n1', 'n2', 'n3'])['web']['holder'] is None
    assert 'secret' not in repr(after)


def test_vip_successions_agree_with_the_ucarp_skews():
    group = three()
    for member in group:
        member['links'] = LINKS
        for vip in member['vips']:
            vip['auth_pass'] = 'ucarp-secret'
    order = vip_successions(group)
    skews = dict((m['name'], dict((i['name'], i['advskew']) for i in ucarp_instances(m, group))) for m in group)
    for name, entry in order.items():
        assert sorted(skews, key=lambda host: skews[host][name]) == entry['order']


def test_cluster_filters_are_exposed():
    from ansible_collections.hanet.failover.plugins.filter.cluster import FilterModule
    filters = FilterModule().filters()
    assert {'vip_successions', 'keepalived_vmac_name'} <= set(filters)
    assert filters['vip_successions'](three(), ['n1'])['api']['holder'] == 'n3'
    assert filters['keepalived_vmac_name']({'use_vmac': True, 'virtual_router_id': 7,
                                            'virtual_ipaddresses': ['2001:db8::7/64']}) == 'vrrp6.7'
