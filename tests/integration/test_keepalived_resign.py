# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The keepalived role's ExecStopPost (roles/keepalived/files/keepalived-release and keepalived-resign) in a namespace.

keepalived died holding its VIPs (nothing runs here: the VIPs and vmacs it would leave behind are set up by
hand), systemd runs the release with the list the role renders, and the peer namespace captures what goes out
with tcpdump, which also decodes it (an independent decoder that checks the VRRP and IP checksums).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import time

import pytest

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FILES = os.path.join(REPO, 'roles', 'keepalived', 'files')
# The helper imports the collection's _vrrp: from the tree under test (scripts/bootstrap links it).
COLLECTIONS = os.path.join(REPO, '.build', 'collections')
VIP = '198.51.100.10'
VIP6 = '2001:db8::10'
PASSWORD = 'pw d#!8'


@pytest.fixture
def lab(lab_one):
    # Neither script uses pyroute2: one namespace pair is enough.
    lab_one.settle()  # the link-local address an IPv6 resignation comes from must not be tentative
    return lab_one


class Release:
    """The release and the resignation sender in a libexec directory of their own, with a list and passwords."""

    def __init__(self, lab, tmp_path):
        self.lab = lab
        self.tmp = tmp_path
        self.libexec = tmp_path / 'libexec'
        self.secrets = tmp_path / 'hanet-secrets'
        self.libexec.mkdir()
        self.secrets.mkdir(mode=0o700)
        for name in ('keepalived-release', 'keepalived-resign'):
            shutil.copy(os.path.join(FILES, name), str(self.libexec / name))
            os.chmod(str(self.libexec / name), 0o755)
        self.list = tmp_path / 'hanet-vips'

    def write(self, *lines):
        self.list.write_text('# rendered by the role in real life\n' + '\n'.join(lines) + '\n')

    def password(self, instance, text):
        path = self.secrets / ('%s.auth' % instance)
        # As roles/keepalived/templates/auth_pass.j2 writes it.
        path.write_text('auth_pass "%s"\n' % text)
        os.chmod(str(path), 0o600)
        return str(path)

    def run(self, lib_dir=COLLECTIONS):
        return subprocess.run(['ip', 'netns', 'exec', self.lab.ns, str(self.libexec / 'keepalived-release'),
                               str(self.list), lib_dir], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, check=False)

    def resign(self, *instances):
        env = dict(os.environ, HANET_KEEPALIVED_LIB_DIR=COLLECTIONS)
        return subprocess.run(['ip', 'netns', 'exec', self.lab.ns, 'python3', str(self.libexec / 'keepalived-resign'),
                               str(self.list)] + list(instances), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, env=env, check=False)


@pytest.fixture
def release(lab, tmp_path):
    return Release(lab, tmp_path)


class Capture:
    """tcpdump on the peer's interface, for IP protocol 112; decode() reads the packets back with tcpdump -vv."""

    def __init__(self, lab, tmp_path):
        assert shutil.which('tcpdump'), 'tcpdump is missing; run scripts/bootstrap'
        self.path = str(tmp_path / ('capture-%d.pcap' % time.time_ns()))
        # As root (Debian's tcpdump drops to its own user, which cannot write here), each packet at once.
        self.proc = subprocess.Popen(['ip', 'netns', 'exec', lab.peer, 'tcpdump', '-Z', 'root', '--immediate-mode',
                                      '-i', 'peer0', '-U', '-n', '-w', self.path, 'ip proto 112 or ip6 proto 112'],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, universal_newlines=True)
        line = self.proc.stderr.readline()
        assert 'listening on' in line, line

    def decode(self, settle=0.5):
        time.sleep(settle)
        self.proc.terminate()
        self.proc.wait(timeout=10)
        out = subprocess.run(['tcpdump', '-r', self.path, '-nn', '-vv', '-e'], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True, check=True).stdout
        return [' '.join(entry.split()) for entry in out.replace('\n    ', ' ').splitlines()]


@pytest.fixture
def capture(lab, tmp_path):
    started = []

    def start():
        started.append(Capture(lab, tmp_path))
        return started[-1]
    yield start
    for cap in started:
        if cap.proc.poll() is None:
            cap.proc.kill()
            cap.proc.wait()


def addresses(lab, dev):
    return [(a['local'], a['prefixlen']) for a in lab.addresses(dev)]


def link_local(lab, ns, dev):
    return [a['local'] for a in lab.addresses(dev, ns) if a.get('scope') == 'link' and a['family'] == 'inet6'][0]


def test_shellcheck_clean():
    assert shutil.which('shellcheck'), 'shellcheck is missing; run scripts/bootstrap'
    proc = subprocess.run(['shellcheck', '--severity=style', os.path.join(FILES, 'keepalived-release')],
                          stdout=subprocess.PIPE, universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stdout


def test_a_vrrpv2_master_that_died_resigns_with_its_password_then_lets_go(lab, release, capture):
    auth = release.password('VI_web', PASSWORD)
    release.write('address %s/24 eth0 VI_web' % VIP,
                  'vrrp VI_web interface=eth0 family=4 version=2 vrid=51 advert_int=3 vips=%s auth=PASS auth_file=%s'
                  % (VIP, auth))
    lab.ip(lab.ns, 'addr', 'add', VIP + '/24', 'dev', 'eth0')
    mac = lab.link('eth0')['address']
    cap = capture()
    run = release.run()
    assert run.returncode == 0, run.stderr
    packets = cap.decode()
    assert len(packets) == 2, packets  # twice, 20 ms apart
    for packet in packets:
        assert 'bad' not in packet, packet
        assert (' %s > 01:00:5e:00:00:12' % mac) in packet, packet
        assert 'tos 0xc0, ttl 255' in packet and 'proto VRRP (112)' in packet, packet
        # From the member's own address, not the VIP it still held.
        assert ('198.51.100.2 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 0, authtype simple, intvl 3s, '
                'length 20, addrs: 198.51.100.10 auth "%s"' % PASSWORD) in packet, packet
    assert addresses(lab, 'eth0')[0] == ('198.51.100.2', 24) and (VIP, 24) not in addresses(lab, 'eth0')


def test_the_helper_never_prints_the_password(lab, release):
    auth = release.password('VI_web', PASSWORD)
    release.write('address %s/24 eth0 VI_web' % VIP,
                  'vrrp VI_web interface=eth0 family=4 version=2 vrid=51 advert_int=1 vips=%s auth=PASS auth_file=%s'
                  % (VIP, auth))
    sent = release.resign('VI_web')
    assert sent.returncode == 0, sent.stdout
    assert 'VI_web: sent VRRPv2 priority 0 for VRID 51 on eth0 from 198.51.100.2 to 224.0.0.18' in sent.stdout
    assert PASSWORD not in sent.stdout
    os.unlink(auth)  # a missing password file: not resigned, and said so (naming the file only)
    failed = release.resign('VI_web')
    assert failed.returncode == 1 and 'VI_web: not resigned' in failed.stdout and PASSWORD not in failed.stdout


def test_vrrpv3_ipv4_and_ipv6_from_the_link_local_address(lab, release, capture):
    release.write('address %s/24 eth0 VI_web' % VIP, 'address %s/64 eth0 VI_web6' % VIP6,
                  'vrrp VI_web interface=eth0 family=4 version=3 vrid=52 advert_int=0.1 vips=%s' % VIP,
                  'vrrp VI_web6 interface=eth0 family=6 version=3 vrid=53 advert_int=1 vips=%s' % VIP6)
    lab.ip(lab.ns, 'addr', 'add', VIP + '/24', 'dev', 'eth0')
    lab.ip(lab.ns, 'addr', 'add', VIP6 + '/64', 'dev', 'eth0', 'nodad')
    own6 = link_local(lab, lab.ns, 'eth0')
    cap = capture()
    run = release.run()
    assert run.returncode == 0, run.stderr
    packets = cap.decode()
    v4 = [p for p in packets if 'vrid 52' in p]
    v6 = [p for p in packets if 'vrid 53' in p]
    assert len(v4) == 2 and len(v6) == 2, packets
    for packet in v4:
        assert 'ttl 255' in packet and 'bad' not in packet, packet
        assert ('198.51.100.2 > 224.0.0.18: VRRPv3, Advertisement, vrid 52, prio 0, intvl 10cs, length 12, '
                'addrs: 198.51.100.10') in packet, packet
    for packet in v6:
        assert '33:33:00:00:00:12' in packet and 'hlim 255' in packet and 'bad' not in packet, packet
        assert ('%s > ff02::12: VRRPv3, Advertisement, vrid 53, prio 0, intvl 100cs, length 24, addrs: %s'
                % (own6, VIP6)) in packet, packet
    assert VIP not in [a for a, dummy in addresses(lab, 'eth0')]
    assert VIP6 not in [a for a, dummy in addresses(lab, 'eth0')]


def test_unicast_goes_to_each_peer_from_the_unicast_source(lab, release, capture):
    lab.ip(lab.peer, 'addr', 'add', '198.51.100.3/24', 'dev', 'peer0')  # a second peer, on the same wire here
    release.write('address %s/24 eth0 VI_uni' % VIP,
                  'vrrp VI_uni interface=eth0 family=4 version=3 vrid=54 advert_int=1 vips=%s '
                  'unicast_src=198.51.100.2 unicast_peers=198.51.100.1,198.51.100.3' % VIP)
    lab.ip(lab.ns, 'addr', 'add', VIP + '/24', 'dev', 'eth0')
    cap = capture()
    run = release.run()
    assert run.returncode == 0, run.stderr
    packets = cap.decode()
    for peer in ('198.51.100.1', '198.51.100.3'):
        to_peer = [p for p in packets if '198.51.100.2 > %s: VRRPv3' % peer in p]
        assert len(to_peer) == 2, packets
        for packet in to_peer:
            assert 'vrid 54, prio 0, intvl 100cs' in packet and 'bad' not in packet, packet
    assert not [p for p in packets if '224.0.0.18' in p], 'a unicast instance must not advertise to the group'


def test_a_vmac_instance_resigns_from_the_parent_and_its_vmac_goes(lab, release, capture):
    release.write('address %s/24 vrrp.55 VI_vmac' % VIP, 'vmac vrrp.55 eth0',
                  'vrrp VI_vmac interface=eth0 family=4 version=2 vrid=55 advert_int=1 vips=%s' % VIP)
    lab.ip(lab.ns, 'link', 'add', 'link', 'eth0', 'name', 'vrrp.55', 'address', '00:00:5e:00:01:37', 'type',
           'macvlan', 'mode', 'private')
    lab.ip(lab.ns, 'addr', 'add', VIP + '/24', 'dev', 'vrrp.55')
    lab.ip(lab.ns, 'link', 'set', 'vrrp.55', 'up')
    mac = lab.link('eth0')['address']
    cap = capture()
    run = release.run()
    assert run.returncode == 0, run.stderr
    packets = cap.decode()
    assert len(packets) == 2, packets
    for packet in packets:
        assert (' %s > 01:00:5e:00:00:12' % mac) in packet, packet  # the parent's MAC, not the VMAC
        assert '198.51.100.2 > 224.0.0.18: VRRPv2, Advertisement, vrid 55, prio 0, authtype none' in packet, packet
    assert lab.link('vrrp.55') is None


def test_nothing_is_sent_for_what_is_not_held_here(lab, release, capture):
    """A graceful stop (keepalived sent priority 0 and removed its VIPs) or a backup: the release sends nothing;
    with two instances, only the one still holding its VIP resigns."""
    release.write('address %s/24 eth0 VI_web' % VIP, 'address 198.51.100.11/24 eth0 VI_api',
                  'vrrp VI_web interface=eth0 family=4 version=2 vrid=51 advert_int=1 vips=%s' % VIP,
                  'vrrp VI_api interface=eth0 family=4 version=2 vrid=56 advert_int=1 vips=198.51.100.11')
    cap = capture()
    run = release.run()
    assert run.returncode == 0, run.stderr
    assert cap.decode() == []

    lab.ip(lab.ns, 'addr', 'add', '198.51.100.11/24', 'dev', 'eth0')
    cap = capture()
    assert release.run().returncode == 0
    packets = cap.decode()
    assert len(packets) == 2 and all('vrid 56, prio 0' in p for p in packets), packets


def test_a_resignation_that_cannot_be_sent_never_keeps_the_vip(lab, release, capture):
    release.write('address %s/24 eth0 VI_web' % VIP,
                  'vrrp VI_web interface=eth0 family=4 version=2 vrid=51 advert_int=1 vips=%s' % VIP)
    lab.ip(lab.ns, 'addr', 'add', VIP + '/24', 'dev', 'eth0')
    cap = capture()
    run = release.run(lib_dir=str(release.tmp / 'nowhere'))  # the helper cannot import the frame builder
    assert run.returncode == 0, run.stderr
    assert cap.decode(settle=0.2) == []
    assert VIP not in [a for a, dummy in addresses(lab, 'eth0')]


def test_an_old_list_without_instances_still_releases(lab, release):
    """A list rendered before the resignation existed (address lines without the instance): release only."""
    release.write('address %s/24 eth0' % VIP)
    lab.ip(lab.ns, 'addr', 'add', VIP + '/24', 'dev', 'eth0')
    run = release.run()
    assert run.returncode == 0, run.stderr
    assert VIP not in [a for a, dummy in addresses(lab, 'eth0')]


# A real keepalived on each side: the master in the target namespace is killed (SIGKILL, as a crash), the release
# resigns for it, and the backup in the peer namespace must take over within its skew time, a fraction of its
# master-down interval. Needs keepalived on PATH (or HANET_TEST_KEEPALIVED naming one); skipped without.
KEEPALIVED = os.environ.get('HANET_TEST_KEEPALIVED') or shutil.which('keepalived')

# name: (version, advert_int, family, password, unicast). The backup's priority is 100: its skew is 0.61 s for
# VRRPv2 and 0.61 x advert_int for VRRPv3, its master-down interval 3 x advert_int + skew (9.6 s and 7.2 s here).
REAL_CASES = {
    'v2-pass': (2, 3, 4, PASSWORD, False),
    'v3-ipv4': (3, 2, 4, None, False),
    'v3-ipv6': (3, 2, 6, None, False),
    'v3-unicast': (3, 2, 4, None, True),
}


def keepalived_conf(interface, priority, state, version, advert, family, password, unicast, own, peer):
    vip = '%s/%s dev %s' % ((VIP6, 64, interface) if family == 6 else (VIP, 24, interface))
    lines = ['global_defs {', '    router_id %s' % interface, '    enable_script_security', '}',
             'vrrp_instance VI_test {', '    state %s' % state, '    interface %s' % interface,
             '    virtual_router_id 51', '    priority %d' % priority, '    advert_int %s' % advert,
             '    version %d' % version]
    if password:
        lines += ['    authentication {', '        auth_type PASS', '        auth_pass "%s"' % password, '    }']
    if unicast:
        lines += ['    unicast_src_ip %s' % own, '    unicast_peer {', '        %s' % peer, '    }']
    lines += ['    virtual_ipaddress {', '        %s' % vip, '    }', '}']
    return '\n'.join(lines) + '\n'


class Keepalived:
    """keepalived -n in a namespace, its log lines collected with the time each arrived."""

    def __init__(self, ns, tmp_path, name, conf):
        import threading
        path = tmp_path / ('%s.conf' % name)
        path.write_text(conf)
        os.chmod(str(path), 0o600)
        self.lines = []
        self.proc = subprocess.Popen(['ip', 'netns', 'exec', ns, KEEPALIVED, '-n', '-l', '-D', '-P', '-f', str(path),
                                      '-p', str(tmp_path / ('%s.pid' % name)),
                                      '-r', str(tmp_path / ('%s-vrrp.pid' % name))],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                                     start_new_session=True)
        self.reader = threading.Thread(target=self._read)
        self.reader.daemon = True
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append((time.time(), line.rstrip('\n')))

    def wait_for(self, text, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for stamp, line in list(self.lines):
                if text in line:
                    return stamp
            time.sleep(0.02)
        raise AssertionError('keepalived did not log %r in %ss:\n%s' % (text, timeout, self.log()))

    def log(self):
        return '\n'.join(line for dummy, line in self.lines)

    def kill(self):
        """SIGKILL to every keepalived process (parent and VRRP child), as a crash: nothing is sent or removed."""
        import signal
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


@pytest.mark.skipif(not KEEPALIVED, reason='keepalived is not installed here (the lab and the fault suite run it)')
@pytest.mark.parametrize('case', sorted(REAL_CASES))
def test_a_real_backup_takes_over_within_its_skew_after_the_master_was_killed(lab, release, tmp_path, case):
    version, advert, family, password, unicast = REAL_CASES[case]
    own, peer = '198.51.100.2', '198.51.100.1'
    started = []
    try:
        backup = Keepalived(lab.peer, tmp_path, 'backup', keepalived_conf('peer0', 100, 'BACKUP', version, advert,
                                                                          family, password, unicast, peer, own))
        started.append(backup)
        master = Keepalived(lab.ns, tmp_path, 'master', keepalived_conf('eth0', 200, 'MASTER', version, advert, family,
                                                                        password, unicast, own, peer))
        started.append(master)
        master.wait_for('Entering MASTER STATE', 15)
        backup.wait_for('Entering BACKUP STATE', 15)
        time.sleep(advert + 0.5)  # the backup has heard the master's adverts since
        assert 'Entering MASTER STATE' not in backup.log(), backup.log()

        master.kill()
        address = VIP6 if family == 6 else VIP
        assert address in [a for a, dummy in addresses(lab, 'eth0')], 'the killed master should have left its VIP'
        fields = 'interface=eth0 family=%d version=%d vrid=51 advert_int=%s vips=%s' % (
            family, version, advert, address)
        if password:
            fields += ' auth=PASS auth_file=%s' % release.password('VI_test', password)
        if unicast:
            fields += ' unicast_src=%s unicast_peers=%s' % (own, peer)
        release.write('address %s/%d eth0 VI_test' % (address, 64 if family == 6 else 24), 'vrrp VI_test ' + fields)

        start = time.time()
        run = release.run()
        assert run.returncode == 0, run.stderr
        took_over = backup.wait_for('Entering MASTER STATE', 15) - start
        assert 'Backup received priority 0 advertisement' in backup.log(), backup.log()
        skew = (256 - 100) / 256.0 * (advert if version == 3 else 1)
        master_down = 3 * advert + skew
        # Python's start and the sending take a few tenths; without the resignation it would be at least
        # master_down - advert after the kill.
        assert took_over < skew + 1.0 < master_down - advert, (took_over, skew, master_down, backup.log())
        assert address not in [a for a, dummy in addresses(lab, 'eth0')]
        assert address in [a['local'] for a in lab.addresses('peer0', lab.peer)]
    finally:
        for daemon in started:
            daemon.kill()
