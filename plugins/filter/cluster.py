# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Cluster model filters used by the cluster and ucarp roles and the playbooks: cluster_preflight, fleet_preflight,
health_plan, health_problems, hook_plan, keepalived_instances, keepalived_vmac_name, links_from_facts,
pacemaker_configuration, pacemaker_fence_agents, pacemaker_fence_start, pacemaker_nodes, service_followers,
ucarp_instances, ucarp_password_problem, vip_defaults, vip_expectations, vip_holders, vip_successions."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.hanet.failover.plugins.module_utils import _health, _hooks
from ansible_collections.hanet.failover.plugins.plugin_utils import (
    _cluster_state, _cluster_succession, _cluster_validation, _fleet_validation, _keepalived_render, _pacemaker_fencing,
    _pacemaker_render, _ucarp_render)


def cluster_preflight(members, cluster_name='hanet', profile='default', backend='keepalived', stonith_devices=None):
    errors = _cluster_validation.preflight(list(members), cluster_name, profile, backend)
    if backend == 'pacemaker' and len(members) >= 2:
        errors.extend(_pacemaker_render.node_problems(list(members), profile))
        errors.extend(_pacemaker_render.configuration_problems(list(members), cluster_name, profile))
    if backend == 'pacemaker':
        errors.extend(_pacemaker_fencing.device_problems(list(stonith_devices or []), list(members)))
    return errors


def pacemaker_fence_agents(devices):
    return _pacemaker_fencing.agent_types(list(devices or []))


def pacemaker_fence_start(status, devices):
    ids = [d['id'] for d in devices or [] if isinstance(d, dict) and 'id' in d]
    return _pacemaker_fencing.device_start(status, ids)


def fleet_preflight(hosts, outside=None, hostvars=None, groups=None):
    others = _fleet_validation.outside_entries(outside, hostvars, groups or {}) if outside and hostvars else []
    return _fleet_validation.fleet_problems(list(hosts), others)


def pacemaker_configuration(members, cluster_name='hanet', profile='default'):
    try:
        return _pacemaker_render.pacemaker_configuration(list(members), cluster_name, profile)
    except _cluster_validation.ModelError as exc:
        raise AnsibleFilterError('hanet.failover.pacemaker_configuration: %s' % exc)


def pacemaker_nodes(members, profile='default'):
    return _pacemaker_render.pacemaker_nodes(list(members), profile)


def keepalived_instances(member, cluster_name='hanet', profile='default', members=None, maintenance_track=None,
                         rank=True, notify=None):
    try:
        return _keepalived_render.keepalived_instances(member, cluster_name, profile,
                                                       list(members) if members else None, maintenance_track, rank,
                                                       notify or None)
    except _cluster_validation.ModelError as exc:
        raise AnsibleFilterError('hanet.failover.keepalived_instances: %s' % exc)


def keepalived_vmac_name(instance):
    return _keepalived_render.keepalived_vmac_name(dict(instance))


def links_from_facts(facts):
    return _cluster_state.links_from_facts(dict(facts))


def ucarp_instances(member, members, cluster_name='hanet', profile='default', notify=None):
    try:
        return _ucarp_render.ucarp_instances(member, list(members), cluster_name, profile, notify or None)
    except _cluster_validation.ModelError as exc:
        raise AnsibleFilterError('hanet.failover.ucarp_instances: %s' % exc)


def ucarp_password_problem(password):
    return _cluster_validation.ucarp_password_problem(password)


def vip_expectations(members, cluster_name='hanet', profile='default', backend='keepalived'):
    try:
        return _cluster_state.expected_macs(list(members), cluster_name, profile, backend)
    except _cluster_validation.ModelError as exc:
        raise AnsibleFilterError('hanet.failover.vip_expectations: %s' % exc)


def vip_holders(links_by_host, expectations):
    return _cluster_state.vip_holders(dict(links_by_host), dict(expectations))


def health_plan(vips, directory='/var/lib/hanet-failover/health'):
    return _health.plan(list(vips or []), str(directory))


def health_problems(host, unit_states=None, script_stats=None):
    return _health.member_problems(str(host), dict(unit_states or {}), dict(script_stats or {}))


def service_followers(vips, declared=None):
    return _health.service_followers(list(vips or []), list(declared) if declared is not None else None)


def hook_plan(vips, cluster_hooks=None, user='root', timeout=_hooks.DEFAULT_TIMEOUT):
    return _hooks.plan(list(vips or []), cluster_hooks, user, timeout)


def vip_defaults(vips, track=None):
    return _cluster_validation.vips_with_defaults(list(vips) if isinstance(vips, list) else vips, track)


def vip_successions(members, down=None, holders=None):
    return _cluster_succession.vip_successions(list(members), list(down or []), dict(holders or {}))


class FilterModule(object):
    """Cluster model filters of hanet.failover."""

    def filters(self):
        return {
            'cluster_preflight': cluster_preflight,
            'fleet_preflight': fleet_preflight,
            'health_plan': health_plan,
            'health_problems': health_problems,
            'hook_plan': hook_plan,
            'keepalived_instances': keepalived_instances,
            'keepalived_vmac_name': keepalived_vmac_name,
            'links_from_facts': links_from_facts,
            'pacemaker_configuration': pacemaker_configuration,
            'pacemaker_fence_agents': pacemaker_fence_agents,
            'pacemaker_fence_start': pacemaker_fence_start,
            'pacemaker_nodes': pacemaker_nodes,
            'service_followers': service_followers,
            'ucarp_instances': ucarp_instances,
            'ucarp_password_problem': ucarp_password_problem,
            'vip_defaults': vip_defaults,
            'vip_expectations': vip_expectations,
            'vip_holders': vip_holders,
            'vip_successions': vip_successions,
        }
