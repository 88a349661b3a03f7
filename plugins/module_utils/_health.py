# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Health tracking: the VIP follows the service. One implementation for the inventory model's validation (the
cluster role's preflight) and for the checker that runs on the members.

A check watches one thing - a systemd unit (``service``), a local TCP port (``tcp``), an HTTP(S) URL (``http``)
or a user script (``script``) - every ``interval`` seconds, each probe bounded by ``timeout``. ``fall`` failed
probes in a row make it unhealthy, ``rise`` good ones healthy again (it starts unhealthy until it has risen, so a
member that boots without its service does not take the VIP). What an unhealthy check does to a VIP:
``weight`` unset - the member gives the VIP away and stays out of its election while unhealthy; ``weight: N`` -
the member's rank for the VIP drops by N (ranked priorities are one apart, so it falls below N members), for
checks where another member may be healthy too.

The checker writes per VIP two numbers the backends read: ``fault`` (1 while a give-away check is unhealthy,
else 0) and ``weight`` (minus the sum of the weights of the unhealthy weighted checks). keepalived reads them as
``track_file`` (weight 0 and weight 1), the ucarp role as the signal to resign and stay silent.

The TCP and HTTP checks and the unit check run in the checker's own process (the unit through ``systemctl
show``, one short fork per probe); only ``script`` forks a user program per probe, so it takes intervals of a
second or more (keepalived issue 2546: scripts at short intervals fork-storm a loaded host).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Standard library only: the checker on the members imports this file without Ansible (Python 3, as every
# supported member has).
import http.client
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

KINDS = ('service', 'tcp', 'http', 'script')
CHECK_NAME_PATTERN = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$')
# systemd unit names: letters, digits, ":-_.\@", and a known suffix (the checker asks for this exact unit).
UNIT_PATTERN = re.compile(r'^[A-Za-z0-9:_.\\@-]{1,250}\.(service|socket|target|mount|path|timer|scope|slice)$')
# A script is one absolute path without white space or shell metacharacters: keepalived runs it without a shell
# and refuses it under script security unless root owns it and nobody else may write it (checked on the members).
SCRIPT_PATTERN = re.compile(r'^/[A-Za-z0-9_./+-]+$')
DEFAULTS = {'interval': 1, 'timeout': None, 'rise': 2, 'fall': 2, 'weight': None}
# Bounds: sub-second probes only where nothing forks per probe.
MIN_INTERVAL = {'service': 0.5, 'tcp': 0.1, 'http': 0.1, 'script': 1}
MAX_INTERVAL = 3600
MAX_WEIGHT = 253


class HealthError(ValueError):
    """A check cannot be used as given."""


def _number(value, label, field, low, high, whole=False):
    if isinstance(value, bool):
        raise HealthError('%s.%s: %r is not a number' % (label, field, value))
    if not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise HealthError('%s.%s: %r is not a number' % (label, field, value))
    if whole and value != int(value):
        raise HealthError('%s.%s: %r is not a whole number' % (label, field, value))
    if not low <= value <= high:
        raise HealthError('%s.%s: %s is out of range; give %s to %s' % (label, field, value, low, high))
    return int(value) if value == int(value) else value


def _tcp_target(value, label):
    """``PORT`` or ``HOST:PORT`` ([v6]:PORT): (host, port)."""
    text = str(value)
    host = '127.0.0.1'
    if ':' in text:
        host, _sep, text = text.rpartition(':')
        host = host[1:-1] if host.startswith('[') and host.endswith(']') else host
        if not host:
            raise HealthError('%s.tcp: %r has no host before the port; give PORT or HOST:PORT' % (label, value))
    try:
        port = int(text)
    except ValueError:
        raise HealthError('%s.tcp: %r is not PORT or HOST:PORT' % (label, value))
    if not 1 <= port <= 65535:
        raise HealthError('%s.tcp: port %d is out of range; give 1 to 65535' % (label, port))
    return host, port


def unit_name(raw):
    """The systemd unit a service check names: a bare name is a .service, as systemctl takes it."""
    unit = str(raw)
    return unit if '.' in unit else unit + '.service'


def resolved_check(check, label):
    """The check with defaults filled in: {name, kind, target, interval, timeout, rise, fall, weight}.
    Raises HealthError naming the field."""
    if not isinstance(check, dict):
        raise HealthError('%s: each check must be a mapping with one of %s, got %r' % (label, ', '.join(KINDS), check))
    kinds = [k for k in KINDS if check.get(k) not in (None, '')]
    if len(kinds) != 1:
        raise HealthError('%s: give exactly one of %s per check, got %s'
                          % (label, ', '.join(KINDS), ', '.join(kinds) or 'none'))
    unknown = sorted(set(check) - set(KINDS) - set(DEFAULTS) - set(['name']))
    if unknown:
        raise HealthError('%s: unknown field %s; a check takes name, one of %s, interval, timeout, rise, fall and '
                          'weight' % (label, ', '.join(unknown), ', '.join(KINDS)))
    kind = kinds[0]
    raw = check[kind]
    out = {'kind': kind}
    if kind == 'service':
        unit = unit_name(raw)
        if not UNIT_PATTERN.match(unit):
            raise HealthError('%s.service: %r is not a systemd unit name (such as haproxy.service)' % (label, raw))
        out['target'] = unit
    elif kind == 'tcp':
        out['target'] = '%s:%d' % _tcp_target(raw, label)
    elif kind == 'http':
        parts = urlsplit(str(raw))
        if parts.scheme not in ('http', 'https') or not parts.hostname or re.search(r'\s', str(raw)):
            raise HealthError('%s.http: %r is not an http:// or https:// URL' % (label, raw))
        out['target'] = str(raw)
    else:
        if not SCRIPT_PATTERN.match(str(raw)) or '/../' in str(raw) or str(raw).endswith('/'):
            raise HealthError('%s.script: %r is not an absolute path to a program (no spaces, no arguments, no ..); '
                              'wrap arguments in a script of your own' % (label, raw))
        out['target'] = str(raw)
    name = check.get('name')
    if name is None:
        name = re.sub(r'[^A-Za-z0-9_-]+', '_', '%s_%s' % (kind, out['target'].rsplit('/', 1)[-1])).strip('_')[:32]
    elif not CHECK_NAME_PATTERN.match(str(name)):
        raise HealthError('%s.name: %r is not a usable name; use letters, digits, _ and - (up to 32)' % (label, name))
    out['name'] = str(name)
    out['interval'] = _number(check.get('interval', DEFAULTS['interval']), label, 'interval', MIN_INTERVAL[kind],
                              MAX_INTERVAL)
    timeout = check.get('timeout')
    out['timeout'] = out['interval'] if timeout is None else _number(timeout, label, 'timeout', 0.05, MAX_INTERVAL)
    if out['timeout'] > out['interval']:
        raise HealthError('%s.timeout: %s is longer than the interval (%s); a probe must end before the next'
                          % (label, out['timeout'], out['interval']))
    for field in ('rise', 'fall'):
        out[field] = _number(check.get(field, DEFAULTS[field]), label, field, 1, 100, whole=True)
    weight = check.get('weight')
    out['weight'] = None if weight is None else _number(weight, label, 'weight', 1, MAX_WEIGHT, whole=True)
    return out


def resolved_checks(checks, label):
    """A VIP's list of checks, resolved; names must be distinct."""
    if checks is None:
        return []
    if not isinstance(checks, list):
        raise HealthError('%s: give a list of checks, got %r' % (label, checks))
    out = []
    for index, check in enumerate(checks):
        resolved = resolved_check(check, '%s[%d]' % (label, index))
        if resolved['name'] in [c['name'] for c in out]:
            raise HealthError('%s[%d].name: %s is used twice; give each check its own name'
                              % (label, index, resolved['name']))
        out.append(resolved)
    return out


def track_file_names(vip_name):
    """keepalived's names of a VIP's two track files: (fault, weight)."""
    return 'hanet_%s_fault' % vip_name, 'hanet_%s_weight' % vip_name


def plan(vips, directory):
    """What the cluster role sets up on a member for the VIPs that follow a service (raw cluster_vips, already
    through the preflight): {'vips': {name: track}, the checker's configuration; 'track_files': keepalived's
    track_file definitions [{name, file, weight}]; 'units': the systemd units followed; 'scripts': the scripts run}."""
    tracked = [v for v in vips or [] if isinstance(v, dict) and v.get('track')]
    files, units, scripts = [], [], []
    for vip in tracked:
        for name, suffix, weight in zip(track_file_names(vip['name']), ('fault', 'weight'), (0, 1)):
            files.append({'name': name, 'file': '%s/%s.%s' % (directory.rstrip('/'), vip['name'], suffix),
                          'weight': weight})
        for check in vip['track']:
            if not isinstance(check, dict):
                continue
            if check.get('service'):
                unit = unit_name(check['service'])
                if unit not in units:
                    units.append(unit)
            if check.get('script') and str(check['script']) not in scripts:
                scripts.append(str(check['script']))
    return {'vips': dict((v['name'], v['track']) for v in tracked), 'track_files': files, 'units': units,
            'scripts': scripts}


def service_followers(vips, declared=None):
    """What stopping one unit does to the VIPs, for the drill's service_down fault: the unit is the first service
    check of the first VIP's track. {'service': unit or '', 'follow': [VIP, ...] (a service check of that unit
    without weight: the member gives the VIP away), 'unsure': {VIP: [why, ...]} (checks that may fail with the unit
    or not: tcp, http, script, a weighted check of it)}. ``declared`` (the user's list of the VIPs that depend on
    the unit) replaces the guess: those follow, every other VIP stays, nothing is unsure."""
    vips = [v for v in vips or [] if isinstance(v, dict) and v.get('name')]
    first = [c for c in ((vips[0].get('track') or []) if vips else []) if isinstance(c, dict) and c.get('service')]
    service = unit_name(first[0]['service']) if first else ''
    follow, unsure = [], {}
    for vip in vips:
        reasons = []
        follows = False
        for check in vip.get('track') or []:
            if not isinstance(check, dict):
                continue
            if check.get('service') and unit_name(check['service']) != service:
                continue  # another unit: the drill leaves it running
            if check.get('service') and check.get('weight') is None:
                follows = True
            elif check.get('service'):
                reasons.append('service %s (weight %s)' % (service, check['weight']))
            else:
                kind = next((k for k in KINDS if check.get(k)), '?')
                reasons.append('%s %s' % (kind, check.get(kind)))
        if declared is not None:
            follows, reasons = str(vip['name']) in [str(d) for d in declared], []
        if follows:
            follow.append(str(vip['name']))
        elif reasons:
            unsure[str(vip['name'])] = reasons
    return {'service': service, 'follow': follow, 'unsure': unsure}


def member_problems(host, unit_states, script_stats):
    """What a member lacks for its checks, as preflight messages. ``unit_states``: {unit: systemd's LoadState};
    ``script_stats``: {path: Ansible stat result (exists, executable, pw_name, wgrp, woth, mode)}."""
    problems = []
    for unit, state in sorted(unit_states.items()):
        if state != 'loaded':
            problems.append('%s: the unit %s that a VIP follows (track.service) does not exist here (%s); install the '
                            'service first, or fix the name' % (host, unit, state or 'systemd did not answer'))
    for path, stat in sorted(script_stats.items()):
        if not stat.get('exists') or not stat.get('isreg', True):
            problems.append('%s: the check script %s (track.script) is missing or not a file' % (host, path))
        elif not (stat.get('roth') and stat.get('xoth')):
            # The checker runs it as cluster_health_user, not as its owner.
            problems.append('%s: the check script %s (track.script) must be readable and executable by the checker\'s '
                            'user (cluster_health_user): chmod o+rx (it is mode %s)' % (host, path, stat.get('mode')))
        elif stat.get('pw_name') != 'root' or stat.get('wgrp') or stat.get('woth'):
            problems.append('%s: the check script %s (track.script) must be owned by root and writable by nobody else '
                            '(it is %s\'s, mode %s)' % (host, path, stat.get('pw_name'), stat.get('mode')))
    return problems


def detection_bound(check):
    """Seconds from the service failing to the check being unhealthy, at most: fall probes, each up to an interval
    apart and bounded by the timeout."""
    return check['fall'] * check['interval'] + check['timeout']


# -- the checker on the members ----------------------------------------------------------------------------------
def http_status(url, timeout):
    """The status of GET url (no redirect followed: a 3xx counts as an answer). HTTPS verifies the certificate
    against the system's CAs, as any client would."""
    parts = urlsplit(url)
    if parts.scheme == 'https':
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                                 context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request('GET', (parts.path or '/') + ('?' + parts.query if parts.query else ''),
                           headers={'User-Agent': 'hanet-failover-health', 'Connection': 'close'})
        return connection.getresponse().status
    finally:
        connection.close()


def probe(check, run=None, connect=socket.create_connection, get=http_status):
    """One probe of a resolved check: True when healthy. Never raises for what it probes. ``run(argv, timeout)``
    runs a program and returns its exit status, for the service and script checks: the checker's own
    (roles/cluster/files/hanet-health), as this file runs no program itself (Ansible's module_utils rule)."""
    kind, target, timeout = check['kind'], check['target'], check['timeout']
    try:
        if kind == 'tcp':
            host, port = target.rsplit(':', 1)
            connect((host.strip('[]'), int(port)), timeout).close()
            return True
        if kind == 'http':
            return 200 <= get(target, timeout) < 400
        if run is None:
            raise TypeError('probe: a %s check needs run=' % kind)
        if kind == 'service':
            return run(['systemctl', 'is-active', '--quiet', target], timeout) == 0
        return run([target], timeout) == 0
    except (OSError, socket.error, subprocess.TimeoutExpired, http.client.HTTPException, ValueError):
        return False


def _stdout(line):
    sys.stdout.write(line + '\n')
    sys.stdout.flush()


class Tracker:
    """Rise/fall state of one check. Without a known state (``healthy`` None) the first probe sets it directly: a
    member that boots without its service is not eligible, and adding a check to a running cluster does not send
    every member to FAULT while the checks rise. A checker restarted on a running member starts from the state its
    files hold (``healthy`` given), so one bad probe at a restart does not move a VIP: rise and fall apply."""

    def __init__(self, check, healthy=None):
        self.check = check
        self.healthy = healthy
        self.streak = 0  # probes in a row that disagree with the current state

    def record(self, ok):
        """Record one probe; True when the state changed (the first probe always sets it)."""
        if self.healthy is None:
            self.healthy, self.streak = bool(ok), 0
            return True
        if ok == self.healthy:
            self.streak = 0
            return False
        self.streak += 1
        if self.streak >= (self.check['rise'] if ok else self.check['fall']):
            self.healthy, self.streak = ok, 0
            return True
        return False


def vip_state(trackers):
    """(fault, weight) of one VIP from its checks' trackers: fault 1 while any give-away check is unhealthy;
    weight minus the sum of the unhealthy weighted checks' weights."""
    fault = int(any(not t.healthy for t in trackers if t.check['weight'] is None))
    weight = -sum(t.check['weight'] for t in trackers if t.check['weight'] is not None and not t.healthy)
    return fault, weight


def boot_time():
    """When this host booted (epoch seconds), or 0 where /proc/stat does not say."""
    try:
        with open('/proc/stat') as handle:
            for line in handle:
                if line.startswith('btime '):
                    return int(line.split()[1])
    except (IOError, OSError, ValueError):
        pass
    return 0


def read_state(directory, vip, since=0):
    """(fault, weight) from a VIP's track files written after ``since`` (epoch seconds), else (None, None): a
    state from before the last boot says nothing about the services now."""
    values = []
    for suffix in ('fault', 'weight'):
        path = os.path.join(directory, '%s.%s' % (vip, suffix))
        try:
            if os.stat(path).st_mtime < since:
                return None, None
            with open(path) as handle:
                values.append(int(handle.read().strip() or 0))
        except (IOError, OSError, ValueError):
            return None, None
    return values[0], values[1]


def write_state(directory, vip, fault, weight):
    """Write a VIP's two track files (VIP.fault, VIP.weight) atomically; only what changed is rewritten, since
    keepalived re-reads a track file whenever it is written."""
    changed = False
    for suffix, value in (('fault', fault), ('weight', weight)):
        path = os.path.join(directory, '%s.%s' % (vip, suffix))
        text = '%d\n' % value
        try:
            with open(path) as handle:
                if handle.read() == text:
                    continue
        except (IOError, OSError):
            pass
        scratch = path + '.new'
        with open(scratch, 'w') as handle:
            handle.write(text)
        os.chmod(scratch, 0o644)
        os.rename(scratch, path)
        changed = True
    return changed


class Checker:
    """The members' checker: one thread per check probes at the check's interval; after each probe the VIP's track
    files are rewritten if its state changed. ``config`` is {vip name: [resolved checks]}."""

    def __init__(self, config, directory, log=_stdout, probe_fn=probe, clock=time.time, booted=None):
        self.directory = directory
        self.log, self.probe, self.clock = log, probe_fn, clock
        booted = boot_time() if booted is None else booted
        self.trackers = {}
        for vip, checks in config.items():
            fault, weight = read_state(directory, vip, since=booted)
            self.trackers[vip] = [Tracker(c, None if fault is None else
                                          (fault == 0 if c['weight'] is None else weight == 0)) for c in checks]
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def start_state(self):
        """Before the first probes, a VIP without track files gets them, eligible (0, 0): the first probes decide
        within one timeout, well before a starting keepalived or ucarp leaves BACKUP."""
        for vip in self.trackers:
            if not os.path.exists(os.path.join(self.directory, '%s.fault' % vip)):
                write_state(self.directory, vip, 0, 0)

    def step(self, vip, tracker):
        """One probe of one check, and the VIP's files if its state changed."""
        ok = self.probe(tracker.check)
        with self.lock:
            if tracker.record(ok):
                check = tracker.check
                state = 'healthy' if tracker.healthy else 'failing'
                self.log('%s: check %s (%s %s) is %s' % (vip, check['name'], check['kind'], check['target'], state))
                if all(t.healthy is not None for t in self.trackers[vip]):
                    fault, weight = vip_state(self.trackers[vip])
                    if write_state(self.directory, vip, fault, weight):
                        self.log('%s: fault %d, weight %d' % (vip, fault, weight))

    def loop(self, vip, tracker):
        interval = tracker.check['interval']
        due = self.clock()
        while not self.stopping.is_set():
            try:
                self.step(vip, tracker)
            except (IOError, OSError, ValueError) as exc:
                # A full disk or a removed directory must not end this check quietly (its VIP would freeze in its
                # last state): log it, and try again at the next interval.
                self.log('%s: check %s failed to record its result: %s' % (vip, tracker.check['name'], exc))
            due += interval
            delay = due - self.clock()
            if delay < 0:  # a probe overran (it is bounded by the timeout, at most one interval): no burst
                due, delay = self.clock(), 0
            self.stopping.wait(delay)

    def run(self):
        self.start_state()
        threads = [threading.Thread(target=self.loop, args=(vip, tracker))
                   for vip, trackers in sorted(self.trackers.items()) for tracker in trackers]
        for thread in threads:
            thread.daemon = True
            thread.start()
        return threads
