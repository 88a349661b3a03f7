# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time
from collections import Counter

from conftest import REPO, sh

WRONG = '02:00:00:00:00:99'


def addr(lab, address, dev='eth0'):
    ip = address.split('/')[0]
    return next((a for a in lab.addresses(dev) if a['local'] == ip and a['prefixlen'] == int(address.split('/')[1])),
                None)


def test_ipv4_vip_is_added_announced_and_idempotent(lab):
    lab.ip(lab.peer, 'neigh', 'replace', '198.51.100.10', 'lladdr', WRONG, 'dev', 'peer0', 'nud', 'stale')
    time.sleep(1.1)
    before = lab.snapshot()
    run = lab.module('vip', check=True, address='198.51.100.10/24', interface='eth0', label='eth0:web')
    assert not run.failed and run.changed == 1 and run.result['announced'] == 0
    assert lab.snapshot() == before

    run = lab.module('vip', address='198.51.100.10/24', interface='eth0', label='eth0:web', announce_count=2,
                     announce_interval=0.1)
    assert not run.failed, run.output
    assert run.changed == 1 and run.result['announced'] == 2
    assert run.result['diff'] == {
        'before': {},
        'after': {'address': '198.51.100.10/24', 'interface': 'eth0', 'label': 'eth0:web',
                  'preferred_lft': 'forever', 'valid_lft': 'forever', 'noprefixroute': False},
    }
    info = addr(lab, '198.51.100.10/24')
    assert info and info['label'] == 'eth0:web'
    assert lab.neighbour('198.51.100.10')[0] == lab.link('eth0')['address'], 'the peer still has the old MAC'

    again = lab.module('vip', address='198.51.100.10/24', interface='eth0', label='eth0:web')
    assert not again.failed and again.changed == 0 and again.result['announced'] == 0


def test_ipv6_deprecated_vip_and_lifetime_change(lab):
    run = lab.module('vip', address='2001:db8::10/64', interface='eth0', preferred_lft='0', announce='never')
    assert not run.failed, run.output
    info = addr(lab, '2001:db8::10/64')
    assert info['preferred_life_time'] == 0 and info.get('deprecated') is True
    assert not info.get('tentative'), 'the module returned before duplicate address detection finished'
    again = lab.module('vip', address='2001:db8::10/64', interface='eth0', preferred_lft='0', announce='never')
    assert again.changed == 0
    run = lab.module('vip', address='2001:db8::10/64', interface='eth0', announce='never')
    assert not run.failed and run.changed == 1
    assert addr(lab, '2001:db8::10/64')['preferred_life_time'] == 4294967295


def test_only_the_named_address_is_removed(lab):
    lab.ip(lab.ns, 'addr', 'add', '198.51.100.10/32', 'dev', 'eth0')
    run = lab.module('vip', address='198.51.100.10/24', interface='eth0', state='absent')
    assert not run.failed and run.changed == 0
    assert any('198.51.100.10/32 is also on eth0' in w for w in run.result.get('warnings', []))
    lab.module('vip', address='198.51.100.10/24', interface='eth0', announce='never')
    run = lab.module('vip', address='198.51.100.10/24', interface='eth0', state='absent')
    assert not run.failed and run.changed == 1
    assert addr(lab, '198.51.100.10/24') is None
    assert addr(lab, '198.51.100.10/32') is not None
    assert addr(lab, '198.51.100.2/24') is not None


def test_primary_with_secondaries_is_not_removed_unless_promoted(lab):
    lab.ip(lab.ns, 'addr', 'add', '198.51.100.10/24', 'dev', 'eth0')  # becomes a secondary of .2/24
    before = lab.snapshot()
    run = lab.module('vip', address='198.51.100.2/24', interface='eth0', state='absent')
    assert run.failed
    assert 'would make the kernel remove 198.51.100.10/24 too' in run.result['msg']
    assert 'promote_secondaries=1' in run.result['msg']
    assert lab.snapshot() == before
    lab.module('arp_sysctl', interface='eth0', settings={'promote_secondaries': 1}, persist=False)
    run = lab.module('vip', address='198.51.100.2/24', interface='eth0', state='absent')
    assert not run.failed and run.changed == 1
    assert addr(lab, '198.51.100.2/24') is None and addr(lab, '198.51.100.10/24') is not None


def test_relabel_and_noprefixroute(lab):
    lab.module('vip', address='203.0.113.10/24', interface='eth0', label='eth0:a', noprefixroute=True,
               announce='never')
    info = addr(lab, '203.0.113.10/24')
    assert info['label'] == 'eth0:a' and info.get('noprefixroute') is True
    assert lab.ip_json(lab.ns, 'route', 'show', '203.0.113.0/24') == []
    run = lab.module('vip', address='203.0.113.10/24', interface='eth0', label='eth0:b', noprefixroute=True,
                     announce='never')
    assert not run.failed and run.changed == 1
    assert addr(lab, '203.0.113.10/24')['label'] == 'eth0:b'


def test_missing_interface_changes_nothing(lab):
    before = lab.snapshot()
    run = lab.module('vip', address='198.51.100.10/24', interface='nosuch0')
    assert run.failed and 'interface: there is no interface named nosuch0' in run.result['msg']
    assert lab.snapshot() == before


def test_duplicate_ipv6_address_fails_and_is_undone(lab):
    # The peer already holds 2001:db8::1: duplicate address detection must catch it.
    lab.settle()
    run = lab.module('vip', address='2001:db8::1/64', interface='eth0')
    assert run.failed, (run.result, lab.ip_json(lab.peer, 'addr'), lab.ip_json(lab.ns, 'addr'))
    assert 'duplicate address detection failed for 2001:db8::1 on eth0' in run.result['msg']
    assert addr(lab, '2001:db8::1/64') is None, 'the failed address was left on the interface'


def test_a_dadfailed_address_can_be_removed(lab):
    # Left behind by hand (the module itself undoes its own failed add): present refuses it, absent removes it.
    lab.settle()
    lab.ip(lab.ns, 'addr', 'add', '2001:db8::1/64', 'dev', 'eth0')
    deadline = time.time() + 10
    while time.time() < deadline and not (addr(lab, '2001:db8::1/64') or {}).get('dadfailed'):
        time.sleep(0.2)
    assert addr(lab, '2001:db8::1/64').get('dadfailed'), addr(lab, '2001:db8::1/64')
    run = lab.module('vip', address='2001:db8::1/64', interface='eth0')
    assert run.failed and 'failed duplicate address detection' in run.result['msg']
    run = lab.module('vip', address='2001:db8::1/64', interface='eth0', state='absent')
    assert not run.failed and run.changed == 1, run.output
    assert addr(lab, '2001:db8::1/64') is None


def test_an_add_whose_announcement_fails_is_undone(lab):
    # On a down link the address can be added but nothing can be sent: the add is undone, so that the next run
    # adds and announces it again instead of reporting ok with nothing announced.
    lab.ip(lab.ns, 'link', 'set', 'eth0', 'down')
    before = lab.snapshot()
    for dummy in range(2):
        run = lab.module('vip', address='198.51.100.10/24', interface='eth0', announce_count=1)
        assert run.failed, run.output
        assert ('announce: sending the announcements for 198.51.100.10/24 on eth0 failed' in run.result['msg']
                and 'so the address was removed again and the next run adds and announces it; eth0 is down; bring it '
                'up and run again' in run.result['msg']), run.result['msg']
        assert addr(lab, '198.51.100.10/24') is None, 'the address was left without its announcement'
        assert lab.snapshot() == before
    lab.ip(lab.ns, 'link', 'set', 'eth0', 'up')
    frames = lab.capture(20, frames=1)
    run = lab.module('vip', address='198.51.100.10/24', interface='eth0', announce_count=1)
    assert not run.failed and run.changed == 1 and run.result['announced'] == 1, run.output
    assert [f for f in frames() if f['kind'] == 'arp' and f['spa'] == '198.51.100.10']

    # An address that was there before is not removed when a refresh cannot be sent.
    lab.ip(lab.ns, 'link', 'set', 'eth0', 'down')
    run = lab.module('vip', address='198.51.100.10/24', interface='eth0', announce='always', announce_count=1)
    assert run.failed and 'on eth0 failed' in run.result['msg'] and 'removed' not in run.result['msg']
    assert addr(lab, '198.51.100.10/24') is not None


def test_an_address_with_finite_lifetimes_is_made_permanent(lab):
    lab.ip(lab.ns, 'addr', 'add', '198.51.100.10/24', 'dev', 'eth0', 'valid_lft', '300', 'preferred_lft', '200')
    lab.ip(lab.ns, 'addr', 'add', '2001:db8::10/64', 'dev', 'eth0', 'valid_lft', '300', 'preferred_lft', '0', 'nodad')
    for address, preferred in (('198.51.100.10/24', 'forever'), ('2001:db8::10/64', '0')):
        check = lab.module('vip', check=True, address=address, interface='eth0', preferred_lft=preferred, nodad=True,
                           announce='never')
        assert not check.failed and check.changed == 1, check.output
        assert addr(lab, address)['valid_life_time'] <= 300, 'check mode changed the lifetime'

        run = lab.module('vip', address=address, interface='eth0', preferred_lft=preferred, nodad=True,
                         announce='never')
        assert not run.failed and run.changed == 1, run.output
        diff = run.result['diff']
        assert 0 < int(diff['before']['valid_lft']) <= 300
        assert diff['after']['valid_lft'] == 'forever' and diff['after']['preferred_lft'] == preferred
        if preferred == 'forever':
            assert 0 < int(diff['before']['preferred_lft']) <= 200
        info = addr(lab, address)
        assert info['valid_life_time'] == 4294967295
        assert info['preferred_life_time'] == (4294967295 if preferred == 'forever' else 0)

        again = lab.module('vip', address=address, interface='eth0', preferred_lft=preferred, nodad=True,
                           announce='never')
        assert not again.failed and again.changed == 0


def test_ipv6_gateway_vip_is_announced_with_the_router_flag(lab):
    frames = lab.capture(20, frames=1)
    run = lab.module('vip', address='2001:db8::10/64', interface='eth0', nodad=True, announce_count=1,
                     announce_router=True)
    assert not run.failed and run.result['announced'] == 1, run.output
    na = [f for f in frames() if f['kind'] == 'na' and f['target'] == '2001:db8::10']
    assert len(na) == 1 and na[0]['router'] and na[0]['override']


# The list form (addresses): many addresses, on several interfaces, in one module run.

def macvlan(lab, name='mv0', up=True):
    lab.ip(lab.ns, 'link', 'add', name, 'link', 'eth0', 'type', 'macvlan', 'mode', 'private')
    if up:
        lab.ip(lab.ns, 'link', 'set', name, 'up')
    return lab.link(name)['address']


def test_a_list_of_addresses_is_added_announced_and_idempotent(lab):
    mv0_mac = macvlan(lab)
    eth0_mac = lab.link('eth0')['address']
    entries = [{'address': '198.51.100.%d/24' % n, 'interface': 'eth0'} for n in range(100, 145)]
    entries[0]['label'] = 'eth0:web'
    entries += [{'address': '203.0.113.%d/32' % n, 'interface': 'mv0', 'label': 'mv0:v'} for n in range(1, 6)]
    entries += [{'address': '2001:db8::%x/64' % n, 'interface': 'eth0'} for n in range(0x100, 0x103)]
    entries += [{'address': '2001:db8:1::1/64', 'interface': 'mv0', 'nodad': True, 'announce_router': True}]
    lab.carrier()
    time.sleep(1.1)
    before = lab.snapshot()
    check = lab.module('vip', check=True, addresses=entries)
    assert not check.failed and check.changed == 1 and check.result['announced'] == 0, check.output
    assert all(item['changed'] and item['announced'] == 0 for item in check.result['addresses'])
    assert lab.snapshot() == before

    frames = lab.capture(30, frames=2 * len(entries))
    run = lab.module('vip', addresses=entries, announce_count=2, announce_interval=0.1)
    assert not run.failed, run.output
    assert run.changed == 1 and run.result['announced'] == 2 * len(entries)
    assert [item['announced'] for item in run.result['addresses']] == [2] * len(entries)
    assert len(run.result['diff']['after']) == len(entries) and run.result['diff']['before'] == dict(
        (key, {}) for key in run.result['diff']['after'])
    assert run.result['diff']['after']['198.51.100.100/24 on eth0'] == run.result['addresses'][0]['address'] == {
        'address': '198.51.100.100/24', 'interface': 'eth0', 'label': 'eth0:web', 'preferred_lft': 'forever',
        'valid_lft': 'forever', 'noprefixroute': False}
    for item in entries:
        info = addr(lab, item['address'], item['interface'])
        assert info and not info.get('tentative'), (item, info)
        assert info.get('label') == item.get('label', item['interface'] if '.' in item['address'] else None)
    seen = frames()
    for item in entries:
        ip, mac = item['address'].split('/')[0], eth0_mac if item['interface'] == 'eth0' else mv0_mac
        sent = [f for f in seen if (f['kind'] == 'arp' and f['spa'] == ip and f['sha'] == mac)
                or (f['kind'] == 'na' and f['target'] == ip and f['target_lladdr'] == mac)]
        assert len(sent) == 2, 'the peer saw %d announcements of %s' % (len(sent), ip)
        assert all(f.get('router', False) == item.get('announce_router', False) for f in sent)

    again = lab.module('vip', addresses=entries)
    assert not again.failed and again.changed == 0 and again.result['announced'] == 0, again.output
    assert not any(item['changed'] for item in again.result['addresses'])
    assert again.result['diff'] == {'before': {}, 'after': {}}


def test_list_entries_take_what_they_leave_out_from_the_top_level(lab):
    entries = [{'address': '203.0.113.%d/32' % n} for n in range(20, 30)]
    entries.append({'address': '203.0.113.30/32', 'noprefixroute': False})
    run = lab.module('vip', interface='eth0', noprefixroute=True, announce='never', addresses=entries)
    assert not run.failed, run.output
    for item in entries[:10]:
        assert addr(lab, item['address']).get('noprefixroute') is True, item
    assert not addr(lab, '203.0.113.30/32').get('noprefixroute'), 'the entry did not keep its own noprefixroute'

    # state from the top level, but an entry that says present stays.
    run = lab.module('vip', interface='eth0', state='absent', addresses=[
        {'address': '203.0.113.20/32'}, {'address': '203.0.113.21/32', 'state': 'present', 'noprefixroute': True}])
    assert not run.failed, run.output
    assert [item['changed'] for item in run.result['addresses']] == [True, False]
    assert addr(lab, '203.0.113.20/32') is None and addr(lab, '203.0.113.21/32') is not None


def test_review_cases_ipv6_disabled_noprefixroute_and_the_top_level_label(lab):
    # IPv6 off on the link: refused in the plan, so the IPv4 entry before it is not added either.
    lab.ip(lab.ns, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p')
    lab.ip(lab.ns, 'link', 'set', 'eth1', 'up')
    lab.ip(lab.ns, 'link', 'set', 'eth1', 'down')
    sh('ip', 'netns', 'exec', lab.ns, 'sysctl', '-qw', 'net.ipv6.conf.eth1.disable_ipv6=1')
    lab.ip(lab.ns, 'link', 'set', 'eth1', 'up')
    before = lab.snapshot()
    run = lab.module('vip', addresses=[{'address': '203.0.113.40/32', 'interface': 'eth0'},
                                       {'address': '2001:db8:9::1/64', 'interface': 'eth1'}])
    assert run.failed and 'interface: IPv6 is disabled on eth1' in run.result['msg'], run.output
    assert lab.snapshot() == before

    # An IPv4 noprefixroute change is made (remove and add: a replace would ignore it), once.
    lab.module('vip', address='203.0.113.41/24', interface='eth0', announce='never')
    run = lab.module('vip', address='203.0.113.41/24', interface='eth0', noprefixroute=True)
    assert not run.failed and run.changed == 1 and run.result['announced'] == 5, run.output
    assert addr(lab, '203.0.113.41/24').get('noprefixroute') is True
    again = lab.module('vip', address='203.0.113.41/24', interface='eth0', noprefixroute=True)
    assert not again.failed and again.changed == 0 and again.result['announced'] == 0, again.output

    # The top-level label goes to the IPv4 entries on the top-level interface only.
    run = lab.module('vip', interface='eth0', label='eth0:vip', announce='never', addresses=[
        {'address': '203.0.113.42/32'}, {'address': '2001:db8::42/64', 'nodad': True}])
    assert not run.failed, run.output
    assert addr(lab, '203.0.113.42/32')['label'] == 'eth0:vip' and addr(lab, '2001:db8::42/64') is not None


def test_a_mixed_list_removes_relabels_and_replaces(lab):
    ip = lab.ip
    ip(lab.ns, 'addr', 'add', '198.51.100.20/24', 'dev', 'eth0')
    ip(lab.ns, 'addr', 'add', '198.51.100.21/24', 'dev', 'eth0', 'label', 'eth0:a')
    ip(lab.ns, 'addr', 'add', '198.51.100.22/24', 'dev', 'eth0', 'valid_lft', '300', 'preferred_lft', '200')
    ip(lab.ns, 'addr', 'add', '2001:db8::22/64', 'dev', 'eth0', 'valid_lft', '300', 'preferred_lft', '0', 'nodad')
    ip(lab.ns, 'addr', 'add', '198.51.100.23/24', 'dev', 'eth0')
    entries = [
        {'address': '198.51.100.20/24', 'interface': 'eth0', 'state': 'absent'},
        {'address': '198.51.100.21/24', 'interface': 'eth0', 'label': 'eth0:b'},
        {'address': '198.51.100.22/24', 'interface': 'eth0'},
        {'address': '2001:db8::22/64', 'interface': 'eth0', 'preferred_lft': '0', 'nodad': True},
        {'address': '198.51.100.23/24', 'interface': 'eth0'},
        {'address': '198.51.100.24/24', 'interface': 'eth0', 'preferred_lft': '0'},
        {'address': '198.51.100.25/24', 'interface': 'eth0', 'state': 'absent'},
    ]
    check = lab.module('vip', check=True, addresses=entries)
    assert not check.failed, check.output
    assert addr(lab, '198.51.100.22/24')['valid_life_time'] <= 300, 'check mode changed the lifetime'

    run = lab.module('vip', addresses=entries, announce_count=1)
    assert not run.failed, run.output
    changed = [item['changed'] for item in run.result['addresses']]
    assert changed == [True, True, True, True, False, True, False]
    assert changed == [item['changed'] for item in check.result['addresses']]
    assert [item['announced'] for item in run.result['addresses']] == [0, 1, 1, 1, 0, 1, 0]
    assert run.result['announced'] == 4
    diff = run.result['diff']
    assert sorted(diff['before']) == sorted('%s on eth0' % item['address'] for item, c in zip(entries, changed) if c)
    assert diff['after']['198.51.100.20/24 on eth0'] == {} and diff['before']['198.51.100.20/24 on eth0']
    assert diff['before']['198.51.100.21/24 on eth0']['label'] == 'eth0:a'
    assert diff['after']['198.51.100.21/24 on eth0']['label'] == 'eth0:b'
    assert 0 < int(diff['before']['198.51.100.22/24 on eth0']['valid_lft']) <= 300
    assert 0 < int(diff['before']['2001:db8::22/64 on eth0']['valid_lft']) <= 300

    assert addr(lab, '198.51.100.20/24') is None and addr(lab, '198.51.100.25/24') is None
    assert addr(lab, '198.51.100.21/24')['label'] == 'eth0:b'
    for address, preferred in (('198.51.100.22/24', 4294967295), ('2001:db8::22/64', 0),
                               ('198.51.100.23/24', 4294967295)):
        info = addr(lab, address)
        assert (info['preferred_life_time'], info['valid_life_time']) == (preferred, 4294967295), (address, info)
        assert info.get('deprecated', False) == (preferred == 0)
    # The kernel shows a permanent IPv4 address with preferred_lft 0 as deprecated, with preferred_lft forever.
    info = addr(lab, '198.51.100.24/24')
    assert info.get('deprecated') is True and info['valid_life_time'] == 4294967295, info
    assert run.result['addresses'][5]['address']['preferred_lft'] == '0'
    again = lab.module('vip', addresses=entries)
    assert not again.failed and again.changed == 0, again.output


def test_a_bad_entry_at_the_end_leaves_everything_unchanged(lab):
    good = [{'address': '198.51.100.%d/24' % n, 'interface': 'eth0'} for n in range(100, 120)]
    lab.ip(lab.ns, 'addr', 'add', '198.51.100.10/24', 'dev', 'eth0')  # a secondary of 198.51.100.2/24
    before = lab.snapshot()
    for bad, message in (
            ({'address': '198.51.100.99/24', 'interface': 'eth0', 'label': 'eth1:x'},
             'addresses[20] (198.51.100.99/24 on eth0): label: \'eth1:x\' must be the interface name'),
            ({'address': '198.51.100.99/24', 'interface': 'nosuch0'},
             'addresses[20] (198.51.100.99/24 on nosuch0): interface: there is no interface named nosuch0'),
            ({'address': '198.51.100.105/32', 'interface': 'eth0'},
             'addresses[20] (198.51.100.105/32 on eth0): address: 198.51.100.105 on eth0 is in addresses[5] already'),
            ({'address': '198.51.100.2/24', 'interface': 'eth0', 'state': 'absent'},
             'addresses[20] (198.51.100.2/24 on eth0): address: 198.51.100.2/24 is the primary address of its '
             'subnet on eth0 and removing it would make the kernel remove 198.51.100.10/24 too')):
        run = lab.module('vip', addresses=good + [bad])
        assert run.failed and run.result['msg'].startswith(message), run.result['msg']
        assert lab.snapshot() == before

    # The primary goes together with its secondary; the new addresses are added after the removals.
    gone = [{'address': '198.51.100.%d/24' % n, 'interface': 'eth0', 'state': 'absent'} for n in (2, 10)]
    run = lab.module('vip', addresses=gone + good, announce='never')
    assert not run.failed and run.changed == 1, run.output
    assert addr(lab, '198.51.100.2/24') is None and addr(lab, '198.51.100.10/24') is None
    assert all(addr(lab, item['address']) for item in good)


def test_a_list_with_an_address_that_fails_dad(lab):
    # The peer holds 2001:db8::1. The other entries are carried out and announced; the duplicate is removed again.
    lab.settle()
    entries = [{'address': '198.51.100.10/24', 'interface': 'eth0'},
               {'address': '2001:db8::10/64', 'interface': 'eth0'},
               {'address': '2001:db8::1/64', 'interface': 'eth0'},
               {'address': '2001:db8::11/64', 'interface': 'eth0'}]
    run = lab.module('vip', addresses=entries, announce_count=1)
    assert run.failed, run.output
    assert run.result['msg'] == ('addresses[2] (2001:db8::1/64 on eth0): duplicate address detection failed for '
                                 '2001:db8::1 on eth0: another host on the link uses it; it was removed again')
    assert run.result['errors'] == [run.result['msg']]
    assert run.result['changed'] is True
    assert [item['announced'] for item in run.result['addresses']] == [1, 1, 0, 1]
    assert run.result['addresses'][2] == {'address': {}, 'changed': False, 'announced': 0}
    assert addr(lab, '2001:db8::1/64') is None
    for item in entries[:2] + entries[3:]:
        assert not addr(lab, item['address']).get('tentative')
    again = lab.module('vip', addresses=entries[:2] + entries[3:])
    assert not again.failed and again.changed == 0


def test_a_list_whose_announcements_fail_on_one_interface(lab):
    macvlan(lab, up=False)
    entries = [{'address': '198.51.100.10/24', 'interface': 'eth0'},
               {'address': '203.0.113.1/32', 'interface': 'mv0'},
               {'address': '198.51.100.11/24', 'interface': 'eth0'},
               {'address': '203.0.113.2/32', 'interface': 'mv0'}]
    lab.ip(lab.ns, 'addr', 'add', '203.0.113.2/32', 'dev', 'mv0')
    run = lab.module('vip', addresses=entries, announce='always', announce_count=1)
    assert run.failed, run.output
    removed, kept = run.result['errors']
    assert removed.startswith('addresses[1] (203.0.113.1/32 on mv0): announce: sending the announcements for '
                              '203.0.113.1/32 on mv0 failed (') and removed.endswith(
        '), so the address was removed again and the next run adds and announces it; mv0 is down; bring it up and '
        'run again, or set announce=never'), removed
    assert kept.startswith('addresses[3] (203.0.113.2/32 on mv0): announce: sending the announcements for '
                           '203.0.113.2/32 on mv0 failed (') and kept.endswith(
        '); mv0 is down; bring it up and run again'), kept
    assert run.result['msg'] == run.result['errors'][0] + ' (and 1 more problem; errors lists them all)'
    assert [item['announced'] for item in run.result['addresses']] == [1, 0, 1, 0]
    assert addr(lab, '203.0.113.1/32', 'mv0') is None, 'the address was left without its announcement'
    assert addr(lab, '203.0.113.2/32', 'mv0') is not None, 'an address there before was removed'
    assert addr(lab, '198.51.100.10/24') and addr(lab, '198.51.100.11/24')

    lab.ip(lab.ns, 'link', 'set', 'mv0', 'up')
    run = lab.module('vip', addresses=entries, announce_count=1)
    assert not run.failed, run.output
    assert [item['changed'] for item in run.result['addresses']] == [False, True, False, False]
    assert run.result['announced'] == 1


COUNTING = r'''
import json, sys, time
sys.path.insert(0, sys.argv[1])
from ansible_collections.hanet.failover.plugins.module_utils import _netlink, _vip

calls = []


class Counting:
    """The IPRoute socket, counting what the code under test asks of it (pyroute2's own calls are not counted)."""

    def __init__(self, ipr):
        self.ipr = ipr

    def __enter__(self):
        self.ipr.__enter__()
        return self

    def __exit__(self, *args):
        return self.ipr.__exit__(*args)

    def __getattr__(self, name):
        method = getattr(self.ipr, name)

        def counted(*args, **kwargs):
            calls.append(' '.join([name] + [str(arg) for arg in args[:1]]))
            return method(*args, **kwargs)
        return counted


real = _netlink.iproute
_netlink.iproute = lambda: Counting(real())
options = {'dad_timeout': 5.0, 'announce': 'never', 'announce_count': 1, 'announce_interval': 0.0,
           'announce_mode': 'request'}
defaults = {'state': 'present', 'label': None, 'preferred_lft': 'forever', 'nodad': False, 'noprefixroute': False,
            'announce_router': False}
specs = json.loads(sys.argv[2])
report = []
for dummy in range(2):
    del calls[:]
    entries = [_vip.Entry(position, dict(defaults, **spec)) for position, spec in enumerate(specs)]
    started = time.time()
    _vip.run(entries, options, False, lambda message: None)
    report.append({'calls': calls[:], 'changed': sum(1 for entry in entries if entry.tracker.changed),
                   'seconds': time.time() - started})
print(json.dumps(report))
'''


def counted_runs(lab, specs):
    """Run the list twice in the target namespace with the lab's Python; what each run asked of netlink."""
    collections = os.path.join(REPO, '.build', 'collections')
    out = sh('ip', 'netns', 'exec', lab.ns, lab.python, '-c', COUNTING, collections, json.dumps(specs)).stdout
    return json.loads(out)


def test_the_netlink_requests_grow_with_the_list_once(lab):
    # To plan, one read of the links and one of the addresses; then one request per address, one read back (and
    # one more read after the lifetime fallback of pyroute2 0.7); a second run only the two reads.
    links = 10
    batch = ''.join('link add bm%d link eth0 up type macvlan mode private\n' % n for n in range(links))
    lab.ip(lab.ns, '-batch', '-', input=batch)
    specs = [{'address': '10.0.%d.%d/32' % (n % links, n), 'interface': 'bm%d' % (n % links)} for n in range(1, 101)]
    specs += [{'address': '2001:db8:%x::1/64' % (n + 1), 'interface': 'bm%d' % n, 'nodad': True, 'preferred_lft': '0'}
              for n in range(links)]
    first, second = counted_runs(lab, specs)
    calls = Counter(first['calls'])
    assert first['changed'] == len(specs)
    fallback = calls.pop('addr replace', 0)
    assert fallback in (0, links), 'the lifetime fallback was sent for %d addresses' % fallback
    assert calls == {'get_links': 1, 'get_addr': 3 if fallback else 2, 'addr add': len(specs)}, first['calls'][:20]
    assert Counter(second['calls']) == {'get_links': 1, 'get_addr': 1} and second['changed'] == 0
    for n in range(links):
        info = addr(lab, '2001:db8:%x::1/64' % (n + 1), 'bm%d' % n)
        assert (info['preferred_life_time'], info['valid_life_time']) == (0, 4294967295), info


def test_dad_is_awaited_for_all_addresses_together(lab):
    # Each address's duplicate address detection takes 1 to 2 s here: one after the other, 20 would take 20 s and
    # more. The one link's addresses are read once per poll, whatever their number.
    lab.settle()
    specs = [{'address': '2001:db8::%x/64' % n, 'interface': 'eth0'} for n in range(0x100, 0x114)]
    first, second = counted_runs(lab, specs)
    assert first['changed'] == len(specs)
    took = first['seconds']
    assert took < 6, 'duplicate address detection of %d addresses took %.1fs' % (len(specs), took)
    calls = Counter(first['calls'])
    assert calls.pop('addr add') == len(specs) and calls.pop('link get') == 1
    # One read per poll (a poll every 0.05 s), plus the read to plan and the read back.
    assert list(calls) == ['addr dump'] and calls['addr dump'] <= 3 + took / 0.05, first['calls']
    assert not any(info.get('tentative') for info in lab.addresses('eth0'))
    assert second['changed'] == 0 and Counter(second['calls']) == {'link get': 1, 'addr dump': 1}
