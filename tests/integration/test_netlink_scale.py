# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The netlink layer reads one link's addresses without a dump of every address (bench/modules.py measures it).

With 60 macvlans holding one address each, list_addresses(ipr, index) must get from the kernel only the
messages of that link: the kernel filters a strict socket's dump by the index in the request header, which
each pyroute2 generation sends only when asked its own way. Run with both generations.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

from conftest import REPO, sh

LINKS = 60

SCRIPT = r'''
import json, sys
sys.path.insert(0, sys.argv[1])
sys.path.append(sys.argv[2])  # ansible's module_utils, after the interpreter's own pyroute2
from ansible_collections.hanet.failover.plugins.module_utils import _netlink

seen = []


def counting(msg):
    # list_addresses hands the library this filter; the library calls it once per message from the kernel.
    seen.append(msg['index'])
    return True


_netlink._every = counting
with _netlink.iproute() as ipr:
    index = _netlink.get_link(ipr, name=sys.argv[3])['index']
    records = _netlink.list_addresses(ipr, index)
print(json.dumps({'index': index, 'seen': seen, 'records': [(r['index'], r['address']) for r in records]}))
'''


def test_one_links_addresses_come_filtered_by_the_kernel(lab):
    batch = ''.join('link add bm%d link eth0 up type macvlan mode private\n' % i for i in range(LINKS))
    batch += ''.join('addr add 203.0.113.%d/32 dev bm%d\n' % (i + 1, i) for i in range(LINKS))
    sh('ip', '-n', lab.ns, '-batch', '-', input=batch)
    site = [p for p in sys.path if p.endswith('site-packages')][-1]
    collections = os.path.join(REPO, '.build', 'collections')
    out = sh('ip', 'netns', 'exec', lab.ns, lab.python, '-c', SCRIPT, collections, site, 'bm30').stdout
    result = json.loads(out)
    v4 = [rec for rec in result['records'] if rec[1] == '203.0.113.31']
    assert v4 == [[result['index'], '203.0.113.31']], result['records']
    # Only that link's messages came back (its IPv4 address and IPv6 link-local), not the ~120 of the namespace.
    assert result['seen'] and set(result['seen']) == {result['index']}, \
        'the kernel sent %d messages for links %s' % (len(result['seen']), sorted(set(result['seen']))[:10])
