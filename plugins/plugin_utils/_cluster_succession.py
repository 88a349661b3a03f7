# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The election: a member's priority for a VIP, the members in election order, and who is expected to hold
each VIP (what the drill and the maintenance playbooks wait for).

A member is a dict built by the cluster role on each host:
``{'name': host, 'vips': cluster_vips, 'priority': cluster_priority or None,
'links': failover_info links}``. The backends map the order onto their own terms: keepalived priorities
(_keepalived_render.keepalived_priority), ucarp skews (_ucarp_render.ucarp_instances).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def member_priority(member, vip):
    priorities = vip.get('priorities') or {}
    if member['name'] in priorities:
        return priorities[member['name']]
    return member.get('priority')


def _own_priority(member, vip):
    """A member's priority for ``vip`` as that member's own copy of the VIP (same name) gives it: each member's
    inventory sets what it advertises, and the preflight checks those copies for distinct priorities."""
    own = next((v for v in member.get('vips') or [] if isinstance(v, dict) and v.get('name') == vip.get('name')), vip)
    return member_priority(member, own)


def ranked_members(members, vip):
    """The members that have a priority for ``vip``, in election order: highest priority first (then by name)."""
    return sorted((m for m in members if _own_priority(m, vip) is not None),
                  key=lambda m: (-_own_priority(m, vip), m['name']))


def vip_successions(members, down=None, holders=None):
    """Per VIP name, the member expected to hold it: what the drill and the maintenance playbooks wait for.

    ``members`` as for preflight (name, vips, priority; links are not needed). ``down`` names members out of the
    election (faulted or drained). ``holders`` maps VIP names to the member holding each now (a name or a list
    whose first entry is taken): such a VIP stays where it is unless that member is down. Otherwise VRRP and
    CARP give it to the highest priority among the other members that carry it, its ``priorities`` taking
    precedence over cluster_priority, as keepalived_instances and ucarp_instances configure them.

    Returns ``{name: {'address': ip, 'holder': member or None, 'before': member or None, 'order': [members,
    highest priority first]}}``; no passwords.
    """
    down = set(down or [])
    holders = dict(holders or {})
    ranked = {}
    addresses = {}
    for member in members:
        for vip in member.get('vips') or []:
            if not isinstance(vip, dict) or not vip.get('name'):
                continue
            name = str(vip['name'])
            addresses.setdefault(name, str(vip.get('address', '')).split('/', 1)[0])
            prio = member_priority(member, vip)
            if isinstance(prio, bool) or not isinstance(prio, int):
                try:
                    prio = int(prio)
                except (TypeError, ValueError):
                    continue  # the preflight refuses a member without a usable priority
            ranked.setdefault(name, []).append((-prio, str(member['name'])))
    result = {}
    for name, entries in sorted(ranked.items()):
        order = [host for dummy, host in sorted(entries)]
        before = holders.get(name)
        if isinstance(before, (list, tuple)):
            before = before[0] if before else None
        if before in down or before not in order:
            holder = next((host for host in order if host not in down), None)
        else:
            holder = before
        result[name] = {'address': addresses[name], 'holder': holder, 'before': before, 'order': order}
    return result
