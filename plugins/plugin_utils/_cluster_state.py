# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the members hold: the MAC clients should see for each VIP, links in failover_info's shape from
Ansible's facts, and who holds each VIP now."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_addresses import vip_mac
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_validation import BACKENDS, resolved_vip


def expected_macs(members, cluster_name='hanet', profile='default', backend='keepalived'):
    """Per VIP name: the MAC clients must see, or None in garp mode (then it is the holder's MAC)."""
    result = {}
    for raw in members[0]['vips']:
        vip = resolved_vip(raw, profile, backend if backend in BACKENDS else 'keepalived')
        result[vip['name']] = {'address': vip['address'].split('/')[0], 'family': vip['family'],
                               'mac_mode': vip['mac_mode'], 'mac': vip_mac(vip, cluster_name),
                               'interface': vip['interface']}
    return result


def links_from_facts(facts):
    """Links in failover_info's shape (name, mac, mtu, addresses) from Ansible's network facts.

    Only for check mode on a host where pyroute2 is not installed yet, so that the preflight's per-host checks
    and the unicast source addresses still see the host's interfaces and addresses. ``facts`` is
    ``ansible_facts`` after ``setup`` with the network subset.
    """
    links = []
    for name in sorted(facts.get('interfaces') or []):
        entry = facts.get(name.replace('-', '_').replace('.', '_')) or facts.get(name) or {}
        addresses = []
        for v4 in ([entry['ipv4']] if entry.get('ipv4') else []) + list(entry.get('ipv4_secondaries') or []):
            addresses.append({'family': 4, 'address': v4['address'], 'prefixlen': int(v4.get('prefix', 32))})
        for v6 in entry.get('ipv6') or []:
            addresses.append({'family': 6, 'address': v6['address'], 'prefixlen': int(v6.get('prefix', 128))})
        links.append({'name': entry.get('device', name), 'mac': entry.get('macaddress'), 'mtu': entry.get('mtu'),
                      'addresses': addresses})
    return links


def vip_holders(links_by_host, expectations):
    """Who holds each VIP, and the MAC clients should see for it.

    ``links_by_host`` maps a host to its failover_info links. For each VIP name:
    ``holders`` (hosts with the address), ``mac`` (the MAC of the link that holds
    it on the first holder: the virtual MAC in vmac mode, the interface's own MAC
    in garp mode) and ``expected_mac`` (the virtual MAC, or that holder's MAC).
    """
    result = {}
    for name, expect in sorted(expectations.items()):
        wanted = ipaddress.ip_address(expect['address'])
        holders, macs = [], []
        for host, links in sorted(links_by_host.items()):
            for link in links or []:
                if any(ipaddress.ip_address(a['address']) == wanted for a in link.get('addresses', [])):
                    holders.append(host)
                    macs.append(link['mac'])
                    break
        mac = macs[0] if macs else None
        result[name] = {'address': expect['address'], 'mac_mode': expect['mac_mode'], 'holders': holders, 'mac': mac,
                        'expected_mac': expect['mac'] or mac}
    return result
