# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""A member's own address beside a VIP (plugins/plugin_utils/_cluster_addresses.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_addresses import own_address


def test_own_address_is_never_another_vip_whoever_holds_it():
    # IPv6 lists the newest address first: a VIP this member holds now must not become its unicast source.
    vips = [{'name': 'a', 'address': '2001:db8::100/64', 'interface': 'eth0'},
            {'name': 'b', 'address': '2001:db8::101/64', 'interface': 'eth0'},
            {'name': 'c', 'address': '198.51.100.100/24', 'interface': 'eth0'}]
    links = [{'name': 'eth0', 'addresses': [
        {'family': 6, 'address': '2001:db8::101', 'prefixlen': 64},
        {'family': 6, 'address': '2001:db8::12', 'prefixlen': 64},
        {'family': 6, 'address': '2001:db8::11', 'prefixlen': 64},
        {'family': 4, 'address': '198.51.100.100', 'prefixlen': 24},
        {'family': 4, 'address': '198.51.100.11', 'prefixlen': 24}]}]
    member = {'name': 'n1', 'vips': vips, 'links': links}
    assert own_address(member, {'address': '2001:db8::100/64', 'interface': 'eth0', 'family': 6}) == '2001:db8::12'
    assert own_address(member, {'address': '198.51.100.100/24', 'interface': 'eth0', 'family': 4}) == '198.51.100.11'
    only_vips = {'name': 'n1', 'vips': vips, 'links': [{'name': 'eth0', 'addresses': links[0]['addresses'][:1]}]}
    assert own_address(only_vips, {'address': '2001:db8::100/64', 'interface': 'eth0', 'family': 6}) is None


def test_own_address_prefers_a_settled_permanent_address_to_what_the_kernel_lists_first():
    # failover_info's flags: a VIP, then addresses that are tentative, deprecated, temporary (secondary), from
    # autoconfiguration (not permanent), link scope, failed DAD, and only then the host's own static address.
    vips = [{'name': 'a', 'address': '2001:db8::100/64', 'interface': 'eth0'}]
    addresses = [
        {'family': 6, 'address': '2001:db8::100', 'prefixlen': 64},
        {'family': 6, 'address': '2001:db8::13', 'prefixlen': 64, 'tentative': True},
        {'family': 6, 'address': '2001:db8::14', 'prefixlen': 64, 'deprecated': True},
        {'family': 6, 'address': '2001:db8::15', 'prefixlen': 64, 'secondary': True},
        {'family': 6, 'address': '2001:db8::16', 'prefixlen': 64, 'permanent': False},
        {'family': 6, 'address': '2001:db8::17', 'prefixlen': 64, 'scope': 253},
        {'family': 6, 'address': '2001:db8::18', 'prefixlen': 64, 'dadfailed': True},
        {'family': 6, 'address': '2001:db8::12', 'prefixlen': 64, 'tentative': False, 'deprecated': False,
         'secondary': False},
    ]
    member = {'name': 'n1', 'vips': vips, 'links': [{'name': 'eth0', 'addresses': addresses}]}
    vip = {'address': '2001:db8::100/64', 'interface': 'eth0', 'family': 6}
    assert own_address(member, vip) == '2001:db8::12'
    # Without a settled one, the least unsettled; never the VIP, never an address whose DAD failed.
    member['links'][0]['addresses'] = addresses[:3] + addresses[6:7]
    assert own_address(member, vip) == '2001:db8::14'
    member['links'][0]['addresses'] = [addresses[0], addresses[6]]
    assert own_address(member, vip) is None


def test_own_address_ipv4_prefers_the_primary_to_a_secondary_listed_first():
    vips = [{'name': 'a', 'address': '198.51.100.100/24', 'interface': 'eth0'}]
    links = [{'name': 'eth0', 'addresses': [
        {'family': 4, 'address': '198.51.100.100', 'prefixlen': 24, 'secondary': True},
        {'family': 4, 'address': '198.51.100.50', 'prefixlen': 24, 'secondary': True},
        {'family': 4, 'address': '198.51.100.11', 'prefixlen': 24, 'secondary': False}]}]
    member = {'name': 'n1', 'vips': vips, 'links': links}
    assert own_address(member, {'address': '198.51.100.100/24', 'interface': 'eth0', 'family': 4}) == \
        '198.51.100.11'
