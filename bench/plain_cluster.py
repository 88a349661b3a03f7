# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bench's anchors: keepalived and ucarp as their own documentation sets them up, without this collection.

Same lab, members, client, VIP addresses and faults as the bench's other clusters (lab_cluster.Cluster), but each
member gets its daemon from the lab's package repository with apt and a configuration an administrator would
write from the daemon's own documentation: keepalived with VRRPv2, adverts every second, priorities 150 and 100
and the VIPs on eth0 (keepalived announces them with its own gratuitous ARPs); ucarp with its defaults (advbase 1,
deadratio 3), the backup's advskew 100, --preempt, --shutdown (the down script runs when ucarp exits) and up/down
scripts that add and delete the address. No vmac (neither daemon's default), no release on a crash, no
resignation, no ranked priorities, no extra announcements: what the collection adds is measured against this.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import lab_cluster

KEEPALIVED_CONF = """vrrp_instance VI_%(name)s {
    state BACKUP
    interface eth0
    virtual_router_id %(vrid)d
    priority %(priority)d
    advert_int 1
    virtual_ipaddress {
        %(address)s dev eth0
    }
}
"""
UCARP_UNIT = """[Unit]
Description=ucarp for %i (plain, bench anchor)
After=network-online.target

[Service]
EnvironmentFile=/etc/ucarp-plain/%i.env
ExecStart=/usr/sbin/ucarp --interface=eth0 --srcip=${SRCIP} --vhid=${VHID} --addr=${ADDR} \
    --passfile=/etc/ucarp-plain/%i.pass --advskew=${ADVSKEW} --preempt --shutdown --upscript=/etc/ucarp-plain/vip-up --downscript=/etc/ucarp-plain/vip-down
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""
VIP_UP = '#!/bin/sh\nexec /sbin/ip addr add "$2"/24 dev "$1"\n'
VIP_DOWN = '#!/bin/sh\nexec /sbin/ip addr del "$2"/24 dev "$1"\n'


class PlainCluster(lab_cluster.Cluster):
    """lab_cluster.Cluster deployed by hand instead of by playbooks/cluster.yml (see the module docstring).
    Its VIPs are all garp (the daemons' default); the bench's VIP names stay (web, api)."""

    def __init__(self, backend, tmp_dir, spec=None, name=None, settings=None):
        spec = dict(spec, vips=[dict(v, mac_mode='garp') for v in spec['vips']])
        super(PlainCluster, self).__init__(backend, tmp_dir, spec=spec, name=name, settings=settings)

    @property
    def units(self):
        return ['keepalived'] if self.backend == 'keepalived' else ['ucarp-plain@%s' % v['name'] for v in self.vips]

    def write_inventory(self):
        pass  # no Ansible here

    def playbook(self, *extra, **kwargs):
        raise AssertionError('the plain anchor cluster is not managed by playbooks')

    def put(self, host, path, text, mode='0644'):
        lab_cluster.run(['podman', 'exec', '-i', host, 'sh', '-c',
                         'mkdir -p "$(dirname "$1")" && umask 077 && cat > "$1" && chmod %s "$1"' % mode, '-', path],
                        input=text)

    def deploy(self):
        package = 'keepalived' if self.backend == 'keepalived' else 'ucarp'
        for host in self.members:
            self.exec(host, 'sh', '-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive '
                      'apt-get install -y -qq %s >/dev/null' % package)
            priority = self.priorities[host]
            if self.backend == 'keepalived':
                conf = ''.join(KEEPALIVED_CONF % dict(vip, priority=priority) for vip in self.vips)
                self.put(host, '/etc/keepalived/keepalived.conf', conf, '0600')
                self.systemctl(host, 'enable', '--now', 'keepalived')
                self.systemctl(host, 'restart', 'keepalived')
            else:
                self.put(host, '/etc/systemd/system/ucarp-plain@.service', UCARP_UNIT)
                self.put(host, '/etc/ucarp-plain/vip-up', VIP_UP, '0755')
                self.put(host, '/etc/ucarp-plain/vip-down', VIP_DOWN, '0755')
                skew = 0 if priority == max(self.priorities.values()) else 100
                for vip in self.vips:
                    self.put(host, '/etc/ucarp-plain/%s.env' % vip['name'], 'SRCIP=%s\nVHID=%d\nADDR=%s\nADVSKEW=%d\n'
                             % (self.ips[host], vip['vrid'], vip['address'].split('/')[0], skew))
                    self.put(host, '/etc/ucarp-plain/%s.pass' % vip['name'], vip['auth_pass'], '0600')
                self.systemctl(host, 'daemon-reload')
                for unit in self.units:
                    self.start_unit(host, unit)
        self.wait(lambda: self.holders_are([self.node1]), lab_cluster.BOOT_BOUND,
                  'node1 to hold every VIP after the deploy', stable=3)

    def start_unit(self, host, unit):
        """Enable and start a unit; once, under the bench's load, systemd failed a start with "unavailable
        resources": then its journal goes to the bench's log and the start is tried once more."""
        proc = self.systemctl(host, 'enable', '--now', unit, check=False)
        if proc.returncode:
            journal = self.exec(host, 'journalctl', '-u', unit, '-n', '30', '--no-pager', check=False).stdout
            print('[%s] %s on %s failed to start (%s); its journal:\n%s\nstarting it again'
                  % (self.name, unit, host, proc.stderr.strip(), journal), flush=True)
            self.systemctl(host, 'reset-failed', unit, check=False)
            self.systemctl(host, 'start', unit)

    def settled_on(self, host):
        """Without the collection a crashed or frozen master keeps its addresses: the failover is done when
        ``host`` holds every VIP, whoever else does."""
        return all(host in holders for holders in self.holders().values())
