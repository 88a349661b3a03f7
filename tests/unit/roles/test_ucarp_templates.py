# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ucarp role's templates, rendered as the template module renders them (trim_blocks), and its password rule."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import pathlib

import jinja2
import pytest
import yaml

from ansible.plugins.filter.core import FilterModule as CoreFilters

from ansible_collections.hanet.failover.plugins.filter.cluster import FilterModule as ClusterFilters
from ansible_collections.hanet.failover.plugins.filter.mac import FilterModule as MacFilters
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_validation import (
    ModelError, resolved_vip, ucarp_password_problem)

ROLE = pathlib.Path(__file__).resolve().parents[3] / 'roles' / 'ucarp'
MANAGED = 'Ansible managed: do not edit\nchanges are overwritten by the next deploy'
INSTANCE = {'name': 'web', 'interface': 'eth0', 'srcip': '198.51.100.2', 'vhid': 51, 'address': '198.51.100.10/24',
            'mac_mode': 'vmac'}


def render(name, **variables):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(ROLE / 'templates')), trim_blocks=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters.update((key, value) for key, value in CoreFilters().filters().items() if key not in env.filters)
    env.filters.update(dict(('hanet.failover.' + key, value) for key, value in MacFilters().filters().items()))
    context = yaml.safe_load((ROLE / 'defaults' / 'main.yml').read_text())
    context.update(ansible_managed=MANAGED, item=INSTANCE)
    context.update(variables)
    return env.get_template(name).render(**context)


@pytest.mark.parametrize('template', ['instance.conf.j2', 'ucarp@.service.j2', 'hanet-ucarp-health@.path.j2',
                                      'hanet-ucarp-health@.service.j2', 'hanet-ucarp-health@.timer.j2'])
def test_a_multi_line_ansible_managed_stays_a_comment(template):
    lines = render(template).split('\n')
    assert lines[:4] == ['#', '# Ansible managed: do not edit', '# changes are overwritten by the next deploy', '#']


def test_a_tracked_instance_names_its_track_file_and_the_unit_checks_it():
    assert 'UCARP_HEALTH_FILE=\n' in render('instance.conf.j2')
    tracked = render('instance.conf.j2', item=dict(INSTANCE, track=True), ucarp_health_dir='/srv/health')
    assert 'UCARP_HEALTH_FILE=/srv/health/web.fault\n' in tracked
    # Unbraced: an untracked instance passes no argument, and ucarp-health ok lets it start.
    assert 'ExecCondition=/usr/local/libexec/hanet-failover/ucarp-health ok $UCARP_HEALTH_FILE\n' in \
        render('ucarp@.service.j2')
    assert 'PathChanged=/srv/health/%i.fault\n' in render('hanet-ucarp-health@.path.j2', ucarp_health_dir='/srv/health')


def test_the_settings_file_keeps_its_marker_line_for_stale_detection():
    # tasks/main.yml finds the instances deployed before by this line.
    assert '# hanet.failover ucarp instance web: ' in render('instance.conf.j2')


# The role's password rule (the first task of tasks/main.yml) and the cluster preflight's are one function,
# _cluster_validation.ucarp_password_problem, exposed as the hanet.failover.ucarp_password_problem filter.
PASSWORDS = [
    # (password, ucarp can use it)
    ('x' * 19, True),
    ('x' * 20, False),
    ('\u00e9' + 'x' * 17, True),  # 18 characters, 19 bytes
    ('\u00e9' + 'x' * 18, False),  # 19 characters, 20 bytes: the é counts two
    ('nineteen-bytes-\u00e9-ok', False),  # 19 characters, 20 bytes
    ('\u00e9' * 10, False),
    ('twenty-bytes-secret!', False),
    ('ucarp-web-secret', True),
    ('a', True),
    ('!#$%&"\\{}~', True),  # no quoting involved: ucarp reads the file's first line as it is
    (12345, True),  # a YAML number, written as its digits
    ('', False),
    (None, False),
    ('with space', False),
    (' ', False),
    ('tab\tx', False),
    ('new\nline', False),
    ('trailing\n', False),
    ('nbsp\u00a0x', False),  # white space too
    ('nul\x00x', False),
    ('del\x7f', False),
    ('lone\ud800', False),  # a lone surrogate has no UTF-8 bytes to count
    (True, False),
    (1.5, False),
    (['a'], False),
]


def password_task():
    tasks = yaml.safe_load((ROLE / 'tasks' / 'main.yml').read_text())
    assert tasks[0]['name'] == 'Refuse a password ucarp cannot use (nothing was changed)'
    return tasks[0]


@functools.lru_cache(maxsize=None)
def role_templates():
    """The first task's vars, condition and message, compiled as the role evaluates them (collection filters)."""
    task = password_task()
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters.update((key, value) for key, value in CoreFilters().filters().items() if key not in env.filters)
    env.filters.update(dict(('hanet.failover.' + key, value) for key, value in ClusterFilters().filters().items()))
    return (env.from_string(task['vars']['__ucarp_password_problems']),
            env.from_string('{{ %s }}' % task['ansible.builtin.assert']['that']),
            env.from_string(task['ansible.builtin.assert']['fail_msg']))


def role_check(instances):
    """The first task's assert as the role evaluates it: (passed, message)."""
    problems, that, fail_msg = role_templates()
    text = problems.render(ucarp_instances=instances)
    return (that.render(__ucarp_password_problems=text) == 'True',
            fail_msg.render(__ucarp_password_problems=text))


def preflight_problem(password):
    """The cluster preflight's verdict on cluster_vips[web].auth_pass: None or the text after the field."""
    vip = {'name': 'web', 'address': '198.51.100.10/24', 'interface': 'eth0', 'vrid': 51, 'auth_pass': password}
    try:
        resolved_vip(vip, 'default', 'ucarp')
    except ModelError as exc:
        prefix = 'cluster_vips[web].auth_pass: '
        assert str(exc).startswith(prefix), exc
        return str(exc)[len(prefix):]
    return None


def test_the_role_uses_the_filter_of_the_collection():
    assert ClusterFilters().filters()['ucarp_password_problem'] is not None
    assert 'hanet.failover.ucarp_password_problem' in password_task()['vars']['__ucarp_password_problems']


@pytest.mark.parametrize('password,usable', PASSWORDS, ids=[repr(p[0]) for p in PASSWORDS])
def test_the_role_the_filter_and_the_preflight_agree(password, usable):
    problem = ClusterFilters().filters()['ucarp_password_problem'](password)
    assert (problem is None) == usable, problem
    assert preflight_problem(password) == problem
    passed, message = role_check([dict(INSTANCE, password=password)])
    assert passed == usable
    if not usable:
        assert message == 'ucarp_instances[web].password: %s. Nothing was changed.' % problem
        if isinstance(password, str) and len(password) > 1:
            assert password not in message


@pytest.mark.parametrize('password', ['x' * 20, '\u00e9' + 'x' * 18, 'with space'])
def test_a_password_ucarp_refuses_is_named_by_the_rule(password):
    # tests/integration/test_bad_input.py runs the role with these and looks for this start.
    message = role_check([dict(INSTANCE, password=password)])[1]
    assert message.startswith('ucarp_instances[web].password: give 1 to 19 bytes of printable characters without '
                              'white space (ucarp 1.5 keeps at most 19 and exits with "Password too long" above'), \
        message


def test_an_instance_without_a_password_is_refused_as_missing():
    instance = dict(INSTANCE)
    passed, message = role_check([instance])
    assert not passed
    assert message.startswith('ucarp_instances[web].password: ucarp needs a password'), message


def test_every_refused_instance_is_named_with_its_problem_and_the_good_ones_are_not():
    instances = [dict(INSTANCE, name='web', password='x' * 20), dict(INSTANCE, name='ok', password='fine'),
                 dict(INSTANCE, name='api', password='')]
    passed, message = role_check(instances)
    assert not passed
    assert message == ('ucarp_instances[web].password: %s. ucarp_instances[api].password: %s. Nothing was changed.'
                       % (ucarp_password_problem('x' * 20), ucarp_password_problem('')))
    assert role_check([dict(INSTANCE, password='fine')]) == (True, ' Nothing was changed.')
    assert role_check([])[0]


def test_the_role_and_the_preflight_agree_on_every_character():
    for code in range(0x3001):  # up to U+3000, the ideographic space
        char = chr(code)
        problem = ucarp_password_problem(char)
        assert preflight_problem(char) == problem, repr(char)
        assert role_check([dict(INSTANCE, password=char)])[0] == (problem is None), repr(char)
