# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: the cost of managing N macvlan interfaces and N VIPs on one host, N = 10, 100, 500.

Everything happens in network namespaces of its own (a veth pair inside is the macvlans' parent; nothing is
sent anywhere). For each N the same end state is reached three ways, side by side at the same time, each in a
fresh namespace of its own and each run twice (the first run creates, the second must change nothing):

(a) ``hanet.failover.macvlan`` + ``hanet.failover.vip``, looped by Ansible over N items;
(b) the same two modules called once each with the whole list (their ``interfaces`` and ``addresses`` options);
(c) the naive playbook users write today: ``ansible.builtin.command: ip link add ... up`` and ``ip addr add``
    loops, made re-runnable with ``failed_when``/``changed_when`` on the "already there" errors.

Also measured, side by side in one process: reading one link's addresses through the collection's netlink layer
(plugins/module_utils/_netlink.py: a strict socket, the kernel filters the dump by link) against a plain dump of
every address filtered in Python (what the layer did before), with N macvlans each holding an address.

Writes bench/results/modules.md. Usage: bench/modules.py [--sizes 10,100,500] [--output FILE] (as root)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import os
import re
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, 'tests', 'faults'))

import lab_cluster  # noqa: E402  pylint: disable=wrong-import-position

VENV_BIN = os.path.dirname(sys.executable)
NETNS = 'hanet-bench-%s'  # % approach
PARENT = 'bench0'
# The target hosts' interpreter: Debian 12's python3 with python3-pyroute2 (0.7).
TARGET_PYTHON = '/usr/bin/python3'
READS = 200
APPROACHES = ('a', 'b', 'c')

PLAYBOOKS = {
    'a': '''---
- name: "(a) hanet.failover modules looped by Ansible"
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Macvlan interfaces
      hanet.failover.macvlan:
        name: "bm{{ item }}"
        parent: %(parent)s
        mode: private
      loop: "{{ range(%(n)d) | list }}"
    - name: VIPs
      hanet.failover.vip:
        address: "{{ addresses[item] }}/32"
        interface: "bm{{ item }}"
        announce: never
      loop: "{{ range(%(n)d) | list }}"
''',
    'b': '''---
- name: "(b) hanet.failover modules, one call each with the whole list"
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Macvlan interfaces
      hanet.failover.macvlan:
        parent: %(parent)s
        mode: private
        interfaces: "{{ macvlans }}"
      register: links
    - name: VIPs
      hanet.failover.vip:
        announce: never
        addresses: "{{ vips }}"
      register: vip_result
    - name: Count the entries changed
      ansible.builtin.debug:
        msg: "entries changed: {{ (links.interfaces + vip_result.addresses) | selectattr('changed') | list | length }}"
''',
    'c': '''---
- name: "(c) ip commands looped by Ansible"
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Macvlan interfaces
      ansible.builtin.command: "ip link add bm{{ item }} link %(parent)s up type macvlan mode private"
      register: result
      changed_when: result.rc == 0
      failed_when: result.rc != 0 and 'File exists' not in result.stderr
      loop: "{{ range(%(n)d) | list }}"
    - name: VIPs
      ansible.builtin.command: "ip addr add {{ addresses[item] }}/32 dev bm{{ item }}"
      register: result
      changed_when: result.rc == 0
      failed_when: result.rc != 0 and 'already assigned' not in result.stderr
      loop: "{{ range(%(n)d) | list }}"
''',
}

READ_SCRIPT = r'''
import sys, time
import pyroute2
sys.path.insert(0, sys.argv[1])
sys.path.append(sys.argv[3])  # ansible's module_utils, after the interpreter's own pyroute2
from ansible_collections.hanet.failover.plugins.module_utils import _netlink
from pyroute2 import IPRoute
reads, names = int(sys.argv[2]), sys.argv[4:]
with _netlink.iproute() as ipr:
    indexes = [_netlink.get_link(ipr, name=name)['index'] for name in names]
    start = time.time()
    for i in range(reads):
        assert len([r for r in _netlink.list_addresses(ipr, indexes[i % len(indexes)]) if r['family'] == 4]) == 1
    strict = (time.time() - start) / reads
with IPRoute() as ipr:
    start = time.time()
    for i in range(reads):
        index = indexes[i % len(indexes)]
        assert len([m for m in ipr.get_addr() if m['index'] == index and m['family'] == 2]) == 1
    plain = (time.time() - start) / reads
print('%s %f %f' % (getattr(pyroute2, '__version__', '?'), strict, plain))
'''


def sh(*args, **kwargs):
    return lab_cluster.run(list(args), **kwargs)


def addresses(n):
    """N documentation addresses: 198.51.100.1-250, then 203.0.113.1-250."""
    if n > 500:
        raise ValueError('at most 500 addresses')
    return ['198.51.100.%d' % (i + 1) if i < 250 else '203.0.113.%d' % (i - 249) for i in range(n)]


def remove_namespace(netns):
    if os.path.exists('/run/netns/' + netns):
        sh('ip', 'netns', 'del', netns)


def fresh_namespace(netns):
    remove_namespace(netns)
    sh('ip', 'netns', 'add', netns)
    sh('ip', '-n', netns, 'link', 'set', 'lo', 'up')
    sh('ip', '-n', netns, 'link', 'add', PARENT, 'type', 'veth', 'peer', 'name', PARENT + 'p')
    for dev in (PARENT, PARENT + 'p'):
        sh('ip', '-n', netns, 'link', 'set', dev, 'up')


def count_links(netns):
    out = sh('ip', '-n', netns, '-o', 'link', 'show').stdout
    return len([line for line in out.splitlines() if ' bm' in line])


def count_addresses(netns):
    out = sh('ip', '-n', netns, '-o', '-4', 'addr', 'show').stdout
    return len([line for line in out.splitlines() if ' bm' in line])


def play(tmp, approach, n):
    """Run one approach's playbook in the namespace; (seconds, changed count)."""
    path = os.path.join(tmp, '%s-%d.yml' % (approach, n))
    with open(path, 'w') as handle:
        handle.write(PLAYBOOKS[approach] % {'parent': PARENT, 'n': n})
    # One file per approach: (a) and (c) run at the same time.
    extra = os.path.join(tmp, '%s-addresses-%d.json' % (approach, n))
    with open(extra, 'w') as handle:
        json.dump({'addresses': addresses(n), 'macvlans': [{'name': 'bm%d' % i} for i in range(n)],
                   'vips': [{'address': '%s/32' % address, 'interface': 'bm%d' % i}
                            for i, address in enumerate(addresses(n))]}, handle)
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ.get('PATH', ''), ANSIBLE_NOCOLOR='1',
               ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, '.build', 'collections'), ANSIBLE_PIPELINING='true',
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
    start = time.time()
    proc = sh('ip', 'netns', 'exec', NETNS % approach, os.path.join(VENV_BIN, 'ansible-playbook'),
              '-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=%s' % TARGET_PYTHON,
              '-e', '@' + extra, path, env=env, check=False)
    seconds = time.time() - start
    if proc.returncode:
        raise RuntimeError('(%s) N=%d failed: %s%s' % (approach, n, proc.stdout[-3000:], proc.stderr[-1500:]))
    # Loop items or list entries, not tasks: the recap counts a task once however many of its items changed.
    if approach == 'b':
        changed = int(re.search(r'"entries changed: (\d+)"', proc.stdout).group(1))
    else:
        changed = len(re.findall(r'^changed: \[localhost\] => \(item=', proc.stdout, re.M))
    return seconds, changed


def reads(n):
    """Per pyroute2 generation (Debian's python3, the venv's): (interpreter, seconds per read of one link's
    addresses on a strict socket, the same with a plain dump), N macvlans with one address each."""
    names = ['bm%d' % i for i in range(0, n, max(1, n // 10))]
    site = [p for p in sys.path if p.endswith('site-packages')][-1]
    result = []
    for label, python in (('Debian python3-pyroute2', TARGET_PYTHON), ('PyPI pyroute2', sys.executable)):
        proc = sh('ip', 'netns', 'exec', NETNS % 'a', python, '-c', READ_SCRIPT,
                  os.path.join(REPO, '.build', 'collections'), str(READS), site, *names)
        version, strict, plain = proc.stdout.split()
        if version in ('?', 'unknown'):
            version = sh(python, '-c', 'import importlib.metadata as m; print(m.version("pyroute2"))',
                         check=False).stdout.strip() or '?'
        result.append(('%s %s' % (label, version), float(strict), float(plain)))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--sizes', default='10,100,500')
    parser.add_argument('--output', default=os.path.join(HERE, 'results', 'modules.md'))
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit('bench/modules.py creates a network namespace and must run as root')
    sizes = [int(x) for x in args.sizes.split(',')]
    tmp = tempfile.mkdtemp(prefix='hanet-bench-modules-')
    rows, read_rows = [], []
    began = time.time()
    try:
        for n in sizes:
            results, errors = {}, []
            threads = [threading.Thread(target=measure, args=(tmp, approach, n, results, errors))
                       for approach in APPROACHES]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            if errors:
                raise RuntimeError('; '.join(errors))
            read_rows.append((n, reads(n)))
            rows.append((n, results))
    finally:
        for approach in APPROACHES:
            remove_namespace(NETNS % approach)
    write(args.output, rows, read_rows, time.time() - began)


def measure(tmp, approach, n, results, errors):
    """Both runs of one approach in a fresh namespace; the end state is checked after the first."""
    netns = NETNS % approach
    try:
        fresh_namespace(netns)
        first = play(tmp, approach, n)
        if (count_links(netns), count_addresses(netns)) != (n, n):
            raise RuntimeError('(%s) N=%d: %d links, %d addresses after the first run'
                               % (approach, n, count_links(netns), count_addresses(netns)))
        second = play(tmp, approach, n)
        results[approach] = (first, second)
        print('N=%d (%s): first %.1f s changed %d, second %.1f s changed %d'
              % (n, approach, first[0], first[1], second[0], second[1]), flush=True)
    except Exception as exc:  # pylint: disable=broad-except
        errors.append(str(exc))


def write(output, rows, read_rows, seconds):
    lines = ['# Module benchmark', '',
             '<!-- Written by bench/modules.py (make bench). Do not edit; rerun the bench. -->', '',
             'Generated %s by `make bench` in %d s, on this machine (%d CPUs). N macvlan interfaces and N IPv4 VIPs '
             'in one network namespace; (a), (b) and (c) side by side at the same time, each in a fresh namespace of '
             'its own, each run twice (the first run creates everything, the second must change nothing); '
             'ansible-playbook with the local connection, modules on Debian 12\'s python3 (pyroute2 0.7). Wall time '
             'of the whole playbook run; **changed** counts the loop items (a, c) or list entries (b) reported '
             'changed; the ratios are each approach\'s time over the list mode\'s (b).'
             % (time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), seconds, os.cpu_count()), '',
             '- (a) `hanet.failover.macvlan` + `hanet.failover.vip` looped over N items (2 tasks)',
             '- (b) `hanet.failover.macvlan` with `interfaces` + `hanet.failover.vip` with `addresses`: the N items '
             'in one call each (2 tasks, and a debug task counting the entries changed)',
             '- (c) `ansible.builtin.command`: `ip link add ... up type macvlan` and `ip addr add` looped over N items '
             '(2 tasks, re-runnable through `failed_when`/`changed_when` on the "already there" errors)', '']
    for run, title in ((0, 'First run (creates everything)'), (1, 'Second run (changes nothing)')):
        lines += ['## %s' % title, '',
                  '| N | (a) looped s | (b) list s | (c) ip loop s | changed a / b / c | a/b | c/b |',
                  '|---|---|---|---|---|---|---|']
        for n, res in rows:
            (a_s, a_c), (b_s, b_c), (c_s, c_c) = res['a'][run], res['b'][run], res['c'][run]
            lines.append('| %d | %.1f | %.1f | %.1f | %d / %d / %d | %.1f | %.1f |'
                         % (n, a_s, b_s, c_s, a_c, b_c, c_c, a_s / b_s, c_s / b_s))
        lines.append('')
    lines += ['The list mode reads the kernel once per call (one link dump, one address dump) and sends one request '
              'per change, so its time grows with N, not N squared: compare its times at the three sizes.']
    lines += ['', '## One link\'s addresses: strict socket against a plain dump', '',
              'With N macvlans holding one address each, the time to read one link\'s addresses (the vip and macvlan '
              'modules do this for their link), averaged over %d reads in one process, side by side. The collection '
              'asks the kernel to filter the dump by link (a strict netlink socket); before this benchmark it dumped '
              'every address in the namespace and filtered in Python, so each module call cost O(N) and a loop '
              'over N items O(N^2).' % READS, '',
              '| N | library | strict socket ms | plain dump ms | ratio plain/strict |', '|---|---|---|---|---|']
    for n, measured in read_rows:
        for library, strict, plain in measured:
            lines.append('| %d | %s | %.3f | %.3f | %.0f |' % (n, library, strict * 1000, plain * 1000, plain / strict))
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with open(output, 'w') as handle:
        handle.write('\n'.join(lines) + '\n')
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
