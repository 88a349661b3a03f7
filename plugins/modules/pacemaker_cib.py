#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: pacemaker_cib
short_description: Set resources, location constraints and properties in a running Pacemaker cluster's CIB
version_added: 0.2.0
description:
  - Reads the live CIB with C(cibadmin --query), puts the named resources, location constraints, cluster
    properties and resource defaults in place in a copy, checks the copy with C(crm_verify), and pushes only the
    difference (C(crm_diff) then C(cibadmin --patch)) in one change. Nothing is pushed when nothing differs.
  - Only what is named is touched, by id (resources and constraints) or by name (properties, resource defaults).
    With O(purge_prefix), the resources and location constraints whose id starts with it and that are not named are
    removed; Pacemaker stops a removed resource that runs.
  - A wanted resource replaces the CIB's element of the same id as a whole when they differ (agent, parameters,
    meta attributes, operations, a group's primitives and their order).
  - Run it on one node of the cluster (the CIB is the cluster's); the nodes' Pacemaker must be running.
author:
  - hanet.failover contributors (@hanet)
requirements:
  - Pacemaker's command line tools (cibadmin, crm_diff, crm_verify) on the target
extends_documentation_fragment:
  - hanet.failover.attributes
options:
  resources:
    description:
      - Top-level resources. An entry with O(resources[].primitives) is a group of those primitives (started in
        that order, on one node); any other entry is a primitive.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: The resource id.
        type: str
        required: true
      agent:
        description:
          - The resource agent of a primitive, V(ocf:PROVIDER:TYPE) (such as V(ocf:heartbeat:IPaddr2)),
            V(stonith:TYPE) or V(systemd:UNIT).
        type: str
      params:
        description: The agent's parameters (instance attributes).
        type: dict
      secret_params:
        description:
          - Parameters that are secrets (a fence device's password). They are compared by value, never returned
            or shown in the diff, and passed to Pacemaker's tools on standard input only.
        type: dict
      meta:
        description: Meta attributes (such as V(resource-stickiness) or V(target-role)).
        type: dict
      operations:
        description:
          - Operations, each with a V(name) and its attributes (such as V(interval) and V(timeout)); V(interval)
            defaults to V(0s).
        type: list
        elements: dict
      primitives:
        description:
          - The primitives of a group, in start order, each like a top-level primitive.
        type: list
        elements: dict
        suboptions:
          id:
            description: The primitive's id.
            type: str
            required: true
          agent:
            description: The resource agent, as O(resources[].agent).
            type: str
          params:
            description: The agent's parameters.
            type: dict
          secret_params:
            description: Parameters that are secrets, as O(resources[].secret_params).
            type: dict
          meta:
            description: Meta attributes.
            type: dict
          operations:
            description: Operations, as O(resources[].operations).
            type: list
            elements: dict
  locations:
    description: Location constraints that prefer (or avoid) a node for a resource.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: The constraint id.
        type: str
        required: true
      resource:
        description: The resource id.
        type: str
        required: true
      node:
        description: The node's name as Pacemaker knows it (its uname).
        type: str
        required: true
      score:
        description: An integer, V(INFINITY) or V(-INFINITY).
        type: str
        required: true
  properties:
    description:
      - Cluster properties set in the C(cib-bootstrap-options) set (such as V(stonith-enabled)). Others are kept.
    type: dict
    default: {}
  resource_defaults:
    description: Resource defaults (such as V(resource-stickiness)) in the C(build-resource-defaults) set.
    type: dict
    default: {}
  purge_prefix:
    description:
      - Remove the resources and location constraints whose id starts with this and that are not named here, and
        the location constraints of the removed resources.
    type: str
notes:
  - The CIB checks the pushed difference against its schema; C(crm_verify) first refuses a configuration Pacemaker
    would not run (for example resources with V(stonith-enabled=true) and no fence device), and nothing is pushed.
seealso:
  - name: Pacemaker Explained (the CIB)
    description: The configuration this module writes.
    link: https://clusterlabs.org/projects/pacemaker/doc/2.1/Pacemaker_Explained/html/
'''

EXAMPLES = r'''
- name: A VIP that moves its address with gratuitous ARP, preferring node1
  hanet.failover.pacemaker_cib:
    resources:
      - id: hanet-web
        agent: ocf:heartbeat:IPaddr2
        params: {ip: 198.51.100.10, cidr_netmask: 24, nic: eth0, arp_count: 5}
        operations:
          - {name: monitor, interval: 10s, timeout: 20s}
    locations:
      - {id: hanet-web-prefers-node1, resource: hanet-web, node: node1, score: 100}
    resource_defaults:
      resource-stickiness: 0
    purge_prefix: hanet-
  run_once: true
'''

RETURN = r'''
resources:
  description: The named resources (and purged ones, as null) as the CIB has them after the task; secrets masked.
  returned: always
  type: dict
  sample: {"hanet-web": {"agent": "ocf:heartbeat:IPaddr2", "params": {"ip": "198.51.100.10"}, "meta": {},
           "operations": [{"name": "monitor", "interval": "10s"}]}}
purged:
  description: The ids removed because of O(purge_prefix).
  returned: always
  type: list
  elements: str
  sample: ["hanet-old"]
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hanet.failover.plugins.module_utils._change_tracker import ChangeTracker
from ansible_collections.hanet.failover.plugins.module_utils import _pacemaker_cib as cib

PRIMITIVE_OPTIONS = dict(
    id=dict(type='str', required=True),
    agent=dict(type='str'),
    params=dict(type='dict'),
    secret_params=dict(type='dict', no_log=True),
    meta=dict(type='dict'),
    operations=dict(type='list', elements='dict'),
)


def query(module):
    rc, out, err = module.run_command(['cibadmin', '--query'])
    if rc != 0:
        module.fail_json(msg='cannot read the CIB with cibadmin --query (rc %d): %s. Is Pacemaker running on this '
                             'node?' % (rc, (err or out).strip()))
    try:
        return cib.parse(out)
    except cib.CibError as exc:
        module.fail_json(msg=str(exc))


def push(module, old, new):
    """Verify the new CIB, then patch the live one with the difference: secrets only on standard input or in
    files readable by root alone (removed at once)."""
    rc, out, err = module.run_command(['crm_verify', '--xml-pipe'], data=cib.to_text(new), binary_data=True)
    if rc != 0:
        module.fail_json(msg='crm_verify refused the new configuration, nothing was changed: %s'
                             % (err or out).strip())
    directory = tempfile.mkdtemp(prefix='hanet-cib-')
    try:
        os.chmod(directory, 0o700)
        paths = []
        for name, tree in (('old.xml', old), ('new.xml', new)):
            path = os.path.join(directory, name)
            with open(path, 'w') as stream:
                stream.write(cib.to_text(tree))
            paths.append(path)
        rc, patch, err = module.run_command(['crm_diff', '--no-version', '--original', paths[0], '--new', paths[1]])
    finally:
        for name in os.listdir(directory):
            os.unlink(os.path.join(directory, name))
        os.rmdir(directory)
    # crm_diff: 0 no difference, 1 a difference (printed).
    if rc == 0:
        return
    if rc != 1:
        module.fail_json(msg='crm_diff could not compare the configurations (rc %d): %s' % (rc, err.strip()))
    rc, out, err = module.run_command(['cibadmin', '--patch', '--xml-pipe'], data=patch, binary_data=True)
    if rc != 0:
        module.fail_json(msg='cibadmin --patch failed (rc %d): %s. The CIB may have changed meanwhile; run again.'
                             % (rc, (err or out).strip()))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            resources=dict(type='list', elements='dict', default=[], options=dict(
                PRIMITIVE_OPTIONS, primitives=dict(type='list', elements='dict', options=dict(PRIMITIVE_OPTIONS)))),
            locations=dict(type='list', elements='dict', default=[], options=dict(
                id=dict(type='str', required=True),
                resource=dict(type='str', required=True),
                node=dict(type='str', required=True),
                score=dict(type='str', required=True),
            )),
            properties=dict(type='dict', default={}),
            resource_defaults=dict(type='dict', default={}),
            purge_prefix=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        resources = cib.checked_resources([dict((k, v) for k, v in r.items() if v is not None)
                                           for r in params['resources']])
        locations = cib.checked_locations(params['locations'])
        properties = cib.checked_pairs(params['properties'], 'properties')
        defaults = cib.checked_pairs(params['resource_defaults'], 'resource_defaults')
    except cib.CibError as exc:
        module.fail_json(msg=str(exc))
    if params['purge_prefix'] is not None and not params['purge_prefix']:
        module.fail_json(msg='purge_prefix: give a non-empty prefix (an empty one would remove every resource)')

    root = query(module)
    try:
        new, before, after = cib.planned(root, resources, locations, properties, defaults, params['purge_prefix'])
    except cib.CibError as exc:
        module.fail_json(msg=str(exc))
    tracker = ChangeTracker(before)
    tracker.replace(after)
    is_changed = cib.changed(root, new)
    if is_changed and not module.check_mode:
        push(module, root, new)
    result = tracker.result(module, resources=after['resources'],
                            purged=sorted(rid for rid, value in after['resources'].items() if value is None))
    result['changed'] = is_changed
    module.exit_json(**result)


if __name__ == '__main__':
    main()
