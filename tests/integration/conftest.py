# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real-netlink integration tests: modules run through ansible-playbook inside network namespaces.

Every test gets two fresh namespaces joined by a veth pair: the target
(``eth0``, 198.51.100.2/24, 2001:db8::2/64) where the playbook runs, and a
peer (``peer0``, 198.51.100.1/24, 2001:db8::1/64) that plays the client and
captures frames. Nothing leaves the namespaces.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
VENV_BIN = os.path.dirname(sys.executable)

# One run per pyroute2 generation: the venv has 0.9 from PyPI, Debian 12's python3 has 0.7.
PYTHONS = [
    pytest.param(sys.executable, id='pyroute2-pypi'),
    pytest.param('/usr/bin/python3', id='pyroute2-debian'),
]


def sh(*args, **kwargs):
    check = kwargs.pop('check', True)
    proc = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          check=False, **kwargs)
    if check and proc.returncode:
        raise AssertionError('%s failed (%d): %s %s' % (' '.join(args), proc.returncode, proc.stdout, proc.stderr))
    return proc


class PlaybookRun:
    def __init__(self, proc, records):
        self.rc = proc.returncode
        self.output = proc.stdout + proc.stderr
        self.records = records

    @property
    def result(self):
        """The result of the last task."""
        return self.records[-1]['result']

    @property
    def failed(self):
        return any(rec['status'] == 'failed' for rec in self.records)

    @property
    def changed(self):
        return sum(1 for rec in self.records if rec['result'].get('changed'))


class Namespaces:
    def __init__(self, tmp_path, python):
        tag = uuid.uuid4().hex[:8]
        self.ns, self.peer = 'hanet-t-' + tag, 'hanet-p-' + tag
        self.tmp = tmp_path
        self.python = python
        sh('ip', 'netns', 'add', self.ns)
        sh('ip', 'netns', 'add', self.peer)
        sh('ip', 'link', 'add', 'eth0', 'netns', self.ns, 'type', 'veth', 'peer', 'name', 'peer0', 'netns', self.peer)
        for ns, dev, v4, v6 in ((self.ns, 'eth0', '198.51.100.2/24', '2001:db8::2/64'),
                                (self.peer, 'peer0', '198.51.100.1/24', '2001:db8::1/64')):
            self.ip(ns, 'link', 'set', 'lo', 'up')
            self.ip(ns, 'addr', 'add', v4, 'dev', dev)
            self.ip(ns, 'addr', 'add', v6, 'dev', dev, 'nodad')
            self.ip(ns, 'link', 'set', dev, 'up')
        self.carrier()

    def carrier(self, timeout=10):
        """Wait until both ends of the veth have carrier: it comes a moment after both are up, and a snapshot
        taken before it would see NO-CARRIER go away during the test (a change no module made)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            flags = [self.link('eth0').get('flags', []), self.link('peer0', self.peer).get('flags', [])]
            if all('LOWER_UP' in f and 'NO-CARRIER' not in f for f in flags):
                return
            time.sleep(0.05)
        raise AssertionError('the veth pair has no carrier after %ss' % timeout)

    def close(self):
        for ns in (self.ns, self.peer):
            sh('ip', 'netns', 'del', ns, check=False)

    # Kernel state, read with iproute2 (independent of the code under test).
    def ip(self, ns, *args, **kwargs):
        return sh('ip', '-n', ns, *args, **kwargs)

    def ip_json(self, ns, *args):
        out = sh('ip', '-n', ns, '-j', '-d', *args).stdout
        return json.loads(out) if out.strip() else []

    def link(self, name, ns=None):
        proc = sh('ip', '-n', ns or self.ns, '-j', '-d', 'link', 'show', 'dev', name, check=False)
        return json.loads(proc.stdout)[0] if proc.returncode == 0 else None

    def addresses(self, dev, ns=None):
        data = self.ip_json(ns or self.ns, 'addr', 'show', 'dev', dev)
        return data[0]['addr_info'] if data else []

    def snapshot(self):
        """Links and addresses of the target namespace, for 'nothing changed' assertions."""
        links = self.ip_json(self.ns, 'link', 'show')
        for link in links:
            for volatile in ('operstate', 'linkinfo', 'stats64', 'promiscuity', 'allmulti'):
                link.pop(volatile, None)
        addrs = self.ip_json(self.ns, 'addr', 'show')
        return {
            'links': sorted((lk['ifname'], lk.get('address'), lk.get('mtu'), tuple(lk.get('flags', []))) for lk in links),
            'addrs': sorted((a['ifname'], i['local'], i['prefixlen'], i.get('label'))
                            for a in addrs for i in a.get('addr_info', [])),
        }

    def settle(self, timeout=10):
        """Wait until no address in either namespace is tentative.

        Right after a veth comes up the kernel's duplicate address detection can
        miss a duplicate (seen here: 7 of 20 within 0.7 s of link-up, none after
        1 s); a test of DAD must start from settled links.
        """
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not any(info.get('tentative') for ns in (self.ns, self.peer)
                       for link in self.ip_json(ns, 'addr', 'show') for info in link.get('addr_info', [])):
                return
            time.sleep(0.1)
        raise AssertionError('addresses still tentative after %ss' % timeout)

    def sysctl(self, name, ns=None):
        return int(sh('ip', 'netns', 'exec', ns or self.ns, 'sysctl', '-n', name).stdout.strip())

    def neighbour(self, address, dev='peer0'):
        """The peer's neighbour entry for an address: (lladdr, state) or None."""
        entries = self.ip_json(self.peer, 'neigh', 'show', 'to', address, 'dev', dev)
        return (entries[0].get('lladdr'), entries[0].get('state')) if entries else None

    def capture(self, seconds, frames=0):
        """Capture ARP/NA frames on the peer for ``seconds`` (or until ``frames`` arrived); call the result."""
        proc = subprocess.Popen(['ip', 'netns', 'exec', self.peer, sys.executable,
                                 os.path.join(HERE, 'frame_capture.py'), 'peer0', str(seconds)] +
                                ([str(frames)] if frames else []),
                                stdout=subprocess.PIPE, universal_newlines=True)
        assert proc.stdout.readline().strip() == 'ready'

        def collected():
            out = proc.communicate(timeout=seconds + 30)[0]
            return json.loads(out)
        return collected

    def play(self, tasks, check=False, diff=True):
        """Run tasks with ansible-playbook inside the target namespace; return a PlaybookRun."""
        name = uuid.uuid4().hex[:8]
        playbook = self.tmp / ('play-%s.yml' % name)
        playbook.write_text(json.dumps([{'hosts': 'target', 'gather_facts': False, 'tasks': tasks}]))
        inventory = self.tmp / 'inventory.ini'
        inventory.write_text('target ansible_connection=local ansible_python_interpreter=%s\n' % self.python)
        results = self.tmp / ('results-%s.jsonl' % name)
        env = dict(os.environ)
        env.update({
            'HANET_TEST_RESULTS': str(results),
            'ANSIBLE_CALLBACK_PLUGINS': os.path.join(HERE, 'callback_plugins'),
            'ANSIBLE_CALLBACKS_ENABLED': 'hanet_test_results',
            'ANSIBLE_COLLECTIONS_PATH': os.path.join(REPO, '.build', 'collections'),
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_LOCALHOST_WARNING': 'false',
            'ANSIBLE_RETRY_FILES_ENABLED': 'false',
            'PATH': VENV_BIN + os.pathsep + env.get('PATH', ''),
        })
        cmd = ['ip', 'netns', 'exec', self.ns, os.path.join(VENV_BIN, 'ansible-playbook'), '-i', str(inventory),
               str(playbook)]
        if check:
            cmd.append('--check')
        if diff:
            cmd.append('--diff')
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, env=env,
                              check=False)
        records = []
        if results.exists():
            records = [json.loads(line) for line in results.read_text().splitlines()]
        run = PlaybookRun(proc, records)
        assert records, 'ansible-playbook produced no task results:\n' + run.output
        return run

    def module(self, _module, check=False, **args):
        """Run one hanet.failover module as a task (failures are recorded, not raised)."""
        return self.play([{'name': _module, 'hanet.failover.' + _module: args, 'ignore_errors': True}], check=check)


@pytest.fixture(scope='session', autouse=True)
def _requirements():
    if os.geteuid() != 0:
        pytest.fail('the integration tests create network namespaces and must run as root')
    for tool in ('ip', 'sysctl'):
        if not shutil.which(tool):
            pytest.fail('%s is missing; run scripts/bootstrap' % tool)
    if sh('/usr/bin/python3', '-c', 'import pyroute2', check=False).returncode:
        pytest.fail("Debian's python3-pyroute2 is missing; run scripts/bootstrap")


@pytest.fixture(params=PYTHONS)
def lab(request, tmp_path):
    namespaces = Namespaces(tmp_path, request.param)
    yield namespaces
    namespaces.close()


@pytest.fixture
def lab_one(tmp_path):
    """One namespace pair (venv python), for code that does not use pyroute2."""
    namespaces = Namespaces(tmp_path, sys.executable)
    yield namespaces
    namespaces.close()
