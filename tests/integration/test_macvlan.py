# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

VMAC = '00:00:5e:00:01:33'


def test_create_check_mode_then_real_then_idempotent(lab):
    before = lab.snapshot()
    run = lab.module('macvlan', check=True, name='vrrp.51', parent='eth0', mac=VMAC)
    assert not run.failed and run.changed == 1
    assert lab.snapshot() == before, 'check mode changed the kernel'

    run = lab.module('macvlan', name='vrrp.51', parent='eth0', mac=VMAC)
    assert not run.failed, run.output
    assert run.changed == 1
    assert run.result['diff']['before'] == {}
    link = lab.link('vrrp.51')
    assert link['linkinfo']['info_kind'] == 'macvlan'
    assert link['linkinfo']['info_data']['mode'] == 'private'
    assert link['address'] == VMAC
    assert link['link'] == 'eth0'
    assert 'UP' in link['flags']
    assert run.result['interface'] == {'name': 'vrrp.51', 'parent': 'eth0', 'mode': 'private', 'mac': VMAC,
                                       'mtu': 1500, 'link_state': 'up'}

    again = lab.module('macvlan', name='vrrp.51', parent='eth0', mac=VMAC)
    assert not again.failed and again.changed == 0


def test_mode_mac_mtu_and_state_change_in_place(lab):
    lab.module('macvlan', name='mv0', parent='eth0', mac='02:00:00:00:00:01')
    index = lab.link('mv0')['ifindex']
    run = lab.module('macvlan', name='mv0', parent='eth0', mode='bridge', mac='02:00:00:00:00:02', mtu=1400,
                     link_state='down')
    assert not run.failed, run.output
    assert run.changed == 1 and run.result['recreated'] is False
    link = lab.link('mv0')
    assert link['ifindex'] == index, 'the interface was recreated although the kernel can change it in place'
    assert link['linkinfo']['info_data']['mode'] == 'bridge'
    assert link['address'] == '02:00:00:00:00:02'
    assert link['mtu'] == 1400
    assert 'UP' not in link['flags']
    assert run.result['diff']['before']['mode'] == 'private' and run.result['diff']['after']['mode'] == 'bridge'


def test_parent_change_recreates_and_restores_addresses(lab):
    lab.ip(lab.ns, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p')
    lab.ip(lab.ns, 'link', 'set', 'eth1', 'up')
    lab.module('macvlan', name='mv0', parent='eth0', mac='02:00:00:00:00:01')
    lab.ip(lab.ns, 'addr', 'add', '198.51.100.10/24', 'dev', 'mv0')
    index = lab.link('mv0')['ifindex']

    refused = lab.module('macvlan', name='mv0', parent='eth1', recreate=False)
    assert refused.failed and 'recreate=false' in refused.result['msg']
    assert lab.link('mv0')['ifindex'] == index and lab.link('mv0')['link'] == 'eth0'

    run = lab.module('macvlan', name='mv0', parent='eth1')
    assert not run.failed, run.output
    assert run.result['recreated'] is True
    assert run.result['recreate_reasons'] == ['parent changes from eth0 to eth1']
    assert run.result['restored_addresses'] == ['198.51.100.10/24']
    link = lab.link('mv0')
    assert link['link'] == 'eth1' and link['ifindex'] != index
    assert link['address'] == '02:00:00:00:00:01', 'the MAC was not kept across the recreation'
    assert [a['local'] for a in lab.addresses('mv0') if a['family'] == 'inet'] == ['198.51.100.10']


def test_refuses_to_touch_a_non_macvlan(lab):
    before = lab.snapshot()
    run = lab.module('macvlan', name='eth0', parent='lo', mac='02:00:00:00:00:09')
    assert run.failed
    assert 'name: eth0 exists and is a veth interface, not a macvlan' in run.result['msg']
    absent = lab.module('macvlan', name='eth0', state='absent')
    assert absent.failed and 'not a macvlan' in absent.result['msg']
    assert lab.snapshot() == before


def test_missing_parent_and_macvlan_parent_are_refused(lab):
    before = lab.snapshot()
    run = lab.module('macvlan', name='mv0', parent='nosuch0')
    assert run.failed and 'parent: there is no interface named nosuch0' in run.result['msg']
    assert lab.snapshot() == before
    lab.module('macvlan', name='mv0', parent='eth0')
    run = lab.module('macvlan', name='mv1', parent='mv0')
    assert run.failed and 'parent: mv0 is itself a macvlan; name its parent eth0 instead' in run.result['msg']
    assert lab.link('mv1') is None


def test_mac_in_use_by_a_sibling_is_reported(lab):
    lab.module('macvlan', name='mv0', parent='eth0', mac='02:00:00:00:00:01')
    run = lab.module('macvlan', name='mv1', parent='eth0', mac='02:00:00:00:00:01')
    assert run.failed and 'the kernel refused it' in run.result['msg']


def test_absent_removes_only_the_macvlan_and_is_idempotent(lab):
    lab.module('macvlan', name='mv0', parent='eth0')
    run = lab.module('macvlan', name='mv0', state='absent')
    assert not run.failed and run.changed == 1
    assert lab.link('mv0') is None
    assert lab.link('eth0') is not None
    again = lab.module('macvlan', name='mv0', state='absent')
    assert not again.failed and again.changed == 0
