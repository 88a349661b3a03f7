# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ARP/ND sysctls that matter for failover: catalogue, live access, persisted file.

Live values are read and written under /proc/sys of the caller's network
namespace. The persisted file is a sysctl.d(5) file that this collection owns;
lines for keys it is not told about are kept as they are.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.hanet.failover.plugins.module_utils._ifname import check_ifname

PROC_ROOT = '/proc/sys'

# key -> (address family directory, allowed values, how the kernel combines
# net.*.conf.all.KEY with the per-interface value: 'max' or 'or').
KEYS = {
    'arp_notify': ('ipv4', (0, 1), 'max'),
    'arp_ignore': ('ipv4', (0, 1, 2, 3, 8), 'max'),
    'arp_announce': ('ipv4', (0, 1, 2), 'max'),
    'arp_filter': ('ipv4', (0, 1), 'or'),
    'arp_accept': ('ipv4', (0, 1, 2), 'max'),
    'rp_filter': ('ipv4', (0, 1, 2), 'max'),
    'accept_local': ('ipv4', (0, 1), 'or'),
    'promote_secondaries': ('ipv4', (0, 1), 'or'),
    'ndisc_notify': ('ipv6', (0, 1), 'or'),
}

_LINE = re.compile(r'^\s*-?\s*(?P<key>[^=#;\s][^=]*?)\s*=\s*(?P<value>.*?)\s*$')


class SysctlError(ValueError):
    """A sysctl request that cannot be carried out."""


def check_interface_name(name, field='interface'):
    """Validate an interface name (all and default are names here too)."""
    try:
        return check_ifname(name, field)
    except ValueError as exc:
        raise SysctlError(str(exc))


def check_setting(key, value, field='settings'):
    """Return the int value for ``key`` or raise SysctlError naming the field and allowed values."""
    if key not in KEYS:
        raise SysctlError('%s: unknown key %r; supported keys: %s' % (field, key, ', '.join(sorted(KEYS))))
    allowed = KEYS[key][1]
    if isinstance(value, bool):
        number = int(value)
    else:
        try:
            number = int(str(value).strip(), 10)
        except (TypeError, ValueError):
            raise SysctlError('%s.%s: %r is not a number; allowed values: %s'
                              % (field, key, value, ', '.join(str(v) for v in allowed)))
    if number not in allowed:
        raise SysctlError('%s.%s: %d is out of range; allowed values: %s'
                          % (field, key, number, ', '.join(str(v) for v in allowed)))
    return number


def family_of(key):
    return KEYS[key][0]


def proc_path(interface, key, root=PROC_ROOT):
    return os.path.join(root, 'net', family_of(key), 'conf', interface, key)


def conf_dir(interface, family='ipv4', root=PROC_ROOT):
    return os.path.join(root, 'net', family, 'conf', interface)


def interface_exists(interface, family='ipv4', root=PROC_ROOT):
    return os.path.isdir(conf_dir(interface, family, root))


def read_value(interface, key, root=PROC_ROOT):
    """The live value, or None when this kernel has no such key for that interface."""
    try:
        with open(proc_path(interface, key, root)) as handle:
            return int(handle.read().strip())
    except (IOError, OSError):
        return None


def write_value(interface, key, value, root=PROC_ROOT):
    with open(proc_path(interface, key, root), 'w') as handle:
        handle.write('%d\n' % value)


def effective_value(key, all_value, interface_value):
    """What the kernel applies on an interface, from the all and per-interface values."""
    if all_value is None or interface_value is None:
        return interface_value if all_value is None else all_value
    if KEYS[key][2] == 'or':
        return 1 if (all_value or interface_value) else 0
    return max(all_value, interface_value)


def persisted_name(interface, key):
    """sysctl.d key for interface/key. Names with a dot need slash notation (keepalived #823)."""
    family = family_of(key)
    if '.' in interface:
        return 'net/%s/conf/%s/%s' % (family, interface, key)
    return 'net.%s.conf.%s.%s' % (family, interface, key)


def canonical_name(name):
    """Map dotted and slashed sysctl names to one tuple form, for comparisons.

    As in sysctl.d(5): the first separator decides. In the dotted form a "/"
    stands for a dot inside a component (an interface name such as vrrp.51).
    """
    name = name.strip()
    first = re.search(r'[./]', name)
    if first and first.group() == '/':
        return tuple(name.split('/'))
    return tuple(part.replace('/', '.') for part in name.split('.'))


def read_persisted(path):
    """Return (lines, values) of a sysctl.d file; values maps canonical name to its text value."""
    try:
        with open(path) as handle:
            lines = handle.read().splitlines()
    except (IOError, OSError):
        return [], {}
    values = {}
    for line in lines:
        if line.lstrip().startswith(('#', ';')):
            continue
        match = _LINE.match(line)
        if match:
            values[canonical_name(match.group('key'))] = match.group('value')
    return lines, values


def render_persisted(lines, updates, header):
    """New file text: ``updates`` (sysctl name -> int) replace matching lines or are appended."""
    pending = dict((canonical_name(name), (name, value)) for name, value in updates.items())
    out = []
    if not lines:
        out.extend(header)
    for line in lines:
        match = None if line.lstrip().startswith(('#', ';')) else _LINE.match(line)
        key = canonical_name(match.group('key')) if match else None
        if key in pending:
            name, value = pending.pop(key)
            out.append('%s = %d' % (name, value))
        else:
            out.append(line)
    for key in sorted(pending):
        name, value = pending[key]
        out.append('%s = %d' % (name, value))
    return '\n'.join(out) + '\n'
