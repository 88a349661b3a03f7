#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: arp_sysctl
short_description: Set the ARP and neighbour-discovery sysctls that failover depends on
version_added: 0.1.0
description:
  - Sets C(net.ipv4.conf.IFACE.KEY) (and C(net.ipv6.conf.IFACE.ndisc_notify)) for V(all), V(default)
    or one interface, live and persisted in one sysctl.d file.
  - Checks each value against what the kernel accepts for that key before changing anything.
  - Only the named keys of the named interface are touched. Other lines of the persisted file are kept.
  - The kernel combines C(all) with the per-interface value (the larger one for C(arp_ignore),
    C(arp_announce), C(arp_notify), C(arp_accept) and C(rp_filter); either one for C(arp_filter),
    C(accept_local), C(promote_secondaries), C(ndisc_notify)). The module returns the effective value and
    warns when it differs from what was asked.
author:
  - hanet.failover contributors (@hanet)
extends_documentation_fragment:
  - hanet.failover.attributes
options:
  interface:
    description:
      - V(all), V(default) (the template for interfaces created later) or an interface name.
      - Names with a dot (such as keepalived's V(vrrp.51)) are written in slash notation in the file.
    type: str
    required: true
  settings:
    description:
      - Keys and values. Allowed keys and values are C(arp_notify) 0-1, C(arp_ignore) 0, 1, 2, 3 or 8,
        C(arp_announce) 0-2, C(arp_filter) 0-1, C(arp_accept) 0-2, C(rp_filter) 0-2, C(accept_local) 0-1,
        C(promote_secondaries) 0-1, and C(ndisc_notify) 0-1 (IPv6).
    type: dict
    required: true
  persist:
    description:
      - Also write the values to O(sysctl_file), so that they survive a reboot.
    type: bool
    default: true
  sysctl_file:
    description:
      - The sysctl.d file this collection manages. Keys already in it are updated in place, others appended.
    type: path
    default: /etc/sysctl.d/90-hanet-failover.conf
notes:
  - Runs in the network namespace of the Ansible process on the target; /proc/sys/net is per namespace.
  - keepalived sets some of these values itself on its VMAC and parent interfaces (arp_ignore, arp_filter,
    accept_local, rp_filter); do not fight those values.
seealso:
  - module: hanet.failover.failover_info
'''

EXAMPLES = r'''
- name: Answer ARP only for addresses on the receiving interface, announce from the best source
  hanet.failover.arp_sysctl:
    interface: eth0
    settings:
      arp_ignore: 1
      arp_announce: 2
      arp_notify: 1

- name: Send unsolicited NAs when a link comes up, on every interface created later
  hanet.failover.arp_sysctl:
    interface: default
    settings:
      ndisc_notify: 1

- name: Try a value without persisting it
  hanet.failover.arp_sysctl:
    interface: eth0
    settings:
      arp_accept: 1
    persist: false
'''

RETURN = r'''
live:
  description: Live values after the task (as they would be, in check mode), by key.
  returned: always
  type: dict
  sample: {"arp_ignore": 1, "arp_announce": 2}
effective:
  description:
    - What the kernel applies on the interface after combining with C(all), by key.
      Equals RV(live) for V(all) and V(default).
  returned: always
  type: dict
  sample: {"arp_ignore": 1, "arp_announce": 2}
persisted:
  description: The lines written for these keys in O(sysctl_file) (empty when O(persist=false)).
  returned: always
  type: dict
  sample: {"net.ipv4.conf.eth0.arp_ignore": 1}
sysctl_file:
  description: The persisted file.
  returned: always
  type: str
  sample: /etc/sysctl.d/90-hanet-failover.conf
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hanet.failover.plugins.module_utils._change_tracker import ChangeTracker
from ansible_collections.hanet.failover.plugins.module_utils import _sysctl as sysctl

HEADER = [
    '# Managed by the hanet.failover collection (hanet.failover.arp_sysctl).',
    '# Lines for other keys are kept; edits to managed keys are overwritten.',
]


def validated(module):
    params = module.params
    try:
        sysctl.check_interface_name(params['interface'])
        if not params['settings']:
            raise sysctl.SysctlError('settings: give at least one key, such as {arp_ignore: 1}')
        wanted = dict((key, sysctl.check_setting(key, value)) for key, value in params['settings'].items())
    except sysctl.SysctlError as exc:
        module.fail_json(msg=str(exc))
    interface = params['interface']
    for key in wanted:
        family = sysctl.family_of(key)
        if not sysctl.interface_exists(interface, family):
            module.fail_json(msg='interface: there is no %s interface named %s in this network namespace '
                                 '(no %s)' % (family, interface, sysctl.conf_dir(interface, family)))
        if sysctl.read_value(interface, key) is None:
            module.fail_json(msg='settings.%s: this kernel has no %s' % (key, sysctl.proc_path(interface, key)))
    if params['persist'] and not os.path.isdir(os.path.dirname(params['sysctl_file']) or '.'):
        module.fail_json(msg='sysctl_file: the directory of %s does not exist' % params['sysctl_file'])
    return wanted


def write_file(module, path, text):
    directory = os.path.dirname(path) or '.'
    handle, tmp = tempfile.mkstemp(dir=directory, prefix='.hanet-sysctl-')
    with os.fdopen(handle, 'w') as stream:
        stream.write(text)
    os.chmod(tmp, 0o644)
    module.atomic_move(tmp, path)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            interface=dict(type='str', required=True),
            settings=dict(type='dict', required=True),
            persist=dict(type='bool', default=True),
            sysctl_file=dict(type='path', default='/etc/sysctl.d/90-hanet-failover.conf'),
        ),
        supports_check_mode=True,
    )
    wanted = validated(module)
    params = module.params
    interface, path = params['interface'], params['sysctl_file']

    live_before = dict((key, sysctl.read_value(interface, key)) for key in wanted)
    names = dict((key, sysctl.persisted_name(interface, key)) for key in wanted)
    lines, stored = sysctl.read_persisted(path) if params['persist'] else ([], {})

    def stored_value(name):
        text = stored.get(sysctl.canonical_name(name))
        try:
            return int(text)
        except (TypeError, ValueError):
            return text

    before = {'live': live_before}
    after = {'live': dict(wanted)}
    if params['persist']:
        before['persisted'] = dict((names[key], stored_value(names[key])) for key in wanted)
        after['persisted'] = dict((names[key], wanted[key]) for key in wanted)
    tracker = ChangeTracker(before)
    tracker.replace(after)

    if tracker.changed and not module.check_mode:
        for key, value in wanted.items():
            if live_before[key] != value:
                try:
                    sysctl.write_value(interface, key, value)
                except (IOError, OSError) as exc:
                    module.fail_json(msg='settings.%s: the kernel refused %d for %s (%s)'
                                         % (key, value, sysctl.proc_path(interface, key), exc))
        if params['persist'] and before['persisted'] != after['persisted']:
            text = sysctl.render_persisted(lines, after['persisted'], HEADER)
            try:
                write_file(module, path, text)
            except (IOError, OSError) as exc:
                module.fail_json(msg='sysctl_file: cannot write %s (%s)' % (path, exc))

    effective = {}
    for key, value in wanted.items():
        if interface in ('all', 'default'):
            effective[key] = value
            continue
        effective[key] = sysctl.effective_value(key, sysctl.read_value('all', key), value)
        if effective[key] != value:
            module.warn('%s on %s is %d but the kernel applies %d because net.%s.conf.all.%s is %d'
                        % (key, interface, value, effective[key], sysctl.family_of(key), key,
                           sysctl.read_value('all', key)))
    module.exit_json(live=tracker.after['live'], effective=effective, persisted=tracker.after.get('persisted', {}),
                     sysctl_file=path, **tracker.result(module))


if __name__ == '__main__':
    main()
