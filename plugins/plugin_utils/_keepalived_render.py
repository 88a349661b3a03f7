# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the keepalived role is given: keepalived_instances entries from the cluster model, and the vmac
interface of such an entry (see roles/keepalived/meta/argument_specs.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hanet.failover.plugins.module_utils import _health, _hooks, _mac
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_addresses import (
    KEEPALIVED_VMAC_NAMES, own_address, vip_mac, vmac_interface)
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_succession import member_priority, ranked_members
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_validation import ModelError, resolved_vip

# Ranked keepalived priorities: the election order mapped onto the top of the VRRP range, one apart. A backup
# waits (256 - priority)/256 of an advert after the master's priority 0 advert (its skew): 2/256 at 254 and 253
# instead of 156/256 at the usual 150/100, so a graceful handover costs about 1 % of an advert.
KEEPALIVED_TOP_PRIORITY = 254


def keepalived_priority(member, vip, members=None, rank=True):
    """The VRRP priority ``member`` advertises for ``vip``: its rank among ``members`` from 254 down, or its own
    priority as given (``rank`` false, or no ``members`` to rank among)."""
    priority = member_priority(member, vip)
    if not rank or not members or priority is None:
        return priority
    names = [m['name'] for m in ranked_members(members, vip)]
    if member['name'] not in names:
        return priority
    return KEEPALIVED_TOP_PRIORITY - names.index(member['name'])


def keepalived_vmac_name(instance):
    """The vmac interface of a keepalived_instances entry (see roles/keepalived/meta/argument_specs.yml).

    Its vmac_name, else vrrp.VRID, or vrrp6.VRID when the instance's first VIP is IPv6 (keepalived takes the
    instance's family from it); None without use_vmac.
    """
    if not isinstance(instance, dict) or not instance.get('use_vmac'):
        return None
    if instance.get('vmac_name'):
        return str(instance['vmac_name'])
    first = (instance.get('virtual_ipaddresses') or [''])[0]
    address = str(first.get('address', '') if isinstance(first, dict) else first)
    return KEEPALIVED_VMAC_NAMES[6 if ':' in address else 4] % int(instance['virtual_router_id'])


def keepalived_instances(member, cluster_name='hanet', profile='default', members=None, maintenance_track=None,
                         rank=True, notify=None):
    """keepalived_instances entries for one member (see roles/keepalived/meta/argument_specs.yml).

    ``members`` (all members) ranks the priorities (see keepalived_priority; ``rank`` false keeps them as given)
    and is needed for VIPs with ``unicast: true``: the adverts then go from this member's own address to the
    others' addresses in the VIP's subnet.
    ``maintenance_track`` names a vrrp_track_file (value 0 or 1): at 1 the member's priority drops to 1, so
    that its peers take its VIPs over without a gap and it takes none back (drain).
    ``notify`` (the hooks' dispatcher, roles/cluster/files/hanet-hook) is run as ``notify VIP STATE`` on every
    change of state (master, backup, fault, stop).
    """
    instances = []
    for raw in member['vips']:
        vip = resolved_vip(raw, profile)
        instance = {
            'name': 'VI_%s' % vip['name'],
            'interface': vip['interface'],
            'virtual_router_id': vip['vrid'],
            'priority': keepalived_priority(member, vip, members, rank),
            'state': 'BACKUP',
            'advert_int': vip['advert_int'],
            'version': vip['version'],
            'virtual_ipaddresses': [{'address': vip['address']}],
        }
        if vip['family'] == 6:
            instance['native_ipv6'] = True
        if vip.get('unicast'):
            instance.update(_unicast(member, members, vip))
        if maintenance_track and instance['priority'] and instance['priority'] > 1:
            instance['track_files'] = [{'name': maintenance_track, 'weight': 1 - instance['priority']}]
        if vip['track']:
            # The VIP follows its service: the checker's fault file (weight 0: non-zero puts the instance in FAULT,
            # so the member gives the VIP away and takes no part in its election) and its weight file (minus the
            # weights of the failing weighted checks, added to the priority).
            fault, weight = _health.track_file_names(vip['name'])
            instance.setdefault('track_files', []).extend([{'name': fault, 'weight': 0}, {'name': weight, 'weight': 1}])
        if notify:
            for state in _hooks.STATES:
                instance['notify_%s' % state] = '%s %s %s' % (notify, vip['name'], state)
            # The dispatcher starts the hooks through systemd as their own users: it needs root, whatever
            # keepalived_script_user says.
            instance['notify_user'] = 'root'
        for key in ('nopreempt', 'preempt_delay', 'auth_pass', 'garp_master_delay', 'garp_master_repeat',
                    'garp_master_refresh', 'garp_master_refresh_repeat'):
            if vip.get(key) is not None:
                instance[key] = vip[key]
        if vip['mac_mode'] == 'vmac':
            instance['use_vmac'] = True
            instance['vmac_name'] = vmac_interface(vip)
            mac = vip_mac(vip, cluster_name)
            if mac != _mac.vrrp_mac(vip['vrid'], vip['family']):
                instance['vmac_mac'] = mac
            # Multicast adverts go out from the virtual MAC (RFC 5798), so every advert also tells the switch
            # where the VMAC lives: a port learned wrong during a handover heals within one advert interval.
            # keepalived's unicast adverts need the parent interface.
            instance['vmac_xmit_base'] = bool(vip.get('unicast'))
        else:
            instance['virtual_ipaddresses'][0]['dev'] = vip['interface']
        instances.append(instance)
    return instances


def _unicast(member, members, vip):
    label = 'cluster_vips[%s]' % vip['name']
    if not members:
        raise ModelError('%s.unicast: pass all members to keepalived_instances to find the peers' % label)
    src = own_address(member, vip)
    if src is None:
        raise ModelError('%s.unicast: %s has no address of its own in the VIP\'s subnet on %s'
                         % (label, member['name'], vip['interface']))
    peers = []
    for other in members:
        if other['name'] == member['name']:
            continue
        address = own_address(other, vip)
        if address is None:
            raise ModelError('%s.unicast: %s has no address of its own in the VIP\'s subnet on %s'
                             % (label, other['name'], vip['interface']))
        peers.append(address)
    return {'unicast_src_ip': src, 'unicast_peers': peers}
