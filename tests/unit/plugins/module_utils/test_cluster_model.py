# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.hanet.failover.plugins.module_utils import _cluster_model as model

LINKS = [{'name': 'eth0', 'mac': '02:00:00:00:00:01',
          'addresses': [{'address': '198.51.100.11', 'prefixlen': 24, 'family': 4}]}]
VIPS = [
    {'name': 'web', 'address': '198.51.100.100/24', 'interface': 'eth0', 'vrid': 51, 'mac_mode': 'vmac'},
    {'name': 'api6', 'address': '2001:db8::101/64', 'interface': 'eth0', 'vrid': 52, 'mac_mode': 'garp'},
]


def members(vips=None, second=None, priorities=(150, 100)):
    first = {'name': 'n1', 'vips': copy.deepcopy(vips or VIPS), 'priority': priorities[0], 'links': LINKS}
    other = {'name': 'n2', 'vips': copy.deepcopy(second if second is not None else vips or VIPS),
             'priority': priorities[1], 'links': LINKS}
    return [first, other]


def test_a_good_model_passes():
    assert model.preflight(members()) == []


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
    errors = model.preflight(members(vips))
    assert any(message in error for error in errors), errors


def test_ipv6_needs_vrrp3():
    vips = copy.deepcopy(VIPS)
    vips[1]['version'] = 2
    assert any('cluster_vips[api6].version: IPv6 VIPs need VRRP version 3' in e for e in model.preflight(members(vips)))


def test_members_must_agree_and_secrets_are_not_shown():
    second = copy.deepcopy(VIPS)
    second[0]['advert_int'] = 2
    second[0]['auth_pass'] = 'other'
    first = copy.deepcopy(VIPS)
    first[0]['auth_pass'] = 'mine'
    errors = model.preflight(members(first, second))
    assert 'members disagree on cluster_vips[web].advert_int: n1=1, n2=2' in errors
    assert 'members disagree on cluster_vips[web].auth_pass: n1=<secret>, n2=<secret>' in errors
    assert not any('mine' in e or 'other' in e for e in errors)


def test_missing_vip_on_a_member():
    errors = model.preflight(members(VIPS, VIPS[:1]))
    assert 'cluster_vips[api6] is defined on n1 but not on n2; every member carries every VIP' in errors


def test_priorities_must_exist_differ_and_be_in_range():
    assert any('n1 and n2 share priority 100' in e for e in model.preflight(members(priorities=(100, 100))))
    assert any('priority 255 is out of range' in e for e in model.preflight(members(priorities=(255, 100))))
    assert any('n1: cluster_vips[web] has no priority' in e for e in model.preflight(members(priorities=(None, 100))))


def test_vrid_collision_on_one_segment_but_not_across_families():
    vips = copy.deepcopy(VIPS) + [{'name': 'web2', 'address': '198.51.100.101/24', 'interface': 'eth0', 'vrid': 51}]
    errors = model.preflight(members(vips))
    assert any('cluster_vips[web2].vrid: VRID 51 is already used by cluster_vips[web]' in e for e in errors)
    vips[2]['vrid'] = 52  # the IPv6 VIP uses 52 too: another address family, no collision
    assert model.preflight(members(vips)) == []


def test_one_member_is_not_a_cluster():
    assert any('needs at least two members, got n1' in e for e in model.preflight(members()[:1]))


def test_keepalived_instances_for_vmac_and_garp():
    instances = model.keepalived_instances(members()[0], 'c')
    web, api6 = instances
    assert web['use_vmac'] and web['vmac_name'] == 'vrrp.51' and 'vmac_mac' not in web
    # Multicast adverts from the virtual MAC: each one tells the switch where the VMAC lives.
    assert web['vmac_xmit_base'] is False
    assert web['virtual_ipaddresses'] == [{'address': '198.51.100.100/24'}]
    assert web['version'] == 2 and web['priority'] == 150
    assert api6['native_ipv6'] and api6['version'] == 3
    assert api6['virtual_ipaddresses'] == [{'address': '2001:db8::101/64', 'dev': 'eth0'}]


def test_laa_vmac_is_derived_from_cluster_and_address():
    vips = [dict(VIPS[0], mac='laa')]
    web = model.keepalived_instances(members(vips)[0], 'prod')[0]
    assert web['vmac_mac'] == model._mac.laa_mac('prod', '198.51.100.100/24')


def test_fast_profile():
    web = model.keepalived_instances(members(VIPS[:1])[0], 'c', 'fast')[0]
    assert web['version'] == 3 and web['advert_int'] == 0.03


def test_vip_holders_reports_split_brain_and_macs():
    expect = model.expected_macs(members(), 'c')
    links = {'n1': [{'name': 'vrrp.51', 'mac': '00:00:5e:00:01:33',
                     'addresses': [{'address': '198.51.100.100'}]}],
             'n2': [{'name': 'vrrp.51', 'mac': '00:00:5e:00:01:33',
                     'addresses': [{'address': '198.51.100.100'}]},
                    {'name': 'eth0', 'mac': '02:00:00:00:00:02', 'addresses': [{'address': '2001:db8::101'}]}]}
    state = model.vip_holders(links, expect)
    assert state['web']['holders'] == ['n1', 'n2']
    assert state['web']['expected_mac'] == '00:00:5e:00:01:33'
    assert state['api6'] == {'address': '2001:db8::101', 'mac_mode': 'garp', 'holders': ['n2'],
                             'mac': '02:00:00:00:00:02', 'expected_mac': '02:00:00:00:00:02'}


UCARP_VIPS = [
    {'name': 'web', 'address': '198.51.100.100/24', 'interface': 'eth0', 'vrid': 51, 'mac_mode': 'vmac',
     'auth_pass': 'ucarp-web-secret'},
    {'name': 'api', 'address': '198.51.100.101/24', 'interface': 'eth0', 'vrid': 52, 'auth_pass': 'other'},
]


def test_a_good_ucarp_model_passes():
    assert model.preflight(members(UCARP_VIPS), backend='ucarp') == []


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
    errors = model.preflight(members(vips), backend='ucarp')
    assert any(message in error for error in errors), errors


def test_ucarp_members_must_share_one_password_and_it_is_not_shown():
    other = copy.deepcopy(UCARP_VIPS)
    other[0]['auth_pass'] = 'a-different-secret'
    errors = model.preflight(members(UCARP_VIPS, second=other), backend='ucarp')
    assert errors == ['members disagree on cluster_vips[web].auth_pass: n1=<secret>, n2=<secret>']


def test_the_other_daemon_running_is_refused():
    group = members(UCARP_VIPS)
    group[1]['daemons'] = {'keepalived': {'running': True, 'pids': [7]}, 'ucarp': {'running': False, 'pids': []}}
    errors = model.preflight(group, backend='ucarp')
    assert len(errors) == 1 and errors[0].startswith('n2: keepalived is running but cluster_backend is ucarp')
    group = members()
    group[0]['daemons'] = {'keepalived': {'running': False, 'pids': []}, 'ucarp': {'running': True, 'pids': [9]}}
    assert model.preflight(group)[0].startswith('n1: ucarp is running but cluster_backend is keepalived')


def test_the_other_daemon_deployed_by_the_role_is_switched_not_refused():
    """A change of cluster_backend: the running daemon is the one the role recorded, and the run replaces it."""
    group = members()
    for member in group:
        member['daemons'] = {'keepalived': {'running': False, 'pids': []}, 'ucarp': {'running': True, 'pids': [9]}}
        member['deployed_backend'] = 'ucarp'
    assert model.preflight(group) == []
    group[1]['deployed_backend'] = 'keepalived'
    assert model.preflight(group)[0].startswith('n2: ucarp is running but cluster_backend is keepalived')


def test_unknown_backend_and_profile_are_named():
    errors = model.preflight(members(), backend='heartbeat', profile='turbo')
    assert "cluster_backend: 'heartbeat' is not supported; use keepalived or ucarp" in errors
    assert "cluster_profile: 'turbo' is not one of default, fast" in errors


@pytest.mark.parametrize('name', ['web cluster', '-web', 'a' * 65, 'web/1', ''])
def test_an_unusable_cluster_name_is_named(name):
    errors = model.preflight(members(), cluster_name=name)
    assert [e for e in errors if e.startswith('cluster_name: %r is not usable' % (name,))], errors


def test_ucarp_instances_rank_priorities_into_skews():
    group = members(UCARP_VIPS, priorities=(100, 150))
    group[1]['links'] = [{'name': 'eth0', 'mac': '02:00:00:00:00:02',
                          'addresses': [{'address': '198.51.100.100', 'prefixlen': 24, 'family': 4},
                                        {'address': '198.51.100.12', 'prefixlen': 24, 'family': 4}]}]
    low = model.ucarp_instances(group[0], group, 'prod')
    high = model.ucarp_instances(group[1], group, 'prod')
    assert [i['advskew'] for i in low] == [20, 20] and [i['advskew'] for i in high] == [0, 0]
    # The member's own address, never the VIP it may hold right now.
    assert low[0]['srcip'] == '198.51.100.11' and high[0]['srcip'] == '198.51.100.12'
    web = low[0]
    assert web['vhid'] == 51 and web['password'] == 'ucarp-web-secret' and web['address'] == '198.51.100.100/24'
    assert web['advbase'] == 1 and web['deadratio'] == 3 and web['preempt'] is True
    assert web['mac_mode'] == 'vmac' and web['mac'] == '00:00:5e:00:01:33' and web['vmac_interface'] == 'ucarp.51'
    assert 'mac' not in low[1] and low[1]['mac_mode'] == 'garp'
    fast = model.ucarp_instances(group[0], group, 'prod', 'fast')
    assert fast[0]['deadratio'] == 2 and fast[0]['advbase'] == 1


def test_ucarp_laa_mac_and_nopreempt():
    vips = copy.deepcopy(UCARP_VIPS[:1])
    vips[0].update(mac='laa', nopreempt=True)
    group = members(vips)
    web = model.ucarp_instances(group[0], group, 'prod')[0]
    assert web['mac'] == model.vip_mac(model.resolved_vip(vips[0], backend='ucarp'), 'prod')
    assert int(web['mac'].split(':')[0], 16) & 0x03 == 0x02
    assert web['preempt'] is False


def test_ucarp_instances_need_an_own_address_in_the_subnet():
    vips = copy.deepcopy(UCARP_VIPS[:1])
    vips[0]['address'] = '203.0.113.10/24'
    group = members(vips)
    with pytest.raises(model.ModelError, match='no IPv4 address of its own in 203.0.113.0/24 on eth0'):
        model.ucarp_instances(group[0], group)


def test_unicast_adverts_go_to_the_other_members():
    vips = [dict(VIPS[0], unicast=True)]
    group = members(vips)
    group[1]['links'] = [{'name': 'eth0', 'mac': '02:00:00:00:00:02',
                          'addresses': [{'address': '198.51.100.12', 'prefixlen': 24, 'family': 4}]}]
    assert model.preflight(group) == []
    web = model.keepalived_instances(group[0], 'c', 'default', group)[0]
    assert web['unicast_src_ip'] == '198.51.100.11' and web['unicast_peers'] == ['198.51.100.12']
    assert web['vmac_xmit_base'] is True  # keepalived sends unicast adverts from the parent interface
    with pytest.raises(model.ModelError, match='pass all members'):
        model.keepalived_instances(group[0], 'c')
    ucarp_vips = [dict(UCARP_VIPS[1], unicast=True)]
    ucarp_group = members(ucarp_vips)
    assert model.ucarp_instances(ucarp_group[0], ucarp_group)[0]['nomcast'] is True


def test_unicast_needs_an_own_address_of_the_family():
    vips = [dict(VIPS[1], unicast=True)]  # IPv6, and the members have IPv4 only
    errors = model.preflight(members(vips))
    assert any('cluster_vips[api6].unicast: unicast adverts need an IPv6 address of this host' in e for e in errors)


def test_the_maintenance_file_drops_the_priority_to_one():
    group = members(priorities=(150, 1))
    high = model.keepalived_instances(group[0], 'c', 'default', group, 'hanet_maintenance', rank=False)[0]
    assert high['track_files'] == [{'name': 'hanet_maintenance', 'weight': -149}]
    assert high['priority'] + high['track_files'][0]['weight'] == 1
    # At priority 1 there is nothing to lower (and weight 0 would mean FAULT to keepalived).
    low = model.keepalived_instances(group[1], 'c', 'default', group, 'hanet_maintenance', rank=False)[0]
    assert 'track_files' not in low
    assert 'track_files' not in model.keepalived_instances(group[0], 'c')[0]
    # Ranked (254, 253), a drained member still drops to 1.
    for member, priority in zip(group, (254, 253)):
        ranked = model.keepalived_instances(member, 'c', 'default', group, 'hanet_maintenance')[0]
        assert ranked['priority'] == priority
        assert ranked['priority'] + ranked['track_files'][0]['weight'] == 1


def test_priorities_are_ranked_onto_the_top_of_the_range_per_vip():
    vips = [VIPS[0], dict(VIPS[1], priorities={'n1': 10, 'n2': 20, 'n3': 30})]
    group = members(vips) + [dict(members(vips)[0], name='n3', priority=120)]
    group[0]['priority'], group[1]['priority'] = 150, 100
    ranks = dict((m['name'], [i['priority'] for i in model.keepalived_instances(m, 'c', 'default', group)])
                 for m in group)
    # web: 150 > 120 > 100 (cluster_priority); api6: its own priorities, 30 > 20 > 10.
    assert ranks == {'n1': [254, 252], 'n2': [252, 253], 'n3': [253, 254]}
    raw = model.keepalived_instances(group[2], 'c', 'default', group, rank=False)
    assert [i['priority'] for i in raw] == [120, 30]
    # Without the members there is nothing to rank among: the priority as given.
    assert model.keepalived_instances(group[0], 'c')[0]['priority'] == 150
    # The election order is the one the drill and maintenance expect (vip_successions ranks the same way).
    assert [m['name'] for m in model.ranked_members(group, model.resolved_vip(vips[1]))] == ['n3', 'n2', 'n1']


def test_ranking_takes_each_members_own_copy_of_the_vip():
    """Members whose inventories give one VIP different priorities mappings: each advertises what its own copy says,
    ranked; no tie (the review found both at 254 when one member's copy ranked everybody)."""
    group = members([VIPS[0]], priorities=(100, 150))
    group[0]['vips'][0]['priorities'] = {'n1': 200}  # n1: 200; n2's copy has no mapping: its cluster_priority, 150
    assert model.preflight(group) == []
    ranks = [model.keepalived_instances(m, 'c', 'default', group)[0]['priority'] for m in group]
    assert ranks == [254, 253]
    assert model.vip_successions(group)['web']['holder'] == 'n1'


def test_two_vmac_vips_cannot_share_a_macvlan_name():
    links = LINKS + [{'name': 'eth1', 'mac': '02:00:00:00:00:11',
                      'addresses': [{'address': '203.0.113.11', 'prefixlen': 24, 'family': 4}]}]
    vips = [VIPS[0], {'name': 'db', 'address': '203.0.113.100/24', 'interface': 'eth1', 'vrid': 51, 'mac_mode': 'vmac'}]
    group = members(vips)
    for member in group:
        member['links'] = links
    errors = model.preflight(group)
    assert errors == ['cluster_vips[web].vrid: its vmac interface would be vrrp.51, like the one of cluster_vips[db]; '
                      'give one of them another VRID']
    vips[1]['mac_mode'] = 'garp'
    group = members(vips)
    for member in group:
        member['links'] = links
    assert model.preflight(group) == []


def test_links_from_facts_shape_failover_info_links_for_check_mode():
    facts = {
        'interfaces': ['lo', 'eth0', 'vrrp.51'],
        'lo': {'device': 'lo', 'mtu': 65536, 'ipv4': {'address': '127.0.0.1', 'prefix': '8'}},
        'eth0': {'device': 'eth0', 'macaddress': '02:00:00:00:00:01', 'mtu': 1500,
                 'ipv4': {'address': '198.51.100.11', 'prefix': '24'},
                 'ipv4_secondaries': [{'address': '198.51.100.100', 'prefix': '24'}],
                 'ipv6': [{'address': '2001:db8::11', 'prefix': '64', 'scope': 'global'}]},
        'vrrp_51': {'device': 'vrrp.51', 'macaddress': '00:00:5e:00:01:33', 'mtu': 1500},
    }
    links = {link['name']: link for link in model.links_from_facts(facts)}
    assert sorted(links) == ['eth0', 'lo', 'vrrp.51']
    assert links['eth0']['addresses'] == [
        {'family': 4, 'address': '198.51.100.11', 'prefixlen': 24},
        {'family': 4, 'address': '198.51.100.100', 'prefixlen': 24},
        {'family': 6, 'address': '2001:db8::11', 'prefixlen': 64}]
    assert links['vrrp.51']['mac'] == '00:00:5e:00:01:33' and links['vrrp.51']['addresses'] == []
    # The model reads them as it reads failover_info's: the unicast source is the host's own address.
    member = {'name': 'n1', 'links': model.links_from_facts(facts)}
    vip = {'address': '198.51.100.100/24', 'interface': 'eth0', 'family': 4}
    assert model.own_address(member, vip) == '198.51.100.11'


def test_own_address_is_never_another_vip_whoever_holds_it():
    # IPv6 lists the newest address first: a VIP this member holds now must not become its unicast source.
    vips = [{'name': 'a', 'address': '2001:db8::100/64', 'interface': 'eth0'},
            {'name': 'b', 'address': '2001:db8::101/64', 'interface': 'eth0'},
            {'name': 'c', 'address': '198.51.100.100/24', 'interface': 'eth0'}]
    links = [{'name': 'eth0', 'addresses': [
        {'family': 6, 'address': '2001:db8::101', 'prefixlen': 64},
        {'family': 6, 'address': '2001:db8::12', 'prefixlen': 64},
        {'family': 6, 'address': '2001:db8::11', 'prefixlen': 64},
        {'family': 4, 'address': '198.51.100.100', 'prefixlen': 24},
        {'family': 4, 'address': '198.51.100.11', 'prefixlen': 24}]}]
    member = {'name': 'n1', 'vips': vips, 'links': links}
    assert model.own_address(member, {'address': '2001:db8::100/64', 'interface': 'eth0', 'family': 6}) == '2001:db8::12'
    assert model.own_address(member, {'address': '198.51.100.100/24', 'interface': 'eth0', 'family': 4}) == '198.51.100.11'
    only_vips = {'name': 'n1', 'vips': vips, 'links': [{'name': 'eth0', 'addresses': links[0]['addresses'][:1]}]}
    assert model.own_address(only_vips, {'address': '2001:db8::100/64', 'interface': 'eth0', 'family': 6}) is None


@pytest.mark.parametrize('password', ['a"b', 'tab\tx', 'a{b', 'a}b', '$x', 'a\\', '\u00e9t\u00e9', 'x\x00'])
def test_keepalived_auth_pass_must_be_what_its_parser_reads_back_in_quotes(password):
    vip = {'name': 'web', 'address': '198.51.100.10/24', 'interface': 'eth0', 'vrid': 51, 'mac_mode': 'garp',
           'auth_pass': password}
    with pytest.raises(model.ModelError, match=r'cluster_vips\[web\]\.auth_pass: keepalived would not read it back'):
        model.resolved_vip(vip, 'default', 'keepalived')


@pytest.mark.parametrize('password', ['with sp', 'a#b', 'a!b', "a'b", 12345678])
def test_keepalived_auth_pass_in_quotes_keeps_spaces_hashes_and_bangs(password):
    # The role writes auth_pass "..." (roles/keepalived/templates/auth_pass.j2), where keepalived keeps these.
    vip = {'name': 'web', 'address': '198.51.100.10/24', 'interface': 'eth0', 'vrid': 51, 'mac_mode': 'garp',
           'auth_pass': password}
    assert model.resolved_vip(vip, 'default', 'keepalived')['auth_pass'] == password
    vips = copy.deepcopy(VIPS)
    vips[0]['auth_pass'] = password
    assert model.preflight(members(vips)) == []


def test_keepalived_auth_pass_counts_bytes_and_the_error_names_the_field_not_the_secret():
    vips = copy.deepcopy(VIPS)
    vips[0]['auth_pass'] = 'sec"ret'
    errors = model.preflight(members(vips))
    assert errors and all('cluster_vips[web].auth_pass' in e and 'sec"ret' not in e for e in errors), errors
    vips[0]['auth_pass'] = '\u00e9' * 5  # 5 characters, 10 bytes
    assert any('cluster_vips[web].auth_pass: give 1 to 8 characters' in e for e in model.preflight(members(vips)))


def test_own_address_prefers_a_settled_permanent_address_to_what_the_kernel_lists_first():
    # failover_info's flags: a VIP, then addresses that are tentative, deprecated, temporary (secondary), from
    # autoconfiguration (not permanent), link scope, failed DAD, and only then the host's own static address.
    vips = [{'name': 'a', 'address': '2001:db8::100/64', 'interface': 'eth0'}]
    addresses = [
        {'family': 6, 'address': '2001:db8::100', 'prefixlen': 64},
        {'family': 6, 'address': '2001:db8::13', 'prefixlen': 64, 'tentative': True},
        {'family': 6, 'address': '2001:db8::14', 'prefixlen': 64, 'deprecated': True},
        {'family': 6, 'address': '2001:db8::15', 'prefixlen': 64, 'secondary': True},
        {'family': 6, 'address': '2001:db8::16', 'prefixlen': 64, 'permanent': False},
        {'family': 6, 'address': '2001:db8::17', 'prefixlen': 64, 'scope': 253},
        {'family': 6, 'address': '2001:db8::18', 'prefixlen': 64, 'dadfailed': True},
        {'family': 6, 'address': '2001:db8::12', 'prefixlen': 64, 'tentative': False, 'deprecated': False,
         'secondary': False},
    ]
    member = {'name': 'n1', 'vips': vips, 'links': [{'name': 'eth0', 'addresses': addresses}]}
    vip = {'address': '2001:db8::100/64', 'interface': 'eth0', 'family': 6}
    assert model.own_address(member, vip) == '2001:db8::12'
    # Without a settled one, the least unsettled; never the VIP, never an address whose DAD failed.
    member['links'][0]['addresses'] = addresses[:3] + addresses[6:7]
    assert model.own_address(member, vip) == '2001:db8::14'
    member['links'][0]['addresses'] = [addresses[0], addresses[6]]
    assert model.own_address(member, vip) is None


def test_own_address_ipv4_prefers_the_primary_to_a_secondary_listed_first():
    vips = [{'name': 'a', 'address': '198.51.100.100/24', 'interface': 'eth0'}]
    links = [{'name': 'eth0', 'addresses': [
        {'family': 4, 'address': '198.51.100.100', 'prefixlen': 24, 'secondary': True},
        {'family': 4, 'address': '198.51.100.50', 'prefixlen': 24, 'secondary': True},
        {'family': 4, 'address': '198.51.100.11', 'prefixlen': 24, 'secondary': False}]}]
    member = {'name': 'n1', 'vips': vips, 'links': links}
    assert model.own_address(member, {'address': '198.51.100.100/24', 'interface': 'eth0', 'family': 4}) == \
        '198.51.100.11'


def test_unicast_peers_do_not_depend_on_who_holds_which_vip_in_facts():
    # Ansible's facts (check mode) list IPv6 addresses newest first: here n1 holds both VIPs.
    def facts(own, held):
        return {'interfaces': ['eth0'],
                'eth0': {'device': 'eth0', 'macaddress': '02:00:00:00:00:01', 'mtu': 1500,
                         'ipv4': {'address': '198.51.100.%d' % own, 'prefix': '24'},
                         'ipv6': [{'address': a, 'prefix': '64', 'scope': 'global'} for a in held]
                         + [{'address': '2001:db8::%d' % own, 'prefix': '64', 'scope': 'global'}]}}
    vips = [{'name': 'a6', 'address': '2001:db8::100/64', 'interface': 'eth0', 'vrid': 60, 'unicast': True},
            {'name': 'b6', 'address': '2001:db8::101/64', 'interface': 'eth0', 'vrid': 61, 'unicast': True}]
    group = [{'name': 'n1', 'vips': vips, 'priority': 150,
              'links': model.links_from_facts(facts(11, ['2001:db8::101', '2001:db8::100']))},
             {'name': 'n2', 'vips': vips, 'priority': 100, 'links': model.links_from_facts(facts(12, []))}]
    mine = model.keepalived_instances(group[0], members=group)
    theirs = model.keepalived_instances(group[1], members=group)
    assert [(i['unicast_src_ip'], i['unicast_peers']) for i in mine] == [('2001:db8::11', ['2001:db8::12'])] * 2
    assert [(i['unicast_src_ip'], i['unicast_peers']) for i in theirs] == [('2001:db8::12', ['2001:db8::11'])] * 2


def three(vips=None):
    vips = vips or [
        {'name': 'web', 'address': '198.51.100.100/24', 'interface': 'eth0', 'vrid': 51},
        {'name': 'api', 'address': '198.51.100.101/24', 'interface': 'eth0', 'vrid': 52, 'auth_pass': 'secret',
         'priorities': {'n1': 150, 'n2': 50, 'n3': 100}},
        {'name': 'db', 'address': '198.51.100.102/24', 'interface': 'eth0', 'vrid': 53,
         'priorities': {'n3': 200}},
    ]
    return [{'name': name, 'vips': copy.deepcopy(vips), 'priority': prio}
            for name, prio in (('n1', 150), ('n2', 100), ('n3', 50))]


def test_vip_successions_honour_per_vip_priorities():
    group = three()
    elected = model.vip_successions(group)
    assert dict((name, entry['holder']) for name, entry in elected.items()) == {'web': 'n1', 'api': 'n1', 'db': 'n3'}
    assert elected['api']['order'] == ['n1', 'n3', 'n2'] and elected['api']['address'] == '198.51.100.101'
    # n1 fails: web goes to n2 (cluster_priority), api to n3 (its priorities), db stays with n3.
    holders = dict((name, entry['holder']) for name, entry in elected.items())
    after = model.vip_successions(group, ['n1'], holders)
    assert dict((name, entry['holder']) for name, entry in after.items()) == {'web': 'n2', 'api': 'n3', 'db': 'n3'}
    assert after['api']['before'] == 'n1' and after['db']['before'] == 'n3'
    # A holder that is not down keeps its VIP (no preemption by a fault elsewhere); holders may be lists.
    assert model.vip_successions(group, ['n3'], {'web': ['n2'], 'api': 'n1', 'db': ['n3']})['web']['holder'] == 'n2'
    # Drain n3 (maintenance): db goes to n1 (150 over 100); nobody is left when every member is down.
    assert model.vip_successions(group, ['n3'])['db']['holder'] == 'n1'
    assert model.vip_successions(group, ['n1', 'n2', 'n3'])['web']['holder'] is None
    assert 'secret' not in repr(after)


def test_vip_successions_agree_with_the_ucarp_skews():
    group = three()
    for member in group:
        member['links'] = LINKS
        for vip in member['vips']:
            vip['auth_pass'] = 'ucarp-secret'
    order = model.vip_successions(group)
    skews = dict((m['name'], dict((i['name'], i['advskew']) for i in model.ucarp_instances(m, group))) for m in group)
    for name, entry in order.items():
        assert sorted(skews, key=lambda host: skews[host][name]) == entry['order']


def test_cluster_filters_are_exposed():
    from ansible_collections.hanet.failover.plugins.filter.cluster import FilterModule
    filters = FilterModule().filters()
    assert {'vip_successions', 'keepalived_vmac_name'} <= set(filters)
    assert filters['vip_successions'](three(), ['n1'])['api']['holder'] == 'n3'
    assert filters['keepalived_vmac_name']({'use_vmac': True, 'virtual_router_id': 7,
                                            'virtual_ipaddresses': ['2001:db8::7/64']}) == 'vrrp6.7'


def test_tracked_vips_read_the_checkers_track_files():
    vips = copy.deepcopy(VIPS)
    vips[0]['track'] = [{'service': 'haproxy'}, {'tcp': 8080, 'weight': 5}]
    group = members(vips)
    assert model.preflight(group) == []
    web, api6 = model.keepalived_instances(group[0], 'c', 'default', group, 'hanet_maintenance')
    assert web['track_files'] == [{'name': 'hanet_maintenance', 'weight': -253},
                                  {'name': 'hanet_web_fault', 'weight': 0}, {'name': 'hanet_web_weight', 'weight': 1}]
    assert api6['track_files'] == [{'name': 'hanet_maintenance', 'weight': -253}]
    # Without the maintenance track (the keepalived role used directly), the health files alone.
    assert [t['name'] for t in model.keepalived_instances(group[0], 'c')[0]['track_files']] == \
        ['hanet_web_fault', 'hanet_web_weight']


@pytest.mark.parametrize('track,message', [
    ([{'service': 'haproxy', 'interval': -1}], 'cluster_vips[web].track[0].interval: -1 is out of range'),
    ([{'script': '/usr/local/bin/check db'}], 'cluster_vips[web].track[0].script:'),
    ([{'service': 'not a unit'}], 'cluster_vips[web].track[0].service:'),
    ({'service': 'haproxy'}, 'cluster_vips[web].track: give a list of checks'),
])
def test_bad_checks_are_named_by_the_preflight(track, message):
    vips = copy.deepcopy(VIPS)
    vips[0]['track'] = track
    errors = model.preflight(members(vips))
    assert any(message in error for error in errors), errors


def test_members_must_agree_on_the_checks():
    first, second = copy.deepcopy(VIPS), copy.deepcopy(VIPS)
    first[0]['track'] = [{'service': 'haproxy'}]
    errors = model.preflight(members(first, second))
    assert any('track' in error for error in errors), errors


def test_ucarp_follows_a_service_by_giving_the_vip_away():
    vips = [{'name': 'web', 'address': '198.51.100.100/24', 'interface': 'eth0', 'vrid': 51, 'auth_pass': 'pw',
             'track': [{'service': 'haproxy'}]}]
    group = members(vips)
    assert model.preflight(group, backend='ucarp') == []
    assert [i['track'] for i in model.ucarp_instances(group[0], group)] == [True]
    untracked = members([dict(vips[0], track=[])])
    assert [i['track'] for i in model.ucarp_instances(untracked[0], untracked)] == [False]
    vips[0]['track'].append({'tcp': 80, 'weight': 5})
    errors = model.preflight(members(vips), backend='ucarp')
    assert any('cluster_vips[web].track[1].weight: ucarp cannot lower a member\'s rank' in e for e in errors), errors
