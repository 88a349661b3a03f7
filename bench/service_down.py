# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bench's ``service_down`` fault: how long clients lose a service when it dies on the master and its VIPs
follow it (cluster_vips[].track), per backend and check kind, against the detection bound.

Run by ``bench/failover.py --faults service_down`` (``make bench-service-down``), not by the whole bench. Two
clusters side by side in the container lab, keepalived and ucarp, both deployed by playbooks/cluster.yml with the
same profile (``default`` unless --profile says otherwise), on the bench's own addresses and VRIDs (this run's
profile's and the plain anchors', which do not run here). Every member runs the fixture service
``hanet-demo-web.service`` (python3's http.server on port 8080, like the Molecule scenario keepalived_track's
fixture, as the user's haproxy or nginx would be). Each cluster has four VIPs: a ``service:`` unit check and an ``http:`` check
of that service, each on a vmac and on a garp VIP, so that the check kind and the MAC mode do not vary together.
Per trial the service is stopped on the master while the client probes every VIP every 10 ms twice over: the TCP
handshake with the service through the VIP (bench/service_probe.py: what a client of the service loses), and ICMP
echo (playbooks/files/vip_probe.py, as the rest of the bench: answered by whichever kernel holds the address, so it
shows only the VIP's move, not the detection). The members' journals date the steps: the service stopping, the
checker writing the VIP's fault file, the master leaving (keepalived's FAULT; the ucarp follower stopping
ucarp@VIP), the backup's MASTER. Then the service starts again and the bench waits for the master to take every VIP
back. Writes bench/results/service_down.md and every trial's figures to service_down.json.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
import traceback

import failover
import lab_cluster
from ansible_collections.hanet.failover.plugins.module_utils import _health  # noqa: E402  pylint: disable=wrong-import-position

SERVICE = 'hanet-demo-web.service'
PORT = 8080
# The fixture: python3 -m http.server (as the Molecule scenario's) with a listen backlog of 1024 instead of
# socketserver's 5, which the client's 400 connections a second overflow on a loaded host (dropped SYNs: probes
# lost with the service up); real servers listen with hundreds (nginx 511, haproxy somaxconn).
SERVICE_PROGRAM = """import functools, http.server as s
s.ThreadingHTTPServer.request_queue_size = 1024
s.test(HandlerClass=functools.partial(s.SimpleHTTPRequestHandler, directory='/usr/share/doc'),
       ServerClass=s.ThreadingHTTPServer, port=%d, bind='0.0.0.0')
""" % PORT
SERVICE_PROGRAM_PATH = '/usr/local/sbin/hanet-bench-web'
SERVICE_UNIT = """[Unit]
Description=hanet.failover bench fixture: a web server the VIPs follow
[Service]
ExecStart=/usr/bin/python3 %s
[Install]
WantedBy=multi-user.target
""" % SERVICE_PROGRAM_PATH
# The checks: those the Molecule scenario keepalived_track had until stop 32 (every 0.5 s, 2 to fall, 2 to rise; the HTTP GET bounded at
# 0.4 s). Detection: fall x interval after the service dies, at most (the first failing probe comes within one
# interval, the fall-th one interval per probe later).
CHECK = {'interval': 0.5, 'rise': 2, 'fall': 2}
CHECKS = {'service': dict(CHECK, name='unit', service=SERVICE),
          'http': dict(CHECK, name='http', http='http://127.0.0.1:%d/' % PORT, timeout=0.4)}
# The VIPs: (name, check kind, MAC mode).
VIPS = (('unitv', 'service', 'vmac'), ('unitg', 'service', 'garp'), ('httpv', 'http', 'vmac'),
        ('httpg', 'http', 'garp'))
PROBE = os.path.join(failover.HERE, 'service_probe.py')
PROBE_ON_CLIENT = '/usr/local/sbin/hanet-bench-service-probe'
PROBE_OUTPUT = '/tmp/bench-service-probe.json'
# The probes run from 1 s before the stop until 2 s after the backup holds every VIP (they are stopped then), at
# most this long: the failover limit and the lead.
PROBE_SECONDS = failover.FAILOVER_LIMIT + 3
SETTLE_SECONDS = 2
INTERVAL_MS = failover.INTERVAL_MS


def cluster_spec(backend, profile):
    """The profile's bench cluster (bench/failover.py's addresses) with four VIPs: its own two VIP addresses and
    VRIDs and those of the backend's plain anchor, which does not run with this fault."""
    slot = len(failover.VARIANTS) * failover.BACKENDS.index(backend)
    own = failover.cluster_spec(backend, profile, slot + failover.VARIANTS.index(profile))
    anchor = failover.cluster_spec(backend, 'plain', slot + failover.VARIANTS.index('plain'))
    vips = []
    for (name, kind, mode), base in zip(VIPS, own['vips'] + anchor['vips']):
        vip = {'name': name, 'address': base['address'], 'interface': 'eth0', 'vrid': base['vrid'], 'mac_mode': mode,
               'track': [dict(CHECKS[kind])]}
        if backend == 'ucarp':
            vip['auth_pass'] = '%s-%s-pw' % (own['prefix'], name)
        vips.append(vip)
    return {'prefix': own['prefix'], 'ips': own['ips'], 'vips': vips}


def bounds(backend, profile, kind):
    """(bound, the checker's own bound) in seconds from the service's death to the backup's takeover.

    bound = fall x interval (the checker's detection; a dead service fails its probes at once) + the backend's
    handover once the fault file says so. keepalived: the instance enters FAULT and leaves MASTER with a priority-0
    advert (its journal says "sent 0 priority"), so the backup waits its skew only, as after a graceful stop. ucarp:
    the follower stops ucarp@VIP, whose stop resigns (advbase 255): the backup takes over on receipt, 0. The
    checker's own bound (_health.detection_bound) adds one timeout, for a probe that hangs instead of failing."""
    check = _health.resolved_check(CHECKS[kind], kind)
    handover = failover.detection_bound(backend, profile, True)
    return check['fall'] * check['interval'] + handover, _health.detection_bound(check) + handover


class Tracked(lab_cluster.Cluster):
    """lab_cluster.Cluster with the fixture service on its members, installed before the deploy (the cluster
    role's preflight refuses a check of a unit that does not exist)."""

    def up(self):
        lab_cluster.run([lab_cluster.LAB, 'up'] + ['%s=%s@%s' % (host, ip, self.suites[host])
                                                   for host, ip in self.ips.items()])
        for host in self.members:
            for path, text in ((SERVICE_PROGRAM_PATH, SERVICE_PROGRAM), ('/etc/systemd/system/%s' % SERVICE, SERVICE_UNIT)):
                lab_cluster.run(['podman', 'exec', '-i', host, 'sh', '-c', 'cat > %s' % path], input=text)
            self.systemctl(host, 'daemon-reload')
            self.systemctl(host, 'enable', '--now', SERVICE)
        self.write_inventory()
        self.deploy()
        for source, target in ((lab_cluster.PROBE, '/usr/local/sbin/hanet-vip-probe'), (PROBE, PROBE_ON_CLIENT)):
            lab_cluster.run(['podman', 'cp', source, '%s:%s' % (self.client, target)])


def journal(cluster, host, since):
    """The host's journal entries since ``since`` (epoch seconds): [(time, unit, identifier, message)]."""
    out = cluster.exec(host, 'journalctl', '-o', 'json', '--no-pager', '--since', '@%d' % int(since), check=False).stdout
    entries = []
    for line in out.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        message = entry.get('MESSAGE')
        if not isinstance(message, str):
            continue
        entries.append((int(entry['__REALTIME_TIMESTAMP']) / 1e6, entry.get('_SYSTEMD_UNIT', ''),
                        entry.get('SYSLOG_IDENTIFIER', ''), message, entry.get('UNIT', '')))
    return entries


def first(entries, test):
    times = [e[0] for e in entries if test(e)]
    return min(times) if times else None


class ServiceDownBench:
    """One cluster and its service_down trials."""

    def __init__(self, backend, profile, tmp_dir, reps):
        self.backend, self.profile, self.reps = backend, profile, reps
        self.cluster = Tracked(backend, tmp_dir, spec=cluster_spec(backend, profile),
                               name='bench-%s-%s-track' % (backend, profile), settings={'cluster_profile': profile})
        self.trials = []
        self.errors = []

    def log(self, text):
        print('[%s %s service_down] %s' % (self.backend, self.profile, text), flush=True)

    def service_probe_result(self, timeout=60):
        c = self.cluster
        deadline = time.time() + timeout
        while time.time() < deadline:
            proc = c.exec(c.client, 'cat', PROBE_OUTPUT, check=False)
            if proc.returncode == 0 and proc.stdout.strip():
                data = json.loads(proc.stdout)
                return dict((v['name'], data[v['address'].split('/')[0]]) for v in c.vips)
            time.sleep(0.5)
        raise AssertionError('the service probe did not finish')

    def events(self, since):
        """When each step happened (epoch seconds; None where the journal does not say), per VIP."""
        c = self.cluster
        master, backup = journal(c, c.node1, since), journal(c, c.node2, since)
        stop = first(master, lambda e: e[4] == SERVICE and e[3].startswith('Stopping'))
        out = {'service_stopping': stop, 'vips': {}}
        for vip in c.vips:
            name = vip['name']
            steps = {'fault_file': first(master, lambda e, n=name: e[1] == 'hanet-health.service'
                                         and e[3].startswith('%s: fault 1' % n))}
            if self.backend == 'keepalived':
                steps['master_left'] = first(master, lambda e, n=name: '(VI_%s) Entering FAULT STATE' % n in e[3])
                steps['backup_master'] = first(backup, lambda e, n=name: '(VI_%s) Entering MASTER STATE' % n in e[3])
            else:
                steps['master_left'] = first(master, lambda e, n=name: e[2] == 'hanet-ucarp-health'
                                             and e[3].startswith('%s: its service fails; stopping' % n))
                steps['resigned'] = first(master, lambda e, n=name: e[2] == 'hanet-ucarp'
                                          and e[3].startswith('%s resign: resigned' % n))
                steps['backup_master'] = first(backup, lambda e, n=name: e[1] == 'ucarp@%s.service' % n
                                               and 'Switching to state: MASTER' in e[3])
            out['vips'][name] = steps
        return out

    def priority_zero(self, host):
        """keepalived's priority-0 counters on ``host``: {VIP name: [received, sent]} (its statistics: SIGUSR2 writes
        /tmp/keepalived.stats; keepalived 2.2 logs "sent 0 priority" only with detailed logging, -D)."""
        c = self.cluster
        c.exec(host, 'sh', '-c', 'rm -f /tmp/keepalived.stats && '
               'kill -s "$(keepalived --signum=STATS)" "$(cat /run/keepalived.pid)"', check=False)
        text = ''
        for dummy in range(20):
            time.sleep(0.1)
            proc = c.exec(host, 'cat', '/tmp/keepalived.stats', check=False)
            if proc.returncode == 0:
                time.sleep(0.2)  # written instance by instance: read it once it is surely whole
                text = c.exec(host, 'cat', '/tmp/keepalived.stats', check=False).stdout
                break
        counts, instance, section = {}, None, None
        for line in text.splitlines():
            line = line.strip()
            if line.startswith('VRRP Instance: VI_'):
                instance = line.split('VI_', 1)[1]
            elif line.endswith(':'):
                section = line
            elif section == 'Priority Zero:' and instance and line.startswith(('Received:', 'Sent:')):
                counts.setdefault(instance, [0, 0])[0 if line.startswith('Received') else 1] = int(line.split()[1])
        return counts

    def trial(self):
        c = self.cluster
        c.wait(lambda: c.single_holder(c.node1), 30, 'steady state before the fault', stable=2)
        zero = dict((h, self.priority_zero(h)) for h in c.members) if self.backend == 'keepalived' else None
        addresses = [v['address'].split('/')[0] for v in c.vips]
        c.exec(c.client, 'rm', '-f', PROBE_OUTPUT)
        lab_cluster.run(['podman', 'exec', '-d', c.client, 'nice', '-n', '-10', 'python3', PROBE_ON_CLIENT, PROBE_OUTPUT,
                         str(PROBE_SECONDS), str(INTERVAL_MS / 1000.0), str(PORT)] + addresses)
        c.start_probe(PROBE_SECONDS)  # ICMP; waits a second, so both probes run before the fault
        start = time.time()
        c.systemctl(c.node1, 'stop', SERVICE)
        settled = None
        try:
            c.wait(lambda: c.single_holder(c.node2), failover.FAILOVER_LIMIT, 'failover to node2')
            settled = time.time() - start
        finally:
            time.sleep(SETTLE_SECONDS)  # the client's probes see the new holder answer, then both probes end
            c.exec(c.client, 'pkill', '-INT', '-f', 'hanet-(vip|bench-service)-probe', check=False)
            icmp = c.probe_result()
            service = self.service_probe_result()
            events = self.events(start - 2)
            if zero is not None:
                # What each member's counters rose by during the trial: [received, sent] per VIP.
                after = dict((h, self.priority_zero(h)) for h in c.members)
                events['priority_zero'] = dict(
                    (role, dict((n, [a - b for a, b in zip(after[h].get(n, [0, 0]), zero[h].get(n, [0, 0]))])
                                for n in after[h]))
                    for role, h in (('master', c.node1), ('backup', c.node2)))
            self.trials.append({'icmp': icmp, 'service': service, 'one_holder_after_s': settled, 'stop_sent': start,
                                'events': events})
            c.systemctl(c.node1, 'start', SERVICE)
            c.wait(lambda: c.single_holder(c.node1), 60, 'failback to node1', stable=2)

    def run(self):
        try:
            self.log('lab and deploy')
            self.cluster.up()
            for rep in range(self.reps):
                self.log('rep %d/%d: service_down' % (rep + 1, self.reps))
                try:
                    self.trial()
                except AssertionError as exc:
                    self.errors.append('service_down, rep %d: %s' % (rep + 1, exc))
                    self.log('FAILED: %s' % exc)
        except Exception as exc:  # pylint: disable=broad-except
            self.errors.append('aborted: %s' % exc)
            self.log('ABORTED: %s' % traceback.format_exc())

    def as_json(self):
        return {'backend': self.backend, 'profile': self.profile, 'errors': self.errors, 'trials': self.trials,
                'vips': [dict(v) for v in self.cluster.vips]}


# -- the machine's load during the run ---------------------------------------------------------------------------
class LoadWatch:
    """The 1-minute load average every 15 s, and the containers running that are not this run's."""

    def __init__(self, ours):
        self.ours, self.samples, self.others = set(ours), [], set()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.loop)
        self.thread.daemon = True

    def loop(self):
        while not self.done.is_set():
            with open('/proc/loadavg') as handle:
                self.samples.append(float(handle.read().split()[0]))
            names = subprocess.run(['podman', 'ps', '--format', '{{.Names}}'], stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, universal_newlines=True, check=False).stdout.split()
            self.others.update(n for n in names if n not in self.ours)
            self.done.wait(15)

    def summary(self):
        return {'load_1min_min': min(self.samples) if self.samples else None,
                'load_1min_median': statistics.median(self.samples) if self.samples else None,
                'load_1min_max': max(self.samples) if self.samples else None,
                'samples': len(self.samples), 'other_containers': sorted(self.others)}


# -- the results file ---------------------------------------------------------------------------------------------
def delays(bench, name, step):
    """ms from the service stopping to ``step`` of VIP ``name``, over the trials where the journal dated both."""
    out = []
    for trial in bench['trials']:
        events = trial['events']
        at = events['vips'].get(name, {}).get(step)
        if at is not None and events['service_stopping'] is not None:
            out.append((at - events['service_stopping']) * 1000)
    return out


def median_ms(values):
    return '-' if not values else '%d' % round(statistics.median(values))


def report(data, rendered_from=None):
    meta, benches = data['meta'], data['clusters']
    profile = meta['profile']
    load = meta['load']
    lines = [
        '# Failover benchmark: the service dies on the master (service_down)', '',
        '<!-- Written by bench/failover.py --faults service_down (make bench-service-down). Do not edit; rerun it. '
        '-->', '']
    if rendered_from:
        lines += ['Re-rendered by `bench/failover.py --faults service_down --from-json` from %s, the figures of the '
                  'run below unchanged.' % rendered_from, '']
    lines += [
        'Generated %s by `bench/failover.py --faults service_down --reps %d` (`make bench-service-down`) in %d s: '
        'only this fault, not the whole bench (bench/results/failover.md). Two clusters side by side in the container '
        'lab, keepalived and ucarp, each deployed by this collection with the `%s` profile, two members (priorities '
        '%d and %d) and a client. Every member runs the fixture service `%s` (python3\'s http.server on port %d, as '
        'in the Molecule scenario keepalived_track, but listening with a backlog of 1024 instead of 5, which the '
        'client\'s 400 connections a second overflowed on the loaded host). Each cluster has four VIPs that follow it: a `service:` unit check and '
        'an `http:` check (GET http://127.0.0.1:%d/, timeout 0.4 s), each on a vmac and on a garp VIP; every check '
        'probes every %s s, %d failures to fall, %d successes to rise. Per trial the service is stopped on the master '
        '(`systemctl stop`) while the client probes every VIP every %d ms twice over, from 1 s before the stop until %d s '
        'after the backup holds every VIP: **service** probes, a TCP '
        'handshake with port %d through the VIP (bench/service_probe.py; a refusal, or no answer within 0.5 s, is a '
        'lost probe), which is what a client of the service loses; and **ICMP** echo, as the rest of the bench, '
        'which the kernel of whoever holds the address answers, so it sees the VIP move but not the detection before '
        'it. Lost x %d ms is the outage as the probes sampled it; the gap (the longest time between two answered '
        'probes, less one interval) is an upper bound that also holds any time the prober could not send (see its '
        'stalls below). %d trials per cluster; cells show median / max.'
        % (meta['generated'], meta['reps'], meta['seconds'], profile, failover.PRIORITIES[0],
           failover.PRIORITIES[1], SERVICE, PORT, PORT, CHECK['interval'], CHECK['fall'], CHECK['rise'], INTERVAL_MS,
           SETTLE_SECONDS, PORT, INTERVAL_MS, meta['reps']), '',
        'To run only this fault: `make bench-service-down` (10 trials), or as root from the repository '
        '`.venv/bin/python bench/failover.py --faults service_down [--reps N] [--profile default|fast] [--only '
        'keepalived|ucarp]`; `bench/failover.py --faults service_down --from-json bench/results/service_down.json` '
        're-renders this file from the recorded trials (no lab). The whole bench (`make bench`) does not run it.',
        '']
    if load:
        others = load.get('other_containers') or []
        lines += [
            'Machine load during the run (2 cores): the 1-minute load average was %.1f (median of %d samples, every '
            '15 s; %.1f to %.1f).%s' % (
                load['load_1min_median'], load['samples'], load['load_1min_min'], load['load_1min_max'],
                (' Other containers ran on the machine meanwhile (%d: %s), another engineer\'s tests: the figures '
                 'below were measured beside them.' % (len(others), ', '.join(others[:12]) + (', ...' if len(others) > 12 else '')))
                if others else ' No other lab containers ran meanwhile.'), '']
    lines += [
        'Bound: the service dies, the checker sees its fall-th failing probe at most fall x interval later (%s s: a '
        'stopped service fails each probe at once, refused or inactive), then the backend hands over. keepalived: the '
        'fault file puts the instance in FAULT, and a master leaving for FAULT sends priority-0 adverts (keepalived '
        '2.2.7, vrrp_track.c down_instance -> vrrp.c vrrp_state_leave_master: one on entering FAULT and one as it '
        'releases the addresses; the backup\'s counter below shows them arrive), so the backup\'s master-down timer '
        '(3 adverts + skew) does not run: it waits its skew only, as after a graceful stop (%.3f s with the ranked '
        'priority 253 and advert_int %s s). ucarp: the follower (hanet-ucarp-health@VIP, a path unit on the fault file) stops '
        'ucarp@VIP, whose stop sends the resignation (advbase 255): the backup takes over on receipt, 0 s (the '
        'collection\'s model, as for a graceful stop in failover.md). What that 0 leaves out, and the second table '
        'dates: the follower is a chain of process starts (the path unit, its oneshot, `systemctl stop`, the '
        'ExecStop `ucarp-vip resign`, a shell script that runs python3 carp-resign), here for four VIPs at once; the '
        'backup\'s ucarp reads its capture through libpcap opened with a 1 s read timeout (ucarp\'s carp.c: '
        'pcap_open_live(..., CAPTURE_TIMEOUT 1000), no immediate mode), so it may act on the resignation up to about '
        '1 s after it arrived; and after MASTER its up script adds the address and announces it before the service '
        'answers through it. The '
        'checker\'s own bound (`_health.detection_bound`: fall x interval + timeout, for a probe that hangs rather '
        'than fails) is given beside it. **ratio** = median service outage / bound.'
        % (CHECK['fall'] * CHECK['interval'], failover.detection_bound('keepalived', profile, True),
           failover.model.PROFILES[profile]['advert_int']), '',
        '| backend | check | VIP mode | service outage ms | service lost | bound ms | ratio outage/bound | checker\'s '
        'bound ms | ICMP gap ms | ICMP lost | failed |', '|---|---|---|---|---|---|---|---|---|---|---|']
    for bench in benches:
        for name, kind, mode in VIPS:
            ok = [t for t in bench['trials'] if t['one_holder_after_s'] is not None]
            outage = [t['service'][name]['outage_ms'] for t in ok]
            bound, own = bounds(bench['backend'], bench['profile'], kind)
            lines.append('| %s | `%s:` | %s | %s | %s | %d | %s | %d | %s | %s | %d |' % (
                bench['backend'], kind, mode, failover.fmt_ms(outage),
                failover.fmt_ms([t['service'][name]['lost'] for t in ok]), round(bound * 1000),
                '%.2f' % (statistics.median(outage) / 1000.0 / bound) if outage else '-', round(own * 1000),
                failover.fmt_ms([t['icmp'][name]['outage_ms'] for t in ok]),
                failover.fmt_ms([t['icmp'][name]['lost'] for t in ok]), len(bench['trials']) - len(ok)))
    lines += [
        '', 'Where the time goes, from the members\' journals (ms after systemd logged the service stopping; median '
        'over the trials): **detected** = the checker wrote the VIP\'s fault file; **master left** = keepalived '
        'entered FAULT (ucarp: the follower began to stop ucarp@VIP); **handover sent** = ucarp: ucarp-vip logged the '
        'resignation sent (ExecStop of ucarp@VIP); keepalived: the trials in which the backup\'s priority-0 counter '
        'rose for that VIP (its statistics, read before and after each trial) / all trials, and the median count '
        'received; **backup MASTER** = the backup entered MASTER. The journal stamps a line when it receives it (a '
        'few ms late on a loaded host).', '',
        '| backend | VIP | detected | master left | handover sent | backup MASTER | service outage ms (median) |',
        '|---|---|---|---|---|---|---|']
    for bench in benches:
        for name, kind, mode in VIPS:
            if bench['backend'] == 'keepalived':
                zeros = [t['events']['priority_zero']['backup'].get(name, [0, 0])[0] for t in bench['trials']
                         if 'priority_zero' in t['events']]
                sent = 'priority 0 received in %d / %d (median %s)' % (
                    len([z for z in zeros if z > 0]), len(zeros), ('%g' % statistics.median(zeros)) if zeros else '-')
            else:
                sent = '%s (resigned)' % median_ms(delays(bench, name, 'resigned'))
            lines.append('| %s | %s (`%s:`, %s) | %s | %s | %s | %s | %s |' % (
                bench['backend'], name, kind, mode, median_ms(delays(bench, name, 'fault_file')),
                median_ms(delays(bench, name, 'master_left')), sent, median_ms(delays(bench, name, 'backup_master')),
                median_ms([t['service'][name]['outage_ms'] for t in bench['trials']
                           if t['one_holder_after_s'] is not None])))
    lines += ['', prober_note(benches)]
    errors = [(b, e) for b in benches for e in b['errors']]
    if errors:
        lines += ['', '## Failed trials', ''] + ['- %s %s: %s' % (b['backend'], b['profile'], e) for b, e in errors]
    return '\n'.join(lines) + '\n'


def prober_note(benches):
    late, worst = [], 0
    for bench in benches:
        for number, trial in enumerate(bench['trials']):
            stall = max(p.get('stall_ms', 0) for kind in ('icmp', 'service') for p in trial[kind].values())
            worst = max(worst, stall)
            if stall > 3 * INTERVAL_MS:
                late.append('%s trial %d: %d ms' % (bench['backend'], number + 1, stall))
    text = ('Both probers run at nice -10 on the client and report how late they sent a probe when the host left them '
            'without CPU (they skip the slots they missed). Longest stall in any trial: %d ms.' % worst)
    if late:
        text += (' Trials where a prober was late by more than %d ms (their gap may include the stall): %s.'
                 % (3 * INTERVAL_MS, '; '.join(late)))
    return text


def write(data, output, rendered_from=None):
    text = report(data, rendered_from)
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, 'w') as handle:
        handle.write(text)
    print(text)
    return text


def main(args):
    """bench/failover.py --faults service_down: args has reps, output (None: bench/results/service_down.md),
    profile and from_json."""
    output = args.output or os.path.join(failover.HERE, 'results', 'service_down.md')
    json_path = os.path.splitext(output)[0] + '.json'
    if args.from_json:
        with open(args.from_json) as handle:
            data = json.load(handle)
        write(data, output, rendered_from=os.path.basename(args.from_json))
        if os.path.realpath(args.from_json) != os.path.realpath(json_path):
            with open(json_path, 'w') as handle:
                json.dump(data, handle, indent=1, sort_keys=True)
        return
    if os.geteuid() != 0:
        raise SystemExit('bench/failover.py drives podman and must run as root')
    start = time.time()
    tmp = tempfile.mkdtemp(prefix='hanet-bench-service-down-')
    benches = [ServiceDownBench(backend, args.profile, os.path.join(tmp, backend), args.reps)
               for backend in failover.ANCHORED if not args.only or backend == args.only]
    ours = [h for b in benches for h in b.cluster.ips]
    watch = LoadWatch(ours)
    watch.thread.start()
    for bench in benches:
        os.mkdir(bench.cluster.tmp)
    threads = [threading.Thread(target=bench.run) for bench in benches]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        watch.done.set()
        for bench in benches:
            bench.cluster.down()
    data = {'meta': {'generated': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()),
                     'seconds': int(time.time() - start), 'reps': args.reps, 'profile': args.profile,
                     'load': watch.summary(), 'fault': 'service_down'},
            'clusters': [b.as_json() for b in benches]}
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(json_path, 'w') as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
    write(data, output)
    failed = [e for b in benches for e in b.errors]
    if failed:
        raise SystemExit('%d trial(s) failed; see %s' % (len(failed), output))
