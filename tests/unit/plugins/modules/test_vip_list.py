# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The vip module's list form (addresses), through main(): every entry checked and planned before anything changes.

The checks that need no netlink must fail before a netlink socket is opened (the ``no_netlink`` fixture). The
checks against the host's links and addresses get them from plain records (the ``host`` fixture), which also
records every change requested: a refused list must request none.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.hanet.failover.plugins.module_utils import _announce
from ansible_collections.hanet.failover.plugins.module_utils import _netlink
from ansible_collections.hanet.failover.plugins.module_utils import _sysctl
from ansible_collections.hanet.failover.plugins.modules import vip

FOREVER = _netlink.FOREVER


def entry(address, interface='eth0', **options):
    return dict(options, address=address, interface=interface)


@pytest.fixture
def no_netlink(monkeypatch):
    def refuse():
        raise AssertionError('validation must fail before netlink is used')
    monkeypatch.setattr(_netlink, 'iproute', refuse)


def link_record(index, name, up=True):
    return {'index': index, 'name': name, 'mac': '02:00:00:00:00:%02x' % index, 'mtu': 1500, 'up': up,
            'operstate': 'UP', 'link_type': 1, 'kind': None, 'parent_index': None, 'macvlan_mode': None}


def address_record(index, address, prefixlen, label=None, secondary=False, dadfailed=False, preferred=FOREVER):
    return {'index': index, 'family': 6 if ':' in address else 4, 'address': address, 'prefixlen': prefixlen,
            'label': label, 'scope': 0, 'flags': 0, 'secondary': secondary, 'tentative': False,
            'dadfailed': dadfailed, 'deprecated': preferred == 0, 'nodad': False, 'noprefixroute': False,
            'preferred_lft': preferred, 'valid_lft': FOREVER}


class Host:
    """Links and addresses as netlink would report them; the changes asked for are recorded, never made."""

    def __init__(self):
        self.links = [link_record(1, 'lo'), link_record(2, 'eth0'), link_record(3, 'eth1')]
        self.addresses = [address_record(2, '198.51.100.2', 24, label='eth0')]
        self.changes = []
        self.promote_secondaries = 0

    def __enter__(self):
        return self

    def __exit__(self, *dummy):
        return False


@pytest.fixture
def host(monkeypatch):
    state = Host()

    def get_link(dummy_ipr, name=None, index=None):
        return next((lk for lk in state.links if lk['name'] == name or lk['index'] == index), None)

    def dump_addresses(dummy_ipr, index=None):
        return [rec for rec in state.addresses if index is None or rec['index'] == index]

    def change(kind):
        def record(dummy_ipr, *args, **kwargs):
            state.changes.append((kind, args, kwargs))
        return record

    monkeypatch.setattr(_netlink, 'iproute', lambda: state)
    monkeypatch.setattr(_netlink, 'get_link', get_link)
    monkeypatch.setattr(_netlink, 'dump_links', lambda dummy_ipr: list(state.links))
    monkeypatch.setattr(_netlink, 'dump_addresses', dump_addresses)
    monkeypatch.setattr(_netlink, 'send_address', change('send'))
    monkeypatch.setattr(_netlink, 'delete_address', change('delete'))
    monkeypatch.setattr(_sysctl, 'read_value', lambda interface, key: state.promote_secondaries)
    return state


@pytest.mark.parametrize('entries,message', [
    ([entry('198.51.100.10/24'), entry('198.51.100.11')],
     'addresses[1] (198.51.100.11 on eth0): address: 198.51.100.11 has no prefix length; write it as '
     '198.51.100.11/24 (IPv4) or 198.51.100.11/64 (IPv6)'),
    ([entry('198.51.100.300/24')], 'addresses[0] (198.51.100.300/24 on eth0): address: 198.51.100.300/24 is not an IP'),
    ([entry('198.51.100.255/24')], 'addresses[0] (198.51.100.255/24 on eth0): address: 198.51.100.255 is the '
                                   'broadcast address of 198.51.100.0/24; pick a host address'),
    ([entry('198.51.100.%d/32' % n, 'bm%d' % n) for n in range(1, 4)] + [entry('198.51.100.4/32', 'bm3', label='x')],
     'addresses[3] (198.51.100.4/32 on bm3): label: \'x\' must be the interface name or start with "bm3:", '
     'at most 15 characters'),
    ([entry('2001:db8::10/64', label='eth0:v6')],
     'addresses[0] (2001:db8::10/64 on eth0): label: IPv6 addresses have no labels; remove label for 2001:db8::10/64'),
    ([entry('198.51.100.10/24', 'eth/0')],
     "addresses[0] (198.51.100.10/24 on eth/0): interface: 'eth/0' is not a valid interface name"),
    ([entry('198.51.100.10/24'), entry('198.51.100.11/24'), entry('198.51.100.10/32')],
     'addresses[2] (198.51.100.10/32 on eth0): address: 198.51.100.10 on eth0 is in addresses[0] already; give '
     'each IP once per interface (whatever the prefix length)'),
    ([entry('2001:db8::10/64'), entry('2001:DB8::0010/128', state='absent')],
     'addresses[1] (2001:DB8::0010/128 on eth0): address: 2001:db8::10 on eth0 is in addresses[0] already'),
])
def test_a_bad_entry_fails_naming_it_before_netlink(entries, message, run_module, no_netlink):
    code, result = run_module(vip, {'addresses': entries})
    assert code == 1 and result['failed'] is True
    assert result['msg'].startswith(message), result['msg']
    assert result['errors'] == [result['msg']]
    assert not result.get('changed')


def test_every_bad_entry_is_listed(run_module, no_netlink):
    entries = [entry('198.51.100.%d/24' % n) for n in range(10, 20)]
    entries[2]['address'] = '198.51.100.12'
    entries[5]['label'] = 'eth1:x'
    entries[9]['address'] = '198.51.100.10/24'
    code, result = run_module(vip, {'addresses': entries, 'announce_count': 0})
    assert code == 1
    assert [error.split(':')[0] for error in result['errors']] == [
        'addresses[2] (198.51.100.12 on eth0)', 'addresses[5] (198.51.100.15/24 on eth0)',
        'addresses[9] (198.51.100.10/24 on eth0)', 'announce_count']
    assert result['msg'] == result['errors'][0] + ' (and 3 more problems; errors lists them all)'


@pytest.mark.parametrize('args,message', [
    ({'addresses': [entry('198.51.100.10/24')], 'address': '198.51.100.11/24'},
     'parameters are mutually exclusive: address|addresses'),
    ({'interface': 'eth0'}, 'one of the following is required: address, addresses'),
    ({'address': '198.51.100.10/24'}, "missing parameter(s) required by 'address': interface"),
    ({'addresses': [{'address': '198.51.100.10/24'}]},
     'addresses[0] (198.51.100.10/24): interface: give the interface in the entry or at the top level'),
    ({'addresses': [{'interface': 'eth0'}]}, 'missing required arguments: address found in addresses'),
    ({'addresses': [entry('198.51.100.10/24', state='gone')]}, 'value of state must be one of: present, absent'),
    ({'addresses': [entry('198.51.100.10/24')], 'dad_timeout': 61}, 'dad_timeout: 61.0 is out of range'),
])
def test_options_that_do_not_go_together(args, message, run_module, no_netlink):
    code, result = run_module(vip, args)
    assert code == 1
    assert message in result['msg'], result['msg']


def test_a_missing_interface_is_named_and_nothing_changes(run_module, host):
    entries = [entry('198.51.100.10/24'), entry('203.0.113.1/32', 'eth1'), entry('203.0.113.2/32', 'bm3')]
    code, result = run_module(vip, {'addresses': entries})
    assert code == 1
    assert result['msg'] == ('addresses[2] (203.0.113.2/32 on bm3): interface: there is no interface named bm3 in '
                             'this network namespace')
    assert host.changes == []


def test_an_address_that_failed_dad_is_refused_present_but_removed_absent(run_module, host):
    host.addresses.append(address_record(2, '2001:db8::1', 64, dadfailed=True))
    entries = [entry('198.51.100.10/24'), entry('2001:db8::1/64')]
    code, result = run_module(vip, {'addresses': entries})
    assert code == 1
    assert result['msg'] == ('addresses[1] (2001:db8::1/64 on eth0): address: 2001:db8::1/64 is on eth0 but failed '
                             'duplicate address detection: another host on the link uses it')
    assert host.changes == []

    entries[1]['state'] = 'absent'
    code, result = run_module(vip, {'addresses': entries}, check_mode=True)
    assert code == 0 and result['changed'] is True
    assert [item['changed'] for item in result['addresses']] == [True, True]
    assert host.changes == []


def secondaries(host):
    host.addresses += [address_record(2, '198.51.100.10', 24, label='eth0', secondary=True),
                       address_record(2, '198.51.100.11', 24, label='eth0:b', secondary=True)]


def test_a_primary_is_not_removed_while_a_secondary_stays(run_module, host):
    secondaries(host)
    entries = [entry('198.51.100.2/24', state='absent'), entry('198.51.100.10/24', state='absent')]
    code, result = run_module(vip, {'addresses': entries})
    assert code == 1
    assert result['msg'] == (
        'addresses[0] (198.51.100.2/24 on eth0): address: 198.51.100.2/24 is the primary address of its subnet on '
        'eth0 and removing it would make the kernel remove 198.51.100.11/24 too; set '
        'net.ipv4.conf.eth0.promote_secondaries=1 (hanet.failover.arp_sysctl) first')
    assert host.changes == []

    # Relabelling removes the address first, so it counts as a removal.
    code, result = run_module(vip, {'addresses': [entry('198.51.100.2/24', label='eth0:new')]})
    assert code == 1 and 'would make the kernel remove 198.51.100.10/24, 198.51.100.11/24 too' in result['msg']
    code, result = run_module(vip, {'address': '198.51.100.2/24', 'interface': 'eth0', 'label': 'eth0:new'},
                              check_mode=True)
    assert code == 1 and 'would make the kernel remove 198.51.100.10/24, 198.51.100.11/24 too' in result['msg']
    assert host.changes == []


def test_a_primary_goes_with_its_secondaries_in_one_list(run_module, host):
    secondaries(host)
    entries = [entry('198.51.100.%d/24' % n, state='absent') for n in (2, 10)] + [
        entry('198.51.100.11/24', label='eth0:c')]  # a relabel removes it before the primary goes
    code, result = run_module(vip, {'addresses': entries, '_ansible_diff': True}, check_mode=True)
    assert code == 0, result['msg']
    assert result['changed'] is True and result['announced'] == 0
    assert [item['address'].get('label') for item in result['addresses']] == [None, None, 'eth0:c']
    assert sorted(result['diff']['before']) == ['198.51.100.10/24 on eth0', '198.51.100.11/24 on eth0',
                                                '198.51.100.2/24 on eth0']
    assert result['diff']['after']['198.51.100.2/24 on eth0'] == {}
    assert result['diff']['after']['198.51.100.11/24 on eth0']['label'] == 'eth0:c'
    assert host.changes == []

    host.promote_secondaries = 1
    code, result = run_module(vip, {'addresses': entries[:1]}, check_mode=True)
    assert code == 0 and result['changed'] is True
    assert host.changes == []


def test_check_mode_plans_without_changing(run_module, host):
    host.addresses.append(address_record(2, '198.51.100.20', 24, label='eth0', secondary=True))
    host.addresses.append(address_record(3, '2001:db8::20', 64, preferred=0))
    entries = [
        entry('198.51.100.20/24'),  # there as asked
        entry('198.51.100.21/24', label='eth0:web'),  # to add
        entry('2001:db8::20/64', 'eth1'),  # to make preferred forever
        entry('203.0.113.9/32', 'eth1', state='absent'),  # absent already
    ]
    code, result = run_module(vip, {'addresses': entries, 'announce': 'always', '_ansible_diff': True},
                              check_mode=True)
    assert code == 0
    assert [item['changed'] for item in result['addresses']] == [False, True, True, False]
    assert result['addresses'][1]['address'] == {
        'address': '198.51.100.21/24', 'interface': 'eth0', 'label': 'eth0:web', 'preferred_lft': 'forever',
        'valid_lft': 'forever', 'noprefixroute': False}
    assert result['addresses'][3]['address'] == {}
    assert result['announced'] == 0 and all(item['announced'] == 0 for item in result['addresses'])
    assert result['diff']['before'] == {
        '198.51.100.21/24 on eth0': {},
        '2001:db8::20/64 on eth1': {'address': '2001:db8::20/64', 'interface': 'eth1', 'label': None,
                                    'preferred_lft': '0', 'valid_lft': 'forever', 'noprefixroute': False}}
    assert result['diff']['after']['2001:db8::20/64 on eth1']['preferred_lft'] == 'forever'
    assert host.changes == []


def test_a_deprecated_permanent_ipv4_address_counts_as_preferred_lft_0(run_module, host):
    # The kernel shows such an address with preferred_lft forever and the deprecated flag.
    host.addresses.append(dict(address_record(3, '203.0.113.9', 32, label='eth1'), deprecated=True))
    entries = [entry('203.0.113.9/32', 'eth1', preferred_lft='0'), entry('203.0.113.10/32', 'eth1')]
    code, result = run_module(vip, {'addresses': entries}, check_mode=True)
    assert code == 0 and [item['changed'] for item in result['addresses']] == [False, True]
    code, result = run_module(vip, {'address': '203.0.113.9/32', 'interface': 'eth1', '_ansible_diff': True},
                              check_mode=True)
    assert code == 0 and result['changed'] is True
    assert (result['diff']['before']['preferred_lft'], result['diff']['after']['preferred_lft']) == ('0', 'forever')
    assert host.changes == []


class NetlinkDumpInterrupted(_netlink.NetlinkError):
    """What pyroute2 0.7 raises when the kernel flags a dump NLM_F_DUMP_INTR."""


def test_an_interrupted_dump_is_read_again():
    class IPRoute:
        interruptions = 2

        def get_addr(self):
            if self.interruptions:
                self.interruptions -= 1
                raise NetlinkDumpInterrupted(-1, 'dump interrupted')
            return []

    ipr = IPRoute()
    assert _netlink.dump_addresses(ipr) == [] and ipr.interruptions == 0
    ipr.interruptions = 100
    with pytest.raises(_netlink.NetlinkFailure, match='interrupted the dump 20 times in a row'):
        _netlink.dump_addresses(ipr)


def test_an_empty_list_changes_nothing(run_module, host):
    code, result = run_module(vip, {'addresses': []})
    assert code == 0
    assert result['changed'] is False and result['addresses'] == [] and result['announced'] == 0
    assert host.changes == []


class Socket:
    """AF_PACKET socket stand-in: records what is sent where; sending on ``down`` fails as on a down link."""

    def __init__(self, log, down):
        self.log = log
        self.down = down

    def sendto(self, frame, address):
        if address[0] in self.down:
            raise OSError(100, 'Network is down')
        self.log.append((address[0], frame))

    def close(self):
        self.log.append('close')


def test_announcements_go_in_rounds_one_pause_each(monkeypatch):
    log, pauses = [], []
    monkeypatch.setattr(_announce.socket, 'socket', lambda *dummy: Socket(log, down={'eth1'}))
    monkeypatch.setattr(_announce.time, 'sleep', pauses.append)
    batches = [('eth0', [('request', b'a%d' % n)]) for n in range(200)]
    batches += [('eth1', [('request', b'b')]), ('eth2', [('na', b'c')])]
    sent, failures = _announce.send_rounds(batches, 3, 0.2)
    assert pauses == [0.2, 0.2], 'one pause between rounds, whatever the number of addresses'
    assert sent == [3] * 200 + [0, 3]
    assert list(failures) == ['eth1'] and 'Network is down' in str(failures['eth1'])
    assert log.count('close') == 1, 'one socket for every interface'
    assert [frame for where, frame in log[:-1] if where == 'eth0'][:201] == [b'a%d' % n for n in range(200)] + [b'a0']

    log[:] = []
    monkeypatch.setattr(_announce.socket, 'socket', lambda *dummy: Socket(log, down={'eth0'}))
    with pytest.raises(OSError, match='Network is down'):
        _announce.send('eth0', [('request', b'a')], 5, 0.2)
    assert _announce.send('eth1', [('request', b'a'), ('reply', b'b')], 2, 0) == 4
