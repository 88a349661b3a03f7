# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The cluster role's inventory model, checked: the VIPs resolved with their defaults, and the preflight.

A member is a dict built by the cluster role on each host:
``{'name': host, 'vips': cluster_vips, 'priority': cluster_priority or None,
'links': failover_info links}``. Every message names the VIP and the field.

What each backend is given is rendered from the resolved VIPs by its own module (_keepalived_render,
_ucarp_render, _pacemaker_render); the rules that refuse a VIP for one backend (ucarp's password, IPv4 only,
whole-second adverts; keepalived's password and VRRP version; what Pacemaker has no use for) are here, with the
others.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.hanet.failover.plugins.module_utils import _health, _hooks, _mac
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_addresses import own_address, vmac_interface
from ansible_collections.hanet.failover.plugins.plugin_utils._cluster_succession import member_priority

MAC_MODES = ('garp', 'vmac')
BACKENDS = ('keepalived', 'ucarp', 'pacemaker')
# The process each backend runs (failover_info's daemons): a backend's daemon that runs on a member where the role did
# not deploy it would claim the same VIPs.
BACKEND_DAEMONS = {'keepalived': 'keepalived', 'ucarp': 'ucarp', 'pacemaker': 'pacemakerd'}
# A VIP's name becomes part of a keepalived instance name and of the ucarp@NAME unit and its files.
NAME_PATTERN = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$')
# cluster_name tags the cluster's firewall rules (_firewall.NAME_PATTERN) and seeds derived MACs.
CLUSTER_NAME_PATTERN = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
# Fields all members must agree on for one VIP.
SHARED_FIELDS = ('address', 'interface', 'vrid', 'mac_mode', 'mac', 'advert_int', 'version', 'auth_pass',
                 'nopreempt', 'preempt_delay', 'deadratio', 'unicast', 'track')
# Fields of the VRRP backends that Pacemaker has no use for: corosync's membership, not adverts, decides who is
# alive (cluster_profile sets its timing), and its own key authenticates the members.
PACEMAKER_REFUSED = ('advert_int', 'version', 'auth_pass', 'deadratio', 'unicast', 'preempt_delay',
                     'garp_master_delay')
# Fields that only keepalived understands.
KEEPALIVED_ONLY = ('version', 'preempt_delay', 'garp_master_delay', 'garp_master_repeat', 'garp_master_refresh',
                   'garp_master_refresh_repeat')
PROFILES = {
    # What a keepalived user gets out of the box.
    'default': {'advert_int': 1, 'version': None},
    # Sub-second detection: VRRPv3 adverts every 30 ms, so a host loss is seen after 3 missed adverts, 90 ms (plus
    # the ranked skew, 0.4 ms). Measured stable with both cores of a 2-core host loaded (bench/results/failover.md,
    # the soak); 10 ms adverts flapped under that load without real-time scheduling. The cluster role also gives
    # keepalived real-time scheduling and locked memory with this profile (roles/cluster/vars/main.yml).
    'fast': {'advert_int': 0.03, 'version': 3},
}
# ucarp advertises in whole seconds; a backup takes over after advbase x deadratio + its own advskew/256.
UCARP_PROFILES = {
    # ucarp's own defaults.
    'default': {'advert_int': 1, 'deadratio': 3},
    # One lost advert is tolerated, two are a failure: about 2 s instead of 3 s.
    'fast': {'advert_int': 1, 'deadratio': 2},
}


class ModelError(ValueError):
    """The inventory model cannot be used as given."""


def _label(vip):
    return 'cluster_vips[%s]' % (vip.get('name') if isinstance(vip, dict) and vip.get('name') else '?')


# keepalived's PASS authentication keeps 8 bytes. The role writes the password in double quotes: inside them
# keepalived's parser keeps spaces, # and ! (outside they split the word or start a comment), but a " ends the
# word, a \ escapes the next character (a trailing one continues the line), $ starts a parameter expansion and a
# lone brace is read as a block's end. Printable ASCII only, so that characters and bytes agree.
KEEPALIVED_AUTH_PASS_MAX = 8
KEEPALIVED_AUTH_PASS_REFUSED = '"\\${}'


def keepalived_auth_pass_problem(password):
    """Why keepalived could not take ``password`` as its VRRP PASS password as given, or None."""
    if not isinstance(password, (str, int)) or isinstance(password, bool):
        return 'give the password as a string of 1 to %d characters' % KEEPALIVED_AUTH_PASS_MAX
    password = str(password)
    if not 1 <= len(password.encode('utf-8')) <= KEEPALIVED_AUTH_PASS_MAX:
        return ('give 1 to %d characters (keepalived PASS authentication keeps %d bytes and cuts a longer one)'
                % (KEEPALIVED_AUTH_PASS_MAX, KEEPALIVED_AUTH_PASS_MAX))
    if any(not ' ' <= ch <= '~' or ch in KEEPALIVED_AUTH_PASS_REFUSED for ch in password):
        return ('keepalived would not read it back as given; use printable ASCII characters (spaces, # and ! are '
                'fine) without " \\ $ { or }')
    return None


# ucarp 1.5 keeps its password in a 20-byte key with the terminating NUL and exits with "Password too long" above
# 19 bytes: systemd would restart the unit in a loop while the deploy reported ok. The role hands it over as the
# first line of a file, so white space (a newline ends the line) and other unprintable characters are refused.
UCARP_PASSWORD_MAX = 19


def ucarp_password_problem(password):
    """Why ucarp could not use ``password`` as its --pass, or None. The text never quotes the password.

    The one rule of the cluster preflight (``cluster_vips[].auth_pass``) and of the ucarp role
    (``ucarp_instances[].password``, through the ``ucarp_password_problem`` filter).
    """
    if password is None or password == '':
        return 'ucarp needs a password, the same on every member (it signs the adverts)'
    if isinstance(password, bool) or not isinstance(password, (str, int)):
        return 'give the password as a string of 1 to %d bytes' % UCARP_PASSWORD_MAX
    password = str(password)
    # Printable first: a lone surrogate has no UTF-8 bytes to count.
    if any(ch.isspace() or not ch.isprintable() for ch in password) \
            or len(password.encode('utf-8')) > UCARP_PASSWORD_MAX:
        return ('give 1 to %d bytes of printable characters without white space (ucarp 1.5 keeps at most %d and '
                'exits with "Password too long" above, so its unit would restart in a loop)'
                % (UCARP_PASSWORD_MAX, UCARP_PASSWORD_MAX))
    return None


def vips_with_defaults(vips, track=None):
    """cluster_vips with the cluster-wide defaults in place: ``track`` (cluster_track) for each VIP that does not
    set its own (``track: []`` follows nothing)."""
    if not isinstance(vips, list):
        return vips
    out = []
    for vip in vips:
        if isinstance(vip, dict) and 'track' not in vip and track:
            vip = dict(vip, track=track)
        out.append(vip)
    return out


def resolved_vip(vip, profile='default', backend='keepalived'):
    """The VIP with defaults filled in (version, advert_int, mac). Raises ModelError on the first bad field."""
    if not isinstance(vip, dict):
        raise ModelError('cluster_vips: each entry must be a mapping, got %r' % (vip,))
    label = _label(vip)
    for field in ('name', 'address', 'interface', 'vrid'):
        if vip.get(field) in (None, ''):
            raise ModelError('%s.%s is required' % (label, field))
    if not NAME_PATTERN.match(str(vip['name'])):
        raise ModelError('%s.name: %r is not a usable name; use letters, digits, _ and - (up to 32, starting with a '
                         'letter or digit): it names the keepalived instance and the ucarp@NAME unit'
                         % (label, vip['name']))
    if profile not in PROFILES:
        raise ModelError('cluster_profile: %r is not one of %s' % (profile, ', '.join(sorted(PROFILES))))
    out = dict(vip)
    text = str(vip['address'])
    if '/' not in text:
        raise ModelError('%s.address: %s has no prefix length; write it as %s/24' % (label, text, text))
    try:
        iface = ipaddress.ip_interface(text)
    except ValueError:
        raise ModelError('%s.address: %s is not an IP address with a prefix length' % (label, text))
    out['family'] = iface.version
    try:
        out['vrid'] = int(vip['vrid'])
    except (TypeError, ValueError):
        raise ModelError('%s.vrid: %r is not a number; give 1 to 255' % (label, vip['vrid']))
    if not 1 <= out['vrid'] <= 255:
        raise ModelError('%s.vrid: %d is out of range; give 1 to 255' % (label, out['vrid']))
    out['mac_mode'] = vip.get('mac_mode', 'garp')
    if out['mac_mode'] not in MAC_MODES:
        raise ModelError('%s.mac_mode: %r is not one of garp, vmac' % (label, out['mac_mode']))
    try:
        out['track'] = _health.resolved_checks(vip.get('track'), '%s.track' % label)
    except _health.HealthError as exc:
        raise ModelError(str(exc))
    try:
        # The hooks' shape; their users and timeouts get the cluster's defaults in _hooks.plan.
        out['hooks'] = _hooks.resolved_hooks(vip.get('hooks'), '%s.hooks' % label)
    except _hooks.HookError as exc:
        raise ModelError(str(exc))
    if backend == 'ucarp':
        for index, check in enumerate(out['track']):
            if check['weight'] is not None:
                raise ModelError('%s.track[%d].weight: ucarp cannot lower a member\'s rank while it runs (its advskew '
                                 'is fixed when it starts); remove weight, and a failing check gives the VIP away'
                                 % (label, index))
    if backend == 'pacemaker':
        _resolve_pacemaker(vip, out, label)
        out['mac'] = _resolved_mac(vip, out, label)
        return out
    if backend == 'ucarp':
        _resolve_ucarp(vip, out, profile, label, iface)
        out['mac'] = _resolved_mac(vip, out, label)
        return out
    defaults = PROFILES[profile]
    version = vip.get('version', defaults['version'] or (3 if iface.version == 6 else 2))
    if version not in (2, 3):
        raise ModelError('%s.version: %r is not 2 or 3' % (label, version))
    if iface.version == 6 and version != 3:
        raise ModelError('%s.version: IPv6 VIPs need VRRP version 3' % label)
    out['version'] = version
    advert = vip.get('advert_int', defaults['advert_int'])
    try:
        advert = float(advert)
    except (TypeError, ValueError):
        raise ModelError('%s.advert_int: %r is not a number' % (label, advert))
    if version == 2 and (advert != int(advert) or not 1 <= advert <= 255):
        raise ModelError('%s.advert_int: VRRPv2 takes whole seconds from 1 to 255, got %s; '
                         'use version 3 for sub-second adverts' % (label, advert))
    if version == 3 and (not 0.01 <= advert <= 40.95 or abs(round(advert * 100) - advert * 100) > 1e-6):
        raise ModelError('%s.advert_int: VRRPv3 takes 0.01 to 40.95 seconds in steps of 0.01, got %s'
                         % (label, advert))
    out['advert_int'] = int(advert) if advert == int(advert) else advert
    if vip.get('auth_pass') is not None:
        if version == 3:
            raise ModelError('%s.auth_pass: VRRPv3 has no authentication; remove auth_pass or use version 2' % label)
        problem = keepalived_auth_pass_problem(vip['auth_pass'])
        if problem:
            raise ModelError('%s.auth_pass: %s' % (label, problem))
    out['mac'] = _resolved_mac(vip, out, label)
    return out


def _resolve_pacemaker(vip, out, label):
    """Pacemaker's IPaddr2 takes the gratuitous ARP settings (garp_master_repeat: ARPs at start;
    garp_master_refresh and garp_master_refresh_repeat: ARPs again at each monitor, that often); the VRRP-only
    fields are refused, and what the backend cannot do yet."""
    for field in PACEMAKER_REFUSED:
        if vip.get(field) is not None:
            raise ModelError('%s.%s does not apply to cluster_backend: pacemaker (corosync decides who is alive; '
                             'cluster_profile sets its timing); remove it' % (label, field))
    if out['track']:
        raise ModelError('%s.track: the pacemaker backend does not follow services yet; remove track (and '
                         'cluster_track), or use keepalived or ucarp' % label)
    if out['hooks']:
        raise ModelError('%s.hooks: the pacemaker backend does not run state-change hooks yet; remove hooks (and '
                         'cluster_hooks), or use keepalived or ucarp' % label)
    if out['mac_mode'] == 'vmac' and out['family'] != 4:
        raise ModelError('%s.mac_mode: the pacemaker backend carries virtual MACs for IPv4 VIPs only; use mac_mode '
                         'garp for an IPv6 VIP' % label)
    for field, lowest in (('garp_master_repeat', 1), ('garp_master_refresh', 0), ('garp_master_refresh_repeat', 1)):
        value = vip.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= 3600):
            raise ModelError('%s.%s: give a whole number from %d to 3600, got %r' % (label, field, lowest, value))
    out['advert_int'] = None
    out['version'] = None


def _resolve_ucarp(vip, out, profile, label, iface):
    """ucarp's constraints: IPv4, whole-second adverts, a password every member shares."""
    if iface.version != 4:
        raise ModelError('%s.address: ucarp 1.5 carries IPv4 addresses only; use cluster_backend: keepalived for '
                         'IPv6 VIPs' % label)
    for field in KEEPALIVED_ONLY:
        if vip.get(field) is not None:
            raise ModelError('%s.%s applies to keepalived only; remove it for cluster_backend: ucarp' % (label, field))
    defaults = UCARP_PROFILES[profile]
    advert = vip.get('advert_int', defaults['advert_int'])
    if isinstance(advert, bool) or not isinstance(advert, (int, float)) or advert != int(advert) \
            or not 1 <= advert <= 255:
        raise ModelError('%s.advert_int: ucarp advertises in whole seconds from 1 to 255 (advbase), got %r'
                         % (label, advert))
    out['advert_int'] = int(advert)
    out['version'] = None
    deadratio = vip.get('deadratio', defaults['deadratio'])
    if isinstance(deadratio, bool) or not isinstance(deadratio, int) or not 1 <= deadratio <= 255:
        raise ModelError('%s.deadratio: give a whole number from 1 to 255 (adverts a backup may miss before it '
                         'takes over; ucarp default 3), got %r' % (label, deadratio))
    out['deadratio'] = deadratio
    problem = ucarp_password_problem(vip.get('auth_pass'))
    if problem:
        raise ModelError('%s.auth_pass: %s' % (label, problem))
    out['auth_pass'] = str(vip['auth_pass'])


def _resolved_mac(vip, out, label):
    mac = vip.get('mac', 'auto')
    if out['mac_mode'] == 'garp':
        if mac not in (None, 'auto'):
            raise ModelError('%s.mac: a MAC applies only to mac_mode vmac; remove mac or set mac_mode: vmac' % label)
        return None
    if mac in (None, 'auto'):
        return _mac.vrrp_mac(out['vrid'], out['family'])
    if mac == 'laa':
        return None  # derived from the cluster name by _cluster_addresses.vip_mac()
    try:
        mac = _mac.check_unicast(mac, '%s.mac' % label)
    except _mac.MacError as exc:
        raise ModelError(str(exc))
    if not _mac.is_laa_unicast(mac) and mac != _mac.vrrp_mac(out['vrid'], out['family']):
        raise ModelError(
            '%s.mac: %s is a universally administered MAC (it belongs to some vendor\'s hardware); use "auto" '
            '(the VRRP MAC %s), "laa", or a locally administered MAC (first octet x2, x6, xA or xE)'
            % (label, mac, _mac.vrrp_mac(out['vrid'], out['family'])))
    return mac


def preflight(members, cluster_name='hanet', profile='default', backend='keepalived'):
    """Every problem with the model, as messages; an empty list means it can be deployed."""
    errors = []
    if not isinstance(cluster_name, str) or not CLUSTER_NAME_PATTERN.match(cluster_name):
        errors.append('cluster_name: %r is not usable; give letters, digits, _, . and - (up to 64, starting with a '
                      'letter or digit): it names the cluster in its firewall rules' % (cluster_name,))
    if backend not in BACKENDS:
        errors.append('cluster_backend: %r is not supported; use keepalived, ucarp or pacemaker' % (backend,))
        backend = 'keepalived'
    if profile not in PROFILES:
        errors.append('cluster_profile: %r is not one of %s' % (profile, ', '.join(sorted(PROFILES))))
        profile = 'default'
    for member in members:
        errors.extend(_daemon_conflicts(member, backend))
    if len(members) < 2:
        errors.append('cluster_members: a failover cluster needs at least two members, got %s'
                      % (', '.join(m['name'] for m in members) or 'none'))
    by_name = {}
    for member in members:
        vips = member.get('vips') or []
        if not isinstance(vips, list) or not vips:
            errors.append('cluster_vips: %s has no VIPs; give at least one' % member['name'])
            continue
        seen = set()
        for raw in vips:
            try:
                vip = resolved_vip(raw, profile, backend)
            except ModelError as exc:
                errors.append('%s: %s' % (member['name'], exc))
                continue
            if vip['name'] in seen:
                errors.append('%s: cluster_vips[%s] is defined twice' % (member['name'], vip['name']))
            seen.add(vip['name'])
            errors.extend(_member_checks(member, vip))
            by_name.setdefault(vip['name'], {})[member['name']] = vip
    names = [m['name'] for m in members]
    for name, per_member in sorted(by_name.items()):
        missing = [host for host in names if host not in per_member]
        if missing:
            errors.append('cluster_vips[%s] is defined on %s but not on %s; every member carries every VIP'
                          % (name, ', '.join(sorted(per_member)), ', '.join(missing)))
        for field in SHARED_FIELDS:
            values = dict((host, vip.get(field)) for host, vip in per_member.items())
            if len(set(repr(v) for v in values.values())) > 1:
                shown = ', '.join('%s=%s' % (host, '<secret>' if field == 'auth_pass' else value)
                                  for host, value in sorted(values.items()))
                errors.append('members disagree on cluster_vips[%s].%s: %s' % (name, field, shown))
        priorities = {}
        for member in members:
            if member['name'] in per_member:
                prio = member_priority(member, per_member[member['name']])
                if prio is not None:
                    priorities.setdefault(prio, []).append(member['name'])
        for prio, hosts in sorted(priorities.items(), key=lambda item: str(item[0])):
            if len(hosts) > 1:
                errors.append('cluster_vips[%s]: %s share priority %s; give each member its own priority '
                              '(cluster_priority or priorities)' % (name, ' and '.join(sorted(hosts)), prio))
    errors.extend(_vrid_collisions(by_name))
    errors.extend(_vmac_name_collisions(by_name, backend))
    if backend == 'pacemaker':
        errors.extend(_pacemaker_feature_set_mix(members))
    return errors


def pacemaker_features(text):
    """(release, feature set major.minor) from ``pacemakerd --features``, such as ('Pacemaker 2.1.5', '3.16');
    None for what the text does not say."""
    release = re.match(r'\s*(Pacemaker \S+)', text or '')
    feature_set = re.search(r'Supporting v(\d+\.\d+)', text or '')
    return (release.group(1) if release else None), (feature_set.group(1) if feature_set else None)


def _pacemaker_feature_set_mix(members):
    """A node joins a Pacemaker cluster only if its feature set is at least the designated controller's: in a
    cluster of two feature sets (Debian 12's Pacemaker 2.1 and 13's 3.0), a node with the older one stops at the
    next election a newer node wins, and stays out. Members whose Pacemaker could not be read are not compared."""
    found = dict((m['name'], pacemaker_features(m.get('pacemaker_features'))) for m in members
                 if m.get('pacemaker_features'))
    if len(set(feature_set for release, feature_set in found.values())) <= 1:
        return []
    return ['cluster_backend pacemaker: the members run different Pacemaker feature sets (%s). A node with an older '
            'feature set cannot join a cluster whose designated controller has a newer one, so after an election '
            'it stays out. Run one Pacemaker release on every member (the same Debian release), then deploy again'
            % '; '.join('%s: %s, feature set %s' % (name, release or 'Pacemaker (release unknown)',
                                                    feature_set or 'unknown')
                        for name, (release, feature_set) in sorted(found.items()))]


def _daemon_conflicts(member, backend):
    """A VRRP/CARP daemon running on a member would fight the one deployed for the same VIPs. (A Pacemaker that
    runs already manages what its CIB says, often other services; the pacemaker backend joins the VIPs to it.)"""
    daemons = member.get('daemons') or {}
    errors = []
    for other in ('keepalived', 'ucarp'):
        if other == backend or not (daemons.get(BACKEND_DAEMONS[other]) or {}).get('running'):
            continue
        # One the cluster role deployed itself (its record says so) is stopped and removed by this run before the
        # new backend starts (roles/cluster/tasks/retire.yml).
        if member.get('deployed_backend') == other:
            continue
        units = {'keepalived': 'keepalived', 'ucarp': "'ucarp@*'"}[other]
        errors.append('%s: %s is running but cluster_backend is %s, and this role did not deploy it (no record in '
                      '/etc/hanet-failover/backend); both would claim the VIPs. Stop and disable %s first '
                      '(systemctl disable --now %s), or set cluster_backend: %s'
                      % (member['name'], other, backend, other, units, other))
    return errors


def _member_checks(member, vip):
    errors = []
    label = 'cluster_vips[%s]' % vip['name']
    prio = member_priority(member, vip)
    if prio is None:
        errors.append('%s: %s has no priority; set cluster_priority for the host or %s.priorities'
                      % (member['name'], label, label))
    elif not isinstance(prio, int) or isinstance(prio, bool) or not 1 <= prio <= 254:
        errors.append('%s: %s priority %r is out of range; give 1 to 254 (255 is reserved for the address owner)'
                      % (member['name'], label, prio))
    links = member.get('links')
    if links is None:
        return errors
    link = next((lk for lk in links if lk['name'] == vip['interface']), None)
    if link is None:
        errors.append('%s: %s.interface: there is no interface %s on this host'
                      % (member['name'], label, vip['interface']))
        return errors
    if vip.get('unicast') and own_address(member, vip) is None:
        errors.append('%s: %s.unicast: unicast adverts need an IPv%d address of this host in %s on %s'
                      % (member['name'], label, vip['family'], ipaddress.ip_interface(vip['address']).network,
                         vip['interface']))
    if vip['family'] == 4:
        network = ipaddress.ip_interface(vip['address']).network
        own = [a['address'] for a in link.get('addresses', []) if a['family'] == 4]
        if not any(ipaddress.ip_address(a) in network for a in own):
            errors.append('%s: %s.address: %s is outside the subnets of %s (%s); clients could not reach it there'
                          % (member['name'], label, vip['address'], vip['interface'], ', '.join(own) or 'no IPv4'))
    return errors


def _vrid_collisions(by_name):
    errors = []
    seen = {}
    for name, per_member in sorted(by_name.items()):
        vip = next(iter(per_member.values()))
        key = (vip['vrid'], vip['family'], str(ipaddress.ip_interface(vip['address']).network))
        if key in seen:
            errors.append('cluster_vips[%s].vrid: VRID %d is already used by cluster_vips[%s] on the same segment '
                          '(%s); give each VIP its own VRID' % (name, vip['vrid'], seen[key], key[2]))
        else:
            seen[key] = name
    return errors


def _vmac_name_collisions(by_name, backend):
    """Two vmac VIPs with one VRID on different segments would need the same macvlan name on one host."""
    errors = []
    seen = {}
    for name, per_member in sorted(by_name.items()):
        vip = next(iter(per_member.values()))
        device = vmac_interface(vip, backend)
        if device is None:
            continue
        if device in seen:
            errors.append('cluster_vips[%s].vrid: its vmac interface would be %s, like the one of cluster_vips[%s]; '
                          'give one of them another VRID' % (name, device, seen[device]))
        else:
            seen[device] = name
    return errors
