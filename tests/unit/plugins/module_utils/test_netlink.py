# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checks that keep a refused macvlan change from being half made (plain records, no netlink)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hanet.failover.plugins.module_utils import _netlink


def link(index, name, kind=None, parent=None, mode=None, mac='02:00:00:00:00:01', mtu=1500, up=True, link_type=1):
    return {'index': index, 'name': name, 'kind': kind, 'parent_index': parent, 'macvlan_mode': mode, 'mac': mac,
            'mtu': mtu, 'up': up, 'link_type': link_type, 'operstate': None}


ETH0 = link(2, 'eth0', mac='02:00:00:00:00:aa')
LO = link(1, 'lo', mac='00:00:00:00:00:00', mtu=65536, link_type=772)
MV0 = link(10, 'mv0', 'macvlan', 2, 'private', mac='02:00:00:00:00:01')
MV1 = link(11, 'mv1', 'macvlan', 2, 'bridge', mac='02:00:00:00:00:02')


def refusals(current=None, parent=None, links=(ETH0, MV0, MV1), mode='private', mac=None, mtu=None, up=True):
    return _netlink.macvlan_refusals('mv0', current, parent or ETH0, list(links), mode, mac, mtu, up)


def test_nothing_to_refuse():
    assert refusals(current=MV0, mac='02:00:00:00:00:01', mtu=1500) == []
    assert refusals(mac='02:00:00:00:00:09', mtu=1400, links=(ETH0,)) == []


def test_mtu_above_the_parents():
    assert refusals(current=MV0, mtu=9000) == [
        'mtu: mv0 would have MTU 9000, above the MTU 1500 of its parent eth0, and a macvlan cannot exceed its '
        'parent; set mtu to 1500 or less, or raise the MTU of eth0 first']


def test_parent_must_be_ethernet():
    assert refusals(parent=LO, links=(LO,)) == [
        'parent: lo is not an Ethernet interface (link type loopback), and a macvlan needs an Ethernet parent; '
        'name the Ethernet interface (or bond, bridge, VLAN) it should sit on']


def test_passthru_only_alone():
    assert refusals(current=MV0, mode='passthru') == [
        'mode: passthru must be the only macvlan on eth0, which also carries mv1; remove those first or choose '
        'another mode']
    assert refusals(current=MV0, mode='passthru', links=(ETH0, MV0)) == []
    passthru = dict(MV1, macvlan_mode='passthru')
    assert refusals(current=None, links=(ETH0, passthru)) == [
        'parent: eth0 carries the passthru macvlan mv1, which allows no other macvlan on it; choose another parent '
        'or remove mv1 first']


def test_mac_busy_only_while_up():
    assert refusals(mac='02:00:00:00:00:02') == [
        'mac: 02:00:00:00:00:02 is already used by mv1 on eth0, and two macvlans on one parent cannot be up with '
        'the same MAC; choose another mac or remove mv1 first']
    assert refusals(mac='02:00:00:00:00:02', up=False) == []
    assert refusals(mac='02:00:00:00:00:02', links=(ETH0, dict(MV1, up=False))) == []
    assert refusals(mac='02:00:00:00:00:aa') == [
        'mac: 02:00:00:00:00:aa is the MAC of the parent eth0 itself, which the kernel refuses for a macvlan that '
        'is up; choose another mac']
    assert refusals(mac='02:00:00:00:00:aa', mode='passthru', links=(ETH0,)) == []


def test_macvlans_on_other_parents_do_not_count():
    other = dict(MV1, parent_index=3)
    assert refusals(mac='02:00:00:00:00:02', mode='passthru', links=(ETH0, other)) == []


def test_lifetimes_read_back():
    forever = _netlink.FOREVER
    assert _netlink._lifetime_ok(forever, forever) and _netlink._lifetime_ok(0, 0)
    assert not _netlink._lifetime_ok(30, forever) and not _netlink._lifetime_ok(forever, 0)
    assert _netlink._lifetime_ok(29, 30) and not _netlink._lifetime_ok(forever, 30)
