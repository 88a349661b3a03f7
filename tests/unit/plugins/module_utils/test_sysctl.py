# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.hanet.failover.plugins.module_utils import _sysctl


@pytest.mark.parametrize('key,value', [
    ('arp_ignore', 8), ('arp_ignore', '3'), ('arp_announce', 2), ('rp_filter', 0), ('ndisc_notify', True),
    ('arp_accept', 2), ('promote_secondaries', 1),
])
def test_allowed_values(key, value):
    assert _sysctl.check_setting(key, value) == int(value)


@pytest.mark.parametrize('key,value,message', [
    ('arp_ignore', 4, r'settings.arp_ignore: 4 is out of range; allowed values: 0, 1, 2, 3, 8'),
    ('arp_announce', 3, r'settings.arp_announce: 3 is out of range'),
    ('arp_notify', 'yes', r"settings.arp_notify: 'yes' is not a number"),
    ('rp_filter', -1, r'settings.rp_filter: -1 is out of range'),
    ('arp_snoop', 1, r"settings: unknown key 'arp_snoop'; supported keys: accept_local"),
])
def test_bad_values_name_the_key(key, value, message):
    with pytest.raises(_sysctl.SysctlError, match=message):
        _sysctl.check_setting(key, value)


@pytest.mark.parametrize('name', ['', 'a' * 16, 'eth0/1', 'eth 0', 'eth0:vip', '..'])
def test_bad_interface_names(name):
    with pytest.raises(_sysctl.SysctlError, match='interface'):
        _sysctl.check_interface_name(name)


def test_effective_value_follows_the_kernel():
    assert _sysctl.effective_value('arp_ignore', 1, 0) == 1      # max
    assert _sysctl.effective_value('arp_announce', 0, 2) == 2    # max
    assert _sysctl.effective_value('arp_filter', 1, 0) == 1      # or
    assert _sysctl.effective_value('arp_filter', 0, 0) == 0
    assert _sysctl.effective_value('rp_filter', 2, 1) == 2


def test_persisted_names_use_slashes_for_dotted_interfaces():
    assert _sysctl.persisted_name('eth0', 'arp_ignore') == 'net.ipv4.conf.eth0.arp_ignore'
    assert _sysctl.persisted_name('vrrp.51', 'arp_ignore') == 'net/ipv4/conf/vrrp.51/arp_ignore'
    assert _sysctl.persisted_name('all', 'ndisc_notify') == 'net.ipv6.conf.all.ndisc_notify'
    assert _sysctl.canonical_name('net/ipv4/conf/vrrp.51/arp_ignore') == \
        _sysctl.canonical_name('net.ipv4.conf.vrrp/51.arp_ignore')


def test_render_keeps_foreign_lines_and_updates_in_place(tmp_path):
    path = tmp_path / '90-test.conf'
    path.write_text('# mine\nnet.ipv4.ip_forward = 1\nnet.ipv4.conf.eth0.arp_ignore=0\n; old\n')
    lines, values = _sysctl.read_persisted(str(path))
    assert values[_sysctl.canonical_name('net.ipv4.conf.eth0.arp_ignore')] == '0'
    text = _sysctl.render_persisted(lines, {
        'net.ipv4.conf.eth0.arp_ignore': 1,
        'net/ipv4/conf/vrrp.51/arp_filter': 1,
    }, ['# header'])
    assert text == ('# mine\nnet.ipv4.ip_forward = 1\nnet.ipv4.conf.eth0.arp_ignore = 1\n; old\n'
                    'net/ipv4/conf/vrrp.51/arp_filter = 1\n')


def test_render_new_file_has_header():
    assert _sysctl.render_persisted([], {'net.ipv4.conf.all.arp_notify': 1}, ['# h']) == \
        '# h\nnet.ipv4.conf.all.arp_notify = 1\n'


def test_missing_file_reads_empty(tmp_path):
    assert _sysctl.read_persisted(str(tmp_path / 'nope')) == ([], {})


def test_live_read_write_under_a_fake_root(tmp_path):
    conf = tmp_path / 'net' / 'ipv4' / 'conf' / 'eth0'
    conf.mkdir(parents=True)
    (conf / 'arp_ignore').write_text('0\n')
    assert _sysctl.read_value('eth0', 'arp_ignore', root=str(tmp_path)) == 0
    _sysctl.write_value('eth0', 'arp_ignore', 1, root=str(tmp_path))
    assert (conf / 'arp_ignore').read_text() == '1\n'
    assert _sysctl.read_value('eth0', 'arp_notify', root=str(tmp_path)) is None
