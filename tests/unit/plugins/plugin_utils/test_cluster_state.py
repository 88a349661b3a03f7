# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the members hold (plugins/plugin_utils/_cluster_state.py): expected MACs, links from facts, holders."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_addresses import own_address
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_state import (
    expected_macs, links_from_facts, vip_holders)
from ansible_collections.hanet.failover.tests.unit.plugins.plugin_utils.cluster_examples import members


def test_vip_holders_reports_split_brain_and_macs():
    expect = expected_macs(members(), 'c')
    links = {'n1': [{'name': 'vrrp.51', 'mac': '00:00:5e:00:01:33',
                     'addresses': [{'address': '198.51.100.100'}]}],
             'n2': [{'name': 'vrrp.51', 'mac': '00:00:5e:00:01:33',
                     'addresses': [{'address': '198.51.100.100'}]},
                    {'name': 'eth0', 'mac': '02:00:00:00:00:02', 'addresses': [{'address': '2001:db8::101'}]}]}
    state = vip_holders(links, expect)
    assert state['web']['holders'] == ['n1', 'n2']
    assert state['web']['expected_mac'] == '00:00:5e:00:01:33'
    assert state['api6'] == {'address': '2001:db8::101', 'mac_mode': 'garp', 'holders': ['n2'],
                             'mac': '02:00:00:00:00:02', 'expected_mac': '02:00:00:00:00:02'}


def test_links_from_facts_shape_failover_info_links_for_check_mode():
    facts = {
        'interfaces': ['lo', 'eth0', 'vrrp.51'],
        'lo': {'device': 'lo', 'mtu': 65536, 'ipv4': {'address': '127.0.0.1', 'prefix': '8'}},
        'eth0': {'device': 'eth0', 'macaddress': '02:00:00:00:00:01', 'mtu': 1500,
                 'ipv4': {'address': '198.51.100.11', 'prefix': '24'},
                 'ipv4_secondaries': [{'address': '198.51.100.100', 'prefix': '24'}],
                 'ipv6': [{'address': '2001:db8::11', 'prefix': '64', 'scope': 'global'}]},
        'vrrp_51': {'device': 'vrrp.51', 'macaddress': '00:00:5e:00:01:33', 'mtu': 1500},
    }
    links = {link['name']: link for link in links_from_facts(facts)}
    assert sorted(links) == ['eth0', 'lo', 'vrrp.51']
    assert links['eth0']['addresses'] == [
        {'family': 4, 'address': '198.51.100.11', 'prefixlen': 24},
        {'family': 4, 'address': '198.51.100.100', 'prefixlen': 24},
        {'family': 6, 'address': '2001:db8::11', 'prefixlen': 64}]
    assert links['vrrp.51']['mac'] == '00:00:5e:00:01:33' and links['vrrp.51']['addresses'] == []
    # The model reads them as it reads failover_info's: the unicast source is the host's own address.
    member = {'name': 'n1', 'links': links_from_facts(facts)}
    vip = {'address': '198.51.100.100/24', 'interface': 'eth0', 'family': 4}
    assert own_address(member, vip) == '198.51.100.11'
