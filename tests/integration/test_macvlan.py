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


def test_mac_in_use_by_a_sibling_or_the_parent_is_refused_before_anything_changes(lab):
    lab.module('macvlan', name='mv0', parent='eth0', mac='02:00:00:00:00:01')
    run = lab.module('macvlan', name='mv1', parent='eth0', mac='02:00:00:00:00:01')
    assert run.failed
    assert ('mac: 02:00:00:00:00:01 is already used by mv0 on eth0, and two macvlans on one parent cannot be up '
            'with the same MAC; choose another mac or remove mv0 first') in run.result['msg']
    assert lab.link('mv1') is None, 'the refused macvlan was left behind'
    run = lab.module('macvlan', name='mv1', parent='eth0', mac=lab.link('eth0')['address'])
    assert run.failed and 'is the MAC of the parent eth0 itself' in run.result['msg']
    assert lab.link('mv1') is None
    # Down, the kernel lets it share the MAC; it is then refused when it is to come up.
    run = lab.module('macvlan', name='mv1', parent='eth0', mac='02:00:00:00:00:01', link_state='down')
    assert not run.failed, run.output
    run = lab.module('macvlan', name='mv1', parent='eth0', mac='02:00:00:00:00:01')
    assert run.failed and 'is already used by mv0 on eth0' in run.result['msg']
    assert 'UP' not in lab.link('mv1')['flags']


def test_absent_removes_only_the_macvlan_and_is_idempotent(lab):
    lab.module('macvlan', name='mv0', parent='eth0')
    run = lab.module('macvlan', name='mv0', state='absent')
    assert not run.failed and run.changed == 1
    assert lab.link('mv0') is None
    assert lab.link('eth0') is not None
    again = lab.module('macvlan', name='mv0', state='absent')
    assert not again.failed and again.changed == 0


def with_vip(lab, name='mv0', parent='eth0'):
    """A macvlan on ``parent`` holding 198.51.100.10/24; returns its ifindex."""
    run = lab.module('macvlan', name=name, parent=parent, mac='02:00:00:00:00:01')
    assert not run.failed, run.output
    lab.ip(lab.ns, 'addr', 'add', '198.51.100.10/24', 'dev', name)
    return lab.link(name)['ifindex']


def assert_untouched(lab, index, parent='eth0'):
    link = lab.link('mv0')
    assert link is not None, 'the macvlan is gone after a refused change'
    assert link['ifindex'] == index and link['link'] == parent
    assert link['address'] == '02:00:00:00:00:01' and link['mtu'] == 1500 and 'UP' in link['flags']
    assert link['linkinfo']['info_data']['mode'] == 'private'
    assert [a['local'] for a in lab.addresses('mv0') if a['family'] == 'inet'] == ['198.51.100.10']
    assert [lk['ifname'] for lk in lab.ip_json(lab.ns, 'link', 'show') if lk['ifname'].startswith('hanet-')] == []


def test_a_move_the_new_parent_refuses_for_its_mtu_changes_nothing(lab):
    lab.ip(lab.ns, 'link', 'add', 'eth1', 'mtu', '1400', 'type', 'veth', 'peer', 'name', 'eth1p')
    lab.ip(lab.ns, 'link', 'set', 'eth1', 'up')
    index = with_vip(lab)
    for check in (True, False):
        run = lab.module('macvlan', check=check, name='mv0', parent='eth1', mtu=1500)
        assert run.failed, run.output
        assert ('mtu: mv0 would have MTU 1500, above the MTU 1400 of its parent eth1, and a macvlan cannot exceed '
                'its parent; set mtu to 1400 or less, or raise the MTU of eth1 first') in run.result['msg']
        assert_untouched(lab, index)
    # Without mtu the interface keeps its MTU, which eth1 cannot carry either: refused the same way.
    run = lab.module('macvlan', name='mv0', parent='eth1')
    assert run.failed and 'mtu: mv0 would have MTU 1500, above the MTU 1400' in run.result['msg']
    assert_untouched(lab, index)
    # With an MTU that fits, it moves.
    run = lab.module('macvlan', name='mv0', parent='eth1', mtu=1400)
    assert not run.failed and run.result['recreated'] is True, run.output
    link = lab.link('mv0')
    assert link['link'] == 'eth1' and link['mtu'] == 1400 and 'UP' in link['flags']
    assert [a['local'] for a in lab.addresses('mv0') if a['family'] == 'inet'] == ['198.51.100.10']


def test_a_move_the_kernel_refuses_changes_nothing(lab):
    # A bridge port cannot carry a macvlan (EBUSY): nothing checks that up front, the kernel refuses the new
    # interface, which is created before the old one is deleted.
    lab.ip(lab.ns, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p')
    lab.ip(lab.ns, 'link', 'add', 'br0', 'type', 'bridge')
    lab.ip(lab.ns, 'link', 'set', 'eth1', 'master', 'br0')
    index = with_vip(lab)
    run = lab.module('macvlan', name='mv0', parent='eth1')
    assert run.failed, run.output
    assert 'parent: mv0 cannot move to its new parent and was left as it was' in run.result['msg']
    assert 'EBUSY' in run.result['msg']
    assert_untouched(lab, index)


def test_a_parent_that_is_not_ethernet_is_refused_before_anything_changes(lab):
    index = with_vip(lab)
    run = lab.module('macvlan', name='mv0', parent='lo')
    assert run.failed
    assert 'parent: lo is not an Ethernet interface (link type loopback)' in run.result['msg']
    assert_untouched(lab, index)


def test_mode_and_mtu_are_never_half_applied(lab):
    index = with_vip(lab)
    run = lab.module('macvlan', name='mv0', parent='eth0', mac='02:00:00:00:00:01', mode='bridge', mtu=9000)
    assert run.failed
    assert 'mtu: mv0 would have MTU 9000, above the MTU 1500 of its parent eth0' in run.result['msg']
    assert_untouched(lab, index)


def test_into_and_out_of_passthru(lab):
    index = with_vip(lab)
    lab.module('macvlan', name='mv1', parent='eth0')
    refused = lab.module('macvlan', name='mv0', parent='eth0', mode='passthru')
    assert refused.failed
    assert ('mode: passthru must be the only macvlan on eth0, which also carries mv1; remove those first or choose '
            'another mode') in refused.result['msg']
    assert_untouched(lab, index)
    lab.module('macvlan', name='mv1', state='absent')

    run = lab.module('macvlan', name='mv0', parent='eth0', mode='passthru')
    assert not run.failed and run.result['recreated'] is True, run.output
    link = lab.link('mv0')
    assert link['linkinfo']['info_data']['mode'] == 'passthru' and link['address'] == lab.link('eth0')['address']
    assert [a['local'] for a in lab.addresses('mv0') if a['family'] == 'inet'] == ['198.51.100.10']
    other = lab.module('macvlan', name='mv1', parent='eth0')
    assert other.failed and 'parent: eth0 carries the passthru macvlan mv0' in other.result['msg']
    assert lab.link('mv1') is None

    # Out of passthru without a mac: a MAC of its own (the parent's is refused for a macvlan that is up).
    run = lab.module('macvlan', name='mv0', parent='eth0', mode='private')
    assert not run.failed and run.result['recreated'] is True, run.output
    link = lab.link('mv0')
    assert link['linkinfo']['info_data']['mode'] == 'private' and 'UP' in link['flags']
    assert link['address'] != lab.link('eth0')['address']
    assert [a['local'] for a in lab.addresses('mv0') if a['family'] == 'inet'] == ['198.51.100.10']


# The list mode: many interfaces in one task, checked whole before anything changes.

def _names(lab):
    return sorted(link['ifname'] for link in lab.ip_json(lab.ns, 'link', 'show')
                  if link.get('linkinfo', {}).get('info_kind') == 'macvlan')


def test_list_creates_many_then_changes_nothing(lab):
    entries = [{'name': 'mv%d' % i, 'mac': '02:00:00:00:02:%02x' % i} for i in range(60)]
    before = lab.snapshot()
    check = lab.module('macvlan', check=True, parent='eth0', interfaces=entries)
    assert not check.failed, check.output
    assert check.changed == 1 and all(entry['changed'] for entry in check.result['interfaces'])
    assert lab.snapshot() == before, 'check mode changed the kernel'

    run = lab.module('macvlan', parent='eth0', mode='bridge', interfaces=entries)
    assert not run.failed, run.output
    assert len(run.result['interfaces']) == 60 and all(entry['changed'] for entry in run.result['interfaces'])
    assert _names(lab) == sorted(entry['name'] for entry in entries)
    link = lab.link('mv7')
    assert link['address'] == '02:00:00:00:02:07' and link['link'] == 'eth0' and 'UP' in link['flags']
    assert link['linkinfo']['info_data']['mode'] == 'bridge', 'the entry did not take the top-level mode'
    assert run.result['interfaces'][7]['interface'] == {'name': 'mv7', 'parent': 'eth0', 'mode': 'bridge',
                                                        'mac': '02:00:00:00:02:07', 'mtu': 1500, 'link_state': 'up'}

    again = lab.module('macvlan', parent='eth0', mode='bridge', interfaces=entries)
    assert not again.failed and again.changed == 0, again.output
    assert not any(entry['changed'] for entry in again.result['interfaces'])


def test_list_mixed_changes_in_order(lab):
    lab.ip(lab.ns, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p')
    lab.ip(lab.ns, 'link', 'set', 'eth1', 'up')
    lab.module('macvlan', parent='eth0', interfaces=[
        {'name': 'mv1', 'mac': '02:00:00:00:03:01'}, {'name': 'mv2', 'mac': '02:00:00:00:03:02'},
        {'name': 'gone', 'mac': '02:00:00:00:03:03'}, {'name': 'moves', 'mac': '02:00:00:00:03:04'}])
    lab.ip(lab.ns, 'addr', 'add', '198.51.100.20/24', 'dev', 'moves')

    # mv1 gives its MAC to mv2 only after it took another: the other order is refused, whole.
    before = lab.snapshot()
    refused = lab.module('macvlan', parent='eth0', interfaces=[
        {'name': 'mv2', 'mac': '02:00:00:00:03:01'}, {'name': 'mv1', 'mac': '02:00:00:00:03:09'}])
    assert refused.failed
    assert 'interfaces[0] (mv2): mac: 02:00:00:00:03:01 is already used by mv1 on eth0' in refused.result['msg']
    assert lab.snapshot() == before

    run = lab.module('macvlan', parent='eth0', interfaces=[
        {'name': 'mv1', 'mac': '02:00:00:00:03:09', 'mtu': 1400},
        {'name': 'mv2', 'mac': '02:00:00:00:03:01', 'link_state': 'down'},
        {'name': 'gone', 'state': 'absent'},
        {'name': 'moves', 'parent': 'eth1'},
        {'name': 'new', 'mac': '02:00:00:00:03:05'}])
    assert not run.failed, run.output
    assert [entry['changed'] for entry in run.result['interfaces']] == [True] * 5
    assert lab.link('mv1')['address'] == '02:00:00:00:03:09' and lab.link('mv1')['mtu'] == 1400
    assert lab.link('mv2')['address'] == '02:00:00:00:03:01' and 'UP' not in lab.link('mv2')['flags']
    assert lab.link('gone') is None
    moved = run.result['interfaces'][3]
    assert moved['recreated'] and moved['restored_addresses'] == ['198.51.100.20/24']
    assert lab.link('moves')['link'] == 'eth1' and lab.link('moves')['address'] == '02:00:00:00:03:04'
    assert lab.link('new')['address'] == '02:00:00:00:03:05'
    assert 'gone' in run.result['diff']['before'] and 'gone' not in run.result['diff']['after']


def test_list_with_one_bad_entry_changes_nothing(lab):
    lab.module('macvlan', name='mv1', parent='eth0', mac='02:00:00:00:04:01')
    before = lab.snapshot()
    entries = [{'name': 'ml%d' % i, 'mac': '02:00:00:00:04:%02x' % (i + 16)} for i in range(20)]
    entries += [{'name': 'mv1', 'state': 'absent'}, {'name': 'last', 'mtu': 9000}]
    run = lab.module('macvlan', parent='eth0', interfaces=entries)
    assert run.failed
    assert run.result['msg'].startswith('interfaces[21] (last): mtu: last would have MTU 9000')
    assert lab.snapshot() == before, 'a list with a bad entry changed the kernel'
