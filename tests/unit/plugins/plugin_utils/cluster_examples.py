# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Members and VIPs the cluster model's tests share (not a test module)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

LINKS = [{'name': 'eth0', 'mac': '02:00:00:00:00:01',
          'addresses': [{'address': '198.51.100.11', 'prefixlen': 24, 'family': 4}]}]
VIPS = [
    {'name': 'web', 'address': '198.51.100.100/24', 'interface': 'eth0', 'vrid': 51, 'mac_mode': 'vmac'},
    {'name': 'api6', 'address': '2001:db8::101/64', 'interface': 'eth0', 'vrid': 52, 'mac_mode': 'garp'},
]
UCARP_VIPS = [
    {'name': 'web', 'address': '198.51.100.100/24', 'interface': 'eth0', 'vrid': 51, 'mac_mode': 'vmac',
     'auth_pass': 'ucarp-web-secret'},
    {'name': 'api', 'address': '198.51.100.101/24', 'interface': 'eth0', 'vrid': 52, 'auth_pass': 'other'},
]


def members(vips=None, second=None, priorities=(150, 100)):
    first = {'name': 'n1', 'vips': copy.deepcopy(vips or VIPS), 'priority': priorities[0], 'links': LINKS}
    other = {'name': 'n2', 'vips': copy.deepcopy(second if second is not None else vips or VIPS),
             'priority': priorities[1], 'links': LINKS}
    return [first, other]
