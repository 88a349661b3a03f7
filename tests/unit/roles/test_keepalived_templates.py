# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The keepalived role's templates, rendered as the template module renders them (trim_blocks), with Ansible's own
filters and the collection's."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pathlib
import re

import jinja2
import pytest
import yaml

from ansible.plugins.filter.core import FilterModule as CoreFilters

from ansible_collections.hanet.failover.plugins.filter.cluster import FilterModule as ClusterFilters
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_addresses import vmac_interface
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_validation import (
    keepalived_auth_pass_problem, resolved_vip)
from ansible_collections.hanet.failover.plugins.plugin_utils._keepalived_render import keepalived_vmac_name

ROLE = pathlib.Path(__file__).resolve().parents[3] / 'roles' / 'keepalived'
# A multi-line ansible_managed (ansible.cfg allows one): every line must stay a comment.
MANAGED = 'Ansible managed: do not edit\nchanges are overwritten by the next deploy'


def render(name, **variables):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(ROLE / 'templates')), trim_blocks=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    # Ansible's filters, but Jinja's own default (Ansible's stands in for Jinja's with its own Undefined).
    env.filters.update((key, value) for key, value in CoreFilters().filters().items() if key not in env.filters)
    env.filters.update(dict(('hanet.failover.' + key, value) for key, value in ClusterFilters().filters().items()))
    context = {'ansible_managed': MANAGED, 'keepalived_instances': [], 'keepalived_track_files': [],
               'keepalived_scripts': [], 'keepalived_sync_groups': []}
    context.update(variables)
    return env.get_template(name).render(**context)


def role_defaults():
    defaults = yaml.safe_load((ROLE / 'defaults' / 'main.yml').read_text())
    defaults['keepalived_router_id'] = 'n1'
    defaults['__keepalived_secrets_dir'] = '/etc/keepalived/hanet-secrets'
    return defaults


INSTANCES = [
    {'name': 'VI_web', 'interface': 'eth0', 'virtual_router_id': 51, 'priority': 150, 'use_vmac': True,
     'virtual_ipaddresses': [{'address': '198.51.100.100/24'}]},
    {'name': 'VI_web6', 'interface': 'eth0', 'virtual_router_id': 52, 'priority': 150, 'use_vmac': True,
     'version': 3, 'native_ipv6': True, 'virtual_ipaddresses': [{'address': '2001:db8::100/64'}]},
    {'name': 'VI_named', 'interface': 'eth0', 'virtual_router_id': 53, 'priority': 150, 'use_vmac': True,
     'vmac_name': 'vmac-named', 'virtual_ipaddresses': ['198.51.100.101/24']},
    {'name': 'VI_api', 'interface': 'eth0', 'virtual_router_id': 54, 'priority': 150, 'auth_pass': 'a b#c!d',
     'virtual_ipaddresses': [{'address': '198.51.100.102/24', 'dev': 'eth0'}]},
]


@pytest.mark.parametrize('template,variables', [
    ('keepalived.conf.j2', dict(role_defaults(), keepalived_instances=INSTANCES)),
    ('hanet-vips.j2', dict(role_defaults(), keepalived_instances=INSTANCES)),
    ('keepalived-hanet.conf.j2', dict(role_defaults(), keepalived_config_path='/etc/keepalived/keepalived.conf')),
])
def test_a_multi_line_ansible_managed_stays_a_comment(template, variables):
    text = render(template, **variables)
    head = text.split('\n')[:4]
    assert head == ['#', '# Ansible managed: do not edit', '# changes are overwritten by the next deploy', '#'], text


def test_the_vmac_interfaces_keepalived_creates_are_the_ones_the_release_list_names():
    conf = render('keepalived.conf.j2', **dict(role_defaults(), keepalived_instances=INSTANCES))
    # keepalived is always told the name: unnamed, it would take vrrp6.VRID, vrrp1.VRID, ... where vrrp.VRID is taken.
    assert re.findall(r'^\s*use_vmac (.*)$', conf, re.M) == ['vrrp.51', 'vrrp6.52', 'vmac-named']
    vips = render('hanet-vips.j2', **dict(role_defaults(), keepalived_instances=INSTANCES))
    assert re.findall(r'^vmac .*$', vips, re.M) == ['vmac vrrp.51 eth0', 'vmac vrrp6.52 eth0', 'vmac vmac-named eth0']
    assert re.findall(r'^address .*$', vips, re.M) == [
        'address 198.51.100.100/24 vrrp.51 VI_web', 'address 2001:db8::100/64 vrrp6.52 VI_web6',
        'address 198.51.100.101/24 vmac-named VI_named', 'address 198.51.100.102/24 eth0 VI_api']


def load_resigner():
    """roles/keepalived/files/keepalived-resign as a module (it has no .py suffix on the targets)."""
    import importlib.machinery
    import importlib.util
    loader = importlib.machinery.SourceFileLoader('keepalived_resign', str(ROLE / 'files' / 'keepalived-resign'))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


UNICAST = {'name': 'VI_uni', 'interface': 'eth1', 'virtual_router_id': 60, 'priority': 100, 'version': 3,
           'advert_int': 0.1, 'unicast_src_ip': '10.0.0.1', 'unicast_peers': ['10.0.0.2', '10.0.0.3'],
           'virtual_ipaddresses': ['10.0.0.100/24']}


def test_the_release_list_describes_each_instance_for_the_resignation_without_a_password(tmp_path):
    text = render('hanet-vips.j2', **dict(role_defaults(), keepalived_instances=INSTANCES + [UNICAST]))
    assert 'a b#c!d' not in text
    assert re.findall(r'^vrrp .*$', text, re.M) == [
        'vrrp VI_web interface=eth0 family=4 version=2 vrid=51 advert_int=1 vips=198.51.100.100',
        'vrrp VI_web6 interface=eth0 family=6 version=3 vrid=52 advert_int=1 vips=2001:db8::100',
        'vrrp VI_named interface=eth0 family=4 version=2 vrid=53 advert_int=1 vips=198.51.100.101',
        'vrrp VI_api interface=eth0 family=4 version=2 vrid=54 advert_int=1 vips=198.51.100.102 auth=PASS '
        'auth_file=/etc/keepalived/hanet-secrets/VI_api.auth',
        'vrrp VI_uni interface=eth1 family=4 version=3 vrid=60 advert_int=0.1 vips=10.0.0.100 unicast_src=10.0.0.1 '
        'unicast_peers=10.0.0.2,10.0.0.3']
    # The helper reads back what the role rendered: the list, and the password from the file keepalived includes.
    listing = tmp_path / 'hanet-vips'
    listing.write_text(text)
    auth = tmp_path / 'VI_api.auth'
    auth.write_text(render('auth_pass.j2', item=INSTANCES[3]))
    resigner = load_resigner()
    instances, vips = resigner.read_list(str(listing))
    assert sorted(instances) == ['VI_api', 'VI_named', 'VI_uni', 'VI_web', 'VI_web6']
    assert instances['VI_uni']['unicast_peers'] == '10.0.0.2,10.0.0.3'
    assert vips == set(['198.51.100.100', '2001:db8::100', '198.51.100.101', '198.51.100.102', '10.0.0.100'])
    assert resigner.password_from(str(auth)) == b'a b#c!d'


def test_the_drop_in_gives_the_release_the_lib_dir_of_the_resignation():
    text = render('keepalived-hanet.conf.j2', **dict(role_defaults(), keepalived_config_path='/etc/keepalived/keepalived.conf'))
    assert re.findall(r'^ExecStopPost=(.*)$', text, re.M) == [
        '/usr/local/libexec/hanet-failover/keepalived-release /etc/keepalived/hanet-vips '
        '/usr/local/lib/hanet-failover-keepalived']


def test_the_cluster_model_and_the_role_name_the_vmac_alike():
    vip4 = resolved_vip({'name': 'web', 'address': '198.51.100.100/24', 'interface': 'eth0', 'vrid': 51,
                         'mac_mode': 'vmac'})
    vip6 = resolved_vip({'name': 'web6', 'address': '2001:db8::100/64', 'interface': 'eth0', 'vrid': 52,
                         'mac_mode': 'vmac'})
    assert vmac_interface(vip4) == keepalived_vmac_name(INSTANCES[0]) == 'vrrp.51'
    assert vmac_interface(vip6) == keepalived_vmac_name(INSTANCES[1]) == 'vrrp6.52'
    assert keepalived_vmac_name(INSTANCES[3]) is None


def test_the_password_is_written_in_double_quotes():
    assert render('auth_pass.j2', item=INSTANCES[3]) == 'auth_pass "a b#c!d"\n'


def role_pattern():
    return re.compile(yaml.safe_load((ROLE / 'vars' / 'main.yml').read_text())['__keepalived_auth_pass_pattern'])


@pytest.mark.parametrize('password', ['a b#c!d', "it's", '12345678', ' ', '~%&*()@;', 'ok-[]|^'])
def test_passwords_keepalived_reads_back_pass_the_role_and_the_preflight(password):
    assert role_pattern().match(password)
    assert keepalived_auth_pass_problem(password) is None


@pytest.mark.parametrize('password', ['', '123456789', 'a"b', 'a\\b', 'a\\', '$_HASH', 'a{b', '}', 'tab\tx',
                                      'new\nline', '\u00e9t\u00e9', 'del\x7f'])
def test_passwords_keepalived_cannot_read_back_are_refused_by_both(password):
    assert not role_pattern().match(password)
    assert keepalived_auth_pass_problem(password)


def test_the_role_and_the_preflight_agree_on_every_character():
    pattern = role_pattern()
    for code in range(0x180):
        char = chr(code)
        assert bool(pattern.match(char)) == (keepalived_auth_pass_problem(char) is None), repr(char)
