# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where a resolved VIP (_cluster_validation.resolved_vip) lives on a member: the member's own address beside
it (the adverts' source), the VIP's virtual MAC and the macvlan that carries it.

A member is a dict built by the cluster role on each host:
``{'name': host, 'vips': cluster_vips, 'priority': cluster_priority or None,
'links': failover_info links}``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.hanet.failover.plugins.module_utils import _mac


def vip_mac(vip, cluster_name):
    """The virtual MAC of a resolved vmac VIP (None in garp mode)."""
    if vip['mac_mode'] != 'vmac':
        return None
    if vip['mac'] is None:
        return _mac.laa_mac(cluster_name, vip['address'])
    return vip['mac']


# The macvlan of a keepalived vmac instance. keepalived itself would call an unnamed one vrrp.VRID, or vrrp6.VRID
# (then vrrp1.VRID, ...) for IPv6 when that name is taken: the collection always names it, so that the name does
# not depend on what else exists on the host.
KEEPALIVED_VMAC_NAMES = {4: 'vrrp.%d', 6: 'vrrp6.%d'}


def vmac_interface(vip, backend='keepalived'):
    """The name of the macvlan that carries a vmac VIP (None in garp mode)."""
    if vip['mac_mode'] != 'vmac':
        return None
    if backend == 'ucarp':
        return 'ucarp.%d' % vip['vrid']
    return KEEPALIVED_VMAC_NAMES[vip['family']] % vip['vrid']


def own_address(member, vip):
    """The member's own address of the VIP's family in the VIP's subnet on the VIP's interface, or None.

    Never one of the cluster's VIPs (the member may hold any of them right now; IPv6 lists the newest address
    first), so the answer does not depend on who holds what. Of several, a settled address first: one that is
    not tentative (duplicate address detection still running), not deprecated, not secondary (IPv4: added
    after the first in its subnet; IPv6: a temporary privacy address), permanent (not from autoconfiguration)
    and of global scope, where the links say so (failover_info's address flags; Ansible's facts have none).
    Among equals, the first the kernel lists. An address whose duplicate address detection failed is never
    used.
    """
    vip_iface = ipaddress.ip_interface(vip['address'])
    vips = set([vip_iface.ip])
    for other in member.get('vips') or []:
        try:
            vips.add(ipaddress.ip_interface(other.get('address')).ip)
        except (AttributeError, TypeError, ValueError):
            pass  # the preflight names a malformed address of another VIP itself

    link = next((lk for lk in member.get('links') or [] if lk['name'] == vip['interface']), None)
    candidates = []
    for position, entry in enumerate((link or {}).get('addresses', [])):
        if entry.get('family') != vip['family'] or entry.get('dadfailed'):
            continue
        try:
            address = ipaddress.ip_address(entry['address'])
        except (KeyError, TypeError, ValueError):
            continue
        if address in vips or address not in vip_iface.network:
            continue
        unsettled = (bool(entry.get('tentative')), bool(entry.get('deprecated')), bool(entry.get('secondary')),
                     entry.get('permanent') is False, entry.get('scope', 0) not in (0, 'global', 'universe'))
        candidates.append((unsettled, position, str(address)))
    return min(candidates)[2] if candidates else None
