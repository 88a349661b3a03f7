# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Cluster model filters used by the cluster and ucarp roles and the playbooks: cluster_preflight, health_plan,
health_problems, hook_plan, keepalived_instances, keepalived_vmac_name, links_from_facts, service_followers,
ucarp_instances, ucarp_password_problem, vip_defaults, vip_expectations, vip_holders, vip_successions."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.hanet.failover.plugins.module_utils import _cluster_model as model
from ansible_collections.hanet.failover.plugins.module_utils import _health, _hooks


def cluster_preflight(members, cluster_name='hanet', profile='default', backend='keepalived'):
    return model.preflight(list(members), cluster_name, profile, backend)


def keepalived_instances(member, cluster_name='hanet', profile='default', members=None, maintenance_track=None,
                         rank=True, notify=None):
    try:
        return model.keepalived_instances(member, cluster_name, profile, list(members) if members else None,
                                          maintenance_track, rank, notify or None)
    except model.ModelError as exc:
        raise AnsibleFilterError('hanet.failover.keepalived_instances: %s' % exc)


def keepalived_vmac_name(instance):
    return model.keepalived_vmac_name(dict(instance))


def links_from_facts(facts):
    return model.links_from_facts(dict(facts))


def ucarp_instances(member, members, cluster_name='hanet', profile='default', notify=None):
    try:
        return model.ucarp_instances(member, list(members), cluster_name, profile, notify or None)
    except model.ModelError as exc:
        raise AnsibleFilterError('hanet.failover.ucarp_instances: %s' % exc)


def ucarp_password_problem(password):
    return model.ucarp_password_problem(password)


def vip_expectations(members, cluster_name='hanet', profile='default', backend='keepalived'):
    try:
        return model.expected_macs(list(members), cluster_name, profile, backend)
    except model.ModelError as exc:
        raise AnsibleFilterError('hanet.failover.vip_expectations: %s' % exc)


def vip_holders(links_by_host, expectations):
    return model.vip_holders(dict(links_by_host), dict(expectations))


def health_plan(vips, directory='/var/lib/hanet-failover/health'):
    return _health.plan(list(vips or []), str(directory))


def health_problems(host, unit_states=None, script_stats=None):
    return _health.member_problems(str(host), dict(unit_states or {}), dict(script_stats or {}))


def service_followers(vips, declared=None):
    return _health.service_followers(list(vips or []), list(declared) if declared is not None else None)


def hook_plan(vips, cluster_hooks=None, user='root', timeout=_hooks.DEFAULT_TIMEOUT):
    return _hooks.plan(list(vips or []), cluster_hooks, user, timeout)


def vip_defaults(vips, track=None):
    return model.vips_with_defaults(list(vips) if isinstance(vips, list) else vips, track)


def vip_successions(members, down=None, holders=None):
    return model.vip_successions(list(members), list(down or []), dict(holders or {}))


class FilterModule(object):
    """Cluster model filters of hanet.failover."""

    def filters(self):
        return {
            'cluster_preflight': cluster_preflight,
            'health_plan': health_plan,
            'health_problems': health_problems,
            'hook_plan': hook_plan,
            'keepalived_instances': keepalived_instances,
            'keepalived_vmac_name': keepalived_vmac_name,
            'links_from_facts': links_from_facts,
            'service_followers': service_followers,
            'ucarp_instances': ucarp_instances,
            'ucarp_password_problem': ucarp_password_problem,
            'vip_defaults': vip_defaults,
            'vip_expectations': vip_expectations,
            'vip_holders': vip_holders,
            'vip_successions': vip_successions,
        }
