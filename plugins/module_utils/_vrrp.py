# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""VRRP advertisements as keepalived sends them, for the resignation of a master that died holding its VIPs.

A keepalived master that stops gracefully sends one advertisement with priority 0, and a backup takes over
after its skew time instead of the whole master-down interval (3 adverts + skew). A keepalived that crashed
or was killed sends nothing; the role's ExecStopPost sends that advertisement for it with the frames built
here, field by field as keepalived 2.x builds them (``vrrp_build_ip4``, ``vrrp_build_vrrp_v2`` and
``vrrp_build_vrrp_v3`` in keepalived/vrrp/vrrp.c):

- VRRPv2 (RFC 3768), IPv4 only: version 2, type 1 (advertisement), VRID, priority, address count, auth type
  (0 none, 1 simple text password), advertisement interval in whole seconds, checksum, the IPv4 virtual
  addresses, then 8 bytes of authentication data (the password padded with NULs, zeros without one; keepalived
  always sends them). The checksum covers the VRRP message alone.
- VRRPv3 (RFC 5798), IPv4 and IPv6: version 3, type 1, VRID, priority, address count, 4 reserved bits and the
  maximum advertisement interval in centiseconds (12 bits), checksum, the virtual addresses; no
  authentication. The checksum covers the IPv4 or IPv6 pseudo-header (source, destination, protocol 112,
  length) and the VRRP message.
- IPv4 header: TOS 0xc0 (internetwork control), no fragment flags, TTL 255, protocol 112, from the member's own
  address to 224.0.0.18 (or to each unicast peer). IPv6: traffic class 0xc0, hop limit 255, next header 112,
  from the member's link-local address (or its unicast source) to ff02::12 (or to each unicast peer).

keepalived's backup drops a VRRPv2 advertisement whose interval differs from its own, checks the password
and the checksums, and with priority 0 sets its master-down timer to the skew time. The AH authentication
of VRRPv2 (IP protocol 51) is not built here. Sending needs CAP_NET_RAW.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import os
import socket
import struct
import time

from ansible_collections.hanet.failover.plugins.module_utils._announce import checksum

IPPROTO_VRRP = 112
VRRP_ADVERTISEMENT = 1
VRRP_GROUP = {4: ipaddress.ip_address(u'224.0.0.18'), 6: ipaddress.ip_address(u'ff02::12')}
VRRP_TTL = 255
# keepalived's IP_TOS / IPV6_TCLASS for VRRP: internetwork control (DSCP CS6).
VRRP_TOS = 0xc0
AUTH_NONE = 0
AUTH_PASS = 1
AUTH_TYPES = {'NONE': AUTH_NONE, 'PASS': AUTH_PASS}
AUTH_LEN = 8
PRIORITY_STOP = 0
# Not in every Python's socket module.
SO_BINDTODEVICE = getattr(socket, 'SO_BINDTODEVICE', 25)
IPV6_MULTICAST_IF = getattr(socket, 'IPV6_MULTICAST_IF', 17)
IPV6_MULTICAST_HOPS = getattr(socket, 'IPV6_MULTICAST_HOPS', 18)
IPV6_MULTICAST_LOOP = getattr(socket, 'IPV6_MULTICAST_LOOP', 19)
IPV6_UNICAST_HOPS = getattr(socket, 'IPV6_UNICAST_HOPS', 16)
IPV6_TCLASS = getattr(socket, 'IPV6_TCLASS', 67)


def _address(value):
    return ipaddress.ip_address(value if not isinstance(value, bytes) else value.decode('ascii'))


def interval_field(version, seconds):
    """The advertisement interval as the header carries it, rounded as keepalived rounds its advert_int.

    VRRPv2: whole seconds (half up, at least 1, at most 255). VRRPv3: centiseconds (half up, 1 to 4095).
    """
    seconds = float(seconds)
    if version == 2:
        value = max(1, int(seconds + 0.5))
        if value > 255:
            raise ValueError('a VRRPv2 advertisement interval is 1 to 255 seconds')
        return value
    value = max(1, int(seconds * 100 + 0.5))
    if value > 4095:
        raise ValueError('a VRRPv3 advertisement interval is 0.01 to 40.95 seconds')
    return value


def pseudo_header(source, destination, length):
    """The IPv4 or IPv6 pseudo-header a VRRPv3 checksum covers (protocol 112, ``length`` bytes of VRRP)."""
    src, dst = _address(source), _address(destination)
    if src.version == 4:
        return src.packed + dst.packed + struct.pack('!BBH', 0, IPPROTO_VRRP, length)
    return src.packed + dst.packed + struct.pack('!I', length) + b'\x00\x00\x00' + struct.pack('!B', IPPROTO_VRRP)


def auth_data(password):
    """The 8 bytes of VRRPv2 authentication data: the password (at most 8 bytes kept, as keepalived keeps
    them), padded with NULs; zeros without a password."""
    if password is None:
        return b'\x00' * AUTH_LEN
    key = password.encode('utf-8') if not isinstance(password, bytes) else password
    if not key:
        raise ValueError('a VRRP password has 1 to 8 bytes')
    return key[:AUTH_LEN].ljust(AUTH_LEN, b'\x00')


def advertisement(version, vrid, addresses, interval, priority=PRIORITY_STOP, password=None, source=None,
                  destination=None):
    """The VRRP message (header, virtual addresses, VRRPv2's authentication data) with its checksum.

    ``interval`` is in seconds (see interval_field). ``password`` selects VRRPv2's simple text password (auth
    type 1); without it VRRPv2 says auth type 0. VRRPv3 needs ``source`` and ``destination`` (the IP header's
    addresses) for the pseudo-header of its checksum; VRRPv2 has no pseudo-header and ignores them.
    """
    if version not in (2, 3):
        raise ValueError('VRRP version 2 or 3')
    if not 1 <= vrid <= 255 or not 0 <= priority <= 255:
        raise ValueError('a VRID is 1 to 255, a priority 0 to 255')
    vips = [_address(vip) for vip in addresses]
    families = set(vip.version for vip in vips)
    if len(families) != 1:
        raise ValueError('one or more virtual addresses, all of one family')
    family = families.pop()
    if len(vips) > 255:
        raise ValueError('at most 255 virtual addresses')
    if version == 2 and family != 4:
        raise ValueError('VRRPv2 carries IPv4 only (RFC 3768)')
    if version == 3 and password is not None:
        raise ValueError('VRRPv3 has no authentication')
    body = b''.join(vip.packed for vip in vips)
    if version == 2:
        head = struct.pack('!BBBBBBH', (2 << 4) | VRRP_ADVERTISEMENT, vrid, priority, len(vips),
                           AUTH_PASS if password is not None else AUTH_NONE, interval_field(2, interval), 0)
        message = head + body + auth_data(password)
        summed = message
    else:
        if source is None or destination is None:
            raise ValueError('a VRRPv3 checksum needs the source and destination addresses')
        if _address(source).version != family or _address(destination).version != family:
            raise ValueError('source, destination and virtual addresses of one family')
        head = struct.pack('!BBBBHH', (3 << 4) | VRRP_ADVERTISEMENT, vrid, priority, len(vips),
                           interval_field(3, interval) & 0x0FFF, 0)
        message = head + body
        summed = pseudo_header(source, destination, len(message)) + message
    return message[:6] + struct.pack('!H', checksum(summed)) + message[8:]


def ipv4_packet(source, destination, vrrp, ident=None):
    """The IPv4 packet keepalived sends: TOS 0xc0, no fragment flags, TTL 255, protocol 112, header checksum.

    The identification is random unless given (never 0: the kernel fills a 0 in itself).
    """
    ident = ident if ident is not None else (struct.unpack('!H', os.urandom(2))[0] or 1)
    header = struct.pack('!BBHHHBBH4s4s', 0x45, VRRP_TOS, 20 + len(vrrp), ident, 0, VRRP_TTL, IPPROTO_VRRP, 0,
                         _address(source).packed, _address(destination).packed)
    return header[:10] + struct.pack('!H', checksum(header)) + header[12:] + vrrp


def ipv6_packet(source, destination, vrrp):
    """The IPv6 packet as the kernel sends ``vrrp`` from send() (traffic class 0xc0, hop limit 255, next
    header 112); for decoders and captures, since send() hands the kernel the VRRP message only."""
    first = (6 << 28) | (VRRP_TOS << 20)
    return struct.pack('!IHBB', first, len(vrrp), IPPROTO_VRRP, VRRP_TTL) + _address(source).packed + \
        _address(destination).packed + vrrp


def resignation(version, vrid, addresses, interval, source, peers=None, password=None):
    """The priority 0 advertisements of a master that stops: a list of (destination, packet).

    To the VRRP group, or with unicast ``peers`` to each of them (VRRPv3's checksum differs per peer, as
    keepalived's does). IPv4 packets carry their IP header (send() uses IP_HDRINCL); IPv6 ones are the VRRP
    message only (the kernel adds the header).
    """
    family = _address(source).version
    destinations = [_address(peer) for peer in peers] if peers else [VRRP_GROUP[family]]
    packets = []
    for destination in destinations:
        vrrp = advertisement(version, vrid, addresses, interval, PRIORITY_STOP, password, source, destination)
        packets.append((str(destination), ipv4_packet(source, destination, vrrp) if family == 4 else vrrp))
    return packets


def send(interface, source, packets, count=1, interval=0.0):
    """Send resignation() ``packets`` out of ``interface`` (SO_BINDTODEVICE), ``count`` rounds ``interval``
    seconds apart. IPv4: a raw socket with the packets' own IP headers. IPv6: a raw socket for protocol 112 bound
    to ``source`` (a link-local address is scoped to ``interface``), hop limit 255, traffic class 0xc0.

    Returns the number of packets sent.
    """
    index = socket.if_nametoindex(interface)
    family = _address(source).version
    if family == 4:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    else:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, IPPROTO_VRRP)
    sent = 0
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, interface.encode('ascii'))
        if family == 4:
            # struct ip_mreqn: no group, any address, the interface's index.
            mreqn = struct.pack('@4s4si', b'\x00' * 4, b'\x00' * 4, index)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        else:
            source6 = _address(source)
            sock.bind((str(source6), 0, 0, index if source6.is_link_local else 0))
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_MULTICAST_IF, index)
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_MULTICAST_HOPS, VRRP_TTL)
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0)
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_UNICAST_HOPS, VRRP_TTL)
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_TCLASS, VRRP_TOS)
        for round_number in range(count):
            if round_number and interval:
                time.sleep(interval)
            for destination, packet in packets:
                target = _address(destination)
                if family == 4:
                    # keepalived sends its multicast adverts with MSG_DONTROUTE, its unicast ones routed.
                    sock.sendto(packet, socket.MSG_DONTROUTE if target.is_multicast else 0, (str(target), 0))
                else:
                    scoped = target.is_multicast or target.is_link_local
                    sock.sendto(packet, (str(target), 0, 0, index if scoped else 0))
                sent += 1
    finally:
        sock.close()
    return sent
