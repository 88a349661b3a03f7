# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fencing for the lab's Pacemaker clusters: the lab's BMCs (scripts/lab_bmc.py, one IPMI endpoint per member on
the host's address on the lab network) and the fence devices that reach them with the packaged fence_ipmilan, as
an inventory for real servers would name them. The role installs the agent (cluster_pacemaker_fence_packages) from
the lab's repository; the lab image never holds it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import secrets
import subprocess
import sys

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BMC = os.path.join(REPO, 'scripts', 'lab_bmc.py')
# The host's address on the lab network (scripts/lab's HOST_ADDRESS): the BMCs listen there and nowhere else.
BMC_ADDRESS = '198.51.100.254'
# A member's BMC port: this plus the last octet of its address (lab addresses are unique across the suites).
BMC_PORT_BASE = 6000
BMC_USER = 'fence'
# What a member installs for fence_ipmilan, per Debian release (scripts/lab's FENCE_PACKAGES puts them in the lab's
# repository).
FENCE_PACKAGES = {'bookworm': ['fence-agents', 'ipmitool'], 'trixie': ['fence-agents-ipmilan']}
# Seconds a fencing takes at most beyond the detection: fence_ipmilan's reboot is status, off, power_wait (2 s),
# status until off, on, power_wait, status until on (each ipmitool call well under a second here), then the DC
# starts the resources elsewhere.
FENCE_BOUND = 20
# Seconds from a BMC's power on to the member's boot (scripts/lab_bmc.py: the firmware's time, shorter than a
# server's; long enough for the fencing to complete before the member rejoins).
BOOT_DELAY = 10
# Seconds from the fault until the fenced member is booting again, at most: the detection, the fencing, the delay.
REBOOT_BOUND = 60


def port_of(address):
    return BMC_PORT_BASE + int(address.split('.')[-1])


class LabBmcs:
    """The BMCs of some lab members (container name -> address), served by one scripts/lab_bmc.py process."""

    def __init__(self, tmp_dir, members):
        self.dir = os.path.join(tmp_dir, 'bmc')
        self.members = dict(members)
        self.log = os.path.join(self.dir, 'bmc.log')
        # IPMI 2.0 passwords are 20 bytes at most (ipmitool refuses longer ones).
        self.password = secrets.token_hex(8)
        self.proc = None

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        password_file = os.path.join(self.dir, 'password')
        fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as handle:
            handle.write(self.password)
        config = os.path.join(self.dir, 'bmc.json')
        with open(config, 'w') as handle:
            json.dump({'address': BMC_ADDRESS, 'user': BMC_USER, 'password_file': password_file, 'log': self.log,
                       'boot_delay': BOOT_DELAY,
                       'members': dict((name, port_of(ip)) for name, ip in self.members.items())}, handle)
        self.proc = subprocess.Popen([sys.executable, BMC, config], stdout=subprocess.PIPE, universal_newlines=True)
        line = self.proc.stdout.readline().strip()
        if line != 'ready':
            self.stop()
            raise AssertionError('the lab BMCs did not start (%r); see %s' % (line, self.log))

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def events(self):
        """The BMCs' log so far (power commands, never the password)."""
        try:
            with open(self.log) as handle:
                return handle.read()
        except OSError:
            return ''

    def devices(self):
        """cluster_pacemaker_stonith_devices: one fence_ipmilan device per member, reaching that member's BMC."""
        return [{'id': 'hanet-fence-%s' % name, 'agent': 'stonith:fence_ipmilan',
                 'params': {'ip': BMC_ADDRESS, 'ipport': str(port_of(ip)), 'lanplus': '1',
                            # pyghmi's BMC speaks cipher suite 3 only; ipmitool 1.8.19 asks for 17 by default.
                            'cipher': '3', 'username': BMC_USER, 'pcmk_host_list': name},
                 'secret_params': {'password': self.password}}
                for name, ip in sorted(self.members.items())]

    def settings(self, suite):
        """The inventory's fencing variables for members of that Debian release."""
        return {'cluster_pacemaker_stonith_devices': self.devices(),
                'cluster_pacemaker_fence_packages': FENCE_PACKAGES[suite],
                'cluster_pacemaker_fencing_disabled_risk_accepted': False}
