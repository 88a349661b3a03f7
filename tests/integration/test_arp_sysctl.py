# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import subprocess


def test_set_live_and_persisted_then_idempotent(lab):
    path = lab.tmp / 'sysctl.d' / '90-hanet-failover.conf'
    path.parent.mkdir()
    path.write_text('# kept\nnet.ipv4.ip_forward = 1\n')
    args = dict(interface='eth0', settings={'arp_ignore': 1, 'arp_announce': 2, 'arp_notify': 1},
                sysctl_file=str(path))

    run = lab.module('arp_sysctl', check=True, **args)
    assert not run.failed and run.changed == 1
    assert lab.sysctl('net.ipv4.conf.eth0.arp_ignore') == 0
    assert path.read_text() == '# kept\nnet.ipv4.ip_forward = 1\n'

    run = lab.module('arp_sysctl', **args)
    assert not run.failed, run.output
    assert run.changed == 1
    assert run.result['diff']['before']['live'] == {'arp_ignore': 0, 'arp_announce': 0, 'arp_notify': 0}
    assert lab.sysctl('net.ipv4.conf.eth0.arp_ignore') == 1
    assert lab.sysctl('net.ipv4.conf.eth0.arp_announce') == 2
    assert lab.sysctl('net.ipv4.conf.eth0.arp_notify') == 1
    assert lab.sysctl('net.ipv4.conf.all.arp_ignore') == 0, 'a key the user did not name was changed'
    assert path.read_text() == ('# kept\nnet.ipv4.ip_forward = 1\n'
                                'net.ipv4.conf.eth0.arp_announce = 2\n'
                                'net.ipv4.conf.eth0.arp_ignore = 1\n'
                                'net.ipv4.conf.eth0.arp_notify = 1\n')

    again = lab.module('arp_sysctl', **args)
    assert not again.failed and again.changed == 0


def test_dotted_interface_is_persisted_in_slash_notation(lab):
    lab.ip(lab.ns, 'link', 'add', 'vrrp.51', 'link', 'eth0', 'type', 'macvlan', 'mode', 'private')
    path = lab.tmp / 'dotted.conf'
    run = lab.module('arp_sysctl', interface='vrrp.51', settings={'arp_ignore': 1, 'accept_local': 1},
                     sysctl_file=str(path))
    assert not run.failed, run.output
    assert lab.sysctl('net/ipv4/conf/vrrp.51/arp_ignore') == 1
    assert lab.sysctl('net/ipv4/conf/vrrp.51/accept_local') == 1
    assert 'net/ipv4/conf/vrrp.51/arp_ignore = 1' in path.read_text()
    # The file is one that the kernel's own tool applies as written.
    applied = subprocess.run(['ip', 'netns', 'exec', lab.ns, 'sysctl', '-p', str(path)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert applied.returncode == 0, applied.stderr


def test_effective_value_warning_and_ipv6_key(lab):
    path = lab.tmp / 'x.conf'
    lab.module('arp_sysctl', interface='all', settings={'arp_ignore': 2}, persist=False)
    run = lab.module('arp_sysctl', interface='eth0', settings={'arp_ignore': 1, 'ndisc_notify': 1},
                     sysctl_file=str(path))
    assert not run.failed, run.output
    assert run.result['effective'] == {'arp_ignore': 2, 'ndisc_notify': 1}
    assert any('the kernel applies 2 because net.ipv4.conf.all.arp_ignore is 2' in w
               for w in run.result['warnings'])
    assert lab.sysctl('net.ipv6.conf.eth0.ndisc_notify') == 1
    assert 'net.ipv6.conf.eth0.ndisc_notify = 1' in path.read_text()


def test_bad_input_changes_nothing(lab):
    path = lab.tmp / 'bad.conf'
    path.write_text('net.ipv4.conf.eth0.arp_ignore = 0\n')
    cases = [
        (dict(interface='nosuch0', settings={'arp_ignore': 1}), 'interface: there is no ipv4 interface named nosuch0'),
        (dict(interface='eth0', settings={'arp_ignore': 1, 'arp_announce': 7}), 'settings.arp_announce: 7 is out of range'),
        (dict(interface='eth0', settings={'arp_ignore': 1, 'rp_filter': 'strict'}), "settings.rp_filter: 'strict' is not a number"),
        (dict(interface='eth0', settings={'arp_ignore': 1}, sysctl_file=str(lab.tmp / 'missing' / 'x.conf')),
         'sysctl_file: the directory of'),
    ]
    for args, message in cases:
        args.setdefault('sysctl_file', str(path))
        run = lab.module('arp_sysctl', **args)
        assert run.failed and message in run.result['msg'], run.result['msg']
    assert lab.sysctl('net.ipv4.conf.eth0.arp_ignore') == 0
    assert path.read_text() == 'net.ipv4.conf.eth0.arp_ignore = 0\n'
