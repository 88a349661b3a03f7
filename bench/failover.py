# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: how long a client loses a VIP when its master fails, per backend, MAC mode, fault and profile.

Eight clusters run side by side in the container lab (scripts/lab, internal network 198.51.100.0/24): keepalived,
ucarp and Pacemaker, each deployed with playbooks/cluster.yml with the ``default`` and the ``fast`` profile, and
keepalived and ucarp each as the anchor, ``plain``: the daemon set up by hand from its own documentation, without
this collection (bench/plain_cluster.py), against which the collection's figures are given as ratios (Pacemaker
has no anchor; see report()).
Each cluster has two members (priorities 150 and 100), a client, one vmac VIP and one garp VIP. For every
repetition and fault the master is faulted while its client sends an ICMP echo to each VIP every 10 ms; the
bench records the probes lost and the outage (the longest time without a reply), waits for the VIPs to come
back to the master, and goes on. The clusters are faulted concurrently; they share the machine's CPUs
and nothing else (separate VRIDs, addresses and containers).

ICMP echo is answered by the kernel of whichever host holds the address and is reached through the MAC
the client's neighbour table has, which is exactly what moves on a failover; any service on the VIP is
unreachable at least that long.

Afterwards each cluster runs the planned maintenance once (playbooks/maintenance.yml drain + undrain, and
playbooks/rolling_restart.yml) under the same probe. Then the soak: every cluster idles for ``--soak`` seconds
(600) while one busy process per CPU keeps the host's cores loaded and the clients probe every VIP; any state
change in the members' journals is a false failover. Writes bench/results/failover.md, and every trial's
figures to bench/results/failover.json.

Usage: bench/failover.py [--reps N] [--soak S] [--output FILE] [--faults LIST]   (as root, from the repository;
see ``make bench``). ``--faults`` runs only the faults named (comma-separated; default: the five above, with the
maintenance and the soak). ``--faults service_down`` runs the service_down fault instead, on its own
(bench/service_down.py, ``make bench-service-down``): the service a VIP follows dies on the master; it writes
bench/results/service_down.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, 'tests', 'faults'))
sys.path.insert(0, os.path.join(REPO, '.build', 'collections'))

import lab_cluster  # noqa: E402  pylint: disable=wrong-import-position
from plain_cluster import PlainCluster  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.hanet.failover.plugins.plugin_utils import (  # noqa: E402  pylint: disable=wrong-import-position
    _cluster_validation, _keepalived_render, _ucarp_render)

PROFILES = ('default', 'fast')
# The clusters of each backend: the collection's two profiles, and the anchor without the collection.
VARIANTS = PROFILES + ('plain',)
BACKENDS = ('keepalived', 'ucarp', 'pacemaker')
# The backends with an anchor. Pacemaker has none: the way its own documentation moves an address is an IPaddr2
# resource with corosync's default timing, which is what the collection's default profile renders for a garp VIP.
ANCHORED = ('keepalived', 'ucarp')
# Pacemaker's faults here: SIGKILL of Pacemaker and link down need fencing (without it the faulted member keeps its
# VIPs while the other takes them over), and the lab has no fence device yet.
PACEMAKER_FAULTS = ('stop', 'container', 'host')
MODES = ('vmac', 'garp')
# Member priorities: node1 is the master, node2 the backup whose timers decide the failover.
PRIORITIES = (150, 100)
FAULTS = (
    ('stop', 'graceful stop of the daemon'),
    ('kill', 'SIGKILL of the daemon'),
    ('link', 'link down on the master'),
    ('container', 'master container stopped'),
    ('host', 'host lost (port down, frozen)'),
)
# The client probes from 1 s before the fault for this long, longer where the crash bound leaves less than 3 s
# after it (probe_seconds): an outage that ran into the probe's end would be cut short.
PROBE_SECONDS = 8
INTERVAL_MS = 10
# A failover that takes longer than this is recorded as a failed trial.
FAILOVER_LIMIT = 15


def probe_seconds(backend, profile):
    """How long the client probes in a trial: PROBE_SECONDS, or the crash bound plus 6 s where PROBE_SECONDS
    leaves less than 3 s after it (Pacemaker's default profile: token + consensus is 6.6 s before the DC even
    schedules the takeover; 12 s there)."""
    bound = detection_bound(backend, profile, False)
    return PROBE_SECONDS if bound + 4 <= PROBE_SECONDS else int(bound) + 6


def variants(backend):
    """The clusters of a backend: its profiles, and the anchor where it has one."""
    return VARIANTS if backend in ANCHORED else PROFILES


def cluster_spec(backend, profile, number):
    """Addresses and VRIDs of one bench cluster: 198.51.100.131-166, VRIDs 71-82; Pacemaker's 198.51.100.201-214,
    VRIDs 91-94 (a vmac VIP's MAC is its VRID's, and the clusters share the segment)."""
    if backend == 'pacemaker':
        index = PROFILES.index(profile)
        vrid, vip = 91 + 2 * index, 211 + 2 * index
        return {'prefix': 'bp%s' % profile[0],
                'ips': ('198.51.100.%d' % (201 + 2 * index), '198.51.100.%d' % (202 + 2 * index),
                        '198.51.100.%d' % (208 + index)),
                'vips': [{'name': 'web', 'address': '198.51.100.%d/24' % vip, 'interface': 'eth0', 'vrid': vrid,
                          'mac_mode': 'vmac'},
                         {'name': 'api', 'address': '198.51.100.%d/24' % (vip + 1), 'interface': 'eth0',
                          'vrid': vrid + 1, 'mac_mode': 'garp'}]}
    base = 131 + 20 * BACKENDS.index(backend) + 2 * VARIANTS.index(profile)
    client = 139 + 20 * BACKENDS.index(backend) - VARIANTS.index(profile)
    vip = 141 + 20 * BACKENDS.index(backend) + 2 * VARIANTS.index(profile)
    vrid = 71 + number * 2
    prefix = 'b%s%s' % (backend[0], profile[0])
    vips = [
        {'name': 'web', 'address': '198.51.100.%d/24' % vip, 'interface': 'eth0', 'vrid': vrid, 'mac_mode': 'vmac'},
        {'name': 'api', 'address': '198.51.100.%d/24' % (vip + 1), 'interface': 'eth0', 'vrid': vrid + 1,
         'mac_mode': 'garp'},
    ]
    if backend == 'ucarp':  # ucarp needs a password; keepalived's fast profile is VRRPv3, which has none
        for item in vips:
            item['auth_pass'] = '%s-%s-pw' % (prefix, item['name'])
    return {'prefix': prefix, 'ips': ('198.51.100.%d' % base, '198.51.100.%d' % (base + 1), '198.51.100.%d' % client),
            'vips': vips}


def detection_bound(backend, profile, graceful):
    """Seconds from the master's last advert to the backup's takeover, from the collection's own model.

    keepalived: 3 missed adverts + skew, skew = (256 - priority) / 256 x advert interval, with the priority the
    backup advertises (ranked: 253); after a graceful stop the master's priority-0 advert leaves the skew alone.
    ucarp: advbase x deadratio + advskew / 256; after a graceful stop the unit's resignation (advbase 255) makes
    the backup take over on receipt: 0.
    pacemaker: corosync declares the member lost after the token timeout plus consensus (1.2 x token); a graceful
    stop moves the resources away before Pacemaker leaves: 0.
    """
    if backend == 'pacemaker':
        return 0.0 if graceful else lab_cluster.PACEMAKER_TOKEN[profile] * 2.2
    if backend == 'keepalived':
        advert = _cluster_validation.PROFILES['default' if profile == 'plain' else profile]['advert_int']
        members = [{'name': 'node1', 'priority': PRIORITIES[0]}, {'name': 'node2', 'priority': PRIORITIES[1]}]
        priority = _keepalived_render.keepalived_priority(members[1], {}, members, rank=profile != 'plain')
        skew = (256 - priority) / 256.0 * advert
        return skew if graceful else 3 * advert + skew
    if profile == 'plain':  # nobody resigns: the backup (advskew 100) waits advbase x deadratio either way
        return 3 + 100 / 256.0
    if graceful:
        return 0.0
    settings = _cluster_validation.UCARP_PROFILES[profile]
    return settings['advert_int'] * settings['deadratio'] + _ucarp_render.UCARP_SKEW_STEP / 256.0


class Bench:
    """One cluster and its trials."""

    def __init__(self, backend, profile, tmp_dir, reps, faults=None):
        self.backend, self.profile, self.reps = backend, profile, reps
        self.faults = [f for f, dummy in FAULTS if (faults is None or f in faults)
                       and (backend != 'pacemaker' or f in PACEMAKER_FAULTS)]
        number = len(VARIANTS) * BACKENDS.index(backend) + VARIANTS.index(profile)
        kind = PlainCluster if profile == 'plain' else lab_cluster.Cluster
        self.cluster = kind(backend, tmp_dir, spec=cluster_spec(backend, profile, number),
                            name='bench-%s-%s' % (backend, profile),
                            settings={} if profile == 'plain' else {'cluster_profile': profile})
        self.trials = []       # (fault, {vip name: probe result}, seconds to one holder or None if it failed)
        self.soaked = None     # the soak: seconds, {member: state changes}, {vip name: probe result}
        self.maintenance = []  # (what, {vip name: probe result}, seconds)
        self.errors = []

    def log(self, text):
        print('[%s %s] %s' % (self.backend, self.profile, text), flush=True)

    # -- faults (lab_cluster.Cluster.fault/undo, as in the fault suite) ---------------------------------------
    def restore(self, fault):
        c = self.cluster
        c.undo(fault)
        if fault == 'link':
            # ucarp exits when its link goes down and systemd starts it again after ucarp_restart_sec; starting
            # it here makes that immediate (a no-op for keepalived, which stays up).
            c.systemctl(c.node1, 'start', *c.units)
        c.wait(lambda: c.single_holder(c.node1), 60, 'failback to node1', stable=2)

    def trial(self, fault):
        c = self.cluster
        c.wait(lambda: c.single_holder(c.node1), 30, 'steady state before the fault', stable=2)
        c.start_probe(probe_seconds(self.backend, self.profile))
        start = time.time()
        c.fault(fault)
        settled = None
        try:
            # The anchors keep a crashed or frozen master's addresses: there node2 holding every VIP is the failover.
            took_over = (lambda: c.settled_on(c.node2)) if self.profile == 'plain' else (lambda: c.single_holder(c.node2))
            c.wait(took_over, FAILOVER_LIMIT, 'failover to node2')
            settled = time.time() - start
        finally:
            probe = c.probe_result()
            self.trials.append((fault, probe, settled))
            self.restore(fault)

    # -- planned maintenance ------------------------------------------------------------------------------------
    def planned(self, what, steps, seconds):
        c = self.cluster
        c.wait(lambda: c.single_holder(c.node1), 30, 'steady state before %s' % what, stable=2)
        c.start_probe(seconds)
        start = time.time()
        try:
            steps()
        finally:
            took = time.time() - start
            c.exec(c.client, 'pkill', '-INT', '-f', 'hanet-vip-probe', check=False)
            probe = c.probe_result(timeout=seconds + 10)
            self.maintenance.append((what, probe, took))

    def drain_undrain(self):
        c = self.cluster
        for action in ('drain', 'undrain'):
            c.playbook('-e', 'maintenance_member=%s' % c.node1, '-e', 'maintenance_action=%s' % action,
                       name='maintenance.yml')

    def rolling_restart(self):
        self.cluster.playbook(name='rolling_restart.yml')

    # -- the whole run ----------------------------------------------------------------------------------------
    def run(self, deployed=None):
        """Deploy, then (once every cluster is deployed: ``deployed``, a barrier) the trials and the maintenance."""
        try:
            self.log('lab and deploy')
            try:
                self.cluster.up()
            finally:
                if deployed is not None:
                    # Trials start together, not during the other clusters' deploys (eight at once load the two
                    # cores far beyond what the trials then see); a failed deploy still releases the others.
                    deployed.wait()
            for rep in range(self.reps):
                for fault in self.faults:
                    self.log('rep %d/%d: %s' % (rep + 1, self.reps, fault))
                    try:
                        self.trial(fault)
                    except AssertionError as exc:
                        self.errors.append('%s, rep %d: %s' % (fault, rep + 1, exc))
                        self.log('FAILED: %s' % exc)
            if self.profile == 'plain':
                return  # the maintenance playbooks are the collection's
            self.log('planned maintenance')
            # The probe stops when the playbooks are done; these are its limits (Pacemaker waits for the cluster to
            # settle at each step, and a loaded lab is slow).
            for what, steps, seconds in (
                    ('drain, then undrain (playbooks/maintenance.yml)', self.drain_undrain, 300),
                    ('rolling restart (playbooks/rolling_restart.yml)', self.rolling_restart, 400)):
                try:
                    self.planned(what, steps, seconds)
                except AssertionError as exc:  # recorded; the cluster still soaks
                    self.errors.append('%s: %s' % (what, str(exc)[-600:]))
                    self.log('FAILED: %s' % what)
        except Exception as exc:  # pylint: disable=broad-except
            self.errors.append('aborted: %s' % exc)
            self.log('ABORTED: %s' % traceback.format_exc())

    # -- the soak (all clusters at once, main() loads the CPUs) -------------------------------------------------
    def soak_start(self, seconds):
        c = self.cluster
        c.wait(lambda: c.single_holder(c.node1), 30, 'steady state before the soak', stable=2)
        self.soak_since = int(time.time())
        c.start_probe(seconds)

    def soak_end(self, seconds):
        c = self.cluster
        probe = c.probe_result(timeout=60)
        changes = {}
        for host in c.members:
            if self.backend == 'keepalived':
                args = ['journalctl', '-u', 'keepalived', '-o', 'cat', '--since', '@%d' % self.soak_since]
                marks = ('Entering MASTER STATE', 'Entering BACKUP STATE', 'Entering FAULT STATE')
            elif self.backend == 'pacemaker':
                # A membership change (a member thought lost) or a VIP resource started or stopped anywhere.
                args = ['journalctl', '-u', 'corosync', '-u', 'pacemaker', '-o', 'cat', '--since',
                        '@%d' % self.soak_since]
                marks = ('A new membership', 'Initiating start operation hanet-', 'Initiating stop operation hanet-')
            else:
                args = ['journalctl', '-t', 'ucarp', '-o', 'cat', '--since', '@%d' % self.soak_since]
                # ucarp logs each line to syslog and (where its unit keeps stdout, the anchors) again with a
                # timestamp in front: the syslog copy only.
                marks = ('[WARNING] Switching to state',)
            journal = c.exec(host, *args).stdout
            changes[host] = sum(1 for line in journal.splitlines()
                                if any(m in line for m in marks) and not line[:4].isdigit())
        self.soaked = (seconds, changes, probe)
        if any(changes.values()):
            self.errors.append('soak: state changes %s' % changes)


def soak(benches, seconds):
    """Every cluster idles under the probe while one busy process per CPU loads the host; returns the load
    averages (1 and 5 min) read at the end, or None without a soak."""
    alive = [b for b in benches if not any(e.startswith('aborted') for e in b.errors)]
    if seconds <= 0 or not alive:
        return None
    seconds = min(seconds, 600)  # the probe's limit
    for bench in list(alive):
        bench.log('soak: %d s under load' % seconds)
        try:
            bench.soak_start(seconds)
        except AssertionError as exc:
            bench.errors.append('soak: %s' % exc)
            alive.remove(bench)
    burners = [subprocess.Popen([sys.executable, '-c', 'while True: pass']) for dummy in range(os.cpu_count() or 1)]
    try:
        time.sleep(seconds + 2)
        with open('/proc/loadavg') as handle:
            load = handle.read().split()[:2]
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    for bench in alive:
        try:
            bench.soak_end(seconds)
        except AssertionError as exc:
            bench.errors.append('soak: %s' % exc)
    return load


def fmt_ms(values):
    return '-' if not values else '%d / %d' % (statistics.median(values), max(values))


def cell(bench, fault, vip):
    """Outage ms and probes lost of one VIP over the successful trials of one fault."""
    rows = [(probe[vip]['outage_ms'], probe[vip]['lost']) for f, probe, settled in bench.trials
            if f == fault and settled is not None]
    failed = len([1 for f, probe, settled in bench.trials if f == fault and settled is None])
    return [r[0] for r in rows], [r[1] for r in rows], failed


def ratio(fast, default):
    if not fast or not default:
        return '-'
    if statistics.median(default) == 0:
        return '-' if statistics.median(fast) else '1.00'
    return '%.2f' % (statistics.median(fast) / statistics.median(default))


def prober_note(benches):
    """What the client's prober says about itself: a prober starved of CPU skips its late probes (it never
    bursts), and a stall shows up as an outage the VIP did not have."""
    late = []
    worst = 0
    for bench in benches:
        for fault, probe, dummy in bench.trials:
            stall = max(p.get('stall_ms', 0) for p in probe.values())
            worst = max(worst, stall)
            if stall > 3 * INTERVAL_MS:
                late.append('%s %s %s: %d ms' % (bench.backend, bench.profile, fault, stall))
    text = ('The prober (playbooks/files/vip_probe.py, at nice -10 on the client: a real client has a CPU of its own) '
            'reports how late it sent a probe when the loaded host still left it without CPU; it skips the slots it '
            'missed. Longest stall in any trial: %d ms.' % worst)
    if late:
        text += (' Trials where it was late by more than %d ms (their outage may include the stall): %s.'
                 % (3 * INTERVAL_MS, '; '.join(late)))
    return text


NAMES = {'keepalived': 'keepalived', 'ucarp': 'ucarp', 'pacemaker': 'Pacemaker'}


def listed(words):
    return ' and '.join(words) if len(words) < 3 else '%s and %s' % (', '.join(words[:-1]), words[-1])


def report(benches, reps, seconds, load=None, generated=None, rendered_from=None, faults=None):
    by_key = dict(((b.backend, b.profile), b) for b in benches)
    shown = [(f, label) for f, label in FAULTS if faults is None or f in faults]
    # What ran (a run with --only, or the JSON of an older run, has fewer clusters).
    ran = [backend for backend in BACKENDS if any(b.backend == backend for b in benches)]
    anchored = [backend for backend in ran if (backend, 'plain') in by_key]
    pacemaker = 'pacemaker' in ran
    lines = [
        '# Failover benchmark', '',
        '<!-- Written by bench/failover.py (make bench). Do not edit; rerun the bench. -->', '',
    ] + (['Re-rendered by `bench/failover.py --from-json` from %s, the figures of the run below unchanged.'
          % rendered_from, ''] if rendered_from else []) + [
        'Generated %s by `make bench` in %d s. %d clusters side by side in the container lab: %s, each deployed by '
        'this collection with the `default` and the `fast` profile, and %s each as the anchor '
        '**plain**, the daemon set up by hand from its own documentation without this collection '
        '(bench/plain_cluster.py: keepalived VRRPv2 with 1 s adverts; ucarp with its defaults, --preempt and '
        '--shutdown).%s Each has two members (priorities %d and %d; the collection\'s keepalived advertises their '
        'ranks, 254 and 253), a client, and two IPv4 VIPs, one vmac and one garp (the anchors: both garp, the '
        'daemons\' default; their garp VIP is the reference for both rows). Per fault and repetition the master is '
        'faulted while the client '
        'sends an ICMP echo to each VIP every %d ms. **Lost** counts the unanswered probes: lost x %d ms is the '
        'outage as the probes sampled it. **Outage** is the longest time between two answered probes (less one '
        'interval): an upper bound, since it also holds any time the prober itself could not send (the loaded '
        'lab left it without CPU; see the prober\'s stalls below). Where a cell lost no probe, the VIP answered '
        'every probe that was sent: its outage figure is the prober\'s stall, not the VIP\'s. %d repetitions per '
        'cell; each cell shows median / max.'
        % (generated or time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), seconds, len(benches),
           listed([NAMES[b] for b in ran]), listed(anchored) or 'none',
           ' Pacemaker has no anchor: its documented way to move an address, an IPaddr2 resource with corosync\'s '
           'default timing, is what the collection renders for a garp VIP with the default profile. Pacemaker runs '
           'without fencing here (the lab has no fence device yet), so its SIGKILL and link-down rows, which need '
           'fencing, are not run.' if pacemaker else '',
           PRIORITIES[0], PRIORITIES[1], INTERVAL_MS, INTERVAL_MS, reps), '',
        'Profiles: keepalived `default` = VRRPv2, advert_int 1 s; `fast` = VRRPv3, advert_int 0.03 s, the VRRP '
        'process in real time (vrrp_rt_priority 50, vrrp_no_swap; the lab gives no real-time budget, so there it runs '
        'unprioritised, harsher than a host). ucarp '
        '`default` = advbase 1 s, deadratio 3; `fast` = advbase 1 s, deadratio 2 (ucarp cannot advertise faster '
        'than once a second). Both profiles use the same GARP settings and ARP sysctls (arp_notify on).' + (
            ' Pacemaker `default` = corosync\'s defaults (token 3 s, consensus 3.6 s); `fast` = token 1 s (consensus '
            '1.2 s); the members are Debian 12 like the other clusters\' (Pacemaker 2.1.5), the vmac VIP a group of '
            'the collection\'s ocf:hanet:vmac and IPaddr2, the garp VIP IPaddr2 alone. The client probes for %d s from '
            '1 s before the fault, %d s in a Pacemaker `default` trial (its crash bound is 6.6 s).'
            % (PROBE_SECONDS, probe_seconds('pacemaker', 'default')) if pacemaker else ''),
        '',
        'Theoretical detection bound (the backup takes over this long after the master\'s last advert):', '']
    for backend in ran:
        for profile in variants(backend):
            lines.append('- %s `%s`: crash %.3f s, graceful stop %.3f s%s' % (
                backend, profile, detection_bound(backend, profile, False), detection_bound(backend, profile, True),
                ' (priority-0 advert: the skew only)' if backend == 'keepalived' else
                ' (token + consensus; a stop moves the resources first)' if backend == 'pacemaker' else
                ' (nobody resigns)' if profile == 'plain' else ' (the unit resigns for ucarp: at once)'))
    lines += ['', 'Graceful bounds apply to the graceful stop and the container stop (systemd stops the daemon); '
              'the crash bound to SIGKILL, link down and host loss. The outage adds what happens after detection: the new '
              'master\'s scripts and announcements, and for ucarp up to one advbase more, as ucarp checks its '
              'timers only when its poll wakes (once per advbase). In the lab a killed daemon\'s VIP stays until '
              'systemd notices the processes are gone (capped at 3 s there, immediate on a real host), so the old '
              'master keeps answering meanwhile: the lab\'s SIGKILL rows are lower than a real host\'s, where '
              'keepalived loses the crash bound and ucarp (which resigns after a crash) about its graceful figure.']
    lines += ['', '| backend | VIP mode | fault | plain outage ms | default outage ms | fast outage ms | '
              'ratio default/plain | ratio fast/plain | ratio fast/default | plain lost | default lost | fast lost | '
              'fast bound ms |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|']
    for backend in ran:
        for mode in MODES:
            vip = 'web' if mode == 'vmac' else 'api'
            for fault, label in shown:
                if backend == 'pacemaker' and fault not in PACEMAKER_FAULTS:
                    continue
                cells = {}
                notes = []
                for profile in VARIANTS:
                    bench = by_key.get((backend, profile))
                    # The anchors' VIPs are both garp: their garp VIP (api) is the reference for both rows.
                    outage, lost, failed = cell(bench, fault, 'api' if profile == 'plain' else vip) \
                        if bench else ([], [], 0)
                    cells[profile] = (outage, lost)
                    if failed:
                        notes.append('%s: %d failed' % (profile, failed))
                bound = detection_bound(backend, 'fast', fault in ('stop', 'container'))
                lines.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |' % (
                    backend, mode, label + (' (%s)' % ', '.join(notes) if notes else ''),
                    fmt_ms(cells['plain'][0]), fmt_ms(cells['default'][0]), fmt_ms(cells['fast'][0]),
                    ratio(cells['default'][0], cells['plain'][0]), ratio(cells['fast'][0], cells['plain'][0]),
                    ratio(cells['fast'][0], cells['default'][0]), fmt_ms(cells['plain'][1]),
                    fmt_ms(cells['default'][1]), fmt_ms(cells['fast'][1]), round(bound * 1000)))
    lines += ['', prober_note(benches)]
    lines += ['', '## Planned maintenance', '',
              'Once per cluster, under the same probe: the whole drain + undrain of the master, and a rolling '
              'restart of both members. Probes lost and the longest outage, vmac VIP / garp VIP.', '',
              '| backend | profile | operation | took s | lost vmac / garp | outage ms vmac / garp |',
              '|---|---|---|---|---|---|']
    for bench in benches:
        for what, probe, took in bench.maintenance:
            lines.append('| %s | %s | %s | %.0f | %d / %d | %d / %d |' % (
                bench.backend, bench.profile, what, took, probe['web']['lost'], probe['api']['lost'],
                probe['web']['outage_ms'], probe['api']['outage_ms']))
    if load:
        lines += ['', '## Soak', '',
                  'After the faults, every cluster idled for the soak while one busy process per CPU kept the host\'s '
                  '%d cores loaded (load average at the end: %s over 1 min, %s over 5 min) and the clients probed '
                  'every VIP every %d ms. A state change in a member\'s journal (keepalived entering MASTER, BACKUP '
                  'or FAULT; ucarp switching state; Pacemaker: a new corosync membership, or a VIP resource started or '
                  'stopped) with no fault is a false failover.'
                  % (os.cpu_count() or 1, load[0], load[1], INTERVAL_MS), '',
                  '| backend | profile | seconds | state changes (node1 / node2) | lost vmac / garp | '
                  'longest outage ms vmac / garp |', '|---|---|---|---|---|---|']
        for bench in benches:
            if bench.soaked:
                secs, changes, probe = bench.soaked
                c = bench.cluster
                lines.append('| %s | %s | %d | %d / %d | %d / %d | %d / %d |' % (
                    bench.backend, bench.profile, secs, changes.get(c.node1, 0), changes.get(c.node2, 0),
                    probe['web']['lost'], probe['api']['lost'], probe['web']['outage_ms'], probe['api']['outage_ms']))
    errors = [(b, e) for b in benches for e in b.errors]
    if errors:
        lines += ['', '## Failed trials', ''] + ['- %s %s: %s' % (b.backend, b.profile, e) for b, e in errors]
    return '\n'.join(lines) + '\n'


def fault_list(text):
    """--faults: the named faults, known and not mixing service_down (its clusters differ) with the others."""
    names = [n.strip() for n in text.split(',') if n.strip()]
    known = [f for f, dummy in FAULTS] + ['service_down']
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise argparse.ArgumentTypeError('unknown fault(s) %s; give some of %s'
                                         % (', '.join(unknown) or '(none)', ', '.join(known)))
    if 'service_down' in names and len(names) > 1:
        raise argparse.ArgumentTypeError('service_down runs on its own (its clusters carry tracked VIPs in the '
                                         'plain anchors\' VRIDs): give --faults service_down alone')
    return names


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--reps', type=int, default=5, help='repetitions per cell (at least 5 for the results file)')
    parser.add_argument('--output', help='the results file (default: bench/results/failover.md; with --faults '
                        'service_down, bench/results/service_down.md)')
    parser.add_argument('--only', choices=BACKENDS, help='one backend only (for development)')
    parser.add_argument('--soak', type=int, default=600, help='seconds of the soak under load (0: none; at most 600)')
    parser.add_argument('--faults', type=fault_list, default=None,
                        help='comma-separated faults to run (%s; default: all of them), or service_down alone'
                        % ', '.join(f for f, dummy in FAULTS))
    parser.add_argument('--profile', choices=PROFILES, default='default',
                        help='with --faults service_down: the profile of its two clusters')
    parser.add_argument('--from-json', help='re-render the results file from a run\'s JSON (no lab)')
    args = parser.parse_args()
    if args.faults == ['service_down']:
        import service_down  # pylint: disable=import-outside-toplevel
        return service_down.main(args)
    args.output = args.output or os.path.join(HERE, 'results', 'failover.md')
    if args.from_json:
        return rerender(args.from_json, args.output)
    if os.geteuid() != 0:
        sys.exit('bench/failover.py drives podman and must run as root')
    start = time.time()
    tmp = tempfile.mkdtemp(prefix='hanet-bench-')
    benches = [Bench(backend, profile, os.path.join(tmp, '%s-%s' % (backend, profile)), args.reps, args.faults)
               for backend in BACKENDS for profile in variants(backend) if not args.only or backend == args.only]
    for bench in benches:
        os.mkdir(bench.cluster.tmp)
    deployed = threading.Barrier(len(benches))
    threads = [threading.Thread(target=bench.run, args=(deployed,)) for bench in benches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        load = soak(benches, args.soak)
    finally:
        for bench in benches:
            bench.cluster.down()
    meta = {'generated': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), 'seconds': int(time.time() - start),
            'load': load, 'reps': args.reps, 'faults': args.faults}
    text = report(benches, args.reps, meta['seconds'], load, meta['generated'], faults=args.faults)
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, 'w') as handle:
        handle.write(text)
    # Every trial's probe results next to the table, for anyone who wants other statistics.
    with open(os.path.splitext(args.output)[0] + '.json', 'w') as handle:
        json.dump({'meta': meta, 'clusters': [
            {'backend': b.backend, 'profile': b.profile, 'errors': b.errors,
             'trials': [{'fault': f, 'probe': p, 'one_holder_after_s': t} for f, p, t in b.trials],
             'maintenance': [{'operation': w, 'probe': p, 'took_s': t} for w, p, t in b.maintenance],
             'soak': dict(zip(('seconds', 'state_changes', 'probe'), b.soaked)) if b.soaked else None}
            for b in benches]}, handle, indent=1, sort_keys=True)
    print(text)
    failed = [e for b in benches for e in b.errors]
    if failed:
        sys.exit('%d trial(s) failed; see %s' % (len(failed), args.output))


class Recorded:
    """One cluster's figures as failover.json keeps them (what report() reads of a Bench)."""

    def __init__(self, data):
        self.backend, self.profile, self.errors = data['backend'], data['profile'], data['errors']
        self.trials = [(t['fault'], t['probe'], t['one_holder_after_s']) for t in data['trials']]
        self.maintenance = [(m['operation'], m['probe'], m['took_s']) for m in data['maintenance']]
        soaked = data.get('soak')
        self.soaked = (soaked['seconds'], soaked['state_changes'], soaked['probe']) if soaked else None
        members = sorted(soaked['state_changes']) if soaked else ['', '']
        self.cluster = type('RecordedCluster', (), {'node1': members[0], 'node2': members[-1]})()


def rerender(path, output):
    """Write the results file again from a run's JSON. A JSON from before meta was kept (a bare list) takes the
    run's time, duration and load from the results file it is written over."""
    with open(path) as handle:
        data = json.load(handle)
    if isinstance(data, list):
        import re
        with open(output) as handle:
            old = handle.read()
        generated, seconds = re.search(r'Generated (.+?) by `make bench` in (\d+) s', old).groups()
        load = re.search(r'load average at the end: ([\d.]+) over 1 min, ([\d.]+) over 5 min', old)
        reps = int(re.search(r'(\d+) repetitions per cell', old).group(1))
        data = {'meta': {'generated': generated, 'seconds': int(seconds), 'load': load.groups() if load else None,
                         'reps': reps}, 'clusters': data}
    meta = data['meta']
    benches = [Recorded(c) for c in data['clusters']]
    text = report(benches, meta['reps'], meta['seconds'], meta['load'], meta['generated'],
                  rendered_from=os.path.basename(path), faults=meta.get('faults'))
    with open(output, 'w') as handle:
        handle.write(text)
    if os.path.realpath(path) != os.path.realpath(os.path.splitext(output)[0] + '.json'):
        with open(os.path.splitext(output)[0] + '.json', 'w') as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
    print(text)


if __name__ == '__main__':
    main()
