# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One small before/after tracker: every module builds changed and diff with it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy


class ChangeTracker:
    """Record the state before, set what it becomes, and derive changed and diff."""

    def __init__(self, before):
        self.before = copy.deepcopy(before)
        self.after = copy.deepcopy(before)

    def set(self, key, value):
        self.after[key] = value

    def replace(self, after):
        self.after = copy.deepcopy(after)

    @property
    def changed(self):
        return self.before != self.after

    def diff(self):
        return {'before': self.before, 'after': self.after}

    def result(self, module, **extra):
        """Keyword arguments for exit_json: changed, diff when asked, plus ``extra``."""
        result = dict(extra, changed=self.changed)
        if module._diff:
            result['diff'] = self.diff()
        return result
