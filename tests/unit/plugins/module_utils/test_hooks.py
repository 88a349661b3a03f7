# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""State-change hooks (plugins/module_utils/_hooks.py): validation that names the field, the plan the dispatcher
reads, and the systemd-run command lines it starts the hooks with."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.hanet.failover.plugins.module_utils import _hooks
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_validation import preflight, vips_with_defaults
from ansible_collections.hanet.failover.plugins.plugin_utils._keepalived_render import keepalived_instances

VIPS = [
    {'name': 'web', 'address': '198.51.100.100/24', 'interface': 'eth0', 'vrid': 51,
     'hooks': {'master': ['systemctl reload haproxy.service'],
               'fault': {'command': 'page-oncall "web fails"', 'user': 'monitor', 'timeout': 5}}},
    {'name': 'db', 'address': '198.51.100.101/24', 'interface': 'eth0', 'vrid': 52},
]


def test_the_plan_merges_the_vips_hooks_with_the_clusters_and_fills_in_defaults():
    plan = _hooks.plan(copy.deepcopy(VIPS), {'master': ['logger took it'], 'stop': []}, 'hooker', 20)
    assert plan['errors'] == []
    assert plan['vips']['web'] == {
        'address': '198.51.100.100',
        'hooks': {'master': [{'command': 'systemctl reload haproxy.service', 'user': 'hooker', 'timeout': 20},
                             {'command': 'logger took it', 'user': 'hooker', 'timeout': 20}],
                  'fault': [{'command': 'page-oncall "web fails"', 'user': 'monitor', 'timeout': 5}]}}
    # A VIP without hooks of its own runs the cluster's.
    assert plan['vips']['db']['hooks'] == {'master': [{'command': 'logger took it', 'user': 'hooker', 'timeout': 20}]}
    assert plan['users'] == ['hooker', 'monitor']


def test_no_hooks_no_plan():
    assert _hooks.plan([{'name': 'db', 'address': '198.51.100.101/24'}], {}) == {'vips': {}, 'users': [], 'errors': []}


@pytest.mark.parametrize('hooks, message', [
    ({'promoted': ['true']}, "cluster_vips[web].hooks: 'promoted' is not a state; hooks run on master, backup, fault"),
    ({'master': 'true\nrm -rf /'}, 'cluster_vips[web].hooks.master[0].command: '),
    ({'master': [{'command': ''}]}, 'cluster_vips[web].hooks.master[0].command: give the command'),
    ({'master': [{'command': 'true', 'user': 'no body'}]}, "cluster_vips[web].hooks.master[0].user: 'no body' is not"),
    ({'backup': [{'command': 'true', 'timeout': -1}]}, 'cluster_vips[web].hooks.backup[0].timeout: -1 is out of range'),
    ({'backup': [{'command': 'true', 'timeout': 'soon'}]}, "cluster_vips[web].hooks.backup[0].timeout: 'soon' is not"),
    ({'stop': [{'command': 'true', 'when': 'later'}]}, 'cluster_vips[web].hooks.stop[0]: unknown field when'),
    ({'stop': [42]}, 'cluster_vips[web].hooks.stop[0]: a hook is a command'),
    (['true'], 'cluster_vips[web].hooks: give a mapping of states'),
])
def test_bad_hooks_are_named_once_per_member_by_the_preflight(hooks, message):
    vips = [dict(VIPS[0], hooks=hooks)]
    group = [{'name': name, 'vips': copy.deepcopy(vips), 'priority': prio, 'links': None}
             for name, prio in (('n1', 150), ('n2', 100))]
    errors = preflight(group)
    named = [e for e in errors if message in e]
    assert len(named) == 2 and named[0].startswith('n1: ' + message) and named[1].startswith('n2: ' + message), errors
    # The plan leaves that VIP out and does not name it again.
    assert _hooks.plan(vips) == {'vips': {}, 'users': [], 'errors': []}


def test_bad_cluster_defaults_are_named():
    assert _hooks.plan(VIPS, None, 'root', 0)['errors'] == [
        'cluster_hook_user and cluster_hook_timeout.timeout: 0 is out of range; give 1 to 3600 seconds']
    assert 'cluster_hooks: ' in _hooks.plan(VIPS, {'maser': ['true']})['errors'][0]


def test_dispatch_starts_each_hook_as_a_transient_unit_and_counts_failures():
    config = _hooks.plan(VIPS, {'master': ['logger took it']})
    started = []
    lines = []

    def run(argv):
        started.append(argv)
        return 1 if 'logger' in argv[-1] else 0

    failed = _hooks.dispatch(config, 'web', 'master', run, lines.append, now=12.5)
    assert failed == 1
    # (systemd-run runs on the members, not here.)
    assert started[0][0] == 'systemd-run' and started[0][1:] == [
        '--no-block', '--quiet', '--collect', '--unit=hanet-hook-web-master-12500000-0',
        '--description=hanet.failover master hook 0 of VIP web', '--uid=root', '--property=RuntimeMaxSec=30',
        '--property=TimeoutStopSec=5', '--property=SyslogIdentifier=hanet-hook-web', '--setenv=HANET_VIP=web',
        '--setenv=HANET_STATE=master', '--setenv=HANET_ADDRESS=198.51.100.100',
        '/bin/sh', '-c', 'systemctl reload haproxy.service']
    assert started[1][-1] == 'logger took it' and started[1][4] == '--unit=hanet-hook-web-master-12500000-1'
    assert lines == ['web: master: started hook 0 as root (hanet-hook-web-master-12500000-0)',
                     'web: master: hook 1 could not be started (systemd-run exited 1)']
    # A state or VIP without hooks starts nothing.
    assert _hooks.dispatch(config, 'web', 'backup', started.append, lines.append) == 0
    assert _hooks.dispatch(config, 'other', 'master', started.append, lines.append) == 0
    assert len(started) == 2


def test_the_backends_run_the_dispatcher_on_every_state():
    group = [{'name': name, 'vips': copy.deepcopy(VIPS), 'priority': prio, 'links': None}
             for name, prio in (('n1', 150), ('n2', 100))]
    instances = keepalived_instances(group[0], members=group, notify='/usr/bin/python3 /x/hanet-hook')
    assert instances[0]['notify_master'] == '/usr/bin/python3 /x/hanet-hook web master'
    assert instances[1]['notify_stop'] == '/usr/bin/python3 /x/hanet-hook db stop'
    assert instances[0]['notify_user'] == 'root'
    assert 'notify_fault' not in keepalived_instances(group[0], members=group)[0]


def test_cluster_track_is_the_default_of_the_vips_without_their_own():
    vips = [{'name': 'web'}, {'name': 'db', 'track': []}, {'name': 'api', 'track': [{'tcp': 80}]}]
    out = vips_with_defaults(vips, [{'service': 'haproxy'}])
    assert [v['track'] for v in out] == [[{'service': 'haproxy'}], [], [{'tcp': 80}]]
    assert 'track' not in vips[0]
    assert vips_with_defaults(vips, []) == vips
