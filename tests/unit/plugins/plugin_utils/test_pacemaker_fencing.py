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


# crm_mon --one-shot --output-as xml (Pacemaker 2.1), shortened: two online nodes, fence device fence-n1 running on
# n2, fence-n2 stopped after its start failed on both nodes (a wrong password).
STATUS = '''<pacemaker-result api-version="2.25" request="crm_mon --one-shot --output-as xml">
  <nodes>
    <node name="n1" id="1" online="true" standby="false" type="member"/>
    <node name="n2" id="2" online="true" standby="false" type="member"/>
  </nodes>
  <resources>
    <resource id="fence-n1" resource_agent="stonith:fence_ipmilan" role="Started" active="true" failed="false">
      <node name="n2" id="2" cached="true"/>
    </resource>
    <resource id="fence-n2" resource_agent="stonith:fence_ipmilan" role="Stopped" active="false" failed="false"/>
  </resources>
  <failures>
    <failure op_key="fence-n2_start_0" node="n1" exitstatus="error" exitreason="" exitcode="1" task="start"/>
    <failure op_key="fence-n2_start_0" node="n2" exitstatus="error" exitreason="" exitcode="1" task="start"/>
  </failures>
  <status code="0" message="OK"/>
</pacemaker-result>'''


def test_device_start_a_running_device_is_settled_and_a_failed_one_named_per_node():
    state = fencing.device_start(STATUS, ['fence-n1', 'fence-n2'])
    assert state['pending'] == []
    assert len(state['problems']) == 1
    problem = state['problems'][0]
    assert problem.startswith('cluster_pacemaker_stonith_devices[fence-n2]: the fence device did not start')
    assert 'on n1: start error' in problem and 'on n2: start error' in problem
    assert 'password' in problem  # the fix names what to check, never a value


def test_device_start_pending_until_it_failed_on_every_online_node():
    one_failure = STATUS.replace('<failure op_key="fence-n2_start_0" node="n2" exitstatus="error" exitreason="" '
                                 'exitcode="1" task="start"/>', '')
    assert fencing.device_start(one_failure, ['fence-n2']) == {'pending': ['fence-n2'], 'problems': []}
    # A node that is offline cannot try it: failures on every online node settle it.
    n2_offline = one_failure.replace('name="n2" id="2" online="true"', 'name="n2" id="2" online="false"')
    assert len(fencing.device_start(n2_offline, ['fence-n2'])['problems']) == 1


def test_device_start_a_device_not_yet_in_the_status_or_an_unreadable_status_is_pending():
    assert fencing.device_start(STATUS, ['fence-n3']) == {'pending': ['fence-n3'], 'problems': []}
    assert fencing.device_start('', ['fence-n1']) == {'pending': ['fence-n1'], 'problems': []}
    assert fencing.device_start('not xml', ['fence-n1']) == {'pending': ['fence-n1'], 'problems': []}


def test_device_start_only_nodes_that_can_run_it_count_and_only_start_failures():
    one_failure = STATUS.replace('<failure op_key="fence-n2_start_0" node="n2" exitstatus="error" exitreason="" '
                                 'exitcode="1" task="start"/>', '')
    # n2 in standby (a drained member) cannot start it: the failure on n1 settles it.
    standby = one_failure.replace('name="n2" id="2" online="true" standby="false"',
                                  'name="n2" id="2" online="true" standby="true"')
    assert len(fencing.device_start(standby, ['fence-n2'])['problems']) == 1
    # A failed monitor is not a failed start: Pacemaker restarts the device where it was.
    monitors = STATUS.replace('task="start"', 'task="monitor"').replace('_start_0', '_monitor_60000')
    assert fencing.device_start(monitors, ['fence-n2']) == {'pending': ['fence-n2'], 'problems': []}


def test_device_start_a_problem_names_the_cleanup_for_unchanged_parameters():
    problem = fencing.device_start(STATUS, ['fence-n2'])['problems'][0]
    assert 'crm_resource --cleanup --resource fence-n2' in problem


def test_device_start_an_earlier_failure_of_a_device_that_runs_is_no_problem():
    ran_elsewhere = STATUS.replace('op_key="fence-n2_start_0" node="n1"', 'op_key="fence-n1_start_0" node="n1"')
    assert fencing.device_start(ran_elsewhere, ['fence-n1']) == {'pending': [], 'problems': []}


def test_device_start_matches_whole_ids():
    # With fence-n1 stopped, the failures of fence-n1_b (op_key fence-n1_b_start_0) and of fence-n10 are not its own.
    stopped = STATUS.replace('id="fence-n1" resource_agent="stonith:fence_ipmilan" role="Started"',
                             'id="fence-n1" resource_agent="stonith:fence_ipmilan" role="Stopped"')
    others = stopped.replace('op_key="fence-n2_start_0" node="n1"', 'op_key="fence-n1_b_start_0" node="n1"')
    others = others.replace('op_key="fence-n2_start_0" node="n2"', 'op_key="fence-n10_start_0" node="n2"')
    assert fencing.device_start(others, ['fence-n1']) == {'pending': ['fence-n1'], 'problems': []}
    own = stopped.replace('fence-n2_start_0', 'fence-n1_start_0')
    assert len(fencing.device_start(own, ['fence-n1'])['problems']) == 1
