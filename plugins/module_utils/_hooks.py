# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""State-change hooks: commands run when a member's state for a VIP changes. One implementation for the
inventory model's validation (the cluster role's preflight) and for the dispatcher on the members
(roles/cluster/files/hanet-hook), which the backend calls on every change of state.

A VIP's ``hooks`` (and the cluster-wide ``cluster_hooks``, run for every VIP after the VIP's own) map a state to
a list of hooks::

    hooks:
      master: ["systemctl reload haproxy.service"]
      fault: [{command: "/usr/local/bin/page-oncall", user: monitor, timeout: 10}]

The states are the same words for every backend: ``master`` (this member took the VIP), ``backup`` (it stands
by: after a start, or after it gave the VIP away), ``fault`` (the service the VIP follows fails here, or
keepalived's interface is down) and ``stop`` (the backend stopped for this VIP on this member).

Each hook runs through ``/bin/sh -c`` as a transient systemd service (``systemd-run --no-block``): the backend
never waits for it, so a slow or hanging hook cannot delay a failover; its output goes to the journal under the
identifier ``hanet-hook-VIP``; it runs as ``user`` (the cluster's ``cluster_hook_user`` unless the hook names
its own) and is stopped after ``timeout`` seconds. It sees HANET_VIP (the VIP's name), HANET_STATE and
HANET_ADDRESS in its environment. Hooks of one change start in their order but run side by side, and a hook of
an earlier change may still run: a hook must not assume it is the only one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

STATES = ('master', 'backup', 'fault', 'stop')
# A login name as useradd takes it (Debian's default NAME_REGEX, plus upper case): systemd-run --uid takes it.
USER_PATTERN = re.compile(r'^[A-Za-z_][A-Za-z0-9_-]{0,31}$')
DEFAULT_TIMEOUT = 30
MAX_TIMEOUT = 3600
# After its timeout, a hook that ignores SIGTERM is killed this many seconds later.
STOP_GRACE = 5
HOOK_FIELDS = ('command', 'user', 'timeout')


class HookError(ValueError):
    """A hook cannot be used as given."""


def resolved_hook(hook, label, user='root', timeout=DEFAULT_TIMEOUT):
    """{command, user, timeout} of one hook (a command string, or a mapping). Raises HookError naming the field."""
    if isinstance(hook, str):
        hook = {'command': hook}
    if not isinstance(hook, dict):
        raise HookError('%s: a hook is a command (a string) or a mapping with command, user and timeout, got %r'
                        % (label, hook))
    unknown = sorted(set(hook) - set(HOOK_FIELDS))
    if unknown:
        raise HookError('%s: unknown field %s; a hook takes command, user and timeout' % (label, ', '.join(unknown)))
    command = hook.get('command')
    if not isinstance(command, str) or not command.strip():
        raise HookError('%s.command: give the command to run (it runs through /bin/sh -c), got %r' % (label, command))
    if '\0' in command or '\n' in command:
        raise HookError('%s.command: %r spans lines or holds a NUL byte; give one line (put longer logic in a '
                        'script and name the script)' % (label, command))
    user = hook.get('user', user)
    if not isinstance(user, str) or not USER_PATTERN.match(user):
        raise HookError('%s.user: %r is not a user name (letters, digits, _ and -, up to 32, not starting with a '
                        'digit or -)' % (label, user))
    timeout = hook.get('timeout', timeout)
    if isinstance(timeout, bool) or not isinstance(timeout, int):
        try:
            timeout = int(str(timeout))
        except ValueError:
            raise HookError('%s.timeout: %r is not a whole number of seconds; give 1 to %d'
                            % (label, timeout, MAX_TIMEOUT))
    if not 1 <= timeout <= MAX_TIMEOUT:
        raise HookError('%s.timeout: %d is out of range; give 1 to %d seconds' % (label, timeout, MAX_TIMEOUT))
    return {'command': command, 'user': user, 'timeout': timeout}


def resolved_hooks(hooks, label, user='root', timeout=DEFAULT_TIMEOUT):
    """{state: [hook, ...]} with only the states that have hooks. Raises HookError naming the field."""
    if hooks in (None, {}):
        return {}
    if not isinstance(hooks, dict):
        raise HookError('%s: give a mapping of states (%s) to lists of commands, got %r'
                        % (label, ', '.join(STATES), hooks))
    out = {}
    for state, entries in hooks.items():
        if state not in STATES:
            raise HookError('%s: %r is not a state; hooks run on %s' % (label, state, ', '.join(STATES)))
        if entries is None:
            continue
        if isinstance(entries, (str, dict)):
            entries = [entries]
        if not isinstance(entries, list):
            raise HookError('%s.%s: give a list of commands, got %r' % (label, state, entries))
        resolved = [resolved_hook(entry, '%s.%s[%d]' % (label, state, index), user, timeout)
                    for index, entry in enumerate(entries)]
        if resolved:
            out[state] = resolved
    return out


def plan(vips, cluster_hooks=None, user='root', timeout=DEFAULT_TIMEOUT):
    """What the dispatcher on a member runs: {'vips': {VIP: {'address': ADDRESS, 'hooks': {state: [hook]}}},
    'users': [user, ...], 'errors': [message, ...]}, the VIP's own hooks first, then the cluster's; only VIPs
    that have hooks. A problem with the cluster's own settings (cluster_hook_user, cluster_hook_timeout,
    cluster_hooks) is an error message for the preflight, never an exception: the plan is read before the
    preflight reports. A VIP's own bad hooks are the model's to name (_cluster_validation.resolved_vip, per member);
    the plan leaves that VIP out."""
    errors = []
    try:
        resolved_hook({'command': 'true'}, 'cluster_hook_user and cluster_hook_timeout', user, timeout)
    except HookError as exc:
        return {'vips': {}, 'users': [], 'errors': [str(exc)]}
    try:
        shared = resolved_hooks(cluster_hooks, 'cluster_hooks', user, timeout)
    except HookError as exc:
        errors.append(str(exc))
        shared = {}
    out = {}
    users = set()
    for vip in vips or []:
        if not isinstance(vip, dict) or not vip.get('name'):
            continue  # the model's preflight names it
        try:
            own = resolved_hooks(vip.get('hooks'), 'cluster_vips[%s].hooks' % vip['name'], user, timeout)
        except HookError:
            continue  # the model's preflight names it, for each member
        merged = {}
        for state in STATES:
            entries = own.get(state, []) + shared.get(state, [])
            if entries:
                merged[state] = entries
                users.update(hook['user'] for hook in entries)
        if merged:
            out[str(vip['name'])] = {'address': str(vip.get('address', '')).partition('/')[0], 'hooks': merged}
    return {'vips': out, 'users': sorted(users), 'errors': errors}


def systemd_run_argv(vip, state, index, hook, address='', now=None):
    """The systemd-run command line that starts one hook as a transient service and returns at once."""
    stamp = int((time.time() if now is None else now) * 1000000)
    return ['systemd-run', '--no-block', '--quiet', '--collect',
            '--unit=hanet-hook-%s-%s-%d-%d' % (vip, state, stamp, index),
            '--description=hanet.failover %s hook %d of VIP %s' % (state, index, vip),
            '--uid=%s' % hook['user'],
            '--property=RuntimeMaxSec=%d' % hook['timeout'],
            '--property=TimeoutStopSec=%d' % STOP_GRACE,
            '--property=SyslogIdentifier=hanet-hook-%s' % vip,
            '--setenv=HANET_VIP=%s' % vip, '--setenv=HANET_STATE=%s' % state,
            '--setenv=HANET_ADDRESS=%s' % address,
            '/bin/sh', '-c', hook['command']]


def dispatch(config, vip, state, run, log, now=None):
    """Start the hooks of VIP for STATE (run(argv) -> exit status of systemd-run). Returns how many failed to
    start; each start and each failure is logged."""
    entry = (config.get('vips') or {}).get(vip)
    hooks = (entry or {}).get('hooks', {}).get(state, [])
    failed = 0
    for index, hook in enumerate(hooks):
        argv = systemd_run_argv(vip, state, index, hook, entry.get('address', ''), now)
        status = run(argv)
        if status == 0:
            log('%s: %s: started hook %d as %s (%s)' % (vip, state, index, hook['user'], argv[4][len('--unit='):]))
        else:
            failed += 1
            log('%s: %s: hook %d could not be started (systemd-run exited %s)' % (vip, state, index, status))
    return failed
