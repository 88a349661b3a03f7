# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: one inventory, many clusters (issue 18 part 3), deployed by one playbooks/cluster.yml run.

K clusters of two members each (cluster_group per cluster, its own cluster_name, VRID and VIP), on a lab network of
their own (internal, 203.0.113.128/25, HANET_LAB_NETWORK=hanet-fleet, removed at the end): members fl01-node1/2 ... at
203.0.113.140+, the VIPs at 203.0.113.200+. (Not all of 203.0.113.0/24: the CI machines resolve their package
registries to 203.0.113.80, and a lab network's route on the host would take that address; scripts/lab refuses it.)
Every member starts bare. The first converge of all clusters runs once (forks as given); then idempotent converges
of the first k clusters (--limit their groups) for each k and forks, repeated, each reporting changed=0 (the bench
fails otherwise), and all k clusters as two runs at once of half the clusters each. After the first converge and at
the end, each VIP must be held by its cluster's first member only. Then a fleet with two clusters sharing a VRID on
the segment must be refused before anything changes.

Writes bench/results/fleet.md. Usage: bench/fleet.py [--clusters 10] [--sizes 1,5,10] [--forks 5,20] [--reps 3]
(as root).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import concurrent.futures
import json
import os
import statistics
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, 'tests', 'faults'))

import lab_cluster  # noqa: E402  pylint: disable=wrong-import-position

VENV_BIN = os.path.dirname(sys.executable)
LAB = os.path.join(REPO, 'scripts', 'lab')
NETWORK_ENV = {'HANET_LAB_NETWORK': 'hanet-fleet', 'HANET_LAB_SUBNET': '203.0.113.128/25'}


def cluster_names(count):
    return ['fl%02d' % (i + 1) for i in range(count)]


def members(name):
    return ['%s-node1' % name, '%s-node2' % name]


def address(index, member):
    return '203.0.113.%d' % (140 + 2 * index + member)


def inventory(count, collide=False):
    groups = {}
    for index, name in enumerate(cluster_names(count)):
        vrid = 100 + index if not (collide and index == 1) else 100
        hosts = dict((host, {'ansible_host': address(index, n), 'cluster_priority': 150 - 50 * n})
                     for n, host in enumerate(members(name)))
        groups[name] = {'hosts': hosts, 'vars': {
            'cluster_group': name, 'cluster_name': name,
            'cluster_vips': [{'name': 'web', 'address': '203.0.113.%d/25' % (200 + index), 'interface': 'eth0',
                              'vrid': vrid, 'mac_mode': 'vmac' if index % 2 else 'garp'}]}}
    return {'all': {'vars': dict(lab_cluster.lab_ssh_vars(), ansible_python_interpreter='/usr/bin/python3'),
                    'children': {'failover_members': {'children': groups}}}}


def lab(*args):
    return lab_cluster.run([LAB] + list(args), env=dict(os.environ, **NETWORK_ENV))


def converge(path, forks, limit=None, check=True):
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ.get('PATH', ''), ANSIBLE_NOCOLOR='1',
               ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, '.build', 'collections'), ANSIBLE_PIPELINING='true',
               ANSIBLE_FORKS=str(forks))
    cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', path, os.path.join(REPO, 'playbooks', 'cluster.yml')]
    if limit:
        cmd += ['--limit', ','.join(limit)]
    start = time.time()
    proc = lab_cluster.run(cmd, env=env, check=check)
    return time.time() - start, proc


def changed(proc):
    return sum(int(part.split('=')[1]) for line in proc.stdout.splitlines() if ' changed=' in line
               for part in line.split() if part.startswith('changed='))


def holders(count):
    """{cluster: [members holding its VIP]}."""
    result = {}
    for index, name in enumerate(cluster_names(count)):
        vip = '203.0.113.%d' % (200 + index)
        result[name] = [host for host in members(name)
                        if vip in lab_cluster.run(['podman', 'exec', host, 'ip', '-o', 'addr', 'show']).stdout]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--clusters', type=int, default=10, help='at most 30 (the addresses of 203.0.113.128/25)')
    parser.add_argument('--sizes', default='1,5,10')
    parser.add_argument('--forks', default='5,20')
    parser.add_argument('--reps', type=int, default=3)
    parser.add_argument('--output', default=os.path.join(HERE, 'results', 'fleet.md'))
    args = parser.parse_args()
    count = args.clusters
    if not 1 <= count <= 30:
        parser.error('--clusters: give 1 to 30 (the members and VIPs must fit in 203.0.113.128/25)')
    sizes = [int(x) for x in args.sizes.split(',')]
    forks = [int(x) for x in args.forks.split(',')]
    tmp = tempfile.mkdtemp(prefix='hanet-bench-fleet-')
    path = os.path.join(tmp, 'inventory.yml')
    hosts = [host for name in cluster_names(count) for host in members(name)]
    results = {}
    try:
        lab('up', *['%s=%s@bookworm' % (host, address(i // 2, i % 2)) for i, host in enumerate(hosts)])
        with open(path, 'w') as handle:
            yaml.safe_dump(inventory(count), handle)
        first, proc = converge(path, max(forks))
        results['first'] = first
        expected = dict((name, [members(name)[0]]) for name in cluster_names(count))
        settle = time.time() + 60
        while holders(count) != expected and time.time() < settle:
            time.sleep(2)
        if holders(count) != expected:
            raise RuntimeError('after the first converge: %s' % holders(count))
        for size in sizes:
            for fork in forks:
                times = []
                for dummy in range(args.reps):
                    seconds, proc = converge(path, fork, limit=cluster_names(size))
                    if changed(proc):
                        raise RuntimeError('k=%d forks=%d: an idempotent converge changed %d'
                                           % (size, fork, changed(proc)))
                    times.append(seconds)
                results[(size, fork)] = times
                print('k=%d forks=%d: %s' % (size, fork, ', '.join('%.1f' % t for t in times)), flush=True)
        # Whole clusters in two ansible-playbook runs at once (as two job templates, or a workflow's two nodes,
        # each limited to its own clusters' groups would), at the smaller forks each.
        largest = max(sizes)
        halves = [cluster_names(largest)[:largest // 2], cluster_names(largest)[largest // 2:]]
        times = []
        for dummy in range(args.reps):
            start = time.time()
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                procs = list(pool.map(lambda half: converge(path, min(forks), limit=half)[1], halves))
            times.append(time.time() - start)
            if any(changed(proc) for proc in procs):
                raise RuntimeError('two runs of half the clusters each: an idempotent converge changed something')
        results['split'] = (largest, min(forks), times)
        print('k=%d as two runs at forks=%d: %s' % (largest, min(forks), ', '.join('%.1f' % t for t in times)),
              flush=True)
        if holders(count) != expected:
            raise RuntimeError('at the end: %s' % holders(count))
        colliding = os.path.join(tmp, 'colliding.yml')
        with open(colliding, 'w') as handle:
            yaml.safe_dump(inventory(count, collide=True), handle)
        seconds, proc = converge(colliding, max(forks), limit=cluster_names(2), check=False)
        if (proc.returncode == 0 or changed(proc)
                or 'clusters that share a segment need VRIDs of their own' not in proc.stdout):
            raise RuntimeError('a VRID shared by two clusters was not refused: %s' % proc.stdout[-2000:])
        results['refused'] = seconds
    finally:
        lab_cluster.run([LAB, 'down'] + hosts, check=False, env=dict(os.environ, **NETWORK_ENV))
        lab_cluster.run(['podman', 'network', 'rm', '--force', NETWORK_ENV['HANET_LAB_NETWORK']], check=False)
    write(args.output, count, results, args.reps)


def write(output, count, results, reps):
    lines = ['# Fleet benchmark', '', '<!-- Written by bench/fleet.py. Do not edit; rerun the bench. -->', '',
             'Generated %s on this machine (%d CPUs): %d two-member keepalived clusters in one inventory, first '
             'converge of all in %.1f s. Idempotent converges of the first k clusters (--limit their groups), %d runs '
             'each.' % (time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), os.cpu_count(), count, results['first'],
                        reps), '',
             '| clusters | forks | idempotent converge s (median, min-max) |', '|---|---|---|']
    for key, times in sorted((k, v) for k, v in results.items() if isinstance(k, tuple)):
        lines.append('| %d | %d | %.1f (%.1f-%.1f) |' % (key[0], key[1], statistics.median(times), min(times),
                                                         max(times)))
    size, fork, times = results['split']
    lines += ['', 'The same %d clusters as two ansible-playbook runs at once, half the clusters each (--limit their '
              'groups), forks %d each: %.1f s (%.1f-%.1f).'
              % (size, fork, statistics.median(times), min(times), max(times))]
    lines += ['', 'A fleet whose two clusters share a VRID on the segment was refused in %.1f s, nothing changed.'
              % results['refused']]
    with open(output, 'w') as handle:
        handle.write('\n'.join(lines) + '\n')
    print(json.dumps(dict((str(k), v) for k, v in results.items())))


if __name__ == '__main__':
    main()
