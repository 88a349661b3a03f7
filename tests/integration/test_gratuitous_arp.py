# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

VIP = '198.51.100.10'
VIP6 = '2001:db8::10'
VMAC = '00:00:5e:00:01:33'
WRONG = '02:00:00:00:00:99'


def stale_neighbours(lab, *addresses):
    for address in addresses:
        lab.ip(lab.peer, 'neigh', 'replace', address, 'lladdr', WRONG, 'dev', 'peer0', 'nud', 'stale')
    time.sleep(1.1)  # past the neighbour locktime, so an announcement may override the entry


def test_both_arp_forms_on_the_wire(lab):
    lab.ip(lab.ns, 'addr', 'add', VIP + '/24', 'dev', 'eth0')
    mac = lab.link('eth0')['address']
    frames = lab.capture(20, frames=4)
    run = lab.module('gratuitous_arp', interface='eth0', addresses=[VIP], mode='both', count=2, interval=0.1)
    assert not run.failed, run.output
    assert run.changed == 0 and run.result['sent'] == 4
    arps = [f for f in frames() if f['kind'] == 'arp' and f['spa'] == VIP]
    assert [f['opcode'] for f in arps] == [1, 2, 1, 2]
    for frame in arps:
        assert frame['dst'] == 'ff:ff:ff:ff:ff:ff'
        assert frame['src'] == frame['sha'] == mac
        assert frame['tpa'] == VIP
        assert frame['tha'] == ('00:00:00:00:00:00' if frame['opcode'] == 1 else mac)


def test_vmac_source_updates_the_peers_caches_for_ipv4_and_ipv6(lab):
    lab.ip(lab.ns, 'addr', 'add', VIP + '/24', 'dev', 'eth0')
    lab.ip(lab.ns, 'addr', 'add', VIP6 + '/64', 'dev', 'eth0', 'nodad')
    stale_neighbours(lab, VIP, VIP6)
    frames = lab.capture(20, frames=2)
    run = lab.module('gratuitous_arp', interface='eth0', addresses=[VIP, VIP6], source_mac=VMAC, count=1)
    assert not run.failed, run.output
    captured = frames()
    arp = [f for f in captured if f['kind'] == 'arp' and f['spa'] == VIP]
    na = [f for f in captured if f['kind'] == 'na' and f['target'] == VIP6]
    assert len(arp) == 1 and arp[0]['sha'] == VMAC and arp[0]['src'] == VMAC and arp[0]['opcode'] == 1
    assert len(na) == 1
    assert na[0]['dst'] == '33:33:00:00:00:01' and na[0]['src'] == VMAC
    assert na[0]['src_ip'] == VIP6 and na[0]['dst_ip'] == 'ff02::1' and na[0]['hop_limit'] == 255
    assert na[0]['override'] and not na[0]['solicited'] and not na[0]['router']
    assert na[0]['target_lladdr'] == VMAC
    # The real outcome: the peer now sends to the virtual MAC.
    assert lab.neighbour(VIP)[0] == VMAC
    assert lab.neighbour(VIP6)[0] == VMAC


def test_refuses_an_address_this_host_does_not_hold(lab):
    frames = lab.capture(6)
    run = lab.module('gratuitous_arp', interface='eth0', addresses=['198.51.100.77'], count=1)
    assert run.failed and 'addresses: 198.51.100.77 not assigned to eth0' in run.result['msg']
    assert '(198.51.100.77 is on no interface of this host)' in run.result['msg']
    assert [f for f in frames() if f.get('spa') == '198.51.100.77'] == []


def test_refuses_an_address_held_on_another_interface(lab):
    # Held on lo, announced out of eth0: the peers would send it to eth0, where it is not on the link.
    lab.ip(lab.ns, 'addr', 'add', VIP + '/32', 'dev', 'lo')
    frames = lab.capture(6)
    run = lab.module('gratuitous_arp', interface='eth0', addresses=[VIP], count=1)
    assert run.failed and 'addresses: %s not assigned to eth0 (%s is on lo)' % (VIP, VIP) in run.result['msg']
    assert [f for f in frames() if f.get('spa') == VIP] == []
    run = lab.module('gratuitous_arp', interface='eth0', addresses=[VIP], count=1, require_held=False)
    assert not run.failed and run.result['sent'] == 1


def test_check_mode_sends_nothing(lab):
    lab.ip(lab.ns, 'addr', 'add', VIP + '/24', 'dev', 'eth0')
    frames = lab.capture(6)
    run = lab.module('gratuitous_arp', check=True, interface='eth0', addresses=[VIP], count=1)
    assert not run.failed and run.result['sent'] == 0
    assert run.result['frames'][0]['address'] == VIP
    assert [f for f in frames() if f.get('spa') == VIP] == []


def test_down_or_missing_interface_is_refused(lab):
    run = lab.module('gratuitous_arp', interface='nosuch0', addresses=[VIP])
    assert run.failed and 'interface: there is no interface named nosuch0' in run.result['msg']
    lab.ip(lab.ns, 'link', 'set', 'eth0', 'down')
    run = lab.module('gratuitous_arp', interface='eth0', addresses=['198.51.100.2'])
    assert run.failed and 'interface: eth0 is down' in run.result['msg']


def test_router_flag_for_a_gateway_vip(lab):
    lab.ip(lab.ns, 'addr', 'add', VIP + '/24', 'dev', 'eth0')
    lab.ip(lab.ns, 'addr', 'add', VIP6 + '/64', 'dev', 'eth0', 'nodad')
    stale_neighbours(lab, VIP6)
    frames = lab.capture(20, frames=1)
    run = lab.module('gratuitous_arp', interface='eth0', addresses=[VIP6], count=1, router=True)
    assert not run.failed, run.output
    assert run.result['frames'] == [{'kind': 'na', 'address': VIP6, 'source_mac': lab.link('eth0')['address'],
                                     'destination_mac': '33:33:00:00:00:01', 'router': True}]
    na = [f for f in frames() if f['kind'] == 'na' and f['target'] == VIP6]
    assert len(na) == 1 and na[0]['router'] and na[0]['override'] and not na[0]['solicited']
    # The real outcome: the peer now knows the address as a router's.
    entry = lab.ip_json(lab.peer, 'neigh', 'show', 'to', VIP6, 'dev', 'peer0')[0]
    assert entry['lladdr'] == lab.link('eth0')['address'] and 'router' in entry, entry

    # Without router (the default) the flag is clear, and the peer forgets that it is a router.
    run = lab.module('gratuitous_arp', check=True, interface='eth0', addresses=[VIP6, VIP], mode='both')
    assert [f.get('router') for f in run.result['frames']] == [False, None, None]
    frames = lab.capture(20, frames=1)
    run = lab.module('gratuitous_arp', interface='eth0', addresses=[VIP6], count=1)
    assert not run.failed, run.output
    na = [f for f in frames() if f['kind'] == 'na' and f['target'] == VIP6]
    assert len(na) == 1 and not na[0]['router']
    entry = lab.ip_json(lab.peer, 'neigh', 'show', 'to', VIP6, 'dev', 'peer0')[0]
    assert 'router' not in entry, entry
