# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""MAC filters: laa_mac, vrrp_mac, is_laa_mac, is_unicast_mac, mac_normalize (documented in *.yml beside this file)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.hanet.failover.plugins.module_utils import _mac


def _wrap(name, function):
    def filter_function(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except _mac.MacError as exc:
            raise AnsibleFilterError('hanet.failover.%s: %s' % (name, exc))
    filter_function.__name__ = name
    return filter_function


def laa_mac(seed, *parts):
    return _mac.laa_mac(seed, *parts)


def vrrp_mac(vrid, family=4):
    return _mac.vrrp_mac(vrid, family)


def is_laa_mac(value):
    """True for a locally administered unicast MAC; false for anything else, including non-MACs."""
    try:
        return _mac.is_laa_unicast(value)
    except _mac.MacError:
        return False


def is_unicast_mac(value):
    """True for a unicast MAC (I/G bit clear); false for multicast and for non-MACs."""
    try:
        return _mac.is_unicast(value) and not _mac.is_zero(value)
    except _mac.MacError:
        return False


def mac_normalize(value):
    return _mac.normalize_mac(value)


class FilterModule(object):
    """MAC filters of hanet.failover."""

    def filters(self):
        return dict((name, _wrap(name, function)) for name, function in (
            ('laa_mac', laa_mac),
            ('vrrp_mac', vrrp_mac),
            ('is_laa_mac', is_laa_mac),
            ('is_unicast_mac', is_unicast_mac),
            ('mac_normalize', mac_normalize),
        ))
