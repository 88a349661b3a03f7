# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Pacemaker vmac resource agent (roles/pacemaker/files/hanet-vmac, ocf:hanet:vmac) against real links in a
namespace, under both interpreters (the venv's and Debian's python3), as Pacemaker runs it: ACTION as argument,
parameters in OCF_RESKEY_*. The agent makes its link with iproute2's ip and never imports pyroute2 (see its header)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
AGENT = os.path.join(REPO, 'roles', 'pacemaker', 'files', 'hanet-vmac')
# The agent imports the collection's checks and sysctl code: from the tree under test (scripts/bootstrap links it).
COLLECTIONS = os.path.join(REPO, '.build', 'collections')
VMAC = '00:00:5e:00:01:33'
SUCCESS, ERR_CONFIGURED, ERR_INSTALLED, NOT_RUNNING = 0, 6, 5, 7


def agent(lab, action, **params):
    settings = {'device': 'eth0', 'name': 'vrrp.51', 'mac': VMAC}
    settings.update(params)
    env = dict(os.environ, HANET_PACEMAKER_LIB_DIR=COLLECTIONS)
    env.update(('OCF_RESKEY_%s' % key, value) for key, value in settings.items())
    return subprocess.run(['ip', 'netns', 'exec', lab.ns, lab.python, AGENT, action], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)


def test_start_monitor_stop_with_the_sysctls_of_a_virtual_router_idempotent(lab):
    assert agent(lab, 'monitor').returncode == NOT_RUNNING
    assert agent(lab, 'stop').returncode == SUCCESS
    started = agent(lab, 'start')
    assert started.returncode == SUCCESS, started.stderr
    link = lab.link('vrrp.51')
    assert link['address'] == VMAC and 'UP' in link['flags']
    assert link['linkinfo']['info_kind'] == 'macvlan' and link['linkinfo']['info_data']['mode'] == 'private'
    assert lab.sysctl('net.ipv4.conf.vrrp/51.arp_ignore') == 1
    assert lab.sysctl('net.ipv4.conf.vrrp/51.arp_announce') == 2
    assert lab.sysctl('net.ipv4.conf.vrrp/51.rp_filter') == 2
    assert lab.sysctl('net.ipv6.conf.vrrp/51.disable_ipv6') == 1
    assert agent(lab, 'start').returncode == SUCCESS
    assert agent(lab, 'monitor').returncode == SUCCESS
    lab.ip(lab.ns, 'link', 'set', 'vrrp.51', 'down')
    assert agent(lab, 'monitor').returncode == 1  # OCF_ERR_GENERIC: Pacemaker recovers it
    assert agent(lab, 'stop').returncode == SUCCESS
    assert lab.link('vrrp.51') is None
    assert agent(lab, 'stop').returncode == SUCCESS
    assert agent(lab, 'monitor').returncode == NOT_RUNNING


def test_a_link_of_that_name_that_is_not_its_own_is_never_touched(lab):
    lab.ip(lab.ns, 'link', 'add', 'vrrp.51', 'link', 'eth0', 'address', '02:00:00:00:00:99', 'type', 'macvlan',
           'mode', 'bridge')
    before = lab.snapshot()
    assert agent(lab, 'monitor').returncode == NOT_RUNNING
    refused = agent(lab, 'start')
    assert refused.returncode == ERR_INSTALLED and 'is not this resource\'s macvlan' in refused.stderr
    assert agent(lab, 'stop').returncode == SUCCESS
    assert lab.snapshot() == before


def test_a_macvlan_with_its_name_and_mac_on_another_parent_is_not_its_own(lab):
    lab.ip(lab.ns, 'link', 'add', 'other0', 'type', 'veth', 'peer', 'name', 'other1')
    lab.ip(lab.ns, 'link', 'add', 'vrrp.51', 'link', 'other0', 'address', VMAC, 'type', 'macvlan', 'mode', 'private')
    before = lab.snapshot()
    assert agent(lab, 'monitor').returncode == NOT_RUNNING
    assert agent(lab, 'start').returncode == ERR_INSTALLED
    assert agent(lab, 'stop').returncode == SUCCESS
    assert lab.snapshot() == before


def test_bad_parameters_and_meta_data(lab):
    bad = agent(lab, 'validate-all', mac='01:00:5e:00:00:01')
    assert bad.returncode == ERR_CONFIGURED and 'mac: 01:00:5e:00:00:01 is a multicast MAC' in bad.stderr
    assert agent(lab, 'start', mac='01:00:5e:00:00:01').returncode == ERR_CONFIGURED
    assert agent(lab, 'stop', mac='').returncode == SUCCESS
    meta = agent(lab, 'meta-data')
    assert meta.returncode == SUCCESS and '<resource-agent name="vmac"' in meta.stdout
    assert agent(lab, 'promote').returncode == 3
