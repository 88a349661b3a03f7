# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Capture ARP, ICMPv6 neighbour advertisements and CARP on one interface and print them decoded as JSON.

Usage: frame_capture.py IFACE SECONDS [FRAMES]: stops after SECONDS or once FRAMES frames are seen.
Prints "ready" once listening, then one JSON list at the end; each frame has the time it arrived (``time``, seconds
since the epoch).
Decoding is written here independently of the collection's frame builder.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import select
import socket
import struct
import sys
import time


def mac(raw):
    return ':'.join('%02x' % b for b in bytearray(raw))


def decode(frame):
    ethertype = struct.unpack('!H', frame[12:14])[0]
    head = {'dst': mac(frame[0:6]), 'src': mac(frame[6:12])}
    if ethertype == 0x0806:
        oper = struct.unpack('!H', frame[20:22])[0]
        head.update(kind='arp', opcode=oper, sha=mac(frame[22:28]), spa=socket.inet_ntoa(frame[28:32]),
                    tha=mac(frame[32:38]), tpa=socket.inet_ntoa(frame[38:42]))
        return head
    if ethertype == 0x86DD and frame[20] == 58 and frame[54] == 136:
        icmp = frame[54:]
        flags = struct.unpack('!I', icmp[4:8])[0]
        options = {}
        pos = 24
        while pos + 2 <= len(icmp) and icmp[pos + 1]:
            options[icmp[pos]] = icmp[pos + 2:pos + icmp[pos + 1] * 8]
            pos += icmp[pos + 1] * 8
        head.update(kind='na', hop_limit=frame[21], src_ip=socket.inet_ntop(socket.AF_INET6, frame[22:38]),
                    dst_ip=socket.inet_ntop(socket.AF_INET6, frame[38:54]),
                    target=socket.inet_ntop(socket.AF_INET6, icmp[8:24]),
                    router=bool(flags & 0x80000000), solicited=bool(flags & 0x40000000),
                    override=bool(flags & 0x20000000),
                    target_lladdr=mac(options[2][:6]) if 2 in options else None)
        return head
    if ethertype == 0x0800 and frame[23] == 112:
        ihl = (frame[14] & 0x0F) * 4
        carp = frame[14 + ihl:14 + ihl + 36]
        head.update(kind='carp', ttl=frame[22], src_ip=socket.inet_ntoa(frame[26:30]),
                    dst_ip=socket.inet_ntoa(frame[30:34]), version=carp[0] >> 4, type=carp[0] & 0x0F,
                    vhid=carp[1], advskew=carp[2], authlen=carp[3], advbase=carp[5],
                    ip_and_carp_sum=internet_sum(frame[14:14 + ihl + 36]),
                    counter=carp[8:16].hex(), md=carp[16:36].hex())
        return head
    return None


def internet_sum(data):
    """The one's complement sum as a receiver checks it: 0xFFFF when every checksum in ``data`` is right."""
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def main():
    iface, seconds = sys.argv[1], float(sys.argv[2])
    enough = int(sys.argv[3]) if len(sys.argv) > 3 else None
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    sock.bind((iface, 0))
    print('ready', flush=True)
    frames = []
    deadline = time.time() + seconds
    while time.time() < deadline and (enough is None or len(frames) < enough):
        ready = select.select([sock], [], [], max(0.0, deadline - time.time()))[0]
        if ready:
            frame, addr = sock.recvfrom(65535)
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            decoded = decode(frame)
            if decoded:
                decoded['time'] = time.time()
                frames.append(decoded)
    print(json.dumps(frames), flush=True)


if __name__ == '__main__':
    main()
