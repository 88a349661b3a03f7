# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Host firewalls and the cluster's own traffic: VRRP and CARP adverts (IP protocol 112), or corosync's knet
(UDP to one port, for Pacemaker clusters).

Everything here is pure: it reads what the firewall tools printed and says what to change. The module runs the
tools. Three kinds of host firewall are known:

- nftables (``nft -j list ruleset``): every base chain on the input hook is traversed, and an accept in one does
  not stop a drop in another. So the accept goes into *each* input base chain that can drop, as one rule of our
  own at the top of that chain, tagged with the comment ``hanet-failover:NAME`` (found again by it). Tables that
  iptables-nft manages are left to the iptables commands.
- iptables (iptables-nft or -legacy, whatever ``iptables``/``ip6tables`` are): one commented rule per source and
  destination at the top of INPUT.
- firewalld: rich rules in the zones of the VIP interfaces, runtime and permanent. Rich rules have no comments,
  so the rules added are recorded in a file and only those are ever removed.

The two kinds of traffic are separate rule sets: those of corosync carry the label ``NAME@corosync`` (a cluster
name never holds ``@``) in their tag and file names, so a cluster that changes backend keeps the old kind's rules
until its old backend has stopped.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import re
import shlex

PROTOCOL = 112
PROTOCOL_NAMES = ('vrrp', 'carp', '112', 112)
MULTICAST = {4: '224.0.0.18', 6: 'ff02::12'}
FAMILY_NAMES = {4: 'ipv4', 6: 'ipv6'}
NFT_PROTOCOL = {4: 'ip', 6: 'ip6'}
# nft table families whose chains see IPv4 / IPv6 packets.
NFT_FAMILIES = {'ip': (4,), 'ip6': (6,), 'inet': (4, 6)}
IPTABLES = {4: 'iptables', 6: 'ip6tables'}
NAME_PATTERN = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
# Tables that iptables-nft creates; used where nft did not say itself which tables it manages.
IPTABLES_TABLES = ('filter', 'raw', 'mangle', 'security', 'nat')
IPTABLES_CHAINS = ('INPUT', 'FORWARD', 'OUTPUT', 'PREROUTING', 'POSTROUTING')
IPTABLES_MANAGED = re.compile(r'table (\w+) (\S+) is managed by iptables-nft')
DROPPING = ('drop', 'reject')
BRANCHING = ('jump', 'goto')
TRAFFIC_KINDS = ('vrrp', 'corosync')
COROSYNC_PORT = 5405


class FirewallError(ValueError):
    """The input cannot be used, or a firewall tool printed what cannot be read."""


class Traffic(object):
    """What the rules let in: VRRP/CARP adverts (IP protocol 112), or corosync's knet (UDP to one port)."""

    def __init__(self, kind='vrrp', port=COROSYNC_PORT):
        if kind not in TRAFFIC_KINDS:
            raise FirewallError('traffic: %r is not known; give %s' % (kind, ' or '.join(TRAFFIC_KINDS)))
        self.kind = kind
        self.port = None
        if kind == 'corosync':
            if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
                raise FirewallError('port: %r is not a UDP port; give corosync\'s (%d unless its totem or interface '
                                    'section sets another)' % (port, COROSYNC_PORT))
            self.port = port

    def label(self, name):
        """What tags the rules and names the files: the cluster's name, with @corosync for corosync's rules."""
        return name if self.kind == 'vrrp' else '%s@%s' % (name, self.kind)

    def text(self):
        return 'protocol %d' % PROTOCOL if self.kind == 'vrrp' else 'udp dport %d' % self.port

    def nft_expr(self):
        if self.kind == 'vrrp':
            return {'match': {'op': '==', 'left': {'meta': {'key': 'l4proto'}}, 'right': PROTOCOL}}
        return {'match': {'op': '==', 'left': {'payload': {'protocol': 'udp', 'field': 'dport'}}, 'right': self.port}}

    def nft_ours(self, expr):
        """True where a match expression is the one nft_expr wrote, as nft -j lists it again."""
        match = expr.get('match') if isinstance(expr, dict) else None
        if not match or match.get('op') != '==' or not isinstance(match.get('left'), dict):
            return False
        mine = self.nft_expr()['match']
        right = match.get('right')
        return match['left'] == mine['left'] and isinstance(right, (str, int)) and (
            right in PROTOCOL_NAMES if self.kind == 'vrrp' else str(right) == str(self.port))

    def nft_is(self, expr):
        """True where one match expression of a rule is this traffic's (as nft -j prints it)."""
        match = expr.get('match') if isinstance(expr, dict) else None
        if not match or match.get('op') not in ('==', 'in'):
            return False
        left, values = match.get('left') or {}, _values(match.get('right')) or ()
        if not isinstance(left, dict):
            return False
        if self.kind == 'vrrp':
            return (left.get('meta', {}).get('key') == 'l4proto' or left.get('payload', {}).get('field') in (
                'protocol', 'nexthdr')) and any(v in PROTOCOL_NAMES for v in values)
        payload = left.get('payload') or {}
        if payload.get('field') != 'dport' or payload.get('protocol') not in ('udp', 'th'):
            return False
        right = match.get('right')
        if isinstance(right, dict) and 'range' in right:
            low, high = right['range']
            return int(low) <= self.port <= int(high)
        return str(self.port) in values

    def ipt_args(self):
        if self.kind == 'vrrp':
            return ['-p', str(PROTOCOL)]
        return ['-p', 'udp', '-m', 'udp', '--dport', str(self.port)]

    def ipt_is(self, rule):
        """True where an iptables -S rule matches this traffic."""
        proto = re.search(r'(?:^|\s)-p (\S+)', rule)
        if not proto:
            return False
        if self.kind == 'vrrp':
            return proto.group(1) in PROTOCOL_NAMES
        port = re.search(r'--dports? (\S+)', rule)
        if proto.group(1) not in ('udp', '17') or not port:
            return False
        for part in port.group(1).split(','):
            low, dummy, high = part.partition(':')
            if low.isdigit() and int(low) <= self.port <= int(high if high.isdigit() else low):
                return True
        return False

    def rich_element(self):
        if self.kind == 'vrrp':
            return 'protocol value="vrrp"'
        return 'port port="%d" protocol="udp"' % self.port

    def rich_is(self, rule):
        if self.kind == 'vrrp':
            return 'protocol value="vrrp"' in rule or 'protocol value="112"' in rule
        return self.rich_element() in rule


VRRP = Traffic()


def tag(name):
    """The comment that marks the rules of one cluster."""
    return 'hanet-failover:%s' % name


def check_name(name):
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise FirewallError('name: %r is not usable; give letters, digits, _, . and - (up to 64, starting with a '
                            'letter or digit): it tags the rules as %s' % (name, tag('NAME')))
    return name


def families(addresses, field):
    """The address families (4, 6) of a list of addresses, sorted."""
    found = set()
    for value in addresses or []:
        try:
            found.add(ipaddress.ip_address(str(value)).version)
        except ValueError:
            raise FirewallError('%s: %r is not an IPv4 or IPv6 address' % (field, value))
    return sorted(found)


def wanted_rules(sources, destinations, traffic=VRRP):
    """Per address family: (sorted sources, sorted destinations). Both must be given for each family used."""
    parsed = {}
    for field, values in (('sources', sources), ('destinations', destinations)):
        for value in values or []:
            try:
                address = ipaddress.ip_address(str(value))
            except ValueError:
                raise FirewallError('%s: %r is not an IPv4 or IPv6 address' % (field, value))
            if field == 'sources' and (address.is_multicast or address.is_unspecified):
                raise FirewallError('sources: %s is a multicast or unspecified address; give the other members\' '
                                    'own addresses' % address)
            parsed.setdefault(address.version, {'sources': set(), 'destinations': set()})[field].add(address)
    rules = {}
    for family, fields in sorted(parsed.items()):
        if not fields['sources']:
            raise FirewallError('sources: no IPv%d source is given for the IPv%d destinations %s'
                                % (family, family, ', '.join(str(a) for a in sorted(fields['destinations']))))
        if not fields['destinations']:
            raise FirewallError('destinations: no IPv%d destination is given for the IPv%d sources (%s)'
                                % (family, family, 'the group is %s' % MULTICAST[family] if traffic.kind == 'vrrp'
                                   else 'this member\'s own address on corosync\'s ring'))
        rules[family] = (tuple(str(a) for a in sorted(fields['sources'])),
                         tuple(str(a) for a in sorted(fields['destinations'])))
    return rules


def describe(family, sources, destinations, traffic=VRRP):
    """One line for diffs and results: what a rule lets in."""
    return '%s %s from %s to %s accept' % (
        FAMILY_NAMES[family], traffic.text(), ', '.join(sources), ', '.join(destinations))


# ---------------------------------------------------------------------------------------------------------------
# nftables

def nft_parse(text):
    try:
        data = json.loads(text)
        items = data['nftables']
    except (ValueError, TypeError, KeyError):
        raise FirewallError('nft -j list ruleset printed no JSON ruleset: %s' % text[:200])
    tables, chains, rules = [], {}, {}
    for item in items:
        if 'table' in item:
            tables.append((item['table']['family'], item['table']['name']))
        elif 'chain' in item:
            chain = item['chain']
            chains[(chain['family'], chain['table'], chain['name'])] = chain
        elif 'rule' in item:
            rule = item['rule']
            rules.setdefault((rule['family'], rule['table'], rule['chain']), []).append(rule)
    return {'tables': tables, 'chains': chains, 'rules': rules}


def nft_iptables_tables(parsed, stderr=''):
    """The tables iptables-nft manages: nft says so (1.0.6 and later), or they have its shape."""
    managed = set(IPTABLES_MANAGED.findall(stderr or ''))
    for (family, table, name), chain in parsed['chains'].items():
        if family in ('ip', 'ip6') and table in IPTABLES_TABLES and name in IPTABLES_CHAINS:
            managed.add((family, table))
    for key, rules in parsed['rules'].items():
        if any('xt' in expr for rule in rules for expr in rule.get('expr', [])):
            managed.add(key[:2])
    return managed


def _verdicts(node):
    """Every verdict key in an expression tree (vmaps included)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in DROPPING + BRANCHING + ('accept',):
                found.append((key, value))
            found.extend(_verdicts(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_verdicts(value))
    return found


def _rule_drops(parsed, key, rule, seen):
    for verdict, value in _verdicts(rule.get('expr', [])):
        if verdict in DROPPING:
            return True
        if verdict in BRANCHING and isinstance(value, dict) and value.get('target'):
            if _chain_drops(parsed, (key[0], key[1], value['target']), seen):
                return True
    return False


def _chain_drops(parsed, key, seen):
    if key in seen:
        return False
    seen.add(key)
    return any(_rule_drops(parsed, key, rule, seen) for rule in parsed['rules'].get(key, []))


def nft_input_chains(parsed, skip_tables=()):
    """Input base chains (ip, ip6, inet) outside skip_tables, with whether each can drop and why."""
    result = []
    for key, chain in sorted(parsed['chains'].items()):
        family, table = key[0], key[1]
        if chain.get('hook') != 'input' or family not in NFT_FAMILIES or (family, table) in skip_tables:
            continue
        reasons = []
        if chain.get('policy') == 'drop':
            reasons.append('policy drop')
        if _chain_drops(parsed, key, set()):
            reasons.append('drop or reject rules')
        result.append({'family': family, 'table': table, 'chain': key[2], 'drops': bool(reasons),
                       'reason': ' and '.join(reasons), 'families': NFT_FAMILIES[family]})
    return result


def _values(right):
    if isinstance(right, dict) and 'set' in right:
        return tuple(sorted(str(v) for v in right['set']))
    if isinstance(right, (str, int)):
        return (str(right),)
    return None


def nft_rule_shape(rule, traffic=VRRP):
    """(family, sources, destinations) of a rule of ours for the traffic, or None where it has another shape."""
    fields, proto, verdicts = {}, None, []
    for expr in rule.get('expr', []):
        if 'match' in expr and expr['match'].get('op') in ('==', 'in'):
            left, right = expr['match'].get('left') or {}, expr['match'].get('right')
            payload = left.get('payload') if isinstance(left, dict) else None
            if payload and payload.get('protocol') in ('ip', 'ip6') and payload.get('field') in ('saddr', 'daddr'):
                fields[(payload['protocol'], payload['field'])] = _values(right)
                continue
            if proto is None and traffic.nft_ours(expr):
                proto = True
                continue
            return None
        elif 'accept' in expr:
            verdicts.append('accept')
        elif 'counter' in expr:
            continue
        else:
            return None
    if verdicts != ['accept'] or not proto or len(fields) != 2:
        return None
    for family, name in NFT_PROTOCOL.items():
        if (name, 'saddr') in fields and (name, 'daddr') in fields:
            sources = tuple(str(ipaddress.ip_address(a)) for a in fields[(name, 'saddr')] or ())
            destinations = tuple(str(ipaddress.ip_address(a)) for a in fields[(name, 'daddr')] or ())
            return (family, tuple(sorted(sources, key=address_sort_key)),
                    tuple(sorted(destinations, key=address_sort_key)))
    return None


def address_sort_key(text):
    """Addresses in order: IPv4 first, then IPv6, each by value (also _advert_peers in plugins/plugin_utils)."""
    address = ipaddress.ip_address(text)
    return address.version, address


def nft_rule_expr(family, sources, destinations, traffic=VRRP):
    def match(field, values):
        right = values[0] if len(values) == 1 else {'set': list(values)}
        return {'match': {'op': '==', 'left': {'payload': {'protocol': NFT_PROTOCOL[family], 'field': field}},
                          'right': right}}
    return [match('saddr', sources), match('daddr', destinations), traffic.nft_expr(), {'accept': None}]


def _first_branch_or_drop(rules, ours):
    """Index of the first rule (not ours) that drops, rejects, jumps or goes to another chain."""
    for index, rule in enumerate(rules):
        if rule.get('handle') in ours:
            continue
        if any(verdict in DROPPING + BRANCHING for verdict, dummy in _verdicts(rule.get('expr', []))):
            return index
    return len(rules)


def nft_plan(parsed, wanted, name, present=True, stderr='', traffic=VRRP):
    """What to change in nftables.

    Returns (before, after, commands, chains): before/after map 'FAMILY TABLE CHAIN' to the rules of ours there
    (described), commands is the JSON batch for ``nft -j -f -`` (empty when nothing changes), chains the input
    chains found.
    """
    comment = tag(name)
    chains = nft_input_chains(parsed, nft_iptables_tables(parsed, stderr))
    before, after, commands = {}, {}, []
    wanted_shapes = dict((family, (family,) + tuple(rule)) for family, rule in wanted.items())
    # Every rule of ours, wherever it is (a chain that no longer drops, a table gone from the input hook ...).
    for key, rules in sorted(parsed['rules'].items()):
        ours = [rule for rule in rules if rule.get('comment') == comment]
        if not ours:
            continue
        label = ' '.join(key)
        before[label] = sorted(_describe_nft(rule, traffic) for rule in ours)
    for chain in chains:
        key = (chain['family'], chain['table'], chain['chain'])
        label = ' '.join(key)
        rules = parsed['rules'].get(key, [])
        ours = [rule for rule in rules if rule.get('comment') == comment]
        handles = set(rule.get('handle') for rule in ours)
        want = []
        if present and chain['drops']:
            want = [wanted_shapes[f] for f in chain['families'] if f in wanted_shapes]
        if want:
            after[label] = sorted(describe(*shape, traffic=traffic) for shape in want)
        have = [nft_rule_shape(rule, traffic) for rule in ours]
        limit = _first_branch_or_drop(rules, handles)
        placed = all(rules.index(rule) < limit for rule in ours)
        if not placed:
            before[label] = [line + ' (behind a rule that drops or jumps)' for line in before[label]]
        if sorted(have, key=repr) == sorted(want, key=repr) and placed:
            continue
        for rule in ours:
            commands.append({'delete': {'rule': {'family': key[0], 'table': key[1], 'chain': key[2],
                                                 'handle': rule['handle']}}})
        for shape in want:
            commands.append({'insert': {'rule': {'family': key[0], 'table': key[1], 'chain': key[2],
                                                 'comment': comment, 'expr': nft_rule_expr(*shape, traffic=traffic)}}})
    # Rules of ours in chains that are not (any more) input chains that drop: removed.
    chain_keys = set((c['family'], c['table'], c['chain']) for c in chains)
    for key, rules in sorted(parsed['rules'].items()):
        if key in chain_keys:
            continue
        for rule in rules:
            if rule.get('comment') == comment:
                commands.append({'delete': {'rule': {'family': key[0], 'table': key[1], 'chain': key[2],
                                                     'handle': rule['handle']}}})
    return before, after, commands, chains


def _describe_nft(rule, traffic=VRRP):
    shape = nft_rule_shape(rule, traffic)
    if shape is None:
        return 'a rule changed by hand (handle %s)' % rule.get('handle')
    return describe(*shape, traffic=traffic)


def nft_batch(commands):
    return json.dumps({'nftables': commands}, sort_keys=True)


def nft_accepts_adverts(parsed, chain, name, traffic=VRRP):
    """True where a user rule in the chain accepts the traffic before anything drops or branches (a heuristic).

    The rules of ``name`` do not count: they are the ones being removed.
    """
    rules = parsed['rules'].get((chain['family'], chain['table'], chain['chain']), [])
    for rule in rules:
        if rule.get('comment') == tag(name):
            continue
        verdicts = [verdict for verdict, dummy in _verdicts(rule.get('expr', []))]
        if any(v in DROPPING + BRANCHING for v in verdicts):
            return False
        if 'accept' in verdicts and any(traffic.nft_is(expr) for expr in rule.get('expr', [])):
            return True
    return False


# ---------------------------------------------------------------------------------------------------------------
# iptables

IPT_RULE = re.compile(r'^-A (\S+) (.*)$')


def ipt_parse(text):
    """``iptables -S`` output: ({chain: policy or None}, [(chain, rule text)])."""
    policies, rules = {}, []
    for line in (text or '').splitlines():
        line = line.strip()
        if line.startswith('-P '):
            parts = line.split()
            policies[parts[1]] = parts[2] if len(parts) > 2 else None
        elif line.startswith('-N '):
            policies.setdefault(line.split()[1], None)
        else:
            match = IPT_RULE.match(line)
            if match:
                rules.append((match.group(1), match.group(2)))
    return policies, rules


def _ipt_target(text):
    match = re.search(r'(?:^|\s)-[jg] (\S+)', text)
    return match.group(1) if match else None


def _ipt_chain_drops(rules, chain, seen):
    if chain in seen:
        return False
    seen.add(chain)
    for name, text in rules:
        if name != chain:
            continue
        target = _ipt_target(text)
        if target in ('DROP', 'REJECT'):
            return True
        if target and target not in ('ACCEPT', 'RETURN', 'LOG', 'MARK', 'CONNMARK', 'NFLOG') \
                and _ipt_chain_drops(rules, target, seen):
            return True
    return False


def ipt_input(text):
    """Whether INPUT can drop, and why."""
    policies, rules = ipt_parse(text)
    reasons = []
    if (policies.get('INPUT') or '').upper() == 'DROP':
        reasons.append('policy DROP')
    if _ipt_chain_drops(rules, 'INPUT', set()):
        reasons.append('DROP or REJECT rules')
    return {'drops': bool(reasons), 'reason': ' and '.join(reasons)}


def ipt_rule_args(family, source, destination, name, traffic=VRRP):
    prefix = 32 if family == 4 else 128
    return (['-s', '%s/%d' % (source, prefix), '-d', '%s/%d' % (destination, prefix)] + traffic.ipt_args()
            + ['-m', 'comment', '--comment', tag(name), '-j', 'ACCEPT'])


def _ipt_unquote(text):
    return text[1:-1] if len(text) > 1 and text[0] == text[-1] == '"' else text


def _ipt_comment(rule):
    match = re.search(r'--comment (\S+|"[^"]*")', rule)
    return _ipt_unquote(match.group(1)) if match else None


def ipt_ours(text, name, traffic=VRRP):
    """[(source, destination)] of our rules in INPUT, in order, plus rules of ours that have another shape."""
    pairs, odd = [], []
    dummy, rules = ipt_parse(text)
    for chain, rule in rules:
        if chain != 'INPUT' or _ipt_comment(rule) != tag(name):
            continue
        src = re.search(r'-s (\S+)', rule)
        dst = re.search(r'-d (\S+)', rule)
        # One port exactly, as ipt_rule_args wrote it (a range would not be deleted by its arguments).
        exact = traffic.kind == 'vrrp' or re.search(r'--dport %d(\s|$)' % traffic.port, rule)
        if src and dst and traffic.ipt_is(rule) and exact and rule.endswith('-j ACCEPT'):
            pairs.append((str(ipaddress.ip_interface(src.group(1)).ip), str(ipaddress.ip_interface(dst.group(1)).ip)))
        else:
            odd.append(rule)
    return pairs, odd


def ipt_placed(text, name):
    """True where every rule of ours comes before the first rule of INPUT that drops, rejects or jumps."""
    dummy, rules = ipt_parse(text)
    seen_other = False
    for chain, rule in rules:
        if chain != 'INPUT':
            continue
        if _ipt_comment(rule) == tag(name):
            if seen_other:
                return False
            continue
        if _ipt_target(rule) not in (None, 'ACCEPT', 'RETURN', 'LOG'):
            seen_other = True
    return True


def ipt_plan(family, text, wanted, name, present=True, traffic=VRRP):
    """(before, after, commands) for one family: commands are argument lists for iptables/ip6tables."""
    state = ipt_input(text)
    have, odd = ipt_ours(text, name, traffic)
    want = []
    if present and state['drops'] and family in wanted:
        sources, destinations = wanted[family]
        want = [(s, d) for s in sources for d in destinations]
    placed = ipt_placed(text, name)
    before = sorted(describe(family, (s,), (d,), traffic) + ('' if placed else ' (behind a rule that drops or jumps)')
                    for s, d in have) + sorted('a rule changed by hand: %s' % r for r in odd)
    after = sorted(describe(family, (s,), (d,), traffic) for s, d in want)
    commands = []
    if sorted(have) != sorted(want) or odd or not placed:
        for s, d in have:
            commands.append(['-D', 'INPUT'] + ipt_rule_args(family, s, d, name, traffic))
        for rule in odd:
            commands.append(['-D', 'INPUT'] + _split(rule))
        for s, d in reversed(want):
            commands.append(['-I', 'INPUT', '1'] + ipt_rule_args(family, s, d, name, traffic))
    return before, after, commands, state


def _split(rule):
    return shlex.split(rule)


def ipt_accepts_adverts(text, name, traffic=VRRP):
    """True where a user rule in INPUT accepts the traffic before anything drops or jumps (a heuristic)."""
    dummy, rules = ipt_parse(text)
    for chain, rule in rules:
        if chain != 'INPUT' or _ipt_comment(rule) == tag(name):
            continue
        target = _ipt_target(rule)
        if target in ('DROP', 'REJECT') or target not in (None, 'ACCEPT', 'RETURN', 'LOG'):
            return False
        if target == 'ACCEPT' and traffic.ipt_is(rule):
            return True
    return False


# ---------------------------------------------------------------------------------------------------------------
# firewalld

def rich_rule(family, source, destination, traffic=VRRP):
    return ('rule family="%s" source address="%s" destination address="%s" %s accept'
            % (FAMILY_NAMES[family], source, destination, traffic.rich_element()))


def firewalld_wanted(wanted, zones, traffic=VRRP):
    rules = []
    for zone in sorted(set(zones)):
        for family, (sources, destinations) in sorted(wanted.items()):
            for source in sources:
                for destination in destinations:
                    rules.append((zone, rich_rule(family, source, destination, traffic)))
    return rules


def firewalld_plan(record, runtime, permanent, want):
    """Rich rules to add and remove, runtime and permanent.

    ``record``: (zone, rule) pairs added earlier (only these are ever removed); ``runtime``/``permanent``: zone ->
    the rich rules firewalld lists there; ``want``: (zone, rule) pairs wanted now. Returns (before, after, actions)
    with actions as (add|remove, permanent?, zone, rule).
    """
    want = sorted(set(tuple(w) for w in want))
    record = sorted(set(tuple(r) for r in record))
    actions = []
    before = sorted('%s: %s' % (zone, rule) for zone, rule in record
                    if rule in runtime.get(zone, []) or rule in permanent.get(zone, []))
    after = sorted('%s: %s' % pair for pair in want)
    for zone, rule in record:
        if (zone, rule) in want:
            continue
        if rule in permanent.get(zone, []):
            actions.append(('remove', True, zone, rule))
        if rule in runtime.get(zone, []):
            actions.append(('remove', False, zone, rule))
    for zone, rule in want:
        if rule not in permanent.get(zone, []):
            actions.append(('add', True, zone, rule))
        if rule not in runtime.get(zone, []):
            actions.append(('add', False, zone, rule))
    return before, after, actions


def firewalld_accepts_adverts(rich_rules, protocols=(), traffic=VRRP):
    """True where the zone lets the traffic in from anywhere: a rich rule without a source (or, for adverts, a
    protocol of the zone as given). The zone's ports and services (firewalld's high-availability) are not read."""
    if traffic.kind == 'vrrp' and any(str(p) in ('vrrp', '112') for p in protocols):
        return True
    return any(traffic.rich_is(r) for r in rich_rules or [] if ' accept' in r and 'source address' not in r)


# ---------------------------------------------------------------------------------------------------------------
# Persistence: a systemd drop-in that puts the rules back after the firewall's service loads its own ruleset.

def reapply_script(name, nft_commands=None, ipt_commands=None, traffic=VRRP):
    """A POSIX shell script that restores the rules of ours, idempotently.

    ``nft_commands``: JSON insert commands (all at once, atomically, unless a rule of ours is still there);
    ``ipt_commands``: (tool, args) inserted unless ``tool -C`` finds them.
    """
    lines = [
        '#!/bin/sh',
        '# Managed by hanet.failover (advert_firewall, %s). Puts back the rules that let the other' % name,
        '# cluster members\' traffic (%s) in, after the firewall service loaded its own ruleset.' % traffic.text(),
        '# Idempotent; it changes nothing where the rules are there already.',
        'set -u',
        'rc=0',
    ]
    if nft_commands:
        batch = nft_batch(nft_commands)
        lines += [
            'if ! nft -j list ruleset | grep -qF \'"comment": "%s"\'; then' % tag(name),
            "    printf '%s\\n' '" + batch.replace("'", "'\\''") + "' | nft -j -f - || rc=1",
            'fi',
        ]
    for tool, args in ipt_commands or []:
        quoted = ' '.join(_shell_quote(a) for a in args)
        lines.append('%s -C INPUT %s 2>/dev/null || %s -I INPUT 1 %s || rc=1' % (tool, quoted, tool, quoted))
    lines += ['[ "$rc" -eq 0 ] || echo "hanet.failover: could not restore the firewall rules of %s; deploy again" >&2'
              % name, 'exit "$rc"', '']
    return '\n'.join(lines)


def _shell_quote(text):
    if re.match(r'^[A-Za-z0-9_./:=-]+$', text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


def dropin(name, script_path, reload_too):
    lines = [
        '# Managed by hanet.failover (advert_firewall, %s): after this service loads the ruleset, put back' % name,
        '# the rules that let the other cluster members\' traffic in. Remove it with state=absent.',
        '[Service]',
        'ExecStartPost=-/bin/sh %s' % script_path,
    ]
    if reload_too:
        lines.append('ExecReload=-/bin/sh %s' % script_path)
    return '\n'.join(lines) + '\n'
