# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The CARP resignation frame (plugins/module_utils/_carp.py); that ucarp accepts it is proven in the lab
(tests/faults: the backup takes over on a graceful stop and logs why)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import hmac
import struct

import pytest

from ansible_collections.hanet.failover.plugins.module_utils import _carp

MAC = '52:54:00:12:34:56'
COUNTER = bytes(bytearray(range(8)))


def ones_complement_sum(data):
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def test_advertisement_fields_checksum_and_digest():
    carp = _carp.advertisement('pw', 53, '198.51.100.102', counter=COUNTER)
    assert len(carp) == 36
    version_type, vhid, advskew, authlen, pad, advbase = struct.unpack('!BBBBBB', carp[:6])
    assert (version_type, vhid, advskew, authlen, pad, advbase) == (0x21, 53, 255, 7, 0, 255)
    assert ones_complement_sum(carp) == 0xFFFF
    assert carp[8:16] == COUNTER
    message = b'\x02\x01\x35' + bytes(bytearray([198, 51, 100, 102])) + COUNTER
    assert carp[16:] == hmac.new(b'pw', message, hashlib.sha1).digest()


def test_resignation_frame_is_broadcast_ip_to_the_carp_group_with_ttl_255():
    frame = _carp.resignation(MAC, '198.51.100.41', 'pw', 53, '198.51.100.102')
    assert frame[:6] == b'\xff' * 6 and frame[6:12] == bytes(bytearray([0x52, 0x54, 0, 0x12, 0x34, 0x56]))
    assert struct.unpack('!H', frame[12:14])[0] == 0x0800
    ip = frame[14:34]
    assert ip[0] == 0x45 and ip[8] == 255 and ip[9] == 112
    assert struct.unpack('!H', ip[2:4])[0] == 56
    assert ip[12:16] == bytes(bytearray([198, 51, 100, 41])) and ip[16:20] == bytes(bytearray([224, 0, 0, 18]))
    assert ones_complement_sum(ip) == 0xFFFF
    assert len(frame) == 14 + 20 + 36


def test_a_fresh_counter_each_time():
    first = _carp.advertisement('pw', 53, '198.51.100.102')
    second = _carp.advertisement('pw', 53, '198.51.100.102')
    assert first[8:16] != second[8:16]


@pytest.mark.parametrize('password, vhid', [('', 1), ('x' * 20, 1), ('pw', 0), ('pw', 256)])
def test_refuses_what_ucarp_cannot_use(password, vhid):
    with pytest.raises(ValueError):
        _carp.advertisement(password, vhid, '198.51.100.102')
