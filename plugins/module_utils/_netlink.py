# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Netlink access through pyroute2's IPRoute, for links and addresses.

This is the only place that imports pyroute2. Everything returned is plain
dicts so modules never touch pyroute2 messages. Works with pyroute2 0.7
(Debian 12) and 0.9 (PyPI); where the two differ, the code checks what the
kernel did instead of asking which version it runs on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import errno
import ipaddress
import os
import socket
import traceback

# check_ifname is part of this module's interface (the modules call netlink.check_ifname).
from ansible_collections.hanet.failover.plugins.module_utils._ifname import check_ifname  # noqa: F401 pylint: disable=unused-import

PYROUTE2_IMPORT_ERROR = None
try:
    from pyroute2 import IPRoute
    from pyroute2.netlink.exceptions import NetlinkError
except ImportError:
    IPRoute = None
    PYROUTE2_IMPORT_ERROR = traceback.format_exc()

    class NetlinkError(Exception):
        """Stand-in so that except clauses still compile without pyroute2."""

        code = 0

HAS_PYROUTE2 = PYROUTE2_IMPORT_ERROR is None

MACVLAN_MODES = ('private', 'vepa', 'bridge', 'passthru', 'source')
FOREVER = 0xFFFFFFFF

IFF_UP = 0x1
ARPHRD_ETHER = 1
ARPHRD_NAMES = {772: 'loopback', 65534: 'none (a tunnel or tun device)', 768: 'ipip', 776: 'sit', 778: 'gre'}
IFA_F_SECONDARY = 0x01
IFA_F_NODAD = 0x02
IFA_F_DADFAILED = 0x08
IFA_F_DEPRECATED = 0x20
IFA_F_TENTATIVE = 0x40
IFA_F_PERMANENT = 0x80
IFA_F_NOPREFIXROUTE = 0x200


class NetlinkFailure(Exception):
    """A netlink request the kernel refused, with a message for the user."""


def require_pyroute2(module, **result):
    """Fail the module the standard way when pyroute2 is not importable (with ``result``'s keys in the result).

    Ansible's helper is imported here, not at the top: target-side programs (the Pacemaker vmac agent) use this
    file on members where Ansible itself is not installed."""
    from ansible.module_utils.basic import missing_required_lib

    if not HAS_PYROUTE2:
        module.fail_json(msg=missing_required_lib('pyroute2'), exception=PYROUTE2_IMPORT_ERROR, **result)


def iproute():
    """A new IPRoute socket; use it as a context manager.

    The socket asks for strict checking (NETLINK_GET_STRICT_CHK, Linux 4.20+), so that the kernel
    filters an address dump by link instead of sending every address in the namespace: reading one
    link's addresses then costs the same with 5 or 5000 addresses. A kernel without the option
    refuses the socket option; the plain socket is used then (the same answers, filtered here).
    """
    try:
        return IPRoute(strict_check=True)
    except (OSError, NetlinkError):
        return IPRoute()


def _attr(msg, name, default=None):
    value = msg.get_attr(name)
    return default if value is None else value


def link_record(msg):
    """Plain dict for an RTM_NEWLINK message."""
    record = {
        'index': msg['index'],
        'name': _attr(msg, 'IFLA_IFNAME'),
        'mac': (_attr(msg, 'IFLA_ADDRESS') or '').lower() or None,
        'mtu': _attr(msg, 'IFLA_MTU'),
        'up': bool(msg['flags'] & IFF_UP),
        'operstate': _attr(msg, 'IFLA_OPERSTATE'),
        'link_type': msg['ifi_type'],
        'kind': None,
        'parent_index': None,
        'macvlan_mode': None,
    }
    # A link whose parent lives in another namespace (a container's veth) has
    # IFLA_LINK_NETNSID; its IFLA_LINK index means nothing here.
    if msg.get_attr('IFLA_LINK') and msg.get_attr('IFLA_LINK_NETNSID') is None:
        record['parent_index'] = msg.get_attr('IFLA_LINK')
    info = msg.get_attr('IFLA_LINKINFO')
    if info is not None:
        record['kind'] = info.get_attr('IFLA_INFO_KIND')
        data = info.get_attr('IFLA_INFO_DATA')
        if record['kind'] == 'macvlan' and data is not None and hasattr(data, 'get_attr'):
            record['macvlan_mode'] = data.get_attr('IFLA_MACVLAN_MODE')
    return record


def _failure(exc, what):
    code = getattr(exc, 'code', 0)
    reason = errno.errorcode.get(code, str(code)) if code else str(exc)
    detail = exc.args[1] if len(getattr(exc, 'args', ())) > 1 else str(exc)
    return NetlinkFailure('%s: the kernel refused it (%s: %s)' % (what, reason, detail))


def _raise(exc, what):
    raise _failure(exc, what)


def get_link(ipr, name=None, index=None):
    """The link record by name or index, or None. One RTM_GETLINK request, no dump."""
    try:
        if index is not None:
            msgs = ipr.link('get', index=index)
        else:
            msgs = ipr.link('get', ifname=name)
    except NetlinkError as exc:
        if exc.code in (errno.ENODEV, errno.ENOENT, errno.EINVAL):
            return None
        _raise(exc, 'reading link %s' % (name or index))
    for msg in msgs:
        return link_record(msg)
    return None


def list_links(ipr):
    """Every link in this namespace, from one dump."""
    return [link_record(msg) for msg in ipr.get_links()]


def create_macvlan(ipr, name, parent_index, mode, mac=None, mtu=None, up=True):
    """Create a macvlan and return its record; on a refusal nothing is left behind.

    The kernel checks a macvlan's MAC against its siblings only when it comes up, so a link that was created
    but then refused to come up is deleted again before the refusal is raised.
    """
    spec = {'ifname': name, 'kind': 'macvlan', 'link': parent_index, 'macvlan_mode': mode}
    if mac:
        spec['address'] = mac
    if mtu:
        spec['mtu'] = mtu
    try:
        ipr.link('add', **spec)
    except NetlinkError as exc:
        _raise(exc, 'creating macvlan %s' % name)
    created = get_link(ipr, name=name)
    if created is None:
        raise NetlinkFailure('creating macvlan %s: the kernel reported success but the link is missing' % name)
    if up:
        try:
            set_link(ipr, created['index'], name, up=True)
        except NetlinkFailure:
            _delete_quietly(ipr, created['index'])
            raise
    return get_link(ipr, index=created['index'])


def _link_spec(mac=None, mtu=None, up=None, macvlan_mode=None, ifname=None):
    spec = {}
    if macvlan_mode is not None:
        spec['kind'] = 'macvlan'
        spec['macvlan_mode'] = macvlan_mode
    if mac is not None:
        spec['address'] = mac
    if mtu is not None:
        spec['mtu'] = mtu
    if up is not None:
        spec['state'] = 'up' if up else 'down'
    if ifname is not None:
        spec['ifname'] = ifname
    return spec


def set_link(ipr, index, name, mac=None, mtu=None, up=None, macvlan_mode=None, ifname=None, undo=None):
    """Change only what is given, in one request (a mode change rides along as the macvlan's link data).

    The kernel applies one request's parts one after the other (the mode, then the MAC, the MTU, up/down)
    and keeps those it applied when it refuses a later one. ``undo`` (the same keywords, with the values
    before the change) is sent back after a refusal, so that a refused change leaves the link as it was.
    """
    spec = _link_spec(mac=mac, mtu=mtu, up=up, macvlan_mode=macvlan_mode, ifname=ifname)
    if not spec:
        return
    try:
        ipr.link('set', index=index, **spec)
    except NetlinkError as exc:
        failure = _failure(exc, 'changing link %s' % name)
        if not undo:
            raise failure
        try:
            ipr.link('set', index=index, **_link_spec(**undo))
        except NetlinkError as undo_exc:
            raise NetlinkFailure('%s; putting %s back as it was failed too (%s): check it by hand'
                                 % (failure, name, undo_exc))
        raise NetlinkFailure('%s; nothing was changed (what the kernel had applied was put back)' % failure)


def _delete_quietly(ipr, index):
    try:
        ipr.link('del', index=index)
    except NetlinkError:
        pass


def macvlan_refusals(name, current, parent, links, mode, mac, mtu, up):
    """What the kernel would refuse about a macvlan ``name`` on ``parent`` (messages naming the field and the fix).

    ``current`` is the existing link record or None, ``links`` every link record (list_links), ``mac`` and
    ``mtu`` what the link will have (None: the kernel picks). Checked before anything is changed, so that a
    refusal cannot leave a change half made.
    """
    problems = []
    if parent['link_type'] != ARPHRD_ETHER:
        problems.append('parent: %s is not an Ethernet interface (link type %s), and a macvlan needs an Ethernet '
                        'parent; name the Ethernet interface (or bond, bridge, VLAN) it should sit on'
                        % (parent['name'], ARPHRD_NAMES.get(parent['link_type'], parent['link_type'])))
    if mtu is not None and parent['mtu'] is not None and mtu > parent['mtu']:
        problems.append(
            'mtu: %s would have MTU %d, above the MTU %d of its parent %s, and a macvlan cannot exceed its parent; '
            'set mtu to %d or less, or raise the MTU of %s first'
            % (name, mtu, parent['mtu'], parent['name'], parent['mtu'], parent['name']))
    siblings = [link for link in links
                if link['kind'] == 'macvlan' and link['parent_index'] == parent['index']
                and (current is None or link['index'] != current['index'])]
    if mode == 'passthru' and siblings:
        problems.append(
            'mode: passthru must be the only macvlan on %s, which also carries %s; remove those first or choose '
            'another mode' % (parent['name'], ', '.join(sorted(link['name'] for link in siblings))))
    passthru = [link['name'] for link in siblings if link['macvlan_mode'] == 'passthru']
    if mode != 'passthru' and passthru:
        problems.append(
            'parent: %s carries the passthru macvlan %s, which allows no other macvlan on it; choose another '
            'parent or remove %s first' % (parent['name'], passthru[0], passthru[0]))
    # The kernel checks a MAC against the parent and the siblings that are up when the link comes up, and when the
    # MAC of an existing link changes, up or down (EADDRINUSE); a new link created down is not checked.
    if mac and mode != 'passthru' and (up or (current is not None and mac != current['mac'])):
        if mac == parent['mac']:
            problems.append('mac: %s is the MAC of the parent %s itself, which the kernel refuses for a macvlan '
                            'that is up; choose another mac' % (mac, parent['name']))
        for link in siblings:
            if link['up'] and link['mac'] == mac:
                problems.append(
                    'mac: %s is already used by %s on %s, and two macvlans on one parent cannot be up with the same '
                    'MAC; choose another mac or remove %s first' % (mac, link['name'], parent['name'], link['name']))
    return problems


def _temporary_name(ipr):
    for dummy in range(20):
        name = 'hanet-%s' % binascii.hexlify(os.urandom(4)).decode('ascii')
        if get_link(ipr, name=name) is None:
            return name
    raise NetlinkFailure('no free temporary interface name found')


def _kept_addresses(ipr, link):
    """The addresses to carry over to a new link: all but the kernel's own link-local ones."""
    return [rec for rec in list_addresses(ipr, link['index']) if rec['scope'] == 0]


def _restore_addresses(ipr, link, kept):
    restored = []
    for rec in kept:
        add_address(ipr, link['index'], link['name'], rec['address'], rec['prefixlen'], label=rec['label'],
                    preferred_lft=rec['preferred_lft'], valid_lft=rec['valid_lft'], nodad=rec['nodad'],
                    noprefixroute=rec['noprefixroute'])
        restored.append('%s/%d' % (rec['address'], rec['prefixlen']))
    return restored


def _put_back(ipr, old, kept, new_index, failure):
    """After ``old`` was deleted and its successor failed: delete the successor, create ``old`` again.

    Returns the failure to raise, saying whether ``old`` is back.
    """
    if new_index is not None:
        _delete_quietly(ipr, new_index)
    try:
        link = create_macvlan(ipr, old['name'], old['parent_index'], old['macvlan_mode'],
                              mac=None if old['macvlan_mode'] == 'passthru' else old['mac'], mtu=old['mtu'],
                              up=old['up'])
        _restore_addresses(ipr, link, kept)
    except NetlinkFailure as exc:
        return NetlinkFailure('%s; putting %s back as it was failed too (%s)' % (failure, old['name'], exc))
    return NetlinkFailure('%s; %s was put back as it was (parent, mode, MAC, MTU, state and addresses)'
                          % (failure, old['name']))


def replace_macvlan(ipr, old, parent_index, mode, mac=None, mtu=None, up=True):
    """Replace the macvlan ``old`` (a link record) by a new one of the same name; return (record, restored).

    On another parent the new link is created first under a temporary name, so that a refusal changes
    nothing; then the old link is deleted and the new one renamed, brought up and given the old addresses.
    On the same parent (into or out of passthru) the kernel allows no second macvlan next to a passthru one,
    so the old link is deleted first. Either way a failure once the old link is gone creates it again as it
    was, with its addresses, and the error says so.
    """
    name = old['name']
    kept = _kept_addresses(ipr, old)
    new_index = None
    if old['parent_index'] != parent_index:
        temporary = _temporary_name(ipr)
        try:
            new_index = create_macvlan(ipr, temporary, parent_index, mode, mac=mac, mtu=mtu, up=False)['index']
        except NetlinkFailure as exc:
            raise NetlinkFailure('parent: %s cannot move to its new parent and was left as it was; its successor '
                                 '(%s, a temporary name) was refused: %s' % (name, temporary, exc))
        try:
            delete_link(ipr, old['index'], name)
        except NetlinkFailure:
            _delete_quietly(ipr, new_index)
            raise
        try:
            set_link(ipr, new_index, temporary, ifname=name)
            if up:
                set_link(ipr, new_index, name, up=True)
            link = get_link(ipr, index=new_index)
            restored = _restore_addresses(ipr, link, kept)
        except NetlinkFailure as exc:
            raise _put_back(ipr, old, kept, new_index, exc)
        return get_link(ipr, index=new_index), restored
    delete_link(ipr, old['index'], name)
    try:
        link = create_macvlan(ipr, name, parent_index, mode, mac=mac, mtu=mtu, up=up)
        new_index = link['index']
        restored = _restore_addresses(ipr, link, kept)
    except NetlinkFailure as exc:
        raise _put_back(ipr, old, kept, new_index, exc)
    return get_link(ipr, index=new_index), restored


def delete_link(ipr, index, name):
    try:
        ipr.link('del', index=index)
    except NetlinkError as exc:
        _raise(exc, 'deleting link %s' % name)


def address_record(msg):
    family = msg['family']
    flags = msg.get_attr('IFA_FLAGS')
    if flags is None:
        flags = msg['flags']
    if family == socket.AF_INET:
        address = msg.get_attr('IFA_LOCAL') or msg.get_attr('IFA_ADDRESS')
    else:
        address = msg.get_attr('IFA_ADDRESS')
    cache = msg.get_attr('IFA_CACHEINFO') or {}
    return {
        'index': msg['index'],
        'family': 4 if family == socket.AF_INET else 6,
        'address': str(ipaddress.ip_address(address)),
        'prefixlen': msg['prefixlen'],
        'label': msg.get_attr('IFA_LABEL'),
        'scope': msg['scope'],
        'flags': flags,
        'secondary': bool(flags & IFA_F_SECONDARY),
        'tentative': bool(flags & IFA_F_TENTATIVE),
        'dadfailed': bool(flags & IFA_F_DADFAILED),
        'deprecated': bool(flags & IFA_F_DEPRECATED),
        'nodad': bool(flags & IFA_F_NODAD),
        'noprefixroute': bool(flags & IFA_F_NOPREFIXROUTE),
        'preferred_lft': cache.get('ifa_preferred', FOREVER),
        'valid_lft': cache.get('ifa_valid', FOREVER),
    }


def _every(dummy):
    return True


def list_addresses(ipr, index=None):
    """Addresses of one link (filtered by the kernel on a strict socket) or of all links."""
    if index is None:
        msgs = ipr.get_addr()
    else:
        # The link index must reach the kernel in the request header for the kernel to filter. pyroute2 0.7
        # keeps the request's fields when a ``match`` callable is given, 0.9 when a ``dump_filter`` is given;
        # each ignores the other keyword. Both are passed, and the records are still filtered here, so the
        # answer is right whichever library or kernel runs this.
        msgs = ipr.addr('dump', index=index, match=_every, dump_filter=_every)
    records = [address_record(msg) for msg in msgs]
    if index is not None:
        records = [rec for rec in records if rec['index'] == index]
    return records


def find_address(ipr, index, address):
    """Records on link ``index`` with this IP (any prefix length)."""
    wanted = ipaddress.ip_address(address)
    return [rec for rec in list_addresses(ipr, index) if ipaddress.ip_address(rec['address']) == wanted]


def _lifetime_ok(have, want):
    """Whether a lifetime read back is the one asked for (a finite one counts down from the moment it was set)."""
    if want in (0, FOREVER):
        return have == want
    return have != FOREVER and have <= want


def add_address(ipr, index, interface, address, prefixlen, label=None, preferred_lft=FOREVER,
                nodad=False, noprefixroute=False, replace=False, valid_lft=FOREVER):
    """Add (or replace) an address, then check that the kernel holds it as asked.

    A replace also sets the lifetimes: an address with finite ones (from DHCP, or ``valid_lft 30``) becomes
    permanent with the defaults. The request is send_address's: the lifetimes in the form pyroute2 0.9 takes, read
    back, and sent again in 0.7's form only when the kernel shows they were not applied.
    """
    ip = ipaddress.ip_address(address)
    what = '%s %s/%d on %s' % ('replacing' if replace else 'adding', ip, prefixlen, interface)
    request = dict(label=label, preferred_lft=preferred_lft, nodad=nodad, noprefixroute=noprefixroute,
                   replace=replace, valid_lft=valid_lft)
    send_address(ipr, index, interface, ip, prefixlen, **request)
    try:
        current = find_address_exact(ipr, index, ip, prefixlen)
        if current is not None and not lifetimes_applied(current, preferred_lft, valid_lft):
            send_address(ipr, index, interface, ip, prefixlen, cacheinfo=True, **request)
            current = find_address_exact(ipr, index, ip, prefixlen)
    except NetlinkError as exc:
        _raise(exc, what)
    if current is None:
        raise NetlinkFailure('%s: the kernel reported success but the address is missing' % what)
    if not lifetimes_applied(current, preferred_lft, valid_lft):
        raise NetlinkFailure('%s: this pyroute2 cannot set the lifetimes (preferred_lft %s, valid_lft %s)'
                             % (what, preferred_lft, valid_lft))
    return current


def find_address_exact(ipr, index, ip, prefixlen):
    for rec in find_address(ipr, index, ip):
        if rec['prefixlen'] == prefixlen:
            return rec
    return None


def delete_address(ipr, index, interface, address, prefixlen):
    ip = ipaddress.ip_address(address)
    try:
        ipr.addr('del', index=index, address=str(ip), prefixlen=prefixlen)
    except NetlinkError as exc:
        if exc.code == errno.EADDRNOTAVAIL:
            return
        _raise(exc, 'removing %s/%d from %s' % (ip, prefixlen, interface))


def preferred_lifetime(rec):
    """The preferred lifetime of an address record as it is in effect: 0 for a deprecated address.

    The kernel reports the preferred lifetime of a permanent IPv4 address as forever, also when it was set to 0
    (the address is deprecated then, and the kernel does not pick it as a source).
    """
    return 0 if rec['deprecated'] else rec['preferred_lft']


def lifetimes_applied(rec, preferred_lft=FOREVER, valid_lft=FOREVER):
    """Whether an address record read back has the lifetimes asked for."""
    return _lifetime_ok(preferred_lifetime(rec), preferred_lft) and _lifetime_ok(rec['valid_lft'], valid_lft)


def send_address(ipr, index, interface, address, prefixlen, label=None, preferred_lft=FOREVER, nodad=False,
                 noprefixroute=False, replace=False, valid_lft=FOREVER, cacheinfo=False):
    """Send one add (or replace) of an address without reading it back: add_address's request, for many addresses.

    The caller reads all of them back at once (one dump) and checks each with lifetimes_applied. The lifetimes go
    as preferred=/valid= (pyroute2 0.9); with ``cacheinfo`` as a replace with cacheinfo={...} (pyroute2 0.7). Each
    library ignores the other form: send the first, and the second only where the read-back shows the lifetimes
    were not applied (``replace`` still names the first request, for the message).
    """
    ip = ipaddress.ip_address(address)
    flags = (IFA_F_NODAD if nodad else 0) | (IFA_F_NOPREFIXROUTE if noprefixroute else 0)
    spec = {'index': index, 'address': str(ip), 'prefixlen': prefixlen}
    if flags:
        spec['flags'] = flags
    if label and ip.version == 4:
        spec['label'] = label
    try:
        if cacheinfo:
            ipr.addr('replace', cacheinfo={'preferred': preferred_lft, 'valid': valid_lft}, **spec)
        else:
            ipr.addr('replace' if replace else 'add', preferred=preferred_lft, valid=valid_lft, **spec)
    except NetlinkError as exc:
        _raise(exc, '%s %s/%d on %s' % ('replacing' if replace else 'adding', ip, prefixlen, interface))


def _interrupted(exc):
    """Whether the kernel flagged a dump as interrupted (NLM_F_DUMP_INTR): what it held changed during the dump.

    pyroute2 0.7 raises NetlinkDumpInterrupted (a NetlinkError) then, after reading the whole dump.
    """
    return type(exc).__name__ == 'NetlinkDumpInterrupted'


def _dump_whole(read, what, attempts=20):
    for dummy in range(attempts):
        try:
            return read()
        except NetlinkError as exc:
            if not _interrupted(exc):
                _raise(exc, 'reading the %s' % what)
    raise NetlinkFailure('reading the %s: the kernel interrupted the dump %d times in a row, as they kept changing '
                         'meanwhile; run again' % (what, attempts))


def dump_links(ipr):
    """list_links, read again when the kernel interrupted the dump (a link changed meanwhile)."""
    return _dump_whole(lambda: list_links(ipr), 'links')


def dump_addresses(ipr, index=None):
    """list_addresses, read again when the kernel interrupted the dump.

    Addresses change all the time while duplicate address detection ends or an interface comes up, and the
    longer the dump (every address of a namespace with hundreds), the likelier that is.
    """
    return _dump_whole(lambda: list_addresses(ipr, index), 'addresses')
