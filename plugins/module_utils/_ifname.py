# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Interface names as the kernel accepts them.

Apart from _netlink (which imports pyroute2) so that code which only needs the check does not pay for pyroute2's
import: _sysctl, and the Pacemaker vmac agent, which runs in a failover's critical path.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

IFNAME_MAX = 15
_IFNAME = re.compile(r'^[^/\s:]+$')


def check_ifname(name, field='interface'):
    """Return ``name`` if the kernel would accept it as an interface name; else ValueError naming ``field``."""
    if not isinstance(name, str) or not name:
        raise ValueError('%s: give an interface name' % field)
    if len(name) > IFNAME_MAX or not _IFNAME.match(name) or name in ('.', '..'):
        raise ValueError('%s: %r is not a valid interface name (1 to %d characters, no "/", ":" or white space)'
                         % (field, name, IFNAME_MAX))
    return name
