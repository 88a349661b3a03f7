# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The cluster model's checks (plugins/plugin_utils/_cluster_validation.py): resolved VIPs and the preflight."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_validation import (
    ModelError, preflight, resolved_vip)
from ansible_collections.hanet.failover.tests.unit.plugins.plugin_utils.cluster_examples import (
    LINKS, UCARP_VIPS, VIPS, members)


def test_a_good_model_passes():
    assert preflight(members()) == []


@pytest.mark.parametrize('change,message', [
    ({'vrid': 0}, 'cluster_vips[web].vrid: 0 is out of range; give 1 to 255'),
    ({'vrid': 'x'}, "cluster_vips[web].vrid: 'x' is not a number"),
    ({'address': '198.51.100.100'}, 'cluster_vips[web].address: 198.51.100.100 has no prefix length'),
    ({'address': 'nonsense/24'}, 'cluster_vips[web].address: nonsense/24 is not an IP address'),
    ({'address': '203.0.113.10/24'}, 'cluster_vips[web].address: 203.0.113.10/24 is outside the subnets of eth0'),
    ({'interface': 'eth9'}, 'cluster_vips[web].interface: there is no interface eth9 on this host'),
    ({'mac_mode': 'bridge'}, "cluster_vips[web].mac_mode: 'bridge' is not one of garp, vmac"),
    ({'mac': '01:00:5e:00:00:12'}, 'cluster_vips[web].mac: 01:00:5e:00:00:12 is a multicast MAC'),
    ({'mac': '00:1b:21:00:00:01'}, 'cluster_vips[web].mac: 00:1b:21:00:00:01 is a universally administered MAC'),
    ({'mac_mode': 'garp', 'mac': '02:00:00:00:00:05'}, 'cluster_vips[web].mac: a MAC applies only to mac_mode vmac'),
    ({'advert_int': 0.5}, 'cluster_vips[web].advert_int: VRRPv2 takes whole seconds from 1 to 255'),
    ({'version': 3, 'advert_int': 0.005}, 'cluster_vips[web].advert_int: VRRPv3 takes 0.01 to 40.95 seconds'),
    ({'version': 3, 'auth_pass': 'pw'}, 'cluster_vips[web].auth_pass: VRRPv3 has no authentication'),
    ({'auth_pass': 'far-too-long'}, 'cluster_vips[web].auth_pass: give 1 to 8 characters'),
    ({'version': 4}, 'cluster_vips[web].version: 4 is not 2 or 3'),
])
def test_bad_vip_fields_are_named(change, message):
    vips = copy.deepcopy(VIPS)
    vips[0].update(change)
    errors = preflight(members(vips))
    assert any(message in error for error in errors), errors


def test_ipv6_needs_vrrp3():
    vips = copy.deepcopy(VIPS)
    vips[1]['version'] = 2
    assert any('cluster_vips[api6].version: IPv6 VIPs need VRRP version 3' in e for e in preflight(members(vips)))


def test_members_must_agree_and_secrets_are_not_shown():
    second = copy.deepcopy(VIPS)
    second[0]['advert_int'] = 2
    second[0]['auth_pass'] = 'other'
    first = copy.deepcopy(VIPS)
    first[0]['auth_pass'] = 'mine'
    errors = preflight(members(first, second))
    assert 'members disagree on cluster_vips[web].advert_int: n1=1, n2=2' in errors
    assert 'members disagree on cluster_vips[web].auth_pass: n1=<secret>, n2=<secret>' in errors
    assert not any('mine' in e or 'other' in e for e in errors)


def test_missing_vip_on_a_member():
    errors = preflight(members(VIPS, VIPS[:1]))
    assert 'cluster_vips[api6] is defined on n1 but not on n2; every member carries every VIP' in errors


def test_priorities_must_exist_differ_and_be_in_range():
    assert any('n1 and n2 share priority 100' in e for e in preflight(members(priorities=(100, 100))))
    assert any('priority 255 is out of range' in e for e in preflight(members(priorities=(255, 100))))
    assert any('n1: cluster_vips[web] has no priority' in e for e in preflight(members(priorities=(None, 100))))


def test_vrid_collision_on_one_segment_but_not_across_families():
    vips = copy.deepcopy(VIPS) + [{'name': 'web2', 'address': '198.51.100.101/24', 'interface': 'eth0', 'vrid': 51}]
    errors = preflight(members(vips))
    assert any('cluster_vips[web2].vrid: VRID 51 is already used by cluster_vips[web]' in e for e in errors)
    vips[2]['vrid'] = 52  # the IPv6 VIP uses 52 too: another address family, no collision
    assert preflight(members(vips)) == []


def test_one_member_is_not_a_cluster():
    assert any('needs at least two members, got n1' in e for e in preflight(members()[:1]))


def test_a_good_ucarp_model_passes():
    assert preflight(members(UCARP_VIPS), backend='ucarp') == []


@pytest.mark.parametrize('change,message', [
    ({'address': '2001:db8::100/64'}, 'cluster_vips[web].address: ucarp 1.5 carries IPv4 addresses only'),
    ({'auth_pass': None}, 'cluster_vips[web].auth_pass: ucarp needs a password'),
    ({'auth_pass': 'has space'}, 'cluster_vips[web].auth_pass: give 1 to 19 bytes of printable characters'),
    # ucarp exits with "Password too long" above 19 bytes (its 20-byte key keeps the terminating NUL).
    ({'auth_pass': 'x' * 20}, 'cluster_vips[web].auth_pass: give 1 to 19 bytes of printable characters'),
    ({'auth_pass': '\u00e9' * 10}, 'cluster_vips[web].auth_pass: give 1 to 19 bytes of printable characters'),
    ({'advert_int': 0.5}, 'cluster_vips[web].advert_int: ucarp advertises in whole seconds from 1 to 255'),
    ({'advert_int': 256}, 'cluster_vips[web].advert_int: ucarp advertises in whole seconds from 1 to 255'),
    ({'deadratio': 0}, 'cluster_vips[web].deadratio: give a whole number from 1 to 255'),
    ({'version': 3}, 'cluster_vips[web].version applies to keepalived only'),
    ({'preempt_delay': 5}, 'cluster_vips[web].preempt_delay applies to keepalived only'),
    ({'vrid': 256}, 'cluster_vips[web].vrid: 256 is out of range; give 1 to 255'),
    ({'name': 'web/../x'}, "cluster_vips[web/../x].name: 'web/../x' is not a usable name"),
])
def test_bad_ucarp_fields_are_named(change, message):
    vips = copy.deepcopy(UCARP_VIPS)
    vips[0].update(change)
    errors = preflight(members(vips), backend='ucarp')
    assert any(message in error for error in errors), errors


def test_ucarp_members_must_share_one_password_and_it_is_not_shown():
    other = copy.deepcopy(UCARP_VIPS)
    other[0]['auth_pass'] = 'a-different-secret'
    errors = preflight(members(UCARP_VIPS, second=other), backend='ucarp')
    assert errors == ['members disagree on cluster_vips[web].auth_pass: n1=<secret>, n2=<secret>']


def test_the_other_daemon_running_is_refused():
    group = members(UCARP_VIPS)
    group[1]['daemons'] = {'keepalived': {'running': True, 'pids': [7]}, 'ucarp': {'running': False, 'pids': []}}
    errors = preflight(group, backend='ucarp')
    assert len(errors) == 1 and errors[0].startswith('n2: keepalived is running but cluster_backend is ucarp')
    group = members()
    group[0]['daemons'] = {'keepalived': {'running': False, 'pids': []}, 'ucarp': {'running': True, 'pids': [9]}}
    assert preflight(group)[0].startswith('n1: ucarp is running but cluster_backend is keepalived')


def test_the_other_daemon_deployed_by_the_role_is_switched_not_refused():
    """A change of cluster_backend: the running daemon is the one the role recorded, and the run replaces it."""
    group = members()
    for member in group:
        member['daemons'] = {'keepalived': {'running': False, 'pids': []}, 'ucarp': {'running': True, 'pids': [9]}}
        member['deployed_backend'] = 'ucarp'
    assert preflight(group) == []
    group[1]['deployed_backend'] = 'keepalived'
    assert preflight(group)[0].startswith('n2: ucarp is running but cluster_backend is keepalived')


def test_unknown_backend_and_profile_are_named():
    errors = preflight(members(), backend='heartbeat', profile='turbo')
    assert "cluster_backend: 'heartbeat' is not supported; use keepalived, ucarp or pacemaker" in errors
    assert "cluster_profile: 'turbo' is not one of default, fast" in errors


@pytest.mark.parametrize('name', ['web cluster', '-web', 'a' * 65, 'web/1', ''])
def test_an_unusable_cluster_name_is_named(name):
    errors = preflight(members(), cluster_name=name)
    assert [e for e in errors if e.startswith('cluster_name: %r is not usable' % (name,))], errors


def test_unicast_needs_an_own_address_of_the_family():
    vips = [dict(VIPS[1], unicast=True)]  # IPv6, and the members have IPv4 only
    errors = preflight(members(vips))
    assert any('cluster_vips[api6].unicast: unicast adverts need an IPv6 address of this host' in e for e in errors)


def test_two_vmac_vips_cannot_share_a_macvlan_name():
    links = LINKS + [{'name': 'eth1', 'mac': '02:00:00:00:00:11',
                      'addresses': [{'address': '203.0.113.11', 'prefixlen': 24, 'family': 4}]}]
    vips = [VIPS[0], {'name': 'db', 'address': '203.0.113.100/24', 'interface': 'eth1', 'vrid': 51, 'mac_mode': 'vmac'}]
    group = members(vips)
    for member in group:
        member['links'] = links
    errors = preflight(group)
    assert errors == ['cluster_vips[web].vrid: its vmac interface would be vrrp.51, like the one of cluster_vips[db]; '
                      'give one of them another VRID']
    vips[1]['mac_mode'] = 'garp'
    group = members(vips)
    for member in group:
        member['links'] = links
    assert preflight(group) == []


@pytest.mark.parametrize('password', ['a"b', 'tab\tx', 'a{b', 'a}b', '$x', 'a\\', '\u00e9t\u00e9', 'x\x00'])
def test_keepalived_auth_pass_must_be_what_its_parser_reads_back_in_quotes(password):
    vip = {'name': 'web', 'address': '198.51.100.10/24', 'interface': 'eth0', 'vrid': 51, 'mac_mode': 'garp',
           'auth_pass': password}
    with pytest.raises(ModelError, match=r'cluster_vips\[web\]\.auth_pass: keepalived would not read it back'):
        resolved_vip(vip, 'default', 'keepalived')


@pytest.mark.parametrize('password', ['with sp', 'a#b', 'a!b', "a'b", 12345678])
def test_keepalived_auth_pass_in_quotes_keeps_spaces_hashes_and_bangs(password):
    # The role writes auth_pass "..." (roles/keepalived/templates/auth_pass.j2), where keepalived keeps these.
    vip = {'name': 'web', 'address': '198.51.100.10/24', 'interface': 'eth0', 'vrid': 51, 'mac_mode': 'garp',
           'auth_pass': password}
    assert resolved_vip(vip, 'default', 'keepalived')['auth_pass'] == password
    vips = copy.deepcopy(VIPS)
    vips[0]['auth_pass'] = password
    assert preflight(members(vips)) == []


def test_keepalived_auth_pass_counts_bytes_and_the_error_names_the_field_not_the_secret():
    vips = copy.deepcopy(VIPS)
    vips[0]['auth_pass'] = 'sec"ret'
    errors = preflight(members(vips))
    assert errors and all('cluster_vips[web].auth_pass' in e and 'sec"ret' not in e for e in errors), errors
    vips[0]['auth_pass'] = '\u00e9' * 5  # 5 characters, 10 bytes
    assert any('cluster_vips[web].auth_pass: give 1 to 8 characters' in e for e in preflight(members(vips)))


@pytest.mark.parametrize('track,message', [
    ([{'service': 'haproxy', 'interval': -1}], 'cluster_vips[web].track[0].interval: -1 is out of range'),
    ([{'script': '/usr/local/bin/check db'}], 'cluster_vips[web].track[0].script:'),
    ([{'service': 'not a unit'}], 'cluster_vips[web].track[0].service:'),
    ({'service': 'haproxy'}, 'cluster_vips[web].track: give a list of checks'),
])
def test_bad_checks_are_named_by_the_preflight(track, message):
    vips = copy.deepcopy(VIPS)
    vips[0]['track'] = track
    errors = preflight(members(vips))
    assert any(message in error for error in errors), errors


def test_members_must_agree_on_the_checks():
    first, second = copy.deepcopy(VIPS), copy.deepcopy(VIPS)
    first[0]['track'] = [{'service': 'haproxy'}]
    errors = preflight(members(first, second))
    assert any('track' in error for error in errors), errors
