#!/usr/bin/python3
"""Stand-in for a mesh proxy's outbound side (Envoy on 15001, linkerd2-proxy on 4140, ztunnel).

Accepts connections that iptables REDIRECTed to it, reads each one's original destination with
getsockopt(SOL_IP, SO_ORIGINAL_DST) as Envoy does, and carries it "over mTLS": to the destination
host's inbound proxy port instead of the original port. Usage: forwarder.py LISTEN_PORT MESH_PORT [MARK]
(MARK: the fwmark ztunnel puts on its own packets, so the in-pod rules let them through).
"""
import socket
import struct
import sys
import threading

from splice import relay

SO_ORIGINAL_DST = 80
SO_MARK = 36


def handle(client, mesh_port, mark):
    raw = client.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
    port, packed_ip = struct.unpack_from('!2xH4s', raw)
    host = socket.inet_ntoa(packed_ip)
    upstream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if mark:
        upstream.setsockopt(socket.SOL_SOCKET, SO_MARK, mark)
    try:
        upstream.connect((host, mesh_port))
        # The inbound side needs the original port, as the mTLS handshake would carry it.
        upstream.sendall(b'%d\n' % port)
    except OSError:
        client.close()
        return
    relay(client, upstream)


def main():
    listen_port, mesh_port = int(sys.argv[1]), int(sys.argv[2])
    mark = int(sys.argv[3], 0) if len(sys.argv) > 3 else 0
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(('0.0.0.0', listen_port))
    server.listen(64)
    print('listening', flush=True)
    while True:
        client, _ = server.accept()
        threading.Thread(target=handle, args=(client, mesh_port, mark), daemon=True).start()


main()
