# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The cluster role's inventory model: preflight checks and what each backend is given.

A member is a dict built by the cluster role on each host:
``{'name': host, 'vips': cluster_vips, 'priority': cluster_priority or None,
'links': failover_info links}``. Every message names the VIP and the field.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.hanet.failover.plugins.module_utils import _health, _hooks, _mac

MAC_MODES = ('garp', 'vmac')
BACKENDS = ('keepalived', 'ucarp')
# A VIP's name becomes part of a keepalived instance name and of the ucarp@NAME unit and its files.
NAME_PATTERN = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$')
# cluster_name tags the cluster's firewall rules (_firewall.NAME_PATTERN) and seeds derived MACs.
CLUSTER_NAME_PATTERN = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
# Fields all members must agree on for one VIP.
SHARED_FIELDS = ('address', 'interface', 'vrid', 'mac_mode', 'mac', 'advert_int', 'version', 'auth_pass',
                 'nopreempt', 'preempt_delay', 'deadratio', 'unicast', 'track')
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
# advskew between members of adjacent priority (1/256 s units): the election order, and 78 ms apart.
UCARP_SKEW_STEP = 20


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
        return None  # derived from the cluster name by vip_mac()
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


def vip_mac(vip, cluster_name):
    """The virtual MAC of a resolved vmac VIP (None in garp mode)."""
    if vip['mac_mode'] != 'vmac':
        return None
    if vip['mac'] is None:
        return _mac.laa_mac(cluster_name, vip['address'])
    return vip['mac']


def member_priority(member, vip):
    priorities = vip.get('priorities') or {}
    if member['name'] in priorities:
        return priorities[member['name']]
    return member.get('priority')


def _own_priority(member, vip):
    """A member's priority for ``vip`` as that member's own copy of the VIP (same name) gives it: each member's
    inventory sets what it advertises, and the preflight checks those copies for distinct priorities."""
    own = next((v for v in member.get('vips') or [] if isinstance(v, dict) and v.get('name') == vip.get('name')), vip)
    return member_priority(member, own)


def ranked_members(members, vip):
    """The members that have a priority for ``vip``, in election order: highest priority first (then by name)."""
    return sorted((m for m in members if _own_priority(m, vip) is not None),
                  key=lambda m: (-_own_priority(m, vip), m['name']))


# Ranked keepalived priorities: the election order mapped onto the top of the VRRP range, one apart. A backup
# waits (256 - priority)/256 of an advert after the master's priority 0 advert (its skew): 2/256 at 254 and 253
# instead of 156/256 at the usual 150/100, so a graceful handover costs about 1 % of an advert.
KEEPALIVED_TOP_PRIORITY = 254


def keepalived_priority(member, vip, members=None, rank=True):
    """The VRRP priority ``member`` advertises for ``vip``: its rank among ``members`` from 254 down, or its own
    priority as given (``rank`` false, or no ``members`` to rank among)."""
    priority = member_priority(member, vip)
    if not rank or not members or priority is None:
        return priority
    names = [m['name'] for m in ranked_members(members, vip)]
    if member['name'] not in names:
        return priority
    return KEEPALIVED_TOP_PRIORITY - names.index(member['name'])


def vip_successions(members, down=None, holders=None):
    """Per VIP name, the member expected to hold it: what the drill and the maintenance playbooks wait for.

    ``members`` as for preflight (name, vips, priority; links are not needed). ``down`` names members out of the
    election (faulted or drained). ``holders`` maps VIP names to the member holding each now (a name or a list
    whose first entry is taken): such a VIP stays where it is unless that member is down. Otherwise VRRP and
    CARP give it to the highest priority among the other members that carry it, its ``priorities`` taking
    precedence over cluster_priority, as keepalived_instances and ucarp_instances configure them.

    Returns ``{name: {'address': ip, 'holder': member or None, 'before': member or None, 'order': [members,
    highest priority first]}}``; no passwords.
    """
    down = set(down or [])
    holders = dict(holders or {})
    ranked = {}
    addresses = {}
    for member in members:
        for vip in member.get('vips') or []:
            if not isinstance(vip, dict) or not vip.get('name'):
                continue
            name = str(vip['name'])
            addresses.setdefault(name, str(vip.get('address', '')).split('/', 1)[0])
            prio = member_priority(member, vip)
            if isinstance(prio, bool) or not isinstance(prio, int):
                try:
                    prio = int(prio)
                except (TypeError, ValueError):
                    continue  # the preflight refuses a member without a usable priority
            ranked.setdefault(name, []).append((-prio, str(member['name'])))
    result = {}
    for name, entries in sorted(ranked.items()):
        order = [host for dummy, host in sorted(entries)]
        before = holders.get(name)
        if isinstance(before, (list, tuple)):
            before = before[0] if before else None
        if before in down or before not in order:
            holder = next((host for host in order if host not in down), None)
        else:
            holder = before
        result[name] = {'address': addresses[name], 'holder': holder, 'before': before, 'order': order}
    return result


def preflight(members, cluster_name='hanet', profile='default', backend='keepalived'):
    """Every problem with the model, as messages; an empty list means it can be deployed."""
    errors = []
    if not isinstance(cluster_name, str) or not CLUSTER_NAME_PATTERN.match(cluster_name):
        errors.append('cluster_name: %r is not usable; give letters, digits, _, . and - (up to 64, starting with a '
                      'letter or digit): it names the cluster in its firewall rules' % (cluster_name,))
    if backend not in BACKENDS:
        errors.append('cluster_backend: %r is not supported; use keepalived or ucarp' % (backend,))
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
    return errors


def _daemon_conflicts(member, backend):
    """The other failover daemon running on a member would fight the one deployed for the same VIPs."""
    daemons = member.get('daemons') or {}
    other = 'ucarp' if backend == 'keepalived' else 'keepalived'
    # One the cluster role deployed itself (its record says so) is stopped and removed by this run before the
    # new backend starts (roles/cluster/tasks/retire.yml).
    if (daemons.get(other) or {}).get('running') and member.get('deployed_backend') != other:
        return ['%s: %s is running but cluster_backend is %s, and this role did not deploy it (no record in '
                '/etc/hanet-failover/backend); both would claim the VIPs. Stop and disable %s first '
                '(systemctl disable --now %s), or set cluster_backend: %s'
                % (member['name'], other, backend, other, 'keepalived' if other == 'keepalived' else "'ucarp@*'",
                   other)]
    return []


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


# The macvlan of a keepalived vmac instance. keepalived itself would call an unnamed one vrrp.VRID, or vrrp6.VRID
# (then vrrp1.VRID, ...) for IPv6 when that name is taken: the collection always names it, so that the name does
# not depend on what else exists on the host.
KEEPALIVED_VMAC_NAMES = {4: 'vrrp.%d', 6: 'vrrp6.%d'}


def vmac_interface(vip, backend='keepalived'):
    """The name of the macvlan that carries a vmac VIP (None in garp mode)."""
    if vip['mac_mode'] != 'vmac':
        return None
    if backend == 'ucarp':
        return 'ucarp.%d' % vip['vrid']
    return KEEPALIVED_VMAC_NAMES[vip['family']] % vip['vrid']


def keepalived_vmac_name(instance):
    """The vmac interface of a keepalived_instances entry (see roles/keepalived/meta/argument_specs.yml).

    Its vmac_name, else vrrp.VRID, or vrrp6.VRID when the instance's first VIP is IPv6 (keepalived takes the
    instance's family from it); None without use_vmac.
    """
    if not isinstance(instance, dict) or not instance.get('use_vmac'):
        return None
    if instance.get('vmac_name'):
        return str(instance['vmac_name'])
    first = (instance.get('virtual_ipaddresses') or [''])[0]
    address = str(first.get('address', '') if isinstance(first, dict) else first)
    return KEEPALIVED_VMAC_NAMES[6 if ':' in address else 4] % int(instance['virtual_router_id'])


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


def keepalived_instances(member, cluster_name='hanet', profile='default', members=None, maintenance_track=None,
                         rank=True, notify=None):
    """keepalived_instances entries for one member (see roles/keepalived/meta/argument_specs.yml).

    ``members`` (all members) ranks the priorities (see keepalived_priority; ``rank`` false keeps them as given)
    and is needed for VIPs with ``unicast: true``: the adverts then go from this member's own address to the
    others' addresses in the VIP's subnet.
    ``maintenance_track`` names a vrrp_track_file (value 0 or 1): at 1 the member's priority drops to 1, so
    that its peers take its VIPs over without a gap and it takes none back (drain).
    ``notify`` (the hooks' dispatcher, roles/cluster/files/hanet-hook) is run as ``notify VIP STATE`` on every
    change of state (master, backup, fault, stop).
    """
    instances = []
    for raw in member['vips']:
        vip = resolved_vip(raw, profile)
        instance = {
            'name': 'VI_%s' % vip['name'],
            'interface': vip['interface'],
            'virtual_router_id': vip['vrid'],
            'priority': keepalived_priority(member, vip, members, rank),
            'state': 'BACKUP',
            'advert_int': vip['advert_int'],
            'version': vip['version'],
            'virtual_ipaddresses': [{'address': vip['address']}],
        }
        if vip['family'] == 6:
            instance['native_ipv6'] = True
        if vip.get('unicast'):
            instance.update(_unicast(member, members, vip))
        if maintenance_track and instance['priority'] and instance['priority'] > 1:
            instance['track_files'] = [{'name': maintenance_track, 'weight': 1 - instance['priority']}]
        if vip['track']:
            # The VIP follows its service: the checker's fault file (weight 0: non-zero puts the instance in FAULT,
            # so the member gives the VIP away and takes no part in its election) and its weight file (minus the
            # weights of the failing weighted checks, added to the priority).
            fault, weight = _health.track_file_names(vip['name'])
            instance.setdefault('track_files', []).extend([{'name': fault, 'weight': 0}, {'name': weight, 'weight': 1}])
        if notify:
            for state in _hooks.STATES:
                instance['notify_%s' % state] = '%s %s %s' % (notify, vip['name'], state)
            # The dispatcher starts the hooks through systemd as their own users: it needs root, whatever
            # keepalived_script_user says.
            instance['notify_user'] = 'root'
        for key in ('nopreempt', 'preempt_delay', 'auth_pass', 'garp_master_delay', 'garp_master_repeat',
                    'garp_master_refresh', 'garp_master_refresh_repeat'):
            if vip.get(key) is not None:
                instance[key] = vip[key]
        if vip['mac_mode'] == 'vmac':
            instance['use_vmac'] = True
            instance['vmac_name'] = vmac_interface(vip)
            mac = vip_mac(vip, cluster_name)
            if mac != _mac.vrrp_mac(vip['vrid'], vip['family']):
                instance['vmac_mac'] = mac
            # Multicast adverts go out from the virtual MAC (RFC 5798), so every advert also tells the switch
            # where the VMAC lives: a port learned wrong during a handover heals within one advert interval.
            # keepalived's unicast adverts need the parent interface.
            instance['vmac_xmit_base'] = bool(vip.get('unicast'))
        else:
            instance['virtual_ipaddresses'][0]['dev'] = vip['interface']
        instances.append(instance)
    return instances


def own_address(member, vip):
    """The member's own address of the VIP's family in the VIP's subnet on the VIP's interface, or None.

    Never one of the cluster's VIPs (the member may hold any of them right now; IPv6 lists the newest address
    first), so the answer does not depend on who holds what. Of several, a settled address first: one that is
    not tentative (duplicate address detection still running), not deprecated, not secondary (IPv4: added
    after the first in its subnet; IPv6: a temporary privacy address), permanent (not from autoconfiguration)
    and of global scope, where the links say so (failover_info's address flags; Ansible's facts have none).
    Among equals, the first the kernel lists. An address whose duplicate address detection failed is never
    used.
    """
    vip_iface = ipaddress.ip_interface(vip['address'])
    vips = set([vip_iface.ip])
    for other in member.get('vips') or []:
        try:
            vips.add(ipaddress.ip_interface(other.get('address')).ip)
        except (AttributeError, TypeError, ValueError):
            pass  # the preflight names a malformed address of another VIP itself

    link = next((lk for lk in member.get('links') or [] if lk['name'] == vip['interface']), None)
    candidates = []
    for position, entry in enumerate((link or {}).get('addresses', [])):
        if entry.get('family') != vip['family'] or entry.get('dadfailed'):
            continue
        try:
            address = ipaddress.ip_address(entry['address'])
        except (KeyError, TypeError, ValueError):
            continue
        if address in vips or address not in vip_iface.network:
            continue
        unsettled = (bool(entry.get('tentative')), bool(entry.get('deprecated')), bool(entry.get('secondary')),
                     entry.get('permanent') is False, entry.get('scope', 0) not in (0, 'global', 'universe'))
        candidates.append((unsettled, position, str(address)))
    return min(candidates)[2] if candidates else None


def ucarp_instances(member, members, cluster_name='hanet', profile='default', notify=None):
    """ucarp_instances entries for one member (see roles/ucarp/meta/argument_specs.yml).

    CARP elects by advertisement interval, not priority: the member with the highest priority gets
    advskew 0, the next UCARP_SKEW_STEP, and so on. ``srcip`` is the member's own IPv4 address in the
    VIP's subnet on the VIP's interface. ``notify`` (the hooks' dispatcher) is run as ``notify VIP STATE``.
    """
    instances = []
    for raw in member['vips']:
        vip = resolved_vip(raw, 'default' if profile not in PROFILES else profile, 'ucarp')
        label = 'cluster_vips[%s]' % vip['name']
        names = [m['name'] for m in ranked_members(members, vip)]
        if member['name'] not in names:
            raise ModelError('%s: %s has no priority; set cluster_priority for the host' % (label, member['name']))
        srcip = own_address(member, vip)
        if srcip is None:
            raise ModelError('%s: %s has no IPv4 address of its own in %s on %s for ucarp to advertise from'
                             % (label, member['name'], ipaddress.ip_interface(vip['address']).network,
                                vip['interface']))
        instance = {
            'name': vip['name'],
            'interface': vip['interface'],
            'srcip': srcip,
            'vhid': vip['vrid'],
            'password': vip['auth_pass'],
            'address': vip['address'],
            'advbase': vip['advert_int'],
            'advskew': min(255, names.index(member['name']) * UCARP_SKEW_STEP),
            'deadratio': vip['deadratio'],
            'preempt': not vip.get('nopreempt', False),
            'nomcast': bool(vip.get('unicast')),
            'mac_mode': vip['mac_mode'],
            'track': bool(vip['track']),
        }
        if notify:
            instance['notify'] = notify
        if vip['mac_mode'] == 'vmac':
            instance['mac'] = vip_mac(vip, cluster_name)
            instance['vmac_interface'] = vmac_interface(vip, 'ucarp')
        instances.append(instance)
    return instances


def _unicast(member, members, vip):
    label = 'cluster_vips[%s]' % vip['name']
    if not members:
        raise ModelError('%s.unicast: pass all members to keepalived_instances to find the peers' % label)
    src = own_address(member, vip)
    if src is None:
        raise ModelError('%s.unicast: %s has no address of its own in the VIP\'s subnet on %s'
                         % (label, member['name'], vip['interface']))
    peers = []
    for other in members:
        if other['name'] == member['name']:
            continue
        address = own_address(other, vip)
        if address is None:
            raise ModelError('%s.unicast: %s has no address of its own in the VIP\'s subnet on %s'
                             % (label, other['name'], vip['interface']))
        peers.append(address)
    return {'unicast_src_ip': src, 'unicast_peers': peers}


def expected_macs(members, cluster_name='hanet', profile='default', backend='keepalived'):
    """Per VIP name: the MAC clients must see, or None in garp mode (then it is the holder's MAC)."""
    result = {}
    for raw in members[0]['vips']:
        vip = resolved_vip(raw, profile, backend if backend in BACKENDS else 'keepalived')
        result[vip['name']] = {'address': vip['address'].split('/')[0], 'family': vip['family'],
                               'mac_mode': vip['mac_mode'], 'mac': vip_mac(vip, cluster_name),
                               'interface': vip['interface']}
    return result


def links_from_facts(facts):
    """Links in failover_info's shape (name, mac, mtu, addresses) from Ansible's network facts.

    Only for check mode on a host where pyroute2 is not installed yet, so that the preflight's per-host checks
    and the unicast source addresses still see the host's interfaces and addresses. ``facts`` is
    ``ansible_facts`` after ``setup`` with the network subset.
    """
    links = []
    for name in sorted(facts.get('interfaces') or []):
        entry = facts.get(name.replace('-', '_').replace('.', '_')) or facts.get(name) or {}
        addresses = []
        for v4 in ([entry['ipv4']] if entry.get('ipv4') else []) + list(entry.get('ipv4_secondaries') or []):
            addresses.append({'family': 4, 'address': v4['address'], 'prefixlen': int(v4.get('prefix', 32))})
        for v6 in entry.get('ipv6') or []:
            addresses.append({'family': 6, 'address': v6['address'], 'prefixlen': int(v6.get('prefix', 128))})
        links.append({'name': entry.get('device', name), 'mac': entry.get('macaddress'), 'mtu': entry.get('mtu'),
                      'addresses': addresses})
    return links


def vip_holders(links_by_host, expectations):
    """Who holds each VIP, and the MAC clients should see for it.

    ``links_by_host`` maps a host to its failover_info links. For each VIP name:
    ``holders`` (hosts with the address), ``mac`` (the MAC of the link that holds
    it on the first holder: the virtual MAC in vmac mode, the interface's own MAC
    in garp mode) and ``expected_mac`` (the virtual MAC, or that holder's MAC).
    """
    result = {}
    for name, expect in sorted(expectations.items()):
        wanted = ipaddress.ip_address(expect['address'])
        holders, macs = [], []
        for host, links in sorted(links_by_host.items()):
            for link in links or []:
                if any(ipaddress.ip_address(a['address']) == wanted for a in link.get('addresses', [])):
                    holders.append(host)
                    macs.append(link['mac'])
                    break
        mac = macs[0] if macs else None
        result[name] = {'address': expect['address'], 'mac_mode': expect['mac_mode'], 'holders': holders, 'mac': mac,
                        'expected_mac': expect['mac'] or mac}
    return result
