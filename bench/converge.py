# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: a converge of a two-member keepalived cluster by this collection against the anchor role.

Issue 18 part 2: an idempotent converge of a two-member cluster no slower than the anchor role on the same lab in
the same run. The anchor is evrardjp/ansible-keepalived (Apache-2.0), vendored as a test fixture only
(tests/fixtures/anchor_keepalived, never shipped: galaxy.yml's build_ignore), since this machine reaches neither
Galaxy nor GitHub.

Two independent clusters run side by side in the container lab (scripts/lab: podman containers under systemd on
the internal network 198.51.100.0/24, members start bare, Ansible connects over SSH as the lab's user with sudo):

- C, cv-c-node1/2 (198.51.100.215/216): playbooks/cluster.yml, keepalived backend, VIP web (vmac) and VIP api
  (garp, with a VRRP password), priorities 150 and 100, everything else at the collection's defaults;
- A, cv-a-node1/2 (198.51.100.220/221): a playbook that applies the anchor role with the two VRRP instances that
  C renders (same interface, VRRP priorities 254 and 253, advert interval, MAC modes and password; VIPs and VRIDs
  of its own, as both clusters are up at once), everything else at the role's defaults.

Both run on Debian 12 (bookworm) members, with one ansible.cfg (pipelining, SSH ControlPersist, the same
interpreter, forks and host key checking) and the same environment. Each fresh round starts the four members
bare and runs the first converge of each cluster (which installs keepalived), in alternating order; after each
round the bench checks that both clusters converged (each VIP on exactly one member, the higher-priority one, and
keepalived active on every member); after the last it runs the idempotent converges alternately C, A, C, A ...
(``--reps`` each). An idempotent run must report changed=0 on every host, or the bench fails. Each run is timed
(wall clock of ansible-playbook), and its CPU is taken from /proc/stat (the whole machine: other work on it counts
too), from the controller's children (ansible-playbook and its ssh clients) and from the members' cgroups
(cpuacct).

Writes bench/results/converge.md and bench/results/converge.json; every run's output goes to
.build/bench-converge/. The cv- containers are removed at the end, also on failure (``--keep`` leaves them).

The collection is copied to a directory of the bench's own first (the work tree as it is, or ``--ref``'s commit), so
that edits made while the bench runs do not reach the members between two runs (an idempotent run would see them
as changes).

Usage: bench/converge.py [--reps N] [--fresh N] [--ref COMMIT] [--output FILE] [--keep] [--from-json FILE]
(as root, from the repository; see ``make bench-converge``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.dirname(HERE)
LAB = os.path.join(REPO, 'scripts', 'lab')
VENV_BIN = os.path.dirname(sys.executable)
LOG_DIR = os.path.join(REPO, '.build', 'bench-converge')
FIXTURES = os.path.join(REPO, 'tests', 'fixtures')
ANCHOR_ROLE = 'anchor_keepalived'
RESULTS = os.path.join(HERE, 'results', 'converge.md')
SUITE = 'bookworm'
# The members' priorities in the inventory (cluster_priority), and the VRRP priorities the collection renders for
# them (ranked from 254 down): the anchor's instances get the rendered ones, so both clusters advertise alike.
PRIORITIES = (150, 100)
VRRP_PRIORITIES = (254, 253)
ADVERT_INT = 1
# Addresses 198.51.100.215-229 are this bench's (the others are the other suites' and benches'); VRIDs follow the
# VIPs' last octets, away from every other suite's (51-94).
CLUSTERS = {
    'collection': {
        'prefix': 'cv-c', 'ips': ('198.51.100.215', '198.51.100.216'),
        'vips': [
            {'name': 'web', 'address': '198.51.100.217/24', 'interface': 'eth0', 'vrid': 217, 'mac_mode': 'vmac'},
            {'name': 'api', 'address': '198.51.100.218/24', 'interface': 'eth0', 'vrid': 218, 'mac_mode': 'garp',
             'auth_pass': 'cvc-api1'},
        ],
    },
    'anchor': {
        'prefix': 'cv-a', 'ips': ('198.51.100.220', '198.51.100.221'),
        'vips': [
            {'name': 'web', 'address': '198.51.100.222/24', 'interface': 'eth0', 'vrid': 222, 'mac_mode': 'vmac'},
            {'name': 'api', 'address': '198.51.100.223/24', 'interface': 'eth0', 'vrid': 223, 'mac_mode': 'garp',
             'auth_pass': 'cva-api1'},
        ],
    },
}
LABELS = {'collection': 'C: hanet.failover `playbooks/cluster.yml`',
          'anchor': 'A: anchor role evrardjp/ansible-keepalived'}
# Seconds for the VIPs to settle on the higher-priority member after a converge (adverts every second; a loaded
# machine boots and starts keepalived slowly).
SETTLE = 45
RECAP = re.compile(r'^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)'
                   r'\s+rescued=(\d+)\s+ignored=(\d+)', re.M)

ANCHOR_PLAYBOOK = """---
# The anchor: evrardjp/ansible-keepalived applied as its own example playbook does (its
# tests/keepalived-install-example.yml: facts gathered, the role with the instances in the inventory), with become
# as the collection's playbooks have it.
- name: Deploy keepalived with the anchor role
  hosts: anchor_members
  become: true
  roles:
    - role: %s
""" % ANCHOR_ROLE


def log(text):
    print('[converge %s] %s' % (time.strftime('%H:%M:%S'), text), flush=True)


def run(args, check=True, **kwargs):
    proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          check=False, **kwargs)
    if check and proc.returncode:
        raise AssertionError('%s failed (%d): %s %s'
                             % (' '.join(args), proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:]))
    return proc


def lab_ssh():
    """The lab's SSH user, key and known_hosts file (scripts/lab ssh-vars)."""
    return dict(line.split('=', 1) for line in run([LAB, 'ssh-vars']).stdout.splitlines())


# -- CPU accounting ---------------------------------------------------------------------------------------------
CLK_TCK = os.sysconf('SC_CLK_TCK')


def machine_busy():
    """Seconds of CPU the whole machine has been busy (every CPU; not idle, not waiting for I/O)."""
    with open('/proc/stat', encoding='utf-8') as handle:
        fields = [int(f) for f in handle.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    total = sum(fields[:8])  # guest time is already counted in user
    return (total - idle) / float(CLK_TCK)


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cgroup_cpu_file(container):
    """The cpuacct.usage (ns) of a container's cgroup (cgroup v1), or cpu.stat (cgroup v2); None if not found."""
    path = run(['podman', 'inspect', '-f', '{{.State.CgroupPath}}', container], check=False).stdout.strip()
    if not path:
        return None
    for candidate in ('/sys/fs/cgroup/cpuacct%s/cpuacct.usage' % path, '/sys/fs/cgroup/cpu,cpuacct%s/cpuacct.usage'
                      % path, '/sys/fs/cgroup%s/cpu.stat' % path):
        if os.path.exists(candidate):
            return candidate
    return None


def cgroup_cpu(path):
    """Seconds of CPU the cgroup has used (cgroup v1 cpuacct.usage, or v2 cpu.stat usage_usec)."""
    with open(path, encoding='utf-8') as handle:
        text = handle.read()
    if path.endswith('cpuacct.usage'):
        return int(text) / 1e9
    return int(re.search(r'usage_usec (\d+)', text).group(1)) / 1e6


# -- the clusters -------------------------------------------------------------------------------------------------
class Side:
    """One cluster: its members, inventory, playbook and runs."""

    def __init__(self, kind, tmp_dir, collections):
        spec = CLUSTERS[kind]
        self.kind = kind
        self.members = ['%s-node%d' % (spec['prefix'], n) for n in (1, 2)]
        self.ips = dict(zip(self.members, spec['ips']))
        self.priorities = dict(zip(self.members, PRIORITIES))
        self.vrrp_priorities = dict(zip(self.members, VRRP_PRIORITIES))
        self.vips = [dict(v) for v in spec['vips']]
        self.inventory = os.path.join(tmp_dir, '%s-inventory.yml' % kind)
        if kind == 'collection':
            self.playbook = os.path.join(collections, 'ansible_collections', 'hanet', 'failover', 'playbooks',
                                         'cluster.yml')
        else:
            self.playbook = os.path.join(tmp_dir, 'anchor.yml')
            with open(self.playbook, 'w', encoding='utf-8') as handle:
                handle.write(ANCHOR_PLAYBOOK)
        self.cgroups = {}
        self.first = []       # the first runs, one per fresh round
        self.idempotent = []  # the idempotent runs

    def write_inventory(self, ssh):
        connection = {'ansible_user': ssh['LAB_SSH_USER'], 'ansible_ssh_private_key_file': ssh['LAB_SSH_KEY'],
                      'ansible_become_method': 'ansible.builtin.sudo'}
        hosts = dict((host, {'ansible_host': self.ips[host]}) for host in self.members)
        if self.kind == 'collection':
            for host in self.members:
                hosts[host]['cluster_priority'] = self.priorities[host]
            group = {'failover_members': {'hosts': hosts, 'vars': {
                'cluster_name': 'cv-converge', 'cluster_backend': 'keepalived', 'cluster_vips': self.vips}}}
        else:
            for host in self.members:
                hosts[host]['keepalived_instances'] = self.anchor_instances(self.vrrp_priorities[host])
            group = {'anchor_members': {'hosts': hosts}}
        with open(self.inventory, 'w', encoding='utf-8') as handle:
            yaml.safe_dump({'all': {'vars': connection, 'children': group}}, handle, default_flow_style=False)

    def anchor_instances(self, priority):
        """The anchor role's keepalived_instances for one member: the VRRP instances the collection renders for the
        same model (state BACKUP on both, the member's ranked priority, adverts every second, use_vmac (keepalived
        names the interface vrrp.VRID, as the collection does) with the VIP on it for the vmac VIP, the VIP on eth0
        and the password for the garp VIP)."""
        instances = {}
        for vip in self.vips:
            instance = {'interface': vip['interface'], 'state': 'BACKUP', 'virtual_router_id': vip['vrid'],
                        'priority': priority, 'advert_int': ADVERT_INT, 'vips': ['%s' % vip['address']]}
            if vip['mac_mode'] == 'vmac':
                instance['use_vmac'] = True
            else:
                instance['vips'] = ['%s dev %s' % (vip['address'], vip['interface'])]
            if vip.get('auth_pass'):
                instance['authentication_password'] = vip['auth_pass']
            instances['VI_%s' % vip['name']] = instance
        return instances

    def up(self):
        run([LAB, 'up'] + ['%s=%s@%s' % (host, self.ips[host], SUITE) for host in self.members])
        self.cgroups = dict((host, cgroup_cpu_file(host)) for host in self.members)

    def members_cpu(self):
        if not all(self.cgroups.values()):
            return None
        return sum(cgroup_cpu(path) for path in self.cgroups.values())

    def converge(self, env, label):
        """One ansible-playbook run: wall seconds, CPU, and the recap per host."""
        before = (time.monotonic(), machine_busy(), children_cpu(), self.members_cpu())
        proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '-i', self.inventory, self.playbook],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=env,
                              check=False)
        after = (time.monotonic(), machine_busy(), children_cpu(), self.members_cpu())
        path = os.path.join(LOG_DIR, '%s-%s.log' % (self.kind, label))
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write(proc.stdout)
        recap = dict((m.group(1), dict(zip(('ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued',
                                            'ignored'), (int(g) for g in m.groups()[1:]))))
                     for m in RECAP.finditer(proc.stdout))
        if proc.returncode or sorted(recap) != sorted(self.members):
            raise AssertionError('%s run %s failed (rc %d; output in %s):\n%s'
                                 % (self.kind, label, proc.returncode, path, proc.stdout[-3000:]))
        result = {'wall': after[0] - before[0], 'cpu_machine': after[1] - before[1],
                  'cpu_controller': after[2] - before[2],
                  'cpu_members': None if before[3] is None else after[3] - before[3],
                  'changed': sum(r['changed'] for r in recap.values()),
                  'ok': sum(r['ok'] for r in recap.values()),
                  'skipped': sum(r['skipped'] for r in recap.values()), 'recap': recap,
                  'log': os.path.relpath(path, REPO)}
        log('%s %s: %.1f s wall, changed=%d, ok=%d, skipped=%d, CPU machine %.1f s'
            % (self.kind, label, result['wall'], result['changed'], result['ok'], result['skipped'],
               result['cpu_machine']))
        return result

    # -- observation ------------------------------------------------------------------------------------------
    def holders(self):
        """VIP name -> the members holding its address."""
        result = dict((v['name'], []) for v in self.vips)
        for host in self.members:
            links = json.loads(run(['podman', 'exec', host, 'ip', '-j', 'addr', 'show']).stdout or '[]')
            addresses = set(info['local'] for link in links for info in link.get('addr_info', []))
            for vip in self.vips:
                if vip['address'].split('/')[0] in addresses:
                    result[vip['name']].append(host)
        return result

    def converged(self):
        """None when every VIP is on the higher-priority member only and keepalived is active on every member, or
        what is not so."""
        holders = self.holders()
        master = max(self.members, key=self.priorities.get)
        wrong = dict((name, hosts) for name, hosts in holders.items() if hosts != [master])
        inactive = [host for host in self.members
                    if run(['podman', 'exec', host, 'systemctl', 'is-active', 'keepalived'],
                           check=False).stdout.strip() != 'active']
        if not wrong and not inactive:
            return None
        return 'VIP holders %s (want only %s); keepalived not active on %s' % (holders, master, inactive or 'none')

    def wait_converged(self, timeout=SETTLE, stable=3):
        deadline = time.time() + timeout
        while True:
            problem = self.converged()
            if problem is None:
                time.sleep(stable)
                problem = self.converged()
                if problem is None:
                    return
            if time.time() > deadline:
                raise AssertionError('%s did not converge within %d s: %s' % (self.kind, timeout, problem))
            time.sleep(0.5)

    def keepalived_version(self):
        proc = run(['podman', 'exec', self.members[0], 'keepalived', '--version'], check=False)
        return ((proc.stderr or proc.stdout).splitlines() or ['?'])[0].strip()

    def down(self):
        run([LAB, 'down'] + self.members, check=False)


def snapshot_collection(tmp_dir, ref=None):
    """Copy the collection to a collections path of the bench's own, so that every run of the bench uses one version
    of it even while the work tree changes: the files git knows as the work tree has them now (tracked or new, as
    make test-sanity takes them), or, with ``ref``, the tree of that commit. Returns the path and a description of
    the version."""
    root = os.path.join(tmp_dir, 'collections')
    dest = os.path.join(root, 'ansible_collections', 'hanet', 'failover')
    os.makedirs(dest)
    if ref:
        commit = run(['git', 'rev-parse', '--short', '%s^{commit}' % ref], cwd=REPO).stdout.strip()
        archive = subprocess.run(['git', 'archive', commit], cwd=REPO, stdout=subprocess.PIPE, check=True).stdout
        subprocess.run(['tar', '-x', '-C', dest], input=archive, check=True)
        return root, 'commit %s (`--ref %s`)' % (commit, ref)
    for name in run(['git', 'ls-files', '-co', '--exclude-standard', '-z'], cwd=REPO).stdout.split('\0'):
        source = os.path.join(REPO, name)
        if name and os.path.isfile(source) and not name.startswith(('tests/', 'bench/')):
            os.makedirs(os.path.dirname(os.path.join(dest, name)), exist_ok=True)
            shutil.copy2(source, os.path.join(dest, name))
    commit = run(['git', 'rev-parse', '--short', 'HEAD'], cwd=REPO).stdout.strip()
    dirty = [line[3:] for line in run(['git', 'status', '--porcelain', '--', 'plugins', 'roles', 'playbooks', 'meta'],
                                      cwd=REPO).stdout.splitlines()]
    version = 'the work tree: commit %s' % commit + (' with uncommitted changes to %s' % ', '.join(sorted(dirty))
                                                     if dirty else '')
    return root, version


def ansible_env(tmp_dir, ssh, collections):
    """One ansible.cfg and environment for both sides: the connection settings the collection's lab uses (SSH with
    pipelining, ControlPersist, strict host keys, Python 3 on the members), nothing else changed."""
    cfg = os.path.join(tmp_dir, 'ansible.cfg')
    with open(cfg, 'w', encoding='utf-8') as handle:
        handle.write('\n'.join([
            '[defaults]',
            'interpreter_python = /usr/bin/python3',
            'forks = 5',
            'retry_files_enabled = false',
            'roles_path = %s' % FIXTURES,
            '',
            '[ssh_connection]',
            'pipelining = true',
            'ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=%s '
            '-o StrictHostKeyChecking=yes' % ssh['LAB_KNOWN_HOSTS'],
            '']))
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith('ANSIBLE_'))
    env.update(PATH=VENV_BIN + os.pathsep + os.environ.get('PATH', ''), ANSIBLE_CONFIG=cfg,
               ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='true', ANSIBLE_NOCOLOR='1',
               ANSIBLE_FORCE_COLOR='0')
    return env, cfg


def close_masters(env):
    """Make the ssh control masters of this bench's runs exit (their sockets are in its own directory)."""
    directory = env.get('ANSIBLE_SSH_CONTROL_PATH_DIR')
    if directory and os.path.isdir(directory):
        for name in os.listdir(directory):
            run(['ssh', '-o', 'ControlPath=%s' % os.path.join(directory, name), '-O', 'exit', 'cv-bench'], check=False)


def loadavg():
    with open('/proc/loadavg', encoding='utf-8') as handle:
        return [float(x) for x in handle.read().split()[:3]]


def bench(reps, fresh, keep, ref=None):
    """Run the bench; returns the data the results file is written from."""
    os.makedirs(LOG_DIR, exist_ok=True)
    started = time.time()
    data = {'reps': reps, 'fresh': fresh, 'cpus': os.cpu_count() or 1, 'load_start': loadavg(),
            'generated': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), 'kernel': platform.release(),
            'command': 'bench/converge.py ' + ' '.join(shlex.quote(a) for a in sys.argv[1:])}
    with tempfile.TemporaryDirectory(prefix='hanet-converge-') as tmp_dir:
        ssh = lab_ssh()
        collections, data['collection_version'] = snapshot_collection(tmp_dir, ref)
        env, cfg = ansible_env(tmp_dir, ssh, collections)
        sides = [Side('collection', tmp_dir, collections), Side('anchor', tmp_dir, collections)]
        try:
            for side in sides:
                side.write_inventory(ssh)
            for round_ in range(fresh):
                log('fresh round %d/%d: four bare members' % (round_ + 1, fresh))
                close_masters(env)
                # A fresh directory for ssh's control sockets: a master from the last round would still point at a
                # removed container of the same address.
                env['ANSIBLE_SSH_CONTROL_PATH_DIR'] = os.path.join(tmp_dir, 'cp%d' % (round_ + 1))
                for side in sides:
                    side.up()
                # Alternate which side goes first, so neither always finds the host's page cache warm.
                order = sides if round_ % 2 == 0 else sides[::-1]
                for side in order:
                    side.first.append(side.converge(env, 'first-%d' % (round_ + 1)))
                for side in sides:
                    side.wait_converged()
            busy = []
            for rep in range(reps):
                for side in sides:
                    result = side.converge(env, 'idempotent-%d' % (rep + 1))
                    side.idempotent.append(result)
                    if result['changed']:
                        busy.append('%s run %d: changed=%d (%s)' % (side.kind, rep + 1, result['changed'],
                                                                    result['log']))
            for side in sides:
                side.wait_converged(timeout=10)
            if busy:
                raise AssertionError('an idempotent run changed something: %s' % '; '.join(busy))
            data['keepalived'] = sides[0].keepalived_version()
            with open(cfg, encoding='utf-8') as handle:
                data['ansible_cfg'] = handle.read().replace(ssh['LAB_KNOWN_HOSTS'], '<lab known_hosts>')
            with open(sides[1].playbook, encoding='utf-8') as handle:
                data['anchor_playbook'] = handle.read()
            with open(sides[1].inventory, encoding='utf-8') as handle:
                data['anchor_inventory'] = handle.read()
            with open(sides[0].inventory, encoding='utf-8') as handle:
                data['collection_inventory'] = handle.read()
        finally:
            close_masters(env)
            if keep:
                log('--keep: the cv- containers stay up (scripts/lab down %s)'
                    % ' '.join(h for s in sides for h in s.members))
            else:
                for side in sides:
                    side.down()
    data['ansible_core'] = run([os.path.join(VENV_BIN, 'python'), '-c',
                                'import ansible.release as r; print(r.__version__)']).stdout.strip()
    data['load_end'] = loadavg()
    data['seconds'] = time.time() - started
    for side in sides:
        data[side.kind] = {'first': side.first, 'idempotent': side.idempotent}
    return data


# -- the results file ---------------------------------------------------------------------------------------------
def stats(values):
    """(median, min, max) or None."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def fmt(values, digits=1):
    summary = stats(values)
    if summary is None:
        return '-'
    if len(values) == 1 or summary[1] == summary[2]:
        return '%.*f' % (digits, summary[0])
    return '%.*f (%.*f-%.*f)' % (digits, summary[0], digits, summary[1], digits, summary[2])


def ratio(data, phase, key):
    mine, theirs = stats([r[key] for r in data['collection'][phase]]), stats([r[key] for r in data['anchor'][phase]])
    if not mine or not theirs or not theirs[0]:
        return None
    return mine[0] / theirs[0]


def own_cpu(run_):
    """CPU seconds of the run itself: the controller's (ansible-playbook and ssh) plus the members'."""
    if run_.get('cpu_members') is None:
        return None
    return run_['cpu_controller'] + run_['cpu_members']


WHAT_C = (
    '**C, `playbooks/cluster.yml`** (no facts gathered; the collection\'s defaults, as a user runs it): reads each '
    'member\'s links and addresses, the backend it deployed before, the maintenance state, what an earlier run '
    'installed for health tracking and hooks, whether keepalived\'s program is in place and its unit enabled, all '
    'in one module run (`failover_info`); asks dpkg what is missing of keepalived and python3-pyroute2 only where '
    'that run did not find them (here it found both), and installs only what is missing, with apt; checks the whole '
    'cluster model across both members before anything changes (VRIDs, addresses in the interface\'s subnet, '
    'priorities, MACs, ...); lets the other member\'s adverts through the host firewall where one would drop them '
    '(these members have none: nothing to do); sets and persists the ARP sysctls of the VIP interface; creates the '
    'maintenance file where it is missing; renders keepalived.conf (ranked priorities, `use_vmac` for the vmac VIP, '
    'the VRRP password in a root-only file of its own, the maintenance track file, gratuitous ARP settings) and '
    'validates it with `keepalived -t` before it goes live; installs the release script, the resignation sender, '
    'the vmac guard, their code, the VIP list and the systemd drop-in (`hanet.failover.file_set`, one module run '
    'for all); enables and starts keepalived where it was not running and enabled; removes password files no '
    'instance uses, in a run that changed the configuration or a password; records the backend deployed where the '
    'record says otherwise. Here an idempotent run makes 6 module runs per member.')
WHAT_A = (
    '**A, the anchor role** (facts gathered, as its example playbook does; the role\'s defaults): includes its '
    'OS variables; installs keepalived with `ansible.builtin.package` (state latest; the apt cache refreshed when '
    'older than 600 s); runs `keepalived --version` to decide whether the configuration can be validated; removes '
    '/etc/keepalived/samples; reads /sys/module/ipv6/parameters/disable; looks for the daemon options file; renders '
    'keepalived.conf from `keepalived_instances` (validated with `keepalived --config-test`); writes a systemd '
    'override (`Wants`/`After=network-online.target`, with `community.general.ini_file`); enables and starts '
    'keepalived (with a daemon reload). Its notification and tracking-script copies, sysctls and SELinux tasks are '
    'skipped (not configured here, or not applicable). Its instances are the ones C renders for the same model: '
    'state BACKUP, the ranked priorities %d and %d, `advert_int %d`, `use_vmac` for the vmac VIP, the password of '
    'the garp VIP (in keepalived.conf). It does not check the model, set ARP sysctls, release the VIPs after a '
    'crash, resign on a stop, guard the vmac interfaces, open a firewall, or keep the password out of the '
    'configuration file.' % (VRRP_PRIORITIES[0], VRRP_PRIORITIES[1], ADVERT_INT))


def report(data, output):
    """Write the results file from the bench's data."""
    runs = [r for kind in ('collection', 'anchor') for phase in ('first', 'idempotent') for r in data[kind][phase]]
    busy = sum(r['cpu_machine'] for r in runs) / max(1e-9, sum(r['wall'] for r in runs) * data['cpus'])
    own = [own_cpu(r) for r in runs]
    own_share = (sum(own) / max(1e-9, sum(r['cpu_machine'] for r in runs))) if None not in own else None
    lines = [
        '# Converge benchmark', '',
        '<!-- Written by bench/converge.py (make bench-converge). Do not edit; rerun the bench. -->', '',
        'Generated %s by `%s` in %d s, on this machine (%d CPUs, Linux %s; load average %.1f / %.1f / %.1f at the '
        'start, %.1f / %.1f / %.1f at the end; during the runs the CPUs were %d %% busy, %s). '
        % (data['generated'], data['command'], data['seconds'], data['cpus'], data['kernel'],
           data['load_start'][0], data['load_start'][1], data['load_start'][2], data['load_end'][0],
           data['load_end'][1], data['load_end'][2], round(100 * busy),
           'the runs\' own share of that %d %%' % round(100 * own_share) if own_share is not None
           else 'the runs\' own share unknown') +
        'Two two-member keepalived clusters side by side in the container lab (Debian 12 members that start bare, '
        '%s), each with one vmac and one garp IPv4 VIP, inventory priorities %d and %d, adverts every %d s: **C** '
        'deployed by `playbooks/cluster.yml` (the collection at %s), **A** by the anchor role '
        '[evrardjp/ansible-keepalived](https://github.com/evrardjp/ansible-keepalived) (Apache-2.0, vendored as the '
        'test fixture `tests/fixtures/anchor_keepalived`, never shipped). ansible-core %s on the controller; both '
        'sides share one ansible.cfg (SSH as the lab\'s user with sudo, pipelining, ControlPersist 60 s, strict host '
        'keys, forks 5) and one environment. %d fresh round(s): four bare members, then the first converge of each '
        'side (it installs keepalived), the side that goes first alternating; after each round both clusters were '
        'checked (each VIP on the higher-priority member only, keepalived active on both members). Then the '
        'idempotent converges ran alternately C, A, C, A ... (%d each), and each reported changed=0 on every host '
        '(the bench fails otherwise).'
        % (data.get('keepalived', 'keepalived'), PRIORITIES[0], PRIORITIES[1], ADVERT_INT,
           data.get('collection_version', '?'), data['ansible_core'], data['fresh'], data['reps']), '',
        'Wall: the ansible-playbook run, start to end. CPU machine: every CPU\'s busy time over the run (/proc/stat; '
        'whatever else ran on the machine counts too). CPU controller: the bench\'s children over the run '
        '(ansible-playbook, its workers and its ssh clients). CPU members: the two members\' cgroups (cpuacct: '
        'sshd, sudo, the modules, what they run, keepalived). CPU own: controller + members, the run\'s own cost, '
        'which the machine\'s other work does not change much. ok and skipped are summed over both members (ok '
        'counts the changed tasks too). Medians, (min-max) where the runs differ.', '',
        '| run | side | runs | wall s | CPU machine s | CPU controller s | CPU members s | CPU own s | changed | ok '
        '| skipped |',
        '|---|---|---|---|---|---|---|---|---|---|---|']
    for phase, name in (('first', 'first (installs keepalived)'), ('idempotent', 'idempotent')):
        for kind in ('collection', 'anchor'):
            group = data[kind][phase]
            lines.append('| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |' % (
                name, LABELS[kind], len(group), fmt([r['wall'] for r in group]),
                fmt([r['cpu_machine'] for r in group]), fmt([r['cpu_controller'] for r in group]),
                fmt([r['cpu_members'] for r in group]), fmt([own_cpu(r) for r in group]),
                fmt([r['changed'] for r in group], 0), fmt([r['ok'] for r in group], 0),
                fmt([r['skipped'] for r in group], 0)))
    lines += ['', '| ratio C/A of the medians | wall | CPU machine | CPU controller | CPU members | CPU own |',
              '|---|---|---|---|---|---|']
    for phase in ('idempotent', 'first'):
        mine = stats([own_cpu(r) for r in data['collection'][phase]])
        theirs = stats([own_cpu(r) for r in data['anchor'][phase]])
        cells = [ratio(data, phase, 'wall'), ratio(data, phase, 'cpu_machine'), ratio(data, phase, 'cpu_controller'),
                 ratio(data, phase, 'cpu_members'), mine[0] / theirs[0] if mine and theirs else None]
        lines.append('| %s | %s |' % (phase, ' | '.join('-' if c is None else '%.2f' % c for c in cells)))
    idem = ratio(data, 'idempotent', 'wall')
    lines += ['', 'Target (issue 18 part 2): an idempotent converge no slower than the anchor\'s on the same lab in '
              'the same run, a wall ratio C/A of at most 1.00. This run: **%.2f**, %s.'
              % (idem, 'met' if idem <= 1.0 else 'not met'), '',
              '## What each side does', '', WHAT_C, '', WHAT_A, '',
              'The figures of every run (with each host\'s recap) are in `%s`; the output of each run was kept in '
              '`.build/bench-converge/` on the machine that ran it.'
              % os.path.relpath(os.path.splitext(output)[0] + '.json', REPO)]
    with open(output, 'w', encoding='utf-8') as handle:
        handle.write('\n'.join(lines) + '\n')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--reps', type=int, default=5, help='idempotent runs per side (default 5)')
    parser.add_argument('--fresh', type=int, default=2,
                        help='fresh rounds: bare members and a first converge per side (default 2)')
    parser.add_argument('--ref', help='measure the collection as this git commit has it (default: the work tree)')
    parser.add_argument('--output', default=RESULTS, help='the results file (default: bench/results/converge.md; '
                        'the figures go beside it as .json)')
    parser.add_argument('--keep', action='store_true', help='leave the cv- containers up (for development)')
    parser.add_argument('--from-json', help='re-render the results file from a run\'s JSON (no lab)')
    args = parser.parse_args()
    if args.from_json:
        with open(args.from_json, encoding='utf-8') as handle:
            data = json.load(handle)
    else:
        if args.reps < 1 or args.fresh < 1:
            parser.error('--reps and --fresh must be at least 1')
        data = bench(args.reps, args.fresh, args.keep, args.ref)
        with open(os.path.splitext(args.output)[0] + '.json', 'w', encoding='utf-8') as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
    report(data, args.output)
    log('wrote %s' % os.path.relpath(args.output, REPO))
    return 0


if __name__ == '__main__':
    sys.exit(main())
