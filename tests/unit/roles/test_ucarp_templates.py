# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ucarp role's templates, rendered as the template module renders them (trim_blocks)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pathlib

import jinja2
import pytest
import yaml

from ansible.plugins.filter.core import FilterModule as CoreFilters

from ansible_collections.hanet.failover.plugins.filter.mac import FilterModule as MacFilters

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


@pytest.mark.parametrize('template', ['instance.conf.j2', 'ucarp@.service.j2'])
def test_a_multi_line_ansible_managed_stays_a_comment(template):
    lines = render(template).split('\n')
    assert lines[:4] == ['#', '# Ansible managed: do not edit', '# changes are overwritten by the next deploy', '#']


def test_the_settings_file_keeps_its_marker_line_for_stale_detection():
    # tasks/main.yml finds the instances deployed before by this line.
    assert '# hanet.failover ucarp instance web: ' in render('instance.conf.j2')
