# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The preflight of Pacemaker's fence devices (cluster_pacemaker_stonith_devices), against what each member's
fencer says of the agents: ``stonith_admin --metadata --agent TYPE``, read once the packages are installed.

A device whose agent is missing on a member, or whose parameters the agent does not take, or that lacks one the
agent requires, would fail to start, and a cluster whose fence device cannot start recovers nothing after a host
loss: Pacemaker waits for a fencing that never succeeds. Only parameter names are read here, never their values
(secret_params hold passwords).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from xml.etree import ElementTree

FIELD = 'cluster_pacemaker_stonith_devices'
# What Pacemaker's fencer gives the agent itself: never required of the device. (So is the parameter a device's
# pcmk_host_argument names.)
FENCER_GIVES = ('action', 'port', 'plug', 'nodename')
# What Pacemaker takes for itself (its pcmk_stonith_param): pcmk_host_map, pcmk_delay_max ..., provides and
# stonith-timeout. Always accepted.
FENCER_PREFIX = 'pcmk_'
FENCER_OWN = ('provides', 'stonith-timeout')
AGENT_NAME = re.compile(r'^[A-Za-z0-9_.-]+$')
# stonith_admin's exit code for an agent it does not know (CRM_EX_NOSUCH).
NO_SUCH_AGENT = 105


def agent_type(device):
    """fence_ipmilan for a device of agent stonith:fence_ipmilan; None for another agent."""
    agent = device.get('agent') if isinstance(device, dict) else None
    if isinstance(agent, str) and agent.startswith('stonith:'):
        return agent[len('stonith:'):]
    return None


def agent_types(devices):
    """The fence agents the devices name, each once, in order (what the cluster role asks each member about)."""
    found = []
    for device in devices or []:
        name = agent_type(device)
        if name and AGENT_NAME.match(name) and name not in found:
            found.append(name)
    return found


def parse_metadata(text):
    """{'known': set of parameter names, 'required': [(name, alternatives)]} from an agent's metadata XML; None
    where the text is no agent metadata."""
    try:
        root = ElementTree.fromstring(text)
    except (ElementTree.ParseError, TypeError, ValueError):
        return None
    if root.tag != 'resource-agent':
        return None
    known, required = set(), []
    parameters = root.findall('./parameters/parameter')
    for parameter in parameters:
        known.add(parameter.get('name'))
    for parameter in parameters:
        name = parameter.get('name')
        if parameter.get('required') != '1' or parameter.get('deprecated') == '1' or name in FENCER_GIVES:
            continue
        # A newer name (ip) obsoletes an older one (ipaddr): either satisfies it.
        alternatives = [name] + [old for old in (parameter.get('obsoletes') or '').split() if old]
        required.append((name, alternatives))
    return {'known': known, 'required': required}


def read_results(results):
    """{agent: metadata text, or '' where the agent is not installed} from the cluster role's loop over
    ``stonith_admin --metadata --agent TYPE``; agents the member could not be asked about (stonith_admin missing:
    a bare host in check mode) are left out."""
    found = {}
    for result in results or []:
        if not isinstance(result, dict) or result.get('skipped'):
            continue
        if result.get('rc') == 0 and result.get('stdout'):
            found[result.get('item')] = result['stdout']
        elif result.get('rc') == NO_SUCH_AGENT:
            found[result.get('item')] = ''
    return found


def _label(device, index):
    if isinstance(device, dict) and isinstance(device.get('id'), str) and device['id']:
        return '%s[%s]' % (FIELD, device['id'])
    return '%s[%d]' % (FIELD, index)


def _packages_hint(name):
    return ('install the package that provides it on every member (Debian 12: fence-agents; Debian 13: one package '
            'per agent, usually fence-agents-%s) with cluster_pacemaker_fence_packages, or another way, then deploy '
            'again' % re.sub(r'^fence_', '', name).replace('_', '-'))


def device_problems(devices, members):
    """Problems of the fence devices, naming the device and the field, from each member's ``fence_metadata`` (the
    results of the cluster role's loop, see read_results). Members that could not be asked are skipped."""
    errors = []
    known = [(m['name'], read_results(m.get('fence_metadata'))) for m in members]
    for index, device in enumerate(devices or []):
        label = _label(device, index)
        name = agent_type(device)
        if name is None or not AGENT_NAME.match(name):
            errors.append('%s.agent: %r is not a fence agent; write stonith:TYPE, such as stonith:fence_ipmilan'
                          % (label, device.get('agent') if isinstance(device, dict) else device))
            continue
        answers = [(host, agents.get(name)) for host, agents in known]
        missing = sorted(host for host, text in answers if text == '')
        if missing:
            errors.append('%s.agent: stonith:%s is not installed on %s (stonith_admin does not know it); %s'
                          % (label, name, ', '.join(missing), _packages_hint(name)))
            continue
        metadata = next((parse_metadata(text) for host, text in answers if text), None)
        if metadata is None:
            continue
        given = {}
        for part in ('params', 'secret_params'):
            for param in (device.get(part) or {}):
                given[param] = part
        for param, part in sorted(given.items()):
            if param not in metadata['known'] and not param.startswith(FENCER_PREFIX) and param not in FENCER_OWN:
                errors.append('%s.%s.%s: %s takes no parameter %s (it takes %s; and Pacemaker\'s own pcmk_*, such as '
                              'pcmk_host_list)' % (label, part, param, name, param,
                                                   ', '.join(sorted(metadata['known'] - set(FENCER_GIVES)))))
        host_argument = (device.get('params') or {}).get('pcmk_host_argument')
        for param, alternatives in metadata['required']:
            if not any(alt in given or alt == host_argument for alt in alternatives):
                errors.append('%s: %s requires the parameter %s%s; give it in params (or, for a password, '
                              'secret_params)' % (label, name, param,
                                                  ' (or %s)' % ', '.join(alternatives[1:]) if alternatives[1:] else ''))
    return errors


def device_start(status, device_ids):
    """Whether the fence devices have started, from ``crm_mon --one-shot --output-as xml``: ``{'pending': [ids
    still starting], 'problems': [one message per device that did not start]}``. A device is settled once it runs
    (role Started, not failed), or once its start failed on every node that could run it (online, not in standby,
    maintenance or pending): Pacemaker then leaves it stopped. The problem names the device and what its start came
    to on each node. Failures a device has outlived (it runs on another node) are no problem: Pacemaker fences with
    it. A monitor failure is none either: Pacemaker restarts the device where it was."""
    try:
        root = ElementTree.fromstring(status)
    except (ElementTree.ParseError, TypeError, ValueError):
        return {'pending': list(device_ids), 'problems': []}
    nodes = root.find('nodes')
    usable = set(node.get('name') for node in (nodes if nodes is not None else [])
                 if node.get('online') == 'true' and node.get('type', 'member') == 'member'
                 and all(node.get(flag, 'false') == 'false' for flag in ('standby', 'maintenance', 'pending')))
    running = set()
    for resource in root.iter('resource'):
        if resource.get('role') == 'Started' and resource.get('failed') != 'true':
            running.add(resource.get('id'))
    failures = {}
    for failure in root.iter('failure'):
        # op_key is RESOURCE_TASK_INTERVAL (always there; the task attribute may not be).
        parts = (failure.get('op_key') or '').rsplit('_', 2)
        device, task = parts[0], parts[1] if len(parts) == 3 else failure.get('task')
        if device in device_ids and task == 'start':
            reason = failure.get('exitreason') or failure.get('exitstatus') or 'failed'
            failures.setdefault(device, {})[failure.get('node')] = 'start %s' % reason
    pending, problems = [], []
    for device in device_ids:
        if device in running:
            continue
        failed = failures.get(device, {})
        if usable and usable <= set(failed):
            problems.append(
                '%s[%s]: the fence device did not start (%s). Pacemaker cannot fence with it, and so recovers nothing '
                'after a host loss. Check its parameters (the device\'s address, user and password) and that every '
                'member reaches the device (the fencer logs why: journalctl -u pacemaker), then deploy again: a '
                'change of its parameters makes Pacemaker try again; where they stay the same (the network was '
                'mended), clear its failures first (crm_resource --cleanup --resource %s)' % (
                    FIELD, device, '; '.join('on %s: %s' % (node, failed[node]) for node in sorted(failed)), device))
        else:
            pending.append(device)
    return {'pending': pending, 'problems': problems}
