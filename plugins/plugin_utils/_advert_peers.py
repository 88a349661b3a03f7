# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the advert_firewall module is given: where each member's adverts come from and go to, from the cluster
model. The firewall planning itself is plugins/module_utils/_firewall.py (it runs on the targets)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.hanet.failover.plugins.module_utils._firewall import MULTICAST, address_sort_key
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_addresses import own_address
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_validation import BACKENDS, PROFILES, resolved_vip


def _link_addresses(member, interface, family, exclude):
    link = next((lk for lk in member.get('links') or [] if lk.get('name') == interface), None)
    found = []
    for entry in (link or {}).get('addresses', []):
        if entry.get('family') != family or entry.get('address') in exclude:
            continue
        address = ipaddress.ip_address(entry['address'])
        if not (address.is_multicast or address.is_loopback):
            found.append(str(address))
    return found


def advert_peers(member, members, profile='default', backend='keepalived'):
    """{'sources': [...], 'destinations': [...]} for one member's firewall.

    Sources: the other members' own addresses on each VIP's interface, of the VIP's family, without the cluster's
    VIPs (IPv6 adverts come from link-local addresses, so those are in). Destinations: the group (224.0.0.18,
    ff02::12) for multicast VIPs, this member's own address for keepalived's unicast VIPs. ucarp always sends to
    224.0.0.18 (with ``unicast`` to the Ethernet broadcast address).
    """
    backend = backend if backend in BACKENDS else 'keepalived'
    sources, destinations = set(), set()
    for raw in member.get('vips') or []:
        vip = resolved_vip(raw, profile if profile in PROFILES else 'default', backend)
        exclude = set()
        for other in member.get('vips') or []:
            try:
                exclude.add(str(ipaddress.ip_interface(other.get('address')).ip))
            except (TypeError, ValueError):
                pass
        for peer in members:
            if peer['name'] == member['name']:
                continue
            sources.update(_link_addresses(peer, vip['interface'], vip['family'], exclude))
        if vip.get('unicast') and backend == 'keepalived':
            own = own_address(member, vip)
            if own:
                destinations.add(own)
        else:
            destinations.add(MULTICAST[vip['family']])
    key = address_sort_key
    return {'sources': sorted(sources, key=key), 'destinations': sorted(destinations, key=key)}
