#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: macvlan
short_description: Manage a macvlan interface that carries a virtual MAC
version_added: 0.1.0
description:
  - Creates, updates or removes a macvlan interface on a parent interface over netlink.
  - In C(vmac) failover a macvlan carries the virtual MAC (a VRRP MAC such as V(00:00:5e:00:01:33)
    or a locally administered one) together with the VIP, so that clients' ARP caches stay valid
    when the VIP moves to another node.
  - Mode, MAC, MTU and up/down are changed in place, in one request. The kernel cannot move a macvlan to another
    parent nor switch it into or out of C(passthru) mode; then the interface is deleted and created
    again (only when O(recreate=true)), its addresses are put back, and the result says so.
  - What the kernel would refuse (an MTU above the parent's, a parent that is not Ethernet, a MAC that a
    sibling macvlan or the parent itself uses, C(passthru) next to other macvlans) is refused before anything changes, in check mode too,
    with a message naming the option and the fix.
  - A macvlan moving to another parent is created there first under a temporary name; only once the
    kernel has accepted it is the old one deleted and the new one renamed, so that a refusal changes nothing.
    Should a later step fail (or a switch into or out of C(passthru), which needs the old one gone first),
    the old interface is created again as it was, with its addresses, and the error says so.
  - Refuses, changing nothing, to touch an existing interface of that name that is not a macvlan.
  - Manages one interface (O(name)) or many in one task (O(interfaces)). A list is read from the kernel in one
    dump and checked whole, each entry against the links as the entries before it leave them, before anything
    changes; then the entries are applied in order. Netlink work grows with the number of entries, not with its
    square.
author:
  - hanet.failover contributors (@hanet)
requirements:
  - pyroute2 >= 0.7
extends_documentation_fragment:
  - hanet.failover.attributes
options:
  name:
    description:
      - Name of the macvlan interface, at most 15 characters.
      - One of O(name) and O(interfaces) is required.
    type: str
  interfaces:
    description:
      - Many macvlan interfaces in one task, each entry with the options of one interface. An option an entry
        leaves out is taken from the top level (O(parent), O(mode), O(mtu), O(link_state), O(state)); its name
        and MAC are its own.
      - Each name may appear once. If any entry is wrong (bad input, or a change the kernel would refuse, such
        as a MAC another entry leaves up on the same parent), the task fails naming the entry and nothing
        changes. Should the kernel still refuse an entry while they are applied, the entries before it stay
        applied and the error says so.
      - Cannot be used with O(name) or O(mac).
    type: list
    elements: dict
    version_added: 0.2.0
    suboptions:
      name:
        description:
          - Name of the macvlan interface, at most 15 characters.
        type: str
        required: true
      parent:
        description:
          - The interface the macvlan sits on. Defaults to the top-level O(parent).
        type: str
      mode:
        description:
          - Macvlan mode, as the top-level O(mode), which is its default.
        type: str
        choices: [private, vepa, bridge, passthru, source]
      mac:
        description:
          - Unicast MAC address, as the top-level O(mac). When omitted, a new interface gets a random MAC.
        type: str
      mtu:
        description:
          - MTU, as the top-level O(mtu), which is its default.
        type: int
      link_state:
        description:
          - V(up) or V(down). Defaults to the top-level O(link_state).
        type: str
        choices: [up, down]
      state:
        description:
          - V(present) or V(absent). Defaults to the top-level O(state).
        type: str
        choices: [present, absent]
  parent:
    description:
      - The interface the macvlan sits on (its lower device). Required with O(state=present).
      - With O(interfaces), the parent of every entry that names none.
    type: str
  mode:
    description:
      - Macvlan mode. V(private) is what keepalived uses for its VMACs; V(vepa) drops frames whose
        source is the macvlan's own MAC on many switches.
      - V(passthru) hands the parent's MAC to the macvlan; O(mac) cannot be used with it because
        it would change the parent's MAC.
    type: str
    choices: [private, vepa, bridge, passthru, source]
    default: private
  mac:
    description:
      - Unicast MAC address of the interface, in any common notation. When omitted, a new interface
        gets a random MAC from the kernel and an existing one keeps its MAC (one leaving V(passthru) mode,
        whose MAC was its parent's, gets a random one).
      - Multicast and all-zero MACs are refused.
    type: str
  mtu:
    description:
      - MTU of the interface (68 to 65535, and at most the parent's MTU). When omitted a new
        interface inherits the parent's MTU and an existing one keeps its MTU, also when it is created again
        on another parent (then that parent's MTU must be at least as large).
    type: int
  link_state:
    description:
      - Whether the interface is administratively up or down.
    type: str
    choices: [up, down]
    default: up
  recreate:
    description:
      - Allow deleting and creating the interface again when the kernel cannot make a change in place
        (another O(parent), or switching into or out of V(passthru)). When V(false) such a change fails.
    type: bool
    default: true
  state:
    description:
      - V(present) creates or updates the interface, V(absent) removes it. Only a macvlan is ever removed.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Runs in the network namespace of the Ansible process on the target.
  - keepalived creates its own VMAC interfaces with O(mode=private) when C(use_vmac) is set; use this
    module for ucarp, for scripts, or to pre-create a VMAC with a fixed name.
seealso:
  - module: hanet.failover.vip
  - module: hanet.failover.gratuitous_arp
'''

EXAMPLES = r'''
- name: Create the VRRP VMAC for VRID 51 on eth0
  hanet.failover.macvlan:
    name: vrrp.51
    parent: eth0
    mac: "{{ 51 | hanet.failover.vrrp_mac }}"

- name: A macvlan with a deterministic locally administered MAC, kept down until the node is master
  hanet.failover.macvlan:
    name: vmac-web
    parent: eth0
    mode: bridge
    mac: "{{ 'prod-web/198.51.100.10' | hanet.failover.laa_mac }}"
    link_state: down

- name: Remove it
  hanet.failover.macvlan:
    name: vmac-web
    state: absent

- name: Many macvlans on eth0 in one task, checked whole before any is changed
  hanet.failover.macvlan:
    parent: eth0
    interfaces:
      - {name: vrrp.51, mac: "00:00:5e:00:01:33"}
      - {name: vrrp.52, mac: "00:00:5e:00:01:34", link_state: down}
      - {name: vmac-old, state: absent}
'''

RETURN = r'''
interface:
  description: The interface as it is after the task (as it would be, in check mode). Empty when absent.
  returned: when O(name) is given
  type: dict
  contains:
    name:
      description: Interface name.
      type: str
      sample: vrrp.51
    parent:
      description: Parent interface.
      type: str
      sample: eth0
    mode:
      description: Macvlan mode.
      type: str
      sample: private
    mac:
      description: MAC address; null in check mode when the kernel would pick one.
      type: str
      sample: 00:00:5e:00:01:33
    mtu:
      description: MTU; null in check mode when the kernel would pick it.
      type: int
      sample: 1500
    link_state:
      description: V(up) or V(down).
      type: str
      sample: up
  sample:
    name: vrrp.51
    parent: eth0
    mode: private
    mac: 00:00:5e:00:01:33
    mtu: 1500
    link_state: up
recreated:
  description: Whether the interface was (or in check mode would be) deleted and created again.
  returned: when O(name) is given
  type: bool
  sample: false
recreate_reasons:
  description: Why the interface had to be created again.
  returned: when O(name) is given
  type: list
  elements: str
  sample: ["parent changes from eth0 to eth1"]
restored_addresses:
  description: Addresses that were on the interface before it was created again and were put back.
  returned: when O(name) is given
  type: list
  elements: str
  sample: ["198.51.100.10/24"]
interfaces:
  description:
    - With O(interfaces), one result per entry, in order. On a failure while the entries were applied, the entries
      applied before it.
  returned: when O(interfaces) is given
  type: list
  elements: dict
  contains:
    name:
      description: The entry's interface name.
      type: str
      sample: vrrp.51
    interface:
      description: The interface as it is after the task, as the single mode's RV(interface).
      type: dict
      sample: {name: vrrp.51, parent: eth0, mode: private, mac: 00:00:5e:00:01:33, mtu: 1500, link_state: up}
    changed:
      description: Whether this entry changed (or would change, in check mode).
      type: bool
      sample: true
    recreated:
      description: As the single mode's RV(recreated).
      type: bool
      sample: false
    recreate_reasons:
      description: As the single mode's RV(recreate_reasons).
      type: list
      elements: str
      sample: []
    restored_addresses:
      description: As the single mode's RV(restored_addresses).
      type: list
      elements: str
      sample: []
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hanet.failover.plugins.module_utils._change_tracker import ChangeTracker
from ansible_collections.hanet.failover.plugins.module_utils._mac import MacError, check_unicast
from ansible_collections.hanet.failover.plugins.module_utils import _netlink as netlink

# The options of one interface: at the top level (one interface, or what the entries of interfaces leave out) and
# in each entry of interfaces, where none has a default of its own, so that an entry takes the top level's.
TOP_OPTIONS = dict(
    name=dict(type='str'),
    parent=dict(type='str'),
    mode=dict(type='str', default='private', choices=list(netlink.MACVLAN_MODES)),
    mac=dict(type='str'),
    mtu=dict(type='int'),
    link_state=dict(type='str', default='up', choices=['up', 'down']),
    state=dict(type='str', default='present', choices=['present', 'absent']),
)
ENTRY_OPTIONS = dict((key, dict([(k, v) for k, v in spec.items() if k != 'default']
                                + ([('required', True)] if key == 'name' else [])))
                     for key, spec in TOP_OPTIONS.items())
# Never taken from the top level: each interface has its own name, and two macvlans up on one parent cannot
# share a MAC.
OWN_OPTIONS = ('name', 'mac')


class EntryError(Exception):
    """What is wrong with one interface's options or plan, with the fix."""


def describe(link, parent_name):
    if link is None:
        return {}
    return {
        'name': link['name'],
        'parent': parent_name,
        'mode': link['macvlan_mode'],
        'mac': link['mac'],
        'mtu': link['mtu'],
        'link_state': 'up' if link['up'] else 'down',
    }


def resolve(params):
    """The interfaces to manage, each with every option settled: its own value, else the top level's."""
    if params['interfaces'] is None:
        raw, labels = [params], [None]
    else:
        raw = params['interfaces']
        labels = ['interfaces[%d] (%s)' % (i, entry.get('name')) for i, entry in enumerate(raw)]
    entries = []
    for entry, label in zip(raw, labels):
        settled = {'label': label}
        for key in ENTRY_OPTIONS:
            value = entry.get(key)
            if value is None and key not in OWN_OPTIONS:
                value = params[key]
            settled[key] = value
        entries.append(settled)
    return entries


def validate(entry):
    """Check one entry's own options (no kernel state needed); normalises its MAC."""
    try:
        netlink.check_ifname(entry['name'], 'name')
        if entry['parent'] is not None:
            netlink.check_ifname(entry['parent'], 'parent')
        if entry['mac'] is not None:
            entry['mac'] = check_unicast(entry['mac'], 'mac')
    except (ValueError, MacError) as exc:
        raise EntryError(str(exc))
    if entry['state'] == 'present' and entry['parent'] is None:
        raise EntryError('parent: state is present but parent is missing; name the interface the macvlan sits on')
    if entry['mtu'] is not None and not 68 <= entry['mtu'] <= 65535:
        raise EntryError('mtu: %d is out of range; give 68 to 65535' % entry['mtu'])
    if entry['mode'] == 'passthru' and entry['mac']:
        raise EntryError("mac: cannot be set with mode=passthru, because passthru changes the parent's MAC; "
                         'remove mac or pick another mode')
    if entry['parent'] == entry['name']:
        raise EntryError('parent: a macvlan cannot be its own parent; name the lower device')


def recreate_reasons(current, current_parent, parent, mode):
    reasons = []
    if current_parent != parent:
        reasons.append('parent changes from %s to %s' % (current_parent, parent))
    if (current['macvlan_mode'] == 'passthru') != (mode == 'passthru'):
        reasons.append('mode changes from %s to %s, which the kernel only allows on a new interface'
                       % (current['macvlan_mode'], mode))
    return reasons


class Links:
    """The namespace's links from one dump, updated as each entry's plan would change them.

    Planning every entry against the links as the entries before it leave them lets one list be checked whole
    before anything changes (a MAC freed by one entry and taken by a later one, a parent that a passthru entry
    needs alone), with netlink read once whatever the number of entries.
    """

    def __init__(self, records):
        self.by_name = dict((link['name'], link) for link in records)
        self.by_index = dict((link['index'], link) for link in records)
        self._next_planned = -1

    def parent_name(self, link):
        if link is None or link['parent_index'] is None:
            return None
        parent = self.by_index.get(link['parent_index'])
        return parent['name'] if parent else None

    def on_parent(self, parent_index):
        return [link for link in self.by_index.values() if link['parent_index'] == parent_index]

    def remove(self, link):
        self.by_name.pop(link['name'], None)
        self.by_index.pop(link['index'], None)

    def put(self, current, parent, wanted, keep_index):
        """Record the link an entry's plan leaves (an index of its own until the kernel gives one)."""
        if current is not None:
            self.remove(current)
        index = current['index'] if keep_index else self._next_planned
        if not keep_index:
            self._next_planned -= 1
        link = {'index': index, 'name': wanted['name'], 'kind': 'macvlan', 'parent_index': parent['index'],
                'macvlan_mode': wanted['mode'], 'mac': wanted['mac'], 'mtu': wanted['mtu'],
                'up': wanted['link_state'] == 'up', 'link_type': netlink.ARPHRD_ETHER}
        self.by_name[link['name']] = link
        self.by_index[index] = link


def plan(entry, links, recreate):
    """What one entry needs done, checked against ``links`` (which it then updates); raises EntryError."""
    name = entry['name']
    current = links.by_name.get(name)
    if current is not None and current['kind'] != 'macvlan':
        raise EntryError('name: %s exists and is a %s interface, not a macvlan; this module never converts or '
                         'removes other interfaces. Choose another name.' % (name, current['kind'] or 'physical'))
    current_parent = links.parent_name(current)
    step = {'entry': entry, 'current': current, 'parent': None, 'reasons': [],
            'tracker': ChangeTracker(describe(current, current_parent))}
    if entry['state'] == 'absent':
        step['tracker'].replace({})
        if current is not None:
            links.remove(current)
        return step

    parent = links.by_name.get(entry['parent'])
    if parent is None:
        raise EntryError('parent: there is no interface named %s in this network namespace' % entry['parent'])
    if parent['kind'] == 'macvlan':
        raise EntryError('parent: %s is itself a macvlan; name its parent %s instead'
                         % (parent['name'], links.parent_name(parent)))
    step['parent'] = parent
    wanted = {
        'name': name,
        'parent': entry['parent'],
        'mode': entry['mode'],
        'mac': entry['mac'] or (current['mac'] if current else None),
        'mtu': entry['mtu'] or (current['mtu'] if current else parent['mtu']),
        'link_state': entry['link_state'],
    }
    if current is not None:
        step['reasons'] = recreate_reasons(current, current_parent, entry['parent'], entry['mode'])
        if step['reasons'] and not recreate:
            raise EntryError('recreate: the change needs a new interface (%s) and recreate=false'
                             % '; '.join(step['reasons']))
    if entry['mode'] == 'passthru':
        wanted['mac'] = parent['mac']
    elif step['reasons'] and not entry['mac'] and current['macvlan_mode'] == 'passthru':
        # Out of passthru: the link has its parent's MAC, which a macvlan of its own cannot have.
        wanted['mac'] = None
    step['tracker'].replace(wanted)
    if step['tracker'].changed:
        # Everything the kernel would refuse, before anything is changed (check mode too).
        problems = netlink.macvlan_refusals(
            name, current, parent, links.on_parent(parent['index']), entry['mode'], wanted['mac'],
            entry['mtu'] or (current['mtu'] if current else None), entry['link_state'] == 'up')
        if problems:
            raise EntryError('; '.join(problems))
        links.put(current, parent, wanted, keep_index=current is not None and not step['reasons'])
    if current is None and entry['mode'] != 'passthru':
        # The kernel picks the MAC of a new interface that names none.
        step['tracker'].after['mac'] = entry['mac']
    return step


def apply(ipr, step):
    """Make one planned change; returns the addresses put back on a recreated interface."""
    entry, current, parent, before = step['entry'], step['current'], step['parent'], step['tracker'].before
    if entry['state'] == 'absent':
        netlink.delete_link(ipr, current['index'], current['name'])
        return []
    up = entry['link_state'] == 'up'
    wanted = step['tracker'].after
    mac = None if entry['mode'] == 'passthru' else wanted['mac']
    if current is None:
        netlink.create_macvlan(ipr, entry['name'], parent['index'], entry['mode'], mac=mac, mtu=entry['mtu'], up=up)
        return []
    if step['reasons']:
        dummy, restored = netlink.replace_macvlan(ipr, current, parent['index'], entry['mode'], mac=mac,
                                                  mtu=wanted['mtu'], up=up)
        return restored
    changes = dict(
        macvlan_mode=entry['mode'] if before['mode'] != entry['mode'] else None,
        mac=wanted['mac'] if before['mac'] != wanted['mac'] else None,
        mtu=wanted['mtu'] if before['mtu'] != wanted['mtu'] else None,
        up=up if before['link_state'] != entry['link_state'] else None)
    # One request; should the kernel still refuse a part of it, the parts it applied are put back.
    was = {'macvlan_mode': before['mode'], 'mac': before['mac'], 'mtu': before['mtu'],
           'up': before['link_state'] == 'up'}
    undo = dict((key, was[key]) for key, value in changes.items() if value is not None)
    netlink.set_link(ipr, current['index'], current['name'], undo=undo, **changes)
    return []


def entry_result(step, restored):
    return {'name': step['entry']['name'], 'interface': step['tracker'].after,
            'changed': step['tracker'].changed, 'recreated': bool(step['reasons']),
            'recreate_reasons': step['reasons'], 'restored_addresses': restored}


def labelled(entry, message):
    return '%s: %s' % (entry['label'], message) if entry['label'] else message


def main():
    argument_spec = dict(
        TOP_OPTIONS,
        recreate=dict(type='bool', default=True),
        interfaces=dict(type='list', elements='dict', options=ENTRY_OPTIONS),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        mutually_exclusive=[('name', 'interfaces'), ('mac', 'interfaces')],
        required_one_of=[('name', 'interfaces')],
        supports_check_mode=True,
    )
    params = module.params
    single = params['interfaces'] is None
    entries = resolve(params)
    seen = {}
    for entry in entries:
        try:
            validate(entry)
        except EntryError as exc:
            module.fail_json(msg=labelled(entry, str(exc)))
        if entry['name'] in seen:
            module.fail_json(msg=labelled(entry, 'name: %s is also %s; give each interface once'
                                                 % (entry['name'], seen[entry['name']])))
        seen[entry['name']] = entry['label']
    netlink.require_pyroute2(module)

    steps, results = [], []
    failed_at = None
    try:
        with netlink.iproute() as ipr:
            links = Links(netlink.list_links(ipr))
            for entry in entries:
                try:
                    steps.append(plan(entry, links, params['recreate']))
                except EntryError as exc:
                    module.fail_json(msg=labelled(entry, str(exc)))
            if not module.check_mode:
                touched = False
                for step in steps:
                    restored = []
                    if step['tracker'].changed:
                        failed_at = step
                        restored = apply(ipr, step)
                        touched = True
                    results.append(entry_result(step, restored))
                failed_at = None
                if touched:
                    # What the kernel made of it, read back in one dump.
                    links = Links(netlink.list_links(ipr))
                    for step, result in zip(steps, results):
                        if step['tracker'].changed:
                            link = links.by_name.get(step['entry']['name'])
                            step['tracker'].replace(describe(link, links.parent_name(link)))
                            result['interface'] = step['tracker'].after
            else:
                results = [entry_result(step, []) for step in steps]
    except netlink.NetlinkFailure as exc:
        if failed_at is None:
            module.fail_json(msg=str(exc))
        if single:
            module.fail_json(msg=str(exc), recreated=bool(failed_at['reasons']),
                             recreate_reasons=failed_at['reasons'], restored_addresses=[])
        module.fail_json(msg='%s; %s, the ones after it were not'
                             % (labelled(failed_at['entry'], str(exc)),
                                'the entries before it were applied (see interfaces)'
                                if any(result['changed'] for result in results) else 'nothing before it was changed'),
                         interfaces=results)

    if single:
        step, result = steps[0], results[0]
        module.exit_json(interface=result['interface'], recreated=result['recreated'],
                         recreate_reasons=result['recreate_reasons'], restored_addresses=result['restored_addresses'],
                         **step['tracker'].result(module))
    # One tracker for the list, keyed by interface name: changed when any interface changed.
    tracker = ChangeTracker(dict((s['entry']['name'], s['tracker'].before) for s in steps if s['tracker'].before))
    tracker.replace(dict((s['entry']['name'], s['tracker'].after) for s in steps if s['tracker'].after))
    module.exit_json(interfaces=results, **tracker.result(module))


if __name__ == '__main__':
    main()
