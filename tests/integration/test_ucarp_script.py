# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ucarp role's up/down script (roles/ucarp/files/ucarp-vip) against real netlink in a namespace.

ucarp runs it as ``ucarp-up|ucarp-down IFACE VIP INSTANCE``; here it runs the same way inside the
target namespace, with the settings file the role would render, and the peer plays the client.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import hmac
import os
import shutil
import socket
import struct
import subprocess
import threading
import time
import uuid

import pytest

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FILES = os.path.join(REPO, 'roles', 'ucarp', 'files')
SCRIPT = os.path.join(FILES, 'ucarp-vip')
# The announce script imports the collection's _announce: from the tree under test (scripts/bootstrap links it).
COLLECTIONS = os.path.join(REPO, '.build', 'collections')
VIP = '198.51.100.10'
VMAC = '02:5e:00:00:01:33'
WRONG = '02:00:00:00:00:99'


class Script:
    """Runs ucarp-vip in the target namespace with its own settings and script directories."""

    def __init__(self, lab, tmp_path):
        self.lab = lab
        self.instance = 'test-' + uuid.uuid4().hex[:8]
        self.conf_dir = tmp_path / 'conf'
        self.libexec = tmp_path / 'libexec'
        self.run_dir = tmp_path / 'run'
        self.conf_dir.mkdir()
        self.libexec.mkdir()
        self.run_dir.mkdir()
        for name in ('ucarp-vip', 'announce', 'carp-resign'):
            shutil.copy(os.path.join(FILES, name), str(self.libexec / name))
            os.chmod(str(self.libexec / name), 0o755)
        for name in ('ucarp-up', 'ucarp-down'):
            os.symlink('ucarp-vip', str(self.libexec / name))

    def configure(self, mac_mode='garp', **extra):
        lines = ['UCARP_INTERFACE=eth0', 'UCARP_ADDR=%s' % VIP, 'UCARP_PREFIX=24', 'UCARP_ADVBASE=1',
                 'HANET_MAC_MODE=%s' % mac_mode, 'HANET_GARP_COUNT=1', 'HANET_GARP_INTERVAL=0',
                 'HANET_GARP_REFRESH=0']
        if mac_mode == 'vmac':
            lines += ['HANET_VMAC_INTERFACE=ucarp.51', 'HANET_VMAC=%s' % VMAC]
        lines += ['%s=%s' % item for item in sorted(extra.items())]
        (self.conf_dir / ('%s.conf' % self.instance)).write_text('\n'.join(lines) + '\n')

    def password(self, text):
        (self.conf_dir / ('%s.pass' % self.instance)).write_text(text)

    def run(self, action, vip=VIP, by_ucarp=True):
        """up/down as ucarp runs them (ucarp-up, ucarp-down) unless by_ucarp is false; other actions as systemd."""
        env = dict(os.environ, HANET_UCARP_CONF_DIR=str(self.conf_dir), HANET_UCARP_LIBEXEC_DIR=str(self.libexec),
                   HANET_UCARP_LIB_DIR=COLLECTIONS, HANET_UCARP_RUN_DIR=str(self.run_dir))
        command = [str(self.libexec / ('ucarp-' + action))] if action in ('up', 'down') and by_ucarp else \
            [str(self.libexec / 'ucarp-vip'), action]
        return subprocess.run(['ip', 'netns', 'exec', self.lab.ns] + command + ['eth0', vip, self.instance],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, env=env,
                              check=False)

    def vip_on(self, dev):
        return [a for a in self.lab.addresses(dev) if a['local'] == VIP]


@pytest.fixture
def lab(lab_one):
    # The script does not use pyroute2: one namespace pair is enough.
    return lab_one


@pytest.fixture
def script(lab, tmp_path):
    return Script(lab, tmp_path)


def ping(lab, address):
    return subprocess.run(['ip', 'netns', 'exec', lab.peer, 'ping', '-c', '2', '-i', '0.2', '-W', '1', address],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False).returncode == 0


def stale_peer_entry(lab):
    lab.ip(lab.peer, 'neigh', 'replace', VIP, 'lladdr', WRONG, 'dev', 'peer0', 'nud', 'stale')
    time.sleep(1.1)  # past the neighbour locktime, so an announcement may override the entry


def test_shellcheck_clean():
    assert shutil.which('shellcheck'), 'shellcheck is missing; run scripts/bootstrap'
    proc = subprocess.run(['shellcheck', '--severity=style', SCRIPT], stdout=subprocess.PIPE, universal_newlines=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout


def test_garp_up_adds_and_announces_down_removes_both_idempotent(lab, script):
    script.configure('garp')
    stale_peer_entry(lab)
    up = script.run('up')
    assert up.returncode == 0, up.stderr
    assert [(a['local'], a['prefixlen']) for a in script.vip_on('eth0')] == [(VIP, 24)]
    assert lab.neighbour(VIP)[0] == lab.link('eth0')['address'], 'the peer was not told the new MAC'
    assert ping(lab, VIP)

    again = script.run('up')
    assert again.returncode == 0, again.stderr
    assert len(script.vip_on('eth0')) == 1

    for dummy in range(2):
        down = script.run('down')
        assert down.returncode == 0, down.stderr
        assert script.vip_on('eth0') == []
    assert [(a['local'], a['prefixlen']) for a in lab.addresses('eth0') if a['family'] == 'inet'] == \
        [('198.51.100.2', 24)], 'the host address was touched'


def test_vmac_up_raises_the_macvlan_and_down_takes_it_down(lab, script):
    script.configure('vmac')
    stale_peer_entry(lab)
    routes_before = lab.ip(lab.ns, 'route', 'show').stdout
    up = script.run('up')
    assert up.returncode == 0, up.stderr
    link = lab.link('ucarp.51')
    assert link['linkinfo']['info_kind'] == 'macvlan' and link['linkinfo']['info_data']['mode'] == 'private'
    assert link['address'] == VMAC and link['link'] == 'eth0' and 'UP' in link['flags']
    assert len(script.vip_on('ucarp.51')) == 1 and script.vip_on('eth0') == []
    assert lab.ip(lab.ns, 'route', 'show').stdout == routes_before, 'the VIP added a route (noprefixroute expected)'
    assert lab.sysctl('net/ipv4/conf/ucarp.51/arp_ignore') == 1
    assert lab.sysctl('net/ipv4/conf/ucarp.51/rp_filter') == 2
    assert lab.neighbour(VIP)[0] == VMAC, 'the peer was not taught the virtual MAC'
    # The real outcome: the peer reaches the VIP through the virtual MAC.
    assert ping(lab, VIP)

    assert script.run('up').returncode == 0 and len(script.vip_on('ucarp.51')) == 1

    down = script.run('down')
    assert down.returncode == 0, down.stderr
    link = lab.link('ucarp.51')
    assert link is not None and 'UP' not in link['flags'], 'the macvlan must stay, down'
    assert script.vip_on('ucarp.51') == []
    assert script.run('down').returncode == 0

    up = script.run('up')
    assert up.returncode == 0, up.stderr
    assert 'UP' in lab.link('ucarp.51')['flags'] and len(script.vip_on('ucarp.51')) == 1


def vmac_rounds(frames):
    """The times of the announcement rounds from the virtual MAC (a round: the request and reply forms)."""
    rounds = []
    for frame in sorted(frames, key=lambda f: f['time']):
        if frame['kind'] == 'arp' and frame['sha'] == VMAC and frame['spa'] == VIP and \
                (not rounds or frame['time'] - rounds[-1] > 0.2):
            rounds.append(frame['time'])
    return rounds


def test_vmac_up_announces_every_half_second_for_three_adverts(lab, script):
    """Until the old holder hears the new one's advert and lets go, a frame it sends from the virtual MAC points
    the switch back at its port, and ucarp's own announcement (the parent's MAC) follows two adverts after the
    takeover: the up script announces again every half second for three adverts (UCARP_ADVBASE 1 here)."""
    script.configure('vmac')
    collected = lab.capture(8)
    up = script.run('up')  # returns once the refresher ends (it keeps the pipes; HANET_GARP_REFRESH is 0)
    ended = time.time()
    assert up.returncode == 0, up.stderr
    rounds = vmac_rounds(collected())
    gaps = [later - earlier for earlier, later in zip(rounds, rounds[1:])]
    assert len(rounds) == 7, 'expected the up announcement and 6 more: %s' % gaps
    # Generous bounds: 0.5 s apart plus a python start each.
    assert max(gaps) < 1.5 and rounds[-1] - rounds[0] >= 2.5, gaps
    assert rounds[-1] <= ended


def test_the_vmac_refresher_stops_when_the_vip_leaves(lab, script):
    script.configure('vmac')
    collected = lab.capture(6)
    up = threading.Thread(target=script.run, args=('up',))
    up.start()
    deadline = time.time() + 10
    while (lab.link('ucarp.51') is None or not script.vip_on('ucarp.51')) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(1)
    down = script.run('down')
    gone = time.time()
    assert down.returncode == 0, down.stderr
    up.join(30)
    rounds = vmac_rounds(collected())
    assert len(rounds) >= 2, 'the refresher did not announce while the VIP was held: %s' % rounds
    # A round already started may still arrive (one python start); none after that.
    assert [at for at in rounds if at > gone + 1.0] == [], 'announced the virtual MAC after the VIP left'


def test_a_quick_second_hold_gets_its_own_half_second_announcements(lab, script):
    """Lost and taken back within a second (a flap): the first hold's refresher, in the middle of its rounds, must
    end with the down, not go on with its own schedule nor keep the second hold's refresher from its rounds."""
    script.configure('vmac')
    first = threading.Thread(target=script.run, args=('up',))
    first.start()
    deadline = time.time() + 10
    while (lab.link('ucarp.51') is None or not script.vip_on('ucarp.51')) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(1.2)  # two of its six rounds done
    collected = lab.capture(7)
    # The capture starts before the down: a round of the first hold may land in between, and is not the down's.
    down_at = time.time()
    assert script.run('down').returncode == 0
    second = script.run('up')
    assert second.returncode == 0, second.stderr
    first.join(10)
    assert not first.is_alive(), 'the first refresher did not end'
    rounds = [at for at in vmac_rounds(collected()) if at >= down_at]
    # A round of the first hold already started at the down may still arrive, within one python start (as in the
    # test above; it did, under make test's load): then it is the first, and its own schedule goes no further.
    if len(rounds) == 8 and rounds[0] <= down_at + 1.0:
        rounds = rounds[1:]
    assert len(rounds) == 7, 'expected the second up and its 6 rounds, got %d: %s (down at %s)' % (
        len(rounds), rounds, down_at)


def test_vmac_refuses_an_interface_that_is_not_a_macvlan(lab, script):
    lab.ip(lab.ns, 'link', 'add', 'ucarp.51', 'type', 'veth', 'peer', 'name', 'other1')
    script.configure('vmac')
    before = lab.snapshot()
    up = script.run('up')
    assert up.returncode == 1
    assert lab.snapshot() == before, 'a refused run changed the host'


def test_vmac_refuses_a_macvlan_on_another_parent(lab, script):
    lab.ip(lab.ns, 'link', 'add', 'other0', 'type', 'veth', 'peer', 'name', 'other1')
    lab.ip(lab.ns, 'link', 'add', 'link', 'other0', 'name', 'ucarp.51', 'type', 'macvlan')
    script.configure('vmac')
    before = lab.snapshot()
    assert script.run('up').returncode == 1
    assert lab.snapshot() == before


@pytest.mark.parametrize('mac_mode', ['garp', 'vmac'])
def test_a_failing_step_undoes_the_run(lab, script, mac_mode):
    script.configure(mac_mode)
    # The announce step fails: the run must leave nothing behind.
    (script.libexec / 'announce').write_text('import sys\nsys.exit(1)\n')
    before = lab.snapshot()
    up = script.run('up')
    assert up.returncode == 1
    assert lab.snapshot() == before, 'a failed up left %s' % up.stderr


def test_refuses_a_vip_its_settings_do_not_name(lab, script):
    script.configure('garp')
    before = lab.snapshot()
    assert script.run('up', vip='198.51.100.77').returncode == 1
    assert lab.snapshot() == before


def test_refuses_an_unknown_instance(lab, script):
    before = lab.snapshot()
    assert script.run('up').returncode == 1  # no settings file written
    assert lab.snapshot() == before


@pytest.mark.parametrize('mac_mode', ['garp', 'vmac'])
def test_a_handover_keeps_the_vip_until_release(lab, script, mac_mode):
    script.configure(mac_mode)
    device = 'eth0' if mac_mode == 'garp' else 'ucarp.51'
    assert script.run('up').returncode == 0
    marker = script.run_dir / ('handover-%s' % script.instance)
    marker.write_text('')
    down = script.run('down')
    assert down.returncode == 0, down.stderr
    assert len(script.vip_on(device)) == 1, 'down released the VIP during a handover'
    release = script.run('release')
    assert release.returncode == 0, release.stderr
    assert script.vip_on(device) == [] and not marker.exists()
    if mac_mode == 'vmac':
        assert 'UP' not in lab.link('ucarp.51')['flags']


def carp_frames(collected):
    return [f for f in collected() if f['kind'] == 'carp']


@pytest.mark.parametrize('mac_mode', ['garp', 'vmac'])
def test_resign_sends_an_authenticated_last_advertisement_only_from_the_holder(lab, script, mac_mode):
    """ExecStop's resign: advbase 255 / advskew 255 from the holder, with ucarp's HMAC; nothing elsewhere."""
    script.configure(mac_mode, UCARP_SRCIP='198.51.100.2', UCARP_VHID='51')
    script.password('s3cret-pw\n')
    collected = lab.capture(2)
    assert script.run('resign').returncode == 0
    assert carp_frames(collected) == [], 'a member without the VIP resigned'

    assert script.run('up').returncode == 0
    collected = lab.capture(3, frames=8)
    resign = script.run('resign')
    assert resign.returncode == 0, resign.stderr
    adverts = carp_frames(collected)
    assert len(adverts) == 2, adverts
    for advert in adverts:
        assert (advert['version'], advert['type'], advert['vhid'], advert['advbase'], advert['advskew'],
                advert['authlen']) == (2, 1, 51, 255, 255, 7)
        assert (advert['src_ip'], advert['dst_ip'], advert['ttl']) == ('198.51.100.2', '224.0.0.18', 255)
        assert advert['ip_and_carp_sum'] == 0xFFFF, 'a checksum is wrong'
        # ucarp's digest (carp_hmac_prepare/generate): HMAC-SHA1 keyed with the password's first line over
        # version, type, VHID, the VIP and the counter, written here from the protocol, not from _carp.py.
        message = struct.pack('!BBB', 2, 1, 51) + socket.inet_aton(VIP) + bytes.fromhex(advert['counter'])
        assert advert['md'] == hmac.new(b's3cret-pw', message, hashlib.sha1).hexdigest()
    assert script.vip_on('eth0' if mac_mode == 'garp' else 'ucarp.51') != [], 'resign alone must not drop the VIP'
    # systemd's ExecStopPost after that stop: the VIP goes, and no second resignation (with three members it
    # would make the other backups contend again).
    collected = lab.capture(2)
    assert script.run('down', by_ucarp=False).returncode == 0
    assert carp_frames(collected) == []
    assert script.vip_on('eth0' if mac_mode == 'garp' else 'ucarp.51') == []


def test_down_after_ucarp_died_resigns_but_ucarps_own_down_does_not(lab, script):
    script.configure('garp', UCARP_SRCIP='198.51.100.2', UCARP_VHID='51')
    script.password('s3cret-pw')
    assert script.run('up').returncode == 0
    collected = lab.capture(2)
    assert script.run('down').returncode == 0  # as ucarp runs it: ucarp-down
    assert carp_frames(collected) == []
    assert script.vip_on('eth0') == []

    assert script.run('up').returncode == 0
    collected = lab.capture(3, frames=8)
    env_down = script.run('down', by_ucarp=False)  # as systemd's ExecStopPost runs it
    assert env_down.returncode == 0, env_down.stderr
    assert len(carp_frames(collected)) == 2, 'systemd\'s down (ucarp killed, VIP still here) did not resign'
    assert script.vip_on('eth0') == []


def test_announce_repeats_the_gratuitous_arp_only_where_the_vip_is_held(lab, script):
    """After a maintenance handover the new holder announces again (playbooks/tasks/maintenance_*.yml)."""
    script.configure('vmac')
    collected = lab.capture(2)
    assert script.run('announce').returncode == 0
    assert [f for f in collected() if f['kind'] == 'arp'] == [], 'announced a VIP this member does not hold'
    assert script.run('up').returncode == 0
    stale_peer_entry(lab)
    collected = lab.capture(3, frames=2)
    again = script.run('announce')
    assert again.returncode == 0, again.stderr
    frames = [f for f in collected() if f['kind'] == 'arp']
    assert frames and all(f['sha'] == VMAC and f['spa'] == VIP for f in frames), frames
    assert lab.neighbour(VIP)[0] == VMAC


def test_the_end_of_a_handover_does_not_resign(lab, script):
    """ucarp-vip release (the drain's last step) runs when the successor already holds the VIP: no advert."""
    script.configure('garp', UCARP_SRCIP='198.51.100.2', UCARP_VHID='51')
    script.password('s3cret-pw')
    assert script.run('up').returncode == 0
    (script.run_dir / ('handover-%s' % script.instance)).write_text('')
    collected = lab.capture(2)
    assert script.run('release').returncode == 0
    assert carp_frames(collected) == []
    assert script.vip_on('eth0') == []


# Day 2: the role rewrites the settings before it restarts ucarp, so a stop must release what is held, not what
# the new settings name (a garp -> vmac change used to leave the old address on eth0: two holders).
@pytest.mark.parametrize('before, after', [('garp', 'vmac'), ('vmac', 'garp')])
def test_a_stop_after_a_mode_change_releases_what_is_held(lab, script, before, after):
    script.configure(before)
    assert script.run('up').returncode == 0
    script.configure(after)
    down = script.run('down', by_ucarp=False)  # systemd's ExecStopPost, with the new settings
    assert down.returncode == 0, down.stderr
    assert script.vip_on('eth0') == [], 'the old garp address stayed: %s' % down.stderr
    if lab.link('ucarp.51') is not None:
        assert script.vip_on('ucarp.51') == [] and 'UP' not in lab.link('ucarp.51')['flags']
    assert not (script.run_dir / ('held-%s' % script.instance)).exists()


def test_an_up_under_new_settings_lets_the_old_hold_go_first(lab, script):
    script.configure('garp')
    assert script.run('up').returncode == 0
    script.configure('vmac')
    up = script.run('up')
    assert up.returncode == 0, up.stderr
    assert script.vip_on('eth0') == [], 'the VIP is on eth0 and on the macvlan'
    assert len(script.vip_on('ucarp.51')) == 1
    assert ping(lab, VIP)


def test_an_address_change_releases_the_old_address_when_ucarp_lets_go(lab, script):
    script.configure('garp')
    assert script.run('up').returncode == 0
    script.configure('garp', UCARP_ADDR='198.51.100.11')
    # The running ucarp still has the old address and passes it to its down script.
    down = script.run('down')
    assert down.returncode == 0, down.stderr
    assert script.vip_on('eth0') == []
    # Without a record (or for an address neither names) it is still refused.
    assert script.run('down', vip='198.51.100.77').returncode == 1


def test_a_stale_handover_marker_does_not_keep_the_vip(lab, script):
    script.configure('garp')
    assert script.run('up').returncode == 0
    marker = script.run_dir / ('handover-%s' % script.instance)
    marker.write_text('')
    old = time.time() - 3600
    os.utime(str(marker), (old, old))  # left by a drain that failed an hour ago
    down = script.run('down')
    assert down.returncode == 0, down.stderr
    assert script.vip_on('eth0') == [] and not marker.exists()


def test_the_hooks_dispatcher_hears_each_state_once_the_change_is_done(lab, script, tmp_path, monkeypatch):
    heard = tmp_path / 'heard'
    recorder = tmp_path / 'recorder'
    # It also records whether the VIP was already up or gone when the hook ran.
    recorder.write_text('#!/bin/sh\necho "$1 $2 $(ip -o -4 addr show to %s | wc -l)" >> %s\n' % (VIP, heard))
    held = tmp_path / 'health-held'
    held.mkdir()
    monkeypatch.setenv('HANET_UCARP_HEALTH_RUN_DIR', str(held))
    # A program and its leading argument, as the cluster role gives it (/usr/bin/python3 DISPATCHER).
    script.configure('garp', HANET_NOTIFY='/bin/sh %s' % recorder)
    steps = [('up', True), ('down', True), ('up', True), ('handover', None), ('down', True), ('release', False),
             ('up', True), ('announce', False), ('resign', False), ('down', False), ('up', True), ('health', None),
             ('down', False)]
    for action, by_ucarp in steps:
        if action == 'handover':
            (script.run_dir / ('handover-%s' % script.instance)).write_text('')
        elif action == 'health':
            (held / script.instance).write_text('')
        else:
            proc = script.run(action, by_ucarp=by_ucarp)
            assert proc.returncode == 0, (action, proc.stderr)
    name = script.instance
    assert heard.read_text().splitlines() == [
        '%s master 1' % name, '%s backup 0' % name,  # ucarp's own up and down
        '%s master 1' % name, '%s backup 0' % name,  # a handover's down keeps the VIP and says nothing; release
        '%s master 1' % name, '%s stop 0' % name,    # announce and resign say nothing; systemd's down after ucarp
        '%s master 1' % name, '%s fault 0' % name,   # stopped by its health
    ]
