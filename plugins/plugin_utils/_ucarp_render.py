# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the ucarp role is given: ucarp_instances entries from the cluster model (see
roles/ucarp/meta/argument_specs.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_addresses import (
    own_address, vip_mac, vmac_interface)
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_succession import ranked_members
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_validation import (
    PROFILES, ModelError, resolved_vip)

# advskew between members of adjacent priority (1/256 s units): the election order, and 78 ms apart.
UCARP_SKEW_STEP = 20


def ucarp_instances(member, members, cluster_name='hanet', profile='default', notify=None):
    """ucarp_instances entries for one member (see roles/ucarp/meta/argument_specs.yml).

    CARP elects by advertisement interval, not priority: the member with the highest priority gets
    advskew 0, the next UCARP_SKEW_STEP, and so on. ``srcip`` is the member's own IPv4 address in the
    VIP's subnet on the VIP's interface. ``notify`` (the hooks' dispatcher) is run as ``notify VIP STATE``.
    """
    instances = []
    for raw in member['vips']:
        vip = resolved_vip(raw, 'default' if profile not in PROFILES else profile, 'ucarp')
        label = 'cluster_vips[%s]' % vip['name']
        names = [m['name'] for m in ranked_members(members, vip)]
        if member['name'] not in names:
            raise ModelError('%s: %s has no priority; set cluster_priority for the host' % (label, member['name']))
        srcip = own_address(member, vip)
        if srcip is None:
            raise ModelError('%s: %s has no IPv4 address of its own in %s on %s for ucarp to advertise from'
                             % (label, member['name'], ipaddress.ip_interface(vip['address']).network,
                                vip['interface']))
        instance = {
            'name': vip['name'],
            'interface': vip['interface'],
            'srcip': srcip,
            'vhid': vip['vrid'],
            'password': vip['auth_pass'],
            'address': vip['address'],
            'advbase': vip['advert_int'],
            'advskew': min(255, names.index(member['name']) * UCARP_SKEW_STEP),
            'deadratio': vip['deadratio'],
            'preempt': not vip.get('nopreempt', False),
            'nomcast': bool(vip.get('unicast')),
            'mac_mode': vip['mac_mode'],
            'track': bool(vip['track']),
        }
        if notify:
            instance['notify'] = notify
        if vip['mac_mode'] == 'vmac':
            instance['mac'] = vip_mac(vip, cluster_name)
            instance['vmac_interface'] = vmac_interface(vip, 'ucarp')
        instances.append(instance)
    return instances
