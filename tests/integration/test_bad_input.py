# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input to every module, against real netlink: each must fail with a message that names the field,
and leave the namespace exactly as it was (links, addresses, ARP sysctls, the persisted sysctl file).

Part of the bad-input catalog (README, "Reliability"): the role and preflight inputs are in
tests/faults/test_bad_input.py and tests/unit/plugins/plugin_utils/test_cluster_validation.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

CASES = [
    # macvlan
    ('macvlan', {'name': 'mv0', 'parent': 'eth0', 'mac': '01:00:5e:00:00:12'}, 'mac'),
    ('macvlan', {'name': 'mv0', 'parent': 'eth0', 'mac': 'not-a-mac'}, 'mac'),
    ('macvlan', {'name': 'mv0', 'parent': 'eth0', 'mac': '00:00:00:00:00:00'}, 'mac'),
    ('macvlan', {'name': 'mv0', 'parent': 'eth9'}, 'parent'),
    ('macvlan', {'name': 'a-name-far-too-long', 'parent': 'eth0'}, 'name'),
    ('macvlan', {'name': 'mv0', 'parent': 'eth0', 'mtu': 20}, 'mtu'),
    ('macvlan', {'name': 'mv0', 'parent': 'eth0', 'mode': 'passthru', 'mac': '02:00:00:00:00:01'}, 'mac'),
    ('macvlan', {'name': 'mv0', 'parent': 'mv0'}, 'parent'),
    ('macvlan', {'name': 'eth0', 'parent': 'lo'}, 'name'),  # an existing veth is never converted
    ('macvlan', {'name': 'eth0', 'state': 'absent'}, 'name'),  # nor removed
    # vip
    ('vip', {'address': '198.51.100.10', 'interface': 'eth0'}, 'address'),
    ('vip', {'address': '198.51.100.300/24', 'interface': 'eth0'}, 'address'),
    ('vip', {'address': '224.0.0.18/24', 'interface': 'eth0'}, 'address'),
    ('vip', {'address': '198.51.100.0/24', 'interface': 'eth0'}, 'address'),
    ('vip', {'address': '198.51.100.255/24', 'interface': 'eth0'}, 'address'),
    ('vip', {'address': '198.51.100.10/24', 'interface': 'eth9'}, 'interface'),
    ('vip', {'address': '2001:db8::10/64', 'interface': 'eth0', 'label': 'eth0:v6'}, 'label'),
    ('vip', {'address': '198.51.100.10/24', 'interface': 'eth0', 'label': 'other:vip'}, 'label'),
    ('vip', {'address': '198.51.100.10/24', 'interface': 'eth0', 'announce_count': 0}, 'announce_count'),
    # arp_sysctl
    ('arp_sysctl', {'interface': 'eth0', 'settings': {'arp_ignore': 9}}, 'settings.arp_ignore'),
    ('arp_sysctl', {'interface': 'eth0', 'settings': {'arp_announce': 'high'}}, 'settings.arp_announce'),
    ('arp_sysctl', {'interface': 'eth0', 'settings': {'forwarding': 1}}, 'settings'),
    ('arp_sysctl', {'interface': 'eth9', 'settings': {'arp_ignore': 1}}, 'interface'),
    ('arp_sysctl', {'interface': 'eth0', 'settings': {'arp_ignore': 1}, 'sysctl_file': '/nonexistent/dir/x.conf'},
     'sysctl_file'),
    # gratuitous_arp
    ('gratuitous_arp', {'interface': 'eth0', 'addresses': ['198.51.100.77']}, 'addresses'),
    ('gratuitous_arp', {'interface': 'eth0', 'addresses': ['not-an-ip']}, 'addresses'),
    ('gratuitous_arp', {'interface': 'eth0', 'addresses': ['198.51.100.2'], 'count': 0}, 'count'),
    ('gratuitous_arp', {'interface': 'eth9', 'addresses': ['198.51.100.2']}, 'interface'),
    ('gratuitous_arp', {'interface': 'eth0', 'addresses': ['198.51.100.2'], 'source_mac': '01:00:5e:00:00:01'},
     'source_mac'),
    # failover_info
    ('failover_info', {'interfaces': ['eth9']}, 'interfaces'),
]


def state(lab, sysctl_file):
    snapshot = lab.snapshot()
    snapshot['sysctls'] = [lab.sysctl('net.ipv4.conf.eth0.%s' % key) for key in ('arp_ignore', 'arp_announce')]
    snapshot['file'] = open(sysctl_file).read() if os.path.exists(sysctl_file) else None
    return snapshot


@pytest.mark.parametrize('module,args,field', CASES, ids=['%s-%s-%d' % (c[0], c[2], i) for i, c in enumerate(CASES)])
def test_bad_input_fails_naming_the_field_and_changes_nothing(lab_one, tmp_path, module, args, field):
    sysctl_file = str(tmp_path / '90-test.conf')
    args = dict(args)
    if module == 'arp_sysctl':
        args.setdefault('sysctl_file', sysctl_file)
    before = state(lab_one, sysctl_file)
    run = lab_one.module(module, **args)
    assert run.failed, 'accepted: %s %s' % (module, args)
    message = run.result.get('msg', '')
    assert message.startswith(field) or ('%s:' % field) in message or ("'%s'" % field) in message, message
    assert state(lab_one, sysctl_file) == before, 'a refused %s changed the host' % module


@pytest.mark.parametrize('vmac_name', ['name', 'group', 'netlink_notify_msg'])
def test_keepalived_role_refuses_a_vmac_name_keepalived_reads_as_a_keyword(lab_one, vmac_name):
    # Check mode: should the refusal ever go, the role still changes nothing on the machine running the test.
    before = lab_one.snapshot()
    instance = {'name': 'web', 'interface': 'eth0', 'virtual_router_id': 57, 'priority': 150,
                'virtual_ipaddresses': ['198.51.100.106/24'], 'use_vmac': True, 'vmac_name': vmac_name}
    run = lab_one.play([{'name': 'keepalived role', 'ansible.builtin.include_role': {'name': 'hanet.failover.keepalived'},
                         'vars': {'keepalived_instances': [instance], 'keepalived_install': False}}], check=True)
    assert run.failed, 'the keepalived role accepted vmac_name %r' % vmac_name
    message = run.result.get('msg', '')
    assert message.startswith('keepalived_instances[].vmac_name %s:' % vmac_name), message
    assert len(run.records) == 1 or all(rec['status'] != 'changed' for rec in run.records), run.records
    assert lab_one.snapshot() == before


@pytest.mark.parametrize('password', ['nine-char', 'se"cret', 'a$_HASH', 'back\\', 'brace}', 'tab\tx'])
def test_keepalived_role_refuses_a_password_keepalived_would_not_read_back(lab_one, password):
    # The role writes auth_pass "..." for keepalived; what it cannot read back as given is refused before anything
    # changes, naming the field and the instance, never the password.
    before = lab_one.snapshot()
    instance = {'name': 'web', 'interface': 'eth0', 'virtual_router_id': 57, 'priority': 150,
                'virtual_ipaddresses': ['198.51.100.106/24'], 'auth_pass': password}
    run = lab_one.play([{'name': 'keepalived role', 'ansible.builtin.include_role': {'name': 'hanet.failover.keepalived'},
                         'vars': {'keepalived_instances': [instance], 'keepalived_install': False}}], check=True)
    assert run.failed, 'the keepalived role accepted auth_pass %r' % password
    message = run.result.get('msg', '')
    assert message.startswith('keepalived_instances[].auth_pass of web: give 1 to 8 printable ASCII'), message
    assert password not in message
    assert len(run.records) == 1 or all(rec['status'] != 'changed' for rec in run.records), run.records
    assert lab_one.snapshot() == before


@pytest.mark.parametrize('password', ['twenty-bytes-secret!', 'nineteen-bytes-é-ok', 'with space'])
def test_ucarp_role_refuses_a_password_ucarp_cannot_use(lab_one, password):
    # ucarp 1.5 exits with "Password too long" above 19 bytes (é is two): refused before anything changes, naming
    # the instance, never the password.
    before = lab_one.snapshot()
    instance = {'name': 'web', 'interface': 'eth0', 'srcip': '198.51.100.2', 'vhid': 59,
                'address': '198.51.100.106/24', 'password': password}
    run = lab_one.play([{'name': 'ucarp role', 'ansible.builtin.include_role': {'name': 'hanet.failover.ucarp'},
                         'vars': {'ucarp_instances': [instance], 'ucarp_install': False}}], check=True)
    assert run.failed, 'the ucarp role accepted a password of %d bytes' % len(password.encode('utf-8'))
    message = run.result.get('msg', '')
    assert message.startswith('ucarp_instances[web].password: give 1 to 19 bytes'), (message, run.result)
    assert password not in str(run.result) and password not in str(run.records)
    assert lab_one.snapshot() == before
