# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

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
