# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Pacemaker backend's rendering of the cluster model: the corosync nodes, and the CIB's resources, location
constraints and defaults for the VIPs (what the pacemaker role and the pacemaker_cib module put in place).

A garp VIP is one IPaddr2 on the VIP's interface. A vmac VIP is a group: the collection's ocf:hanet:vmac agent
(a macvlan with the virtual MAC and the ARP sysctls the other backends set) and IPaddr2 on that macvlan. Each
member's priority for a VIP becomes a location score; a member without one never runs the VIP."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re
import zlib

from ansible_collections.hanet.failover.plugins.module_utils._pacemaker_cib import (
    CibError, checked_locations, checked_resources)
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_addresses import (
    own_address, vip_mac, vmac_interface)
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_succession import member_priority
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_validation import ModelError, resolved_vip

# Every resource and constraint this collection puts in the CIB starts with this (the role's purge prefix).
ID_PREFIX = 'hanet-'
# corosync's totem timing per profile, in milliseconds (None: corosync's default, token 3000 and consensus
# 1.2 x token).
PACEMAKER_PROFILES = {
    'default': {'token': None, 'consensus': None},
    'fast': {'token': 1000, 'consensus': None},
}
# knet node ids are 16 bits; 0 is not a node.
NODE_ID_MAX = 65535
# IPaddr2's gratuitous ARPs when it starts an address (its own defaults), and how often the monitor runs.
ARP_COUNT = 5
ARP_INTERVAL_MS = 200
MONITOR_INTERVAL = 10


def node_id(member):
    """corosync's node id of a member: its own (pacemaker_node_id) or one derived from its name, stable across
    runs and member changes."""
    if member.get('node_id') is not None:
        return member['node_id']
    return zlib.crc32(member['name'].encode('utf-8')) % NODE_ID_MAX + 1


def node_name(member):
    """The member's name for corosync and Pacemaker: its uname as failover_info read it, else its inventory name."""
    return member.get('node_name') or member['name']


def ring_address(member, profile='default'):
    """The member's address on the cluster's ring: its own (pacemaker_ring_address), else its own address in
    the first VIP's subnet on the VIP's interface."""
    if member.get('ring_address'):
        return member['ring_address']
    for raw in member.get('vips') or []:
        try:
            vip = resolved_vip(raw, profile, 'pacemaker')
        except ModelError:
            continue
        address = own_address(member, vip)
        if address:
            return address
    return None


def pacemaker_nodes(members, profile='default'):
    """corosync's nodelist: host (inventory name), name, address, id; in the members' order."""
    return [{'host': m['name'], 'name': node_name(m), 'address': ring_address(m, profile), 'id': node_id(m)}
            for m in members]


def configuration_problems(members, cluster_name='hanet', profile='default'):
    """What the CIB would refuse in the rendered configuration (two VIPs whose resource ids collide, such as web
    in vmac mode and a VIP named web-vmac), as pacemaker_cib checks it."""
    try:
        config = pacemaker_configuration(members, cluster_name, profile)
        checked_resources(config['resources'])
        checked_locations(config['locations'])
    except ModelError:
        return []  # the preflight names the VIP's bad field itself
    except CibError as exc:
        return ['cluster_vips: the Pacemaker resources would be refused: %s; rename a VIP' % exc]
    return []


def node_problems(members, profile='default'):
    """What keeps the members from forming a corosync cluster (node ids, names, ring addresses)."""
    errors = []
    seen_ids, seen_names = {}, {}
    for member in members:
        nid = node_id(member)
        if isinstance(nid, bool) or not isinstance(nid, int) or not 1 <= nid <= NODE_ID_MAX:
            errors.append('%s: pacemaker_node_id %r is out of range; give 1 to %d' % (member['name'], nid, NODE_ID_MAX))
        elif nid in seen_ids:
            errors.append('%s: corosync node id %d is also %s\'s; set pacemaker_node_id on one of them'
                          % (member['name'], nid, seen_ids[nid]))
        else:
            seen_ids[nid] = member['name']
        name = node_name(member)
        if name in seen_names:
            errors.append('%s: the node name %s (its uname) is also %s\'s; Pacemaker needs distinct node names'
                          % (member['name'], name, seen_names[name]))
        seen_names[name] = member['name']
        address = ring_address(member, profile)
        if address is None:
            errors.append('%s: no address for corosync\'s ring: the host has no address of its own in the first VIP\'s '
                          'subnet on its interface; set pacemaker_ring_address for it' % member['name'])
        else:
            try:
                ipaddress.ip_address(address)
            except ValueError:
                errors.append('%s: pacemaker_ring_address %r is not an IP address' % (member['name'], address))
    return errors


def _ipaddr2(vip, nic):
    ip = ipaddress.ip_interface(vip['address'])
    params = {'ip': str(ip.ip), 'cidr_netmask': ip.network.prefixlen, 'nic': nic,
              'arp_count': vip.get('garp_master_repeat') or ARP_COUNT, 'arp_interval': ARP_INTERVAL_MS}
    if vip['mac_mode'] == 'vmac':
        # The subnet's route stays on the parent, as on the other backends' virtual MAC links.
        params['noprefixroute'] = 'true'
    if vip.get('garp_master_refresh'):
        params['arp_count_refresh'] = vip.get('garp_master_refresh_repeat') or 1
    interval = vip.get('garp_master_refresh') or MONITOR_INTERVAL
    return params, [{'name': 'monitor', 'interval': '%ss' % interval, 'timeout': '20s'}]


def vip_resource(vip, cluster_name='hanet'):
    """The CIB resource of one resolved VIP (pacemaker_cib's resources entry)."""
    rid = ID_PREFIX + vip['name']
    meta = {'resource-stickiness': 'INFINITY' if vip.get('nopreempt') else 0}
    if vip['mac_mode'] != 'vmac':
        params, operations = _ipaddr2(vip, vip['interface'])
        return {'id': rid, 'agent': 'ocf:heartbeat:IPaddr2', 'params': params, 'meta': meta,
                'operations': operations}
    device = vmac_interface(vip, 'pacemaker')
    params, operations = _ipaddr2(vip, device)
    return {'id': rid, 'meta': meta, 'primitives': [
        {'id': rid + '-vmac', 'agent': 'ocf:hanet:vmac',
         'params': {'device': vip['interface'], 'name': device, 'mac': vip_mac(vip, cluster_name)},
         'operations': [{'name': 'monitor', 'interval': '%ss' % MONITOR_INTERVAL, 'timeout': '20s'}]},
        {'id': rid + '-address', 'agent': 'ocf:heartbeat:IPaddr2', 'params': params, 'operations': operations},
    ]}


def pacemaker_configuration(members, cluster_name='hanet', profile='default'):
    """What the CIB holds for the cluster: resources and location constraints (pacemaker_cib's arguments).

    The VIPs are the first member's (the preflight checked that the members agree); each member's own copy of a
    VIP gives its priority: its location score."""
    resources, locations = [], []
    first = members[0]
    for raw in first.get('vips') or []:
        vip = resolved_vip(raw, profile, 'pacemaker')
        resources.append(vip_resource(vip, cluster_name))
        for member in members:
            own = next((v for v in member.get('vips') or [] if v.get('name') == vip['name']), raw)
            priority = member_priority(member, own)
            # An inventory name may hold what an XML id cannot (an IPv6 address's colons).
            member_id = re.sub(r'[^A-Za-z0-9_.-]', '_', member['name'])
            locations.append({'id': '%s%s-on-%s' % (ID_PREFIX, vip['name'], member_id),
                              'resource': ID_PREFIX + vip['name'], 'node': node_name(member),
                              'score': '-INFINITY' if priority is None else str(priority)})
    return {'resources': resources, 'locations': locations}
