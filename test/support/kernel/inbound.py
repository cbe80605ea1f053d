#!/usr/bin/python3
"""Stand-in for the server side of the mesh: accepts "mTLS" connections on MESH_PORT, reads the
original port the client proxy sends first, and hands the connection to 127.0.0.1:PORT.
Usage: inbound.py MESH_PORT"""
import socket
import sys
import threading

from splice import pipe


def handle(client):
    header = b''
    while not header.endswith(b'\n'):
        chunk = client.recv(1)
        if not chunk:
            client.close()
            return
        header += chunk
    try:
        local = socket.create_connection(('127.0.0.1', int(header)))
    except OSError:
        client.close()
        return
    threading.Thread(target=pipe, args=(client, local), daemon=True).start()
    pipe(local, client)


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(('0.0.0.0', int(sys.argv[1])))
server.listen(64)
print('listening', flush=True)
while True:
    conn, _ = server.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
