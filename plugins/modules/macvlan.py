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
    type: str
    required: true
  parent:
    description:
      - The interface the macvlan sits on (its lower device). Required with O(state=present).
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
'''

RETURN = r'''
interface:
  description: The interface as it is after the task (as it would be, in check mode). Empty when absent.
  returned: always
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
  returned: always
  type: bool
  sample: false
recreate_reasons:
  description: Why the interface had to be created again.
  returned: always
  type: list
  elements: str
  sample: ["parent changes from eth0 to eth1"]
restored_addresses:
  description: Addresses that were on the interface before it was created again and were put back.
  returned: always
  type: list
  elements: str
  sample: ["198.51.100.10/24"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hanet.failover.plugins.module_utils._change_tracker import ChangeTracker
from ansible_collections.hanet.failover.plugins.module_utils._mac import MacError, check_unicast
from ansible_collections.hanet.failover.plugins.module_utils import _netlink as netlink


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


def validate(module):
    params = module.params
    try:
        netlink.check_ifname(params['name'], 'name')
        if params['parent'] is not None:
            netlink.check_ifname(params['parent'], 'parent')
        if params['mac'] is not None:
            params['mac'] = check_unicast(params['mac'], 'mac')
    except (ValueError, MacError) as exc:
        module.fail_json(msg=str(exc))
    if params['mtu'] is not None and not 68 <= params['mtu'] <= 65535:
        module.fail_json(msg='mtu: %d is out of range; give 68 to 65535' % params['mtu'])
    if params['mode'] == 'passthru' and params['mac']:
        module.fail_json(msg='mac: cannot be set with mode=passthru, because passthru changes the '
                             "parent's MAC; remove mac or pick another mode")
    if params['parent'] == params['name']:
        module.fail_json(msg='parent: a macvlan cannot be its own parent; name the lower device')


def refuse_foreign(module, link):
    if link is not None and link['kind'] != 'macvlan':
        module.fail_json(
            msg='name: %s exists and is a %s interface, not a macvlan; this module never converts or '
                'removes other interfaces. Choose another name.' % (link['name'], link['kind'] or 'physical'))


def recreate_reasons(current, current_parent, parent, mode):
    reasons = []
    if current_parent != parent:
        reasons.append('parent changes from %s to %s' % (current_parent, parent))
    if (current['macvlan_mode'] == 'passthru') != (mode == 'passthru'):
        reasons.append('mode changes from %s to %s, which the kernel only allows on a new interface'
                       % (current['macvlan_mode'], mode))
    return reasons


def parent_name_of(ipr, link):
    if link is None or link['parent_index'] is None:
        return None
    parent = netlink.get_link(ipr, index=link['parent_index'])
    return parent['name'] if parent else None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            parent=dict(type='str'),
            mode=dict(type='str', default='private', choices=list(netlink.MACVLAN_MODES)),
            mac=dict(type='str'),
            mtu=dict(type='int'),
            link_state=dict(type='str', default='up', choices=['up', 'down']),
            recreate=dict(type='bool', default=True),
            state=dict(type='str', default='present', choices=['present', 'absent']),
        ),
        required_if=[('state', 'present', ['parent'])],
        supports_check_mode=True,
    )
    netlink.require_pyroute2(module)
    validate(module)
    params = module.params
    result = {'recreated': False, 'recreate_reasons': [], 'restored_addresses': []}

    try:
        with netlink.iproute() as ipr:
            current = netlink.get_link(ipr, name=params['name'])
            refuse_foreign(module, current)
            current_parent = parent_name_of(ipr, current)
            tracker = ChangeTracker(describe(current, current_parent))

            if params['state'] == 'absent':
                tracker.replace({})
                if current is not None and not module.check_mode:
                    netlink.delete_link(ipr, current['index'], current['name'])
                module.exit_json(interface={}, **tracker.result(module, **result))

            parent = netlink.get_link(ipr, name=params['parent'])
            if parent is None:
                module.fail_json(msg='parent: there is no interface named %s in this network namespace'
                                     % params['parent'])
            if parent['kind'] == 'macvlan':
                module.fail_json(msg='parent: %s is itself a macvlan; name its parent %s instead'
                                     % (parent['name'], parent_name_of(ipr, parent)))

            up = params['link_state'] == 'up'
            wanted = {
                'name': params['name'],
                'parent': params['parent'],
                'mode': params['mode'],
                'mac': params['mac'] or (current['mac'] if current else None),
                'mtu': params['mtu'] or (current['mtu'] if current else parent['mtu']),
                'link_state': params['link_state'],
            }
            if current is not None:
                result['recreate_reasons'] = recreate_reasons(current, current_parent, params['parent'],
                                                              params['mode'])
                if result['recreate_reasons'] and not params['recreate']:
                    module.fail_json(msg='recreate: the change needs a new interface (%s) and recreate=false'
                                         % '; '.join(result['recreate_reasons']), **result)
                if result['recreate_reasons'] and not params['mac']:
                    # A new interface would get a random MAC; keep the one it has.
                    wanted['mac'] = current['mac']
            if params['mode'] == 'passthru':
                wanted['mac'] = parent['mac']
            elif result['recreate_reasons'] and not params['mac'] and current['macvlan_mode'] == 'passthru':
                # Out of passthru: the link has its parent's MAC, which a macvlan of its own cannot have.
                wanted['mac'] = None
            tracker.replace(wanted)
            result['recreated'] = bool(result['recreate_reasons'])

            if tracker.changed:
                # Everything the kernel would refuse, before anything is changed (check mode too).
                problems = netlink.macvlan_refusals(
                    params['name'], current, parent, netlink.list_links(ipr), params['mode'], wanted['mac'],
                    params['mtu'] or (current['mtu'] if current else None), up)
                if problems:
                    module.fail_json(msg='; '.join(problems), **result)

            if module.check_mode or not tracker.changed:
                if current is None:
                    tracker.after['mac'] = params['mac']
                module.exit_json(interface=tracker.after, **tracker.result(module, **result))

            mac = None if params['mode'] == 'passthru' else wanted['mac']
            if current is None:
                netlink.create_macvlan(ipr, params['name'], parent['index'], params['mode'], mac=mac,
                                       mtu=params['mtu'], up=up)
            elif result['recreated']:
                dummy, result['restored_addresses'] = netlink.replace_macvlan(
                    ipr, current, parent['index'], params['mode'], mac=mac, mtu=wanted['mtu'], up=up)
            else:
                before = tracker.before
                changes = dict(
                    macvlan_mode=params['mode'] if before['mode'] != params['mode'] else None,
                    mac=wanted['mac'] if before['mac'] != wanted['mac'] else None,
                    mtu=wanted['mtu'] if before['mtu'] != wanted['mtu'] else None,
                    up=up if before['link_state'] != params['link_state'] else None)
                # One request; should the kernel still refuse a part of it, the parts it applied are put back.
                was = {'macvlan_mode': before['mode'], 'mac': before['mac'], 'mtu': before['mtu'],
                       'up': before['link_state'] == 'up'}
                undo = dict((key, was[key]) for key, value in changes.items() if value is not None)
                netlink.set_link(ipr, current['index'], current['name'], undo=undo, **changes)
            link = netlink.get_link(ipr, name=params['name'])
            tracker.replace(describe(link, params['parent']))
            module.exit_json(interface=tracker.after, **tracker.result(module, **result))
    except netlink.NetlinkFailure as exc:
        module.fail_json(msg=str(exc), **result)


if __name__ == '__main__':
    main()
