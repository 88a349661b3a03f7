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
  - With O(addresses) it manages many addresses, on one or more interfaces, in one call. Every entry is checked
    against the others and the host before anything changes, so a bad entry fails the task with nothing changed.
    Then each address to change costs one netlink request, duplicate address detection is awaited for all IPv6
    addresses together, and the announcements go out in rounds that carry every address (O(announce_count)
    rounds, O(announce_interval) apart, however many addresses there are).
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
      - Required, with O(interface), unless O(addresses) is given.
    type: str
  interface:
    description:
      - The interface that holds the address.
      - Required with O(address). With O(addresses), the interface of every entry that names none.
    type: str
  addresses:
    description:
      - A list of addresses to manage in one call, instead of O(address) and its options. Each entry takes the
        options of one address; O(dad_timeout) and the O(announce) options apply to every entry.
      - Every entry is checked and planned before anything changes. A problem with any of them (an address
        without prefix length, a label that does not fit, an interface that does not exist, the same IP twice on one
        interface, an address that failed duplicate address detection, a primary IPv4 address whose secondaries
        would go with it) fails the task with nothing changed; the message names each such entry by its position,
        address and interface.
      - Removals go first, then additions. A primary IPv4 address may be removed together with its secondaries.
      - When duplicate address detection fails for some IPv6 addresses, or the announcements on an interface fail,
        the addresses this run added that are concerned are removed again; the other entries are carried out, and
        the task fails naming each entry.
      - An empty list changes nothing.
      - An option an entry leaves out is taken from the top level (O(interface), O(state), O(label),
        O(preferred_lft), O(nodad), O(noprefixroute), O(announce_router)), as with M(hanet.failover.macvlan)'s
        O(hanet.failover.macvlan#module:interfaces); its address is its own. An entry must name its interface or the
        top level must. The top-level O(label) goes only to the IPv4 entries on the top-level O(interface).
    type: list
    elements: dict
    version_added: 0.2.0
    suboptions:
      address:
        description:
          - The address with its prefix length, such as V(198.51.100.10/24) or V(2001:db8::10/64).
          - Each IP once per interface (whatever the prefix length).
        type: str
        required: true
      interface:
        description:
          - The interface that holds the address. Defaults to the top-level O(interface).
        type: str
      state:
        description:
          - V(present) adds the address, V(absent) removes it. Defaults to the top-level O(state).
        type: str
        choices: [present, absent]
      label:
        description:
          - IPv4 label, such as V(eth0:vip). It must be the interface name or start with the interface
            name and a colon, at most 15 characters. IPv6 addresses have no labels. Defaults to the top-level
            O(label).
        type: str
      preferred_lft:
        description:
          - Preferred lifetime. V(0) marks the address deprecated, so that the kernel does not pick it as
            the source of outgoing connections. Defaults to the top-level O(preferred_lft).
        type: str
        choices: ['forever', '0']
      nodad:
        description:
          - Skip IPv6 duplicate address detection. Ignored for IPv4. Defaults to the top-level O(nodad).
        type: bool
      noprefixroute:
        description:
          - Do not create the prefix route for the address. Defaults to the top-level O(noprefixroute).
        type: bool
      announce_router:
        description:
          - IPv6 only. Set the Router flag in the unsolicited neighbour advertisements, for a VIP that is the
            neighbours' default gateway (see the top-level O(announce_router)). Ignored for IPv4. Defaults to the
            top-level O(announce_router).
        type: bool
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
      - Seconds to wait for IPv6 duplicate address detection before failing. With O(addresses), for all of
        them together.
    type: float
    default: 5.0
  announce:
    description:
      - When to send announcements. V(changed) sends them when this task added or changed the address,
        V(always) on every run (refreshing caches, like IPaddr2's C(arp_count_refresh)), V(never) not at all.
      - With O(addresses), for each entry on its own (V(changed) announces the entries that changed).
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

- name: All of a host's service addresses in one call (one module run, announced in 5 rounds together)
  hanet.failover.vip:
    addresses:
      - address: 198.51.100.10/24
        interface: eth0
        label: eth0:web
      - address: 198.51.100.11/24
        interface: eth0
      - address: 203.0.113.5/32
        interface: eth1
        noprefixroute: true
      - address: 2001:db8::10/64
        interface: eth0
        preferred_lft: "0"
      - address: 198.51.100.99/24
        interface: eth0
        state: absent
    announce_mode: both
  register: service_addresses

- name: The addresses listed in the inventory's host_vips (entries without interface), all on eth0
  hanet.failover.vip:
    addresses: "{{ host_vips | map('combine', {'interface': 'eth0'}) | list }}"
'''

RETURN = r'''
address:
  description: The address as it is after the task (as it would be, in check mode). Empty when absent.
  returned: when O(address) is given
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
  description: Number of announcement frames sent (0 in check mode). With O(addresses), for all entries together.
  returned: always
  type: int
  sample: 5
addresses:
  description:
    - With O(addresses), what became of each entry, in the order given.
    - The diff (in diff mode) shows the entries that changed, keyed by C(ADDRESS on INTERFACE).
  returned: when O(addresses) is given
  type: list
  elements: dict
  version_added: 0.2.0
  contains:
    address:
      description:
        - The address as it is after the task (as it would be, in check mode), as the single form returns it.
          Empty when absent.
      type: dict
      sample:
        address: 198.51.100.10/24
        interface: eth0
        label: eth0:web
        preferred_lft: forever
        valid_lft: forever
        noprefixroute: false
    changed:
      description: Whether this entry's address was added, changed or removed.
      type: bool
      sample: true
    announced:
      description: Number of announcement frames sent for this entry.
      type: int
      sample: 5
  sample:
    - address:
        address: 198.51.100.10/24
        interface: eth0
        label: eth0:web
        preferred_lft: forever
        valid_lft: forever
        noprefixroute: false
      changed: true
      announced: 5
    - address: {}
      changed: false
      announced: 0
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hanet.failover.plugins.module_utils._change_tracker import ChangeTracker
from ansible_collections.hanet.failover.plugins.module_utils import _netlink as netlink
from ansible_collections.hanet.failover.plugins.module_utils import _vip as vip

# The options of one address: at the top level (the single form, or what the entries of addresses leave out) and in
# each entry of addresses, where none has a default of its own, so that an entry takes the top level's. An entry's
# address is its own.
TOP_OPTIONS = dict(
    address=dict(type='str'),
    interface=dict(type='str'),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    label=dict(type='str'),
    preferred_lft=dict(type='str', default='forever', choices=['forever', '0']),
    nodad=dict(type='bool', default=False),
    noprefixroute=dict(type='bool', default=False),
    announce_router=dict(type='bool', default=False),
)
ENTRY_OPTIONS = dict((name, dict([(key, value) for key, value in option.items() if key != 'default']
                                 + ([('required', True)] if name == 'address' else [])))
                     for name, option in TOP_OPTIONS.items())


def argument_spec():
    # At the top level address and interface are needed only without addresses (required_one_of, required_by).
    spec = dict(TOP_OPTIONS)
    spec.update(
        addresses=dict(type='list', elements='dict', options=ENTRY_OPTIONS),
        dad_timeout=dict(type='float', default=5.0),
        announce=dict(type='str', default='changed', choices=['changed', 'always', 'never']),
        announce_count=dict(type='int', default=5),
        announce_interval=dict(type='float', default=0.2),
        announce_mode=dict(type='str', default='request', choices=['request', 'reply', 'both']),
    )
    return spec


def entries_from_params(module):
    """The entries to work on: those of addresses, or the single form as a list of one."""
    params = module.params
    if params['addresses'] is None:
        return [vip.Entry(None, dict((name, params[name]) for name in ENTRY_OPTIONS))]
    entries = []
    for position, given in enumerate(params['addresses']):
        entry = dict((name, params[name] if given.get(name) is None and name != 'address' else given.get(name))
                     for name in TOP_OPTIONS)
        if given.get('label') is None and (entry['interface'] != params['interface']
                                           or ':' in (entry['address'] or '')):
            # A label names its interface and is IPv4's: the top level's fits only its own interface's IPv4 entries.
            entry['label'] = None
        if entry['interface'] is None:
            module.fail_json(msg='addresses[%d] (%s): interface: give the interface in the entry or at the top level'
                                 % (position, entry['address']))
        entries.append(vip.Entry(position, entry))
    return entries


def failure_message(problems):
    if len(problems) == 1:
        return problems[0]
    more = len(problems) - 1
    return '%s (and %d more problem%s; errors lists them all)' % (problems[0], more, '' if more == 1 else 's')


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[('address', 'addresses')],
        required_one_of=[('address', 'addresses')],
        required_by={'address': ('interface',)},
        supports_check_mode=True,
    )
    netlink.require_pyroute2(module)
    entries = entries_from_params(module)
    single = module.params['addresses'] is None
    try:
        vip.run(entries, module.params, module.check_mode, module.warn)
    except vip.VipFailure as exc:
        if single:
            module.fail_json(msg=exc.problems[0])
        module.fail_json(msg=failure_message(exc.problems), errors=exc.problems, **exc.result)
    if single:
        entry = entries[0]
        module.exit_json(address=entry.tracker.after, announced=entry.announced, **entry.tracker.result(module))
    changed = [entry for entry in entries if entry.tracker.changed]
    tracker = ChangeTracker(dict((entry.key, entry.tracker.before) for entry in changed))
    tracker.replace(dict((entry.key, entry.tracker.after) for entry in changed))
    outcome = vip.outcome(entries)
    module.exit_json(**tracker.result(module, addresses=outcome['addresses'], announced=outcome['announced']))


if __name__ == '__main__':
    main()
