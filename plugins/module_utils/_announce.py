# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Address announcements: gratuitous ARP (IPv4) and unsolicited neighbour advertisements (IPv6).

Frames are built here byte by byte and sent on an AF_PACKET socket, so no
arping, ndsend or scapy is needed on the host. Sending needs CAP_NET_RAW.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import socket
import struct
import time

from ansible_collections.hanet.failover.plugins.module_utils._mac import parse_mac

ETH_P_ARP = 0x0806
ETH_P_IPV6 = 0x86DD
BROADCAST = b'\xff' * 6
ALL_NODES_MAC = b'\x33\x33\x00\x00\x00\x01'
ALL_NODES = ipaddress.IPv6Address('ff02::1')
ARP_REQUEST = 1
ARP_REPLY = 2
ICMPV6_NA = 136
NA_FLAG_ROUTER = 0x80000000
NA_FLAG_OVERRIDE = 0x20000000
OPT_TARGET_LLADDR = 2

# What "mode" asks for, as ARP opcodes in sending order.
ARP_FORMS = {'request': (ARP_REQUEST,), 'reply': (ARP_REPLY,), 'both': (ARP_REQUEST, ARP_REPLY)}


def gratuitous_arp(mac, address, opcode):
    """An Ethernet frame carrying a gratuitous ARP for ``address`` from ``mac``.

    Sender and target protocol addresses are both the announced address and the
    frame is broadcast. A request carries a zero target hardware address (as the
    kernel's own arp_notify does); a reply carries the sender's MAC there (as
    arping -A does), for gear that only learns from replies.
    """
    hw = bytes(parse_mac(mac))
    ip = ipaddress.IPv4Address(address).packed
    target_hw = hw if opcode == ARP_REPLY else b'\x00' * 6
    arp = struct.pack('!HHBBH', 1, 0x0800, 6, 4, opcode) + hw + ip + target_hw + ip
    return BROADCAST + hw + struct.pack('!H', ETH_P_ARP) + arp


def checksum(data):
    """The RFC 1071 Internet checksum of ``data``."""
    if len(data) % 2:
        data += b'\x00'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def unsolicited_na(mac, address, router=False):
    """An Ethernet frame carrying an unsolicited neighbour advertisement (RFC 4861 7.2.6).

    Sent from the address to all nodes (ff02::1), hop limit 255, Override flag
    set, Solicited clear, with the target link-layer address option. ``router``
    sets the Router flag, for an address that is a router (a gateway VIP): a
    neighbour that receives an advertisement without it for its default router
    removes that router from its Default Router List (RFC 4861 7.2.5).
    """
    hw = bytes(parse_mac(mac))
    src = ipaddress.IPv6Address(address).packed
    dst = ALL_NODES.packed
    option = struct.pack('!BB', OPT_TARGET_LLADDR, 1) + hw
    flags = NA_FLAG_OVERRIDE | (NA_FLAG_ROUTER if router else 0)
    body = struct.pack('!I', flags) + src + option
    pseudo = src + dst + struct.pack('!I', 4 + len(body)) + b'\x00\x00\x00' + struct.pack('!B', 58)
    icmp_sum = checksum(pseudo + struct.pack('!BBH', ICMPV6_NA, 0, 0) + body)
    icmp = struct.pack('!BBH', ICMPV6_NA, 0, icmp_sum) + body
    ipv6 = struct.pack('!IHBB', 6 << 28, len(icmp), 58, 255) + src + dst
    return ALL_NODES_MAC + hw + struct.pack('!H', ETH_P_IPV6) + ipv6 + icmp


def frames_for(mac, address, mode='request', router=False):
    """The frames announcing ``address``: ARP forms for IPv4, one NA for IPv6 (with the Router flag if ``router``).

    ``router`` does not apply to IPv4, whose ARP has no such flag.
    """
    ip = ipaddress.ip_address(address)
    if ip.version == 6:
        return [('na', unsolicited_na(mac, ip, router=router))]
    return [('request' if op == ARP_REQUEST else 'reply', gratuitous_arp(mac, ip, op)) for op in ARP_FORMS[mode]]


def send(interface, frames, count, interval):
    """Send ``frames`` (a list of (kind, bytes)) ``count`` times, ``interval`` seconds apart.

    Returns the number of frames sent; raises the OSError of a failed send (send_rounds for one interface).
    """
    sent, failures = send_rounds([(interface, frames)], count, interval)
    if failures:
        raise failures[interface]
    return sent[0]


def send_rounds(batches, count, interval):
    """Send several batches of frames in ``count`` rounds: each round every batch's frames, then one pause.

    ``batches`` is a list of (interface, frames), frames as for send; several batches may name one interface
    (say, one per address). The pause of ``interval`` seconds comes between rounds, so the whole takes
    (count - 1) x interval however many batches there are. One AF_PACKET socket sends on every interface (the
    kernel takes about 15 ms to close each such socket, 7 s for one per interface on 500 interfaces).

    An interface on which a send fails is left out of the rounds that follow; the others go on. Returns
    (sent, failures): the number of frames sent of each batch, in the order given, and {interface: the OSError}.
    """
    sent = [0] * len(batches)
    failures = {}
    interfaces = set(interface for interface, dummy in batches)
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    except (IOError, OSError) as exc:
        return sent, dict((interface, exc) for interface in interfaces)
    try:
        for round_number in range(count):
            if len(failures) == len(interfaces):
                break
            if round_number and interval:
                time.sleep(interval)
            for position, (interface, frames) in enumerate(batches):
                if interface in failures:
                    continue
                try:
                    for dummy, frame in frames:
                        sock.sendto(frame, (interface, 0))
                        sent[position] += 1
                except (IOError, OSError) as exc:
                    failures[interface] = exc
    finally:
        sock.close()
    return sent, failures
