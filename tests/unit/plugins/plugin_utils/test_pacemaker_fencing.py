# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fence devices' preflight (plugins/plugin_utils/_pacemaker_fencing.py), from agent metadata as
``stonith_admin --metadata --agent TYPE`` prints it and from its exit codes."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hanet.failover.plugins.plugin_utils import _pacemaker_fencing as fencing

# The shape of fence-agents 4.12's fence_ipmilan metadata (shortened): ip obsoletes ipaddr, both marked required,
# the old one deprecated; port is required but Pacemaker gives it.
IPMILAN = '''<?xml version="1.0" ?>
<resource-agent name="fence_ipmilan" shortdesc="Fence agent for IPMI" >
<parameters>
  <parameter name="action" unique="0" required="1"><content type="string" default="reboot"/></parameter>
  <parameter name="ip" unique="0" required="1" obsoletes="ipaddr"><content type="string"/></parameter>
  <parameter name="ipaddr" unique="0" required="1" deprecated="1"><content type="string"/></parameter>
  <parameter name="lanplus" unique="0" required="0"><content type="boolean"/></parameter>
  <parameter name="username" unique="0" required="0" obsoletes="login"><content type="string"/></parameter>
  <parameter name="password" unique="0" required="0" obsoletes="passwd"><content type="string"/></parameter>
  <parameter name="plug" unique="0" required="1" obsoletes="port"><content type="string"/></parameter>
</parameters>
<actions><action name="off"/><action name="monitor"/><action name="metadata"/></actions>
</resource-agent>
'''


def member(name, *results):
    return {'name': name, 'fence_metadata': [dict(zip(('item', 'rc', 'stdout'), r)) for r in results]}


def device(**values):
    return dict({'id': 'fence-n1', 'agent': 'stonith:fence_ipmilan'}, **values)


def test_agent_types_once_in_order_and_only_stonith_agents():
    devices = [device(), device(id='fence-n2'), {'id': 'x', 'agent': 'ocf:heartbeat:Dummy'},
               device(agent='stonith:fence_watchdog')]
    assert fencing.agent_types(devices) == ['fence_ipmilan', 'fence_watchdog']


def test_a_complete_device_passes_and_pcmk_parameters_are_pacemakers():
    members = [member('n1', ('fence_ipmilan', 0, IPMILAN)), member('n2', ('fence_ipmilan', 0, IPMILAN))]
    ok = device(params={'ip': '192.0.2.10', 'username': 'admin', 'lanplus': 1, 'pcmk_host_list': 'n1'},
                secret_params={'password': 'x'})
    assert fencing.device_problems([ok], members) == []
    # The deprecated name satisfies the requirement too.
    assert fencing.device_problems([device(params={'ipaddr': '192.0.2.10'})], members) == []


def test_unknown_and_missing_parameters_are_named_and_values_never_shown():
    members = [member('n1', ('fence_ipmilan', 0, IPMILAN))]
    bad = device(params={'username': 'admin', 'pcmk_host_list': 'n1'}, secret_params={'passwd_typo': 's3cret'})
    problems = fencing.device_problems([bad], members)
    assert problems[0].startswith('cluster_pacemaker_stonith_devices[fence-n1].secret_params.passwd_typo: '
                                  'fence_ipmilan takes no parameter passwd_typo (it takes ')
    assert problems[1] == ('cluster_pacemaker_stonith_devices[fence-n1]: fence_ipmilan requires the parameter ip '
                           '(or ipaddr); give it in params (or, for a password, secret_params)')
    assert len(problems) == 2 and not [p for p in problems if 's3cret' in p]


def test_an_agent_missing_on_a_member_is_named_with_the_package_hint():
    members = [member('n1', ('fence_ipmilan', 0, IPMILAN)), member('n2', ('fence_ipmilan', 105, ''))]
    problems = fencing.device_problems([device(params={'ip': '192.0.2.10'})], members)
    assert problems == ['cluster_pacemaker_stonith_devices[fence-n1].agent: stonith:fence_ipmilan is not installed '
                        'on n2 (stonith_admin does not know it); install the package that provides it on every member '
                        '(Debian 12: fence-agents; Debian 13: one package per agent, usually fence-agents-ipmilan) '
                        'with cluster_pacemaker_fence_packages, or another way, then deploy again']


def test_members_that_could_not_be_asked_are_skipped():
    # A bare host in check mode: stonith_admin is not installed yet (the command module's rc 2), or the read was
    # skipped. Nothing can be said, so nothing is refused.
    members = [member('n1', ('fence_ipmilan', 2, '')), {'name': 'n2'},
               {'name': 'n3', 'fence_metadata': [{'skipped': True, 'item': 'fence_ipmilan'}]}]
    assert fencing.device_problems([device(params={'nonsense': 1})], members) == []


def test_a_device_without_a_stonith_agent_is_refused():
    problems = fencing.device_problems([{'agent': 'ocf:heartbeat:Dummy'}], [member('n1')])
    assert problems == ["cluster_pacemaker_stonith_devices[0].agent: 'ocf:heartbeat:Dummy' is not a fence agent; "
                        "write stonith:TYPE, such as stonith:fence_ipmilan"]
    assert fencing.parse_metadata('not xml') is None and fencing.parse_metadata('<other/>') is None


def test_pacemakers_own_parameters_and_the_host_argument():
    members = [member('n1', ('fence_ipmilan', 0, IPMILAN))]
    # provides and stonith-timeout are Pacemaker's; the parameter pcmk_host_argument names is given by the fencer.
    ok = device(params={'ip': '192.0.2.10', 'provides': 'unfencing', 'stonith-timeout': '60s'})
    assert fencing.device_problems([ok], members) == []
    agent = IPMILAN.replace('name="ip" unique="0" required="1" obsoletes="ipaddr"', 'name="ip" unique="0" required="1"')
    members = [member('n1', ('fence_ipmilan', 0, agent))]
    assert fencing.device_problems([device(params={'pcmk_host_argument': 'ip'})], members) == []


def test_an_agent_name_that_cannot_be_asked_about_is_refused():
    assert fencing.agent_types([device(agent='stonith:fence ipmilan')]) == []
    assert fencing.device_problems([device(agent='stonith:fence ipmilan')], [member('n1')])[0].startswith(
        "cluster_pacemaker_stonith_devices[fence-n1].agent: 'stonith:fence ipmilan' is not a fence agent")
