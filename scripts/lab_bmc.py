# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's BMCs: the power control a real server has beside its host, for Pacemaker's fence agent.

    .venv/bin/python scripts/lab_bmc.py CONFIG

One IPMI-over-LAN (lanplus) endpoint per lab member, all on the host's own address on the lab network
(198.51.100.254, never reachable from outside the machine), one UDP port each. Members fence each other with the
packaged ``fence_ipmilan`` (fence-agents), as they would fence real servers through their BMCs: the BMC is outside
the host it powers, so a host that is frozen, has lost its link or has killed its own cluster stack is still
powered off.

What a power command does to the member (its container):
- off: its host is gone at once: its bridge port goes down (nothing it sends reaches anyone from that instant, as
  with a real power cut; ``podman kill`` alone leaves the network namespace answering for a while), then the
  container is killed (SIGKILL to every process, frozen ones included).
- on: after boot_delay seconds (a server's firmware takes a minute or more before its OS starts), the container
  starts, which boots it as a machine boots: systemd, then whatever it enables (corosync and Pacemaker, if the role
  enabled them). A BMC reports the chassis on from the command; the boot takes its time. Without the delay a member
  came back within 3 s, rejoined before fence_ipmilan had finished its reboot (off, 2 s, on, 2 s, status), was told
  that it had just been fenced, and shut its cluster stack down for good ("We were allegedly just fenced"), which
  no server that takes a minute to boot ever meets.
- cycle, reset: off, then on.
The chassis state the BMC reports is the one last commanded (or, at start, whether the container runs), as a real
BMC reports chassis power, not whether the OS has booted. One IPMI loop serves every member. A power off finds the
member's port and takes it down in that loop, before the BMC answers (a power cut is immediate; a few podman and ip
calls, well under a second); the kill and the start run in order in a worker per member, off the loop, so that a
slow ``podman start`` never holds up the answers.

CONFIG (JSON, written by the lab's harness) holds no secret itself::

    {"address": "198.51.100.254", "user": "fence", "password_file": "/path/0600-file",
     "members": {"CONTAINER": PORT, ...}, "log": "/path/bmc.log", "boot_delay": 10}

The password is read from password_file, which must be readable by its owner only: never on a command line (note
that fence_ipmilan itself passes it to ipmitool with -P; see the README). The process prints ``ready`` once every
endpoint listens, logs each power command to ``log`` (never the password), and runs until killed.
"""

import json
import os
import queue
import stat
import subprocess
import sys
import threading
import time

from pyghmi.ipmi import bmc as pyghmi_bmc


def log(message):
    sys.stderr.write('%s lab_bmc: %s\n' % (time.strftime('%H:%M:%S'), message))
    sys.stderr.flush()


def podman(*args, check=True):
    # A bound on every call: a worker stuck on one would leave its member's later commands undone.
    result = subprocess.run(['podman'] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, check=False, timeout=120)
    if check and result.returncode:
        raise RuntimeError('podman %s: %s' % (' '.join(args), result.stderr.strip()))
    return result


def container_state(name):
    """'running', 'paused', 'exited' ... or 'missing'."""
    result = podman('inspect', '--format', '{{.State.Status}}', name, check=False)
    return result.stdout.strip() if result.returncode == 0 else 'missing'


def is_up(name):
    """Whether the container runs (frozen counts: a hung host is still powered)."""
    return container_state(name) in ('running', 'paused')


def bridge_port(name):
    """The host side of the container's eth0, read through its network namespace (a frozen container can't exec)."""
    sandbox = podman('inspect', '--format', '{{.NetworkSettings.SandboxKey}}', name).stdout.strip()
    if not sandbox:
        return None
    line = subprocess.run(['nsenter', '--net=%s' % sandbox, 'ip', '-o', 'link', 'show', 'dev', 'eth0'],
                          stdout=subprocess.PIPE, universal_newlines=True, check=False, timeout=30).stdout
    # "2: eth0@if23: <...>": the peer's index on the host.
    peer = line.split(':')[1].strip().partition('@if')[2] if line else ''
    for host_line in subprocess.run(['ip', '-o', 'link', 'show'], stdout=subprocess.PIPE,
                                    universal_newlines=True, check=False, timeout=30).stdout.splitlines():
        index, name_part = host_line.split(':')[0:2]
        if index.strip() == peer:
            return name_part.strip().split('@')[0]
    return None


class MemberBmc(pyghmi_bmc.Bmc):
    """The BMC of one lab member."""

    def __init__(self, container, authdata, address, port, boot_delay):
        super(MemberBmc, self).__init__(authdata, port=port, address=address)
        self.container = container
        self.boot_delay = boot_delay
        self.powered = is_up(container)
        self.lock = threading.Lock()
        self.work = queue.Queue()
        threading.Thread(target=self.worker, daemon=True).start()

    # -- the chassis ------------------------------------------------------------------------------------------
    def get_power_state(self):
        return 'on' if self.powered else 'off'

    def power_off(self):
        with self.lock:
            self.powered = False
            # Whatever was commanded before: a container that runs (started by someone else) is cut too, so that
            # an "off" this BMC confirms is always true.
            if not is_up(self.container):
                log('%s: power off (already off)' % self.container)
            else:
                # The power cut: the port first, at once, in this thread; the kill may take a moment.
                port = bridge_port(self.container)
                if port:
                    subprocess.run(['ip', 'link', 'set', 'dev', port, 'down'], check=False)
                log('%s: power off (port %s down)' % (self.container, port or '-'))
            self.work.put('kill')
        return 0

    def power_on(self):
        with self.lock:
            self.powered = True
            log('%s: power on' % self.container)
            # The worker starts the container unless it runs (whatever was commanded before).
            self.work.put('start')
        return 0

    def power_cycle(self):
        self.power_off()
        return self.power_on()

    power_reset = power_cycle

    def get_system_guid(self):
        return self.uuid

    # -- the member's container, in order ------------------------------------------------------------------------
    def worker(self):
        while True:
            action = self.work.get()
            try:
                if action == 'kill':
                    if is_up(self.container):
                        podman('kill', self.container)
                        podman('wait', self.container, check=False)
                    log('%s: off (%s)' % (self.container, container_state(self.container)))
                elif action == 'start':
                    if is_up(self.container):
                        continue
                    time.sleep(self.boot_delay)
                    with self.lock:
                        powered = self.powered
                    if not powered:  # powered off again during the firmware's delay
                        log('%s: not started (powered off again)' % self.container)
                        continue
                    podman('start', self.container)
                    log('%s: started (booting)' % self.container)
            except Exception as error:  # pylint: disable=broad-except
                log('%s: %s failed: %s' % (self.container, action, error))


def read_password(path):
    mode = os.stat(path).st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SystemExit('lab_bmc: %s must be readable by its owner only (chmod 0600)' % path)
    with open(path) as handle:
        return handle.read().strip()


def main(argv):
    if len(argv) != 2:
        raise SystemExit(__doc__.split('\n\n')[1])
    with open(argv[1]) as handle:
        config = json.load(handle)
    if config.get('log'):
        sys.stderr = open(config['log'], 'a', buffering=1)
    authdata = {config['user']: read_password(config['password_file'])}
    for container, port in sorted(config['members'].items()):
        MemberBmc(container, authdata, config['address'], int(port), float(config.get('boot_delay', 10)))
        log('%s: BMC at %s port %s' % (container, config['address'], port))
    sys.stdout.write('ready\n')
    sys.stdout.flush()
    pyghmi_bmc.Bmc.listen(timeout=30)


if __name__ == '__main__':
    main(sys.argv)
