#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: vip
short_description: Add or remove a virtual IP address on an interface, and announce it
version_added: 0.1.0
description:
  - Adds or removes one IPv4 or IPv6 address (with its prefix length) on an interface over netlink,
    like Pacemaker's IPaddr2 resource agent.
  - After adding, it can announce the address with gratuitous ARP (IPv4) or unsolicited neighbour
    advertisements (IPv6) so that peers and switches learn the new owner at once. IPv6 addresses are
    announced only after duplicate address detection has finished.
  - A VIP is permanent. The same address with finite lifetimes (added by DHCP, or by hand with
    C(valid_lft 30)) would expire, so it is replaced by a permanent one (changed, and the diff shows the
    lifetimes).
  - If the announcement after adding the address fails, the address is removed again and the task fails,
    so that the next run adds and announces it again instead of finding it present and announcing nothing.
  - Only the named address is ever removed. The same IP with another prefix length is left alone
    (with a warning), and a primary IPv4 address is not removed while the kernel would remove its
    secondaries along with it. An address is removed whatever its flags (also one that failed duplicate
    address detection).
author:
  - hanet.failover contributors (@hanet)
requirements:
  - pyroute2 >= 0.7
extends_documentation_fragment:
  - hanet.failover.attributes
attributes:
  idempotent:
    details: With O(announce=always) announcements are sent on every run, but changed stays false.
options:
  address:
    description:
      - The address with its prefix length, such as V(198.51.100.10/24) or V(2001:db8::10/64).
    type: str
    required: true
  interface:
    description:
      - The interface that holds the address.
    type: str
    required: true
  state:
    description:
      - V(present) adds the address, V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  label:
    description:
      - IPv4 label, such as V(eth0:vip). It must be the interface name or start with the interface
        name and a colon, at most 15 characters. IPv6 addresses have no labels.
    type: str
  preferred_lft:
    description:
      - Preferred lifetime. V(0) marks the address deprecated, so that the kernel does not pick it as
        the source of outgoing connections (useful for an IPv6 VIP next to the host's own address).
    type: str
    choices: ['forever', '0']
    default: forever
  nodad:
    description:
      - Skip IPv6 duplicate address detection. Ignored for IPv4.
    type: bool
    default: false
  noprefixroute:
    description:
      - Do not create the prefix route for the address.
    type: bool
    default: false
  dad_timeout:
    description:
      - Seconds to wait for IPv6 duplicate address detection before failing.
    type: float
    default: 5.0
  announce:
    description:
      - When to send announcements. V(changed) sends them when this task added or changed the address,
        V(always) on every run (refreshing caches, like IPaddr2's C(arp_count_refresh)), V(never) not at all.
    type: str
    choices: [changed, always, never]
    default: changed
  announce_count:
    description:
      - How many rounds of announcements to send (IPaddr2's C(arp_count)).
    type: int
    default: 5
  announce_interval:
    description:
      - Seconds between rounds (IPaddr2's C(arp_interval) is 0.2).
    type: float
    default: 0.2
  announce_mode:
    description:
      - IPv4 only. Send gratuitous ARP as V(request) (what the kernel and keepalived send), V(reply)
        (what some switches and firewalls require), or V(both).
    type: str
    choices: [request, reply, both]
    default: request
  announce_router:
    description:
      - IPv6 only. Set the Router flag in the unsolicited neighbour advertisements. Set it for a VIP that is the
        neighbours' default gateway; they remove a router whose advertisement has the flag clear from their
        default router list (RFC 4861 7.2.5). Leave it V(false) for any other address. Ignored for IPv4.
    type: bool
    default: false
    version_added: 0.2.0
notes:
  - Runs in the network namespace of the Ansible process on the target. Sending announcements needs
    CAP_NET_RAW.
seealso:
  - module: hanet.failover.gratuitous_arp
  - module: hanet.failover.macvlan
'''

EXAMPLES = r'''
- name: Bring up the service address and tell the segment
  hanet.failover.vip:
    address: 198.51.100.10/24
    interface: eth0
    label: eth0:web

- name: An IPv6 VIP that is never used as a source address
  hanet.failover.vip:
    address: 2001:db8::10/64
    interface: eth0
    preferred_lft: "0"

- name: Release it
  hanet.failover.vip:
    address: 198.51.100.10/24
    interface: eth0
    state: absent
'''

RETURN = r'''
address:
  description: The address as it is after the task (as it would be, in check mode). Empty when absent.
  returned: always
  type: dict
  contains:
    address:
      description: Address with prefix length.
      type: str
      sample: 198.51.100.10/24
    interface:
      description: Interface.
      type: str
      sample: eth0
    label:
      description: IPv4 label, or null.
      type: str
      sample: eth0:web
    preferred_lft:
      description: V(forever) or V(0); in the diff's C(before), the seconds left of a finite preferred lifetime.
      type: str
      sample: forever
    valid_lft:
      description: V(forever); in the diff's C(before), the seconds left of a finite valid lifetime.
      type: str
      sample: forever
      version_added: 0.2.0
    noprefixroute:
      description: Whether the prefix route is suppressed.
      type: bool
      sample: false
  sample:
    address: 198.51.100.10/24
    interface: eth0
    label: eth0:web
    preferred_lft: forever
    valid_lft: forever
    noprefixroute: false
announced:
  description: Number of announcement frames sent (0 in check mode).
  returned: always
  type: int
  sample: 5
'''

import ipaddress

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hanet.failover.plugins.module_utils._change_tracker import ChangeTracker
from ansible_collections.hanet.failover.plugins.module_utils import _announce as announce
from ansible_collections.hanet.failover.plugins.module_utils import _netlink as netlink
from ansible_collections.hanet.failover.plugins.module_utils import _sysctl as sysctl


def parse_address(module):
    text = module.params['address']
    if '/' not in text:
        module.fail_json(msg='address: %s has no prefix length; write it as %s/24 (IPv4) or %s/64 (IPv6)'
                             % (text, text, text))
    try:
        iface = ipaddress.ip_interface(text.strip())
    except ValueError as exc:
        module.fail_json(msg='address: %s is not an IP address with a prefix length (%s)' % (text, exc))
    ip = iface.ip
    if ip.is_multicast or ip.is_unspecified or ip.is_loopback:
        module.fail_json(msg='address: %s is a multicast, unspecified or loopback address and cannot be a VIP' % ip)
    network = iface.network
    if ip.version == 4 and network.prefixlen < 31:
        if ip == network.network_address:
            module.fail_json(msg='address: %s is the network address of %s; pick a host address' % (ip, network))
        if ip == network.broadcast_address:
            module.fail_json(msg='address: %s is the broadcast address of %s; pick a host address' % (ip, network))
    return iface


def validate(module, iface):
    params = module.params
    try:
        netlink.check_ifname(params['interface'], 'interface')
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    label = params['label']
    if label is not None:
        if iface.version == 6:
            module.fail_json(msg='label: IPv6 addresses have no labels; remove label for %s' % iface)
        if len(label) > 15 or not (label == params['interface'] or label.startswith(params['interface'] + ':')):
            module.fail_json(msg='label: %r must be the interface name or start with "%s:", at most 15 characters'
                                 % (label, params['interface']))
    if params['announce_count'] < 1 or params['announce_count'] > 100:
        module.fail_json(msg='announce_count: %d is out of range; give 1 to 100' % params['announce_count'])
    if not 0 <= params['announce_interval'] <= 10:
        module.fail_json(msg='announce_interval: %s is out of range; give 0 to 10 seconds' % params['announce_interval'])
    if not 0 < params['dad_timeout'] <= 60:
        module.fail_json(msg='dad_timeout: %s is out of range; give more than 0 and at most 60 seconds'
                             % params['dad_timeout'])


def lifetime(seconds):
    return 'forever' if seconds == netlink.FOREVER else str(seconds)


def describe(rec, interface):
    if rec is None:
        return {}
    return {
        'address': '%s/%d' % (rec['address'], rec['prefixlen']),
        'interface': interface,
        'label': rec['label'] if rec['family'] == 4 else None,
        'preferred_lft': lifetime(rec['preferred_lft']),
        'valid_lft': lifetime(rec['valid_lft']),
        'noprefixroute': rec['noprefixroute'],
    }


def check_primary_removal(module, ipr, link, rec):
    """Refuse to delete a primary IPv4 address when the kernel would delete its secondaries too."""
    if rec['family'] != 4 or rec['secondary']:
        return
    network = ipaddress.ip_interface('%s/%d' % (rec['address'], rec['prefixlen'])).network
    secondaries = [
        '%s/%d' % (other['address'], other['prefixlen'])
        for other in netlink.list_addresses(ipr, link['index'])
        if other['family'] == 4 and other['secondary'] and other['prefixlen'] == rec['prefixlen']
        and ipaddress.ip_address(other['address']) in network
    ]
    promote = sysctl.effective_value(
        'promote_secondaries',
        sysctl.read_value('all', 'promote_secondaries'),
        sysctl.read_value(link['name'], 'promote_secondaries'))
    if secondaries and not promote:
        module.fail_json(
            msg='address: %s/%d is the primary address of its subnet on %s and removing it would make the '
                'kernel remove %s too; set net.ipv4.conf.%s.promote_secondaries=1 (hanet.failover.arp_sysctl) '
                'first' % (rec['address'], rec['prefixlen'], link['name'], ', '.join(secondaries), link['name']))


def fail_announcement(module, ipr, link, iface, added, error):
    """Sending failed. An address this run added is removed again, so that the next run adds and announces it."""
    cause = '%s is down; bring it up' % link['name'] if not link['up'] else 'fix the cause'
    if added:
        try:
            netlink.delete_address(ipr, link['index'], link['name'], iface.ip, iface.network.prefixlen)
        except netlink.NetlinkFailure as exc:
            module.fail_json(msg='announce: sending the announcements for %s on %s failed (%s), and removing the '
                                 'address again failed too (%s); remove it by hand (state=absent), %s and run again'
                                 % (iface, link['name'], error, exc, cause))
        module.fail_json(msg='announce: sending the announcements for %s on %s failed (%s), so the address was removed '
                             'again and the next run adds and announces it; %s and run again, or set announce=never'
                             % (iface, link['name'], error, cause))
    module.fail_json(msg='announce: sending the announcements for %s on %s failed (%s); %s and run again'
                         % (iface, link['name'], error, cause))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            address=dict(type='str', required=True),
            interface=dict(type='str', required=True),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            label=dict(type='str'),
            preferred_lft=dict(type='str', default='forever', choices=['forever', '0']),
            nodad=dict(type='bool', default=False),
            noprefixroute=dict(type='bool', default=False),
            dad_timeout=dict(type='float', default=5.0),
            announce=dict(type='str', default='changed', choices=['changed', 'always', 'never']),
            announce_count=dict(type='int', default=5),
            announce_interval=dict(type='float', default=0.2),
            announce_mode=dict(type='str', default='request', choices=['request', 'reply', 'both']),
            announce_router=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    netlink.require_pyroute2(module)
    iface = parse_address(module)
    validate(module, iface)
    params = module.params
    interface = params['interface']
    ip, prefixlen = iface.ip, iface.network.prefixlen
    preferred = 0 if params['preferred_lft'] == '0' else netlink.FOREVER
    announced = 0

    try:
        with netlink.iproute() as ipr:
            link = netlink.get_link(ipr, name=interface)
            if link is None:
                module.fail_json(msg='interface: there is no interface named %s in this network namespace' % interface)
            recs = netlink.find_address(ipr, link['index'], ip)
            exact = next((rec for rec in recs if rec['prefixlen'] == prefixlen), None)
            for other in recs:
                if other is not exact:
                    module.warn('%s/%d is also on %s with another prefix length; it was left alone'
                                % (other['address'], other['prefixlen'], interface))
            # Removing it is fine (and what the user should do); keeping it present is not.
            if exact is not None and exact['dadfailed'] and params['state'] == 'present':
                module.fail_json(msg='address: %s is on %s but failed duplicate address detection: another host '
                                     'on the link uses it' % (iface, interface))
            tracker = ChangeTracker(describe(exact, interface))

            if params['state'] == 'absent':
                tracker.replace({})
                if exact is not None:
                    check_primary_removal(module, ipr, link, exact)
                    if not module.check_mode:
                        netlink.delete_address(ipr, link['index'], interface, ip, prefixlen)
                module.exit_json(address={}, announced=0, **tracker.result(module))

            tracker.replace({
                'address': str(iface),
                'interface': interface,
                'label': params['label'] if ip.version == 4 else None,
                'preferred_lft': params['preferred_lft'],
                'valid_lft': 'forever',
                'noprefixroute': params['noprefixroute'],
            })
            if exact is not None and ip.version == 4 and params['label'] is None:
                # No label asked for: keep whatever the kernel has (it defaults to the interface name).
                tracker.after['label'] = tracker.before['label']
            nodad = params['nodad'] and ip.version == 6
            # IPv6 is announced only once duplicate address detection is over; this run waits for it once.
            dad_pending = ip.version == 6 and not nodad

            if tracker.changed and not module.check_mode:
                if exact is not None and tracker.before['label'] != tracker.after['label']:
                    # The kernel cannot relabel an address in place.
                    check_primary_removal(module, ipr, link, exact)
                    netlink.delete_address(ipr, link['index'], interface, ip, prefixlen)
                    exact = None
                netlink.add_address(ipr, link['index'], interface, ip, prefixlen, label=params['label'],
                                    preferred_lft=preferred, nodad=nodad,
                                    noprefixroute=params['noprefixroute'], replace=exact is not None)
                if dad_pending:
                    try:
                        netlink.wait_for_dad(ipr, link['index'], interface, ip, params['dad_timeout'])
                    except netlink.NetlinkFailure:
                        # Leave no half-configured address behind: undo the add, then report.
                        netlink.delete_address(ipr, link['index'], interface, ip, prefixlen)
                        raise
                    dad_pending = False
                tracker.replace(describe(netlink.find_address_exact(ipr, link['index'], ip, prefixlen), interface))

            wanted = params['announce'] == 'always' or (params['announce'] == 'changed' and tracker.changed)
            if wanted and not module.check_mode:
                if dad_pending:
                    netlink.wait_for_dad(ipr, link['index'], interface, ip, params['dad_timeout'])
                frames = announce.frames_for(link['mac'], ip, params['announce_mode'],
                                             router=params['announce_router'])
                try:
                    announced = announce.send(interface, frames, params['announce_count'],
                                              params['announce_interval'])
                except (OSError, IOError) as exc:
                    fail_announcement(module, ipr, link, iface, added=not tracker.before, error=exc)
            module.exit_json(address=tracker.after, announced=announced, **tracker.result(module))
    except netlink.NetlinkFailure as exc:
        module.fail_json(msg=str(exc))


if __name__ == '__main__':
    main()
