# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""CARP advertisements as ucarp sends and checks them, for the resignation of a stopping master.

ucarp sends no advertisement when it stops, so its peers wait advbase x deadratio before one takes the
VIP over. A backup takes over at once, though, when it hears an advertisement whose interval
(advbase + advskew/256) is longer than the time it would wait: CARP's "this master is going to time
out". A master that stops sends one with advbase 255 and advskew 255, the largest interval CARP can
say. The frame is authenticated like ucarp's own: HMAC-SHA1, keyed with the shared password, over the
version, type, VHID, the VIP and the counter. Sending needs CAP_NET_RAW.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import hmac
import ipaddress
import os
import struct

from ansible_collections.hanet.failover.plugins.module_utils._announce import BROADCAST, checksum
from ansible_collections.hanet.failover.plugins.module_utils._mac import parse_mac

CARP_VERSION = 2
CARP_ADVERTISEMENT = 1
CARP_AUTHLEN = 7
IPPROTO_CARP = 112
CARP_GROUP = ipaddress.IPv4Address('224.0.0.18')
ETH_P_IP = 0x0800
# ucarp keeps the password in a 20-byte key with its terminating NUL.
KEY_MAX = 19
RESIGN = 255


def digest(password, vhid, vip, counter):
    """ucarp's HMAC-SHA1 for an advertisement: key = password, message = version, type, VHID, VIP, counter."""
    key = password.encode('utf-8') if not isinstance(password, bytes) else password
    if not key or len(key) > KEY_MAX:
        raise ValueError('a ucarp password has 1 to %d bytes' % KEY_MAX)
    message = struct.pack('!BBB', CARP_VERSION, CARP_ADVERTISEMENT, vhid) + ipaddress.IPv4Address(vip).packed + counter
    return hmac.new(key, message, hashlib.sha1).digest()


def advertisement(password, vhid, vip, advbase=RESIGN, advskew=RESIGN, counter=None):
    """The 36-byte CARP header with its checksum and digest."""
    if not 1 <= vhid <= 255 or not 0 <= advskew <= 255 or not 1 <= advbase <= 255:
        raise ValueError('vhid and advbase take 1 to 255, advskew 0 to 255')
    counter = counter if counter is not None else os.urandom(8)
    md = digest(password, vhid, vip, counter)
    head = struct.pack('!BBBBBBH', (CARP_VERSION << 4) | CARP_ADVERTISEMENT, vhid, advskew, CARP_AUTHLEN, 0,
                       advbase, 0)
    unsummed = head + counter + md
    return unsummed[:6] + struct.pack('!H', checksum(unsummed)) + unsummed[8:]


def frame(mac, srcip, carp):
    """An Ethernet frame (broadcast, which every peer's capture sees) carrying ``carp`` to 224.0.0.18, TTL 255."""
    ip_header = struct.pack('!BBHHHBBH4s4s', 0x45, 0x10, 20 + len(carp), struct.unpack('!H', os.urandom(2))[0],
                            0x4000, 255, IPPROTO_CARP, 0, ipaddress.IPv4Address(srcip).packed, CARP_GROUP.packed)
    ip_header = ip_header[:10] + struct.pack('!H', checksum(ip_header)) + ip_header[12:]
    return BROADCAST + bytes(parse_mac(mac)) + struct.pack('!H', ETH_P_IP) + ip_header + carp


def resignation(mac, srcip, password, vhid, vip):
    """The frame a stopping ucarp master sends so that a backup takes over at once."""
    return frame(mac, srcip, advertisement(password, vhid, vip))
