# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fault suite's lab cluster: a real cluster per backend in the container lab, faulted in turn.

Each backend gets two members and a client (scripts/lab, systemd, internal network 198.51.100.0/24),
keepalived's with a Debian 13 master and a Debian 12 backup, ucarp's and Pacemaker's with two Debian 12 members
(Pacemaker needs one release per cluster; its part runs the change matrix only), deployed with playbooks/cluster.yml
exactly as users deploy it, over SSH: one vmac VIP and one garp VIP. The tests fault the master, watch
who holds each VIP, what the client's neighbour table says and how long the client's probes went
unanswered, and write tests/faults/RESULTS.md at the end of the run. Every member also runs a small service of
the user's (SERVICE_UNIT, installed by the lab, not by the roles); one VIP follows it only from the row that
stops it on (Cluster.follow_service), which runs last of its backend's tests; conftest.py deploys the base model
again before any other test that would come after it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys
import time

import yaml

import lab_fencing

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LAB = os.path.join(REPO, 'scripts', 'lab')
PROBE = os.path.join(REPO, 'playbooks', 'files', 'vip_probe.py')
ARP_REPLIES = os.path.join(HERE, 'arp_replies.py')
RESULTS = os.path.join(HERE, 'RESULTS.md')
VENV_BIN = os.path.dirname(sys.executable)

BACKENDS = {
    'keepalived': {
        'prefix': 'fk', 'ips': ('198.51.100.71', '198.51.100.72', '198.51.100.79'),
        # The member the change matrix adds and removes (test_day2_changes.py): its address and release.
        'joiner': ('198.51.100.73', 'bookworm'),
        # node1 (the master), node2, client: the Debian release of each (scripts/lab's suites).
        'suites': ('trixie', 'bookworm', 'trixie'),
        # The VIP that follows the fixture service (SERVICE_UNIT) in the tracked-service row.
        'tracked_vip': 'web',
        'vips': [
            {'name': 'web', 'address': '198.51.100.106/24', 'interface': 'eth0', 'vrid': 57, 'mac_mode': 'vmac'},
            {'name': 'api', 'address': '198.51.100.107/24', 'interface': 'eth0', 'vrid': 58, 'mac_mode': 'garp',
             'auth_pass': 'fk-s3cr'},
        ],
    },
    'ucarp': {
        'prefix': 'fu', 'ips': ('198.51.100.81', '198.51.100.82', '198.51.100.89'),
        # Both members and the joiner on Debian 12 (the keepalived part's cluster mixes the two releases).
        'joiner': ('198.51.100.83', 'bookworm'),
        'suites': ('bookworm', 'bookworm', 'trixie'),
        'tracked_vip': 'web',
        'vips': [
            {'name': 'web', 'address': '198.51.100.108/24', 'interface': 'eth0', 'vrid': 59, 'mac_mode': 'vmac',
             'auth_pass': 'fu-web-s3cret'},
            {'name': 'api', 'address': '198.51.100.109/24', 'interface': 'eth0', 'vrid': 60, 'mac_mode': 'garp',
             'auth_pass': 'fu-api-s3cret'},
        ],
    },
    # The Pacemaker part of the suite: only its change matrix (test_day2_changes.py). Its cluster is deployed as
    # ucarp ('backend') and switched to Pacemaker, whose packages that run installs while ucarp holds the VIPs; it
    # runs the Pacemaker rows (a member joining and leaving, the fault rows, fencing turned on among them) and is
    # switched back to ucarp. Both members and the joiner on Debian 12: a Pacemaker 2.1 node cannot rejoin a
    # cluster a 3.0 node leads, and the lab's BMCs fence members of one release.
    'pacemaker': {
        'prefix': 'fp', 'ips': ('198.51.100.74', '198.51.100.75', '198.51.100.78'), 'backend': 'ucarp',
        'joiner': ('198.51.100.76', 'bookworm'),
        'suites': ('bookworm', 'bookworm', 'trixie'),
        'vips': [
            {'name': 'web', 'address': '198.51.100.84/24', 'interface': 'eth0', 'vrid': 65, 'mac_mode': 'vmac',
             'auth_pass': 'fp-web-s3cret'},
            {'name': 'api', 'address': '198.51.100.85/24', 'interface': 'eth0', 'vrid': 66, 'mac_mode': 'garp',
             'auth_pass': 'fp-api-s3cret'},
        ],
    },
}
# The test modules a backend's part of the suite runs (conftest.py): all of them, but for Pacemaker.
BACKEND_MODULES = {'pacemaker': ('test_day2_changes.py',)}
# Seconds: adverts every second, a backup takes over after 3 missed adverts plus its skew (keepalived
# (256-100)/256 s, ucarp 20/256 s). A safety bound, not a figure (the figures are the rows' and
# bench/results/failover.md's): it adds 5 s for the scripts, the gratuitous ARPs, the podman commands that make
# the fault and this poll, on a loaded machine. With 2 s a ucarp host loss measured 5.1 s against 5.6 s while the
# Molecule scenarios ran beside it (half a second to spare), and a CI run's ucarp half failed with its output lost.
FAILOVER_MARGIN = 5
FAILOVER_BOUND = 3 + 0.61 + FAILOVER_MARGIN
# The probes a VIP may lose are not a matter of the lab's own commands: their bounds keep the former 2 s.
PROBE_FAILOVER_BOUND = 3 + 0.61 + 2
# After a heal or a restart: the members hear each other within one advert and the higher priority wins.
RECOVER_BOUND = 8
# A member container stopped and started again (systemd boot and the daemon's start included).
BOOT_BOUND = 30
# Pacemaker (demo and bench clusters): a lost member is declared gone after corosync's token timeout plus consensus
# (1.2 x token; plugins/plugin_utils/_pacemaker_render.py's profiles: token 3 s by default, 1 s fast), then the DC
# schedules and IPaddr2 starts the address; the bound adds 4 s for that, the gratuitous ARPs and this poll.
PACEMAKER_TOKEN = {'default': 3.0, 'fast': 1.0}
# After a lost member comes back, corosync merges the memberships, Pacemaker finds the address active on both
# (the member kept it while frozen: no fencing in the lab), stops it on both and starts it where it is preferred.
PACEMAKER_RECOVER_BOUND = 40
# How long the client's probe goes on after a Pacemaker failover settled, where it is ended early
# (test_faults.probe_after_settled).
SETTLED_PROBE_SECONDS = 3


def pacemaker_failover_bound(profile):
    """Seconds from a member's loss to one other member holding its VIPs, at most (a Pacemaker cluster)."""
    return PACEMAKER_TOKEN[profile] * 2.2 + 4


# The service a VIP follows (cluster_vips[].track) in the tracked-service row: a small web server as a systemd unit
# on every member. The user's service, as haproxy would be: the lab installs it, the roles only follow it.
SERVICE_UNIT = 'hanet-demo-web.service'
SERVICE_FIXTURE = '''[Unit]
Description=hanet.failover fault suite fixture: the service a VIP follows (the user's, not the roles')
[Service]
ExecStart=/usr/bin/python3 -m http.server 8080 --bind 127.0.0.1 --directory /usr/share/doc
[Install]
WantedBy=multi-user.target
'''
# The tracked VIP's check in that row (a unit check, as keepalived_track's web VIP has, but every 0.5 s: the row
# measures detection): unhealthy after 2 failed probes 0.5 s apart.
SERVICE_CHECK = {'service': SERVICE_UNIT, 'interval': 0.5, 'rise': 2, 'fall': 2}


def detection_bound(check):
    """Seconds from the service failing to its check being unhealthy, at most (_health.detection_bound): fall
    probes an interval apart, the last bounded by the timeout (the interval unless given)."""
    return check['fall'] * check['interval'] + check.get('timeout', check['interval'])


def rise_bound(check):
    """Seconds from the service being back to its check being healthy again, at most."""
    return check['rise'] * check['interval'] + check.get('timeout', check['interval'])


ROWS = []


def vrrp_mac(vrid):
    """The VRRP virtual router MAC of a VRID (IPv4): what a vmac VIP's clients see."""
    return '00:00:5e:00:01:%02x' % vrid


def lab_ssh_vars():
    """Inventory variables that reach lab members over SSH as the lab's user, with sudo (scripts/lab ssh-vars)."""
    lab = dict(line.split('=', 1) for line in run([LAB, 'ssh-vars']).stdout.splitlines())
    return {'ansible_connection': 'ansible.builtin.ssh', 'ansible_user': lab['LAB_SSH_USER'],
            'ansible_ssh_private_key_file': lab['LAB_SSH_KEY'], 'ansible_become_method': 'ansible.builtin.sudo',
            'ansible_ssh_common_args': '-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes' % lab['LAB_KNOWN_HOSTS']}


# The environment podman exec gives a command in the lab's images, but TERM and HOSTNAME (exec() gives it this).
CONTAINER_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'container=podman']


def process_started(pid):
    """A process's start time (clock ticks since boot, /proc/PID/stat's 22nd field), or None where it is gone."""
    try:
        with open('/proc/%s/stat' % pid) as handle:
            return handle.read().rsplit(')', 1)[1].split()[19]
    except (IOError, OSError, IndexError):
        return None


def run(args, check=True, **kwargs):
    proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          check=False, **kwargs)
    if check and proc.returncode:
        raise AssertionError('%s failed (%d): %s %s'
                             % (' '.join(args), proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:]))
    return proc


class Cluster:
    """Two members and a client. ``spec`` (prefix, ips, vips) defaults to BACKENDS[backend]; ``settings`` are
    extra cluster-wide inventory variables (bench/failover.py sets cluster_profile there). ``members`` are the
    members in service; ``leaving`` those still in the inventory with cluster_member_state absent."""

    def __init__(self, backend, tmp_dir, spec=None, name=None, settings=None):
        spec = spec or BACKENDS[backend]
        # The backend it runs now (the spec's 'backend' first), and the part of the fault suite it was made for.
        self.backend = spec.get('backend', backend)
        self.suite = backend
        self.name = name or 'faults-%s' % backend
        self.settings = dict(settings or {})
        self.node1, self.node2, self.client = ('%s-%s' % (spec['prefix'], n) for n in ('node1', 'node2', 'client'))
        self.members = [self.node1, self.node2]
        self.ips = dict(zip((self.node1, self.node2, self.client), spec['ips']))
        self.suites = dict(zip((self.node1, self.node2, self.client), spec.get('suites', ('bookworm',) * 3)))
        self.vips = [dict(v) for v in spec['vips']]
        self.priorities = {self.node1: 150, self.node2: 100}
        self.leaving = []
        # Members lost with their host (fault 'host'): frozen, their port down; what they hold reaches nobody.
        self.lost = set()
        self.joiner = spec.get('joiner')
        # The VIP that follows SERVICE_UNIT while follow_service(True) is in force (the lab then installs the unit).
        self.tracked_vip = spec.get('tracked_vip')
        self.following = False
        self.prefix = spec['prefix']
        self.inventory = os.path.join(tmp_dir, 'inventory.yml')
        self.pids = {}
        self.tmp = tmp_dir
        # The lab's BMCs while the cluster fences (fence_with_bmcs), and when each member's container last started.
        self.bmcs = None
        self.started = {}
        self.bmc_mark = 0

    @property
    def units(self):
        if self.backend in ('keepalived', 'pacemaker'):
            return [self.backend]
        return ['ucarp@%s' % v['name'] for v in self.vips]

    @property
    def fences(self):
        """Whether the cluster fences: a Pacemaker cluster with fence devices (fence_with_bmcs)."""
        return self.backend == 'pacemaker' and bool(self.settings.get('cluster_pacemaker_stonith_devices'))

    @property
    def failover_bound(self):
        """Seconds from the master's loss to the takeover, at most (FAILOVER_BOUND for keepalived and ucarp)."""
        if self.backend == 'pacemaker':
            return pacemaker_failover_bound(self.settings.get('cluster_profile', 'default')) + (
                lab_fencing.FENCE_BOUND if self.fences else 0)
        return FAILOVER_BOUND

    @property
    def recover_bound(self):
        """Seconds from a member's return to its holding its VIPs again, at most."""
        return PACEMAKER_RECOVER_BOUND if self.backend == 'pacemaker' else RECOVER_BOUND

    # -- set-up ---------------------------------------------------------------------------------------------
    def up(self):
        run([LAB, 'up'] + ['%s=%s@%s' % (host, ip, self.suites[host]) for host, ip in self.ips.items()])
        for host in self.members:
            self.install_service(host)
        self.write_inventory()
        self.deploy()
        run(['podman', 'cp', PROBE, '%s:/usr/local/sbin/hanet-vip-probe' % self.client])
        run(['podman', 'cp', ARP_REPLIES, '%s:/usr/local/sbin/hanet-arp-replies' % self.client])

    def write_inventory(self):
        """The inventory of the cluster as it is configured now (self.vips, self.priorities, self.settings)."""
        cluster_vars = {'cluster_name': self.name, 'cluster_backend': self.backend, 'cluster_vips': self.vips,
                        # Restart a killed daemon after 10 s, so the failover is seen before the old master returns.
                        'keepalived_restart_sec': 10, 'ucarp_restart_sec': 10}
        if self.backend == 'pacemaker' and not self.fences:
            # Without the lab's BMCs (fence_with_bmcs) a Pacemaker cluster runs without fencing, said explicitly.
            cluster_vars['cluster_pacemaker_fencing_disabled_risk_accepted'] = True
        cluster_vars.update(self.settings)
        inventory = {'all': {
            'vars': dict(lab_ssh_vars(), ansible_python_interpreter='/usr/bin/python3'),
            'children': {
                'failover_members': {
                    'vars': cluster_vars,
                    'hosts': dict((host, dict({'cluster_priority': prio},
                                              **({'cluster_member_state': 'absent'} if host in self.leaving else {})))
                                  for host, prio in self.priorities.items())},
                'failover_clients': {'hosts': {self.client: {}}}}}}
        # Over SSH on the lab network, as the lab's unprivileged user with sudo (as real inventories connect).
        for group in inventory['all']['children'].values():
            for host in group['hosts']:
                group['hosts'][host]['ansible_host'] = self.ips[host]
        with open(self.inventory, 'w') as handle:
            yaml.safe_dump(inventory, handle)

    def master(self):
        """The member with the highest priority (every VIP's expected holder; no VIP sets its own priorities here)."""
        return max(self.members, key=self.priorities.get)

    def successor(self):
        """The member that takes the VIPs over when the master stops."""
        master = self.master()
        return max((h for h in self.members if h != master), key=self.priorities.get)

    def add_member(self, priority):
        """Start the spec's joiner as a bare lab host (nothing of the roles on it) and make it a member."""
        address, suite = self.joiner
        host = '%s-node3' % self.prefix
        run([LAB, 'up', '%s=%s@%s' % (host, address, suite)])
        self.install_service(host)
        self.ips[host], self.suites[host] = address, suite
        self.members.append(host)
        self.priorities[host] = priority
        return host

    def install_service(self, host):
        """The user's service (SERVICE_UNIT) on a member, enabled and started, where the spec has a tracked VIP."""
        if self.tracked_vip:
            self.exec(host, 'sh', '-c', 'printf %%s "$1" >/etc/systemd/system/%s && systemctl daemon-reload && '
                      'systemctl enable --now --quiet %s' % (SERVICE_UNIT, SERVICE_UNIT), '-', SERVICE_FIXTURE)

    def follow_service(self, follow, check=None):
        """Deploy the model with the tracked VIP following SERVICE_UNIT (``check``, SERVICE_CHECK by default), or,
        ``follow`` false, back to the base model (no track)."""
        self.following = bool(follow)
        for vip in self.vips:
            if vip['name'] == self.tracked_vip:
                if follow:
                    vip['track'] = [dict(check or SERVICE_CHECK)]
                else:
                    vip.pop('track', None)
        self.write_inventory()
        self.deploy()

    def fence_with_bmcs(self):
        """Start the lab's BMCs for the members; the settings that make the cluster fence through them."""
        if self.bmcs is None:
            self.bmcs = lab_fencing.LabBmcs(self.tmp, dict((h, self.ips[h]) for h in self.members))
            self.bmcs.start()
        suites = set(self.suites[h] for h in self.members)
        assert len(suites) == 1, 'fence_with_bmcs: members of one Debian release only (%s)' % suites
        return dict(self.settings, **self.bmcs.settings(suites.pop()))

    def retire_member(self, host):
        """Mark a member cluster_member_state absent (it stays in the inventory until forget_member)."""
        self.members.remove(host)
        self.leaving.append(host)

    def forget_member(self, host):
        """Take a retired member out of the inventory and remove its container."""
        self.leaving.remove(host)
        del self.priorities[host]
        run([LAB, 'down', host], check=False)
        del self.ips[host]

    def down(self):
        self.heal()
        if self.bmcs is not None:
            self.bmcs.stop()
            self.bmcs = None
        run([LAB, 'down'] + list(self.ips), check=False)

    def playbook(self, *extra, **kwargs):
        """Run playbooks/NAME (cluster.yml unless name= is given) against this cluster."""
        env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ.get('PATH', ''),
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, '.build', 'collections'), ANSIBLE_NOCOLOR='1',
                   ANSIBLE_PIPELINING='true')
        name = kwargs.pop('name', 'cluster.yml')
        return run([os.path.join(VENV_BIN, 'ansible-playbook'), '-i', self.inventory,
                    os.path.join(REPO, 'playbooks', name)] + list(extra), env=env, **kwargs)

    def deploy(self):
        self.playbook()
        self.wait(lambda: self.holders_are([self.node1]), BOOT_BOUND, 'node1 to hold every VIP after the deploy',
                  stable=3)

    # -- observation ----------------------------------------------------------------------------------------
    def exec(self, host, *args, **kwargs):
        """Run a command in the container as root in all its namespaces and its root directory, with the
        image's PATH and HOME, entered with nsenter: podman exec costs some 100 ms of CPU (podman, conmon, runc)
        against nsenter's few, and the suite runs thousands while the lab suites share two cores. Unlike podman
        exec, the command keeps every capability, has no seccomp filter and stays in the suite's cgroup (podman
        pause does not freeze it): the harness's commands read state, drive units and links, and change nothing
        outside the container's namespaces (no kernel.* sysctl). A container that is not running, or whose host
        the suite has lost (frozen: podman exec cannot enter it), gets podman exec and its error."""
        pid = None if host in self.lost else self.pid(host)
        if pid is None:
            return run(['podman', 'exec', host] + list(args), **kwargs)
        return run(['nsenter', '-t', pid, '-a', '-r', '-w', '/usr/bin/env', '-i'] + CONTAINER_ENV + list(args),
                   **kwargs)

    def pid(self, host):
        """The PID (a string) of the container's init, or None where it does not run. Kept per container, with the
        process's start time, which is checked at each use: a container restarted outside the suite (the BMCs
        power-cycle fenced members) has a new process, and its old PID may have been reused. A container found not
        running is asked again after a second, not at every poll (holders() polls every 100 ms while a stopped or
        powered-off member's peer takes over, and each podman inspect costs as much CPU as a podman exec)."""
        cached = self.pids.get(host)
        if cached and cached[0] is None and time.monotonic() - cached[1] < 1.0:
            return None
        if cached and cached[0] is not None and process_started(cached[0]) == cached[1]:
            return cached[0]
        inspect = run(['podman', 'inspect', '-f', '{{.State.Pid}}', host], check=False)
        pid = inspect.stdout.strip() if inspect.returncode == 0 else ''
        started = process_started(pid) if pid not in ('', '0') else None
        if started is None:
            self.pids[host] = (None, time.monotonic())
            return None
        self.pids[host] = (pid, started)
        return pid

    def links(self, host):
        """The container's links and addresses, read from the host in its network namespace (nsenter): far
        cheaper than podman exec, which matters when four clusters are polled every 100 ms (bench/failover.py)."""
        pid = self.pid(host)
        if pid is None:
            return []  # not running
        proc = run(['nsenter', '-t', pid, '-n', 'ip', '-j', 'addr', 'show'], check=False)
        return json.loads(proc.stdout) if proc.returncode == 0 and proc.stdout.strip() else []

    def holders(self):
        """VIP name -> the members that hold its address (on any interface)."""
        result = dict((v['name'], []) for v in self.vips)
        for host in [m for m in self.members if m not in self.lost]:
            addresses = set(info['local'] for link in self.links(host) for info in link.get('addr_info', []))
            for vip in self.vips:
                if vip['address'].split('/')[0] in addresses:
                    result[vip['name']].append(host)
        return result

    def holders_are(self, hosts):
        return all(sorted(h) == sorted(hosts) for h in self.holders().values())

    def single_holder(self, host=None):
        return all(len(h) == 1 and (host is None or h[0] == host) for h in self.holders().values())

    def wait(self, condition, timeout, what, stable=0):
        """Seconds until condition() holds (and still holds ``stable`` seconds later)."""
        start = time.time()
        while True:
            if condition():
                reached = time.time() - start
                if not stable:
                    return reached
                time.sleep(stable)
                if condition():
                    return reached
            if time.time() - start > timeout:
                raise AssertionError('%s: no %s within %ss; holders: %s' % (self.backend, what, timeout, self.holders()))
            time.sleep(0.1)

    def mac_of(self, host, device):
        return self.exec(host, 'cat', '/sys/class/net/%s/address' % device).stdout.strip()

    def expected_mac(self, vip, holder):
        if vip['mac_mode'] == 'vmac':
            return vrrp_mac(vip['vrid'])
        return self.mac_of(holder, vip['interface'])

    def client_view(self):
        """VIP name -> (reachable, MAC in the client's neighbour table, MAC expected from the holder)."""
        view = {}
        holders = self.holders()
        for vip in self.vips:
            address = vip['address'].split('/')[0]
            reachable = self.exec(self.client, 'ping', '-c', '3', '-i', '0.2', '-W', '1', address,
                                  check=False).returncode == 0
            entries = json.loads(self.exec(self.client, 'ip', '-j', 'neigh', 'show', 'to', address).stdout or '[]')
            mac = entries[0].get('lladdr') if entries else None
            expected = self.expected_mac(vip, holders[vip['name']][0]) if len(holders[vip['name']]) == 1 else None
            view[vip['name']] = (reachable, mac, expected)
        return view

    def client_ok(self, timeout=10):
        """Wait until the client reaches every VIP through the expected MAC; returns the last view."""
        deadline = time.time() + timeout
        while True:
            view = self.client_view()
            if all(ok and mac == expected for ok, mac, expected in view.values()) or time.time() > deadline:
                return view
            time.sleep(0.5)

    def start_probe(self, seconds, addresses=None):
        """Probe every 10 ms, for ``seconds``, the VIPs' addresses (or the ``addresses`` given)."""
        if addresses is None:
            addresses = [v['address'].split('/')[0] for v in self.vips]
        self.exec(self.client, 'rm', '-f', '/tmp/faults-probe.json')
        # At nice -10: a real client has a CPU of its own; the lab's shares two cores with every member and Ansible,
        # and a starved prober reports its own stalls as outage (it reports them as stall_ms too).
        run(['podman', 'exec', '-d', self.client, 'nice', '-n', '-10', 'python3', '/usr/local/sbin/hanet-vip-probe',
             '/tmp/faults-probe.json', str(seconds), '0.01'] + list(addresses))
        time.sleep(1)

    def probe_addresses(self, timeout=60, stop=False):
        """The probe's figures per address; ``stop`` ends it first (SIGINT: it writes what it has)."""
        if stop:
            self.exec(self.client, 'pkill', '-INT', '-f', 'hanet-vip-probe', check=False)
        deadline = time.time() + timeout
        while time.time() < deadline:
            proc = self.exec(self.client, 'cat', '/tmp/faults-probe.json', check=False)
            if proc.returncode == 0 and proc.stdout.strip():
                return json.loads(proc.stdout)
            time.sleep(0.5)
        raise AssertionError('the probe did not finish')

    def probe_result(self, timeout=60, stop=False):
        """The probe's figures per VIP name (``stop``: see probe_addresses)."""
        data = self.probe_addresses(timeout, stop=stop)
        return dict((v['name'], data[v['address'].split('/')[0]]) for v in self.vips)

    # -- faults ---------------------------------------------------------------------------------------------
    def exec_podman(self, *args):
        # A container started or restarted here is looked up at once (pid() asks a stopped one only every second).
        self.pids.clear()
        return run(['podman'] + list(args))

    def systemctl(self, host, *args, **kwargs):
        return self.exec(host, 'systemctl', *args, **kwargs)

    def host_veth(self, host):
        index = self.exec(host, 'cat', '/sys/class/net/eth0/iflink').stdout.strip()
        for line in run(['ip', '-o', 'link', 'show']).stdout.splitlines():
            number, name = line.split(':')[0:2]
            if number.strip() == index:
                return name.strip().split('@')[0]
        raise AssertionError('no host side of %s eth0' % host)

    def fault(self, kind):
        """Fault the master (node1): 'stop' or 'kill' its daemon, take its 'link' down, stop its 'container', or
        lose its 'host': its bridge port goes down and its processes freeze (podman pause) at the same instant,
        so nothing it sends or answers reaches anyone (podman kill leaves its network namespace answering)."""
        if kind == 'stop':
            self.systemctl(self.node1, 'stop', *self.units)
        elif kind == 'kill':
            # Pacemaker: corosync, the membership, as the drill does (a SIGKILL of Pacemaker alone is restarted
            # within a second, and the survivor then fenced the member in some runs and not in others).
            self.systemctl(self.node1, 'kill', '--signal=SIGKILL',
                           *(['corosync'] if self.backend == 'pacemaker' else self.units))
        elif kind == 'link':
            self.exec(self.node1, 'ip', 'link', 'set', 'dev', 'eth0', 'down')
        elif kind == 'container':
            self.exec_podman('stop', '-t', '10', self.node1)
        elif kind == 'host':
            port = self.lost_port = self.host_veth(self.node1)  # podman exec cannot enter it while it is frozen
            self.lost.add(self.node1)
            pause = subprocess.Popen(['podman', 'pause', self.node1], stdout=subprocess.DEVNULL)
            down = run(['ip', 'link', 'set', 'dev', port, 'down'], check=False)
            if pause.wait() or down.returncode:
                self.undo('host')
                raise AssertionError('could not lose the host of %s (pause %d, port down %d)'
                                     % (self.node1, pause.returncode, down.returncode))
        else:
            raise ValueError('unknown fault %r' % kind)

    def prepare_fault(self, kind):
        """Before fault(kind), outside the measured time: where node1 will be fenced, when its container last
        started and how far the BMCs' log went."""
        if self.fenced(kind):
            self.started[self.node1] = self.started_at(self.node1)
            self.bmc_mark = len(self.bmcs.events())

    def started_at(self, host):
        return run(['podman', 'inspect', '--format', '{{.State.StartedAt}}', host]).stdout.strip()

    def check_fenced(self, kind):
        """After the takeover, where fault(kind) gets node1 fenced: its BMC has powered it off already (Pacemaker
        starts its resources elsewhere only once the fencing has succeeded)."""
        if self.fenced(kind):
            since = self.bmcs.events()[self.bmc_mark:]
            assert '%s: power off' % self.node1 in since, (
                'node2 took the VIPs before %s was fenced; the BMCs\' log since the fault:\n%s' % (self.node1, since))

    def fenced(self, kind):
        """Whether fault(kind) gets node1 fenced: it stops answering or its cluster stack dies, and the cluster
        fences. A graceful stop is no reason to fence."""
        return self.fences and kind in ('kill', 'link', 'host')

    def undo(self, kind):
        """Undo fault(kind): start the daemon, raise the link, or start the container and wait for its boot. Where
        the cluster fenced node1 (fenced(kind)), its BMC power-cycled it: wait for the new boot instead (and assert
        that it came; nothing else restarts the container)."""
        if self.fenced(kind):
            before = self.started[self.node1]
            try:
                self.wait(lambda: self.started_at(self.node1) != before, lab_fencing.REBOOT_BOUND,
                          '%s power-cycled by its BMC (fenced)' % self.node1)
            except AssertionError as error:
                raise AssertionError('%s; the BMCs\' log since the fault:\n%s'
                                     % (error, self.bmcs.events()[self.bmc_mark:]))
            self.lost.discard(self.node1)  # its old port went with the old container
            self.pids.clear()
            self.wait_booted(self.node1)
        elif kind in ('stop', 'kill'):
            self.systemctl(self.node1, 'start', *self.units)
        elif kind == 'link':
            self.exec(self.node1, 'ip', 'link', 'set', 'dev', 'eth0', 'up')
        elif kind == 'container':
            self.exec_podman('start', self.node1)
            self.wait_booted(self.node1)
        elif kind == 'host':
            # The host comes back as it was (a hang, not a reboot): its port comes up, then it thaws, so that it
            # finds its link up (ucarp exits when it sees its link down, and would come back only when systemd
            # restarts it).
            run(['ip', 'link', 'set', 'dev', self.lost_port, 'up'])
            run(['podman', 'unpause', self.node1], check=False)  # also after a pause that failed
            self.lost.discard(self.node1)
        else:
            raise ValueError('unknown fault %r' % kind)

    def partition(self):
        """Members cannot hear each other; the client still reaches both (a bridge filter on the host)."""
        first, second = self.host_veth(self.node1), self.host_veth(self.node2)
        table = 'hanet_faults_%s' % self.prefix
        run(['nft', 'add', 'table', 'bridge', table])
        run(['nft', 'add', 'chain', 'bridge', table, 'split',
             '{ type filter hook forward priority 0; policy accept; }'])
        for src, dst in ((first, second), (second, first)):
            run(['nft', 'add', 'rule', 'bridge', table, 'split', 'iifname', src, 'oifname', dst, 'drop'])

    def heal(self):
        run(['nft', 'delete', 'table', 'bridge', 'hanet_faults_%s' % self.prefix], check=False)

    def wait_booted(self, host, timeout=BOOT_BOUND):
        self.wait(lambda: self.exec(host, 'systemctl', 'is-system-running', check=False).stdout.strip()
                  in ('running', 'degraded'), timeout, '%s booted' % host)


ROWS_DIR = os.path.join(REPO, '.build', 'faults-rows')


def record(row):
    ROWS.append(row)


def keep_rows(backend, tables):
    """Keep this session's rows of ``backend`` (per table name) for the results files."""
    os.makedirs(ROWS_DIR, exist_ok=True)
    with open(os.path.join(ROWS_DIR, '%s.json' % backend), 'w') as handle:
        json.dump(dict((name, [r for r in rows if r.get('suite', r['backend']) == backend])
                       for name, rows in tables.items()), handle)


def kept_rows(table):
    """The rows of ``table`` every part of the suite kept (make test-faults runs one per backend), in the
    order of BACKENDS."""
    rows = []
    for backend in sorted(BACKENDS):
        path = os.path.join(ROWS_DIR, '%s.json' % backend)
        if os.path.exists(path):
            with open(path) as handle:
                rows += json.load(handle).get(table, [])
    return rows


def ran_alongside():
    """' The suite ran alongside ...' when make test ran it beside other suites (HANET_FAULTS_ALONGSIDE), else ''."""
    other = os.environ.get('HANET_FAULTS_ALONGSIDE')
    return (' The suite ran alongside %s on the same CPUs.' % other) if other else ''


def write_table(path, head, columns, keys, rows):
    """A results file: the ``head`` lines, then one table row per row (``keys`` in the order of ``columns``)."""
    lines = list(head) + ['| %s |' % ' | '.join(columns), '|%s' % ('---|' * len(columns))]
    lines += ['| %s |' % ' | '.join('%s' % row[key] for key in keys) for row in rows]
    with open(path, 'w') as handle:
        handle.write('\n'.join(lines) + '\n')


def write_results():
    rows = kept_rows('faults')
    if not rows:
        return
    head = ['# Fault suite results', '',
            '<!-- Written by tests/faults (make test-faults). Do not edit; rerun the suite. -->', '',
            'Generated %s by `make test-faults`: two members (priorities 150 and 100) and a client in the container '
            'lab, the master on Debian 13 and the backup on Debian 12 for keepalived, both on Debian 12 for ucarp, '
            'one vmac and one garp IPv4 VIP per backend, default profile (adverts every second). The client '
            'probes every VIP every 10 ms during a fault. Ansible connects over SSH on the lab network.%s'
            % (time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), ran_alongside()),
            '', 'Bounds (safety bounds, not figures): failover within %.1f s (3 missed adverts + skew + %d s for the '
            'scripts, the announcements and the lab\'s own commands), recovery after a heal or restart within %d s, a '
            'stopped member back within %d s. In the tracked-service row only the web VIP follows a service on each '
            'member (`%s`, interval %s s, fall %d, rise %d): it must move within the check\'s detection (fall x '
            'interval + timeout) plus the failover bound, lose at most the probes of the detection plus %.1f s, and '
            'api must stay and lose none.' % (FAILOVER_BOUND, FAILOVER_MARGIN, RECOVER_BOUND, BOOT_BOUND,
                                              SERVICE_CHECK['service'], SERVICE_CHECK['interval'],
                                              SERVICE_CHECK['fall'], SERVICE_CHECK['rise'], PROBE_FAILOVER_BOUND),
            '', 'The pacemaker rows ran on a cluster of their own, within its change matrix (both members Debian 12, '
            'Pacemaker 2.1, corosync\'s default token of %.0f s, one vmac and one garp VIP). The '
            'graceful stop and the partition ran without fencing (the partition\'s recovery bound is %d s: both '
            'members kept the addresses; Pacemaker stops them on both and starts them on node1). The rows marked '
            'fenced ran once the cluster fenced through the lab\'s BMCs (scripts/lab_bmc.py: IPMI on the host, '
            'reached by the packaged fence_ipmilan that the role installed; power off cuts the member\'s port and '
            'kills it, power on boots it after a %d s firmware delay): node2 fenced node1 before it took the VIPs, '
            'and node1 rebooted, rejoined and took them back. Their failover bound is token x 2.2 + 4 s + %d s for '
            'the fencing (%.1f s); without fencing it is %.1f s. The client probes Pacemaker\'s faults for as long '
            'as their bound, but the probe ends %d s after the VIPs settled once the cluster has no action left to '
            'run (crm_resource --wait), so the figures hold the failover and not what follows it.'
            % (PACEMAKER_TOKEN['default'], PACEMAKER_RECOVER_BOUND, lab_fencing.BOOT_DELAY, lab_fencing.FENCE_BOUND,
               pacemaker_failover_bound('default') + lab_fencing.FENCE_BOUND, pacemaker_failover_bound('default'),
               SETTLED_PROBE_SECONDS),
            '']
    write_table(RESULTS, head, ['backend', 'fault', 'one holder after (s)', 'bound (s)', 'probes lost web / api',
                                'outage ms web / api', 'client MAC right', 'client reaches VIPs', 'result'],
                ['backend', 'fault', 'settled', 'bound', 'lost', 'outage', 'mac', 'reach', 'result'], rows)
