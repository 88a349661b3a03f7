# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make ``ansible_collections.hanet.failover`` importable from this checkout (see scripts/bootstrap)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, '.build', 'collections')
LINK = os.path.join(COLLECTIONS, 'ansible_collections', 'hanet', 'failover')

if not os.path.exists(LINK) and not REPO.endswith(os.path.join('ansible_collections', 'hanet', 'failover')):
    os.makedirs(os.path.dirname(LINK))
    os.symlink(REPO, LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
