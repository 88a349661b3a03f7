# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

import pytest
from hypothesis import given, strategies as st

from ansible_collections.hanet.failover.plugins.module_utils import _mac


@pytest.mark.parametrize('text', [
    '02:AB:cd:00:01:ff', '02-ab-cd-00-01-ff', '02ab.cd00.01ff', '02abcd0001ff', '2:ab:cd:0:1:ff', ' 02:ab:cd:00:01:ff ',
])
def test_notations_normalize_to_one_form(text):
    assert _mac.normalize_mac(text) == '02:ab:cd:00:01:ff'


@pytest.mark.parametrize('text', [
    '', '02:ab:cd:00:01', '02:ab:cd:00:01:ff:00', '02:ab:cd:00:01:fg', '02:ab-cd:00:01:ff', '02abcd0001f',
    '02ab.cd00.01f', '123:ab:cd:00:01:ff', 'not a mac',
])
def test_malformed_macs_are_refused(text):
    with pytest.raises(_mac.MacError, match='not a MAC address'):
        _mac.parse_mac(text)


def test_non_string_is_refused():
    with pytest.raises(_mac.MacError, match='must be a string'):
        _mac.parse_mac(42)


def test_bits():
    assert _mac.is_multicast('01:00:5e:00:00:01')
    assert _mac.is_unicast('00:00:5e:00:01:33')
    assert _mac.is_laa_unicast('02:00:00:00:00:01')
    assert not _mac.is_laa_unicast('03:00:00:00:00:01')  # multicast
    assert not _mac.is_laa_unicast('00:00:5e:00:01:33')  # universally administered
    for first in ('x2', 'x6', 'xa', 'xe'):
        assert _mac.is_laa_unicast(first.replace('x', '4') + ':00:00:00:00:01')


def test_vrrp_mac_and_back():
    assert _mac.vrrp_mac(51) == '00:00:5e:00:01:33'
    assert _mac.vrrp_mac('255', 6) == '00:00:5e:00:02:ff'
    assert _mac.vrrp_vrid('00:00:5E:00:01:33') == 51
    assert _mac.vrrp_vrid('00:00:5e:00:02:01') == 1
    assert _mac.vrrp_vrid('02:00:5e:00:01:33') is None


@pytest.mark.parametrize('vrid,family,message', [
    (0, 4, 'vrid must be between 1 and 255'),
    (256, 4, 'vrid must be between 1 and 255'),
    ('abc', 4, 'vrid must be a whole number'),
    (True, 4, 'vrid must be a whole number'),
    (1, 5, 'family must be 4 or 6'),
])
def test_vrrp_mac_bad_input(vrid, family, message):
    with pytest.raises(_mac.MacError, match=message):
        _mac.vrrp_mac(vrid, family)


def test_laa_mac_is_deterministic_and_known():
    # Pinned: a controller upgrade must never move a cluster's virtual MAC.
    assert _mac.laa_mac('prod-web', '198.51.100.10') == _mac.laa_mac('prod-web/198.51.100.10')
    assert _mac.laa_mac('prod-web', '198.51.100.10') == '62:20:18:2b:60:63'
    # The documented derivation: SHA-256 of the parts joined with '/', first 6 bytes, U/L set, I/G clear.
    digest = bytearray(hashlib.sha256(b'prod-web/198.51.100.10').digest()[:6])
    digest[0] = (digest[0] | 0x02) & 0xFE
    assert _mac.laa_mac('prod-web', '198.51.100.10') == ':'.join('%02x' % b for b in digest)
    assert _mac.laa_mac('a') != _mac.laa_mac('b')


@pytest.mark.parametrize('parts', [(), ('',), ('  ',), (None,), (['x'],), ('ok', {'a': 1})])
def test_laa_mac_bad_seed(parts):
    with pytest.raises(_mac.MacError, match='laa_mac'):
        _mac.laa_mac(*parts)


@given(st.text(min_size=1).filter(lambda s: s.strip()), st.integers())
def test_every_laa_mac_is_local_unicast(seed, extra):
    mac = _mac.laa_mac(seed, extra)
    first = _mac.parse_mac(mac)[0]
    assert first & 0x02, mac
    assert not first & 0x01, mac
    assert _mac.normalize_mac(mac) == mac


@given(st.binary(min_size=6, max_size=6))
def test_format_parse_round_trip(octets):
    text = _mac.format_mac(bytearray(octets))
    assert _mac.parse_mac(text) == tuple(bytearray(octets))


@pytest.mark.parametrize('text,message', [
    ('01:00:5e:00:00:01', 'mac: 01:00:5e:00:00:01 is a multicast MAC'),
    ('ff:ff:ff:ff:ff:ff', 'is a multicast MAC'),
    ('00:00:00:00:00:00', 'not a usable MAC'),
    ('zz', "mac: 'zz' is not a MAC address"),
])
def test_check_unicast_names_the_field(text, message):
    with pytest.raises(_mac.MacError, match=message):
        _mac.check_unicast(text, 'mac')
