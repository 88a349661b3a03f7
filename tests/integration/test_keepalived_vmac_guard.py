# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The keepalived role's vmac guard (roles/keepalived/files/keepalived-vmac-guard) in a namespace pair.

keepalived's vmac interface has accept_local 1 (keepalived sets it), so the kernel answers a gratuitous ARP request
for an address it holds there: at a handover the member stepping down answered the new master's announcements
from the virtual MAC. The guard sets drop_gratuitous_arp on the vmac interfaces the role's list names, also on one
that appears only later (keepalived creates them after it starts), and on nothing else. The peer namespace sends
the gratuitous ARP and counts the replies.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GUARD = os.path.join(REPO, 'roles', 'keepalived', 'files', 'keepalived-vmac-guard')
VIP = '198.51.100.10'
VMAC = '00:00:5e:00:01:41'

# Run in the peer namespace: one gratuitous ARP request for VIP from the peer's MAC; prints the replies heard.
GARP = r'''
import socket, struct, sys, time
dev, vip = sys.argv[1], socket.inet_aton(sys.argv[2])
mac = bytes.fromhex(open('/sys/class/net/%s/address' % dev).read().strip().replace(':', ''))
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
sock.bind((dev, 0x0806))
sock.send(b'\xff' * 6 + mac + b'\x08\x06' + struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + mac + vip + b'\x00' * 6 + vip)
sock.settimeout(0.1)
replies, end = 0, time.time() + 0.6
while time.time() < end:
    try:
        frame = sock.recv(2048)
    except socket.timeout:
        continue
    if frame[20:22] == b'\x00\x02' and frame[28:32] == vip:
        replies += 1
print(replies)
'''


def sh(*args):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=True)


def vmac_like(lab, name, address):
    """A macvlan as keepalived makes its vmac: the VRRP MAC, the VIP, accept_local 1, rp_filter 0, arp_ignore 1."""
    sh('ip', '-n', lab.ns, 'link', 'add', name, 'link', 'eth0', 'address', VMAC, 'type', 'macvlan', 'mode', 'private')
    for key, value in (('accept_local', 1), ('rp_filter', 0), ('arp_ignore', 1)):
        sh('ip', 'netns', 'exec', lab.ns, 'sysctl', '-q', '-w', 'net.ipv4.conf.%s.%s=%d' % (name.replace('.', '/'), key, value))
    sh('ip', '-n', lab.ns, 'addr', 'add', address, 'dev', name)
    sh('ip', '-n', lab.ns, 'link', 'set', name, 'up')


def replies(lab):
    return int(sh('ip', 'netns', 'exec', lab.peer, sys.executable, '-c', GARP, 'peer0', VIP).stdout.strip())


def drops(lab, name):
    return lab.sysctl('net.ipv4.conf.%s.drop_gratuitous_arp' % name.replace('.', '/'))


def wait_for(condition, timeout=10):
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_guard_stops_answers_to_gratuitous_arp_on_vmacs_only(lab_one, tmp_path):
    lab = lab_one
    vmac_like(lab, 'vrrp.65', VIP + '/24')
    assert replies(lab) >= 1, 'the kernel did not answer the gratuitous ARP at all: the test proves nothing'
    guard = tmp_path / 'keepalived-vmac-guard'
    shutil.copy(GUARD, str(guard))
    os.chmod(str(guard), 0o755)
    listing = tmp_path / 'hanet-vips'
    listing.write_text('# rendered by the role in real life\n'
                       'address %s/24 vrrp.65 VI_web\nvmac vrrp.65 eth0\n'
                       'address 198.51.100.11/24 vrrp.66 VI_api\nvmac vrrp.66 eth0\n'
                       'vmac bad/name eth0\n' % VIP)
    before_eth0 = drops(lab, 'eth0')
    start = time.time()
    sh('ip', 'netns', 'exec', lab.ns, str(guard), str(listing))
    assert time.time() - start < 2, 'the guard must not hold up keepalived start'
    assert wait_for(lambda: drops(lab, 'vrrp.65') == 1)
    assert replies(lab) == 0
    # keepalived creates its vmacs after it starts: one that appears a second later is guarded too.
    time.sleep(1)
    sh('ip', '-n', lab.ns, 'link', 'add', 'vrrp.66', 'link', 'eth0', 'type', 'macvlan', 'mode', 'private')
    assert wait_for(lambda: drops(lab, 'vrrp.66') == 1)
    # Nothing the list does not name.
    assert drops(lab, 'eth0') == before_eth0 == 0


def test_guard_without_a_list_does_nothing(lab_one, tmp_path):
    proc = subprocess.run(['ip', 'netns', 'exec', lab_one.ns, GUARD, str(tmp_path / 'missing')],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    assert proc.returncode == 0
    assert drops(lab_one, 'eth0') == 0
