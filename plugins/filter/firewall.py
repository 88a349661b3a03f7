# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Host firewall filters used by the cluster role: advert_peers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.hanet.failover.plugins.plugin_utils import _advert_peers, _cluster_validation


def advert_peers(member, members, profile='default', backend='keepalived'):
    try:
        return _advert_peers.advert_peers(member, list(members), profile, backend)
    except _cluster_validation.ModelError as exc:
        raise AnsibleFilterError('hanet.failover.advert_peers: %s' % exc)


class FilterModule(object):
    """Host firewall filters of hanet.failover."""

    def filters(self):
        return {'advert_peers': advert_peers}
