# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Print the live nftables ruleset without the rules tagged hanet-failover:*, without keepalived's own table and
without handles: what the admin's own rules are, to compare before and after the role. Run on a member.

keepalived 2.2 adds a table of its own (``ip keepalived``, an output chain that copies IGMP from its vmac
interfaces to the parent) when it creates a vmac interface; it is keepalived's, not the admin's or the role's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import subprocess


def keepalived_table(item):
    """The table ip keepalived itself, or a chain, map, set or rule in it."""
    kind, body = next(iter(item.items()))
    table = body.get('name') if kind == 'table' else body.get('table')
    return body.get('family') == 'ip' and table == 'keepalived'


items = json.loads(subprocess.check_output(['nft', '-j', 'list', 'ruleset']))['nftables']
kept = [item for item in items if 'metainfo' not in item and not keepalived_table(item)
        and not ('rule' in item and str(item['rule'].get('comment', '')).startswith('hanet-failover:'))]
# Handles are the kernel's numbering: a reload (flush ruleset, load the file) gives the tables new ones. The rules'
# content and order are what the admin wrote. (tests/integration/test_advert_firewall.py checks the handles too.)
for item in kept:
    next(iter(item.values())).pop('handle', None)
print(json.dumps(kept, sort_keys=True, indent=1))
