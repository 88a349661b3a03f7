# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checks across the clusters of one play (plugin_utils/_fleet_validation.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hanet.failover.plugins.plugin_utils._fleet_validation import fleet_problems, outside_entries


def vip(name, address, vrid, mac_mode='garp'):
    return {'name': name, 'address': address, 'interface': 'eth0', 'vrid': vrid, 'mac_mode': mac_mode}


def cluster(name, hosts, vips, backend='keepalived'):
    return [{'name': host, 'cluster_name': name, 'members': list(hosts), 'backend': backend, 'profile': 'default',
             'vips': vips} for host in hosts]


def test_one_cluster_has_nothing_to_say():
    assert fleet_problems(cluster('web', ['a', 'b'], [vip('web', '198.51.100.10/24', 10)])) == []


def test_clusters_with_their_own_vrids_pass():
    hosts = (cluster('web', ['a', 'b'], [vip('web', '198.51.100.10/24', 10)])
             + cluster('db', ['c', 'd'], [vip('db', '198.51.100.20/24', 20)])
             # Another segment may reuse a VRID.
             + cluster('edge', ['e', 'f'], [vip('edge', '203.0.113.10/24', 10)], backend='ucarp'))
    assert fleet_problems(hosts) == []


def test_a_vrid_shared_on_one_segment_names_both_clusters():
    hosts = (cluster('web', ['a', 'b'], [vip('web', '198.51.100.10/24', 10, 'vmac')])
             + cluster('db', ['c', 'd'], [vip('db', '198.51.100.20/24', 10)]))
    assert fleet_problems(hosts) == [
        'cluster_vips[web].vrid: cluster web uses VRID 10 on 198.51.100.0/24, like cluster_vips[db] of cluster db on '
        '198.51.100.0/24; clusters that share a segment need VRIDs of their own (their adverts would collide)']


def test_members_disagreeing_on_their_cluster():
    hosts = cluster('web', ['a', 'b'], [vip('web', '198.51.100.10/24', 10)])
    hosts[1]['members'] = ['a', 'b', 'c']
    problems = fleet_problems(hosts)
    assert problems[0] == ('cluster_members: the hosts of cluster_name web disagree on its members (a say a, b; b say '
                           'a, b, c); give them one cluster_members (cluster_group), or each cluster its own '
                           'cluster_name')


def test_a_host_outside_its_cluster_and_a_host_in_two():
    hosts = cluster('web', ['a', 'b'], [vip('web', '198.51.100.10/24', 10)])
    hosts += cluster('db', ['b', 'c'], [vip('db', '198.51.100.20/24', 20)])[1:]
    hosts.append({'name': 'x', 'cluster_name': 'db', 'members': ['b', 'c'], 'backend': 'keepalived', 'vips': []})
    problems = fleet_problems(hosts)
    assert ("cluster_members: x is in this play with cluster_name db, but not among that cluster's members (b, c); "
            "add it to the cluster's group, or leave it out of the play") in problems
    assert 'cluster_members: b is a member of db and web; a host carries the VIPs of one cluster only' in problems


def test_pacemaker_clusters_are_deployed_one_per_play():
    hosts = (cluster('web', ['a', 'b'], [vip('web', '198.51.100.10/24', 10)], backend='pacemaker')
             + cluster('db', ['c', 'd'], [vip('db', '198.51.100.20/24', 20)]))
    assert fleet_problems(hosts) == [
        'cluster_backend: pacemaker (cluster web) in a play with other clusters; a play deploys one Pacemaker cluster (its '
        'key and CIB are written once per play). Deploy each Pacemaker cluster in a play of its own (--limit its '
        'group)']


def test_vips_that_do_not_resolve_are_left_to_the_cluster_preflight():
    hosts = (cluster('web', ['a', 'b'], [{'name': 'web'}, 'junk'])
             + cluster('db', ['c', 'd'], [vip('db', '198.51.100.20/24', 20)]))
    assert fleet_problems(hosts) == []


def test_a_ucarp_vhid_counts_as_a_vrid():
    # VRRP and CARP are both IP protocol 112 and share the 00:00:5e:00:01:ID MACs.
    hosts = (cluster('web', ['a', 'b'], [vip('web', '198.51.100.10/24', 10)])
             + cluster('api', ['c', 'd'], [dict(vip('api', '198.51.100.20/24', 10), auth_pass='s3cret')],
                       backend='ucarp'))
    assert [problem.split(':')[0] for problem in fleet_problems(hosts)] == ['cluster_vips[web].vrid']


def test_one_address_in_two_clusters():
    hosts = (cluster('web', ['a', 'b'], [vip('web', '198.51.100.10/24', 10)])
             + cluster('db', ['c', 'd'], [vip('db', '198.51.100.10/24', 20)]))
    assert fleet_problems(hosts) == [
        "cluster_vips[web].address: cluster web has 198.51.100.10, like cluster_vips[db] of cluster db; a VIP belongs "
        "to one cluster (both clusters' holders would answer for it)"]


def test_overlapping_subnets_are_one_segment():
    hosts = (cluster('web', ['a', 'b'], [vip('web', '198.51.100.10/24', 10)])
             + cluster('db', ['c', 'd'], [vip('db', '198.51.100.200/25', 10)]))
    assert [problem.split(':')[0] for problem in fleet_problems(hosts)] == ['cluster_vips[web].vrid']
    # Another family on the same VRID is another protocol instance.
    hosts[2:] = cluster('db', ['c', 'd'], [vip('db', '2001:db8::10/64', 10)])
    assert fleet_problems(hosts) == []


def test_clusters_outside_the_run_are_checked_against_it():
    running = cluster('web', ['a', 'b'], [vip('web', '198.51.100.10/24', 10)])
    outside = (cluster('db', ['c', 'd'], [vip('db', '198.51.100.20/24', 10)])
               + cluster('edge', ['e', 'f'], [vip('edge', '198.51.100.30/24', 30)])
               + cluster('old', ['g', 'h'], [vip('old', '198.51.100.31/24', 30)])
               # the running cluster's own member left out of the play: not another cluster
               + cluster('web', ['a', 'b'], [vip('web', '198.51.100.10/24', 10)])[:1])
    # edge and old collide with each other, not with this run: not this run's to refuse.
    assert fleet_problems(running, outside) == [
        'cluster_vips[db].vrid: cluster db (not in this run) uses VRID 10 on 198.51.100.0/24, like cluster_vips[web] '
        'of cluster web on 198.51.100.0/24; clusters that share a segment need VRIDs of their own (their adverts '
        'would collide)']


def test_outside_entries_come_from_the_inventory_with_the_role_defaults():
    hostvars = {'c': {'cluster_group': 'db', 'cluster_vips': [vip('db', '198.51.100.20/24', 10)]},
                'd': {'cluster_name': 'x'},
                'e': None}
    entries = outside_entries(['c', 'd', 'e'], hostvars, {'db': ['c', 'z']})
    assert entries == [
        {'name': 'c', 'cluster_name': 'hanet', 'members': ['c', 'z'], 'backend': 'keepalived', 'profile': 'default',
         'vips': [vip('db', '198.51.100.20/24', 10)]},
        {'name': 'd', 'cluster_name': 'x', 'members': [], 'backend': 'keepalived', 'profile': 'default', 'vips': []}]
