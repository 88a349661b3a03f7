# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""MAC address parsing, checks and generation.

Private to this collection: modules, filters and scripts all use this one
implementation so that a MAC means the same thing everywhere.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re

# The I/G bit (multicast) and the U/L bit (locally administered) of the first octet.
MULTICAST_BIT = 0x01
LOCAL_BIT = 0x02

# IANA's VRRP virtual router MAC prefixes (RFC 5798 section 7.3).
VRRP_PREFIX = {4: (0x00, 0x00, 0x5E, 0x00, 0x01), 6: (0x00, 0x00, 0x5E, 0x00, 0x02)}

_SEPARATED = re.compile(r'^([0-9A-Fa-f]{1,2})([:-])([0-9A-Fa-f]{1,2})(?:\2([0-9A-Fa-f]{1,2})){4}$')
_CISCO = re.compile(r'^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$')
_BARE = re.compile(r'^[0-9A-Fa-f]{12}$')


class MacError(ValueError):
    """A MAC address or a MAC-related argument is not acceptable."""


def parse_mac(value):
    """Return the 6 octets of a MAC as a tuple of ints.

    Accepts ``aa:bb:cc:dd:ee:ff``, ``aa-bb-cc-dd-ee-ff`` (one or two hex digits
    per octet), ``aabb.ccdd.eeff`` and ``aabbccddeeff``.
    """
    if not isinstance(value, str):
        raise MacError('a MAC address must be a string, got %s' % type(value).__name__)
    text = value.strip()
    if _SEPARATED.match(text):
        parts = re.split(r'[:-]', text)
    elif _CISCO.match(text):
        digits = text.replace('.', '')
        parts = [digits[i:i + 2] for i in range(0, 12, 2)]
    elif _BARE.match(text):
        parts = [text[i:i + 2] for i in range(0, 12, 2)]
    else:
        raise MacError(
            "'%s' is not a MAC address; write six hex octets such as 02:00:5e:10:00:01" % value)
    return tuple(int(part, 16) for part in parts)


def format_mac(octets):
    """Lower-case, colon-separated form of six octets."""
    return ':'.join('%02x' % octet for octet in octets)


def normalize_mac(value):
    """Canonical form of a MAC: lower case, colon-separated, two digits per octet."""
    return format_mac(parse_mac(value))


def is_multicast(value):
    return bool(parse_mac(value)[0] & MULTICAST_BIT)


def is_unicast(value):
    return not is_multicast(value)


def is_locally_administered(value):
    return bool(parse_mac(value)[0] & LOCAL_BIT)


def is_laa_unicast(value):
    """True for a locally administered unicast MAC (U/L set, I/G clear)."""
    first = parse_mac(value)[0]
    return bool(first & LOCAL_BIT) and not first & MULTICAST_BIT


def is_zero(value):
    return not any(parse_mac(value))


def vrrp_mac(vrid, family=4):
    """The VRRP virtual router MAC for a VRID: 00:00:5e:00:01:XX (IPv4), 00:00:5e:00:02:XX (IPv6)."""
    vrid = _whole_number(vrid, 'vrid')
    if not 1 <= vrid <= 255:
        raise MacError('vrid must be between 1 and 255, got %d' % vrid)
    family = _whole_number(family, 'family')
    if family not in VRRP_PREFIX:
        raise MacError('family must be 4 or 6, got %d' % family)
    return format_mac(VRRP_PREFIX[family] + (vrid,))


def vrrp_vrid(value):
    """The VRID when ``value`` is a VRRP virtual router MAC (IPv4 or IPv6), else None."""
    octets = parse_mac(value)
    for prefix in VRRP_PREFIX.values():
        if octets[:5] == prefix and octets[5] != 0:
            return octets[5]
    return None


def laa_mac(*parts):
    """A deterministic locally administered unicast MAC derived from ``parts``.

    The same parts give the same MAC on every controller and Python version:
    the parts are joined with '/' and hashed with SHA-256; the first six bytes
    of the digest are used with the U/L bit set and the I/G bit cleared.
    """
    if not parts:
        raise MacError('laa_mac needs a seed, for example the cluster name and the VIP')
    texts = []
    for part in parts:
        if part is None or (isinstance(part, str) and not part.strip()):
            raise MacError('laa_mac seed parts must be non-empty, got %r' % (part,))
        if isinstance(part, (list, dict, tuple, set)):
            raise MacError('laa_mac seed parts must be strings or numbers, got %s' % type(part).__name__)
        texts.append(str(part))
    digest = bytearray(hashlib.sha256('/'.join(texts).encode('utf-8')).digest()[:6])
    digest[0] = (digest[0] & ~MULTICAST_BIT & 0xFF) | LOCAL_BIT
    return format_mac(digest)


def check_unicast(value, field):
    """Normalize a MAC for ``field``; raise MacError naming the field unless it is usable unicast."""
    try:
        mac = normalize_mac(value)
    except MacError as exc:
        raise MacError('%s: %s' % (field, exc))
    if is_multicast(mac):
        raise MacError(
            '%s: %s is a multicast MAC (the low bit of the first octet is set); '
            'use a unicast MAC such as a locally administered one (first octet x2, x6, xA or xE)'
            % (field, mac))
    if is_zero(mac):
        raise MacError('%s: 00:00:00:00:00:00 is not a usable MAC' % field)
    return mac


def _whole_number(value, field):
    if isinstance(value, bool):
        raise MacError('%s must be a whole number, got %r' % (field, value))
    try:
        number = int(str(value).strip(), 10)
    except (TypeError, ValueError):
        raise MacError('%s must be a whole number, got %r' % (field, value))
    return number
