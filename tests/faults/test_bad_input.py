# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad role input against a live cluster: playbooks/cluster.yml must fail with a message naming the field,
and leave both members as they were: the daemon's configuration files, its running process, every link
and address, and who holds the VIPs. Every run's output (at -v) must be free of the VIP passwords.

Part of the bad-input catalog (README, "Reliability"); module inputs are in tests/integration/test_bad_input.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import re

import pytest


def vip_change(name, **change):
    def apply(cluster):
        vips = copy.deepcopy(cluster.vips)
        for vip in vips:
            if vip['name'] == name:
                vip.update(change)
                for key in [k for k, v in change.items() if v is None]:
                    del vip[key]
        return {'cluster_vips': vips}
    return apply


def extra(**values):
    return lambda cluster: values


def pacemaker_switch(cluster):
    """cluster_backend pacemaker on the keepalived part's members (Debian 13 and 12: Pacemaker 3.0 and 2.1, feature
    sets 3.20 and 3.16). The Pacemaker packages are installed (the release is read from them), then refused."""
    return {'cluster_backend': 'pacemaker', 'cluster_pacemaker_fencing_disabled_risk_accepted': True,
            'cluster_vips': [dict((k, v) for k, v in vip.items() if k != 'auth_pass') for vip in cluster.vips]}


def pacemaker_fenced(**device):
    """A switch to Pacemaker with one fence device (its password in secret_params): refused by the preflight for the
    device (and for the members' two Pacemaker releases), with nothing changed."""
    def apply(cluster):
        values = pacemaker_switch(cluster)
        del values['cluster_pacemaker_fencing_disabled_risk_accepted']
        values['cluster_pacemaker_stonith_devices'] = [dict({'id': 'fence-lab'}, **device)]
        return values
    return apply


FENCE_PASSWORD = 'fence-s3cr3t'
RECORD = '/etc/hanet-failover/backend'


def foreign_daemon(**values):
    """The running daemon was not deployed by the role: node2 has no record of it (moved aside for the case; the
    test puts it back). A change of cluster_backend must then be refused, not switch."""
    def apply(cluster):
        cluster.exec(cluster.node2, 'mv', RECORD, RECORD + '.test-aside')
        return values
    return apply


KEEPALIVED = [
    ('vrid 300', vip_change('web', vrid=300), 'cluster_vips[web].vrid'),
    ('multicast vmac', vip_change('web', mac='01:00:5e:00:00:01'), 'cluster_vips[web].mac'),
    ('vendor vmac', vip_change('web', mac='00:1b:21:00:00:01'), 'cluster_vips[web].mac'),
    ('mac with garp', vip_change('api', mac='02:00:00:00:00:05'), 'cluster_vips[api].mac'),
    ('VIP outside the subnet', vip_change('api', address='203.0.113.5/24'), 'cluster_vips[api].address'),
    ('unknown interface', vip_change('api', interface='eth9'), 'cluster_vips[api].interface'),
    ('priority 0', vip_change('api', priorities={'fk-node1': 150, 'fk-node2': 0}), 'cluster_vips[api] priority'),
    ('VRID collision', vip_change('api', vrid=57), '.vrid: VRID 57 is already used'),
    ('sub-second advert on VRRPv2', vip_change('web', advert_int=0.5), 'cluster_vips[web].advert_int'),
    ('VRRPv2 password too long', vip_change('api', auth_pass='nine-char'), 'cluster_vips[api].auth_pass'),
    ('VRRPv2 password with a double quote', vip_change('api', auth_pass='a"b'), 'cluster_vips[api].auth_pass: keepalived would not'),
    ('unknown profile', extra(cluster_profile='turbo'), 'cluster_profile'),
    ('ucarp while a keepalived the role did not deploy runs', foreign_daemon(cluster_backend='ucarp'),
     'keepalived is running but cluster_backend is ucarp, and this role did not deploy it'),
    # What a VIP follows, and its hooks (the same words on both backends; each case runs on one of them).
    ('tracked unit missing', vip_change('web', track=[{'service': 'no-such-service.service'}]),
     'the unit no-such-service.service that a VIP follows (track.service) does not exist here'),
    ('negative check interval', vip_change('api', track=[{'tcp': 22, 'interval': -1}]),
     'cluster_vips[api].track[0].interval: -1 is out of range'),
    ('hook user missing', extra(cluster_hooks={'master': [{'command': 'true', 'user': 'no-such-user'}]}),
     'the user no-such-user that hooks run as'),
    # A switch to Pacemaker on members of two Debian releases: the older node could not rejoin after an election.
    ('Pacemaker of two releases', pacemaker_switch, 'cluster_backend pacemaker: the members run different Pacemaker feature sets'),
    # Fence devices, checked against the agents' metadata on the members. The roles install no recommended package
    # (Debian 12's pacemaker recommends fence-agents), so a member has no fence agent the inventory did not name;
    # an agent no package provides stands for one missing on every member, whatever the lab's repository holds
    # (fence_ipmilan, for the lab's BMCs). Pacemaker ships fence_watchdog.
    ('fence agent not installed',
     pacemaker_fenced(agent='stonith:fence_hanetlab', params={'ip': '198.51.100.9'},
                      secret_params={'password': FENCE_PASSWORD}),
     'cluster_pacemaker_stonith_devices[fence-lab].agent: stonith:fence_hanetlab is not installed on fk-node1, fk-node2'),
    ('fence device parameter the agent does not take',
     pacemaker_fenced(agent='stonith:fence_watchdog', params={'pcmk_host_list': 'fk-node1'},
                      secret_params={'passwd': FENCE_PASSWORD}),
     'cluster_pacemaker_stonith_devices[fence-lab].secret_params.passwd: fence_watchdog takes no parameter passwd'),
    # Passes the model, fails `keepalived -t`: the live file must stay.
    ('keepalived -t rejects the file', extra(keepalived_vrrp_garp_interval=0), "vrrp_garp_interval '0' is invalid"),
]
UCARP = [
    ('IPv6 VIP', vip_change('api', address='2001:db8::109/64'), 'cluster_vips[api].address: ucarp 1.5 carries IPv4'),
    ('no password', vip_change('web', auth_pass=None), 'cluster_vips[web].auth_pass: ucarp needs a password'),
    # ucarp 1.5 exits with "Password too long" above 19 bytes; the unit would crash-loop behind an ok deploy.
    ('password of 20 bytes', vip_change('web', auth_pass='twenty-bytes-secret!'), 'cluster_vips[web].auth_pass: give 1 to 19'),
    ('sub-second advbase', vip_change('web', advert_int=0.5), 'cluster_vips[web].advert_int'),
    ('keepalived-only field', vip_change('web', version=3), 'cluster_vips[web].version applies to keepalived only'),
    ('check script path with a space', vip_change('web', track=[{'script': '/usr/local/bin/my check'}]),
     "cluster_vips[web].track[0].script: '/usr/local/bin/my check' is not an absolute path"),
    # The role's argument spec names it first.
    ('hook on an unknown state', vip_change('web', hooks={'promoted': ['true']}),
     'cluster_vips.hooks.promoted. Supported parameters include: backup, fault, master, stop'),
    ('keepalived while a ucarp the role did not deploy runs', foreign_daemon(cluster_backend='keepalived'),
     'ucarp is running but cluster_backend is keepalived, and this role did not deploy it'),
]


def host_state(cluster):
    """What must not change: config files, daemon processes, links and addresses, VIP holders."""
    files = ['/etc/keepalived/keepalived.conf'] if cluster.backend == 'keepalived' else \
        ['/etc/ucarp/%s.%s' % (v['name'], ext) for v in cluster.vips for ext in ('conf', 'pass')]
    state = {'holders': cluster.holders()}
    for host in cluster.members:
        state[host] = {
            'files': cluster.exec(host, 'sha256sum', *files).stdout,
            'pids': [cluster.exec(host, 'systemctl', 'show', '-p', 'MainPID', '--value', unit).stdout.strip()
                     for unit in cluster.units],
            'links': [(link['ifname'], link.get('address'), tuple(link.get('flags', [])),
                       sorted(i['local'] for i in link.get('addr_info', []))) for link in cluster.links(host)],
            # A refused switch to Pacemaker installs its packages (to read their release) but must not leave corosync
            # and Pacemaker to start at boot on Debian's sample configuration.
            'boot': 'enabled' in cluster.exec(host, 'systemctl', 'is-enabled', 'corosync.service', 'pacemaker.service',
                                              check=False).stdout.split(),
        }
    return state


@pytest.mark.parametrize('case', KEEPALIVED + UCARP, ids=[c[0] for c in KEEPALIVED + UCARP])
def test_bad_role_input_fails_naming_the_field_and_changes_nothing(cluster, case):
    label, make, field = case
    if (case in KEEPALIVED) != (cluster.backend == 'keepalived'):
        pytest.skip('a %s case' % ('keepalived' if case in KEEPALIVED else 'ucarp'))
    path = os.path.join(cluster.tmp, 'bad.json')
    before = host_state(cluster)
    try:
        with open(path, 'w') as handle:
            json.dump(make(cluster), handle)
        run = cluster.playbook('-v', '-e', '@' + path, check=False)
    finally:
        for host in cluster.members:
            cluster.exec(host, 'sh', '-c', '[ ! -e {0}.test-aside ] || mv {0}.test-aside {0}'.format(RECORD))
    output = run.stdout + run.stderr
    assert run.returncode != 0, 'accepted: %s' % label
    assert field in output, 'the failure does not name %r:\n%s' % (field, output[-3000:])
    assert host_state(cluster) == before, 'a refused run changed a member (%s)' % label
    secrets = [v['auth_pass'] for v in cluster.vips if v.get('auth_pass')] + [FENCE_PASSWORD]
    assert not [s for s in secrets if s in output], 'a password is in the output of the %s run' % label


def test_the_deploy_output_and_the_journals_hold_no_password(cluster):
    secrets = [v['auth_pass'] for v in cluster.vips if v.get('auth_pass')]
    run = cluster.playbook('-v', '--diff')
    assert re.search(r'changed=[1-9]', run.stdout) is None, 'a redeploy changed something'
    assert not [s for s in secrets if s in run.stdout + run.stderr], 'a password is in the deploy output'
    for host in cluster.members:
        journal = cluster.exec(host, 'journalctl', '--no-pager', '-o', 'cat').stdout
        assert not [s for s in secrets if s in journal], '%s logged a password' % host


def test_an_unreachable_member_is_named_and_nothing_changes(cluster):
    # node2's address points at nothing on the lab network: its connection fails at the first task.
    path = os.path.join(cluster.tmp, 'unreachable.yml')
    with open(path, 'w') as handle:
        json.dump({'all': {'hosts': {cluster.node2: {'ansible_host': '198.51.100.253', 'ansible_timeout': 3}}}}, handle)
    before = host_state(cluster)
    run = cluster.playbook('-i', path, check=False)
    output = run.stdout + run.stderr
    assert run.returncode != 0, 'a deploy with an unreachable member passed'
    assert 'cluster_members %s: not reachable in this run' % cluster.node2 in output, output[-3000:]
    assert host_state(cluster) == before, 'a refused run changed a member'
