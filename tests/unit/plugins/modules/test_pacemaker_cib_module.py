# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""pacemaker_cib through main(): bad input fails before the CIB is read; Pacemaker's tools' failures are named.

Pacemaker does not run on the test host: run_command is replaced only to reach the error paths (the module's real
work is tested by the Molecule scenarios pacemaker_garp and pacemaker_vmac)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hanet.failover.plugins.modules import pacemaker_cib


@pytest.fixture
def commands(monkeypatch):
    calls = []
    answers = {}

    def run_command(self, argv, data=None, binary_data=False):
        calls.append(argv)
        if answers.get(argv[0]) is None:
            raise AssertionError('%s must not run here' % argv[0])
        return answers[argv[0]]
    monkeypatch.setattr(AnsibleModule, 'run_command', run_command)
    return calls, answers


@pytest.mark.parametrize('args,message', [
    ({'resources': [{'id': 'web', 'agent': 'IPaddr2'}]}, "resources[0].agent: 'IPaddr2' is not an agent"),
    ({'locations': [{'id': 'l', 'resource': 'web', 'node': 'n1', 'score': 'x'}]}, "locations[0].score: 'x'"),
    ({'purge_prefix': ''}, 'purge_prefix: give a non-empty prefix'),
    ({'properties': {'stonith-enabled': [1]}}, 'properties.stonith-enabled: give a string'),
])
def test_bad_input_fails_before_the_cib_is_read(args, message, run_module, commands):
    code, result = run_module(pacemaker_cib, args)
    assert code == 1 and message in result['msg']
    assert commands[0] == []


def test_a_cib_that_cannot_be_read_is_named(run_module, commands):
    calls, answers = commands
    answers['cibadmin'] = (102, '', 'Could not connect to the CIB: Transport endpoint is not connected')
    code, result = run_module(pacemaker_cib, {'properties': {'stonith-enabled': False}})
    assert code == 1 and 'cannot read the CIB with cibadmin --query (rc 102)' in result['msg']


def test_crm_verify_refusing_pushes_nothing(run_module, commands):
    calls, answers = commands
    answers['cibadmin'] = (0, '<cib><configuration><crm_config/><resources/><constraints/></configuration></cib>', '')
    answers['crm_verify'] = (1, '', 'error: Resource start-up disabled since no STONITH resources have been defined')
    code, result = run_module(pacemaker_cib, {'properties': {'stonith-enabled': True}})
    assert code == 1 and 'crm_verify refused the new configuration, nothing was changed' in result['msg']
    assert [argv[0] for argv in calls] == ['cibadmin', 'crm_verify']


def test_check_mode_reads_and_reports_without_pushing(run_module, commands):
    calls, answers = commands
    answers['cibadmin'] = (0, '<cib><configuration><crm_config/><resources/><constraints/></configuration></cib>', '')
    code, result = run_module(pacemaker_cib, {'properties': {'stonith-enabled': False}}, check_mode=True)
    assert code == 0 and result['changed'] is True
    assert calls == [['cibadmin', '--query']]


def test_the_difference_is_pushed_on_standard_input_and_no_secret_is_on_a_command_line(run_module, commands):
    calls, answers = commands
    answers['cibadmin'] = (0, '<cib><configuration><crm_config/><resources/><constraints/></configuration></cib>', '')
    answers['crm_verify'] = (0, '', '')
    answers['crm_diff'] = (1, '<diff format="2"/>', '')
    code, result = run_module(pacemaker_cib, {'resources': [
        {'id': 'fence-1', 'agent': 'stonith:fence_ipmilan', 'params': {'ip': '203.0.113.5'},
         'secret_params': {'password': 'pw-s3cret'}}]})
    assert code == 0 and result['changed'] is True
    assert [argv[:2] for argv in calls] == [['cibadmin', '--query'], ['crm_verify', '--xml-pipe'],
                                            ['crm_diff', '--no-version'], ['cibadmin', '--patch']]
    assert not any('pw-s3cret' in ' '.join(argv) for argv in calls)
    assert 'pw-s3cret' not in repr(result)


def test_a_diff_that_fails_is_named_and_nothing_is_pushed(run_module, commands):
    calls, answers = commands
    answers['cibadmin'] = (0, '<cib><configuration><crm_config/><resources/><constraints/></configuration></cib>', '')
    answers['crm_verify'] = (0, '', '')
    answers['crm_diff'] = (2, '', 'could not parse')
    code, result = run_module(pacemaker_cib, {'properties': {'stonith-enabled': False}})
    assert code == 1 and 'crm_diff could not compare the configurations (rc 2)' in result['msg']
    assert [argv[0] for argv in calls] == ['cibadmin', 'crm_verify', 'crm_diff']
