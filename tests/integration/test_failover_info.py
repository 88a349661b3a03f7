# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os


def test_reports_vmac_links_addresses_and_sysctls(lab):
    lab.ip(lab.ns, 'link', 'add', 'vrrp.51', 'link', 'eth0', 'address', '00:00:5e:00:01:33', 'type', 'macvlan',
           'mode', 'private')
    lab.ip(lab.ns, 'link', 'add', 'vmac0', 'link', 'eth0', 'address', '02:11:22:33:44:55', 'type', 'macvlan',
           'mode', 'bridge')
    lab.ip(lab.ns, 'addr', 'add', '198.51.100.10/24', 'dev', 'vrrp.51')
    lab.ip(lab.ns, 'link', 'set', 'vrrp.51', 'up')
    lab.ip(lab.ns, 'netns', 'exec', lab.ns, 'sysctl', '-qw', 'net.ipv4.conf.all.arp_ignore=1')

    run = lab.module('failover_info', check=True)
    assert not run.failed, run.output
    links = dict((link['name'], link) for link in run.result['links'])
    assert set(links) == {'lo', 'eth0', 'vrrp.51', 'vmac0'}
    vmac = links['vrrp.51']
    assert vmac['kind'] == 'macvlan' and vmac['macvlan_mode'] == 'private' and vmac['parent'] == 'eth0'
    assert vmac['vrrp_vrid'] == 51 and vmac['mac_is_laa'] is False and vmac['up'] is True
    assert [(a['address'], a['prefixlen']) for a in vmac['addresses'] if a['family'] == 4] == [('198.51.100.10', 24)]
    assert vmac['sysctl']['arp_ignore'] == 0 and vmac['sysctl_effective']['arp_ignore'] == 1
    assert links['vmac0']['mac_is_laa'] is True and links['vmac0']['vrrp_vrid'] is None
    assert links['eth0']['kind'] == 'veth' and links['eth0']['parent'] is None  # peer lives in another namespace
    assert run.result['sysctl_all']['arp_ignore'] == 1
    assert set(run.result['daemons']) == {'keepalived', 'ucarp', 'corosync', 'pacemakerd'}
    assert run.result['node_name'] == os.uname()[1]

    only = lab.module('failover_info', interfaces=['eth0'])
    assert [link['name'] for link in only.result['links']] == ['eth0']
    bad = lab.module('failover_info', interfaces=['nosuch0'])
    assert bad.failed and 'interfaces: no interface named nosuch0' in bad.result['msg']


def test_reports_the_state_files_it_is_given(lab, tmp_path):
    """The cluster role reads its backend record and maintenance file with the links, in one module run; only the
    paths of read_files have their text returned."""
    record = tmp_path / 'backend'
    record.write_text('keepalived\n')
    os.chmod(str(record), 0o640)
    secret = tmp_path / 'hooks.json'
    secret.write_text('{"token": "s3cret"}\n')
    binary = tmp_path / 'binary'
    binary.write_bytes(b'\xff\xfe\x00')
    run = lab.module('failover_info', interfaces=['eth0'], check=True,
                     files=[str(tmp_path), str(tmp_path / 'missing'), str(secret)],
                     read_files=[str(record), str(binary)])
    assert not run.failed, run.output
    files = run.result['files']
    assert files[str(record)] == {'exists': True, 'type': 'file', 'mode': '0640', 'owner': 'root', 'group': 'root',
                                  'content': 'keepalived\n'}
    assert files[str(tmp_path)]['type'] == 'directory' and 'content' not in files[str(tmp_path)]
    missing = {'exists': False, 'type': None, 'mode': None, 'owner': None, 'group': None}
    assert files[str(tmp_path / 'missing')] == missing
    assert files[str(secret)]['exists'] and 'content' not in files[str(secret)], 'read a file only files named'
    assert 's3cret' not in run.output
    assert files[str(binary)]['exists'] and files[str(binary)]['content'] is None, 'not UTF-8: no text'
    for option in ('files', 'read_files'):
        bad = lab.module('failover_info', **{option: ['relative/path']})
        assert bad.failed and '%s: relative/path: not an absolute path' % option in bad.result['msg']
