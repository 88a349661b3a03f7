# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Probe VIPs with ICMP echo every INTERVAL seconds for DURATION seconds; write a JSON report.

Usage: vip_probe.py OUTPUT DURATION INTERVAL VIP [VIP...]
Per VIP: probes sent, replies, lost, and outage_ms: the longest time between two answered
probes, less one interval (0 when every probe was answered), and outage_after: when (epoch seconds) the
last probe answered before that outage was sent; lost_runs: the runs of consecutive lost probes
([ms after the first probe, count]); stall_ms: the longest a probe went out after its slot (the prober
starved of CPU; missed slots are skipped, never sent late in a burst). Needs CAP_NET_RAW. Bounded in
time and count; it sends only to the addresses it is given. SIGINT or SIGTERM ends it early
(it still waits a second for late replies and writes the report).
"""

from __future__ import absolute_import, division, print_function

import ipaddress
import json
import os
import select
import signal
import socket
import struct
import sys
import time


def checksum(data):
    # The same RFC 1071 sum as plugins/module_utils/_announce.py: this script is copied to client hosts
    # and runs there on its own, without the collection, so it cannot import it.
    if len(data) % 2:
        data += b'\x00'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def lost_runs(times, first, interval):
    """[[offset ms, count], ...]: runs of lost probes, each run probes at most 1.5 intervals apart."""
    runs = []
    previous = None
    for moment in times:
        if previous is not None and moment - previous <= 1.5 * interval:
            runs[-1][1] += 1
        else:
            runs.append([int(round((moment - first) * 1000)), 1])
        previous = moment
    return runs


def main():
    output, duration, interval = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    vips = [ipaddress.ip_address(a) for a in sys.argv[4:]]
    if duration > 600 or interval < 0.005:
        sys.exit('refusing: duration at most 600 s, interval at least 5 ms')
    ident = os.getpid() & 0xFFFF
    socks = {4: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
             6: socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)}
    sent = dict((str(v), {}) for v in vips)      # seq -> send time
    answered = dict((str(v), []) for v in vips)  # send times of answered probes
    start = time.time()

    def stop_early(signum, frame):
        stop_at[0] = min(stop_at[0], time.time() - start)

    stop_at = [duration]
    stall = [0.0]
    signal.signal(signal.SIGINT, stop_early)
    signal.signal(signal.SIGTERM, stop_early)
    seq = 0
    next_send = start
    while True:
        now = time.time()
        duration = stop_at[0]
        if now >= next_send and now - start < duration:
            seq = (seq + 1) & 0xFFFF
            for vip in vips:
                sent[str(vip)][seq] = now
                try:
                    if vip.version == 4:
                        header = struct.pack('!BBHHH', 8, 0, 0, ident, seq)
                        packet = struct.pack('!BBHHH', 8, 0, checksum(header), ident, seq)
                        socks[4].sendto(packet, (str(vip), 0))
                    else:  # the kernel fills in the ICMPv6 checksum
                        socks[6].sendto(struct.pack('!BBHHH', 128, 0, 0, ident, seq), (str(vip), 0))
                except OSError:
                    # A VIP that nobody holds for seconds: the neighbour entry fails and the socket reports the
                    # host unreachable. The probe counts as lost; the probing goes on.
                    pass
            # A probe that could not be sent on time (the prober starved of CPU) is not sent late in a burst:
            # the missed slots are skipped, and the longest such stall is reported, so an outage the prober made
            # itself can be told apart from one the VIP had.
            stall[0] = max(stall[0], now - next_send)
            next_send += interval
            if next_send <= now:
                next_send += (int((now - next_send) / interval) + 1) * interval
        elif now - start >= duration + 1.0:
            break
        ready = select.select(list(socks.values()), [], [], max(0.0, min(next_send - time.time(), 0.05)))[0]
        for sock in ready:
            try:
                data, addr = sock.recvfrom(2048)
            except OSError:  # an error queued on the socket (host unreachable), not a reply
                continue
            if sock is socks[4]:
                data = data[(data[0] & 0x0F) * 4:]
                kind = 0
            else:
                kind = 129
            if len(data) < 8:
                continue
            icmp_type, _code, _sum, rid, rseq = struct.unpack('!BBHHH', data[:8])
            source = str(ipaddress.ip_address(addr[0].split('%')[0]))
            if icmp_type == kind and rid == ident and source in sent and rseq in sent[source]:
                answered[source].append(sent[source].pop(rseq))
    report = {}
    for vip in vips:
        key = str(vip)
        times = sorted(answered[key])
        total = len(times) + len(sent[key])
        # An outage that runs into the end of the probing (or from its start) counts up to the last (from the
        # first) probe sent: edges one interval outside the probes sent, as if answered there.
        every = times + list(sent[key].values())
        edges = ([min(every) - interval] + times + [max(every) + interval]) if times else []
        gaps = [b - a for a, b in zip(edges, edges[1:])]
        longest = max(gaps) if gaps else duration
        report[key] = {'sent': total, 'replies': len(times), 'lost': len(sent[key]),
                       'outage_ms': int(round(max(0.0, longest - interval) * 1000)) if times else int(duration * 1000),
                       # Wall-clock time (epoch seconds) of the last answered probe before the longest outage (or
                       # one interval before the first probe, for an outage from the start).
                       'outage_after': round(edges[gaps.index(longest)], 3) if gaps else None,
                       # Runs of consecutive lost probes: [ms after the first probe, how many], in order.
                       'lost_runs': lost_runs(sorted(sent[key].values()), min(every) if every else start, interval),
                       # The longest time a probe was sent after its slot (the prober itself was late).
                       'stall_ms': int(round(stall[0] * 1000))}
    with open(output, 'w') as handle:
        json.dump(report, handle)


if __name__ == '__main__':
    main()
