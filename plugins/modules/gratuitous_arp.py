#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: gratuitous_arp
short_description: Announce addresses with gratuitous ARP or unsolicited neighbour advertisements
version_added: 0.1.0
description:
  - Sends gratuitous ARP (IPv4) and unsolicited neighbour advertisements (IPv6) for the given addresses
    from a raw AF_PACKET socket, so that peers' neighbour caches and switches' MAC tables learn where an
    address now lives. No arping, ndsend or scapy is needed.
  - "IPv4: broadcast ARP with sender and target IP both the address, as a V(request) (what the kernel and
    keepalived send), a V(reply) (what some switches and firewalls require), or V(both)."
  - "IPv6: a neighbour advertisement from the address to ff02::1, hop limit 255, Override flag set,
    with the target link-layer address option, and the Router flag set with O(router=true)."
  - In vmac failover, set O(source_mac) to the virtual MAC when sending through the parent interface,
    so that switches learn the virtual MAC's new port.
  - Announcing changes no state on the host, so the module reports changed=false; RV(sent) says how many
    frames went out.
author:
  - hanet.failover contributors (@hanet)
extends_documentation_fragment:
  - hanet.failover.attributes
attributes:
  check_mode:
    details: In check mode nothing is sent; RV(frames) lists what would be sent.
  diff_mode:
    support: none
    details: Nothing on the host changes, so there is nothing to diff.
options:
  interface:
    description:
      - Interface to send on.
    type: str
    required: true
  addresses:
    description:
      - Addresses to announce, IPv4 or IPv6, with or without a prefix length.
    type: list
    elements: str
    required: true
  count:
    description:
      - Rounds to send (each round sends one frame per address and form).
    type: int
    default: 5
  interval:
    description:
      - Seconds between rounds.
    type: float
    default: 0.2
  mode:
    description:
      - Form of gratuitous ARP for IPv4 addresses. IPv6 addresses always get one advertisement per round.
    type: str
    choices: [request, reply, both]
    default: request
  source_mac:
    description:
      - MAC to announce (Ethernet source and ARP sender / NA target link-layer address).
        Defaults to the MAC of O(interface).
    type: str
  require_held:
    description:
      - Fail unless every address is assigned to O(interface) itself. Announcing an address that another host
        holds diverts its traffic here; announcing one held on another interface of this host (a loopback, a
        macvlan) out of O(interface) tells the network to send it where it is not answered.
    type: bool
    default: true
  router:
    description:
      - Set the Router flag in the IPv6 neighbour advertisements. Set it when the addresses are the neighbours'
        default gateway (a router's VIP); a neighbour removes a router whose advertisement has the flag clear from
        its default router list (RFC 4861 7.2.5). Leave it V(false) for any other address. IPv4 has no such flag.
    type: bool
    default: false
    version_added: 0.2.0
notes:
  - Needs CAP_NET_RAW. Runs in the network namespace of the Ansible process on the target.
seealso:
  - module: hanet.failover.vip
'''

EXAMPLES = r'''
- name: Tell the segment that 198.51.100.10 is here, in both ARP forms
  hanet.failover.gratuitous_arp:
    interface: eth0
    addresses: [198.51.100.10]
    mode: both

- name: Teach switches the virtual MAC's new port (vmac mode, sent from the parent)
  hanet.failover.gratuitous_arp:
    interface: eth0
    addresses: [198.51.100.10, "2001:db8::10"]
    source_mac: "{{ 51 | hanet.failover.vrrp_mac }}"
'''

RETURN = r'''
frames:
  description: The frames sent in one round (or that would be sent, in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: V(request), V(reply) or V(na).
      type: str
    address:
      description: The announced address.
      type: str
    source_mac:
      description: The MAC announced for it.
      type: str
    destination_mac:
      description: Ethernet destination (broadcast, or 33:33:00:00:00:01 for IPv6).
      type: str
    router:
      description: Whether the Router flag is set; only for V(na) frames.
      type: bool
      returned: for V(na) frames
      version_added: 0.2.0
  sample:
    - kind: request
      address: 198.51.100.10
      source_mac: 00:00:5e:00:01:33
      destination_mac: ff:ff:ff:ff:ff:ff
sent:
  description: Number of frames sent (0 in check mode).
  returned: always
  type: int
  sample: 5
'''

import ipaddress

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hanet.failover.plugins.module_utils import _announce as announce
from ansible_collections.hanet.failover.plugins.module_utils import _netlink as netlink
from ansible_collections.hanet.failover.plugins.module_utils._mac import MacError, check_unicast, format_mac


def parse_addresses(module):
    result = []
    if not module.params['addresses']:
        module.fail_json(msg='addresses: give at least one address to announce')
    for text in module.params['addresses']:
        try:
            ip = ipaddress.ip_interface(text.strip()).ip
        except ValueError:
            module.fail_json(msg='addresses: %r is not an IPv4 or IPv6 address' % text)
        if ip.is_multicast or ip.is_unspecified or ip.is_loopback:
            module.fail_json(msg='addresses: %s is a multicast, unspecified or loopback address; '
                                 'only unicast addresses can be announced' % ip)
        result.append(ip)
    return result


def where_held(ipr, addresses):
    """Where on this host each address is held instead, for the error message (one dump, on that path only)."""
    names = dict((link['index'], link['name']) for link in netlink.list_links(ipr))
    holders = {}
    for rec in netlink.list_addresses(ipr):
        holders.setdefault(ipaddress.ip_address(rec['address']), []).append(names.get(rec['index'], rec['index']))
    parts = []
    for ip in addresses:
        on = sorted(set(str(name) for name in holders.get(ip, [])))
        parts.append('%s is on %s' % (ip, ', '.join(on)) if on else '%s is on no interface of this host' % ip)
    return '; '.join(parts)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            interface=dict(type='str', required=True),
            addresses=dict(type='list', elements='str', required=True),
            count=dict(type='int', default=5),
            interval=dict(type='float', default=0.2),
            mode=dict(type='str', default='request', choices=['request', 'reply', 'both']),
            source_mac=dict(type='str'),
            require_held=dict(type='bool', default=True),
            router=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    netlink.require_pyroute2(module)
    params = module.params
    try:
        netlink.check_ifname(params['interface'], 'interface')
        source_mac = check_unicast(params['source_mac'], 'source_mac') if params['source_mac'] else None
    except (ValueError, MacError) as exc:
        module.fail_json(msg=str(exc))
    if not 1 <= params['count'] <= 100:
        module.fail_json(msg='count: %d is out of range; give 1 to 100' % params['count'])
    if not 0 <= params['interval'] <= 10:
        module.fail_json(msg='interval: %s is out of range; give 0 to 10 seconds' % params['interval'])
    addresses = parse_addresses(module)

    try:
        with netlink.iproute() as ipr:
            link = netlink.get_link(ipr, name=params['interface'])
            if link is None:
                module.fail_json(msg='interface: there is no interface named %s in this network namespace'
                                     % params['interface'])
            if not link['up']:
                module.fail_json(msg='interface: %s is down; bring it up before announcing' % link['name'])
            if params['require_held']:
                held = set(ipaddress.ip_address(rec['address']) for rec in netlink.list_addresses(ipr, link['index']))
                missing = [ip for ip in addresses if ip not in held]
                if missing:
                    module.fail_json(msg='addresses: %s not assigned to %s (%s); announcing an address %s does not '
                                         'hold sends its traffic where it is not answered (or diverts another '
                                         'host\'s). Add it to %s first, or set require_held=false'
                                         % (', '.join(str(ip) for ip in missing), link['name'],
                                            where_held(ipr, missing), link['name'], link['name']))
    except netlink.NetlinkFailure as exc:
        module.fail_json(msg=str(exc))

    mac = source_mac or link['mac']
    frames, described = [], []
    for ip in addresses:
        for kind, frame in announce.frames_for(mac, ip, params['mode'], router=params['router']):
            frames.append((kind, frame))
            described.append({'kind': kind, 'address': str(ip), 'source_mac': mac,
                              'destination_mac': format_mac(bytearray(frame[0:6]))})
            if kind == 'na':
                described[-1]['router'] = params['router']
    sent = 0
    if not module.check_mode:
        try:
            sent = announce.send(link['name'], frames, params['count'], params['interval'])
        except (IOError, OSError) as exc:
            module.fail_json(msg='sending on %s failed: %s' % (link['name'], exc), frames=described)
    module.exit_json(changed=False, frames=described, sent=sent)


if __name__ == '__main__':
    main()
