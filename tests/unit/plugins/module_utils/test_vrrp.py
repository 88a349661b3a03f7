# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The VRRP priority 0 advertisement (plugins/module_utils/_vrrp.py): fields from the RFC layout, checksums, and
the same frames decoded by tcpdump (an independent decoder that also checks the VRRP and IP checksums).
That keepalived acts on them is tests/integration/test_keepalived_resign.py's job."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shutil
import struct
import subprocess

import pytest

from ansible_collections.hanet.failover.plugins.module_utils import _vrrp

SRC4 = '198.51.100.2'
SRC6 = 'fe80::5054:ff:fe12:3456'
VIP4 = '198.51.100.10'
VIP6 = '2001:db8::10'


def ones_complement_sum(data):
    if len(data) % 2:
        data += b'\x00'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def ip4(text):
    return bytes(bytearray(int(part) for part in text.split('.')))


def pseudo4(src, dst, length):
    return ip4(src) + ip4(dst) + struct.pack('!BBH', 0, 112, length)


def ip6(text):
    import ipaddress
    return ipaddress.IPv6Address(u'%s' % text).packed


def test_v2_without_password_fields_and_checksum():
    vrrp = _vrrp.advertisement(2, 51, [VIP4, '198.51.100.11'], 1)
    assert len(vrrp) == 8 + 2 * 4 + 8
    vers_type, vrid, priority, count, auth_type, interval = struct.unpack('!BBBBBB', vrrp[:6])
    assert (vers_type, vrid, priority, count, auth_type, interval) == (0x21, 51, 0, 2, 0, 1)
    assert vrrp[8:16] == ip4(VIP4) + ip4('198.51.100.11')
    assert vrrp[16:] == b'\x00' * 8, 'keepalived always sends the 8 bytes of authentication data in VRRPv2'
    assert ones_complement_sum(vrrp) == 0xFFFF, 'the VRRPv2 checksum covers the VRRP message alone'


def test_v2_with_a_password_carries_it_padded_to_8_bytes():
    vrrp = _vrrp.advertisement(2, 52, [VIP4], 3, password='s3 cr#t')
    assert struct.unpack('!BB', vrrp[4:6]) == (1, 3), 'auth type 1 (simple text password), interval 3 s'
    assert vrrp[12:20] == b's3 cr#t\x00'
    assert ones_complement_sum(vrrp) == 0xFFFF
    # keepalived keeps 8 bytes of a longer password, and so does the frame.
    assert _vrrp.advertisement(2, 52, [VIP4], 3, password='123456789')[12:20] == b'12345678'


def test_v2_source_and_destination_do_not_change_it():
    plain = _vrrp.advertisement(2, 51, [VIP4], 1)
    assert _vrrp.advertisement(2, 51, [VIP4], 1, source=SRC4, destination='198.51.100.1') == plain


def test_v3_ipv4_fields_and_checksum_over_the_pseudo_header():
    vrrp = _vrrp.advertisement(3, 53, [VIP4], 0.1, source=SRC4, destination='224.0.0.18')
    assert len(vrrp) == 8 + 4
    vers_type, vrid, priority, count, interval = struct.unpack('!BBBBH', vrrp[:6])
    assert (vers_type, vrid, priority, count, interval) == (0x31, 53, 0, 1, 10), '10 centiseconds, reserved bits 0'
    assert vrrp[8:] == ip4(VIP4)
    assert ones_complement_sum(pseudo4(SRC4, '224.0.0.18', len(vrrp)) + vrrp) == 0xFFFF
    assert ones_complement_sum(vrrp) != 0xFFFF, 'the VRRPv3 checksum must cover the pseudo-header'


def test_v3_ipv6_checksum_over_the_ipv6_pseudo_header():
    vrrp = _vrrp.advertisement(3, 54, [VIP6], 1, source=SRC6, destination='ff02::12')
    assert len(vrrp) == 8 + 16
    assert struct.unpack('!BBBBH', vrrp[:6]) == (0x31, 54, 0, 1, 100)
    assert vrrp[8:] == ip6(VIP6)
    pseudo = ip6(SRC6) + ip6('ff02::12') + struct.pack('!I', len(vrrp)) + b'\x00\x00\x00\x70'
    assert ones_complement_sum(pseudo + vrrp) == 0xFFFF


@pytest.mark.parametrize('version, seconds, field', [
    (2, 1, 1), (2, 1.4, 1), (2, 1.5, 2), (2, 0.2, 1), (2, 255, 255),
    (3, 1, 100), (3, 0.1, 10), (3, 0.01, 1), (3, 0.004, 1), (3, 40.95, 4095), (3, '0.1', 10),
])
def test_intervals_are_rounded_as_keepalived_rounds_advert_int(version, seconds, field):
    assert _vrrp.interval_field(version, seconds) == field


def test_ipv4_packet_header_as_keepalived_builds_it():
    (destination, packet), = _vrrp.resignation(2, 51, [VIP4], 1, SRC4)
    assert destination == '224.0.0.18'
    header = packet[:20]
    version_ihl, tos, length, ident, frag, ttl, protocol = struct.unpack('!BBHHHBB', header[:10])
    assert (version_ihl, tos, length, frag, ttl, protocol) == (0x45, 0xc0, 20 + 20, 0, 255, 112)
    assert ident != 0
    assert header[12:16] == ip4(SRC4) and header[16:20] == ip4('224.0.0.18')
    assert ones_complement_sum(header) == 0xFFFF
    assert struct.unpack('!B', packet[22:23])[0] == 0, 'priority 0'


def test_unicast_peers_get_one_packet_each_with_their_own_v3_checksum():
    packets = _vrrp.resignation(3, 55, [VIP4], 1, SRC4, peers=['198.51.100.1', '198.51.100.3'])
    assert [destination for destination, dummy in packets] == ['198.51.100.1', '198.51.100.3']
    for destination, packet in packets:
        assert packet[16:20] == ip4(destination)
        vrrp = packet[20:]
        assert ones_complement_sum(pseudo4(SRC4, destination, len(vrrp)) + vrrp) == 0xFFFF
    assert packets[0][1][26:28] != packets[1][1][26:28]


def test_ipv6_resignation_is_the_vrrp_message_the_kernel_wraps():
    (destination, vrrp), = _vrrp.resignation(3, 56, [VIP6], 1, SRC6)
    assert destination == 'ff02::12'
    packet = _vrrp.ipv6_packet(SRC6, destination, vrrp)
    first, length, next_header, hop_limit = struct.unpack('!IHBB', packet[:8])
    assert (first >> 28, (first >> 20) & 0xFF, length, next_header, hop_limit) == (6, 0xc0, len(vrrp), 112, 255)
    assert packet[8:24] == ip6(SRC6) and packet[24:40] == ip6('ff02::12') and packet[40:] == vrrp


@pytest.mark.parametrize('args, kwargs', [
    ((2, 51, [VIP6], 1), {}),                                               # VRRPv2 is IPv4 only
    ((3, 51, [VIP4], 1), {'password': 'x', 'source': SRC4, 'destination': '224.0.0.18'}),  # v3: no auth
    ((3, 51, [VIP4], 1), {}),                                               # v3 needs the pseudo-header's addresses
    ((3, 51, [VIP4, VIP6], 1), {'source': SRC4, 'destination': '224.0.0.18'}),
    ((3, 51, [VIP6], 1), {'source': SRC4, 'destination': '224.0.0.18'}),
    ((2, 0, [VIP4], 1), {}), ((2, 256, [VIP4], 1), {}), ((2, 51, [], 1), {}),
    ((2, 51, [VIP4], 256), {}), ((3, 51, [VIP4], 41), {'source': SRC4, 'destination': '224.0.0.18'}),
    ((4, 51, [VIP4], 1), {}), ((2, 51, [VIP4], 1), {'password': ''}),
])
def test_refuses_what_keepalived_would_not_send(args, kwargs):
    with pytest.raises(ValueError):
        _vrrp.advertisement(*args, **kwargs)


# The same frames through tcpdump: a pcap of raw IP packets (LINKTYPE_RAW), decoded with -vv, which prints the
# fields and flags a bad VRRP checksum (VRRPv3: with the IPv4 or IPv6 pseudo-header) or a bad IP header checksum.

def write_pcap(path, packets):
    with open(str(path), 'wb') as handle:
        handle.write(struct.pack('<IHHiIII', 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        for packet in packets:
            handle.write(struct.pack('<IIII', 0, 0, len(packet), len(packet)) + packet)


def tcpdump(tmp_path, packets):
    assert shutil.which('tcpdump'), 'tcpdump is missing; run scripts/bootstrap'
    path = tmp_path / 'vrrp.pcap'
    write_pcap(path, packets)
    out = subprocess.run(['tcpdump', '-r', str(path), '-nn', '-vv'], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True, check=True).stdout
    # One packet per entry: tcpdump continues an IPv4 packet on an indented line.
    return [' '.join(entry.split()) for entry in out.replace('\n    ', ' ').splitlines()]


def test_tcpdump_decodes_v2_without_and_with_a_password(tmp_path):
    plain = _vrrp.resignation(2, 51, [VIP4], 1, SRC4)[0][1]
    authed = _vrrp.resignation(2, 52, [VIP4, '198.51.100.11'], 3, SRC4, password='s3cret')[0][1]
    first, second = tcpdump(tmp_path, [plain, authed])
    assert 'tos 0xc0, ttl 255' in first and 'flags [none], proto VRRP (112), length 40' in first
    assert first.endswith('198.51.100.2 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 0, authtype none, '
                          'intvl 1s, length 20, addrs: 198.51.100.10'), first
    assert second.endswith('198.51.100.2 > 224.0.0.18: VRRPv2, Advertisement, vrid 52, prio 0, authtype simple, '
                           'intvl 3s, length 24, addrs(2): 198.51.100.10,198.51.100.11 auth "s3cret"'), second
    for line in (first, second):
        assert 'bad' not in line, line


def test_tcpdump_decodes_v3_ipv4_multicast_and_unicast(tmp_path):
    packets = [_vrrp.resignation(3, 53, [VIP4], 0.1, SRC4)[0][1]] + \
        [packet for dummy, packet in _vrrp.resignation(3, 54, [VIP4], 1, SRC4, peers=['198.51.100.1'])]
    multicast, unicast = tcpdump(tmp_path, packets)
    assert multicast.endswith('198.51.100.2 > 224.0.0.18: VRRPv3, Advertisement, vrid 53, prio 0, intvl 10cs, '
                              'length 12, addrs: 198.51.100.10'), multicast
    assert unicast.endswith('198.51.100.2 > 198.51.100.1: VRRPv3, Advertisement, vrid 54, prio 0, intvl 100cs, '
                            'length 12, addrs: 198.51.100.10'), unicast
    for line in (multicast, unicast):
        assert 'ttl 255' in line and 'bad' not in line, line


def test_tcpdump_decodes_v3_ipv6(tmp_path):
    (destination, vrrp), = _vrrp.resignation(3, 55, [VIP6], 0.5, SRC6)
    line, = tcpdump(tmp_path, [_vrrp.ipv6_packet(SRC6, destination, vrrp)])
    assert 'class 0xc0, hlim 255, next-header VRRP (112)' in line
    assert line.endswith('fe80::5054:ff:fe12:3456 > ff02::12: VRRPv3, Advertisement, vrid 55, prio 0, intvl 50cs, '
                         'length 24, addrs: 2001:db8::10'), line
    assert 'bad' not in line


def test_tcpdump_flags_a_broken_checksum(tmp_path):
    """The decoder does check: a flipped bit in each kind of frame is reported."""
    v2 = bytearray(_vrrp.resignation(2, 51, [VIP4], 1, SRC4)[0][1])
    v3 = bytearray(_vrrp.resignation(3, 53, [VIP4], 1, SRC4)[0][1])
    # The IPv4 header is summed without the VIP: a bit flipped in the VIP breaks the VRRP checksum only.
    v2[-9] ^= 1
    v3[-1] ^= 1
    (destination, vrrp6), = _vrrp.resignation(3, 55, [VIP6], 1, SRC6)
    v6 = bytearray(_vrrp.ipv6_packet(SRC6, destination, vrrp6))
    v6[-1] ^= 1
    for line in tcpdump(tmp_path, [bytes(v2), bytes(v3), bytes(v6)]):
        assert 'bad vrrp cksum' in line, line
