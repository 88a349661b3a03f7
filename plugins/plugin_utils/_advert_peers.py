# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the advert_firewall module is given: which traffic the members exchange (VRRP/CARP adverts, or corosync's
knet for Pacemaker), where it comes from and goes to, and on which interfaces, from the cluster model. The firewall
planning itself is plugins/module_utils/_firewall.py (it runs on the targets)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.hanet.failover.plugins.module_utils._firewall import MULTICAST, address_sort_key
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_addresses import own_address
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_validation import BACKENDS, PROFILES, resolved_vip
from ansible_collections.hanet.failover.plugins.plugin_utils._pacemaker_render import ring_address

# The traffic each backend's members exchange (advert_firewall's traffic option); the cluster role's retire.yml
# reads the same map as __cluster_backend_traffic (roles/cluster/vars/main.yml).
TRAFFIC = {'keepalived': 'vrrp', 'ucarp': 'vrrp', 'pacemaker': 'corosync'}


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


def _canonical(text):
    """An address as ipaddress writes it (2001:DB8::0011 -> 2001:db8::11); None for what is no address (the preflight
    names a bad ring address)."""
    try:
        return str(ipaddress.ip_address(text))
    except (TypeError, ValueError):
        return None


def _corosync_peers(member, members, profile):
    """corosync's knet: from the other members' ring addresses to this member's, on the link that holds it."""
    own = _canonical(ring_address(member, profile))
    sources = [_canonical(ring_address(peer, profile)) for peer in members if peer['name'] != member['name']]
    interfaces = [lk['name'] for lk in member.get('links') or []
                  if own and own in [_canonical(entry.get('address')) for entry in lk.get('addresses', [])]]
    key = address_sort_key
    return {'traffic': 'corosync', 'sources': sorted(set(s for s in sources if s), key=key),
            'destinations': [own] if own else [],
            'interfaces': interfaces or sorted(set(v.get('interface') for v in member.get('vips') or []
                                                   if v.get('interface')))}


def advert_peers(member, members, profile='default', backend='keepalived'):
    """{'traffic': ..., 'sources': [...], 'destinations': [...], 'interfaces': [...]} for one member's firewall.

    Pacemaker (traffic corosync): from the other members' ring addresses to this member's own, on the interface
    that holds it (firewalld's zone).

    Sources: the other members' own addresses on each VIP's interface, of the VIP's family, without the cluster's
    VIPs (IPv6 adverts come from link-local addresses, so those are in). Destinations: the group (224.0.0.18,
    ff02::12) for multicast VIPs, this member's own address for keepalived's unicast VIPs. ucarp always sends to
    224.0.0.18 (with ``unicast`` to the Ethernet broadcast address).
    """
    backend = backend if backend in BACKENDS else 'keepalived'
    profile = profile if profile in PROFILES else 'default'
    if TRAFFIC[backend] == 'corosync':
        return _corosync_peers(member, members, profile)
    sources, destinations = set(), set()
    for raw in member.get('vips') or []:
        vip = resolved_vip(raw, profile, backend)
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
    return {'traffic': 'vrrp', 'sources': sorted(sources, key=key), 'destinations': sorted(destinations, key=key),
            'interfaces': sorted(set(v.get('interface') for v in member.get('vips') or [] if v.get('interface')))}
