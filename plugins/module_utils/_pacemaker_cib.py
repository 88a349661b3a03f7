# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The parts of a Pacemaker CIB the collection manages, as XML: resources (primitives and groups), location
constraints, cluster properties and resource defaults, each named by its id.

Pure functions over ElementTree: what a wanted element looks like, what an existing one means (its summary, for
comparison and diff, secrets masked), and a new CIB with the wanted elements in place. The module
(plugins/modules/pacemaker_cib.py) reads the CIB and pushes the difference with Pacemaker's own tools."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re
import xml.etree.ElementTree as ET

# Pacemaker ids are XML IDs: a letter or _ first, then letters, digits, _, -, and dots.
ID_PATTERN = re.compile(r'^[A-Za-z_][A-Za-z0-9_.-]{0,127}$')
AGENT_PATTERN = re.compile(r'^(ocf:[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+|stonith:[A-Za-z0-9_.-]+|systemd:[A-Za-z0-9_.@-]+)$')
SCORE_PATTERN = re.compile(r'^([-+]?[0-9]{1,9}|[-+]?INFINITY)$')
# The cluster property set and resource defaults set Pacemaker's own tools use.
PROPERTY_SET_ID = 'cib-bootstrap-options'
RESOURCE_DEFAULTS_ID = 'build-resource-defaults'
MASK = '********'


class CibError(ValueError):
    """The wanted configuration is not usable, or the CIB cannot be read."""


def _text(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def _check_id(value, label):
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise CibError('%s: %r is not a usable Pacemaker id; use a letter or _ first, then letters, digits, _, - and '
                       '. (up to 128)' % (label, value))
    return value


def checked_pairs(pairs, label):
    """Name/value pairs (parameters, meta attributes, properties) as the CIB's strings; raises CibError naming
    ``label``."""
    if pairs is None:
        return {}
    if not isinstance(pairs, dict):
        raise CibError('%s: give a mapping of names to values' % label)
    out = {}
    for name, value in pairs.items():
        if not isinstance(name, str) or not re.match(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*$', name):
            raise CibError('%s: %r is not a usable attribute name' % (label, name))
        if value is None or isinstance(value, (dict, list)):
            raise CibError('%s.%s: give a string, number or boolean' % (label, name))
        out[name] = _text(value)
    return out


def _check_primitive(spec, label):
    if not isinstance(spec, dict):
        raise CibError('%s: each resource must be a mapping' % label)
    out = {'id': _check_id(spec.get('id'), '%s.id' % label)}
    agent = spec.get('agent')
    if not isinstance(agent, str) or not AGENT_PATTERN.match(agent):
        raise CibError('%s.agent: %r is not an agent; write ocf:PROVIDER:TYPE (such as ocf:heartbeat:IPaddr2), '
                       'stonith:TYPE or systemd:UNIT' % (label, agent))
    out['agent'] = agent
    out['params'] = checked_pairs(spec.get('params'), '%s.params' % label)
    secrets = checked_pairs(spec.get('secret_params'), '%s.secret_params' % label)
    both = sorted(set(secrets) & set(out['params']))
    if both:
        raise CibError('%s: %s given in both params and secret_params; keep each in one' % (label, ', '.join(both)))
    out['secret_params'] = secrets
    out['meta'] = checked_pairs(spec.get('meta'), '%s.meta' % label)
    operations = []
    for index, op in enumerate(spec.get('operations') or []):
        op_label = '%s.operations[%d]' % (label, index)
        if not isinstance(op, dict) or not op.get('name'):
            raise CibError('%s: give at least a name, such as {name: monitor, interval: 10s}' % op_label)
        pairs = checked_pairs(op, op_label)
        pairs.setdefault('interval', '0s')
        operations.append(pairs)
    keys = [(op['name'], op['interval']) for op in operations]
    if len(set(keys)) != len(keys):
        raise CibError('%s.operations: an operation name and interval may appear once' % label)
    out['operations'] = operations
    return out


def checked_resources(resources):
    """The wanted resources (primitives, or groups of ``primitives``), checked; raises CibError naming the field."""
    out, ids = [], set()
    for index, spec in enumerate(resources or []):
        label = 'resources[%d]' % index
        if isinstance(spec, dict) and spec.get('primitives') is not None:
            group = {'id': _check_id(spec.get('id'), '%s.id' % label),
                     'meta': checked_pairs(spec.get('meta'), '%s.meta' % label)}
            if spec.get('agent') is not None:
                raise CibError('%s: a group has primitives and no agent of its own' % label)
            if not isinstance(spec['primitives'], list) or not spec['primitives']:
                raise CibError('%s.primitives: give the group\'s primitives in start order' % label)
            group['primitives'] = [_check_primitive(p, '%s.primitives[%d]' % (label, i))
                                   for i, p in enumerate(spec['primitives'])]
            out.append(group)
            names = [group['id']] + [p['id'] for p in group['primitives']]
        else:
            primitive = _check_primitive(spec, label)
            out.append(primitive)
            names = [primitive['id']]
        for name in names:
            if name in ids:
                raise CibError('%s: the id %s is used twice' % (label, name))
            ids.add(name)
    return out


def checked_locations(locations, resource_ids=None):
    out, ids = [], set()
    for index, spec in enumerate(locations or []):
        label = 'locations[%d]' % index
        if not isinstance(spec, dict):
            raise CibError('%s: each location must be a mapping' % label)
        loc = {'id': _check_id(spec.get('id'), '%s.id' % label),
               'resource': _check_id(spec.get('resource'), '%s.resource' % label)}
        node = spec.get('node')
        if not isinstance(node, str) or not node:
            raise CibError('%s.node: give the Pacemaker node name (its uname)' % label)
        loc['node'] = node
        score = _text(spec.get('score'))
        if not SCORE_PATTERN.match(score):
            raise CibError('%s.score: %r is not a score; give an integer or INFINITY/-INFINITY' % (label, score))
        loc['score'] = score
        if loc['id'] in ids:
            raise CibError('%s: the id %s is used twice' % (label, loc['id']))
        ids.add(loc['id'])
        out.append(loc)
    return out


# What an element means: its summary, compared between the CIB and the wanted configuration.

def _nvpairs(element, secrets=()):
    pairs = {}
    if element is None:
        return pairs
    for nvpair in element.findall('nvpair'):
        name = nvpair.get('name')
        pairs[name] = MASK if name in secrets else nvpair.get('value')
    return pairs


def _agent_of(element):
    cls, provider, kind = element.get('class'), element.get('provider'), element.get('type')
    return ':'.join(part for part in (cls, provider, kind) if part)


def primitive_summary(element, secrets=()):
    params = _nvpairs(element.find('instance_attributes'), secrets)
    operations = []
    ops = element.find('operations')
    for op in ops.findall('op') if ops is not None else []:
        operations.append(dict((key, value) for key, value in op.attrib.items() if key != 'id'))
    return {'agent': _agent_of(element), 'params': params, 'meta': _nvpairs(element.find('meta_attributes')),
            'operations': operations}


def resource_summary(element, secrets=()):
    if element.tag == 'group':
        return {'group': [dict(primitive_summary(p, secrets), id=p.get('id')) for p in element.findall('primitive')],
                'meta': _nvpairs(element.find('meta_attributes'))}
    if element.tag == 'primitive':
        return primitive_summary(element, secrets)
    return {'tag': element.tag}


def location_summary(element):
    return dict((key, element.get(key)) for key in ('rsc', 'node', 'score'))


def _wanted_primitive_summary(primitive, mask=True):
    params = dict(primitive['params'])
    params.update((name, MASK if mask else value) for name, value in primitive['secret_params'].items())
    return {'agent': primitive['agent'], 'params': params, 'meta': dict(primitive['meta']),
            'operations': [dict(op) for op in primitive['operations']]}


def wanted_resource_summary(resource, mask=True):
    if 'primitives' in resource:
        return {'group': [dict(_wanted_primitive_summary(p, mask), id=p['id']) for p in resource['primitives']],
                'meta': dict(resource['meta'])}
    return _wanted_primitive_summary(resource, mask)


def _secret_names(resource):
    names = set()
    for primitive in resource.get('primitives') or [resource]:
        names.update(primitive['secret_params'])
    return names


def _all_parameter_names(element):
    return set(nv.get('name') for block in element.iter('instance_attributes') for nv in block.findall('nvpair'))


# Building the wanted elements.

def _attributes(parent, tag, set_id, pairs):
    if not pairs:
        return
    block = ET.SubElement(parent, tag, {'id': set_id})
    for name in sorted(pairs):
        ET.SubElement(block, 'nvpair', {'id': '%s-%s' % (set_id, name), 'name': name, 'value': pairs[name]})


def primitive_element(primitive):
    parts = primitive['agent'].split(':')
    attrib = {'id': primitive['id'], 'class': parts[0], 'type': parts[-1]}
    if len(parts) == 3:
        attrib['provider'] = parts[1]
    element = ET.Element('primitive', attrib)
    params = dict(primitive['params'], **primitive['secret_params'])
    _attributes(element, 'instance_attributes', '%s-instance_attributes' % primitive['id'], params)
    _attributes(element, 'meta_attributes', '%s-meta_attributes' % primitive['id'], primitive['meta'])
    if primitive['operations']:
        ops = ET.SubElement(element, 'operations')
        for op in primitive['operations']:
            op_id = '%s-%s-interval-%s' % (primitive['id'], op['name'], op['interval'])
            attrib = dict(op, id=re.sub(r'[^A-Za-z0-9_.-]', '_', op_id))
            ET.SubElement(ops, 'op', attrib)
    return element


def resource_element(resource):
    if 'primitives' not in resource:
        return primitive_element(resource)
    group = ET.Element('group', {'id': resource['id']})
    _attributes(group, 'meta_attributes', '%s-meta_attributes' % resource['id'], resource['meta'])
    for primitive in resource['primitives']:
        group.append(primitive_element(primitive))
    return group


def location_element(location):
    return ET.Element('rsc_location', {'id': location['id'], 'rsc': location['resource'], 'node': location['node'],
                                       'score': location['score']})


# Reading and changing a CIB tree.

def parse(text):
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise CibError('the CIB is not XML (%s)' % exc)
    if root.tag != 'cib' or root.find('configuration') is None:
        raise CibError('the XML is not a Pacemaker CIB (no cib/configuration)')
    return root


def _section(root, name):
    configuration = root.find('configuration')
    section = configuration.find(name)
    if section is None:
        section = ET.SubElement(configuration, name)
    return section


def _top_level(section, element_id):
    for index, child in enumerate(list(section)):
        if child.get('id') == element_id:
            return index, child
    return None, None


def _nested_ids(section):
    """Ids of primitives inside groups (or clones) of the section: a wanted top-level id may not hide there."""
    nested = {}
    for child in section:
        for inner in child.iter():
            if inner is not child and inner.tag in ('primitive', 'group') and inner.get('id'):
                nested[inner.get('id')] = child.get('id')
    return nested


def _nvpair_set(parent, tag, set_id):
    block = None
    for candidate in parent.findall(tag):
        if candidate.get('id') == set_id:
            block = candidate
    if block is None:
        block = ET.SubElement(parent, tag, {'id': set_id})
    return block


def _set_pairs(block, pairs):
    """Set the named pairs in an nvpair block; returns {name: (before, after)} of those that differ."""
    changes = {}
    existing = dict((nv.get('name'), nv) for nv in block.findall('nvpair'))
    for name in sorted(pairs):
        value = pairs[name]
        nvpair = existing.get(name)
        if nvpair is None:
            ET.SubElement(block, 'nvpair', {'id': '%s-%s' % (block.get('id'), name), 'name': name, 'value': value})
            changes[name] = (None, value)
        elif nvpair.get('value') != value:
            changes[name] = (nvpair.get('value'), value)
            nvpair.set('value', value)
    return changes


def _read_pairs(root, section_name, tag, set_id, names):
    configuration = root.find('configuration')
    section = configuration.find(section_name)
    values = {}
    block = None
    if section is not None:
        for candidate in section.findall(tag):
            if candidate.get('id') == set_id:
                block = candidate
    current = _nvpairs(block)
    for name in names:
        values[name] = current.get(name)
    return values


def planned(root, resources=None, locations=None, properties=None, resource_defaults=None, purge_prefix=None):
    """A copy of the CIB ``root`` with the wanted elements in place, and the before/after summaries of what is
    managed. ``resources`` and ``locations`` are checked (checked_resources, checked_locations); ``properties``
    and ``resource_defaults`` are mappings. With ``purge_prefix``, resources and locations whose id starts with it
    and that are not wanted are removed (with the locations that refer to them)."""
    new = copy.deepcopy(root)
    before = {'resources': {}, 'locations': {}, 'properties': {}, 'resource_defaults': {}}
    after = {'resources': {}, 'locations': {}, 'properties': {}, 'resource_defaults': {}}

    section = _section(new, 'resources')
    nested = _nested_ids(section)
    wanted_ids = set(r['id'] for r in resources or [])
    for resource in resources or []:
        for name in [resource['id']] + [p['id'] for p in resource.get('primitives') or []]:
            if name in nested and nested[name] not in wanted_ids:
                raise CibError('resources: the CIB has %s inside %s, which this configuration does not manage; '
                               'give another id or remove it from %s first' % (name, nested[name], nested[name]))
        index, existing = _top_level(section, resource['id'])
        wanted = resource_element(resource)
        after['resources'][resource['id']] = wanted_resource_summary(resource)
        if existing is not None:
            before['resources'][resource['id']] = resource_summary(existing, _secret_names(resource))
            # Secrets are compared by value, never shown.
            if resource_summary(existing) != wanted_resource_summary(resource, mask=False):
                section.remove(existing)
                section.insert(index, wanted)
        else:
            before['resources'][resource['id']] = None
            section.append(wanted)
    constraints = _section(new, 'constraints')
    wanted_locations = set(loc['id'] for loc in locations or [])
    if purge_prefix:
        for child in list(section):
            child_id = child.get('id') or ''
            if child_id.startswith(purge_prefix) and child_id not in wanted_ids:
                # Which of its parameters were secrets is not known: none is shown.
                before['resources'][child_id] = resource_summary(child, _all_parameter_names(child))
                after['resources'][child_id] = None
                section.remove(child)
        gone = set(rid for rid, value in after['resources'].items() if value is None)
        for child in list(constraints):
            child_id = child.get('id') or ''
            if child.tag == 'rsc_location' and child_id.startswith(purge_prefix) and child_id not in wanted_locations \
                    or child.get('rsc') in gone:
                before['locations'][child_id] = location_summary(child)
                after['locations'][child_id] = None
                constraints.remove(child)
    for location in locations or []:
        index, existing = _top_level(constraints, location['id'])
        wanted = location_element(location)
        after['locations'][location['id']] = location_summary(wanted)
        before['locations'][location['id']] = location_summary(existing) if existing is not None else None
        if existing is None:
            constraints.append(wanted)
        elif location_summary(existing) != location_summary(wanted) or existing.tag != 'rsc_location' or len(existing):
            constraints.remove(existing)
            constraints.insert(index, wanted)

    properties = dict((name, _text(value)) for name, value in (properties or {}).items())
    if properties:
        before['properties'] = _read_pairs(new, 'crm_config', 'cluster_property_set', PROPERTY_SET_ID, properties)
        after['properties'] = dict(properties)
        _set_pairs(_nvpair_set(_section(new, 'crm_config'), 'cluster_property_set', PROPERTY_SET_ID), properties)
    defaults = dict((name, _text(value)) for name, value in (resource_defaults or {}).items())
    if defaults:
        before['resource_defaults'] = _read_pairs(new, 'rsc_defaults', 'meta_attributes', RESOURCE_DEFAULTS_ID,
                                                  defaults)
        after['resource_defaults'] = dict(defaults)
        _set_pairs(_nvpair_set(_section(new, 'rsc_defaults'), 'meta_attributes', RESOURCE_DEFAULTS_ID), defaults)
    return new, before, after


def changed(root, new):
    """Whether the configuration sections differ (the status section and versions are not compared)."""
    return ET.tostring(root.find('configuration')) != ET.tostring(new.find('configuration'))


def to_text(root):
    return ET.tostring(root, encoding='unicode')
