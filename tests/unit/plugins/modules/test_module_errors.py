# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Error paths of the modules, reached through main().

Validation happens before any netlink socket is opened, which the
``no_netlink`` fixture enforces: a test that reached netlink would fail.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.hanet.failover.plugins.module_utils import _netlink
from ansible_collections.hanet.failover.plugins.modules import (
    arp_sysctl, failover_info, gratuitous_arp, macvlan, vip)


@pytest.fixture
def no_netlink(monkeypatch):
    def refuse():
        raise AssertionError('validation must fail before netlink is used')
    monkeypatch.setattr(_netlink, 'iproute', refuse)


@pytest.mark.parametrize('module,args', [
    (macvlan, {'name': 'm0', 'parent': 'eth0'}),
    (vip, {'address': '198.51.100.10/24', 'interface': 'eth0'}),
    (gratuitous_arp, {'interface': 'eth0', 'addresses': ['198.51.100.10']}),
    (failover_info, {}),
])
def test_missing_pyroute2_is_reported(module, args, run_module, monkeypatch):
    monkeypatch.setattr(_netlink, 'HAS_PYROUTE2', False)
    monkeypatch.setattr(_netlink, 'PYROUTE2_IMPORT_ERROR', 'ImportError: No module named pyroute2')
    code, result = run_module(module, args)
    assert code == 1
    assert 'Failed to import the required Python library (pyroute2)' in result['msg']


@pytest.mark.parametrize('module,args,message', [
    (macvlan, {'name': 'm0'}, 'parent: state is present but parent is missing'),
    (macvlan, {'name': 'a-name-longer-than-15', 'parent': 'eth0'}, "name: 'a-name-longer-than-15' is not a valid"),
    (macvlan, {'name': 'm0', 'parent': 'eth0', 'mac': '01:00:5e:00:00:01'}, 'mac: 01:00:5e:00:00:01 is a multicast MAC'),
    (macvlan, {'name': 'm0', 'parent': 'eth0', 'mac': '02:00:00:00:01'}, "mac: '02:00:00:00:01' is not a MAC address"),
    (macvlan, {'name': 'm0', 'parent': 'eth0', 'mac': '00:00:00:00:00:00'}, 'mac: 00:00:00:00:00:00 is not a usable MAC'),
    (macvlan, {'name': 'm0', 'parent': 'eth0', 'mtu': 40}, 'mtu: 40 is out of range'),
    (macvlan, {'name': 'm0', 'parent': 'eth0', 'mode': 'passthru', 'mac': '02:00:00:00:00:01'},
     'mac: cannot be set with mode=passthru'),
    (macvlan, {'name': 'm0', 'parent': 'm0'}, 'parent: a macvlan cannot be its own parent'),
    (macvlan, {'name': 'm0', 'parent': 'eth0', 'mode': 'flood'}, 'value of mode must be one of'),
    (vip, {'address': '198.51.100.10', 'interface': 'eth0'}, 'address: 198.51.100.10 has no prefix length'),
    (vip, {'address': '198.51.100.300/24', 'interface': 'eth0'}, 'address: 198.51.100.300/24 is not an IP address'),
    (vip, {'address': '198.51.100.0/24', 'interface': 'eth0'}, 'address: 198.51.100.0 is the network address'),
    (vip, {'address': '198.51.100.255/24', 'interface': 'eth0'}, 'address: 198.51.100.255 is the broadcast address'),
    (vip, {'address': '224.0.0.18/32', 'interface': 'eth0'}, 'address: 224.0.0.18 is a multicast'),
    (vip, {'address': '2001:db8::10/64', 'interface': 'eth0', 'label': 'eth0:v6'}, 'label: IPv6 addresses have no labels'),
    (vip, {'address': '198.51.100.10/24', 'interface': 'eth0', 'label': 'eth1:vip'}, "label: 'eth1:vip' must be the interface name"),
    (vip, {'address': '198.51.100.10/24', 'interface': 'eth0', 'announce_count': 0}, 'announce_count: 0 is out of range'),
    (vip, {'address': '198.51.100.10/24', 'interface': 'eth0', 'preferred_lft': '3600'}, 'value of preferred_lft must be one of'),
    (vip, {'address': '198.51.100.10/24', 'interface': 'eth0', 'dad_timeout': 0}, 'dad_timeout: 0.0 is out of range'),
    (gratuitous_arp, {'interface': 'eth0', 'addresses': ['198.51.100.10'], 'source_mac': 'ff:ff:ff:ff:ff:ff'},
     'source_mac: ff:ff:ff:ff:ff:ff is a multicast MAC'),
    (gratuitous_arp, {'interface': 'eth0', 'addresses': ['nope']}, "addresses: 'nope' is not an IPv4 or IPv6 address"),
    (gratuitous_arp, {'interface': 'eth0', 'addresses': ['0.0.0.0']}, 'addresses: 0.0.0.0 is a multicast, unspecified'),
    (gratuitous_arp, {'interface': 'eth0', 'addresses': []}, 'addresses: give at least one address'),
    (gratuitous_arp, {'interface': 'eth0', 'addresses': ['198.51.100.10'], 'count': 0}, 'count: 0 is out of range'),
    (gratuitous_arp, {'interface': 'eth0', 'addresses': ['198.51.100.10'], 'interval': 11}, 'interval: 11.0 is out of range'),
    (arp_sysctl, {'interface': 'eth0', 'settings': {'arp_ignore': 5}}, 'settings.arp_ignore: 5 is out of range'),
    (arp_sysctl, {'interface': 'eth0', 'settings': {'arp_flood': 1}}, "settings: unknown key 'arp_flood'"),
    (arp_sysctl, {'interface': 'eth0', 'settings': {}}, 'settings: give at least one key'),
    (arp_sysctl, {'interface': 'eth/0', 'settings': {'arp_ignore': 1}}, "interface: 'eth/0' is not a valid interface name"),
])
def test_bad_input_fails_naming_the_field(module, args, message, run_module, no_netlink):
    code, result = run_module(module, args)
    assert code == 1
    assert result['failed'] is True
    assert message in result['msg'], result['msg']


@pytest.mark.parametrize('args,message', [
    ({'name': 'prod web', 'sources': ['198.51.100.12']}, "name: 'prod web' is not usable"),
    ({'name': 'prod'}, "sources: give the other members' addresses"),
    ({'name': 'prod', 'sources': ['198.51.100.300']}, "sources: '198.51.100.300' is not an IPv4 or IPv6 address"),
    ({'name': 'prod', 'sources': ['198.51.100.12'], 'destinations': ['ff02::12']}, 'destinations: no IPv4 destination'),
])
def test_advert_firewall_bad_input_fails_before_reading_the_firewall(args, message, run_module, monkeypatch):
    from ansible_collections.hanet.failover.plugins.modules import advert_firewall

    def refuse(*dummy, **dummy2):
        raise AssertionError('validation must fail before a firewall tool runs')
    monkeypatch.setattr(advert_firewall.Host, 'run', refuse)
    code, result = run_module(advert_firewall, args)
    assert code == 1
    assert message in result['msg'], result['msg']


def test_advert_firewall_reports_an_unreadable_ruleset(run_module, monkeypatch):
    from ansible_collections.hanet.failover.plugins.modules import advert_firewall

    def run(self, argv, data=None, what=None):
        if argv[1:] == ['-j', 'list', 'ruleset']:
            return 0, 'Error: not JSON', ''
        return 1, '', 'not here'
    monkeypatch.setattr(advert_firewall.Host, 'tool', lambda self, name: '/usr/sbin/' + name if name == 'nft' else None)
    monkeypatch.setattr(advert_firewall.Host, 'run', run)
    code, result = run_module(advert_firewall, {'name': 'prod', 'sources': ['198.51.100.12']})
    assert code == 1
    assert 'nftables: nft -j list ruleset printed no JSON ruleset' in result['msg']


def test_state_files_are_reported_also_without_pyroute2(run_module, monkeypatch, tmp_path):
    """The cluster role's first module run on a bare member: pyroute2 is missing, the state files are still read."""
    monkeypatch.setattr(_netlink, 'HAS_PYROUTE2', False)
    monkeypatch.setattr(_netlink, 'PYROUTE2_IMPORT_ERROR', 'ImportError: No module named pyroute2')
    maintenance = tmp_path / 'maintenance'
    maintenance.write_text('1\n')
    code, result = run_module(failover_info, {'read_files': [str(maintenance)], 'files': [str(tmp_path / 'backend')]})
    assert code == 1 and 'pyroute2' in result['msg']
    assert result['files'][str(maintenance)]['content'] == '1\n'
    assert result['files'][str(tmp_path / 'backend')]['exists'] is False
