# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The vip module's work on a list of addresses; its single form (address, interface) is a list of one entry.

Every entry is checked and planned before anything changes. The netlink cost is O(N) for N entries: one read of
the links and one of the addresses to plan (for a single interface: that link and its kernel-filtered addresses),
one request per address to change, one read back after the changes (and one more where pyroute2 0.7 needs the
lifetime fallback), and one read per poll while duplicate address detection runs for all pending addresses
together. The announcements go out in rounds, every address's frames in each round, from one socket.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import os
import time

from ansible_collections.hanet.failover.plugins.module_utils._change_tracker import ChangeTracker
from ansible_collections.hanet.failover.plugins.module_utils import _announce as announce
from ansible_collections.hanet.failover.plugins.module_utils import _netlink as netlink
from ansible_collections.hanet.failover.plugins.module_utils import _sysctl as sysctl

DAD_POLL = 0.05
# Actions that remove the address first (a label cannot be changed in place), and those that add it.
REMOVING = ('delete', 'relabel')
ADDING = ('add', 'replace', 'relabel')


class VipFailure(Exception):
    """What went wrong, one message per problem (each naming its entry), and the result so far (if anything ran)."""

    def __init__(self, problems, result=None):
        super(VipFailure, self).__init__(problems[0])
        self.problems = problems
        self.result = result or {}


class Entry:
    """One address to put in place or remove, and what becomes of it."""

    def __init__(self, position, params):
        self.position = position  # the index in addresses; None in the single form
        self.params = params
        self.iface = None  # the address as an ipaddress interface, once checked
        self.link = None  # the link record, once planned
        self.exact = None  # the kernel's record of this IP with this prefix length, or None
        self.tracker = None  # before: as found; after: as it is now (as it would be, in check mode)
        self.planned = None  # the description it is to have ({} when absent)
        self.action = None  # None, 'add', 'replace', 'relabel' (remove, then add) or 'delete'
        self.to_announce = False
        self.announced = 0

    @property
    def where(self):
        """How a message names the entry: not at all in the single form, as addresses[N] (ADDRESS on IFACE) in a list."""
        if self.position is None:
            return ''
        return 'addresses[%d] (%s on %s): ' % (self.position, self.params['address'], self.params['interface'])

    @property
    def key(self):
        return '%s on %s' % (self.iface, self.params['interface'])

    @property
    def ip(self):
        return self.iface.ip

    @property
    def prefixlen(self):
        return self.iface.network.prefixlen

    def result(self):
        return {'address': self.tracker.after, 'changed': self.tracker.changed, 'announced': self.announced}


def parse_address(text):
    """The address with its prefix length as an ipaddress interface; ValueError naming the field and the fix."""
    if '/' not in text:
        raise ValueError('address: %s has no prefix length; write it as %s/24 (IPv4) or %s/64 (IPv6)'
                         % (text, text, text))
    try:
        iface = ipaddress.ip_interface(text.strip())
    except ValueError as exc:
        raise ValueError('address: %s is not an IP address with a prefix length (%s)' % (text, exc))
    ip = iface.ip
    if ip.is_multicast or ip.is_unspecified or ip.is_loopback:
        raise ValueError('address: %s is a multicast, unspecified or loopback address and cannot be a VIP' % ip)
    network = iface.network
    if ip.version == 4 and network.prefixlen < 31:
        if ip == network.network_address:
            raise ValueError('address: %s is the network address of %s; pick a host address' % (ip, network))
        if ip == network.broadcast_address:
            raise ValueError('address: %s is the broadcast address of %s; pick a host address' % (ip, network))
    return iface


def check_entry(entry):
    """The checks of one entry that need no netlink; ValueError on the first problem."""
    params = entry.params
    entry.iface = parse_address(params['address'])
    netlink.check_ifname(params['interface'], 'interface')
    label = params['label']
    if label is not None:
        if entry.iface.version == 6:
            raise ValueError('label: IPv6 addresses have no labels; remove label for %s' % entry.iface)
        if len(label) > 15 or not (label == params['interface'] or label.startswith(params['interface'] + ':')):
            raise ValueError('label: %r must be the interface name or start with "%s:", at most 15 characters'
                             % (label, params['interface']))


def check_entries(entries):
    """Problems of the entries themselves: each checked, and each IP given once per interface."""
    problems = []
    seen = {}
    for entry in entries:
        try:
            check_entry(entry)
        except ValueError as exc:
            entry.iface = None
            problems.append(entry.where + str(exc))
            continue
        first = seen.setdefault((entry.params['interface'], entry.ip), entry)
        if first is not entry:
            problems.append(entry.where + 'address: %s on %s is in addresses[%d] already; give each IP once per '
                                          'interface (whatever the prefix length)'
                            % (entry.ip, entry.params['interface'], first.position))
    return problems


def check_options(options):
    """Problems of the options that apply to every entry."""
    problems = []
    if options['announce_count'] < 1 or options['announce_count'] > 100:
        problems.append('announce_count: %d is out of range; give 1 to 100' % options['announce_count'])
    if not 0 <= options['announce_interval'] <= 10:
        problems.append('announce_interval: %s is out of range; give 0 to 10 seconds' % options['announce_interval'])
    if not 0 < options['dad_timeout'] <= 60:
        problems.append('dad_timeout: %s is out of range; give more than 0 and at most 60 seconds'
                        % options['dad_timeout'])
    return problems


def lifetime(seconds):
    return 'forever' if seconds == netlink.FOREVER else str(seconds)


def describe(rec, interface):
    if rec is None:
        return {}
    return {
        'address': '%s/%d' % (rec['address'], rec['prefixlen']),
        'interface': interface,
        'label': rec['label'] if rec['family'] == 4 else None,
        'preferred_lft': lifetime(netlink.preferred_lifetime(rec)),
        'valid_lft': lifetime(rec['valid_lft']),
        'noprefixroute': rec['noprefixroute'],
    }


def read_links(ipr, names):
    """{name: link record} of the named links: one request for a single name, else one dump of every link."""
    if len(names) == 1:
        name = next(iter(names))
        link = netlink.get_link(ipr, name=name)
        return {name: link} if link is not None else {}
    return dict((link['name'], link) for link in netlink.dump_links(ipr))


def read_addresses(ipr, indexes):
    """{index: [address records]} of the links: for one link its dump (filtered by the kernel), else one dump."""
    by_link = dict((index, []) for index in indexes)
    if len(by_link) == 1:
        recs = netlink.dump_addresses(ipr, next(iter(by_link)))
    else:
        recs = netlink.dump_addresses(ipr)
    for rec in recs:
        if rec['index'] in by_link:
            by_link[rec['index']].append(rec)
    return by_link


def by_ip(by_link):
    """{(index, ip): [records]}, for look-ups in O(1)."""
    table = {}
    for recs in by_link.values():
        for rec in recs:
            table.setdefault((rec['index'], ipaddress.ip_address(rec['address'])), []).append(rec)
    return table


def plan_entry(entry, options):
    """What the entry's address is to look like, and what that takes."""
    params = entry.params
    before = entry.tracker.before
    if params['state'] == 'absent':
        entry.planned = {}
        entry.action = 'delete' if before else None
        return
    entry.planned = {
        'address': str(entry.iface),
        'interface': params['interface'],
        'label': params['label'] if entry.iface.version == 4 else None,
        'preferred_lft': params['preferred_lft'],
        'valid_lft': 'forever',
        'noprefixroute': params['noprefixroute'],
    }
    if before and entry.iface.version == 4 and params['label'] is None:
        # No label asked for: keep whatever the kernel has (it defaults to the interface name).
        entry.planned['label'] = before['label']
    changing = entry.planned != before
    if not changing:
        entry.action = None
    elif not before:
        entry.action = 'add'
    elif before['label'] != entry.planned['label'] or (
            entry.iface.version == 4 and before['noprefixroute'] != entry.planned['noprefixroute']):
        # The kernel can neither relabel an IPv4 address in place nor change its noprefixroute flag (a replace
        # ignores it): the address is removed and added again.
        entry.action = 'relabel'
    else:
        entry.action = 'replace'
    # Decided again from what the run did (run()): this is check mode's answer.
    entry.to_announce = options['announce'] == 'always' or (options['announce'] == 'changed' and changing)


def ipv6_disabled(interface):
    """Whether IPv6 is off on ``interface`` (disable_ipv6, or no IPv6 at all on this host)."""
    try:
        with open('/proc/sys/net/ipv6/conf/%s/disable_ipv6' % interface.replace('.', '/')) as handle:
            return handle.read().strip() == '1'
    except (IOError, OSError):
        return not os.path.isdir('/proc/sys/net/ipv6')


def promotes(interface):
    """Whether the kernel promotes a secondary IPv4 address on ``interface`` when its primary goes."""
    return sysctl.effective_value('promote_secondaries', sysctl.read_value('all', 'promote_secondaries'),
                                  sysctl.read_value(interface, 'promote_secondaries'))


def primary_removals(entries, by_link, promote):
    """Refusals to remove a primary IPv4 address while the kernel would remove secondaries the list keeps.

    Without promote_secondaries the kernel removes a primary's secondaries (the addresses of its subnet with its
    prefix length) along with it. Secondaries that the list removes too (or relabels, which removes them first)
    do not count: removals run secondaries first.
    """
    removed = set((entry.link['index'], entry.exact['address'], entry.exact['prefixlen'])
                  for entry in entries if entry.action in REMOVING)
    problems = []
    promoting = {}
    for entry in entries:
        rec = entry.exact
        if entry.action not in REMOVING or rec['family'] != 4 or rec['secondary']:
            continue
        link = entry.link
        secondaries = [
            '%s/%d' % (other['address'], other['prefixlen'])
            for other in by_link[link['index']]
            if other['family'] == 4 and other['secondary'] and other['prefixlen'] == rec['prefixlen']
            and ipaddress.ip_address(other['address']) in entry.iface.network
            and (link['index'], other['address'], other['prefixlen']) not in removed
        ]
        if secondaries and link['name'] not in promoting:
            promoting[link['name']] = promote(link['name'])
        if secondaries and not promoting[link['name']]:
            problems.append(entry.where + 'address: %s/%d is the primary address of its subnet on %s and removing it '
                                          'would make the kernel remove %s too; set net.ipv4.conf.%s.promote_secondaries=1 '
                                          '(hanet.failover.arp_sysctl) first'
                            % (rec['address'], rec['prefixlen'], link['name'], ', '.join(secondaries), link['name']))
    return problems


def plan(entries, links, by_link, options, warn, promote):
    """Plan every entry against the state read; the problems that refuse the run."""
    table = by_ip(by_link)
    problems = []
    for entry in entries:
        params = entry.params
        interface = params['interface']
        entry.link = links.get(interface)
        if entry.link is None:
            problems.append(entry.where + 'interface: there is no interface named %s in this network namespace'
                            % interface)
            continue
        recs = table.get((entry.link['index'], entry.ip), [])
        entry.exact = next((rec for rec in recs if rec['prefixlen'] == entry.prefixlen), None)
        for other in recs:
            if other is not entry.exact:
                warn('%s/%d is also on %s with another prefix length; it was left alone'
                     % (other['address'], other['prefixlen'], interface))
        if entry.iface.version == 6 and params['state'] == 'present' and ipv6_disabled(interface):
            problems.append(entry.where + 'interface: IPv6 is disabled on %s (net.ipv6.conf.%s.disable_ipv6=1), so the '
                                          'kernel refuses %s; enable IPv6 there or remove the entry'
                            % (interface, interface, entry.iface))
            continue
        # Removing it is fine (and what the user should do); keeping it present is not.
        if entry.exact is not None and entry.exact['dadfailed'] and params['state'] == 'present':
            problems.append(entry.where + 'address: %s is on %s but failed duplicate address detection: another '
                                          'host on the link uses it' % (entry.iface, interface))
            continue
        entry.tracker = ChangeTracker(describe(entry.exact, interface))
        plan_entry(entry, options)
    if problems:
        return problems
    return primary_removals(entries, by_link, promote)


def send_entry(ipr, entry, cacheinfo=False):
    params = entry.params
    netlink.send_address(ipr, entry.link['index'], params['interface'], entry.ip, entry.prefixlen,
                         label=params['label'], preferred_lft=preferred(entry), nodad=nodad(entry),
                         noprefixroute=params['noprefixroute'], replace=entry.action == 'replace', cacheinfo=cacheinfo)


def preferred(entry):
    return 0 if entry.params['preferred_lft'] == '0' else netlink.FOREVER


def nodad(entry):
    return entry.params['nodad'] and entry.iface.version == 6


def exact_records(ipr, entries):
    """{entry: its exact record or None}, from one read of their links."""
    table = by_ip(read_addresses(ipr, set(entry.link['index'] for entry in entries)))
    return dict((entry, next((rec for rec in table.get((entry.link['index'], entry.ip), [])
                              if rec['prefixlen'] == entry.prefixlen), None)) for entry in entries)


def apply(ipr, entries):
    """Make the planned changes: the removals (secondaries first), the adds and replaces, then one read back.

    pyroute2 0.7 does not send the lifetimes the way 0.9 does (netlink.send_address): where the read-back shows
    they were not applied, they are sent the other way, and read back once more.
    """
    removing = sorted((entry for entry in entries if entry.action in REMOVING),
                      key=lambda entry: not entry.exact['secondary'])
    # Former primaries first, so that an address relabelled with its secondaries is primary again.
    adding = sorted((entry for entry in entries if entry.action in ADDING),
                    key=lambda entry: bool(entry.exact and entry.exact['family'] == 4 and entry.exact['secondary']))
    entry = None
    try:
        for entry in removing:
            netlink.delete_address(ipr, entry.link['index'], entry.params['interface'], entry.ip, entry.prefixlen)
            entry.tracker.replace({})
        for entry in adding:
            send_entry(ipr, entry)
            entry.tracker.replace(entry.planned)
        entry = None
        if not adding:
            return
        recs = exact_records(ipr, adding)
        fallback = [added for added in adding
                    if recs[added] is not None and not netlink.lifetimes_applied(recs[added], preferred(added))]
        for entry in fallback:
            send_entry(ipr, entry, cacheinfo=True)
        entry = None
        if fallback:
            recs = exact_records(ipr, adding)
    except netlink.NetlinkFailure as exc:
        raise VipFailure([applying_failure(ipr, entries, entry, exc)], outcome(entries))
    problems = []
    for entry in adding:
        rec = recs[entry]
        what = '%s %s/%d on %s' % ('replacing' if entry.action == 'replace' else 'adding', entry.ip, entry.prefixlen,
                                   entry.params['interface'])
        if rec is None:
            problems.append(entry.where + '%s: the kernel reported success but the address is missing' % what)
            entry.tracker.replace({})
        elif not netlink.lifetimes_applied(rec, preferred(entry)):
            problems.append(entry.where + '%s: this pyroute2 cannot set the lifetimes (preferred_lft %s, valid_lft %s)'
                            % (what, preferred(entry), netlink.FOREVER))
            entry.tracker.replace(describe(rec, entry.params['interface']))
        else:
            entry.tracker.replace(describe(rec, entry.params['interface']))
    if problems:
        raise VipFailure(problems, outcome(entries))


def applying_failure(ipr, entries, entry, exc):
    """The message of a refused netlink request, after the addresses this run added before it were removed again
    (as after a failed announcement: the next run adds and announces them, instead of finding them present)."""
    message = (entry.where if entry is not None else '') + str(exc)
    added = [other for other in entries if other is not entry and not other.tracker.before and other.tracker.after]
    left = []
    for other in reversed(added):
        try:
            netlink.delete_address(ipr, other.link['index'], other.params['interface'], other.ip, other.prefixlen)
            other.tracker.replace({})
        except netlink.NetlinkFailure as undo:
            left.append('%s (%s)' % (other.iface, undo))
    if added:
        message += '; the %d addresses this run had added before it were removed again' % (len(added) - len(left))
        if left:
            message += ', except %s: remove those by hand' % ', '.join(left)
    others = [other for other in entries if other is not entry and other.tracker.changed]
    if others:
        message += ('; the changes to %d other entries made before it (removals, replacements) were kept, see '
                    'addresses: fix the cause and run again' % len(others))
    return message


def wait_for_dad(ipr, entries, timeout):
    """Wait for the duplicate address detection of all the entries together, under one deadline.

    Returns {entry: message} of those that failed it, vanished or were still tentative at the deadline.
    """
    deadline = time.time() + timeout
    failed = {}
    pending = list(entries)
    while pending:
        recs = exact_records(ipr, pending)
        waiting = []
        for entry in pending:
            rec = recs[entry]
            interface = entry.params['interface']
            if rec is None:
                failed[entry] = '%s vanished from %s during duplicate address detection' % (entry.ip, interface)
            elif rec['dadfailed']:
                failed[entry] = ('duplicate address detection failed for %s on %s: another host on the link uses it'
                                 % (entry.ip, interface))
            elif rec['tentative']:
                waiting.append(entry)
        pending = waiting
        if pending and time.time() >= deadline:
            for entry in pending:
                failed[entry] = ('%s on %s is still tentative after %ss of duplicate address detection; '
                                 'raise dad_timeout or set nodad' % (entry.ip, entry.params['interface'], timeout))
            break
        if pending:
            time.sleep(DAD_POLL)
    return failed


def remove_again(ipr, entry):
    """Remove an address this run added; None, or the refusal."""
    try:
        netlink.delete_address(ipr, entry.link['index'], entry.params['interface'], entry.ip, entry.prefixlen)
    except netlink.NetlinkFailure as exc:
        return exc
    entry.tracker.replace({})
    return None


def undo_dad(ipr, failed):
    """The messages of the entries that failed DAD; an address this run added or changed is removed again."""
    problems = {}
    for entry, message in failed.items():
        if entry.tracker.changed:
            refusal = remove_again(ipr, entry)
            if refusal is not None:
                message += '; removing it again failed too (%s): remove it by hand (state=absent)' % refusal
            elif entry.position is not None:
                message += '; it was removed again'
        problems[entry] = entry.where + message
    return problems


def announcement_failure(ipr, entry, error):
    """The message for an entry whose announcements failed; an address this run added is removed again first."""
    link = entry.link
    cause = '%s is down; bring it up' % link['name'] if not link['up'] else 'fix the cause'
    head = 'announce: sending the announcements for %s on %s failed (%s)' % (entry.iface, link['name'], error)
    if entry.tracker.before:
        return entry.where + '%s; %s and run again' % (head, cause)
    refusal = remove_again(ipr, entry)
    if refusal is not None:
        return entry.where + ('%s, and removing the address again failed too (%s); remove it by hand (state=absent), '
                              '%s and run again' % (head, refusal, cause))
    return entry.where + ('%s, so the address was removed again and the next run adds and announces it; %s and run '
                          'again, or set announce=never' % (head, cause))


def send_announcements(ipr, entries, options):
    """Announce the entries in rounds (announce.send_rounds); {entry: message} of those whose interface failed."""
    batches = [(entry.link['name'],
                announce.frames_for(entry.link['mac'], entry.ip, options['announce_mode'],
                                    router=entry.params['announce_router']))
               for entry in entries]
    sent, failures = announce.send_rounds(batches, options['announce_count'], options['announce_interval'])
    problems = {}
    for entry, count in zip(entries, sent):
        entry.announced = count
        if entry.link['name'] in failures:
            problems[entry] = announcement_failure(ipr, entry, failures[entry.link['name']])
    return problems


def outcome(entries):
    """The list form's result so far (in a failure: what was changed before it)."""
    results = [entry.result() for entry in entries]
    return {'changed': any(result['changed'] for result in results), 'addresses': results,
            'announced': sum(result['announced'] for result in results)}


def run(entries, options, check_mode, warn, promote=promotes):
    """Check, plan and carry out the entries; raises VipFailure. Afterwards each entry's tracker and announced
    say what became of it."""
    problems = check_entries(entries) + check_options(options)
    if problems:
        raise VipFailure(problems)
    if not entries:
        return
    try:
        with netlink.iproute() as ipr:
            names = set(entry.params['interface'] for entry in entries)
            links = read_links(ipr, names)
            indexes = set(links[name]['index'] for name in names if name in links)
            problems = plan(entries, links, read_addresses(ipr, indexes), options, warn, promote)
            if problems:
                raise VipFailure(problems)
            if check_mode:
                for entry in entries:
                    entry.tracker.replace(entry.planned)
                return
            apply(ipr, entries)
            for entry in entries:
                entry.to_announce = entry.params['state'] == 'present' and (options['announce'] == 'always' or (
                    options['announce'] == 'changed' and entry.tracker.changed))
            # IPv6 is announced only once duplicate address detection is over; this run waits for it once.
            dad = [entry for entry in entries if entry.iface.version == 6 and not entry.params['nodad']
                   and entry.params['state'] == 'present' and (entry.tracker.changed or entry.to_announce)]
            failed = undo_dad(ipr, wait_for_dad(ipr, dad, options['dad_timeout'])) if dad else {}
            announcing = [entry for entry in entries if entry.to_announce and entry not in failed]
            if announcing:
                failed.update(send_announcements(ipr, announcing, options))
    except netlink.NetlinkFailure as exc:
        planned_all = all(entry.tracker is not None for entry in entries)
        raise VipFailure([str(exc)], outcome(entries) if planned_all else None)
    if failed:
        raise VipFailure([failed[entry] for entry in entries if entry in failed], outcome(entries))
