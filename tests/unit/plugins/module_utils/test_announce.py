# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import struct

from ansible_collections.hanet.failover.plugins.module_utils import _announce

MAC = '00:00:5e:00:01:33'
HW = bytes(bytearray([0, 0, 0x5e, 0, 1, 0x33]))


def test_gratuitous_arp_request_fields():
    frame = _announce.gratuitous_arp(MAC, '198.51.100.10', _announce.ARP_REQUEST)
    assert len(frame) == 42
    assert frame[0:6] == b'\xff' * 6 and frame[6:12] == HW
    assert struct.unpack('!H', frame[12:14])[0] == 0x0806
    htype, ptype, hlen, plen, oper = struct.unpack('!HHBBH', frame[14:22])
    assert (htype, ptype, hlen, plen, oper) == (1, 0x0800, 6, 4, 1)
    assert frame[22:28] == HW
    assert frame[28:32] == frame[38:42] == ipaddress.IPv4Address('198.51.100.10').packed
    assert frame[32:38] == b'\x00' * 6


def test_gratuitous_arp_reply_targets_itself():
    frame = _announce.gratuitous_arp(MAC, '198.51.100.10', _announce.ARP_REPLY)
    assert struct.unpack('!H', frame[20:22])[0] == 2
    assert frame[32:38] == HW


def test_frames_for_modes():
    assert [frame[0] for frame in _announce.frames_for(MAC, '198.51.100.10', 'both')] == ['request', 'reply']
    assert [frame[0] for frame in _announce.frames_for(MAC, '2001:db8::10', 'both')] == ['na']


def test_unsolicited_na_fields_and_checksum():
    frame = _announce.unsolicited_na(MAC, '2001:db8::10')
    assert frame[0:6] == b'\x33\x33\x00\x00\x00\x01' and frame[6:12] == HW
    assert struct.unpack('!H', frame[12:14])[0] == 0x86DD
    ipv6 = frame[14:54]
    assert ipv6[0] >> 4 == 6
    payload_len, next_header, hop_limit = struct.unpack('!HBB', ipv6[4:8])
    assert (payload_len, next_header, hop_limit) == (32, 58, 255)
    src, dst = ipv6[8:24], ipv6[24:40]
    assert src == ipaddress.IPv6Address('2001:db8::10').packed
    assert dst == ipaddress.IPv6Address('ff02::1').packed
    icmp = frame[54:]
    assert icmp[0] == 136 and icmp[1] == 0
    flags = struct.unpack('!I', icmp[4:8])[0]
    assert flags & 0x20000000 and not flags & 0x40000000 and not flags & 0x80000000  # O set, S and R clear
    assert icmp[8:24] == src
    assert icmp[24:26] == b'\x02\x01' and icmp[26:32] == HW
    # A correct checksum makes the one's complement sum over pseudo-header + message 0xffff.
    pseudo = src + dst + struct.pack('!I', len(icmp)) + b'\x00\x00\x00\x3a'
    data = pseudo + icmp
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    assert total == 0xFFFF


def na_flags(frame):
    return struct.unpack('!I', frame[58:62])[0]


def test_router_flag_is_set_only_when_asked():
    # The old positional forms still work (roles/ucarp/files/announce calls frames_for(mac, address, 'both')).
    assert na_flags(_announce.unsolicited_na(MAC, '2001:db8::10')) == 0x20000000
    assert na_flags(_announce.frames_for(MAC, '2001:db8::10', 'both')[0][1]) == 0x20000000
    router = _announce.frames_for(MAC, '2001:db8::10', 'both', router=True)
    assert [kind for kind, dummy in router] == ['na']
    assert na_flags(router[0][1]) == 0x80000000 | 0x20000000  # R and O set, S clear
    assert na_flags(_announce.unsolicited_na(MAC, '2001:db8::10', router=True)) == 0xA0000000
    # IPv4 has no such flag: the frames are the same either way.
    assert _announce.frames_for(MAC, '198.51.100.10', 'both', router=True) == \
        _announce.frames_for(MAC, '198.51.100.10', 'both')


def test_router_flag_keeps_the_checksum_right():
    icmp = _announce.unsolicited_na(MAC, '2001:db8::10', router=True)[54:]
    src, dst = ipaddress.IPv6Address('2001:db8::10').packed, ipaddress.IPv6Address('ff02::1').packed
    data = src + dst + struct.pack('!I', len(icmp)) + b'\x00\x00\x00\x3a' + icmp
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    assert total == 0xFFFF
