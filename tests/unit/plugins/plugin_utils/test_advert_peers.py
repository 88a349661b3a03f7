# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where each member's adverts come from and go to (plugins/plugin_utils/_advert_peers.py), for its firewall."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hanet.failover.plugins.plugin_utils._advert_peers import advert_peers

LINKS1 = [{'name': 'eth0', 'addresses': [{'family': 4, 'address': '198.51.100.11'},
                                         {'family': 6, 'address': 'fe80::11'}]}]
LINKS2 = [{'name': 'eth0', 'addresses': [{'family': 4, 'address': '198.51.100.12'},
                                         {'family': 4, 'address': '198.51.100.10'},  # holds the VIP right now
                                         {'family': 6, 'address': 'fe80::12'}]}]
VIPS = [{'name': 'web', 'address': '198.51.100.10/24', 'interface': 'eth0', 'vrid': 51},
        {'name': 'api6', 'address': '2001:db8::10/64', 'interface': 'eth0', 'vrid': 52}]


def model(vips):
    return [{'name': 'n1', 'vips': vips, 'links': LINKS1}, {'name': 'n2', 'vips': vips, 'links': LINKS2}]


def test_advert_peers_multicast_unicast_and_ucarp():
    members = model(VIPS)
    assert advert_peers(members[0], members) == {'traffic': 'vrrp', 'sources': ['198.51.100.12', 'fe80::12'],
                                                 'destinations': ['224.0.0.18', 'ff02::12'], 'interfaces': ['eth0']}
    unicast = [dict(VIPS[0], unicast=True)]
    members = model(unicast)
    assert advert_peers(members[1], members) == {'traffic': 'vrrp', 'sources': ['198.51.100.11'],
                                                 'destinations': ['198.51.100.12'], 'interfaces': ['eth0']}
    # ucarp: CARP, protocol 112 to 224.0.0.18 always (unicast means Ethernet broadcast there).
    carp = [dict(VIPS[0], unicast=True, auth_pass='pw')]
    members = model(carp)
    assert advert_peers(members[0], members, 'default', 'ucarp') == {'traffic': 'vrrp', 'sources': ['198.51.100.12'],
                                                                     'destinations': ['224.0.0.18'],
                                                                     'interfaces': ['eth0']}


def test_advert_peers_pacemaker_is_corosync_between_ring_addresses():
    members = model(VIPS)
    assert advert_peers(members[0], members, 'default', 'pacemaker') == {
        'traffic': 'corosync', 'sources': ['198.51.100.12'], 'destinations': ['198.51.100.11'], 'interfaces': ['eth0']}
    # A ring on another network (pacemaker_ring_address): its addresses, and the link that holds this member's.
    members[0]['ring_address'] = '203.0.113.11'
    members[0]['links'] = LINKS1 + [{'name': 'ring0', 'addresses': [{'family': 4, 'address': '203.0.113.11'}]}]
    members[1]['ring_address'] = '203.0.113.12'
    assert advert_peers(members[0], members, 'default', 'pacemaker') == {
        'traffic': 'corosync', 'sources': ['203.0.113.12'], 'destinations': ['203.0.113.11'], 'interfaces': ['ring0']}


def test_advert_peers_pacemaker_ring_addresses_compare_as_addresses():
    members = model(VIPS)
    members[0]['ring_address'] = '2001:DB8::0011'
    members[0]['links'] = LINKS1 + [{'name': 'ring0', 'addresses': [{'family': 6, 'address': '2001:db8::11'}]}]
    members[1]['ring_address'] = '2001:db8:0::12'
    assert advert_peers(members[0], members, 'default', 'pacemaker') == {
        'traffic': 'corosync', 'sources': ['2001:db8::12'], 'destinations': ['2001:db8::11'], 'interfaces': ['ring0']}
