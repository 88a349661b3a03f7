# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Probe a TCP service on VIPs: a connection attempt every INTERVAL seconds for DURATION seconds; write a JSON report.

Usage: service_probe.py OUTPUT DURATION INTERVAL PORT VIP [VIP...]

The service-level twin of playbooks/files/vip_probe.py (ICMP, answered by whichever kernel holds the address): a
probe is answered when the TCP handshake with PORT on the VIP completes within DEADLINE seconds, i.e. a listening
socket of the service answered through the VIP. A refusal (the member holds the VIP but its service is down: the
kernel resets), an unreachable host or no answer before the deadline (a SYN into a MAC that no longer holds the
address; TCP would retransmit it only after 1 s) is a lost probe. The connection is closed at once, nothing is
sent on it. Per VIP the same figures as vip_probe.py: sent, replies, lost, outage_ms (the longest time between two
answered probes, less one interval), outage_after, lost_runs and stall_ms. Bounded in time; it connects only to the
addresses it is given. SIGINT or SIGTERM ends it early (it still waits for the probes in flight and writes the
report). Copied to the bench's client containers by bench/service_down.py; it runs there on its own.
"""

from __future__ import absolute_import, division, print_function

import errno
import ipaddress
import json
import select
import signal
import socket
import sys
import time

# An answer later than this is not counted: TCP's first SYN retransmission comes after 1 s, and an answer to it
# would date a probe sent into the outage as answered.
DEADLINE = 0.5


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
    output, duration, interval, port = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    vips = [str(ipaddress.ip_address(a)) for a in sys.argv[5:]]
    if duration > 600 or interval < 0.005 or not 1 <= port <= 65535:
        sys.exit('refusing: duration at most 600 s, interval at least 5 ms, a TCP port')
    answered = dict((v, []) for v in vips)  # send times of answered probes
    failed = dict((v, []) for v in vips)    # send times of lost probes
    pending = {}                            # socket -> (vip, send time)
    start = time.time()
    stop_at = [duration]

    def stop_early(signum, frame):
        stop_at[0] = min(stop_at[0], time.time() - start)

    signal.signal(signal.SIGINT, stop_early)
    signal.signal(signal.SIGTERM, stop_early)
    stall = 0.0
    next_send = start
    while True:
        now = time.time()
        if now >= next_send and now - start < stop_at[0]:
            for vip in vips:
                sock = socket.socket(socket.AF_INET6 if ':' in vip else socket.AF_INET, socket.SOCK_STREAM)
                sock.setblocking(False)
                code = sock.connect_ex((vip, port))
                if code == 0:
                    answered[vip].append(now)
                    sock.close()
                elif code in (errno.EINPROGRESS, errno.EWOULDBLOCK):
                    pending[sock] = (vip, now)
                else:  # refused at once, or no route: lost
                    failed[vip].append(now)
                    sock.close()
            # As vip_probe.py: a probe that could not go out on time is not sent late in a burst; the longest such
            # stall is reported, so an outage the prober made itself can be told apart from one the VIP had.
            stall = max(stall, now - next_send)
            next_send += interval
            if next_send <= now:
                next_send += (int((now - next_send) / interval) + 1) * interval
        elif now - start >= stop_at[0] and not pending:
            break
        for sock, (vip, sent) in list(pending.items()):
            if now - sent > DEADLINE:
                failed[vip].append(sent)
                del pending[sock]
                sock.close()
        wait = max(0.0, min(next_send - time.time(), 0.05))
        ready = select.select([], list(pending), [], wait)[1] if pending else (time.sleep(wait) or [])
        for sock in ready:
            vip, sent = pending.pop(sock)
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 and time.time() - sent <= DEADLINE:
                answered[vip].append(sent)
            else:
                failed[vip].append(sent)
            sock.close()
    report = {}
    for vip in vips:
        times = sorted(answered[vip])
        every = times + failed[vip]
        # An outage that runs into the end (or from the start) of the probing counts up to the last (from the first)
        # probe sent, as vip_probe.py counts it.
        edges = ([min(every) - interval] + times + [max(every) + interval]) if times else []
        gaps = [b - a for a, b in zip(edges, edges[1:])]
        longest = max(gaps) if gaps else duration
        report[vip] = {'sent': len(every), 'replies': len(times), 'lost': len(failed[vip]),
                       'outage_ms': int(round(max(0.0, longest - interval) * 1000)) if times else int(duration * 1000),
                       'outage_after': round(edges[gaps.index(longest)], 3) if gaps else None,
                       'lost_runs': lost_runs(sorted(failed[vip]), min(every) if every else start, interval),
                       'stall_ms': int(round(stall * 1000))}
    with open(output, 'w') as handle:
        json.dump(report, handle)


if __name__ == '__main__':
    main()
