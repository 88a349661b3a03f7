#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: failover_info
short_description: Gather what matters for debugging a VIP failover
version_added: 0.1.0
description:
  - Reports links (kind, MAC, parent, macvlan mode, whether the MAC is locally administered or a VRRP MAC),
    the addresses on each link with their flags, the ARP and ND sysctls (live and effective per interface),
    whether keepalived, ucarp, corosync and Pacemaker are running, and the host's node name.
  - With O(files) and O(read_files), also what is at some paths (the cluster role's state files), read whether
    pyroute2 is there or not and returned also when the module fails for want of pyroute2, so that one module run
    tells a role everything it reads before it decides what to do.
author:
  - hanet.failover contributors (@hanet)
requirements:
  - pyroute2 >= 0.7
extends_documentation_fragment:
  - hanet.failover.attributes.info_module
options:
  interfaces:
    description:
      - Only report these interfaces. All interfaces when omitted.
    type: list
    elements: str
  files:
    description:
      - Also report what is at these absolute paths, each with whether it exists, its type, mode, owner and group.
        Their content is not read.
      - The paths are used as given (no C(~) or variable expansion), and are the keys of RV(files).
    type: list
    elements: str
    default: []
    version_added: 0.2.0
  read_files:
    description:
      - Like O(files), and the text of each that is a regular file of at most 64 KiB of UTF-8 is returned too.
      - Only for files whose text may show in the task's output (a state flag, a record); never a secret.
    type: list
    elements: str
    default: []
    version_added: 0.2.0
seealso:
  - module: hanet.failover.arp_sysctl
  - module: hanet.failover.macvlan
'''

EXAMPLES = r'''
- name: Who holds what
  hanet.failover.failover_info:
  register: ha

- name: Show the VIPs on this node
  ansible.builtin.debug:
    msg: "{{ ha.links | map(attribute='addresses') | flatten | map(attribute='address') | list }}"

- name: Is this member drained? (the cluster role's maintenance file)
  hanet.failover.failover_info:
    read_files: [/etc/hanet-failover/maintenance]
  register: ha

- name: Say so
  ansible.builtin.debug:
    msg: "{{ (ha.files['/etc/hanet-failover/maintenance'].content | default('0', true) | trim) == '1' }}"
'''

RETURN = r'''
links:
  description: One entry per link.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Interface name.
      type: str
    index:
      description: Interface index.
      type: int
    kind:
      description: Link kind (V(macvlan), V(veth), ...), null for physical devices.
      type: str
    mac:
      description: MAC address.
      type: str
    mtu:
      description: MTU.
      type: int
    up:
      description: Administratively up.
      type: bool
    parent:
      description: Parent interface name, for macvlan and similar links in this namespace.
      type: str
    macvlan_mode:
      description: Macvlan mode, for macvlan links.
      type: str
    mac_is_laa:
      description: The MAC is locally administered.
      type: bool
    vrrp_vrid:
      description: The VRID when the MAC is a VRRP virtual router MAC, else null.
      type: int
    addresses:
      description: Addresses on the link.
      type: list
      elements: dict
    sysctl:
      description: Live per-interface ARP/ND sysctls.
      type: dict
    sysctl_effective:
      description: Values the kernel applies after combining with C(all).
      type: dict
  sample:
    - name: vrrp.51
      index: 7
      kind: macvlan
      mac: 00:00:5e:00:01:33
      mtu: 1500
      up: true
      parent: eth0
      macvlan_mode: private
      mac_is_laa: false
      vrrp_vrid: 51
      addresses:
        - address: 198.51.100.10
          prefixlen: 24
          family: 4
          label: vrrp.51
          secondary: false
          tentative: false
          deprecated: false
      sysctl: {"arp_ignore": 1}
      sysctl_effective: {"arp_ignore": 1}
sysctl_all:
  description: The C(all) values of the ARP/ND sysctls.
  returned: always
  type: dict
  sample: {"arp_ignore": 0, "arp_notify": 0}
sysctl_default:
  description: The C(default) values of the ARP/ND sysctls.
  returned: always
  type: dict
  sample: {"arp_ignore": 0, "arp_notify": 0}
daemons:
  description: Failover daemons seen in the process table, with their process IDs.
  returned: always
  type: dict
  sample: {"keepalived": {"running": true, "pids": [312, 313]}, "ucarp": {"running": false, "pids": []},
           "corosync": {"running": false, "pids": []}, "pacemakerd": {"running": false, "pids": []}}
node_name:
  description: The host's node name (its uname), the name corosync and Pacemaker know it by.
  returned: always
  type: str
  sample: node1
files:
  description:
    - The paths of O(files) and O(read_files), each with what was found there. Also returned when the module fails
      because pyroute2 is missing.
  returned: always
  type: dict
  sample: {"/var/lib/hanet-failover/maintenance": {"exists": true, "type": "file", "mode": "0644", "owner": "root",
           "group": "root", "content": "0\n"}}
  contains:
    exists:
      description: Whether the path exists (a symbolic link is followed).
      type: bool
    type:
      description: V(file), V(directory) or V(other); null when the path does not exist.
      type: str
    mode:
      description: The permission bits, in octal (V(0644)); null when the path does not exist.
      type: str
    owner:
      description: The owner's name (its uid where it has no name); null when the path does not exist.
      type: str
    group:
      description: The group's name (its gid where it has no name); null when the path does not exist.
      type: str
    content:
      description: A regular file's text; null for anything else, a file over 64 KiB, or one that is not UTF-8.
      type: str
      returned: for the paths of O(read_files)
    error:
      description: >-
        Why the path could not be examined (it is then reported as not existing) or, with O(read_files), its
        content not read (RV(files.content) is then null).
      type: str
      returned: on error
'''

import os
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hanet.failover.plugins.module_utils import _file_set as file_set
from ansible_collections.hanet.failover.plugins.module_utils import _mac as mac
from ansible_collections.hanet.failover.plugins.module_utils import _netlink as netlink
from ansible_collections.hanet.failover.plugins.module_utils import _sysctl as sysctl

DAEMONS = ('keepalived', 'ucarp', 'corosync', 'pacemakerd')
ADDRESS_FIELDS = ('address', 'prefixlen', 'family', 'label', 'secondary', 'tentative', 'dadfailed',
                  'deprecated', 'nodad', 'noprefixroute')


def sysctl_values(interface):
    values = {}
    for key in sorted(sysctl.KEYS):
        value = sysctl.read_value(interface, key)
        if value is not None:
            values[key] = value
    return values


def daemon_pids(proc='/proc'):
    found = dict((name, []) for name in DAEMONS)
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        try:
            with open(os.path.join(proc, entry, 'comm')) as handle:
                comm = handle.read().strip()
        except (IOError, OSError):
            continue
        if comm in found:
            found[comm].append(int(entry))
    return dict((name, {'running': bool(pids), 'pids': sorted(pids)}) for name, pids in found.items())


MAX_CONTENT = 64 * 1024


def file_report(path, read=False):
    """What is at ``path``: exists, type, mode, owner, group, and with ``read`` a small regular file's text."""
    report = {'exists': False, 'type': None, 'mode': None, 'owner': None, 'group': None}
    if read:
        report['content'] = None
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return report
    except OSError as exc:
        report['error'] = str(exc)
        return report
    kind = 'file' if stat.S_ISREG(info.st_mode) else 'directory' if stat.S_ISDIR(info.st_mode) else 'other'
    report.update(file_set.mode_and_owners(info), exists=True, type=kind)
    if read and kind == 'file' and info.st_size <= MAX_CONTENT:
        try:
            with open(path, 'rb') as handle:
                data = handle.read(MAX_CONTENT + 1)
            if len(data) <= MAX_CONTENT:
                report['content'] = data.decode('utf-8')
        except UnicodeDecodeError:
            pass
        except OSError as exc:
            report['error'] = str(exc)
    return report


def main():
    module = AnsibleModule(
        argument_spec=dict(interfaces=dict(type='list', elements='str'),
                           files=dict(type='list', elements='str', default=[]),
                           read_files=dict(type='list', elements='str', default=[])),
        supports_check_mode=True,
    )
    for option in ('files', 'read_files'):
        bad = [path for path in module.params[option] if not os.path.isabs(path)]
        if bad:
            module.fail_json(msg='%s: %s: not an absolute path; give each path from /' % (option, ', '.join(bad)))
    files = dict((path, file_report(path)) for path in module.params['files'])
    files.update((path, file_report(path, read=True)) for path in module.params['read_files'])
    netlink.require_pyroute2(module, files=files)
    wanted = module.params['interfaces']
    all_values = sysctl_values('all')
    try:
        with netlink.iproute() as ipr:
            links = netlink.list_links(ipr)
            addresses = netlink.list_addresses(ipr)
    except netlink.NetlinkFailure as exc:
        module.fail_json(msg=str(exc))
    names = dict((link['index'], link['name']) for link in links)
    if wanted:
        unknown = sorted(set(wanted) - set(names.values()))
        if unknown:
            module.fail_json(msg='interfaces: no interface named %s in this network namespace' % ', '.join(unknown))
    result = []
    for link in links:
        if wanted and link['name'] not in wanted:
            continue
        values = sysctl_values(link['name'])
        entry = dict((key, link[key]) for key in ('name', 'index', 'kind', 'mac', 'mtu', 'up', 'macvlan_mode'))
        entry['parent'] = names.get(link['parent_index'])
        usable_mac = bool(link['mac']) and len(link['mac']) == 17
        entry['mac_is_laa'] = usable_mac and mac.is_locally_administered(link['mac'])
        entry['vrrp_vrid'] = mac.vrrp_vrid(link['mac']) if usable_mac else None
        entry['addresses'] = [dict((key, rec[key]) for key in ADDRESS_FIELDS)
                              for rec in addresses if rec['index'] == link['index']]
        entry['sysctl'] = values
        entry['sysctl_effective'] = dict((key, sysctl.effective_value(key, all_values.get(key), value))
                                         for key, value in values.items())
        result.append(entry)
    module.exit_json(changed=False, links=result, sysctl_all=all_values, sysctl_default=sysctl_values('default'),
                     daemons=daemon_pids(), node_name=os.uname()[1], files=files)


if __name__ == '__main__':
    main()
