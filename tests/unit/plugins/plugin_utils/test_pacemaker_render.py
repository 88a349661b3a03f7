# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Pacemaker backend's rendering (corosync nodes, CIB resources and constraints) and its model rules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.hanet.failover.plugins.module_utils import _pacemaker_cib
from ansible_collections.hanet.failover.plugins.plugin_utils import _pacemaker_render as render
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_validation import (
    ModelError, preflight, resolved_vip)

from ansible_collections.hanet.failover.tests.unit.plugins.plugin_utils.cluster_examples import members

VIPS = [
    {'name': 'web', 'address': '198.51.100.100/24', 'interface': 'eth0', 'vrid': 51, 'mac_mode': 'vmac'},
    {'name': 'api', 'address': '198.51.100.101/24', 'interface': 'eth0', 'vrid': 52},
    {'name': 'api6', 'address': '2001:db8::101/64', 'interface': 'eth0', 'vrid': 53, 'garp_master_refresh': 30},
]


def test_garp_and_vmac_vips_become_ipaddr2_and_a_vmac_group():
    config = render.pacemaker_configuration(members(VIPS), 'prod')
    web, api, api6 = config['resources']
    assert web['id'] == 'hanet-web' and [p['id'] for p in web['primitives']] == ['hanet-web-vmac', 'hanet-web-address']
    vmac, address = web['primitives']
    assert vmac['agent'] == 'ocf:hanet:vmac'
    assert vmac['params'] == {'device': 'eth0', 'name': 'vrrp.51', 'mac': '00:00:5e:00:01:33'}
    assert address['params']['nic'] == 'vrrp.51' and address['params']['noprefixroute'] == 'true'
    assert api == {'id': 'hanet-api', 'agent': 'ocf:heartbeat:IPaddr2', 'meta': {'resource-stickiness': 0},
                   'params': {'ip': '198.51.100.101', 'cidr_netmask': 24, 'nic': 'eth0', 'arp_count': 5,
                              'arp_interval': 200},
                   'operations': [{'name': 'monitor', 'interval': '10s', 'timeout': '20s'}]}
    assert api6['params']['arp_count_refresh'] == 1 and api6['operations'][0]['interval'] == '30s'
    # What the module checks accepts what the model renders.
    _pacemaker_cib.checked_resources(config['resources'])
    _pacemaker_cib.checked_locations(config['locations'])


def test_priorities_become_location_scores_and_a_member_without_one_never_runs_the_vip():
    group = members(VIPS)
    group[1]['vips'][1]['priorities'] = {'n1': 100}
    group[0]['vips'][1]['priorities'] = {'n1': 100}
    group[1]['priority'] = None
    locations = dict((loc['id'], loc) for loc in render.pacemaker_configuration(group)['locations'])
    assert locations['hanet-web-on-n1']['score'] == '150' and locations['hanet-web-on-n2']['score'] == '-INFINITY'
    assert locations['hanet-api-on-n1']['score'] == '100'


def test_nopreempt_keeps_the_vip_where_it_runs():
    vips = [dict(VIPS[1], nopreempt=True)]
    assert render.pacemaker_configuration(members(vips))['resources'][0]['meta'] == {'resource-stickiness': 'INFINITY'}


def test_nodes_take_the_uname_the_ring_address_and_a_stable_id():
    group = members(VIPS)
    group[0]['node_name'] = 'host-1'
    group[1]['ring_address'] = '203.0.113.2'
    nodes = render.pacemaker_nodes(group)
    assert nodes[0]['host'] == 'n1' and nodes[0]['name'] == 'host-1' and nodes[0]['address'] == '198.51.100.11'
    assert nodes[1]['name'] == 'n2' and nodes[1]['address'] == '203.0.113.2'
    assert nodes[0]['id'] == render.pacemaker_nodes(members(VIPS))[0]['id'] and 1 <= nodes[0]['id'] <= 65535
    assert nodes[0]['id'] != nodes[1]['id']


def test_node_problems_name_the_member_and_the_fix():
    group = members(VIPS)
    group[0]['node_id'] = 7
    group[1]['node_id'] = 7
    group[1]['node_name'] = 'n1'
    group[1]['links'] = [{'name': 'eth0', 'addresses': []}]
    errors = render.node_problems(group)
    assert "n2: corosync node id 7 is also n1's; set pacemaker_node_id on one of them" in errors
    assert "n2: the node name n1 (its uname) is also n1's; Pacemaker needs distinct node names" in errors
    assert any(e.startswith("n2: no address for corosync's ring") for e in errors)


@pytest.mark.parametrize('field,value,message', [
    ('advert_int', 1, 'advert_int does not apply to cluster_backend: pacemaker'),
    ('auth_pass', 'secret', 'auth_pass does not apply to cluster_backend: pacemaker'),
    ('unicast', True, 'unicast does not apply to cluster_backend: pacemaker'),
    ('track', [{'service': 'nginx'}], 'track: the pacemaker backend does not follow services yet'),
    ('hooks', {'master': 'true'}, 'hooks: the pacemaker backend does not run state-change hooks yet'),
    ('garp_master_repeat', 0, 'garp_master_repeat: give a whole number from 1 to 3600, got 0'),
])
def test_what_pacemaker_has_no_use_for_is_refused(field, value, message):
    with pytest.raises(ModelError) as exc:
        resolved_vip(dict(VIPS[1], **{field: value}), backend='pacemaker')
    assert message in str(exc.value)


def test_an_ipv6_vmac_vip_is_refused_and_the_preflight_takes_pacemaker():
    with pytest.raises(ModelError) as exc:
        resolved_vip(dict(VIPS[2], mac_mode='vmac'), backend='pacemaker')
    assert 'virtual MACs for IPv4 VIPs only' in str(exc.value)
    assert preflight(members(VIPS[:2]), backend='pacemaker') == []


BOOKWORM = ('Pacemaker 2.1.5 (Build: a3f44794f94)\n Supporting v3.16.1: agent-manpages cibsecrets corosync-ge-2 '
            'generated-manpages lha monotonic nagios ncurses remote systemd\n')
TRIXIE = 'Pacemaker 3.0.1 (Build: 3.0.1)\n Supporting v3.20.4: agent-manpages cibsecrets corosync-ge-2 systemd\n'


def test_members_of_two_pacemaker_feature_sets_are_refused_and_one_set_passes():
    group = members(VIPS[:2])
    group[0]['pacemaker_features'], group[1]['pacemaker_features'] = TRIXIE, BOOKWORM
    errors = preflight(group, backend='pacemaker')
    assert errors == ['cluster_backend pacemaker: the members run different Pacemaker feature sets (n1: Pacemaker '
                      '3.0.1, feature set 3.20; n2: Pacemaker 2.1.5, feature set 3.16). A node with an older feature '
                      'set cannot join a cluster whose designated controller has a newer one, so after an election '
                      'it stays out. Run one Pacemaker release on every member (the same Debian release), then '
                      'deploy again']
    group[0]['pacemaker_features'] = BOOKWORM.replace('2.1.5', '2.1.6')
    assert preflight(group, backend='pacemaker') == []
    # Not installed yet (check mode on a bare host): nothing to compare.
    group[0]['pacemaker_features'] = ''
    assert preflight(group, backend='pacemaker') == []
    group[0]['pacemaker_features'] = TRIXIE
    assert preflight(group, backend='keepalived') == []


def test_colliding_resource_ids_are_named_by_the_preflight_and_odd_inventory_names_are_made_usable():
    vips = [VIPS[0], dict(VIPS[1], name='web-vmac')]
    errors = render.configuration_problems(members(vips))
    assert errors and 'the id hanet-web-vmac is used twice; rename a VIP' in errors[0]
    group = members(VIPS[1:2])
    group[1]['name'] = 'fe80::1'
    ids = [loc['id'] for loc in render.pacemaker_configuration(group)['locations']]
    assert ids == ['hanet-api-on-n1', 'hanet-api-on-fe80__1']
    assert render.configuration_problems(group) == []
