# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Send or count IP protocol 112 packets (VRRP/CARP adverts), or UDP datagrams as corosync's knet sends them (from
its port to the same port), in a network namespace.

    advert_probe.py listen IFACE SECONDS   prints 'ready', then a JSON list of the sources heard
    advert_probe.py send IFACE SOURCE DESTINATION [COUNT]
    advert_probe.py udp-listen PORT SECONDS   prints 'ready', then a JSON list of the sources heard (IPv4 and IPv6)
    advert_probe.py udp-send SOURCE DESTINATION PORT [COUNT]

The listener reads from a raw socket, so it hears only what the host's input firewall let through (unlike a
packet capture, which sees frames before netfilter). It joins 224.0.0.18 and ff02::12 on IFACE.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import select
import socket
import struct
import sys
import time

PROTOCOL = 112


def listen(iface, seconds):
    index = socket.if_nametoindex(iface)
    v4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, PROTOCOL)
    v4.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                  struct.pack('4s4si', socket.inet_aton('224.0.0.18'), socket.inet_aton('0.0.0.0'), index))
    v6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, PROTOCOL)
    v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                  socket.inet_pton(socket.AF_INET6, 'ff02::12') + struct.pack('@I', index))
    print('ready')
    sys.stdout.flush()
    heard = []
    deadline = time.time() + seconds
    while time.time() < deadline:
        ready, dummy, dummy2 = select.select([v4, v6], [], [], max(0.0, deadline - time.time()))
        for sock in ready:
            data, peer = sock.recvfrom(2048)
            if sock is v4:
                heard.append([peer[0], socket.inet_ntoa(data[16:20])])
            else:
                heard.append([peer[0].split('%')[0], None])
    print(json.dumps(heard))


def send(iface, source, destination, count):
    index = socket.if_nametoindex(iface)
    family = socket.AF_INET6 if ':' in destination else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_RAW, PROTOCOL)
    if family == socket.AF_INET:
        sock.bind((source, 0))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(source))
        target = (destination, 0)
    else:
        sock.bind((source, 0, 0, index if source.startswith('fe80') else 0))
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        target = (destination, 0, 0, index)
    for dummy in range(count):
        sock.sendto(b'\x21\x33\x64\x01\x00\x01\x00\x00' + b'\x00' * 12, target)
        time.sleep(0.05)


def udp_listen(port, seconds):
    sockets = []
    for family, anywhere in ((socket.AF_INET, '0.0.0.0'), (socket.AF_INET6, '::')):
        sock = socket.socket(family, socket.SOCK_DGRAM)
        # udp-send in the same namespace binds the same port to its own address (knet's flow, for conntrack).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((anywhere, port))
        sockets.append(sock)
    print('ready')
    sys.stdout.flush()
    heard = []
    deadline = time.time() + seconds
    while time.time() < deadline:
        ready, dummy, dummy2 = select.select(sockets, [], [], max(0.0, deadline - time.time()))
        for sock in ready:
            dummy, peer = sock.recvfrom(2048)
            heard.append([peer[0], None])
    print(json.dumps(heard))


def udp_send(source, destination, port, count):
    family = socket.AF_INET6 if ':' in destination else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((source, port))
    for dummy in range(count):
        sock.sendto(b'knet', (destination, port))
        time.sleep(0.05)


if __name__ == '__main__':
    if sys.argv[1] == 'udp-listen':
        udp_listen(int(sys.argv[2]), float(sys.argv[3]))
    elif sys.argv[1] == 'udp-send':
        udp_send(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 3)
    elif sys.argv[1] == 'listen':
        listen(sys.argv[2], float(sys.argv[3]))
    else:
        send(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 3)
