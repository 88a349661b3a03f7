# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Who answers ARP for addresses: arp_replies.py IFACE OWN_IPV4 TARGET_IPV4[,TARGET_IPV4...] [SECONDS]

Copied to the lab's client and run there (standalone, like playbooks/files/vip_probe.py). Sends three ARP
requests for each TARGET from IFACE and prints a JSON object: each TARGET -> the list of every distinct MAC that
answered within SECONDS (default 1.5): one MAC means one holder; two mean two members answer for the VIP.
Needs CAP_NET_RAW.
"""

from __future__ import absolute_import, division, print_function

import json
import select
import socket
import struct
import sys
import time


def main():
    iface, own, targets = sys.argv[1], sys.argv[2], sys.argv[3].split(',')
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 1.5
    with open('/sys/class/net/%s/address' % iface) as handle:
        mac = bytes.fromhex(handle.read().strip().replace(':', ''))
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    sock.bind((iface, 0))
    requests = [b'\xff' * 6 + mac + struct.pack('!H', 0x0806)
                + struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + mac + socket.inet_aton(own)
                + b'\x00' * 6 + socket.inet_aton(target) for target in targets]
    wanted = dict((socket.inet_aton(target), target) for target in targets)
    answers = dict((target, []) for target in targets)
    start = time.time()
    sent = 0
    while time.time() - start < seconds:
        if sent < 3 and time.time() - start >= sent * 0.2:
            for request in requests:
                sock.send(request)
            sent += 1
        ready = select.select([sock], [], [], 0.05)[0]
        if not ready:
            continue
        frame = sock.recv(128)
        if len(frame) < 42 or frame[12:14] != b'\x08\x06':
            continue
        op = struct.unpack('!H', frame[20:22])[0]
        if op == 2 and frame[28:32] in wanted:
            sender = ':'.join('%02x' % b for b in bytearray(frame[22:28]))
            if sender not in answers[wanted[frame[28:32]]]:
                answers[wanted[frame[28:32]]].append(sender)
    print(json.dumps(answers))


if __name__ == '__main__':
    main()
