# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The CIB parts the pacemaker_cib module manages: checks, summaries and the planned CIB."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.hanet.failover.plugins.module_utils import _pacemaker_cib as cib

EMPTY = ('<cib epoch="5" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/><resources/>'
         '<constraints/></configuration><status/></cib>')

WEB = {'id': 'hanet-web', 'agent': 'ocf:heartbeat:IPaddr2',
       'params': {'ip': '198.51.100.10', 'cidr_netmask': 24, 'nic': 'eth0'},
       'operations': [{'name': 'monitor', 'interval': '10s', 'timeout': '20s'}]}
API = {'id': 'hanet-api', 'primitives': [
    {'id': 'hanet-api-vmac', 'agent': 'ocf:hanet:vmac',
     'params': {'device': 'eth0', 'name': 'vrrp.66', 'mac': '00:00:5e:00:01:42'}},
    {'id': 'hanet-api-address', 'agent': 'ocf:heartbeat:IPaddr2', 'params': {'ip': '198.51.100.11', 'nic': 'vrrp.66'}},
]}
FENCE = {'id': 'fence-1', 'agent': 'stonith:fence_ipmilan', 'params': {'ip': '203.0.113.5', 'username': 'admin'},
         'secret_params': {'password': 'pw-s3cret'}}


def plan(text, **kwargs):
    root = cib.parse(text)
    kwargs['resources'] = cib.checked_resources(kwargs.get('resources'))
    kwargs['locations'] = cib.checked_locations(kwargs.get('locations'))
    new, before, after = cib.planned(root, **kwargs)
    return root, new, before, after


def test_a_new_primitive_group_and_location_are_added_and_a_second_run_changes_nothing():
    locations = [{'id': 'hanet-web-on-n1', 'resource': 'hanet-web', 'node': 'n1', 'score': 100}]
    root, new, before, after = plan(EMPTY, resources=[WEB, API], locations=locations,
                                    properties={'stonith-enabled': False}, resource_defaults={'resource-stickiness': 0})
    assert cib.changed(root, new)
    assert before['resources'] == {'hanet-web': None, 'hanet-api': None}
    assert after['resources']['hanet-web']['params']['cidr_netmask'] == '24'
    assert [p['id'] for p in after['resources']['hanet-api']['group']] == ['hanet-api-vmac', 'hanet-api-address']
    assert after['properties'] == {'stonith-enabled': 'false'}
    text = cib.to_text(new)
    assert 'type="IPaddr2"' in text and 'provider="heartbeat"' in text and 'rsc="hanet-web"' in text
    root2, new2, before2, after2 = plan(text, resources=[WEB, API], locations=locations,
                                        properties={'stonith-enabled': False},
                                        resource_defaults={'resource-stickiness': 0})
    assert not cib.changed(root2, new2)
    assert before2 == after2


def test_a_changed_parameter_replaces_the_element_in_place():
    first = plan(EMPTY, resources=[API, WEB])[1]
    changed_web = dict(WEB, params=dict(WEB['params'], ip='198.51.100.12'))
    root, new, before, after = plan(cib.to_text(first), resources=[API, changed_web])
    assert cib.changed(root, new)
    assert before['resources']['hanet-web']['params']['ip'] == '198.51.100.10'
    assert after['resources']['hanet-web']['params']['ip'] == '198.51.100.12'
    assert [child.get('id') for child in new.find('configuration/resources')] == ['hanet-api', 'hanet-web']


def test_secrets_are_compared_by_value_but_never_shown():
    dummy, first, dummy, after = plan(EMPTY, resources=[FENCE])
    assert after['resources']['fence-1']['params']['password'] == cib.MASK
    assert 'pw-s3cret' in cib.to_text(first)
    root, new, before, after = plan(cib.to_text(first), resources=[FENCE])
    assert not cib.changed(root, new)
    assert before['resources']['fence-1']['params']['password'] == cib.MASK
    other = dict(FENCE, secret_params={'password': 'another'})
    root, new, before, after = plan(cib.to_text(first), resources=[other])
    assert cib.changed(root, new)
    assert 'pw-s3cret' not in repr(before) + repr(after) and 'another' not in repr(before) + repr(after)


def test_purge_removes_only_unnamed_elements_with_the_prefix_and_their_locations():
    locations = [{'id': 'hanet-web-on-n1', 'resource': 'hanet-web', 'node': 'n1', 'score': 100},
                 {'id': 'hanet-api-on-n1', 'resource': 'hanet-api', 'node': 'n1', 'score': 100}]
    first = plan(EMPTY, resources=[WEB, API], locations=locations)[1]
    text = cib.to_text(first).replace('<resources>', '<resources><primitive id="theirs" class="ocf" '
                                      'provider="heartbeat" type="Dummy"/>')
    root, new, before, after = plan(text, resources=[WEB], locations=locations[:1], purge_prefix='hanet-')
    ids = [child.get('id') for child in new.find('configuration/resources')]
    assert ids == ['theirs', 'hanet-web']
    assert [child.get('id') for child in new.find('configuration/constraints')] == ['hanet-web-on-n1']
    assert after['resources']['hanet-api'] is None and after['locations']['hanet-api-on-n1'] is None


def test_a_purged_resource_shows_none_of_its_parameters():
    first = plan(EMPTY, resources=[WEB, FENCE])[1]
    root, new, before, after = plan(cib.to_text(first), resources=[WEB], purge_prefix='fence-')
    assert before['resources']['fence-1']['params'] == {'ip': cib.MASK, 'username': cib.MASK, 'password': cib.MASK}
    assert after['resources']['fence-1'] is None


def test_properties_only_touch_the_named_ones():
    text = EMPTY.replace('<crm_config/>', '<crm_config><cluster_property_set id="cib-bootstrap-options">'
                         '<nvpair id="x-1" name="have-watchdog" value="false"/>'
                         '<nvpair id="x-2" name="stonith-enabled" value="true"/></cluster_property_set></crm_config>')
    root, new, before, after = plan(text, properties={'stonith-enabled': 'false'})
    assert before['properties'] == {'stonith-enabled': 'true'} and after['properties'] == {'stonith-enabled': 'false'}
    pairs = dict((nv.get('name'), nv.get('value')) for nv in new.iter('nvpair'))
    assert pairs == {'have-watchdog': 'false', 'stonith-enabled': 'false'}


@pytest.mark.parametrize('resources,message', [
    ([{'id': '1web', 'agent': 'ocf:heartbeat:IPaddr2'}], "resources[0].id: '1web' is not a usable Pacemaker id"),
    ([{'id': 'web', 'agent': 'IPaddr2'}], "resources[0].agent: 'IPaddr2' is not an agent"),
    ([{'id': 'web', 'primitives': []}], 'resources[0].primitives: give the group'),
    ([WEB, dict(WEB)], 'resources[1]: the id hanet-web is used twice'),
    ([{'id': 'f', 'agent': 'stonith:fence_x', 'params': {'password': 'a'}, 'secret_params': {'password': 'b'}}],
     'resources[0]: password given in both params and secret_params'),
    ([dict(WEB, operations=[{'interval': '10s'}])], 'resources[0].operations[0]: give at least a name'),
])
def test_bad_resources_are_named(resources, message):
    with pytest.raises(cib.CibError) as exc:
        cib.checked_resources(resources)
    assert message in str(exc.value)


def test_a_bad_score_is_named():
    with pytest.raises(cib.CibError) as exc:
        cib.checked_locations([{'id': 'a', 'resource': 'b', 'node': 'n1', 'score': 'high'}])
    assert "locations[0].score: 'high' is not a score" in str(exc.value)


def test_a_wanted_id_hidden_in_a_foreign_group_is_refused():
    text = EMPTY.replace('<resources/>', '<resources><group id="theirs"><primitive id="hanet-web" class="ocf" '
                         'provider="heartbeat" type="IPaddr2"/></group></resources>')
    with pytest.raises(cib.CibError) as exc:
        plan(text, resources=[WEB])
    assert 'the CIB has hanet-web inside theirs' in str(exc.value)


def test_what_is_not_a_cib_is_refused():
    with pytest.raises(cib.CibError):
        cib.parse('<html/>')
    with pytest.raises(cib.CibError):
        cib.parse('not xml')
