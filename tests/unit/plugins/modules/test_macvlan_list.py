# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""macvlan's list mode through main(): every entry is checked, against the links as the entries before it leave
them, before anything changes.

The kernel's links are given as records (the shape _netlink.list_links returns) only to reach the refusals; a
socket that is asked to change anything fails the test. The real work is in tests/integration/test_macvlan.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.hanet.failover.plugins.module_utils import _netlink
from ansible_collections.hanet.failover.plugins.modules import macvlan


def link(index, name, kind=None, parent_index=None, mode=None, mac='02:00:00:00:00:%02x', up=True, mtu=1500):
    return {'index': index, 'name': name, 'kind': kind, 'parent_index': parent_index, 'macvlan_mode': mode,
            'mac': mac % index if '%' in mac else mac, 'mtu': mtu, 'up': up, 'operstate': 'UP',
            'link_type': _netlink.ARPHRD_ETHER}


class RefusingSocket:
    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False

    def link(self, *args, **kwargs):
        raise AssertionError('nothing may change: link(%r, %r)' % (args, kwargs))

    addr = link


@pytest.fixture
def kernel(monkeypatch):
    links = [link(1, 'lo', mac='00:00:00:00:00:00'), link(2, 'eth0', kind='veth'), link(3, 'eth1', kind='veth'),
             link(10, 'mv1', kind='macvlan', parent_index=2, mode='private', mac='02:00:00:00:01:01'),
             link(11, 'mv2', kind='macvlan', parent_index=2, mode='private', mac='02:00:00:00:01:02')]
    monkeypatch.setattr(_netlink, 'HAS_PYROUTE2', True)
    monkeypatch.setattr(_netlink, 'iproute', RefusingSocket)
    monkeypatch.setattr(_netlink, 'list_links', lambda ipr: [dict(rec) for rec in links])
    return links


@pytest.mark.parametrize('args,message', [
    ({'parent': 'eth0', 'interfaces': [{'name': 'a'}, {'name': 'b', 'mac': '01:00:5e:00:00:01'}]},
     'interfaces[1] (b): mac: 01:00:5e:00:00:01 is a multicast MAC'),
    ({'interfaces': [{'name': 'a'}]}, 'interfaces[0] (a): parent: state is present but parent is missing'),
    ({'parent': 'eth0', 'interfaces': [{'name': 'a'}, {'name': 'a', 'mtu': 1400}]},
     'interfaces[1] (a): name: a is also interfaces[0] (a); give each interface once'),
    ({'parent': 'eth0', 'interfaces': [{'name': 'a', 'mtu': 1}]}, 'interfaces[0] (a): mtu: 1 is out of range'),
    ({'parent': 'eth0', 'mode': 'passthru', 'interfaces': [{'name': 'a', 'mac': '02:00:00:00:00:01'}]},
     'interfaces[0] (a): mac: cannot be set with mode=passthru'),
    ({'name': 'a', 'parent': 'eth0', 'interfaces': [{'name': 'b'}]}, 'mutually exclusive: name|interfaces'),
    ({'mac': '02:00:00:00:00:01', 'parent': 'eth0', 'interfaces': [{'name': 'b'}]},
     'mutually exclusive: mac|interfaces'),
    ({'parent': 'eth0'}, 'one of the following is required: name, interfaces'),
    ({'parent': 'eth0', 'interfaces': [{'mtu': 1400}]}, 'missing required arguments: name'),
])
def test_bad_input_fails_before_netlink(run_module, monkeypatch, args, message):
    def refuse():
        raise AssertionError('validation must fail before netlink is used')
    monkeypatch.setattr(_netlink, 'iproute', refuse)
    code, result = run_module(macvlan, args)
    assert code == 1
    assert message in result['msg']


@pytest.mark.parametrize('entries,message', [
    # The second entry would come up with the MAC the first leaves up on eth0.
    ([{'name': 'a', 'mac': '02:00:00:00:0a:01'}, {'name': 'b', 'mac': '02:00:00:00:0a:01'}],
     'interfaces[1] (b): mac: 02:00:00:00:0a:01 is already used by a on eth0'),
    # mv2 takes mv1's MAC before mv1 gives it up: refused (the other order is fine, see below).
    ([{'name': 'mv2', 'mac': '02:00:00:00:01:01'}, {'name': 'mv1', 'mac': '02:00:00:00:01:09'}],
     'interfaces[0] (mv2): mac: 02:00:00:00:01:01 is already used by mv1 on eth0'),
    # The kernel checks a changed MAC of an existing macvlan against its up siblings even when it stays down.
    ([{'name': 'a', 'mac': '02:00:00:00:0a:03'}, {'name': 'mv2', 'mac': '02:00:00:00:01:01', 'link_state': 'down'}],
     'interfaces[1] (mv2): mac: 02:00:00:00:01:01 is already used by mv1 on eth0'),
    ([{'name': 'a'}, {'name': 'eth1', 'state': 'absent'}],
     'interfaces[1] (eth1): name: eth1 exists and is a veth interface, not a macvlan'),
    ([{'name': 'a', 'parent': 'eth9'}], 'interfaces[0] (a): parent: there is no interface named eth9'),
    ([{'name': 'a', 'parent': 'mv1'}], 'interfaces[0] (a): parent: mv1 is itself a macvlan; name its parent eth0'),
    ([{'name': 'a', 'mtu': 9000}], 'interfaces[0] (a): mtu: a would have MTU 9000, above the MTU 1500 of its parent'),
    # A passthru macvlan must be alone on its parent: mv1 and mv2 are still there when p comes.
    ([{'name': 'p', 'mode': 'passthru', 'parent': 'eth0'}], 'interfaces[0] (p): mode: passthru must be the only'),
    ([{'name': 'mv1', 'parent': 'eth1'}], 'interfaces[0] (mv1): recreate: the change needs a new interface'),
])
def test_refusals_name_the_entry_and_change_nothing(run_module, kernel, entries, message):
    code, result = run_module(macvlan, {'parent': 'eth0', 'recreate': False, 'interfaces': entries})
    assert code == 1, result
    assert message in result['msg']


def test_a_mac_freed_earlier_in_the_list_may_be_taken_later(run_module, kernel):
    entries = [{'name': 'mv1', 'mac': '02:00:00:00:01:09'}, {'name': 'mv2', 'mac': '02:00:00:00:01:01'}]
    code, result = run_module(macvlan, {'parent': 'eth0', 'interfaces': entries}, check_mode=True)
    assert code == 0, result
    assert [entry['changed'] for entry in result['interfaces']] == [True, True]
    assert result['changed'] is True


def test_passthru_after_its_siblings_are_removed(run_module, kernel):
    entries = [{'name': 'mv1', 'state': 'absent'}, {'name': 'mv2', 'state': 'absent'},
               {'name': 'p', 'mode': 'passthru'}]
    code, result = run_module(macvlan, {'parent': 'eth0', 'interfaces': entries}, check_mode=True)
    assert code == 0, result
    assert result['interfaces'][2]['interface']['mac'] == kernel[1]['mac']


def test_check_mode_entries_take_the_top_level_options(run_module, kernel):
    entries = [{'name': 'mv1'}, {'name': 'new', 'link_state': 'down', 'mtu': 1400}]
    code, result = run_module(macvlan, {'parent': 'eth0', 'mode': 'private', 'interfaces': entries,
                                        '_ansible_diff': True}, check_mode=True)
    assert code == 0, result
    unchanged, new = result['interfaces']
    assert unchanged['changed'] is False and unchanged['interface']['mac'] == '02:00:00:00:01:01'
    assert new == {'name': 'new', 'changed': True, 'recreated': False, 'recreate_reasons': [],
                   'restored_addresses': [],
                   'interface': {'name': 'new', 'parent': 'eth0', 'mode': 'private', 'mac': None, 'mtu': 1400,
                                 'link_state': 'down'}}
    assert 'new' not in result['diff']['before'] and result['diff']['after']['new']['mtu'] == 1400
    assert result['diff']['before']['mv1'] == result['diff']['after']['mv1']
