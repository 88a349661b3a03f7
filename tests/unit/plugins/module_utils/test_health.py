# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Health checks (plugins/module_utils/_health.py): validation that names the field, the probes against real local
sockets, HTTP servers and programs, and the rise/fall state that decides whether a member may hold a VIP."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import os
import socket
import subprocess
import threading

import pytest

from ansible_collections.hanet.failover.plugins.module_utils import _health


def run_program(argv, timeout):
    # As roles/cluster/files/hanet-health runs the programs of service and script checks.
    return subprocess.call(argv, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


probe = functools.partial(_health.probe, run=run_program)

try:
    from http.server import BaseHTTPRequestHandler, HTTPServer
except ImportError:  # pragma: no cover
    pytest.skip('Python 3 only', allow_module_level=True)

LABEL = 'cluster_vips[web].track'


def resolved(**check):
    return _health.resolved_check(check, LABEL + '[0]')


def test_defaults_and_names():
    assert resolved(service='haproxy') == {
        'kind': 'service', 'target': 'haproxy.service', 'name': 'service_haproxy_service', 'interval': 1,
        'timeout': 1, 'rise': 2, 'fall': 2, 'weight': None}
    check = resolved(tcp=8080, interval=0.2, fall=3, weight=10, name='api-port')
    assert (check['target'], check['timeout'], check['fall'], check['weight'], check['name']) == \
        ('127.0.0.1:8080', 0.2, 3, 10, 'api-port')
    assert resolved(tcp='[2001:db8::1]:443')['target'] == '2001:db8::1:443'
    assert resolved(http='https://127.0.0.1:8443/health')['name'] == 'http_health'
    assert resolved(script='/usr/local/bin/check-db', interval=5, timeout=2)['timeout'] == 2


@pytest.mark.parametrize('check, field, words', [
    ({}, 'track[0]', 'exactly one of service, tcp, http, script'),
    ({'service': 'a', 'tcp': 80}, 'track[0]', 'exactly one'),
    ({'service': 'no such unit'}, 'track[0].service', 'not a systemd unit name'),
    ({'tcp': 0}, 'track[0].tcp', 'out of range'),
    ({'tcp': 'host:'}, 'track[0].tcp', 'not PORT or HOST:PORT'),
    ({'tcp': ':80'}, 'track[0].tcp', 'no host'),
    ({'http': 'ftp://x/'}, 'track[0].http', 'not an http'),
    ({'script': 'check db'}, 'track[0].script', 'absolute path'),
    ({'script': '/usr/bin/check db'}, 'track[0].script', 'no spaces'),
    ({'script': '/opt/../bin/sh'}, 'track[0].script', 'no ..'),
    ({'script': '/bin/check', 'interval': 0.5}, 'track[0].interval', 'out of range; give 1'),
    ({'tcp': 80, 'interval': -1}, 'track[0].interval', 'out of range'),
    ({'tcp': 80, 'interval': 'often'}, 'track[0].interval', 'not a number'),
    ({'tcp': 80, 'interval': 1, 'timeout': 2}, 'track[0].timeout', 'longer than the interval'),
    ({'tcp': 80, 'rise': 0}, 'track[0].rise', 'out of range'),
    ({'tcp': 80, 'fall': 1.5}, 'track[0].fall', 'not a whole number'),
    ({'tcp': 80, 'weight': 0}, 'track[0].weight', 'out of range'),
    ({'tcp': 80, 'weight': True}, 'track[0].weight', 'not a number'),
    ({'tcp': 80, 'name': 'bad name'}, 'track[0].name', 'not a usable name'),
    ({'tcp': 80, 'every': 1}, 'track[0]', 'unknown field every'),
])
def test_bad_checks_name_the_field(check, field, words):
    with pytest.raises(_health.HealthError) as error:
        _health.resolved_check(check, LABEL + '[0]')
    message = str(error.value)
    assert message.startswith('cluster_vips[web].' + field + ':') or message.startswith('cluster_vips[web].' + field)
    assert words in message


def test_check_lists():
    assert _health.resolved_checks(None, LABEL) == []
    with pytest.raises(_health.HealthError, match=r'track: give a list'):
        _health.resolved_checks({'tcp': 80}, LABEL)
    with pytest.raises(_health.HealthError, match=r'track\[1\]\.name: tcp_127_0_0_1_80 is used twice'):
        _health.resolved_checks([{'tcp': 80}, {'tcp': '127.0.0.1:80'}], LABEL)


def test_detection_bound():
    assert _health.detection_bound(resolved(tcp=80, interval=0.5, fall=3, timeout=0.2)) == pytest.approx(1.7)


@pytest.fixture
def listener():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    sock.listen(5)
    yield sock.getsockname()[1]
    sock.close()


def test_tcp_probe_against_a_real_port(listener):
    assert _health.probe(resolved(tcp=listener, timeout=0.5))
    closed = socket.socket()
    closed.bind(('127.0.0.1', 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    assert not _health.probe(resolved(tcp=port, timeout=0.5))


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # pylint: disable=invalid-name
        code = int(self.path.strip('/') or 200)
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def http_server():
    server = HTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=server.serve_forever)
    thread.daemon = True
    thread.start()
    yield 'http://127.0.0.1:%d' % server.server_address[1]
    server.shutdown()
    server.server_close()


def test_http_probe_status_codes(http_server):
    assert _health.probe(resolved(http=http_server + '/200', timeout=1))
    assert _health.probe(resolved(http=http_server + '/204', timeout=1))
    assert not _health.probe(resolved(http=http_server + '/503', timeout=1))
    assert not _health.probe(resolved(http=http_server + '/404', timeout=1))


def test_http_probe_nothing_listening(listener):
    # A port that accepts but never answers: the timeout ends the probe, unhealthy.
    assert not _health.probe(resolved(http='http://127.0.0.1:%d/' % listener, timeout=0.2, interval=0.2))


def script(tmp_path, body):
    path = tmp_path / 'check'
    path.write_text('#!/bin/sh\n' + body + '\n')
    os.chmod(str(path), 0o755)
    return str(path)


def test_script_probe_exit_status_and_timeout(tmp_path):
    assert probe(resolved(script=script(tmp_path, 'exit 0'), interval=1))
    assert not probe(resolved(script=script(tmp_path, 'exit 3'), interval=1))
    assert not probe(resolved(script=script(tmp_path, 'sleep 5'), interval=1, timeout=0.2))
    assert not probe(resolved(script=str(tmp_path / 'missing'), interval=1))
    with pytest.raises(TypeError, match='a script check needs run='):
        _health.probe(resolved(script='/bin/true'))


def test_service_probe_asks_systemctl_for_that_unit():
    calls = []

    def run(argv, timeout):
        calls.append((argv, timeout))
        return 0 if argv[-1] == 'up.service' else 3

    assert _health.probe(resolved(service='up'), run=run)
    assert not _health.probe(resolved(service='down.service', timeout=0.5), run=run)
    assert calls == [(['systemctl', 'is-active', '--quiet', 'up.service'], 1),
                     (['systemctl', 'is-active', '--quiet', 'down.service'], 0.5)]


def test_rise_and_fall():
    tracker = _health.Tracker(resolved(tcp=80, rise=2, fall=3))
    assert tracker.healthy is None  # unknown until the first probe, which decides at once
    assert tracker.record(True) and tracker.healthy
    # A single bad probe, or two, do not count; three in a row do.
    assert [tracker.record(False), tracker.record(True), tracker.record(False), tracker.record(False)] == [False] * 4
    assert tracker.healthy
    assert tracker.record(False) and not tracker.healthy
    assert not tracker.record(True) and not tracker.healthy
    assert tracker.record(True) and tracker.healthy
    starts_failing = _health.Tracker(resolved(tcp=80, rise=2, fall=3))
    assert starts_failing.record(False) and starts_failing.healthy is False


def test_vip_state_from_give_away_and_weighted_checks():
    give_away = _health.Tracker(resolved(tcp=80, rise=1))
    lower_10 = _health.Tracker(resolved(tcp=81, rise=1, fall=1, weight=10))
    lower_5 = _health.Tracker(resolved(tcp=82, rise=1, weight=5))
    trackers = [give_away, lower_10, lower_5]
    for tracker in trackers:
        tracker.record(False)
    assert _health.vip_state(trackers) == (1, -15)
    for tracker in trackers:
        tracker.record(True)
    assert _health.vip_state(trackers) == (0, 0)
    lower_10.record(False)
    assert _health.vip_state(trackers) == (0, -10)
    assert _health.vip_state([]) == (0, 0)


def read_state(directory, vip):
    return tuple(int((directory / ('%s.%s' % (vip, suffix))).read_text()) for suffix in ('fault', 'weight'))


def wait_for(condition, timeout=5):
    import time
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, 'condition not met within %ss' % timeout
        time.sleep(0.02)


def test_checker_follows_a_real_port(tmp_path):
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(5)
    port = sock.getsockname()[1]
    config = {'web': _health.resolved_checks([{'tcp': port, 'interval': 0.1, 'rise': 2, 'fall': 2},
                                              {'tcp': port, 'name': 'soft', 'interval': 0.1, 'weight': 7}], LABEL),
              'api': []}
    lines = []
    checker = _health.Checker(config, str(tmp_path), log=lines.append)
    try:
        checker.run()
        assert read_state(tmp_path, 'web') == (0, 0)
        assert sorted(os.listdir(str(tmp_path))) == ['api.fault', 'api.weight', 'web.fault', 'web.weight']
        sock.close()  # the service goes away
        wait_for(lambda: read_state(tmp_path, 'web') == (1, -7))
        assert any('is failing' in line for line in lines)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(('127.0.0.1', port))
        sock.listen(5)
        wait_for(lambda: read_state(tmp_path, 'web') == (0, 0))
        assert read_state(tmp_path, 'api') == (0, 0)
    finally:
        checker.stopping.set()
        sock.close()


def test_checker_starts_from_the_first_probe(tmp_path):
    config = {'web': _health.resolved_checks([{'script': '/bin/false'}], LABEL)}
    checker = _health.Checker(config, str(tmp_path), log=lambda line: None, probe_fn=probe)
    try:
        checker.run()
        # Unhealthy at the first probe, not after fall probes: a member that starts without its service never
        # becomes eligible.
        wait_for(lambda: read_state(tmp_path, 'web') == (1, 0), timeout=0.9)
    finally:
        checker.stopping.set()


def test_write_state_rewrites_only_changes(tmp_path):
    assert _health.write_state(str(tmp_path), 'web', 0, 0)
    before = os.stat(str(tmp_path / 'web.fault')).st_ino
    assert not _health.write_state(str(tmp_path), 'web', 0, 0)
    assert os.stat(str(tmp_path / 'web.fault')).st_ino == before
    assert _health.write_state(str(tmp_path), 'web', 0, -3)
    assert read_state(tmp_path, 'web') == (0, -3)
    assert oct(os.stat(str(tmp_path / 'web.weight')).st_mode & 0o777) == '0o644'


def test_plan_of_the_tracked_vips():
    vips = [{'name': 'web', 'track': [{'service': 'haproxy'}, {'script': '/usr/local/bin/check'},
                                      {'service': 'haproxy.service'}]},
            {'name': 'api'}, {'name': 'db', 'track': []}]
    plan = _health.plan(vips, '/var/lib/hanet-failover/health/')
    assert plan == {
        'vips': {'web': vips[0]['track']},
        'track_files': [{'name': 'hanet_web_fault', 'file': '/var/lib/hanet-failover/health/web.fault', 'weight': 0},
                        {'name': 'hanet_web_weight', 'file': '/var/lib/hanet-failover/health/web.weight', 'weight': 1}],
        'units': ['haproxy.service'], 'scripts': ['/usr/local/bin/check']}
    assert _health.plan([], '/x') == {'vips': {}, 'track_files': [], 'units': [], 'scripts': []}


def test_member_problems():
    good = {'exists': True, 'isreg': True, 'roth': True, 'xoth': True, 'pw_name': 'root', 'wgrp': False,
            'woth': False, 'mode': '0755'}
    assert _health.member_problems('lb1', {'haproxy.service': 'loaded'}, {'/c': good}) == []
    problems = _health.member_problems('lb1', {'haproxy.service': 'not-found', 'x.service': ''}, {
        '/missing': {'exists': False}, '/plain': dict(good, xoth=False, mode='0750'),
        '/dir': dict(good, isreg=False), '/theirs': dict(good, pw_name='deploy'), '/open': dict(good, woth=True, mode='0757')})
    assert problems == [
        'lb1: the unit haproxy.service that a VIP follows (track.service) does not exist here (not-found); install '
        'the service first, or fix the name',
        'lb1: the unit x.service that a VIP follows (track.service) does not exist here (systemd did not answer); '
        'install the service first, or fix the name',
        'lb1: the check script /dir (track.script) is missing or not a file',
        'lb1: the check script /missing (track.script) is missing or not a file',
        "lb1: the check script /open (track.script) must be owned by root and writable by nobody else (it is root's, "
        'mode 0757)',
        "lb1: the check script /plain (track.script) must be readable and executable by the checker's user "
        '(cluster_health_user): chmod o+rx (it is mode 0750)',
        "lb1: the check script /theirs (track.script) must be owned by root and writable by nobody else (it is "
        "deploy's, mode 0755)"]


def test_a_restarted_checker_starts_from_its_files_but_not_from_before_the_boot(tmp_path):
    config = {'web': _health.resolved_checks([{'tcp': 80, 'fall': 2}, {'tcp': 81, 'weight': 3}], LABEL)}
    _health.write_state(str(tmp_path), 'web', 0, -3)
    restarted = _health.Checker(config, str(tmp_path), log=lambda line: None, booted=0)
    assert [t.healthy for t in restarted.trackers['web']] == [True, False]
    # One bad probe after a restart does not move the VIP: fall applies.
    assert not restarted.trackers['web'][0].record(False)
    rebooted = _health.Checker(config, str(tmp_path), log=lambda line: None,
                               booted=os.stat(str(tmp_path / 'web.fault')).st_mtime + 1)
    assert [t.healthy for t in rebooted.trackers['web']] == [None, None]
    assert _health.read_state(str(tmp_path), 'nothing') == (None, None)
    assert _health.boot_time() > 0


def test_service_followers_for_the_drills_service_down():
    vips = [{'name': 'web', 'track': [{'service': 'haproxy'}]},
            {'name': 'api', 'track': [{'http': 'http://127.0.0.1:8080/'}, {'service': 'other.service'}]},
            {'name': 'db', 'track': [{'service': 'haproxy.service', 'weight': 2}]},
            {'name': 'dns', 'track': [{'service': 'other.service'}]},
            {'name': 'plain'}]
    assert _health.service_followers(vips) == {
        'service': 'haproxy.service', 'follow': ['web'],
        'unsure': {'api': ['http http://127.0.0.1:8080/'], 'db': ['service haproxy.service (weight 2)']}}
    # The user says which VIPs depend on the unit: those move, the others stay.
    assert _health.service_followers(vips, ['web', 'api']) == {
        'service': 'haproxy.service', 'follow': ['web', 'api'], 'unsure': {}}
    assert _health.service_followers([{'name': 'plain'}] + vips)['service'] == ''
    assert _health.service_followers([])['service'] == ''
