# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The checks across the clusters of one play (a fleet): each cluster's own model is _cluster_validation's.

One play may deploy many clusters, each its own cluster_name, cluster_members (from a group per cluster,
cluster_group) and VIPs. What one cluster's preflight cannot see is checked here, from one entry per host of the
play: that the hosts agree on who is in which cluster, that no host is in two, and that clusters on one segment
do not share a VRID (their adverts, and in vmac mode their VRRP MACs, would collide).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible.errors import AnsibleError

from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_validation import ModelError, resolved_vip


def fleet_problems(hosts, outside=()):
    """Problems across the clusters of a play, as messages; ``hosts`` has one entry per host of the play.

    An entry: ``name`` (the host), ``cluster_name``, ``members`` (its cluster_members), ``backend``, ``profile``
    and ``vips`` (its cluster_vips). ``outside``: entries of the same form for the inventory's other members (left
    out by --limit, or failed earlier in the run): their VIPs are checked against this play's, nothing else. A host
    whose VIPs do not resolve is left to its cluster's own preflight.
    """
    errors = []
    clusters = {}
    for host in hosts:
        clusters.setdefault(host['cluster_name'], []).append(host)
    member_of = {}
    for cluster_name, entries in sorted(clusters.items()):
        views = {}
        for host in entries:
            views.setdefault(tuple(sorted(host['members'] or [])), []).append(host['name'])
        if len(views) > 1:
            errors.append('cluster_members: the hosts of cluster_name %s disagree on its members (%s); give them '
                          'one cluster_members (cluster_group), or each cluster its own cluster_name'
                          % (cluster_name, '; '.join('%s say %s' % (', '.join(sorted(names)), ', '.join(view) or 'none')
                                                     for view, names in sorted(views.items()))))
        for host in entries:
            if host['name'] not in (host['members'] or []):
                errors.append('cluster_members: %s is in this play with cluster_name %s, but not among that cluster\'s '
                              'members (%s); add it to the cluster\'s group, or leave it out of the play'
                              % (host['name'], cluster_name, ', '.join(host['members'] or []) or 'none'))
            for member in host['members'] or []:
                member_of.setdefault(member, set()).add(cluster_name)
    for member, names in sorted(member_of.items()):
        if len(names) > 1:
            errors.append('cluster_members: %s is a member of %s; a host carries the VIPs of one cluster only'
                          % (member, ' and '.join(sorted(names))))
    if len(clusters) > 1:
        pacemaker = sorted(name for name, entries in clusters.items() if entries[0]['backend'] == 'pacemaker')
        if pacemaker:
            errors.append('cluster_backend: pacemaker (cluster %s) in a play with other clusters; a play deploys one '
                          'Pacemaker cluster (its key and CIB are written once per play). Deploy each Pacemaker '
                          'cluster in a play of its own (--limit its group)' % ', '.join(pacemaker))
    others = {}
    for host in outside:
        if host['cluster_name'] not in clusters:
            others.setdefault(host['cluster_name'], []).append(host)
    errors.extend(_vip_collisions(clusters, others))
    return errors


def _resolved(entries):
    host = entries[0]
    for raw in host['vips'] or []:
        try:
            yield resolved_vip(raw, host.get('profile') or 'default', host['backend'])
        except (ModelError, KeyError, TypeError, ValueError):
            continue


def _vip_collisions(clusters, others):
    """A VIP address in two clusters, or one VRID (or ucarp vhid) in two clusters on overlapping subnets of one
    address family; only pairs with a cluster of this play, each pair named once."""
    seen = []
    for in_play, group in ((True, clusters), (False, others)):
        for cluster_name, entries in sorted(group.items()):
            seen.extend((cluster_name, in_play, vip) for vip in _resolved(entries))
    by_address = {}
    by_vrid = {}
    errors = []
    for cluster_name, in_play, vip in seen:
        iface = ipaddress.ip_interface(vip['address'])
        where = '' if in_play else ' (not in this run)'
        for other_name, other_in_play, other in by_address.get(iface.ip, []):
            if other_name != cluster_name and (in_play or other_in_play):
                errors.append('cluster_vips[%s].address: cluster %s%s has %s, like cluster_vips[%s] of cluster %s%s; a '
                              'VIP belongs to one cluster (both clusters\' holders would answer for it)'
                              % (vip['name'], cluster_name, where, iface.ip, other['name'], other_name,
                                 '' if other_in_play else ' (not in this run)'))
        by_address.setdefault(iface.ip, []).append((cluster_name, in_play, vip))
        for other_name, other_in_play, other in by_vrid.get((vip['vrid'], vip['family']), []):
            other_net = ipaddress.ip_interface(other['address']).network
            if other_name != cluster_name and (in_play or other_in_play) and iface.network.overlaps(other_net):
                errors.append('cluster_vips[%s].vrid: cluster %s%s uses VRID %d on %s, like cluster_vips[%s] of '
                              'cluster %s%s on %s; clusters that share a segment need VRIDs of their own (their '
                              'adverts would collide)'
                              % (vip['name'], cluster_name, where, vip['vrid'], iface.network, other['name'],
                                 other_name, '' if other_in_play else ' (not in this run)', other_net))
        by_vrid.setdefault((vip['vrid'], vip['family']), []).append((cluster_name, in_play, vip))
    return errors


def outside_entries(names, hostvars, groups):
    """Entries for fleet_problems' ``outside`` from the inventory alone (no facts): the cluster role's defaults
    where a host does not set a variable. A host whose variables cannot be read is left out."""
    entries = []
    for name in names:
        try:
            host = hostvars[name]
            group = host.get('cluster_group')
            entries.append({'name': name, 'cluster_name': host.get('cluster_name', 'hanet'),
                            'members': list(groups.get(group, [])) if group else [],
                            'backend': host.get('cluster_backend', 'keepalived'),
                            'profile': host.get('cluster_profile', 'default'),
                            'vips': list(host.get('cluster_vips') or [])})
        except (AnsibleError, AttributeError, KeyError, TypeError, ValueError):
            # An undefined or failing variable of a host outside this run is for that host's own run to report.
            continue
    return entries
